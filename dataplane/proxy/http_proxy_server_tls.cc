// TLS on connections to servers ("HTTPS end to end"): the handshake after
// TCP is up, what it counts per server, and the session kept per server to
// resume the next connection with. Once established the link reads and
// writes its TlsStream like any ByteStream.
//
// A handshake that fails is a connection error, as HAProxy counts it:
// retried (and redispatched) like a refused connection, 503 at the end.

#include <openssl/ssl.h>

#include "dataplane/proxy/http_proxy.h"
#include "dataplane/tcp/tcp_connection.h"

namespace dplb::dataplane {

std::string_view HttpProxy::server_sni(uint16_t backend, uint16_t server) const {
  if (backend >= snapshot_->backends.size() || server >= snapshot_->backends[backend].servers.size()) return {};
  return snapshot_->backends[backend].servers[server].sni;
}

bool HttpProxy::start_server_tls(ServerLink& link) {
  Session& s = *link.session;
  ServerCounters& sc = server_counters(link.backend, link.server);
  SSL_CTX* context = tls_ != nullptr ? tls_->server(link.backend, link.server) : nullptr;
  const ProxyServer& server = backend(s).servers[link.server];
  SSL_SESSION* resume = server_sessions_[link.backend][link.server];
  if (context == nullptr || !link.tls.connect(*link.conn, context, pool_, server.sni, resume)) {
    // No context (cannot happen after a clean boot), OpenSSL out of
    // memory, or the ClientHello could not be queued.
    sc.tls_failures[static_cast<std::size_t>(TlsFailure::internal)].increment();
    close_link(link, true);
    connect_failed(s, false);
    return false;
  }
  link.stream = &link.tls;
  return true;
}

bool HttpProxy::server_tls_readable(ServerLink& link) {
  const bool was_done = link.tls.handshake_done();
  switch (link.tls.transport_readable()) {
    case TlsStream::Progress::handshaking:
      return false;
    case TlsStream::Progress::failed:
      server_tls_failed(link);
      return false;
    case TlsStream::Progress::open:
      break;
  }
  if (was_done) return true;
  ServerCounters& sc = server_counters(link.backend, link.server);
  (link.tls.resumed() ? sc.tls_handshakes_resumed : sc.tls_handshakes_full).increment();
  remember_server_session(link);
  Session* s = link.session;
  if (s == nullptr || s->link != &link || s->phase != Phase::connecting) {
    close_link(link, false);
    return false;
  }
  link.connected = true;
  s->connect_done_us = now_us_;
  send_request(*s);
  return false;  // nothing from the server before the request
}

void HttpProxy::server_tls_failed(ServerLink& link) {
  const TlsFailure why = link.tls.failure() != TlsFailure::none ? link.tls.failure() : TlsFailure::malformed_record;
  server_counters(link.backend, link.server).tls_failures[static_cast<std::size_t>(why)].increment();
  Session* s = link.session;
  if (!link.connected) {
    // A session that resumed badly must not be offered again.
    SSL_SESSION*& kept = server_sessions_[link.backend][link.server];
    if (kept != nullptr) {
      SSL_SESSION_free(kept);
      kept = nullptr;
    }
    if (s != nullptr && s->link == &link && s->phase == Phase::connecting) {
      close_link(link, true);
      connect_failed(*s, false);
      return;
    }
    close_link(link, true);
    return;
  }
  // A bad record from an established server: its exchange ends as if the
  // server had reset the connection.
  server_gone(link, TcpCloseReason::reset);
}

void HttpProxy::remember_server_session(ServerLink& link) {
  if (!link.tls.active() || !link.tls.handshake_done() || link.tls.failure() != TlsFailure::none) return;
  SSL_SESSION* current = SSL_get_session(link.tls.ssl());
  if (current == nullptr || SSL_SESSION_is_resumable(current) != 1) return;
  // A copy, not another reference: OpenSSL marks a connection's session
  // not resumable when the connection ends without close_notify (an abort,
  // a server that just closes), and that would reach the kept one.
  SSL_SESSION* copy = SSL_SESSION_dup(current);
  if (copy == nullptr) return;
  SSL_SESSION*& kept = server_sessions_[link.backend][link.server];
  if (kept != nullptr) SSL_SESSION_free(kept);
  kept = copy;
}

void HttpProxy::forget_server_sessions() {
  for (auto& backend : server_sessions_) {
    for (SSL_SESSION*& session : backend) {
      if (session != nullptr) SSL_SESSION_free(session);
      session = nullptr;
    }
  }
}

}  // namespace dplb::dataplane
