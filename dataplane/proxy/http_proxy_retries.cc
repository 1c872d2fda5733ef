// Layer-7 retries (HAProxy's retry-on): a request that reached a server
// whose answer never came, was not HTTP, timed out or carried a retryable
// status is sent again, to another server with redispatch, as long as no
// byte of a response has gone to the client. The request is kept as
// refcounted clones of its mbufs (the rewritten head, then the body as it
// goes to the server), not copied, up to retry_buffer.
//
// Stricter than HAProxy on purpose: methods that are not idempotent
// (RFC 9110 9.2.2) are never sent twice unless retry_non_idempotent says
// so, because a server that died after acting on a POST would act twice.

#include <rte_mbuf.h>

#include <algorithm>

#include "dataplane/base/mbuf_chain.h"
#include "dataplane/proxy/http_proxy.h"

namespace dplb::dataplane {

HttpProxy::RetryRefusal HttpProxy::retry_refusal(const Session& s) const {
  const ProxyBackend& be = backend(s);
  if (!be.retry_on.any_layer7() || be.retries == 0) return RetryRefusal::not_configured;
  if (s.l7_retry_disabled) return RetryRefusal::disabled;
  if (s.pending_head == nullptr) return RetryRefusal::not_configured;
  if (s.pending_head->pkt_len + s.request_content_length > be.retry_buffer) return RetryRefusal::too_large;
  if (s.request_idempotent) return RetryRefusal::none;
  switch (be.retry_non_idempotent) {
    case conf::RetryNonIdempotent::always: return RetryRefusal::none;
    case conf::RetryNonIdempotent::with_idempotency_key:
      return s.has_idempotency_key ? RetryRefusal::none : RetryRefusal::non_idempotent;
    case conf::RetryNonIdempotent::never: break;
  }
  return RetryRefusal::non_idempotent;
}

bool HttpProxy::retry_budget_allows(const Session& s) const {
  if (s.l7_retrying) return true;  // already counted: its next try is not a new retry in progress
  const ProxyBackend& be = backend(s);
  const BackendBalancer& balancer = balancers_[s.backend];
  uint64_t in_flight = 0;
  for (std::size_t i = 0; i < be.servers.size(); ++i) in_flight += balancer.in_flight(static_cast<uint32_t>(i));
  const uint64_t share = in_flight * be.retry_budget.percent / 100;
  const uint64_t allowed = std::max<uint64_t>(share, be.retry_budget.min_concurrent);
  return counters_.backends[s.backend].l7_retries_current.get() < allowed;
}

void HttpProxy::end_l7_retry(Session& s) {
  if (!s.l7_retrying) return;
  s.l7_retrying = false;
  if (s.backend != kNoIndex) counters_.backends[s.backend].l7_retries_current.subtract(1);
}

bool HttpProxy::retryable_status(const Session& s, uint16_t status) const {
  if (status < 400) return false;
  for (uint16_t r : backend(s).retry_on.statuses) {
    if (r == status) return true;
  }
  return false;
}

uint32_t HttpProxy::server_timeout_ms(const Session& s) const {
  const ProxyBackend& be = backend(s);
  // timeout_per_try bounds each attempt's wait for the response head.
  if (be.timeout_per_try_ms != 0 && !s.response_head_done) return std::min(be.timeout_per_try_ms, be.timeout_server_ms);
  return be.timeout_server_ms;
}

bool HttpProxy::l7_retry(Session& s, RetryCause cause) {
  if (s.response_head_done || s.backend == kNoIndex) return false;
  const ProxyBackend& be = backend(s);
  const conf::RetryOn& on = be.retry_on;
  const bool wanted = (cause == RetryCause::empty_response && on.empty_response) ||
                      (cause == RetryCause::junk_response && on.junk_response) ||
                      (cause == RetryCause::response_timeout && on.response_timeout) || cause == RetryCause::status;
  if (!wanted) return false;
  BackendCounters& bc = counters_.backends[s.backend];
  if (!s.l7_replay || s.replay == nullptr) {
    // A failure retry_on covers, of a request that was not kept: say why.
    switch (static_cast<RetryRefusal>(s.retry_refusal)) {
      case RetryRefusal::too_large: bc.retry_too_large.increment(); break;
      case RetryRefusal::non_idempotent: bc.retry_non_idempotent.increment(); break;
      case RetryRefusal::body_incomplete: bc.retry_body_incomplete.increment(); break;
      default: break;
    }
    return false;
  }
  if (!s.request_done) {
    // The body was still arriving: what has not come yet cannot be sent
    // again, and waiting for it would hold a dead exchange open.
    bc.retry_body_incomplete.increment();
    return false;
  }
  if (s.retries >= be.retries) return false;
  if (!retry_budget_allows(s)) {
    bc.retry_budget_refusals.increment();
    return false;
  }
  if (!s.l7_retrying) {
    s.l7_retrying = true;
    bc.l7_retries_current.increment();
  }
  ServerCounters& sc = server_counters(s.backend, s.server);
  // The failed attempt is the server's error (the passive health
  // observation and its counters see it), not the client's.
  sc.response_errors.increment();
  bc.response_errors.increment();
  ++s.retries;
  sc.retries.increment();
  bc.retries.increment();
  bc.l7_retries[static_cast<std::size_t>(cause)].increment();
  if (s.link != nullptr) close_link(*s.link, true);
  s.pending_head = s.replay;
  s.replay = nullptr;
  s.l7_replay = false;
  // Not this server again for this request (a hash's next server, or any
  // other the balancer picks), as long as there is another.
  s.failed_servers = server_set_with(s.failed_servers, s.server);
  const uint32_t wait_us = retry_backoff_us(s);
  if (wait_us != 0) {
    // The timer's retry_wait picks up from here (redispatching then).
    s.phase = Phase::retry_wait;
    s.redispatch = be.redispatch;
    arm(s, (wait_us + 999) / 1000);
    return true;
  }
  if (be.redispatch) {
    // Another server when the balancer has one (HAProxy redispatches an L7
    // retry the same way), and not one that already failed it.
    s.redispatched = true;
    bc.redispatches.increment();
    release_slot(s);
    s.counted_on_server = false;
    s.phase = Phase::request_head;
    assign(s);
  } else {
    connect(s);
  }
  return true;
}

uint32_t HttpProxy::retry_backoff_us(const Session& s) {
  const ProxyBackend& be = backend(s);
  if (be.retry_backoff_base_us == 0) return 0;
  const uint32_t shift = std::min<uint32_t>(s.retries > 0 ? s.retries - 1 : 0, 20);
  const uint64_t ceiling = std::min<uint64_t>(uint64_t{be.retry_backoff_base_us} << shift, be.retry_backoff_max_us);
  // splitmix64: cheap, and the draws of one worker need no more.
  uint64_t z = (backoff_random_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<uint32_t>(z % (ceiling + 1));
}

void HttpProxy::keep_for_replay(Session& s, rte_mbuf* body) {
  const uint32_t cap = backend(s).retry_buffer;
  rte_mbuf* kept = s.replay;
  const bool fits =
      kept->pkt_len + body->pkt_len <= cap && uint32_t{kept->nb_segs} + body->nb_segs <= replay_segments(cap);
  rte_mbuf* clone = fits ? rte_pktmbuf_clone(body, pool_) : nullptr;
  if (clone == nullptr) {
    rte_pktmbuf_free(kept);
    s.replay = nullptr;
    s.l7_replay = false;
    s.retry_refusal = static_cast<uint8_t>(RetryRefusal::too_large);
    return;
  }
  chain_append(kept, clone);
}

}  // namespace dplb::dataplane
