#pragma once

// Health-check probes run on a worker's TCP stack, never through the kernel:
// the control plane decides when a server is checked and posts a probe; the
// worker opens the connection, sends the HTTP request if there is one, reads
// the status line, and posts the outcome back (what it saw, not what it
// means: the control plane compares the status with expect_status). A probe
// ends in one of the layer-4/6/7 outcomes HAProxy reports, always within
// its timeout, and never leaves its connection behind. With a TLS context
// (HAProxy's check-ssl) the probe runs a TLS handshake first, then sends
// its request over it; the handshake is layer 6.

#include <cstdint>
#include <memory>
#include <vector>

#include <openssl/types.h>

#include "dataplane/base/timer_wheel.h"
#include "dataplane/tcp/tcp_application.h"
#include "dataplane/tcp/tcp_settings.h"
#include "dataplane/tls/tls_stream.h"

struct rte_mempool;

namespace dplb::dataplane {

class TcpStack;
class TcpConnection;

// What a probe saw, in HAProxy's terms.
enum class ProbeOutcome : uint8_t {
  l4_ok,       // connected (TCP check: passed; the connection is closed at once)
  l4_timeout,  // no answer to the SYNs within the timeout
  l4_refused,  // RST to the SYN, no route, or no local port or connection slot
  l7_status,   // an HTTP status line arrived: `status` holds it
  l7_timeout,  // connected, but no complete status line within the timeout
  l7_invalid,  // what arrived is not an HTTP response, or the server closed first
  l6_ok,       // TLS handshake done (TCP check over TLS: passed)
  l6_timeout,  // connected, but the handshake did not finish within the timeout
  l6_failed,   // the handshake failed: `status` holds the TlsFailure
};

struct ProbeRequest {
  uint32_t id = 0;              // the control plane's, returned with the result
  uint32_t address = 0;         // host order
  uint16_t port = 0;
  uint32_t timeout_ms = 1000;
  const char* http = nullptr;   // the request to send; null: a TCP check
  uint32_t http_length = 0;
  SSL_CTX* tls = nullptr;       // check over TLS with this client context; null: plain
  std::string_view sni;         // the name to send and verify (copied when the handshake starts)
};

struct ProbeResult {
  uint32_t id = 0;
  ProbeOutcome outcome = ProbeOutcome::l4_refused;
  uint16_t status = 0;
  uint32_t duration_us = 0;
};

class HealthProber final : public TcpApplication {
 public:
  // At most this many probes in flight per worker; more are refused at once
  // (reported as l4_refused with status 0 and counted by the caller).
  static constexpr uint32_t kMaxProbes = 1024;

  HealthProber(TcpStack& stack, rte_mempool* pool);
  ~HealthProber() override;
  HealthProber(const HealthProber&) = delete;
  HealthProber& operator=(const HealthProber&) = delete;

  // Starts a probe; false when no slot is free.
  bool start(const ProbeRequest& request);
  // Moves the probes' timers; finished probes are returned through take().
  void poll(uint64_t now_us);
  // Results finished since the last call, up to `capacity`.
  uint32_t take(ProbeResult* out, uint32_t capacity);
  uint32_t in_flight() const { return in_flight_; }
  bool has_results() const { return !done_.empty(); }

  void on_connected(TcpConnection& c) override;
  void on_readable(TcpConnection& c) override;
  void on_closed(TcpConnection& c, TcpCloseReason reason) override;

 private:
  struct Probe;
  struct ProbeTimer : Timer {
    Probe* probe = nullptr;
  };
  struct Probe {
    ProbeTimer timer;
    ProbeRequest request;
    TcpConnection* conn = nullptr;
    TlsStream tls;
    uint64_t started_us = 0;
    bool connected = false;
    bool busy = false;
    uint16_t line_length = 0;
    char line[64];             // the start of the status line
    Probe* next_free = nullptr;
  };

  void finish(Probe& p, ProbeOutcome outcome, uint16_t status = 0);
  void read_status(Probe& p);
  // Feeds the handshake or the decryption; true when plaintext may be read.
  bool tls_readable(Probe& p);
  void send_request(Probe& p, ByteStream& stream);

  TcpStack& stack_;
  rte_mempool* pool_;
  TcpConnectionOptions options_;
  TimerWheel wheel_;
  uint64_t now_us_ = 0;
  std::unique_ptr<Probe[]> probes_;
  Probe* free_ = nullptr;
  uint32_t in_flight_ = 0;
  std::vector<ProbeResult> done_;
};

}  // namespace dplb::dataplane
