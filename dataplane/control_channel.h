#pragma once

// The only way the control plane and one worker talk: two bounded
// single-producer/single-consumer rings of fixed-size messages, copied by
// value (no allocation, no pointer sharing beyond the frames handed over).
// Neither side ever waits: a full ring is a counted loss, and the slow path
// repeats what matters (ARP probes are retried, observations recur).

#include <array>
#include <cstdint>
#include <string>

#include "dataplane/ethernet_classifier.h"
#include "dataplane/worker_counters.h"

struct rte_mbuf;
struct rte_ring;

namespace dplb::dataplane {

// Worker -> control plane.
struct ControlEvent {
  enum class Kind : uint8_t {
    neighbour_seen,  // an ARP packet told us ip -> mac
  };
  Kind kind = Kind::neighbour_seen;
  uint8_t port = 0;
  bool addressed_to_us = false;  // a request for our address or a reply to us: may create an entry
  bool claims_our_address = false;  // the sender uses the port's own address: a conflict
  uint32_t ipv4 = 0;                // host order
  MacAddress mac{};
  uint8_t pad_[18]{};
};
static_assert(sizeof(ControlEvent) == 32);

// Control plane -> worker.
struct ControlCommand {
  enum class Kind : uint8_t {
    transmit,  // send `frame` out of `port` (ownership passes to the worker)
  };
  Kind kind = Kind::transmit;
  uint8_t port = 0;
  uint8_t pad_[6]{};
  rte_mbuf* frame = nullptr;
  uint8_t reserved_[16]{};
};
static_assert(sizeof(ControlCommand) == 32);

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

  // Control-plane side. A transmit command that cannot be posted frees its frame.
  bool post_command(const ControlCommand& command);
  unsigned take_events(ControlEvent* events, unsigned capacity);

  // After the worker stopped: frees frames still queued for it, so they go
  // back to their pool while the pool still exists.
  void discard_commands();

  const ControlChannelCounters& counters() const { return counters_; }

 private:
  rte_ring* to_control_ = nullptr;
  rte_ring* to_worker_ = nullptr;
  ControlChannelCounters counters_;
};

}  // namespace dplb::dataplane
