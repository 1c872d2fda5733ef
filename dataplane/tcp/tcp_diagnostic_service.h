#pragma once

// Diagnostic services on a worker's TCP stack, like inetd's internal echo
// (RFC 862), discard (RFC 863) and a chargen-like source: enough to prove
// the stack against real peers without the proxy. Echo moves the received
// mbufs straight into the send queue (no copy). Discard checks the bytes
// against the pattern a source sends (byte i is i mod 251), so a transfer's
// integrity can be checked on dplb's side too. The control plane starts
// them with `tcp listen` / `tcp connect`; each has a slot whose counters
// the worker writes and `show tcp services` reads.

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/base/counter.h"
#include "dataplane/tcp/tcp_application.h"

namespace dplb::dataplane {

enum class DiagnosticKind : uint8_t { echo, discard, source };

inline constexpr std::size_t kMaxTcpServices = 64;

inline uint8_t diagnostic_pattern_byte(uint64_t offset) { return static_cast<uint8_t>(offset % 251); }

struct alignas(64) TcpServiceCounters {
  Counter connections;     // accepted or connected
  Counter open;            // gauge
  Counter bytes_in;
  Counter bytes_out;
  Counter pattern_errors;  // discard: bytes that differ from the pattern
  Counter completed;       // ended with both sides closed
  Counter failed;          // reset, timed out or refused (connect: never connected)
};

class TcpDiagnosticService final : public TcpApplication {
 public:
  TcpDiagnosticService() = default;
  void configure(DiagnosticKind kind, uint64_t source_bytes, TcpServiceCounters* counters);
  bool configured() const { return counters_ != nullptr; }

  void on_accepted(TcpConnection& c) override { start(c); }
  void on_connected(TcpConnection& c) override { start(c); }
  void on_readable(TcpConnection& c) override;
  void on_writable(TcpConnection& c) override;
  void on_closed(TcpConnection& c, TcpCloseReason reason) override;
  // An active open that could not even start.
  void connect_failed() { counters_->failed.increment(); }
  // The connection exists but its handshake has not completed yet.
  void connecting(TcpConnection& c);

 private:
  struct State {
    uint64_t in = 0;
    uint64_t out = 0;
    bool started = false;
    State* next_free = nullptr;
  };

  void start(TcpConnection& c);
  void pump(TcpConnection& c, State& s);
  void done(TcpConnection& c, State& s, bool completed);
  State* take();
  void give(State* s);

  DiagnosticKind kind_ = DiagnosticKind::echo;
  uint64_t source_bytes_ = 0;
  TcpServiceCounters* counters_ = nullptr;
  // Per-connection state comes from chunks reused through a free list.
  std::vector<std::unique_ptr<State[]>> chunks_;
  State* free_ = nullptr;
};

}  // namespace dplb::dataplane
