#include "dataplane/worker/control_channel.h"

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

namespace dplb::dataplane {
namespace {
bool carries_frame(ControlCommand::Kind kind) {
  return kind == ControlCommand::Kind::transmit || kind == ControlCommand::Kind::send_ipv4;
}
}  // namespace

ControlChannel::~ControlChannel() {
  discard_commands();
  rte_ring_free(to_control_);
  rte_ring_free(to_worker_);
}

void ControlChannel::discard_commands() {
  if (to_worker_ == nullptr) return;
  ControlCommand leftover;
  while (rte_ring_dequeue_elem(to_worker_, &leftover, sizeof(leftover)) == 0) {
    if (carries_frame(leftover.kind)) rte_pktmbuf_free(leftover.frame);
  }
  if (to_control_ == nullptr) return;
  ControlEvent event;
  while (rte_ring_dequeue_elem(to_control_, &event, sizeof(event)) == 0) {
    if (event.kind == ControlEvent::Kind::vrrp_frame) rte_pktmbuf_free(event.frame);
  }
}

std::string ControlChannel::create(uint32_t worker, int socket) {
  const std::string suffix = std::to_string(worker);
  to_control_ = rte_ring_create_elem(("ctl_ev_w" + suffix).c_str(), sizeof(ControlEvent), kRingSize, socket,
                                     RING_F_SP_ENQ | RING_F_SC_DEQ);
  to_worker_ = rte_ring_create_elem(("ctl_cmd_w" + suffix).c_str(), sizeof(ControlCommand), kRingSize, socket,
                                    RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (to_control_ == nullptr || to_worker_ == nullptr) {
    return "cannot create the control rings of worker " + suffix + ": " + rte_strerror(rte_errno);
  }
  return "";
}

bool ControlChannel::post_event(const ControlEvent& event) {
  if (rte_ring_enqueue_elem(to_control_, const_cast<ControlEvent*>(&event), sizeof(event)) != 0) {
    counters_.events_lost.increment();
    return false;
  }
  counters_.events.increment();
  return true;
}

unsigned ControlChannel::take_commands(ControlCommand* commands, unsigned capacity) {
  return rte_ring_dequeue_burst_elem(to_worker_, commands, sizeof(ControlCommand), capacity, nullptr);
}

bool ControlChannel::post_command(const ControlCommand& command) {
  if (rte_ring_enqueue_elem(to_worker_, const_cast<ControlCommand*>(&command), sizeof(command)) != 0) {
    counters_.commands_lost.increment();
    if (carries_frame(command.kind)) rte_pktmbuf_free(command.frame);
    return false;
  }
  counters_.commands.increment();
  return true;
}

unsigned ControlChannel::take_events(ControlEvent* events, unsigned capacity) {
  return rte_ring_dequeue_burst_elem(to_control_, events, sizeof(ControlEvent), capacity, nullptr);
}

}  // namespace dplb::dataplane
