#pragma once

// VRRP as the control plane runs it: one VrrpInstance (vrrp/) per [[vrrp]]
// section, on the control thread and its own clock, never on a worker, so a
// busy dataplane cannot delay an advert or fake a master's death. Workers
// hand received VRRP frames over their control rings; the service decodes
// them (vrrp/vrrp_advert.h), routes them by port and VRID, and carries out
// what the instances ask: adverts and gratuitous ARPs sent through worker 0,
// virtual-address ownership switched on every worker, notify scripts run in
// the background (NotifyRunner). It also feeds the instances what keepalived
// would track: the port's link (FAULT while down) and, for track_backends,
// whether a backend still has a server to send traffic to.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "conf/config.h"
#include "controlplane/console/command_registry.h"
#include "controlplane/vrrp/notify_runner.h"
#include "dataplane/worker/control_channel.h"
#include "dataplane/net/ethernet_classifier.h"
#include "vrrp/vrrp_counters.h"
#include "vrrp/vrrp_instance.h"

struct rte_mempool;

namespace dplb::dataplane {
class WorkerPool;
class RouteTable;
struct PortRuntime;
}  // namespace dplb::dataplane

namespace dplb::controlplane {

class ProxyService;

// Drops decided before an advert reaches an instance (the packet checks, an
// unknown VRID), per port: instances count the rest themselves.
struct VrrpPortCounters {
  std::array<uint64_t, vrrp::kVrrpDropCount> drops{};
  uint64_t frames = 0;  // VRRP frames the workers handed over on this port
};

struct VrrpServiceCounters {
  uint64_t frames_not_sent = 0;      // no mbuf, or the worker's ring was full
  uint64_t ownership_retries = 0;    // vip_own / vip_release re-posted after a full ring
};

class VrrpService {
 public:
  // `ports` and `workers` must outlive the service; `proxy` gives the
  // current server states for track_backends.
  VrrpService(const conf::Config& config, const std::vector<dataplane::PortRuntime>& ports,
              const dataplane::RouteTable& routes, dataplane::WorkerPool& workers, const ProxyService& proxy);
  ~VrrpService();
  VrrpService(const VrrpService&) = delete;
  VrrpService& operator=(const VrrpService&) = delete;

  // Creates the frame pool. Call after EAL init; "" or an error line.
  std::string open();
  void register_commands(CommandRegistry& registry);

  // Once the workers run: registers every virtual address on every worker
  // as not owned (so a backup counts their packets apart), then starts the
  // instances (the address owner becomes MASTER at once).
  void start();
  void on_frame(const dataplane::ControlEvent& event);
  // The port's link as the appliance last saw it.
  void on_link(std::size_t port, bool up);
  void tick();

  // Orderly shutdown (SIGTERM, quit): every MASTER sends a priority-0 advert
  // and releases its addresses, then notify scripts get a moment to run.
  // The caller stops the workers afterwards, giving them a pass or two to
  // send what was queued.
  void shutdown();

  bool empty() const { return instances_.empty(); }
  std::size_t size() const { return instances_.size(); }
  const vrrp::VrrpInstance& instance(std::size_t i) const { return *instances_[i]->machine; }

 private:
  struct Instance {
    const conf::VrrpConfig* config = nullptr;
    std::size_t lane = 0;         // its notify scripts run one after the other
    std::size_t port = 0;
    std::unique_ptr<vrrp::VrrpInstance> machine;
    dataplane::MacAddress mac{};  // source of adverts and GARPs, answer for the VIPs
    uint16_t ip_id = 0;
    bool owns = false;            // what the workers were last told
    std::vector<bool> ownership_pending;  // per worker: a vip_* post failed, repeat it
    int track_delta = 0;
    bool track_fault = false;     // a weight-0 tracked backend has no server
    bool link_up = true;
    std::string tracked_down;     // names of the tracked backends without a server, for show vrrp
  };

  static int64_t now_us();
  void run_actions(Instance& instance);
  void send_advert(Instance& instance, uint8_t priority);
  void send_garps(Instance& instance, uint32_t rounds);
  void post_ownership(Instance& instance, std::size_t worker);
  bool post_frame(std::size_t port, const uint8_t* bytes, std::size_t length, uint32_t next_hop);
  void update_tracking(Instance& instance);
  void apply_fault(Instance& instance);
  Instance* find(std::string_view name, CommandReply& reply);

  void show(const CommandArgs& args, CommandReply& reply) const;
  void set_priority(const CommandArgs& args, CommandReply& reply);
  void stop(const CommandArgs& args, CommandReply& reply);
  void start_one(const CommandArgs& args, CommandReply& reply);

  const conf::Config& config_;
  const std::vector<dataplane::PortRuntime>& ports_;
  const dataplane::RouteTable& routes_;
  dataplane::WorkerPool& workers_;
  const ProxyService& proxy_;
  rte_mempool* pool_ = nullptr;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::vector<VrrpPortCounters> port_counters_;
  VrrpServiceCounters counters_;
  NotifyRunner notify_;
  int64_t next_track_us_ = 0;
  bool started_ = false;
};

}  // namespace dplb::controlplane
