#pragma once

// `ping` from the appliance, as on a router's CLI. The control plane plans
// the session (route, neighbour, identifiers, timing); workers build the
// echo requests, stamp them with their TSC and measure the round trip when
// the reply reaches them. Requests go out from the workers in turn, each
// with an identifier that worker owns, so with several workers some replies
// arrive on a worker that does not own them and are redirected: the
// operator sees flow redirection at work in `show lcores`.

#include <cstdint>
#include <memory>
#include <vector>

#include "conf/config.h"
#include "controlplane/console/command_registry.h"
#include "controlplane/neighbour/neighbour_service.h"
#include "dataplane/net/ipv4/route_table.h"
#include "dataplane/worker/worker_pool.h"

namespace dplb::controlplane {

struct PingOptions {
  uint32_t target = 0;
  uint32_t count = 5;
  uint32_t data_bytes = 56;
  int64_t interval_ms = 1000;
};

class PingService {
 public:
  // How long a session waits for its first reply when none came: the first
  // request may be parked in a worker while the next hop is resolved.
  static constexpr int64_t kResolveTimeoutMs = 3000;
  static constexpr int64_t kMaxDurationMs = 60'000;

  PingService(const conf::Config& config, const dataplane::RouteTable& routes, NeighbourService& neighbours,
              dataplane::WorkerPool& workers);
  ~PingService();

  void register_commands(CommandRegistry& registry);
  void on_reply(const dataplane::ControlEvent& event);
  void tick(int64_t now_ms);

 private:
  struct Session;

  void start(const PingOptions& options, CommandDone done);
  void finish(Session& s);

  const conf::Config& config_;
  const dataplane::RouteTable& routes_;
  NeighbourService& neighbours_;
  dataplane::WorkerPool& workers_;
  std::vector<std::unique_ptr<Session>> sessions_;
  uint32_t next_session_ = 1;
  int64_t now_ms_ = 0;
};

}  // namespace dplb::controlplane
