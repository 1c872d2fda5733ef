#pragma once

#include "dataplane/net/drop_reason.h"

namespace dplb::dataplane {

// What a protocol handler decided for one frame it was given: send it back
// out of the port it came in on (it was rewritten in place into the answer),
// consume it (its information went to the control plane), or drop it for a
// reason. Only drops count as drops.
struct PacketVerdict {
  bool transmit = false;
  DropReason reason = DropReason::count_;  // count_: consumed, not dropped
  bool echo_reply = false;                 // an answer to dplb's own ping: for the flow's owner
  bool tcp = false;                        // a TCP segment for the worker's stack
  bool vrrp = false;                       // a VRRP advertisement for the control plane

  static PacketVerdict send() { return {true, DropReason::count_, false, false, false}; }
  static PacketVerdict consume() { return {false, DropReason::count_, false, false, false}; }
  static PacketVerdict drop(DropReason r) { return {false, r, false, false, false}; }
  static PacketVerdict deliver_echo_reply() { return {false, DropReason::count_, true, false, false}; }
  static PacketVerdict deliver_tcp() { return {false, DropReason::count_, false, true, false}; }
  static PacketVerdict deliver_vrrp() { return {false, DropReason::count_, false, false, true}; }
  bool dropped() const { return !transmit && !echo_reply && !tcp && !vrrp && reason != DropReason::count_; }
};

}  // namespace dplb::dataplane
