#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <cstdint>
#include <vector>

#include "dataplane/worker/control_channel.h"
#include "dataplane/worker/idle_backoff.h"
#include "dataplane/net/ethernet_classifier.h"
#include "dataplane/port/flow_redirect.h"
#include "dataplane/net/arp/arp_pending_queue.h"
#include "dataplane/net/icmp/icmp_error.h"
#include "dataplane/net/arp/neighbour_cache.h"
#include "dataplane/port/packet_io.h"
#include "dataplane/port/port_identity.h"
#include "dataplane/health/health_probe.h"
#include "dataplane/proxy/http_proxy.h"
#include "dataplane/tcp/siphash.h"
#include "dataplane/tcp/tcp_diagnostic_service.h"
#include "dataplane/tcp/tcp_settings.h"
#include "dataplane/tcp/tcp_stack.h"
#include "dataplane/net/ipv4/virtual_address_table.h"
#include "dataplane/worker/worker_counters.h"

struct rte_mempool;

namespace dplb::dataplane {

inline constexpr uint16_t kBurstSize = 32;

// What a worker is connected to besides its queues. Every member may be
// null (or the mesh have one worker) where a test does not need it.
struct WorkerLinks {
  ControlChannel* control = nullptr;
  RedirectMesh* mesh = nullptr;
  rte_mempool* pool = nullptr;  // for frames the worker originates
  std::size_t neighbour_entries = 4096;  // size of the worker's neighbour cache
  const class RouteTable* routes = nullptr;  // immutable after boot; needed for TCP
  const TcpSettings* tcp = nullptr;          // null: no TCP stack (segments are unhandled)
  SipKey secret{};                           // ISNs and SYN cookies; the same on every worker
  uint32_t workers = 1;                      // how many share the active-open ports
  // The HTTP proxy: the first snapshot (null: no proxy), this worker's
  // counters and its access-log ring.
  const ProxySnapshot* proxy = nullptr;
  ProxyCounters* proxy_counters = nullptr;
  AccessLogRing* access_log = nullptr;
};

// How long frames may wait for ARP before the worker drops them itself; the
// owner normally answers (resolved, or given up) well before.
inline constexpr uint64_t kArpWaitSeconds = 10;

// A share-nothing poll-mode worker: it owns one queue pair on every port, the
// state of the flows on them and its own counters. Nothing here locks,
// allocates from the heap or makes a system call per packet; run() sleeps
// only when a whole pass found nothing and its IdleBackoff asks for it.
class Worker {
 public:
  Worker(uint32_t index, std::vector<PortIdentity> ports, PacketIo& io, WorkerCounters& counters,
         WorkerLinks links = {});

  // One pass: control commands, frames redirected by other workers, then
  // every RX queue. Returns the number of frames and commands handled. The
  // simulation calls this directly, step by step.
  uint32_t poll_once();

  // The lcore's main loop, until `stop` is set. Splits time into busy and idle
  // cycles for `show lcores`.
  void run(const std::atomic<bool>& stop, IdleBackoff idle);

  uint32_t index() const { return index_; }

  // Frees every connection while the mbuf pools still exist; called once the
  // worker has stopped.
  void shutdown_tcp();
  TcpStack* tcp() { return tcp_.get(); }
  HttpProxy* proxy() { return proxy_.get(); }
  // This worker's view of the port's virtual addresses (for tests and checks).
  const VirtualAddressTable& virtual_addresses(uint16_t port) const { return vips_[port]; }

 private:
  // Answers and drops collected while handling one burst.
  struct Burst {
    rte_mbuf* answers[kBurstSize];
    uint16_t answer_count = 0;
    rte_mbuf* dropped[kBurstSize];
    uint16_t dropped_count = 0;
  };

  uint32_t run_commands();
  uint32_t take_redirected();
  uint32_t receive(uint16_t port);
  void handle(rte_mbuf* frame, uint16_t port, Burst& burst);
  void finish(uint16_t port, Burst& burst);
  // True if the echo reply was this worker's (reported) or handed to its owner.
  bool deliver_echo_reply(rte_mbuf* frame, uint16_t port);
  void send_echo(const ControlCommand& command);
  void own_vip(const ControlCommand& command);
  void release_vip(const ControlCommand& command);
  // Hands a VRRP packet to the control plane; false if it could not (the
  // caller drops and counts it).
  bool deliver_vrrp(rte_mbuf* frame, uint16_t port);
  // Sends a frame the worker built (destination MAC not yet filled) to the
  // on-link `next_hop`, or parks it until the neighbour is resolved.
  void send_via(uint16_t port, uint32_t next_hop, rte_mbuf* frame);
  void neighbour_resolved(uint32_t ipv4);
  void neighbour_gone(uint32_t ipv4);
  void expire_pending();
  void report_neighbour(uint16_t port, const struct NeighbourObservation& seen);
  void transmit(uint16_t port, rte_mbuf** frames, uint16_t count);
  // Frames the worker originates wait here and leave in bursts.
  void queue_tx(uint16_t port, rte_mbuf* frame);
  void flush_tx();
  void deliver_tcp(rte_mbuf* frame, uint16_t port);
  void run_tcp_command(const ControlCommand& command);
  void start_tcp_service(const ControlCommand& command);
  void report_tcp_connections(const ControlCommand& command);
  void adopt_proxy_snapshot(const ControlCommand& command);
  void report_proxy_sessions(const ControlCommand& command);
  void start_health_probe(const ControlCommand& command);
  void adopt_tls_contexts(const ControlCommand& command);
  void post_probe_results();
  uint64_t now_us() const;

  // Routes and frames the TCP stack's packets.
  class TcpSink final : public TcpPacketSink {
   public:
    explicit TcpSink(Worker& worker) : worker_(worker) {}
    void send(rte_mbuf* packet, uint32_t destination) override;
    std::optional<TcpRoute> route(uint32_t destination) override;

   private:
    Worker& worker_;
  };

  uint32_t index_;
  std::vector<PortIdentity> ports_;
  PacketIo& io_;
  WorkerCounters& counters_;
  WorkerLinks links_;
  IcmpRateLimiter icmp_limiter_;
  NeighbourCache neighbours_;
  ArpPendingQueue pending_;
  uint64_t arp_wait_tsc_;
  struct TxQueue {
    rte_mbuf* frames[kBurstSize];
    uint16_t count = 0;
  };
  std::vector<TxQueue> tx_;
  // Per port: the VRRP virtual addresses the control plane said we own (or
  // not). Sized at construction; commands change entries, never the size.
  std::vector<VirtualAddressTable> vips_;
  TcpSink tcp_sink_;
  // The services outlive the stack: its destructor tells them their
  // connections are gone.
  std::array<TcpDiagnosticService, kMaxTcpServices> services_;
  std::unique_ptr<HttpProxy> proxy_;
  std::unique_ptr<HealthProber> prober_;
  std::unique_ptr<TcpStack> tcp_;
};

}  // namespace dplb::dataplane
