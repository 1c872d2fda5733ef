#include "dataplane/worker/worker_pool.h"

#include "dataplane/tcp/tcp_settings_from_config.h"
#include "dataplane/net/vrrp_link.h"

#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_memory.h>

namespace dplb::dataplane {

WorkerPool::WorkerPool(const conf::Config& config, const std::vector<PortRuntime>& ports,
                       const std::vector<rte_mempool*>& pools, const RouteTable* routes, const SipKey& secret,
                       const ProxySnapshot* proxy)
    : tcp_settings_(tcp_settings_from(config.tcp)) {
  std::vector<uint16_t> ethdevs;
  std::vector<PortIdentity> identities;
  for (const auto& p : ports) {
    ethdevs.push_back(p.ethdev);
    identities.push_back(identity_of(p));
    // A port with a [[vrrp]] instance hands adverts to the control plane
    // and, with use_vmac, takes frames for the virtual router MAC.
    for (const conf::VrrpConfig& v : config.vrrp) {
      if (v.port != p.config.name) continue;
      enable_vrrp(identities.back());
      if (v.use_vmac) accept_virtual_mac(identities.back(), v.virtual_router_id);
    }
  }
  const auto& workers = config.dataplane.workers;
  for (uint32_t i = 0; i < workers.size(); ++i) {
    auto slot = std::make_unique<Slot>();
    slot->lcore = workers[i];
    slot->idle_sleep_us = config.dataplane.idle_sleep_us;
    slot->idle_sleep_max_us = config.dataplane.idle_sleep_max_us;
    slot->stop = &stop_;
    slot->counters = std::make_unique<WorkerCounters>();
    slot->io = std::make_unique<EthdevPacketIo>(ethdevs, static_cast<uint16_t>(i));
    slot->channel = std::make_unique<ControlChannel>();
    slot->proxy_counters = std::make_unique<ProxyCounters>();
    slot->access_log = std::make_unique<AccessLogRing>();
    if (proxy != nullptr) {
      std::vector<std::size_t> servers;
      for (const auto& b : proxy->backends) servers.push_back(b.servers.size());
      slot->proxy_counters->size_for(proxy->frontends.size(), servers);
      size_rule_hits(*proxy, *slot->proxy_counters);
    }
    WorkerLinks links;
    links.control = slot->channel.get();
    links.mesh = &mesh_;
    links.pool = pools.empty() ? nullptr : pools[i];
    links.neighbour_entries = config.dataplane.arp_max_entries;
    links.routes = routes;
    links.tcp = routes != nullptr ? &tcp_settings_ : nullptr;
    links.secret = secret;
    links.workers = static_cast<uint32_t>(workers.size());
    links.proxy = routes != nullptr ? proxy : nullptr;
    links.proxy_counters = slot->proxy_counters.get();
    links.access_log = slot->access_log.get();
    slot->worker = std::make_unique<Worker>(i, identities, *slot->io, *slot->counters, links);
    slots_.push_back(std::move(slot));
  }
}

WorkerPool::~WorkerPool() { stop_and_wait(); }

std::string WorkerPool::create_channels() {
  if (std::string error = mesh_.create(static_cast<uint32_t>(slots_.size()), SOCKET_ID_ANY); !error.empty()) {
    return error;
  }
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const int socket = static_cast<int>(rte_lcore_to_socket_id(slots_[i]->lcore));
    std::string error = slots_[i]->channel->create(static_cast<uint32_t>(i), socket);
    if (!error.empty()) return error;
    error = slots_[i]->access_log->create(static_cast<uint32_t>(i), socket);
    if (!error.empty()) return error;
  }
  return "";
}

int WorkerPool::entry(void* arg) {
  auto* slot = static_cast<Slot*>(arg);
  slot->worker->run(*slot->stop, IdleBackoff(slot->idle_sleep_us, slot->idle_sleep_max_us));
  return 0;
}

std::string WorkerPool::launch() {
  stop_.store(false);
  for (auto& slot : slots_) {
    if (!rte_lcore_is_enabled(slot->lcore)) {
      return "worker lcore " + std::to_string(slot->lcore) + " is not enabled in EAL (check the -l/--lcores override)";
    }
    if (int rc = rte_eal_remote_launch(&WorkerPool::entry, slot.get(), slot->lcore); rc != 0) {
      return "cannot launch a worker on lcore " + std::to_string(slot->lcore) + " (it is busy or is the main lcore)";
    }
    slot->launched = true;
  }
  return "";
}

void WorkerPool::stop_and_wait() {
  stop_.store(true);
  for (auto& slot : slots_) {
    if (slot->launched) rte_eal_wait_lcore(slot->lcore);
    slot->launched = false;
    // Connections hold mbufs: give them back while the pools exist.
    slot->worker->shutdown_tcp();
    slot->channel->discard_commands();
  }
}

}  // namespace dplb::dataplane
