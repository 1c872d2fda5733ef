// Layer-7 retries (HAProxy's retry-on): a request that reached a server
// whose answer never came, was not HTTP, timed out or carried a retryable
// status is sent again, to another server with redispatch, as long as no
// byte of a response has gone to the client. The request is kept as
// refcounted clones of its head mbufs, not copied.
//
// Stricter than HAProxy on purpose: methods that are not idempotent
// (RFC 9110 9.2.2) are never sent twice unless retry_non_idempotent says
// so, because a server that died after acting on a POST would act twice.

#include <rte_mbuf.h>

#include <algorithm>

#include "dataplane/proxy/http_proxy.h"

namespace dplb::dataplane {

bool HttpProxy::may_retry_l7(const Session& s) const {
  const ProxyBackend& be = backend(s);
  if (!be.retry_on.any_layer7() || be.retries == 0 || s.l7_retry_disabled) return false;
  // Only the head is kept: a request with a body is not replayed yet.
  if (!s.request_bodiless || s.pending_head == nullptr) return false;
  if (s.pending_head->pkt_len > be.retry_buffer) return false;
  if (s.request_idempotent) return true;
  switch (be.retry_non_idempotent) {
    case conf::RetryNonIdempotent::always: return true;
    case conf::RetryNonIdempotent::with_idempotency_key: return s.has_idempotency_key;
    case conf::RetryNonIdempotent::never: break;
  }
  return false;
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
  if (!s.l7_replay || s.replay == nullptr || s.response_head_done) return false;
  const ProxyBackend& be = backend(s);
  const conf::RetryOn& on = be.retry_on;
  const bool wanted = (cause == RetryCause::empty_response && on.empty_response) ||
                      (cause == RetryCause::junk_response && on.junk_response) ||
                      (cause == RetryCause::response_timeout && on.response_timeout) || cause == RetryCause::status;
  if (!wanted || s.retries >= be.retries) return false;
  ServerCounters& sc = server_counters(s.backend, s.server);
  // The failed attempt is the server's error (the passive health
  // observation and its counters see it), not the client's.
  sc.response_errors.increment();
  counters_.backends[s.backend].response_errors.increment();
  ++s.retries;
  sc.retries.increment();
  counters_.backends[s.backend].retries.increment();
  if (s.link != nullptr) close_link(*s.link, true);
  s.pending_head = s.replay;
  s.replay = nullptr;
  s.l7_replay = false;
  if (be.redispatch) {
    // Another server when the balancer has one: HAProxy redispatches an L7
    // retry the same way.
    counters_.backends[s.backend].redispatches.increment();
    release_slot(s);
    s.counted_on_server = false;
    s.phase = Phase::request_head;
    assign(s);
  } else {
    connect(s);
  }
  return true;
}

}  // namespace dplb::dataplane
