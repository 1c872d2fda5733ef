// What an arriving ACK does to the sending side: the send window (RFC 9293
// 3.10.7.4), the RFC 5961 5.2 acceptance range, SACK (RFC 2018/6675), RTT
// samples (RFC 6298), fast retransmit and recovery (RFC 5681, RFC 6582),
// Eifel undo (RFC 3522) and the state changes our FIN's ACK brings.

#include <algorithm>

#include "dataplane/tcp/tcp_sequence.h"
#include "dataplane/tcp/tcp_stack.h"

namespace dplb::dataplane {

void TcpStack::update_window(TcpConnection& c, const TcpSegment& s) {
  // The window counts from SEG.ACK while we use it from SND.UNA, so it must
  // come with an ACK that is SND.UNA or newer. RFC 9293 3.10.7.4: never from
  // an ACK below SND.UNA (a reordered segment; Linux's tcp_ack ignores its
  // window too); from a segment no older than the last update; and, as
  // Linux's tcp_may_update_window, from any ACK of new data, whose window is
  // as recent as its ACK even when its sequence number is old (a
  // retransmission overtaking newer segments). Otherwise SND.UNA + SND.WND
  // lands beyond the edge the peer advertised: what is sent there is
  // dropped, and so are our pure ACKs (their sequence number is past the
  // peer's window), which deadlocks a peer whose window stays closed until
  // it hears from us.
  if (seq_lt(s.acknowledgement, c.snd_una_)) return;
  if (seq_gt(s.acknowledgement, c.snd_una_) || seq_lt(c.snd_wl1_, s.sequence) ||
      (c.snd_wl1_ == s.sequence && seq_le(c.snd_wl2_, s.acknowledgement))) {
    const uint32_t before = c.snd_wnd_;
    c.snd_wnd_ = static_cast<uint32_t>(s.window) << c.snd_wscale_;
    c.max_snd_wnd_ = std::max(c.max_snd_wnd_, c.snd_wnd_);
    c.snd_wl1_ = s.sequence;
    c.snd_wl2_ = s.acknowledgement;
    if (before == 0 && c.snd_wnd_ > 0 && c.retransmit_timer_.armed() && c.snd_una_ == c.snd_max_) {
      wheel_.cancel(c.retransmit_timer_);  // the persist timer's job is done
      c.retries_ = 0;
    }
  }
}

bool TcpStack::process_ack(TcpConnection& c, const TcpSegment& s) {
  const uint32_t ack = s.acknowledgement;
  // RFC 5961 5.2: acceptable between SND.UNA - MAX.SND.WND and SND.MAX.
  if (seq_gt(ack, c.snd_max_)) {
    counters_.drop(TcpDropReason::bad_ack).increment();
    challenge_ack(c);
    return false;
  }
  if (seq_lt(ack, c.snd_una_ - std::max<uint32_t>(c.max_snd_wnd_, 65535))) {
    counters_.drop(TcpDropReason::bad_ack).increment();
    challenge_ack(c);
    return false;
  }
  bool new_sack = false;
  if (c.sack_ && s.options.sack_count > 0) {
    for (uint8_t i = 0; i < s.options.sack_count; ++i) {
      new_sack |= c.sacks_.add(s.options.sack[i], seq_max(ack, c.snd_una_), c.snd_max_);
    }
  }
  if (seq_gt(ack, c.snd_una_)) {
    update_window(c, s);
    new_ack(c, s, ack - c.snd_una_);
  } else {
    const uint32_t window_before = c.snd_wnd_;
    update_window(c, s);
    // A duplicate ACK (RFC 5681 2; with SACK, RFC 6675 2: one that reports
    // something new).
    const bool dup = ack == c.snd_una_ && c.snd_max_ != c.snd_una_ && s.payload_length == 0 &&
                     !s.has(tcp_flag::fin) && (c.sack_ ? new_sack : c.snd_wnd_ == window_before);
    if (dup) duplicate_ack(c);
  }
  return true;
}

void TcpStack::new_ack(TcpConnection& c, const TcpSegment& s, uint32_t acked) {
  const uint32_t ack = s.acknowledgement;
  // Our FIN takes one sequence number but no queue byte.
  uint32_t data = acked;
  const bool fin_acked = c.write_shutdown_ && seq_gt(ack, c.fin_seq_);
  if (fin_acked && !seq_gt(c.snd_una_, c.fin_seq_)) --data;
  const uint32_t before = c.send_.bytes();
  c.send_.acknowledge(data);
  buffered_ -= before - c.send_.bytes();
  c.snd_una_ = ack;
  if (c.undo_armed_ && seq_gt(ack, c.undo_seq_)) {
    // Eifel detection (RFC 3522): the first ACK for the retransmitted data
    // echoes the original's timestamp, so the original arrived: the loss was
    // reordering, and the window reduction is undone.
    c.undo_armed_ = false;
    if (s.options.timestamps && seq_lt(s.options.timestamps->echo_reply, c.retransmit_tsval_)) {
      counters_.spurious_recoveries.increment();
      c.cc_.restore(c.undo_cwnd_, c.undo_ssthresh_);
      c.in_recovery_ = false;
      c.dupacks_ = 0;
      c.snd_nxt_ = c.snd_max_;  // after a spurious timeout, do not send it all again
    }
  }
  if (seq_lt(c.snd_nxt_, ack)) c.snd_nxt_ = ack;
  if (seq_lt(c.high_rxt_, ack)) c.high_rxt_ = ack;
  c.sacks_.acknowledge(ack);
  c.retries_ = 0;
  c.probe_sent_ = false;
  // RTT: one timed segment per round trip, never a retransmitted one (Karn).
  if (c.rtt_timing_ && seq_gt(ack, c.rtt_seq_)) {
    c.rtt_.sample(static_cast<uint32_t>(std::min<uint64_t>(now_us_ - c.rtt_start_us_, UINT32_MAX)),
                  settings_.min_rto_ms * 1000, settings_.max_rto_ms * 1000);
    c.rtt_timing_ = false;
  }
  if (c.in_recovery_) {
    if (seq_ge(ack, c.recover_)) {
      c.in_recovery_ = false;
      c.dupacks_ = 0;
      c.cc_.on_recovery_end(flight(c), c.mss_);
    } else if (!c.sack_) {
      // NewReno partial ACK (RFC 6582 3.2 step 5): resend the next hole,
      // deflate by what was acknowledged.
      send_data(c, c.snd_una_, std::min<uint32_t>(c.mss_, c.send_.bytes()), false);
      const uint32_t cwnd = c.cc_.cwnd();
      c.cc_.set_cwnd(cwnd > data ? cwnd - data + (data >= c.mss_ ? c.mss_ : 0) : c.mss_);
      arm_retransmit(c);
    }
  } else {
    c.dupacks_ = 0;
    c.cc_.on_ack(data, c.mss_, now_us_, c.rtt_.srtt_us());
  }
  // Restart the timer for what is still outstanding (RFC 6298 5.3).
  if (c.snd_una_ == c.snd_max_) {
    wheel_.cancel(c.retransmit_timer_);
  } else if (!(c.in_recovery_ && !c.sack_)) {
    arm_retransmit(c);
  }
  if (c.want_writable_ && c.send_space() > 0 && data > 0) {
    c.want_writable_ = false;
    c.events_ |= kWritable;
  }
  if (fin_acked) our_fin_acked(c);
}

void TcpStack::duplicate_ack(TcpConnection& c) {
  if (c.in_recovery_) {
    if (!c.sack_) c.cc_.set_cwnd(c.cc_.cwnd() + c.mss_);  // NewReno inflation
    return;
  }
  ++c.dupacks_;
  const bool sack_says_lost =
      c.sack_ && seq_gt(c.sacks_.lost_below(c.snd_una_, 3u * c.mss_), c.snd_una_);
  if (c.dupacks_ < 3 && !sack_says_lost) {
    limited_transmit(c);
    return;
  }
  // Fast retransmit and recovery (RFC 5681 3.2, RFC 6675 5, RFC 6582 3.2).
  counters_.fast_retransmits.increment();
  arm_undo(c);
  c.in_recovery_ = true;
  c.recover_ = c.snd_max_;
  c.cc_.on_loss(flight(c), c.mss_);
  c.rtt_timing_ = false;
  if (c.sack_) {
    c.high_rxt_ = c.snd_una_;
    sack_recovery(c);
  } else {
    send_data(c, c.snd_una_, std::min<uint32_t>(c.mss_, c.send_.bytes()), false);
    c.cc_.set_cwnd(c.cc_.ssthresh() + 3u * c.mss_);
  }
  arm_retransmit(c);
}

void TcpStack::limited_transmit(TcpConnection& c) {
  const uint32_t queued_end = c.snd_una_ + c.send_.bytes();
  if (!seq_lt(c.snd_nxt_, queued_end) || c.snd_nxt_ != c.snd_max_) return;
  const uint32_t len = std::min<uint32_t>(c.mss_, queued_end - c.snd_nxt_);
  if (seq_gt(c.snd_nxt_ + len, c.snd_una_ + c.snd_wnd_)) return;
  if (flight(c) + len > c.cc_.cwnd() + 2u * c.mss_) return;
  if (!send_data(c, c.snd_nxt_, len, false)) return;
  c.snd_nxt_ += len;
  c.snd_max_ = c.snd_nxt_;
}

void TcpStack::our_fin_acked(TcpConnection& c) {
  switch (c.state_) {
    case TcpState::fin_wait_1:
      set_state(c, TcpState::fin_wait_2);
      wheel_.cancel(c.retransmit_timer_);
      arm_lifetime(c);
      break;
    case TcpState::closing:
      enter_time_wait(c);
      break;
    case TcpState::last_ack:
      finish(c);  // the application closed long ago, or gets nothing more
      break;
    default:
      break;
  }
}

}  // namespace dplb::dataplane
