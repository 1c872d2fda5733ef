#pragma once

// The owner of the neighbour table. Workers report ARP senders through their
// control channels; this service learns from them, logs changes and
// RFC 5227 conflicts, and sends the probes the table asks for as frames
// handed to worker 0 (the control plane never touches a queue itself).

#include <cstdint>
#include <string>
#include <vector>

#include "conf/config.h"
#include "controlplane/console/command_registry.h"
#include "controlplane/neighbour/neighbour_table.h"
#include "dataplane/port/port_identity.h"
#include "dataplane/port/port_setup.h"
#include "dataplane/worker/worker_pool.h"

struct rte_mempool;

namespace dplb::controlplane {

class NeighbourService {
 public:
  NeighbourService(const conf::Config& config, const dataplane::PortSetup& ports, dataplane::WorkerPool& workers);
  ~NeighbourService();

  // Creates the pool control-plane frames come from and loads static entries.
  std::string start(int64_t now_ms);

  // What a worker reported about an ARP sender.
  void learn(const dataplane::ControlEvent& event, int64_t now_ms);
  // A worker has frames waiting for a neighbour its cache does not hold.
  void resolve_requested(const dataplane::ControlEvent& event, int64_t now_ms);
  // Fires the table's timers and sends the probes they ask for.
  void tick(int64_t now_ms);

  // True when `ipv4` has a usable MAC (reachable, stale or permanent).
  bool resolved(uint32_t ipv4) const;

  void register_commands(CommandRegistry& registry);

  const NeighbourTable& table() const { return table_; }
  uint64_t probes_sent() const { return probes_sent_; }

 private:
  void send_probe(const ArpProbe& probe);
  // Every worker keeps a copy of the usable entries; these keep it current.
  void publish(const Neighbour& n);
  void withdraw(uint32_t ipv4);
  std::string port_name(uint16_t port) const;
  int port_for(uint32_t ipv4) const;

  const conf::Config& config_;
  const dataplane::PortSetup& ports_;
  dataplane::WorkerPool& workers_;
  std::vector<dataplane::PortIdentity> identities_;
  NeighbourTable table_;
  rte_mempool* pool_ = nullptr;
  int64_t now_ms_ = 0;
  int64_t last_conflict_log_ms_ = -1'000'000;
  uint64_t probes_sent_ = 0;
  uint64_t probes_lost_ = 0;
  uint64_t conflicts_ = 0;
  uint64_t table_full_ = 0;
};

}  // namespace dplb::controlplane
