#include "controlplane/proxy/proxy_totals.h"

#include <algorithm>

namespace dplb::controlplane {
namespace {

void add_responses(ResponseCounts& to, const std::array<dataplane::Counter, dataplane::kStatusClasses>& from) {
  for (std::size_t i = 0; i < dataplane::kStatusClasses; ++i) to[i] += from[i].get();
}

}  // namespace

FrontendTotals frontend_totals(const WorkerCounters& workers, std::size_t f) {
  FrontendTotals t;
  for (const auto* w : workers) {
    if (f >= w->frontends.size()) continue;
    const auto& c = w->frontends[f];
    t.current += c.sessions_current.get();
    t.max = std::max(t.max, c.sessions_max.get());
    t.total += c.sessions_total.get();
    t.refused += c.sessions_refused.get();
    t.requests += c.requests.get();
    t.errors += c.request_errors.get();
    t.bytes_in += c.bytes_in.get();
    t.bytes_out += c.bytes_out.get();
    t.aborts += c.client_aborts.get();
    t.denied_requests += c.denied_requests.get();
    t.denied_responses += c.denied_responses.get();
    t.intercepted += c.intercepted.get();
    t.rewrite_failures += c.rewrite_failures.get();
    add_responses(t.responses, c.responses);
  }
  return t;
}

BackendTotals backend_totals(const WorkerCounters& workers, std::size_t b) {
  BackendTotals t;
  for (const auto* w : workers) {
    if (b >= w->backends.size()) continue;
    const auto& c = w->backends[b];
    t.requests += c.requests.get();
    t.queue += c.queue_current.get();
    t.queue_max = std::max(t.queue_max, c.queue_max.get());
    t.connect_errors += c.connect_errors.get();
    t.response_errors += c.response_errors.get();
    t.retries += c.retries.get();
    t.redispatches += c.redispatches.get();
    t.no_server += c.no_server.get();
    t.bytes_in += c.bytes_in.get();
    t.bytes_out += c.bytes_out.get();
    t.client_aborts += c.client_aborts.get();
    t.server_aborts += c.server_aborts.get();
    t.denied_requests += c.denied_requests.get();
    t.denied_responses += c.denied_responses.get();
    t.rewrite_failures += c.rewrite_failures.get();
    for (std::size_t i = 0; i < 4; ++i) t.l7_retries[i] += c.l7_retries[i].get();
    t.l7_retries_current += c.l7_retries_current.get();
    t.retry_budget_refusals += c.retry_budget_refusals.get();
    t.retry_too_large += c.retry_too_large.get();
    t.retry_non_idempotent += c.retry_non_idempotent.get();
    t.retry_body_incomplete += c.retry_body_incomplete.get();
    add_responses(t.responses, c.responses);
  }
  return t;
}

ServerTotals server_totals(const WorkerCounters& workers, std::size_t b, std::size_t s) {
  ServerTotals t;
  for (const auto* w : workers) {
    if (b >= w->servers.size() || s >= w->servers[b].size()) continue;
    const auto& c = w->servers[b][s];
    t.current += c.current.get();
    t.current_max = std::max(t.current_max, c.current_max.get());
    t.total += c.total.get();
    t.queue += c.queue_current.get();
    t.queue_max = std::max(t.queue_max, c.queue_max.get());
    t.connections += c.connections.get();
    t.reused += c.reused.get();
    t.idle += c.idle.get();
    t.connect_errors += c.connect_errors.get();
    t.response_errors += c.response_errors.get();
    t.retries += c.retries.get();
    t.bytes_in += c.bytes_in.get();
    t.bytes_out += c.bytes_out.get();
    t.server_aborts += c.server_aborts.get();
    t.last_request_us = std::max(t.last_request_us, c.last_request_us.get());
    add_responses(t.responses, c.responses);
  }
  return t;
}

ServerState server_state(const dataplane::ProxyBackend& backend, std::size_t s) {
  const auto& table = backend.table.servers();
  if (s >= table.size()) return {};
  return {table[s].usable, table[s].weight};
}

std::size_t usable_servers(const dataplane::ProxyBackend& backend) {
  const auto& table = backend.table.servers();
  return static_cast<std::size_t>(std::count_if(table.begin(), table.end(), [](const auto& s) { return s.usable; }));
}

namespace {

std::vector<uint64_t> sum_hits(const WorkerCounters& workers, std::size_t index, std::size_t rules,
                               std::vector<std::vector<dataplane::Counter>> dataplane::ProxyCounters::*table) {
  std::vector<uint64_t> hits(rules, 0);
  for (const auto* w : workers) {
    const auto& per = w->*table;
    if (index >= per.size()) continue;
    for (std::size_t r = 0; r < rules && r < per[index].size(); ++r) hits[r] += per[index][r].get();
  }
  return hits;
}

}  // namespace

std::vector<uint64_t> frontend_rule_hits(const WorkerCounters& workers, std::size_t frontend, std::size_t rules) {
  return sum_hits(workers, frontend, rules, &dataplane::ProxyCounters::frontend_rule_hits);
}

std::vector<uint64_t> backend_rule_hits(const WorkerCounters& workers, std::size_t backend, std::size_t rules) {
  return sum_hits(workers, backend, rules, &dataplane::ProxyCounters::backend_rule_hits);
}

}  // namespace dplb::controlplane
