#pragma once

// The only way the control plane and one worker talk: two bounded
// single-producer/single-consumer rings of fixed-size messages, copied by
// value (no allocation, no pointer sharing beyond the frames handed over).
// Neither side ever waits: a full ring is a counted loss, and the slow path
// repeats what matters (ARP probes are retried, observations recur).

#include <array>
#include <cstdint>
#include <string>

#include "dataplane/net/ethernet_classifier.h"
#include "dataplane/worker/worker_counters.h"

struct rte_mbuf;
struct rte_ring;

namespace dplb::dataplane {

// Worker -> control plane.
struct ControlEvent {
  enum class Kind : uint8_t {
    neighbour_seen,    // an ARP packet told us ipv4 -> mac
    echo_reply,        // an answer to an echo request this worker sent
    resolve_request,   // frames wait for the MAC of ipv4 on port
    tcp_snapshot_done, // the connection list asked for by `request` is written (count entries)
    proxy_adopted,     // the worker now reads proxy snapshot version `count` (the older ones are free to go)
    proxy_sessions_done,  // the session list asked for by `request` (in ipv4) is written (count entries)
    health_result,     // probe `ipv4` ended: outcome in `port`, HTTP status in echo_id, duration (us) in count
    vrrp_frame,        // a VRRP packet arrived on `port`: `frame` (Ethernet header first) is the control
                       // plane's now, to read and rte_pktmbuf_free; `ipv4` is its IPv4 destination
    tls_adopted,       // the worker now starts handshakes with TLS contexts version `count`
  };
  Kind kind = Kind::neighbour_seen;
  uint8_t port = 0;
  bool addressed_to_us = false;     // neighbour_seen: a request for our address or a reply to us
  bool claims_our_address = false;  // neighbour_seen: the sender uses the port's own address
  uint32_t ipv4 = 0;                // host order: the ARP sender, or who answered the echo
  MacAddress mac{};                 // neighbour_seen
  uint8_t ttl = 0;                  // echo_reply
  bool virtual_address = false;     // neighbour_seen: claims_our_address for one of our owned VIPs
  uint16_t echo_id = 0;             // echo_reply
  uint16_t echo_sequence = 0;       // echo_reply
  uint16_t echo_bytes = 0;          // echo_reply: ICMP message length
  uint32_t rtt_ns = 0;              // echo_reply: measured by the worker with its TSC
  uint32_t count = 0;               // tcp_snapshot_done: entries written (request id in ipv4)
  rte_mbuf* frame = nullptr;        // vrrp_frame
};
static_assert(sizeof(ControlEvent) == 40);

// Control plane -> worker. 64 bytes, a cache line.
// health_probe's service_kind for a check over TLS.
inline constexpr uint8_t kProbeOverTls = 1;

struct ControlCommand {
  enum class Kind : uint8_t {
    transmit,         // send `frame` out of `port` (ownership passes to the worker)
    send_echo,        // build one ICMP echo request to ipv4 and send it through next_hop on `port`
    neighbour_set,    // the owner's table says ipv4 is at mac on port
    neighbour_clear,  // the owner no longer knows ipv4 (frames waiting for it are dropped)
    tcp_listen,       // run diagnostic service `service_slot` on tcp_port
    tcp_unlisten,     // stop listening on tcp_port
    tcp_connect,      // open a connection to ipv4:tcp_port running service `service_slot`
    tcp_snapshot,     // write up to `capacity` TcpConnectionInfo into `buffer`, then post tcp_snapshot_done
    proxy_snapshot,   // read the ProxySnapshot at `buffer` from now on (version in service_bytes)
    proxy_sessions,   // write up to `capacity` ProxySessionInfo into `buffer`, then post proxy_sessions_done
    health_probe,     // probe ipv4:tcp_port (id in `request`, timeout ms in `capacity`); `buffer` holds
                      // service_bytes of HTTP request (null: TCP check), owned by the control plane until the result;
                      // service_kind kProbeOverTls: over TLS to server echo_sequence of backend echo_id (check_ssl)
    vip_own,          // the virtual address ipv4 is ours on `port`: answer for it with `mac` (VRRP master)
    vip_release,      // ipv4 on `port` is a VIP we do not own (any more): stop answering for it and reset
                      // the TCP connections to it (VRRP backup; also sent at start to register the VIP)
    send_ipv4,        // send `frame` out of `port` through the on-link neighbour `next_hop`: the worker fills
                      // the Ethernet destination (ARP resolution, frames wait as for its own packets)
    tls_contexts,     // start new TLS handshakes with the TlsContextSnapshot at `buffer` (version in
                      // service_bytes), this worker's entry of it
  };
  Kind kind = Kind::transmit;
  uint8_t port = 0;
  uint16_t echo_id = 0;
  uint16_t echo_sequence = 0;
  uint16_t echo_data_bytes = 0;  // ICMP data after the 8-byte header
  rte_mbuf* frame = nullptr;     // transmit, send_ipv4 (ownership passes to the worker)
  uint32_t ipv4 = 0;             // send_echo: destination; neighbour_*: the neighbour; vip_*: the VIP (host order)
  MacAddress mac{};              // neighbour_set; vip_own: the MAC to answer with (port's, or virtual router MAC)
  uint8_t reserved_[2]{};
  uint32_t next_hop = 0;         // send_echo, send_ipv4: the on-link neighbour to send through
  // tcp_*: which service, where, how much. The snapshot buffer belongs to
  // the control plane, which does not touch it until tcp_snapshot_done.
  uint16_t tcp_port = 0;
  uint8_t service_kind = 0;
  uint8_t service_slot = 0;
  uint32_t request = 0;
  uint64_t service_bytes = 0;
  void* buffer = nullptr;
  uint32_t capacity = 0;
  uint8_t reserved2_[4]{};
};
static_assert(sizeof(ControlCommand) == 64);

struct alignas(64) ControlChannelCounters {
  Counter events_lost;    // worker could not post (ring full)
  Counter commands_lost;  // control plane could not post (ring full)
  Counter events;
  Counter commands;
};

class ControlChannel {
 public:
  static constexpr unsigned kRingSize = 1024;

  ControlChannel() = default;
  ~ControlChannel();
  ControlChannel(const ControlChannel&) = delete;
  ControlChannel& operator=(const ControlChannel&) = delete;

  // Creates both rings on `socket`; returns an error line or "".
  std::string create(uint32_t worker, int socket);

  // Worker side.
  bool post_event(const ControlEvent& event);
  unsigned take_commands(ControlCommand* commands, unsigned capacity);

  // Control-plane side. A command carrying a frame (transmit, send_ipv4) that
  // cannot be posted frees it.
  bool post_command(const ControlCommand& command);
  unsigned take_events(ControlEvent* events, unsigned capacity);

  // After the worker stopped: frees frames still queued for it, and the VRRP
  // frames it posted that the control plane did not take, so they go back
  // to their pools while the pools still exist.
  void discard_commands();

  const ControlChannelCounters& counters() const { return counters_; }

 private:
  rte_ring* to_control_ = nullptr;
  rte_ring* to_worker_ = nullptr;
  ControlChannelCounters counters_;
};

}  // namespace dplb::dataplane
