// The access-log record of an exchange, pushed to the ring the control
// plane's writer drains.

#include <algorithm>
#include <cstring>

#include "dataplane/proxy/http_proxy.h"
#include "dataplane/tcp/tcp_connection.h"

namespace dplb::dataplane {
namespace {

int32_t elapsed_ms(uint64_t from_us, uint64_t to_us) {
  if (from_us == 0 || to_us == 0 || to_us < from_us) return -1;
  return static_cast<int32_t>(std::min<uint64_t>((to_us - from_us) / 1000, INT32_MAX));
}

void copy_text(char* out, std::size_t room, std::string_view text) {
  const std::size_t n = std::min(room, text.size());
  std::memcpy(out, text.data(), n);
}

}  // namespace

void HttpProxy::log_exchange(Session& s) {
  if (log_ == nullptr || !snapshot_->access_log) return;
  const ProxyFrontend& f = frontend(s);
  if (!f.log) return;
  if (f.dontlognull && s.bytes_in == 0) return;
  AccessLogRecord r;
  r.accept_us = s.start_us;
  if (s.client != nullptr) {
    r.client_address = s.client->tuple().remote_address;
    r.client_port = s.client->tuple().remote_port;
  }
  r.frontend = s.frontend;
  r.backend = s.backend;
  r.server = s.server;
  r.status = s.status;
  const uint64_t request_start = s.first_byte_us != 0 ? s.first_byte_us : s.start_us;
  r.t_request = elapsed_ms(request_start, s.head_done_us);
  r.t_queue = elapsed_ms(s.head_done_us, s.queue_done_us);
  r.t_connect = elapsed_ms(s.queue_done_us, s.connect_done_us);
  r.t_response = elapsed_ms(s.connect_done_us, s.response_us);
  r.t_active = elapsed_ms(s.start_us, now_us_);
  r.bytes_read = s.bytes_out;
  r.termination[0] = s.termination[0];
  r.termination[1] = s.termination[1];
  r.retries = s.retries;
  r.redispatched = s.redispatched ? 1 : 0;
  r.active_connections = live_sessions_;
  r.frontend_connections = frontend_sessions_[s.frontend];
  if (s.backend != kNoIndex) {
    r.backend_queue = backend_queues_[s.backend].length;
    if (s.server != kNoIndex) {
      r.server_connections = balancers_[s.backend].in_flight(s.server);
      r.server_queue = server_queues_[s.backend][s.server].length;
    }
    uint32_t in_flight = 0;
    for (std::size_t i = 0; i < snapshot_->backends[s.backend].servers.size(); ++i) {
      in_flight += balancers_[s.backend].in_flight(static_cast<uint32_t>(i));
    }
    r.backend_connections = in_flight;
  }
  if (s.tls.active()) {
    r.tls = true;
    r.tls_resumed = s.tls.resumed();
    copy_text(r.tls_version, sizeof(r.tls_version), s.tls.version());
    copy_text(r.tls_cipher, sizeof(r.tls_cipher), s.tls.cipher());
    copy_text(r.tls_sni, sizeof(r.tls_sni), s.tls.server_name());
  }
  r.request_length = s.request_line_length;
  std::memcpy(r.request, s.request_line, s.request_line_length);
  if (!log_->push(r)) counters_.log_records_lost.increment();
}

// A scanner or a broken client can fail thousands of handshakes a second;
// each still counts in show tls, but only so many become log lines.
void HttpProxy::log_handshake_failure(Session& s, TlsFailure why) {
  if (log_ == nullptr || !snapshot_->access_log || s.client == nullptr) return;
  const ProxyFrontend& f = frontend(s);
  if (!f.log) return;
  const uint64_t second = now_us_ / 1'000'000;
  if (second != failure_log_second_) {
    failure_log_second_ = second;
    failure_logs_this_second_ = 0;
  }
  if (failure_logs_this_second_ >= kHandshakeFailureLogsPerSecond) {
    counters_.tls_failure_logs_suppressed.increment();
    return;
  }
  ++failure_logs_this_second_;
  AccessLogRecord r;
  r.accept_us = s.accepted_us != 0 ? s.accepted_us : s.start_us;
  r.client_address = s.client->tuple().remote_address;
  r.client_port = s.client->tuple().remote_port;
  r.local_port = s.client->tuple().local_port;
  r.frontend = s.frontend;
  r.tls = true;
  r.tls_failure = static_cast<uint8_t>(why);
  copy_text(r.tls_sni, sizeof(r.tls_sni), s.tls.server_name());
  if (!log_->push(r)) counters_.log_records_lost.increment();
}

}  // namespace dplb::dataplane
