#pragma once

#include <functional>
#include <string>

#include "controlplane/console/control_socket.h"
#include "controlplane/console/interactive_console.h"

namespace dplb::controlplane {

// The control thread's event loop: signals, the control socket, the terminal
// console and a tick every kTickMs, multiplexed with poll(). It is the only
// place the control plane waits; nothing here busy-polls. The tick is what
// bounds how late the control plane sees worker events (ARP senders now,
// health-check results and VRRP adverts later).
class ControlLoop {
 public:
  static constexpr int64_t kTickMs = 10;

  // `tick` receives CLOCK_MONOTONIC in milliseconds.
  ControlLoop(ControlSocket* socket, InteractiveConsole* console, std::function<void(int64_t)> tick)
      : socket_(socket), console_(console), tick_(std::move(tick)) {}
  ~ControlLoop();

  // SIGINT and SIGTERM must already be blocked in every thread (see
  // block_stop_signals) so that they arrive here and nowhere else.
  std::string open_signals();
  // Returns false if the loop stopped on an error rather than on request.
  bool run();
  void request_stop() { stop_ = true; }
  // What SIGHUP does (reload certificates and ticket keys); unset, it is
  // only logged.
  void on_hangup(std::function<void()> reload) { hangup_ = std::move(reload); }

 private:
  ControlSocket* socket_;
  InteractiveConsole* console_;
  std::function<void(int64_t)> tick_;
  std::function<void()> hangup_;
  int signal_fd_ = -1;
  bool stop_ = false;
};

// Call before any thread exists (before EAL init), so threads inherit it.
void block_stop_signals();

int64_t monotonic_ms();

}  // namespace dplb::controlplane
