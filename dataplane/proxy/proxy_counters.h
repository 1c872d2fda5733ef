#pragma once

// What the proxy counts, per worker: each worker writes only its own
// ProxyCounters and the control plane sums them for `show frontends`,
// `show backends`, `show servers` and `show stat`. Gauges (current
// sessions, queues) go up and down on the same worker, so their sum over
// workers is exact; maxima are per worker and the control plane reports
// the largest, which is the documented approximation of HAProxy's
// process-wide maxima.

#include <array>
#include <cstdint>
#include <vector>

#include "dataplane/base/counter.h"
#include "dataplane/tls/tls_failure.h"

namespace dplb::dataplane {

// 1xx..5xx and "other" (status outside 100..599, or none: aborted).
inline constexpr std::size_t kStatusClasses = 6;
inline std::size_t status_class(uint16_t status) {
  return status >= 100 && status < 600 ? status / 100 - 1 : 5;
}

// A high-water mark kept by one worker.
class MaxGauge {
 public:
  void observe(uint64_t v) {
    if (v > value_.get()) value_.add(v - value_.get());
  }
  uint64_t get() const { return value_.get(); }

 private:
  Counter value_;
};

struct alignas(64) FrontendCounters {
  Counter sessions_current;   // client connections open (scur)
  MaxGauge sessions_max;      // smax
  Counter sessions_total;     // stot
  Counter sessions_refused;   // over maxconn or out of session slots: reset at once
  Counter requests;           // req_tot
  Counter request_errors;     // ereq: unparseable requests, timeouts while reading one
  Counter bytes_in;           // from clients, heads included
  Counter bytes_out;          // to clients
  Counter client_aborts;      // cli_abrt
  std::array<Counter, kStatusClasses> responses;  // hrsp_1xx .. hrsp_other
  // HTTP rules.
  Counter denied_requests;    // dreq: http_request deny
  Counter denied_responses;   // dresp: http_response deny
  Counter intercepted;        // intercepted_req: answered by a redirect or return rule
  Counter rewrite_failures;   // wrew: a rewrite did not fit (500)
  // TLS binds (show tls).
  Counter tls_sessions_current;  // gauge: TLS connections open, handshaking or established
  Counter tls_handshakes_full;
  Counter tls_handshakes_resumed;  // by ticket (TLS 1.2) or PSK (TLS 1.3)
  Counter tls_handshakes_deferred;  // a handshake step waited for the next pass's budget
  std::array<Counter, kTlsFailureCount> tls_failures;  // by TlsFailure; [none] unused
};

struct alignas(64) BackendCounters {
  Counter requests;           // assigned to a server, or failed here (stot/lbtot)
  Counter queue_current;      // qcur
  MaxGauge queue_max;         // qmax
  Counter queue_timeouts;
  Counter connect_errors;     // econ
  Counter response_errors;    // eresp
  Counter retries;            // wretr
  Counter redispatches;       // wredis
  // Layer-7 retries by cause (HttpProxy::RetryCause order: empty-response,
  // junk-response, response-timeout, status), and the ones not made.
  std::array<Counter, 4> l7_retries;
  Counter l7_retries_current;      // gauge: requests being retried now (what the budget caps)
  Counter retry_budget_refusals;   // a retry the budget did not allow
  Counter retry_too_large;         // a retryable failure of a request over retry_buffer
  Counter retry_non_idempotent;    // a retryable failure of a non-idempotent request
  Counter retry_body_incomplete;   // a retryable failure while the request body was still arriving
  Counter no_server;          // 503 because nothing was usable
  Counter bytes_in;           // to servers (requests)
  Counter bytes_out;          // from servers (responses)
  Counter client_aborts;
  Counter server_aborts;      // srv_abrt
  std::array<Counter, kStatusClasses> responses;
  Counter denied_requests;    // dreq: this backend's http_request deny
  Counter denied_responses;   // dresp
  Counter rewrite_failures;   // wrew
};

struct alignas(64) ServerCounters {
  Counter current;            // requests in flight (scur), what maxconn limits
  MaxGauge current_max;       // smax
  Counter total;              // requests sent (stot/lbtot)
  Counter queue_current;      // qcur: waiting for this server
  MaxGauge queue_max;
  Counter connections;        // TCP connections opened (connect)
  Counter reused;             // requests sent over an already open connection (reuse)
  Counter idle;               // gauge: connections waiting in this worker's pool
  Counter connect_errors;     // econ
  Counter response_errors;    // eresp
  Counter retries;            // wretr
  Counter bytes_in;           // to the server
  Counter bytes_out;          // from the server
  Counter server_aborts;
  Counter last_request_us;    // worker clock of the last request sent (lastsess)
  std::array<Counter, kStatusClasses> responses;
  // TLS to the server (show tls).
  Counter tls_handshakes_full;
  Counter tls_handshakes_resumed;  // the worker's last session with this server was taken
  std::array<Counter, kTlsFailureCount> tls_failures;  // by TlsFailure
};

struct ProxyCounters {
  std::vector<FrontendCounters> frontends;
  std::vector<BackendCounters> backends;
  std::vector<std::vector<ServerCounters>> servers;  // [backend][server]
  // Per rule of each frontend and backend (HttpRuleSet's order): how often it applied.
  std::vector<std::vector<Counter>> frontend_rule_hits;
  std::vector<std::vector<Counter>> backend_rule_hits;
  Counter log_records_lost;  // the access-log ring was full
  Counter tls_failure_logs_suppressed;  // handshake failures beyond the log rate, counted but not logged
  Counter sessions;          // gauge: sessions this worker holds

  void size_for(std::size_t frontend_count, const std::vector<std::size_t>& servers_per_backend) {
    frontends = std::vector<FrontendCounters>(frontend_count);
    backends = std::vector<BackendCounters>(servers_per_backend.size());
    servers.clear();
    for (std::size_t n : servers_per_backend) servers.emplace_back(n);
  }
};

}  // namespace dplb::dataplane
