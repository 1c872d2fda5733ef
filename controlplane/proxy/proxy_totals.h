#pragma once

// The workers' proxy counters of one frontend, backend or server, summed
// over workers (maxima: the largest worker's, see proxy_report.h), and
// what the current snapshot says of a server. The inputs of every proxy
// report.

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dataplane/proxy/proxy_counters.h"
#include "dataplane/proxy/proxy_snapshot.h"

namespace dplb::controlplane {

using ResponseCounts = std::array<uint64_t, dataplane::kStatusClasses>;
using WorkerCounters = std::vector<const dataplane::ProxyCounters*>;

struct FrontendTotals {
  uint64_t current = 0, max = 0, total = 0, refused = 0, requests = 0, errors = 0, bytes_in = 0, bytes_out = 0,
           aborts = 0;
  uint64_t denied_requests = 0, denied_responses = 0, intercepted = 0, rewrite_failures = 0;
  ResponseCounts responses{};
};

struct BackendTotals {
  uint64_t requests = 0, queue = 0, queue_max = 0, connect_errors = 0, response_errors = 0, retries = 0,
           redispatches = 0, no_server = 0, bytes_in = 0, bytes_out = 0, client_aborts = 0, server_aborts = 0;
  uint64_t denied_requests = 0, denied_responses = 0, rewrite_failures = 0;
  // Layer-7 retries by cause (empty-response, junk-response,
  // response-timeout, status) and the ones not made, by reason.
  uint64_t l7_retries[4] = {0, 0, 0, 0};
  uint64_t l7_retries_current = 0, retry_budget_refusals = 0, retry_too_large = 0, retry_non_idempotent = 0,
           retry_body_incomplete = 0;
  ResponseCounts responses{};
};

struct ServerTotals {
  uint64_t current = 0, current_max = 0, total = 0, queue = 0, queue_max = 0, connections = 0, reused = 0, idle = 0,
           connect_errors = 0, response_errors = 0, retries = 0, bytes_in = 0, bytes_out = 0, server_aborts = 0,
           last_request_us = 0;
  ResponseCounts responses{};
};

FrontendTotals frontend_totals(const WorkerCounters& workers, std::size_t frontend);
BackendTotals backend_totals(const WorkerCounters& workers, std::size_t backend);
ServerTotals server_totals(const WorkerCounters& workers, std::size_t backend, std::size_t server);

// How often each rule of a frontend's or backend's HttpRuleSet applied,
// summed over workers, in the set's order.
std::vector<uint64_t> frontend_rule_hits(const WorkerCounters& workers, std::size_t frontend, std::size_t rules);
std::vector<uint64_t> backend_rule_hits(const WorkerCounters& workers, std::size_t backend, std::size_t rules);

// Per server of the current snapshot: may take new traffic, and its weight.
struct ServerState {
  bool usable = true;
  uint16_t weight = 0;
};

ServerState server_state(const dataplane::ProxyBackend& backend, std::size_t server);
std::size_t usable_servers(const dataplane::ProxyBackend& backend);

}  // namespace dplb::controlplane
