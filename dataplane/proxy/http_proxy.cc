// The proxy's frame: construction, snapshots, the TcpApplication callbacks
// that route each connection's events to its session or server link, and
// the `show sess` listing. What happens next lives in the http_proxy_*.cc
// files named in http_proxy.h.

#include "dataplane/proxy/http_proxy.h"

#include <rte_mbuf.h>

#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/tcp/tcp_stack.h"

namespace dplb::dataplane {

HttpProxy::HttpProxy(TcpStack& stack, rte_mempool* pool, const ProxySnapshot* snapshot, ProxyCounters& counters,
                     AccessLogRing* log, uint64_t seed)
    : stack_(stack),
      pool_(pool),
      snapshot_(snapshot),
      counters_(counters),
      log_(log),
      client_options_(stack.settings().defaults),
      server_options_(stack.settings().defaults),
      now_us_(stack.now_us()),
      wheel_(stack.now_us() / 1000),
      request_head_(std::make_unique<HttpRequestHead>()),
      response_head_(std::make_unique<HttpResponseHead>()),
      rewrite_(std::make_unique<char[]>(kRewriteCapacity)),
      rules_(std::make_unique<rules::HttpRuleRunner>()),
      backoff_random_(seed ^ 0x6a09e667f3bcc909ull) {
  // The worker pool sizes these before any worker runs; a proxy built
  // alone (tests, benchmarks) sizes them itself.
  if (counters_.frontend_rule_hits.size() != snapshot_->frontends.size() ||
      counters_.backend_rule_hits.size() != snapshot_->backends.size()) {
    size_rule_hits(*snapshot_, counters_);
  }
  balancers_.reserve(snapshot_->backends.size());
  for (std::size_t b = 0; b < snapshot_->backends.size(); ++b) {
    balancers_.emplace_back(seed + b * 0x9e3779b97f4a7c15ull);
    balancers_.back().adopt(&snapshot_->backends[b].table);
    server_queues_.emplace_back(snapshot_->backends[b].servers.size());
    pools_.emplace_back(snapshot_->backends[b].servers.size());
  }
  backend_queues_.resize(snapshot_->backends.size());
  for (const ProxyBackend& b : snapshot_->backends) server_sessions_.emplace_back(b.servers.size(), nullptr);
  frontend_sessions_.resize(snapshot_->frontends.size());
}

HttpProxy::~HttpProxy() {
  // The stack is gone (or aborting everything) by now; what is left are
  // mbufs and buffers this proxy still holds.
  for (auto& chunk : session_chunks_) {
    for (uint32_t i = 0; i < kChunk; ++i) {
      Session& s = chunk[i];
      if (s.inbound != nullptr) rte_pktmbuf_free(s.inbound);
      if (s.pending_head != nullptr) rte_pktmbuf_free(s.pending_head);
      if (s.replay != nullptr) rte_pktmbuf_free(s.replay);
      s.inbound = s.pending_head = s.replay = nullptr;
    }
  }
  for (auto& chunk : link_chunks_) {
    for (uint32_t i = 0; i < kChunk; ++i) {
      if (chunk[i].inbound != nullptr) rte_pktmbuf_free(chunk[i].inbound);
      chunk[i].inbound = nullptr;
    }
  }
  forget_server_sessions();
}

bool HttpProxy::start() {
  bool ok = true;
  for (uint16_t port : snapshot_->listen_ports()) ok = stack_.listen(port, this, client_options_) && ok;
  return ok;
}

void HttpProxy::adopt(const ProxySnapshot* snapshot) {
  snapshot_ = snapshot;
  for (std::size_t b = 0; b < balancers_.size() && b < snapshot->backends.size(); ++b) {
    balancers_[b].adopt(&snapshot->backends[b].table);
    const auto& servers = snapshot->backends[b].table.servers();
    // A server that went down (or to maintenance, or drain) first: its
    // queue must not be served by connecting to it.
    for (std::size_t s = 0; s < servers.size(); ++s) {
      if (!servers[s].usable) redistribute(static_cast<uint16_t>(b), static_cast<uint16_t>(s));
    }
    // A server may have become usable, or a weight grown: waiting requests
    // get another chance.
    for (std::size_t s = 0; s < servers.size(); ++s) {
      dequeue(static_cast<uint16_t>(b), static_cast<uint16_t>(s));
    }
  }
}

void HttpProxy::poll(uint64_t now_us) {
  now_us_ = now_us;
  wheel_.advance(now_us / 1000, [this](Timer& t) { timer_fired(*static_cast<SessionTimer&>(t).session); });
  handshake_budget_ = kHandshakesPerPass;
  run_deferred_handshakes();
  if (now_us - last_purge_us_ >= 1'000'000) {
    last_purge_us_ = now_us;
    purge_pools();
  }
}

// ---- TcpApplication -------------------------------------------------------

void HttpProxy::on_accepted(TcpConnection& c) {
  now_us_ = stack_.now_us();
  const int fe = snapshot_->frontend_for(c.tuple().local_address, c.tuple().local_port);
  if (fe < 0) {
    c.abort();
    return;
  }
  FrontendCounters& fc = counters_.frontends[fe];
  const ProxyFrontend& f = snapshot_->frontends[fe];
  Session* s = f.maxconn != 0 && frontend_sessions_[fe] >= f.maxconn ? nullptr : new_session();
  if (s == nullptr) {
    fc.sessions_refused.increment();
    c.abort();
    return;
  }
  s->client = &c;
  s->client_tcp = &c;
  s->frontend = static_cast<uint16_t>(fe);
  s->accepted_us = s->start_us = s->last_activity_us = now_us_;
  c.user_data = static_cast<Endpoint*>(s);
  ++frontend_sessions_[fe];
  fc.sessions_current.increment();
  fc.sessions_total.increment();
  fc.sessions_max.observe(frontend_sessions_[fe]);
  if (snapshot_->is_tls_bind(fe, c.tuple().local_address, c.tuple().local_port)) {
    if (!start_tls(*s, c)) return;
    arm(*s, f.timeout_handshake_ms);
    return;
  }
  arm(*s, f.timeout_http_request_ms);
}

void HttpProxy::on_connected(TcpConnection& c) {
  now_us_ = stack_.now_us();
  auto* link = static_cast<ServerLink*>(static_cast<Endpoint*>(c.user_data));
  connected(*link);
}

void HttpProxy::on_readable(TcpConnection& c) {
  now_us_ = stack_.now_us();
  auto* e = static_cast<Endpoint*>(c.user_data);
  if (e == nullptr) return;
  if (e->is_server) {
    auto& link = *static_cast<ServerLink*>(e);
    if (link.tls.active() && !server_tls_readable(link)) return;
    server_readable(link);
    return;
  }
  Session& s = *static_cast<Session*>(e);
  if (s.tls.active() && !tls_readable(s)) return;
  client_readable(s);
}

void HttpProxy::on_writable(TcpConnection& c) {
  now_us_ = stack_.now_us();
  auto* e = static_cast<Endpoint*>(c.user_data);
  if (e == nullptr) return;
  // Room on one side lets the other side's bytes move again.
  if (e->is_server) {
    Session* s = static_cast<ServerLink*>(e)->session;
    if (s == nullptr || s->link != static_cast<ServerLink*>(e)) return;
    if (s->phase == Phase::tunnel) {
      pump_tunnel(*s);
    } else if (s->phase == Phase::exchanging && !s->request_done) {
      pump_request_body(*s);
    }
    return;
  }
  Session& s = *static_cast<Session*>(e);
  if (s.phase == Phase::tunnel) {
    pump_tunnel(s);
  } else if (s.phase == Phase::exchanging && s.response_head_done && !s.response_done) {
    pump_response_body(s);
  }
}

void HttpProxy::on_closed(TcpConnection& c, TcpCloseReason reason) {
  now_us_ = stack_.now_us();
  auto* e = static_cast<Endpoint*>(c.user_data);
  c.user_data = nullptr;
  if (e == nullptr) return;
  if (e->is_server) {
    auto* link = static_cast<ServerLink*>(e);
    link->conn = nullptr;  // the handle dies when this returns
    if (link->tls.active()) {
      if (!link->connected) {
        server_counters(link->backend, link->server)
            .tls_failures[static_cast<std::size_t>(TlsFailure::peer_closed)]
            .increment();
      }
      remember_server_session(*link);
      link->tls.transport_closed();
    }
    link->stream = nullptr;
    server_gone(*link, reason);
  } else {
    Session& s = *static_cast<Session*>(e);
    if (s.tls.active()) {
      if (!s.tls.handshake_done()) {
        counters_.frontends[s.frontend].tls_failures[static_cast<std::size_t>(TlsFailure::peer_closed)].increment();
        log_handshake_failure(s, TlsFailure::peer_closed);
      }
      counters_.frontends[s.frontend].tls_sessions_current.subtract(1);
      s.tls.transport_closed();
    }
    client_gone(s, reason);
  }
}


// ---- show sess -------------------------------------------------------------

uint32_t HttpProxy::write_sessions(ProxySessionInfo* out, uint32_t capacity) const {
  uint32_t n = 0;
  for (const auto& chunk : session_chunks_) {
    for (uint32_t i = 0; i < kChunk && n < capacity; ++i) {
      const Session& s = chunk[i];
      if (s.free || s.client == nullptr) continue;
      ProxySessionInfo& info = out[n++];
      const FourTuple& t = s.client->tuple();
      info.client_address = t.remote_address;
      info.client_port = t.remote_port;
      info.local_address = t.local_address;
      info.local_port = t.local_port;
      info.frontend = s.frontend;
      info.backend = s.backend;
      info.server = s.server;
      info.phase = static_cast<uint8_t>(s.phase);
      info.requests = s.requests;
      info.age_ms = (now_us_ - s.accepted_us) / 1000;
      info.idle_ms = (now_us_ - s.last_activity_us) / 1000;
      info.bytes_in = s.total_bytes_in;
      info.bytes_out = s.total_bytes_out;
    }
  }
  return n;
}

}  // namespace dplb::dataplane
