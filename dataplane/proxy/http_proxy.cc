#include "dataplane/proxy/http_proxy.h"

#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "dataplane/base/mbuf_chain.h"
#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/tcp/tcp_stack.h"

namespace dplb::dataplane {
namespace {

constexpr uint32_t kChunk = 256;
// Idle server connections are closed after this long, as HAProxy's
// pool-purge-delay default; and a server keeps at most this many idle
// connections per worker.
constexpr uint64_t kPoolIdleUs = 5'000'000;
constexpr uint32_t kPoolMaxIdle = 256;
constexpr uint32_t kRewriteCapacity = 32768;

}  // namespace

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
      rewrite_(std::make_unique<char[]>(kRewriteCapacity)) {
  balancers_.reserve(snapshot_->backends.size());
  for (std::size_t b = 0; b < snapshot_->backends.size(); ++b) {
    balancers_.emplace_back(seed + b * 0x9e3779b97f4a7c15ull);
    balancers_.back().adopt(&snapshot_->backends[b].table);
    server_queues_.emplace_back(snapshot_->backends[b].servers.size());
    pools_.emplace_back(snapshot_->backends[b].servers.size());
  }
  backend_queues_.resize(snapshot_->backends.size());
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
  s->frontend = static_cast<uint16_t>(fe);
  s->accepted_us = s->start_us = s->last_activity_us = now_us_;
  c.user_data = static_cast<Endpoint*>(s);
  ++frontend_sessions_[fe];
  fc.sessions_current.increment();
  fc.sessions_total.increment();
  fc.sessions_max.observe(frontend_sessions_[fe]);
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
    server_readable(*static_cast<ServerLink*>(e));
  } else {
    client_readable(*static_cast<Session*>(e));
  }
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
    server_gone(*link, reason);
  } else {
    client_gone(*static_cast<Session*>(e), reason);
  }
}

// ---- Sessions, links, buffers ----------------------------------------------

HttpProxy::Session* HttpProxy::new_session() {
  if (free_sessions_ == nullptr) {
    auto chunk = std::make_unique<Session[]>(kChunk);
    for (uint32_t i = kChunk; i-- > 0;) {
      chunk[i].timer.session = &chunk[i];
      chunk[i].next_free = free_sessions_;
      free_sessions_ = &chunk[i];
    }
    session_chunks_.push_back(std::move(chunk));
  }
  Session* s = free_sessions_;
  free_sessions_ = s->next_free;
  s->next_free = nullptr;
  s->free = false;
  ++live_sessions_;
  counters_.sessions.increment();
  return s;
}

void HttpProxy::release_resources(Session& s) {
  wheel_.cancel(s.timer);
  unqueue(s);
  release_slot(s);
  if (s.link != nullptr) close_link(*s.link, true);
  if (s.private_link != nullptr) close_link(*s.private_link, false);
  if (s.inbound != nullptr) rte_pktmbuf_free(s.inbound);
  if (s.pending_head != nullptr) rte_pktmbuf_free(s.pending_head);
  if (s.replay != nullptr) rte_pktmbuf_free(s.replay);
  s.inbound = s.pending_head = s.replay = nullptr;
  give_buffer(s.head);
}

void HttpProxy::free_session(Session& s) {
  release_resources(s);
  if (s.client != nullptr) s.client->user_data = nullptr;
  --frontend_sessions_[s.frontend];
  counters_.frontends[s.frontend].sessions_current.subtract(1);
  counters_.sessions.subtract(1);
  --live_sessions_;
  Session* keep = s.timer.session;
  s.~Session();
  new (&s) Session();
  s.timer.session = keep;
  s.next_free = free_sessions_;
  free_sessions_ = &s;
}

uint64_t HttpProxy::drain_client(Session& s) {
  uint64_t dropped = 0;
  while (s.client->readable() > 0) {
    uint32_t n = 0;
    rte_mbuf* m = s.client->read(UINT32_MAX, &n);
    if (m == nullptr) break;
    rte_pktmbuf_free(m);
    dropped += n;
  }
  return dropped;
}

void HttpProxy::end_session(Session& s) {
  if (s.client == nullptr) {
    free_session(s);
    return;
  }
  if (s.lingering) {  // the client closed, or the linger timer ran out
    drain_client(s);
    s.client->user_data = nullptr;
    s.client->close();
    s.client = nullptr;
    free_session(s);
    return;
  }
  // Closing a connection with unread bytes resets it (RFC 9293 3.10.4, as
  // Linux), and the reset throws away the answer still in the send queue:
  // an error page sent while a request body or a pipelined request was
  // still arriving would never be seen. So when the client may still be
  // sending, dplb half-closes instead and reads and drops what comes,
  // until the client closes too or the linger timer runs out.
  const bool unread = s.inbound != nullptr || (s.phase != Phase::request_head && !s.request_done);
  const bool more = drain_client(s) != 0 || unread;
  if (more && !s.client->end_of_stream()) {
    release_resources(s);
    s.phase = Phase::request_head;
    s.lingering = true;
    s.client->shutdown_write();
    // How long to drain: HAProxy's H1 mux gives a closing connection
    // `timeout client-fin`, and `timeout client` when that is not set
    // (h1c->shut_timeout in mux_h1.c); dplb has no client-fin setting, so
    // it is timeout_client.
    arm(s, frontend(s).timeout_client_ms);
    return;
  }
  s.client->user_data = nullptr;
  s.client->close();
  s.client = nullptr;
  free_session(s);
}

void HttpProxy::linger_readable(Session& s) {
  drain_client(s);
  if (s.client->end_of_stream()) end_session(s);
}

HttpProxy::ServerLink* HttpProxy::new_link() {
  if (free_links_ == nullptr) {
    auto chunk = std::make_unique<ServerLink[]>(kChunk);
    for (uint32_t i = kChunk; i-- > 0;) {
      chunk[i].is_server = true;
      chunk[i].next = free_links_;
      free_links_ = &chunk[i];
    }
    link_chunks_.push_back(std::move(chunk));
  }
  ServerLink* link = free_links_;
  free_links_ = link->next;
  link->next = nullptr;
  return link;
}

void HttpProxy::free_link(ServerLink& link) {
  if (link.in_pool) pool_remove(link);
  if (link.inbound != nullptr) rte_pktmbuf_free(link.inbound);
  give_buffer(link.head);
  link = ServerLink{};
  link.is_server = true;
  link.next = free_links_;
  free_links_ = &link;
}

void HttpProxy::close_link(ServerLink& link, bool abort) {
  if (link.session != nullptr) {
    if (link.session->link == &link) link.session->link = nullptr;
    if (link.session->private_link == &link) link.session->private_link = nullptr;
  }
  if (link.conn != nullptr) {
    link.conn->user_data = nullptr;
    // The side that closes first keeps TIME_WAIT, which on a connection to a
    // server holds one of the few local ports towards it (28232 by default,
    // for 60 s): one request per connection at a few thousand a second runs
    // out of them. So, as HAProxy (FD_LINGER_RISK on every server socket in
    // tcp_connect_server, cleared by conn_sock_read0 once the server's FIN
    // was read; SO_LINGER 0 on close otherwise), a server connection is only
    // closed gracefully after the server closed its side, which makes ours
    // the passive close; before that it is reset.
    if (abort || !link.conn->end_of_stream()) {
      link.conn->abort();
    } else {
      link.conn->close();
    }
  }
  free_link(link);
}

HttpProxy::HeadBuffer* HttpProxy::take_buffer() {
  if (free_buffers_ == nullptr) {
    buffers_.push_back(std::make_unique<HeadBuffer>());
    free_buffers_ = buffers_.back().get();
  }
  HeadBuffer* b = free_buffers_;
  free_buffers_ = b->next_free;
  b->next_free = nullptr;
  b->length = 0;
  return b;
}

void HttpProxy::give_buffer(HeadBuffer*& buffer) {
  if (buffer == nullptr) return;
  buffer->next_free = free_buffers_;
  free_buffers_ = buffer;
  buffer = nullptr;
}

rte_mbuf* HttpProxy::copy_to_mbufs(const char* data, uint32_t length) { return chain_from_bytes(data, length, pool_); }

// ---- Server slots and queues -----------------------------------------------

void HttpProxy::release_slot(Session& s) {
  if (!s.slot_taken) return;
  s.slot_taken = false;
  balancers_[s.backend].released(s.server);
  server_counters(s.backend, s.server).current.subtract(1);
  dequeue(s.backend, s.server);
}

void HttpProxy::enqueue(Session& s, bool on_server) {
  Queue& q = on_server ? server_queues_[s.backend][s.server] : backend_queues_[s.backend];
  s.queued_on_server = on_server;
  s.queue_prev = q.tail;
  s.queue_next = nullptr;
  if (q.tail != nullptr) {
    q.tail->queue_next = &s;
  } else {
    q.head = &s;
  }
  q.tail = &s;
  ++q.length;
  s.phase = Phase::queued;
  if (on_server) {
    ServerCounters& sc = server_counters(s.backend, s.server);
    sc.queue_current.increment();
    sc.queue_max.observe(q.length);
  } else {
    BackendCounters& bc = counters_.backends[s.backend];
    bc.queue_current.increment();
    bc.queue_max.observe(q.length);
  }
  arm(s, backend(s).timeout_queue_ms);
}

void HttpProxy::unqueue(Session& s) {
  if (s.phase != Phase::queued) return;
  Queue& q = s.queued_on_server ? server_queues_[s.backend][s.server] : backend_queues_[s.backend];
  if (s.queue_prev != nullptr) {
    s.queue_prev->queue_next = s.queue_next;
  } else {
    q.head = s.queue_next;
  }
  if (s.queue_next != nullptr) {
    s.queue_next->queue_prev = s.queue_prev;
  } else {
    q.tail = s.queue_prev;
  }
  s.queue_prev = s.queue_next = nullptr;
  --q.length;
  if (s.queued_on_server) {
    server_counters(s.backend, s.server).queue_current.subtract(1);
  } else {
    counters_.backends[s.backend].queue_current.subtract(1);
  }
  s.phase = Phase::request_head;  // neutral until the caller moves it on
}

void HttpProxy::dequeue(uint16_t b, uint16_t server) {
  BackendBalancer& balancer = balancers_[b];
  // Requests waiting for this very server first (their key chose it), then
  // any request of the backend, which the balancer places anew.
  Queue& sq = server_queues_[b][server];
  const auto& servers = snapshot_->backends[b].table.servers();
  const bool usable = server < servers.size() && servers[server].usable;
  while (usable && sq.head != nullptr && balancer.has_room(server)) {
    Session& s = *sq.head;
    unqueue(s);
    s.queue_done_us = now_us_;
    s.slot_taken = true;
    balancer.taken(server);
    ServerCounters& sc = server_counters(b, server);
    sc.current.increment();
    sc.current_max.observe(balancer.in_flight(server));
    connect(s);
  }
  Queue& bq = backend_queues_[b];
  while (bq.head != nullptr) {
    Session& s = *bq.head;
    const Pick pick = balancer.pick(s.key);
    if (pick.outcome != PickOutcome::server) break;
    unqueue(s);
    s.queue_done_us = now_us_;
    s.server = static_cast<uint16_t>(pick.server);
    s.slot_taken = true;
    balancer.taken(pick.server);
    ServerCounters& sc = server_counters(b, s.server);
    sc.current.increment();
    sc.current_max.observe(balancer.in_flight(s.server));
    connect(s);
  }
}

// As HAProxy's pendconn_redistribute (queue.c), called when a server goes
// down: with option redispatch the requests waiting for that server go to
// the backend's queue, which places them anew (after those already there:
// they keep no priority); without it they stay, and either the server comes
// back or timeout_queue answers 503 (sQ).
void HttpProxy::redistribute(uint16_t b, uint16_t server) {
  if (!snapshot_->backends[b].redispatch) return;
  Queue& sq = server_queues_[b][server];
  while (sq.head != nullptr) {
    Session& s = *sq.head;
    unqueue(s);
    counters_.backends[b].redispatches.increment();
    s.server = kNoIndex;
    enqueue(s, false);
  }
}

// ---- Server connection pools -----------------------------------------------

void HttpProxy::pool_push(ServerLink& link) {
  Pool& p = pools_[link.backend][link.server];
  if (p.length >= kPoolMaxIdle) {
    link.session = nullptr;
    close_link(link, false);
    return;
  }
  link.session = nullptr;
  link.in_pool = true;
  link.idle_since_us = now_us_;
  link.prev = p.tail;
  link.next = nullptr;
  if (p.tail != nullptr) {
    p.tail->next = &link;
  } else {
    p.head = &link;
  }
  p.tail = &link;
  ++p.length;
  server_counters(link.backend, link.server).idle.increment();
}

void HttpProxy::pool_remove(ServerLink& link) {
  Pool& p = pools_[link.backend][link.server];
  if (link.prev != nullptr) {
    link.prev->next = link.next;
  } else {
    p.head = link.next;
  }
  if (link.next != nullptr) {
    link.next->prev = link.prev;
  } else {
    p.tail = link.prev;
  }
  link.prev = link.next = nullptr;
  link.in_pool = false;
  --p.length;
  server_counters(link.backend, link.server).idle.subtract(1);
}

HttpProxy::ServerLink* HttpProxy::pool_pop(uint16_t b, uint16_t server) {
  Pool& p = pools_[b][server];
  // The most recently used connection is the least likely to have been
  // closed by the server's own keep-alive timeout.
  ServerLink* link = p.tail;
  if (link == nullptr) return nullptr;
  pool_remove(*link);
  return link;
}

void HttpProxy::purge_pools() {
  for (auto& backend_pools : pools_) {
    for (Pool& p : backend_pools) {
      while (p.head != nullptr && now_us_ - p.head->idle_since_us >= kPoolIdleUs) close_link(*p.head, false);
    }
  }
}

// ---- Timers ----------------------------------------------------------------

void HttpProxy::arm(Session& s, uint32_t timeout_ms) {
  wheel_.schedule(s.timer, now_us_ / 1000 + std::max<uint32_t>(timeout_ms, 1));
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
