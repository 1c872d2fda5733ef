#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "conf/config.h"
#include "controlplane/console/command_registry.h"
#include "controlplane/control_loop.h"
#include "controlplane/health/health_service.h"
#include "controlplane/neighbour/neighbour_service.h"
#include "controlplane/neighbour/ping_service.h"
#include "controlplane/proxy/access_log_writer.h"
#include "controlplane/proxy/proxy_service.h"
#include "controlplane/tcp/tcp_service.h"
#include "controlplane/tls/tls_service.h"
#include "controlplane/vrrp/vrrp_service.h"
#include "dataplane/net/ipv4/route_table.h"
#include "dataplane/port/port_setup.h"
#include "dataplane/worker/control_channel.h"
#include "dataplane/worker/worker_pool.h"

namespace dplb::controlplane {

// The control thread's services beside the proxy, built in the order they
// depend on each other (pings ask the neighbour service; health checks and
// VRRP's track_backends read the proxy's snapshot). They must outlive the
// workers' last pass: probes and snapshot requests point into them.
class ControlServices {
 public:
  ControlServices(const conf::Config& config, const dataplane::PortSetup& ports, const dataplane::RouteTable& routes,
                  dataplane::WorkerPool& workers, ProxyService& proxy);

  void register_commands(CommandRegistry& registry);
  // Opens what needs the system (log files, VRRP sockets, ARP for static
  // neighbours); the first failure's text, or "".
  std::string open(int64_t now_ms);
  // After the workers run: the first health checks and VRRP's election.
  void start(int64_t now_ms);
  // Every worker's events, each to the service it is for.
  void take_events(int64_t now_ms);
  void tick(int64_t now_ms);

  VrrpService& vrrp() { return vrrp_; }
  // SIGHUP: certificates and ticket keys read again (logged either way).
  void reload_tls();

 private:
  void on_event(std::size_t worker, const dataplane::ControlEvent& event, int64_t now_ms);

  dataplane::WorkerPool& workers_;
  ProxyService& proxy_;
  NeighbourService neighbours_;
  PingService pings_;
  TcpService tcp_;
  HealthService health_;
  AccessLogWriter access_log_;
  VrrpService vrrp_;
  TlsService tls_;
};

}  // namespace dplb::controlplane
