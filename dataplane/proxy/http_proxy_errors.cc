// The answers dplb gives itself (error pages) when a request cannot be
// served, and the abrupt end of an exchange whose response had started.

#include "dataplane/proxy/http_proxy.h"
#include "dataplane/tcp/tcp_connection.h"

namespace dplb::dataplane {

void HttpProxy::reply_error(Session& s, uint16_t status, char who, char phase) {
  s.status = status;
  s.termination[0] = who;
  s.termination[1] = phase;
  const std::size_t cls = status_class(status);
  counters_.frontends[s.frontend].responses[cls].increment();
  if (s.backend != kNoIndex) counters_.backends[s.backend].responses[cls].increment();
  if (s.client != nullptr) {
    const std::string& page = frontend(s).error_page(status);
    const uint32_t n = s.client->write_copy(page.data(), static_cast<uint32_t>(page.size()));
    s.bytes_out += n;
    s.total_bytes_out += n;
    counters_.frontends[s.frontend].bytes_out.add(n);
  }
  log_exchange(s);
  end_session(s);
}

void HttpProxy::bad_response(Session& s) {
  if (l7_retry(s, RetryCause::junk_response)) return;
  server_counters(s.backend, s.server).response_errors.increment();
  counters_.backends[s.backend].response_errors.increment();
  if (s.link != nullptr) close_link(*s.link, true);
  reply_error(s, 502, 'P', 'H');
}

void HttpProxy::fail(Session& s, char who, char phase) {
  s.termination[0] = who;
  s.termination[1] = phase;
  log_exchange(s);
  if (s.link != nullptr) close_link(*s.link, true);
  if (s.client != nullptr) {
    ByteStream* client = s.client;
    detach_client(s);
    client->abort();
  }
  free_session(s);
}

}  // namespace dplb::dataplane
