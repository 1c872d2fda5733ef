#pragma once

#include <functional>

#include "conf/config.h"
#include "controlplane/stats/lcore_load.h"
#include "dataplane/port/port_setup.h"
#include "dataplane/net/ipv4/route_table.h"
#include "dataplane/worker/worker_pool.h"

namespace dplb::controlplane {

// What console commands may look at: read-only views of the running
// appliance, plus the one action every console has.
struct ApplianceState {
  const conf::Config& config;
  const dataplane::PortSetup& ports;
  const dataplane::WorkerPool& workers;
  const dataplane::RouteTable& routes;
  const LcoreLoad& load;
  std::function<void()> request_stop;
};

}  // namespace dplb::controlplane
