// The connection timers on the worker's wheel (1 ms ticks): retransmission
// (RFC 6298, with SYN retries and zero-window probes in the same slot,
// since they never run together), delayed ACK, and one lifetime timer whose
// meaning follows the state: keepalive, FIN_WAIT_2 or TIME_WAIT.

#include <algorithm>

#include "dataplane/tcp/tcp_sequence.h"
#include "dataplane/tcp/tcp_stack.h"

namespace dplb::dataplane {

void TcpStack::arm(TcpTimer& t, uint64_t delay_us) { wheel_.schedule(t, (now_us_ + delay_us + 999) / 1000); }

void TcpStack::arm_retransmit(TcpConnection& c) {
  uint64_t delay = c.rtt_.rto_us();
  c.probe_armed_ = false;
  // Tail loss probe (RFC 8985 7): when the last segments of a flight are
  // lost no duplicate ACK follows, and only the RTO would repair it. A probe
  // after about two round trips makes the peer's SACK start fast recovery.
  const bool data_state = c.state_ == TcpState::established || c.state_ == TcpState::close_wait ||
                          c.state_ == TcpState::fin_wait_1 || c.state_ == TcpState::last_ack;
  if (data_state && c.sack_ && !c.in_recovery_ && !c.probe_sent_ && c.retries_ == 0 && c.rtt_.sampled()) {
    uint64_t pto = 2ull * c.rtt_.srtt_us();
    if (flight(c) <= c.mss_) pto += 200'000;  // the peer may be delaying its only ACK
    pto = std::max<uint64_t>(pto, 10'000);
    if (pto < delay) {
      delay = pto;
      c.probe_armed_ = true;
    }
  }
  arm(c.retransmit_timer_, delay);
}

void TcpStack::tail_loss_probe(TcpConnection& c) {
  counters_.tail_loss_probes.increment();
  c.probe_sent_ = true;
  const uint32_t queued_end = c.snd_una_ + c.send_.bytes();
  // New data if the peer's window takes it, otherwise the last segment again.
  if (seq_lt(c.snd_nxt_, queued_end) && c.snd_nxt_ == c.snd_max_) {
    const uint32_t len = std::min<uint32_t>(c.mss_, queued_end - c.snd_nxt_);
    if (seq_le(c.snd_nxt_ + len, c.snd_una_ + c.snd_wnd_) && send_data(c, c.snd_nxt_, len, false)) {
      c.snd_nxt_ += len;
      c.snd_max_ = c.snd_nxt_;
      arm(c.retransmit_timer_, c.rtt_.rto_us());
      return;
    }
  }
  const bool fin_sent = c.write_shutdown_ && seq_gt(c.snd_max_, c.fin_seq_);
  const uint32_t data_end = fin_sent ? c.fin_seq_ : c.snd_max_;
  if (seq_lt(c.snd_una_, data_end)) {
    const uint32_t len = std::min<uint32_t>(c.mss_, data_end - c.snd_una_);
    send_data(c, data_end - len, len, fin_sent);
  } else if (fin_sent) {
    send_data(c, c.fin_seq_, 0, true);
  }
  arm(c.retransmit_timer_, c.rtt_.rto_us());
}

void TcpStack::schedule_ack(TcpConnection& c, bool at_once) {
  // RFC 9293 3.8.6.3 / RFC 5681 4.2: at least every second full segment, at
  // once for out-of-order data and FIN, otherwise within the delay.
  if (at_once || settings_.delayed_ack_ms == 0 || c.unacked_segments_ >= 2) {
    c.ack_now_ = true;
    return;
  }
  if (!c.delayed_ack_timer_.armed()) arm(c.delayed_ack_timer_, settings_.delayed_ack_ms * 1000ull);
}

void TcpStack::arm_lifetime(TcpConnection& c) {
  switch (c.state_) {
    case TcpState::established:
    case TcpState::close_wait:
      if (c.options_.keepalive.enabled) arm(c.lifetime_timer_, c.options_.keepalive.idle_ms * 1000ull);
      return;
    case TcpState::fin_wait_2:
      // Only an orphan waits a bounded time for the peer's FIN (Linux's
      // tcp_fin_timeout); a half-closed application may keep reading.
      if (c.app_closed_) {
        arm(c.lifetime_timer_, settings_.fin_wait_2_ms * 1000ull);
      } else {
        wheel_.cancel(c.lifetime_timer_);
      }
      return;
    case TcpState::time_wait:
      arm(c.lifetime_timer_, settings_.time_wait_ms * 1000ull);
      return;
    default:
      wheel_.cancel(c.lifetime_timer_);
      return;
  }
}

void TcpStack::fire(TcpTimer& t) {
  TcpConnection& c = *t.connection;
  if (c.reaping_) return;
  switch (t.kind) {
    case TcpTimerKind::retransmit: {
      const bool persisting = tcp_synchronized(c.state_) && c.snd_una_ == c.snd_max_ && c.snd_wnd_ == 0;
      if (persisting) {
        persist_expired(c);
      } else if (c.probe_armed_) {
        c.probe_armed_ = false;
        tail_loss_probe(c);
      } else {
        retransmit_expired(c);
      }
      break;
    }
    case TcpTimerKind::delayed_ack:
      if (tcp_synchronized(c.state_)) send_ack(c);
      break;
    case TcpTimerKind::lifetime:
      lifetime_expired(c);
      break;
  }
  deliver(c);
}

void TcpStack::retransmit_expired(TcpConnection& c) {
  switch (c.state_) {
    case TcpState::syn_sent:
    case TcpState::syn_received:
      if (++c.retries_ > settings_.syn_retries) {
        counters_.timeouts.increment();
        fail(c, TcpCloseReason::timed_out);
        return;
      }
      counters_.syn_retransmits.increment();
      c.rtt_.back_off(settings_.max_rto_ms * 1000);
      send_syn(c);
      arm_retransmit(c);
      return;
    case TcpState::closed:
    case TcpState::time_wait:
      return;
    default:
      break;
  }
  if (c.snd_una_ == c.snd_max_) return;  // everything was acknowledged meanwhile
  counters_.rto_expiries.increment();
  // An orphan's data goes to nobody who could still act on a late byte:
  // like Linux (tcp_orphan_retries), it is given up sooner.
  const uint32_t limit = c.app_closed_ ? std::min(settings_.retries, settings_.orphan_retries) : settings_.retries;
  if (++c.retries_ > limit) {
    counters_.timeouts.increment();
    if (c.app_closed_ && limit < settings_.retries) counters_.orphans_reset.increment();
    send_rst(c);
    fail(c, TcpCloseReason::timed_out);
    return;
  }
  if (!c.undo_armed_) arm_undo(c);  // a later expiry keeps the first's window to go back to
  c.cc_.on_timeout(flight(c), c.mss_);
  c.in_recovery_ = false;
  c.dupacks_ = 0;
  // The receiver may have reneged on what it SACKed (RFC 2018 8).
  c.sacks_.clear();
  c.rtt_timing_ = false;
  c.rtt_.back_off(settings_.max_rto_ms * 1000);
  // Go back to the first unacknowledged byte (RFC 5681 3.1, RFC 6298 5.4).
  c.snd_nxt_ = c.snd_una_;
  c.high_rxt_ = c.snd_una_;
  send_new_data(c, true);
  arm_retransmit(c);
}

void TcpStack::arm_undo(TcpConnection& c) {
  if (!c.timestamps_) return;
  c.undo_armed_ = true;
  c.undo_seq_ = c.snd_una_;
  c.undo_cwnd_ = c.cc_.cwnd();
  c.undo_ssthresh_ = c.cc_.ssthresh();
  c.retransmit_tsval_ = tsval(c);
}

void TcpStack::persist_expired(TcpConnection& c) {
  // RFC 1122 4.2.2.17 keeps probing a zero window for as long as the peer
  // answers, which lets a client that never reads hold a connection
  // forever. For a live application that is its call; an orphan (closed by
  // its application, its last bytes or FIN still queued) gets
  // orphan_retries probes, and none once the worker's buffers run short, as
  // Linux does (tcp_orphan_retries, tcp_out_of_resources).
  if (c.app_closed_ && (buffers_short() || ++c.orphan_probes_ > settings_.orphan_retries)) {
    counters_.orphans_reset.increment();
    counters_.timeouts.increment();
    send_rst(c);
    fail(c, TcpCloseReason::timed_out);
    return;
  }
  // Give up on a peer that answers no probe at all, like Linux after
  // tcp_retries2 unanswered probes; any segment from it resets the count.
  if (++c.keepalive_sent_ > settings_.retries) {
    counters_.timeouts.increment();
    send_rst(c);
    fail(c, TcpCloseReason::timed_out);
    return;
  }
  // A zero-window probe (RFC 9293 3.8.6.1): an old sequence number makes
  // the peer answer with its current window. Probing goes on while the peer
  // answers, with the timeout backed off up to the maximum.
  counters_.zero_window_probes.increment();
  send_control(c, c.snd_una_ - 1, tcp_flag::ack);
  if (c.retries_ < 16) ++c.retries_;
  const uint64_t delay = std::min<uint64_t>(static_cast<uint64_t>(c.rtt_.rto_us()) << c.retries_,
                                            settings_.max_rto_ms * 1000ull);
  arm(c.retransmit_timer_, delay);
}

void TcpStack::lifetime_expired(TcpConnection& c) {
  switch (c.state_) {
    case TcpState::established:
    case TcpState::close_wait: {
      const TcpKeepalive& k = c.options_.keepalive;
      if (!k.enabled) return;
      const uint32_t idle = now_ms() - c.last_received_ms_;
      if (idle < k.idle_ms) {
        arm(c.lifetime_timer_, (k.idle_ms - idle) * 1000ull);
        return;
      }
      if (c.keepalive_sent_ >= k.probes) {
        counters_.timeouts.increment();
        send_rst(c);
        fail(c, TcpCloseReason::timed_out);
        return;
      }
      // RFC 9293 3.8.4: an old sequence number, no data.
      ++c.keepalive_sent_;
      counters_.keepalive_probes.increment();
      send_control(c, c.snd_una_ - 1, tcp_flag::ack);
      arm(c.lifetime_timer_, k.interval_ms * 1000ull);
      return;
    }
    case TcpState::fin_wait_2:
      if (c.app_closed_) finish(c);
      return;
    case TcpState::time_wait:
      finish(c);
      return;
    default:
      return;
  }
}

}  // namespace dplb::dataplane
