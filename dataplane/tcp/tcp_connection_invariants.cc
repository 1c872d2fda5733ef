// The sequence-space rules every connection keeps whatever its peer sends
// (RFC 9293 3.3.1), checked by the state tests and the TCP fuzz target.

#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/tcp/tcp_sequence.h"

namespace dplb::dataplane {

const char* TcpConnection::broken_invariant() const {
  if (state_ == TcpState::closed || state_ == TcpState::listen) return nullptr;
  if (!seq_le(snd_una_, snd_nxt_)) return "SND.UNA after SND.NXT";
  if (!seq_le(snd_nxt_, snd_max_)) return "SND.NXT after the highest sequence sent";
  // Unacknowledged sequence space is data in the send queue, plus our SYN
  // and FIN, which occupy one number each.
  if (snd_max_ - snd_una_ > send_.bytes() + 2) return "more unacknowledged than the send queue holds";
  if (state_ != TcpState::syn_sent && !seq_le(rcv_nxt_, rcv_adv_)) return "RCV.NXT past the advertised window";
  if (promised_ != (seq_gt(rcv_adv_, rcv_nxt_) ? rcv_adv_ - rcv_nxt_ : 0u)) {
    return "the window counted in the worker's promise differs from RCV.ADV - RCV.NXT";
  }
  for (uint8_t i = 0; i < sacks_.count(); ++i) {
    const SackBlock& r = sacks_.range(i);
    if (!seq_lt(r.left, r.right)) return "an empty or inverted SACK range";
    if (i > 0 && !seq_lt(sacks_.range(i - 1).right, r.left)) return "SACK ranges out of order or overlapping";
  }
  return nullptr;
}

}  // namespace dplb::dataplane
