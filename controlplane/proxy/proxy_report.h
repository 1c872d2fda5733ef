#pragma once

// What `show frontends`, `show backends`, `show servers` and `show stat`
// print, computed from the workers' proxy counters and the current proxy
// snapshot. Pure functions over plain data, so the formats are testable
// without DPDK: ProxyService gathers the inputs, these format them.
//
// Counters are summed over workers. Gauges (current sessions, queues, idle
// connections) are per worker too and their sum is exact. Maxima are kept
// per worker and the largest is shown: a lower bound of the true
// process-wide maximum (the per-worker peaks may not have coincided), which
// is the approximation the documentation states.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.h"
#include "controlplane/proxy/stat_csv_columns.h"  // stat_csv_columns(), stat_csv_header()
#include "dataplane/proxy/proxy_counters.h"
#include "dataplane/proxy/proxy_snapshot.h"

namespace dplb::controlplane {

// A server's health as the health service sees it (show servers, show stat).
struct ServerCheckView {
  std::string state;          // "UP", "UP 1/3", "DOWN 2/2", "NOLB", "DRAIN", "MAINT", "no check"
  bool checked = false;       // checks configured and enabled
  std::string check_status;   // "L4OK", "L7STS", ... ("" before the first check)
  uint16_t check_code = 0;    // the HTTP status of the last check, 0: none
  int64_t check_duration_ms = -1;
  std::string check_info;
  uint64_t chkfail = 0;
  uint64_t chkdown = 0;
  int64_t lastchg_s = 0;
  int64_t downtime_s = 0;
  uint32_t weight = 0;           // the operator's weight
  uint32_t effective_weight = 0; // what the balancer uses now (slowstart, drain)
};

struct ProxyView {
  const conf::Config& config;
  const dataplane::ProxySnapshot& snapshot;
  std::vector<const dataplane::ProxyCounters*> workers;
  uint64_t now_us = 0;  // the workers' clock, for ages (lastsess); 0: unknown
  // [backend][server]; empty: no health service (every server shows its
  // snapshot state only).
  std::vector<std::vector<ServerCheckView>> health;
};

std::string report_frontends(const ProxyView& view);
std::string report_backends(const ProxyView& view);
// `backend` < 0: every backend.
std::string report_servers(const ProxyView& view, int backend);
// HAProxy's `show stat` CSV: the header, a FRONTEND row per frontend, then
// per backend a row per server and a BACKEND row.
std::string report_stat_csv(const ProxyView& view);

}  // namespace dplb::controlplane
