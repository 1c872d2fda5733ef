// Where a request goes: the balancer's pick, the server slots that
// maxconn limits, and the backend and server queues of requests waiting
// for a slot.

#include "dataplane/proxy/http_proxy.h"

namespace dplb::dataplane {

void HttpProxy::assign(Session& s) {
  BackendBalancer& balancer = balancers_[s.backend];
  const ServerSet avoid = s.failed_servers;
  Pick pick = balancer.pick(s.key, avoid);
  // A retry after a failure: another pick while the balancer has another
  // server to give (hashes already moved on to the key's next server).
  const std::size_t servers = backend(s).servers.size();
  for (std::size_t k = 1; avoid != 0 && k < servers && pick.outcome == PickOutcome::server &&
                          server_set_has(avoid, pick.server);
       ++k) {
    pick = balancer.pick(s.key);
  }
  switch (pick.outcome) {
    case PickOutcome::server:
      dispatch(s, static_cast<uint16_t>(pick.server));
      return;
    case PickOutcome::queue_server:
      s.server = static_cast<uint16_t>(pick.server);
      enqueue(s, true);
      return;
    case PickOutcome::queue_backend:
      enqueue(s, false);
      return;
    case PickOutcome::no_server:
      counters_.backends[s.backend].no_server.increment();
      reply_error(s, 503, 'S', 'C');
      return;
  }
}

void HttpProxy::dispatch(Session& s, uint16_t server) {
  BackendBalancer& balancer = balancers_[s.backend];
  s.server = server;
  s.queue_done_us = now_us_;
  s.slot_taken = true;
  balancer.taken(server);
  ServerCounters& sc = server_counters(s.backend, server);
  sc.current.increment();
  sc.current_max.observe(balancer.in_flight(server));
  connect(s);
}

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

}  // namespace dplb::dataplane
