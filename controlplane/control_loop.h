#pragma once

#include <functional>
#include <string>

#include "controlplane/control_socket.h"
#include "controlplane/interactive_console.h"

namespace dplb::controlplane {

// The control thread's event loop: signals, the control socket, the terminal
// console and a once-a-second tick, multiplexed with poll(). It is the only
// place the control plane waits; nothing here busy-polls.
class ControlLoop {
 public:
  ControlLoop(ControlSocket* socket, InteractiveConsole* console, std::function<void()> tick)
      : socket_(socket), console_(console), tick_(std::move(tick)) {}
  ~ControlLoop();

  // SIGINT and SIGTERM must already be blocked in every thread (see
  // block_stop_signals) so that they arrive here and nowhere else.
  std::string open_signals();
  void run();
  void request_stop() { stop_ = true; }

 private:
  ControlSocket* socket_;
  InteractiveConsole* console_;
  std::function<void()> tick_;
  int signal_fd_ = -1;
  bool stop_ = false;
};

// Call before any thread exists (before EAL init), so threads inherit it.
void block_stop_signals();

}  // namespace dplb::controlplane
