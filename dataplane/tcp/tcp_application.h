#pragma once

// What runs on top of a worker's TCP stack (the proxy, the diagnostic
// services): it is told about connections through these callbacks, always
// from the worker's own thread, never from inside another callback. A
// connection handle stays valid until the application calls close() or
// abort() on it, or until on_closed() returns.

#include <cstdint>
#include <string_view>

namespace dplb::dataplane {

class TcpConnection;

enum class TcpCloseReason : uint8_t {
  reset,         // the peer sent RST
  timed_out,     // retransmissions, SYN retries or keepalive probes ran out
  refused,       // the peer answered our SYN with RST
  aborted,       // the stack gave up on it (limits, or the stack is shutting down)
  finished,      // both sides closed while the application still held it
};

std::string_view tcp_close_reason_name(TcpCloseReason reason);

class TcpApplication {
 public:
  virtual ~TcpApplication() = default;
  // A passive open completed (three-way handshake, or a valid SYN cookie).
  virtual void on_accepted(TcpConnection&) {}
  // An active open completed.
  virtual void on_connected(TcpConnection&) {}
  // In-order data, or the peer's FIN, is waiting to be read.
  virtual void on_readable(TcpConnection&) {}
  // Send-queue space was freed after the application asked with want_writable().
  virtual void on_writable(TcpConnection&) {}
  // The connection ended for a reason other than the application's own
  // close() or abort(). The handle is invalid once this returns.
  virtual void on_closed(TcpConnection&, TcpCloseReason) {}
};

}  // namespace dplb::dataplane
