#pragma once

#include "dataplane/drop_reason.h"

namespace dplb::dataplane {

// What a protocol handler decided for one frame it was given: send it back
// out of the port it came in on (it was rewritten in place into the answer),
// or drop it for a reason.
struct PacketVerdict {
  bool transmit = false;
  DropReason reason = DropReason::count_;

  static PacketVerdict send() { return {true, DropReason::count_}; }
  static PacketVerdict drop(DropReason r) { return {false, r}; }
};

}  // namespace dplb::dataplane
