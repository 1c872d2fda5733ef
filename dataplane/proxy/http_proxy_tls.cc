// TLS on client connections: the handshake on a TLS bind, what it counts,
// and how a failed one ends. Once established the session reads and writes
// its TlsStream like any ByteStream and the HTTP code does not know.

#include "dataplane/proxy/http_proxy.h"
#include "dataplane/tcp/tcp_connection.h"

namespace dplb::dataplane {

bool HttpProxy::start_tls(Session& s, TcpConnection& c) {
  FrontendCounters& fc = counters_.frontends[s.frontend];
  SSL_CTX* context = tls_ != nullptr && s.frontend < tls_->frontends.size() ? tls_->frontends[s.frontend] : nullptr;
  if (context == nullptr || !s.tls.accept(c, context, pool_)) {
    // No certificate loaded for it (cannot happen after a clean boot), or
    // OpenSSL is out of memory.
    fc.tls_failures[static_cast<std::size_t>(TlsFailure::internal)].increment();
    s.client = nullptr;
    s.client_tcp = nullptr;
    c.user_data = nullptr;
    c.abort();
    free_session(s);
    return false;
  }
  s.client = &s.tls;
  fc.tls_sessions_current.increment();
  return true;
}

bool HttpProxy::tls_readable(Session& s) {
  const bool was_done = s.tls.handshake_done();
  if (!was_done) {
    if (handshake_budget_ == 0) {
      defer_handshake(s);
      return false;
    }
    --handshake_budget_;
  }
  switch (s.tls.transport_readable()) {
    case TlsStream::Progress::handshaking:
      return false;
    case TlsStream::Progress::failed:
      tls_failed(s);
      return false;
    case TlsStream::Progress::open:
      break;
  }
  if (!was_done) tls_handshake_done(s);
  return true;
}

void HttpProxy::tls_handshake_done(Session& s) {
  FrontendCounters& fc = counters_.frontends[s.frontend];
  (s.tls.resumed() ? fc.tls_handshakes_resumed : fc.tls_handshakes_full).increment();
  // The request's clock starts now: the handshake had its own timeout.
  s.accepted_us = s.start_us = s.last_activity_us = now_us_;
  arm(s, frontend(s).timeout_http_request_ms);
}

void HttpProxy::tls_failed(Session& s) {
  const TlsFailure why = s.tls.failure() != TlsFailure::none ? s.tls.failure() : TlsFailure::malformed_record;
  counters_.frontends[s.frontend].tls_failures[static_cast<std::size_t>(why)].increment();
  if (s.tls.handshake_done()) {
    // A bad record or a renegotiation on an established connection: the
    // exchange in progress (if any) ends as a client-side failure.
    fail(s, 'C', s.phase == Phase::request_head ? 'R' : 'D');
    return;
  }
  log_handshake_failure(s, why);
  // The alert is queued; close sends it, then FIN.
  close_client(s);
}

void HttpProxy::defer_handshake(Session& s) {
  if (s.handshake_waiting) return;
  counters_.frontends[s.frontend].tls_handshakes_deferred.increment();
  s.handshake_waiting = true;
  s.handshake_prev = handshakes_tail_;
  s.handshake_next = nullptr;
  (handshakes_tail_ != nullptr ? handshakes_tail_->handshake_next : handshakes_head_) = &s;
  handshakes_tail_ = &s;
}

void HttpProxy::undefer_handshake(Session& s) {
  if (!s.handshake_waiting) return;
  (s.handshake_prev != nullptr ? s.handshake_prev->handshake_next : handshakes_head_) = s.handshake_next;
  (s.handshake_next != nullptr ? s.handshake_next->handshake_prev : handshakes_tail_) = s.handshake_prev;
  s.handshake_waiting = false;
  s.handshake_prev = s.handshake_next = nullptr;
}

void HttpProxy::run_deferred_handshakes() {
  // Oldest first; what the budget does not cover waits for the next pass.
  while (handshakes_head_ != nullptr && handshake_budget_ > 0) {
    Session& s = *handshakes_head_;
    undefer_handshake(s);
    if (s.client_tcp == nullptr || !s.tls.active()) continue;
    if (tls_readable(s)) client_readable(s);
  }
}

void HttpProxy::detach_client(Session& s) {
  if (s.client_tcp != nullptr) s.client_tcp->user_data = nullptr;
  if (s.client == &s.tls) counters_.frontends[s.frontend].tls_sessions_current.subtract(1);
  s.client = nullptr;
  s.client_tcp = nullptr;
}

}  // namespace dplb::dataplane
