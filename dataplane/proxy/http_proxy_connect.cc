// Opening a server connection or reusing one, connection retries, and a
// server connection that closes under its exchange.

#include <rte_mbuf.h>

#include <algorithm>

#include "dataplane/proxy/http_proxy.h"
#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/tcp/tcp_stack.h"

namespace dplb::dataplane {
namespace {

// HAProxy waits min(timeout connect, 1 s) before trying a server again, so
// a restarting server is not hammered.
constexpr uint32_t kTurnAroundMs = 1000;

}  // namespace

void HttpProxy::connect(Session& s) {
  const ProxyBackend& be = backend(s);
  ServerCounters& sc = server_counters(s.backend, s.server);
  ServerLink* link = reusable_link(s);
  if (link != nullptr) {
    link->session = &s;
    s.link = link;
    s.connect_done_us = now_us_;
    sc.reused.increment();
    // Kept for a replay only when sending it twice is harmless: HAProxy
    // never sends a request again once a connection to the server was
    // established (`retries` counts connection attempts; L7 retries are
    // opt-in), so dplb's replay is limited to what RFC 9110 9.2.2 allows.
    if (s.request_done && s.request_idempotent && !s.l7_retry_disabled && s.pending_head != nullptr) {
      s.replay = rte_pktmbuf_clone(s.pending_head, pool_);
      s.replay_on_reuse = s.replay != nullptr;
    }
    send_request(s);
    return;
  }
  const ProxyServer& server = be.servers[s.server];
  TcpConnection* conn = stack_.connect(server.address, server.port, this, server_options_);
  if (conn == nullptr) {
    connect_failed(s, false);
    return;
  }
  sc.connections.increment();
  link = new_link();
  link->conn = conn;
  link->stream = conn;
  link->backend = s.backend;
  link->server = s.server;
  link->session = &s;
  conn->user_data = static_cast<Endpoint*>(link);
  s.link = link;
  s.phase = Phase::connecting;
  arm(s, be.timeout_connect_ms);
}

HttpProxy::ServerLink* HttpProxy::reusable_link(Session& s) {
  const ProxyBackend& be = backend(s);
  ServerLink* link = nullptr;
  if (s.private_link != nullptr) {
    if (s.private_link->server == s.server && s.private_link->backend == s.backend) {
      link = s.private_link;
      s.private_link = nullptr;
    } else {
      close_link(*s.private_link, false);
    }
  }
  // http-reuse safe: a connection's first request never rides on a shared
  // connection; always: any request may.
  const bool may_share = be.reuse == conf::HttpReuse::always || (be.reuse == conf::HttpReuse::safe && s.requests > 1);
  if (link == nullptr && may_share && s.replay == nullptr) link = pool_pop(s.backend, s.server);
  return link;
}

void HttpProxy::connected(ServerLink& link) {
  Session* s = link.session;
  if (s == nullptr || s->link != &link || s->phase != Phase::connecting) {
    close_link(link, false);
    return;
  }
  // TLS first, when the server has it: the request waits for the
  // handshake, still under timeout_connect (as HAProxy counts it).
  if (!link.tls.active() && link.stream == link.conn && backend(*s).servers[link.server].tls) {
    start_server_tls(link);
    return;
  }
  link.connected = true;
  s->connect_done_us = now_us_;
  send_request(*s);
}

void HttpProxy::connect_failed(Session& s, bool timed_out) {
  const ProxyBackend& be = backend(s);
  server_counters(s.backend, s.server).connect_errors.increment();
  counters_.backends[s.backend].connect_errors.increment();
  if (s.link != nullptr) close_link(*s.link, true);
  if (s.retries < be.retries) {
    ++s.retries;
    server_counters(s.backend, s.server).retries.increment();
    counters_.backends[s.backend].retries.increment();
    // As HAProxy's `option redispatch <interval>`: by default the last
    // retry goes elsewhere, and not to the server that just failed (HAProxy
    // hands its balancers the previous server to avoid). Going elsewhere
    // needs no turn-around: that wait is for a server restarting.
    const int32_t every = be.redispatch_interval;
    const int64_t due = every > 0 ? every : int64_t{be.retries} + 1 + every;
    s.redispatch = be.redispatch && due > 0 && s.retries % due == 0;
    s.phase = Phase::retry_wait;
    if (s.redispatch) {
      s.failed_servers = server_set_with(s.failed_servers, s.server);
      arm(s, 0);
      return;
    }
    arm(s, std::min(be.timeout_connect_ms, kTurnAroundMs));
    return;
  }
  reply_error(s, 503, timed_out ? 's' : 'S', 'C');
}

void HttpProxy::server_gone(ServerLink& link, TcpCloseReason reason) {
  Session* s = link.session;
  if (s == nullptr || s->link != &link) {
    close_link(link, false);
    return;
  }
  Session& session = *s;
  const bool abort = reason != TcpCloseReason::finished;
  if (session.phase == Phase::connecting) {
    // Refused, or the SYNs went unanswered.
    close_link(link, true);
    connect_failed(session, reason == TcpCloseReason::timed_out);
    return;
  }
  if (session.phase == Phase::tunnel) {
    if (abort) {
      // A reset is not an end of stream: the client must not take what it
      // got for everything, so it is reset too (SD, as HAProxy).
      server_counters(session.backend, session.server).server_aborts.increment();
      counters_.backends[session.backend].server_aborts.increment();
      fail(session, 'S', 'D');
      return;
    }
    close_link(link, false);
    log_exchange(session);
    end_session(session);
    return;
  }
  if (!session.response_head_done) {
    const bool answered = (link.head != nullptr && link.head->length != 0) || link.inbound != nullptr;
    if (l7_retry(session, answered ? RetryCause::junk_response : RetryCause::empty_response)) return;
    if (session.replay != nullptr && session.replay_on_reuse && !answered) {
      replay_request(session, link);
      return;
    }
    ServerCounters& sc = server_counters(session.backend, session.server);
    sc.server_aborts.increment();
    sc.response_errors.increment();
    counters_.backends[session.backend].server_aborts.increment();
    counters_.backends[session.backend].response_errors.increment();
    close_link(link, abort);
    reply_error(session, 502, 'S', 'H');
    return;
  }
  // The response had started: what the client got is all it gets.
  server_counters(session.backend, session.server).server_aborts.increment();
  counters_.backends[session.backend].server_aborts.increment();
  fail(session, 'S', 'D');
}

// A reused connection the server had already given up on: the request
// goes again, on another connection to the same server. The attempt
// counts as a retry there, not as a second request or an error.
void HttpProxy::replay_request(Session& s, ServerLink& link) {
  close_link(link, true);
  ++s.retries;
  server_counters(s.backend, s.server).retries.increment();
  counters_.backends[s.backend].retries.increment();
  s.pending_head = s.replay;
  s.replay = nullptr;
  s.replay_on_reuse = s.l7_replay = false;
  connect(s);
}

}  // namespace dplb::dataplane
