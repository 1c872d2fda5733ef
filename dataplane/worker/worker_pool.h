#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "conf/config.h"
#include "dataplane/port/ethdev_packet_io.h"
#include "dataplane/port/port_setup.h"
#include "dataplane/tcp/tcp_settings.h"
#include "dataplane/worker/worker.h"

namespace dplb::dataplane {

// The poll-mode workers, one per configured worker lcore; worker i owns
// queue pair i of every port.
class WorkerPool {
 public:
  // pools[i] is worker i's mbuf pool (for frames it originates). `routes`
  // (immutable, outliving the pool) lets workers run TCP; null leaves TCP off.
  // `proxy` (outliving the pool, or replaced through publish) is the first
  // proxy snapshot; null runs no proxy.
  WorkerPool(const conf::Config& config, const std::vector<PortRuntime>& ports, const std::vector<rte_mempool*>& pools,
             const RouteTable* routes = nullptr, const SipKey& secret = {}, const ProxySnapshot* proxy = nullptr);
  ~WorkerPool();

  // Starts every worker on its lcore; returns an error line or "".
  std::string launch();
  void stop_and_wait();

  std::size_t size() const { return slots_.size(); }
  uint32_t lcore(std::size_t i) const { return slots_[i]->lcore; }
  const WorkerCounters& counters(std::size_t i) const { return *slots_[i]->counters; }
  const ProxyCounters& proxy_counters(std::size_t i) const { return *slots_[i]->proxy_counters; }
  AccessLogRing& access_log(std::size_t i) { return *slots_[i]->access_log; }
  ControlChannel& channel(std::size_t i) { return *slots_[i]->channel; }
  const ControlChannel& channel(std::size_t i) const { return *slots_[i]->channel; }

  // Creates every worker's control rings and the redirect mesh; returns an
  // error line or "".
  std::string create_channels();

 private:
  struct Slot {
    uint32_t lcore = 0;
    uint32_t idle_sleep_us = 0;
    uint32_t idle_sleep_max_us = 0;
    const std::atomic<bool>* stop = nullptr;
    std::unique_ptr<WorkerCounters> counters;
    std::unique_ptr<EthdevPacketIo> io;
    std::unique_ptr<ControlChannel> channel;
    std::unique_ptr<ProxyCounters> proxy_counters;
    std::unique_ptr<AccessLogRing> access_log;
    std::unique_ptr<Worker> worker;
    bool launched = false;
  };

  static int entry(void* slot);

  std::atomic<bool> stop_{false};
  TcpSettings tcp_settings_;
  RedirectMesh mesh_;
  std::vector<std::unique_ptr<Slot>> slots_;
};

}  // namespace dplb::dataplane
