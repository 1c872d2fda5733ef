// Segment arrival, RFC 9293 section 3.10.7, with the RFC 5961 checks on RST,
// SYN and ACK, PAWS (RFC 7323), SACK (RFC 2018) and SYN cookies.

#include <rte_mbuf.h>

#include <algorithm>

#include "dataplane/base/mbuf_chain.h"
#include "dataplane/tcp/syn_cookie.h"
#include "dataplane/tcp/tcp_sequence.h"
#include "dataplane/tcp/tcp_stack.h"

namespace dplb::dataplane {

namespace {
// PAWS does not apply to a ts_recent older than 24 days (RFC 7323 5.5).
constexpr uint32_t kPawsIdleMs = 24u * 24 * 3600 * 1000;

// RFC 6298 5.7: when the SYN (or SYN-ACK) timed out, the handshake gave no
// RTT sample (Karn) and data starts with an RTO of at least 3 s.
void rto_after_syn_timeout(RttEstimator& rtt, uint32_t max_rto_us) {
  if (!rtt.sampled() && rtt.rto_us() < 3'000'000) rtt.reset(std::min<uint32_t>(3'000'000, max_rto_us));
}
}  // namespace

void TcpStack::receive(rte_mbuf* frame, const TcpSegment& s) {
  counters_.segments_in.increment();
  const FourTuple t{s.destination, s.source, s.destination_port, s.source_port};
  if (TcpConnection* c = find(t)) {
    segment_for_connection(*c, frame, s);
  } else {
    no_connection(frame, s);
  }
  flush_pending();
  reap();
}

void TcpStack::no_connection(rte_mbuf* frame, const TcpSegment& s) {
  Listener* l = listener_for(s.destination_port);
  if (s.has(tcp_flag::rst)) {  // never answer a RST
    rte_pktmbuf_free(frame);
    return;
  }
  if (l != nullptr) {
    if (s.has(tcp_flag::syn) && !s.has(tcp_flag::ack)) {
      listener_syn(*l, s);
      rte_pktmbuf_free(frame);
      return;
    }
    if (s.has(tcp_flag::ack) && !s.has(tcp_flag::syn) && listener_ack(*l, frame, s)) return;
    if (!s.has(tcp_flag::ack)) {
      // Neither a SYN nor an ACK (a lone FIN, say): RFC 9293 3.10.7.2 drops it
      // at a listener, unanswered, as Linux does: answering would turn a
      // spoofed flood of such segments into a flood of RSTs.
      counters_.drop(TcpDropReason::bad_segment).increment();
      rte_pktmbuf_free(frame);
      return;
    }
  } else {
    counters_.drop(TcpDropReason::no_listener).increment();
  }
  reply_rst(s);
  rte_pktmbuf_free(frame);
}

void TcpStack::negotiate(TcpConnection& c, const Options& o, uint16_t route_mss) {
  // Send no more than the peer can take (536 if it did not say, RFC 9293 3.7.1)
  // nor than our own way out carries.
  c.mss_ = std::min(o.mss, route_mss);
  if (settings_.window_scaling && o.window_scale) {
    c.snd_wscale_ = *o.window_scale;
    c.rcv_wscale_ = rcv_wscale_;
  }
  c.sack_ = settings_.sack && o.sack;
  if (settings_.timestamps && o.timestamps) {
    c.timestamps_ = true;
    c.ts_recent_ = o.timestamps->value;
    c.ts_recent_ms_ = now_ms();
    c.mss_ = static_cast<uint16_t>(c.mss_ - 12);  // every segment carries the option
  }
  if (c.mss_ < 64) c.mss_ = 64;
}

void TcpStack::listener_syn(Listener& l, const TcpSegment& s, std::optional<uint32_t> iss_above) {
  const std::optional<TcpRoute> route = sink_.route(s.source);
  if (!route) {
    counters_.drop(TcpDropReason::no_route).increment();
    return;
  }
  Options offered;
  offered.mss = s.options.mss.value_or(536);
  offered.window_scale = s.options.window_scale;
  offered.sack = s.options.sack_permitted;
  offered.timestamps = s.options.timestamps;
  const FourTuple t{s.destination, s.source, s.destination_port, s.source_port};
  if (buffers_short()) {
    // Out of buffers: no new work until queued data drains (the client retries).
    counters_.drop(TcpDropReason::buffer_limit).increment();
    return;
  }
  const bool backlog_full = l.half_open >= settings_.syn_backlog;
  if (backlog_full || live_ >= settings_.max_connections) {
    if (!settings_.syn_cookies) {
      counters_.drop(backlog_full ? TcpDropReason::backlog_full : TcpDropReason::connection_limit).increment();
      return;
    }
    // Answer statelessly: the sequence number and TSval carry what the
    // connection needs (dataplane/tcp/syn_cookie.h).
    const uint8_t index = cookie_mss_index(std::min<uint16_t>(offered.mss, route->mss));
    const uint32_t cookie = make_syn_cookie(identity_.secret, t, s.sequence, now_us_ * 1000, index);
    TcpOptions o;
    o.mss = route->mss;
    if (s.options.timestamps && settings_.timestamps) {
      CookieOptions carried;
      // The peer's shift (ours is the stack's, known again at the ACK).
      if (settings_.window_scaling && offered.window_scale) carried.window_scale = *offered.window_scale;
      carried.sack_permitted = settings_.sack && offered.sack;
      // The peer will see later TSvals from the normal clock; the cookie's
      // must not be ahead of them.
      const uint32_t clock = now_ms() + hash_four_tuple(identity_.secret, t, 0x75);
      uint32_t ts = encode_cookie_timestamp(clock, carried);
      if (seq_gt(ts, clock)) ts -= 32;
      o.timestamps = TcpTimestamps{ts, s.options.timestamps->value};
      if (carried.window_scale) o.window_scale = rcv_wscale_;
      o.sack_permitted = carried.sack_permitted;
    }
    const uint16_t window = static_cast<uint16_t>(std::min<uint32_t>(settings_.connection_buffer, 65535));
    rte_mbuf* m = build(t, cookie, s.sequence + 1, tcp_flag::syn | tcp_flag::ack, window, o);
    if (m != nullptr) {
      finish_and_send(m, t, 0);
      counters_.syn_cookies_sent.increment();
    }
    return;
  }
  TcpConnection* c = allocate(t);
  if (c == nullptr) {
    counters_.drop(TcpDropReason::connection_limit).increment();
    return;
  }
  c->app_ = l.app;
  c->options_ = l.options;
  c->passive_ = true;
  c->listener_port_ = l.port;
  c->half_open_counted_ = true;
  ++l.half_open;
  c->irs_ = s.sequence;
  c->rcv_nxt_ = s.sequence + 1;
  c->rcv_adv_ = c->rcv_nxt_;  // nothing offered until the SYN-ACK goes out
  c->iss_ = initial_sequence_number(identity_.secret, t, now_us_ * 1000);
  if (iss_above && !seq_gt(c->iss_, *iss_above)) c->iss_ = *iss_above + 1;
  c->snd_una_ = c->iss_;
  c->snd_nxt_ = c->snd_max_ = c->iss_ + 1;
  c->snd_wnd_ = s.window;  // never scaled in a SYN
  negotiate(*c, offered, route->mss);
  c->cc_.init(c->options_.congestion, c->mss_);
  set_state(*c, TcpState::syn_received);
  send_syn(*c);
  arm_retransmit(*c);
}

bool TcpStack::listener_ack(Listener& l, rte_mbuf* frame, const TcpSegment& s) {
  if (!settings_.syn_cookies) return false;
  const FourTuple t{s.destination, s.source, s.destination_port, s.source_port};
  const std::optional<uint8_t> index =
      check_syn_cookie(identity_.secret, t, s.sequence - 1, s.acknowledgement - 1, now_us_ * 1000);
  if (!index) {
    counters_.drop(TcpDropReason::cookie_invalid).increment();
    return false;
  }
  const std::optional<TcpRoute> route = sink_.route(s.source);
  TcpConnection* c = route && !buffers_short() ? allocate(t) : nullptr;
  if (c == nullptr) {
    counters_.drop(!route          ? TcpDropReason::no_route
                   : buffers_short() ? TcpDropReason::buffer_limit
                                     : TcpDropReason::connection_limit)
        .increment();
    rte_pktmbuf_free(frame);
    return true;  // the client retransmits; a RST would kill a valid handshake
  }
  counters_.syn_cookies_validated.increment();
  c->app_ = l.app;
  c->options_ = l.options;
  c->passive_ = true;
  c->listener_port_ = l.port;
  c->irs_ = s.sequence - 1;
  c->rcv_nxt_ = s.sequence;
  c->iss_ = s.acknowledgement - 1;
  c->snd_una_ = c->iss_;
  c->snd_nxt_ = c->snd_max_ = s.acknowledgement;
  Options offered;
  offered.mss = kCookieMss[*index];
  if (s.options.timestamps && settings_.timestamps) {
    const CookieOptions carried = decode_cookie_timestamp(s.options.timestamps->echo_reply);
    offered.window_scale = carried.window_scale;
    offered.sack = carried.sack_permitted;
    offered.timestamps = s.options.timestamps;
  }
  negotiate(*c, offered, route->mss);
  // What the SYN-ACK promised: our scale only if the peer's was carried.
  if (!offered.window_scale) c->snd_wscale_ = c->rcv_wscale_ = 0;
  c->cc_.init(c->options_.congestion, c->mss_);
  c->rcv_adv_ = c->rcv_nxt_ + std::min<uint32_t>(settings_.connection_buffer, 65535);
  account_window(*c);
  set_state(*c, TcpState::syn_received);
  // The ACK completes the handshake like any other.
  segment_for_connection(*c, frame, s);
  return true;
}

bool TcpStack::acceptable(const TcpConnection& c, const TcpSegment& s) const {
  const uint32_t len = s.sequence_length();
  const uint32_t wnd = receive_window(c);
  // The window we advertised may be larger than what we would offer now.
  const uint32_t right = seq_max(c.rcv_nxt_ + wnd, c.rcv_adv_);
  if (len == 0) {
    // Inclusive of the right edge, as Linux's tcp_sequence(): a peer that
    // filled our window sends its ACKs with SEG.SEQ at the edge while a gap
    // holds RCV.NXT back, and those ACKs must count.
    return seq_le(c.rcv_nxt_, s.sequence) && seq_le(s.sequence, right);
  }
  if (c.rcv_nxt_ == right) return false;
  return seq_in(s.sequence, c.rcv_nxt_, right) || seq_in(s.sequence + len - 1, c.rcv_nxt_, right);
}

void TcpStack::challenge_ack(TcpConnection& c) {
  // RFC 5961 section 7: a per-worker budget per second.
  const uint32_t second = static_cast<uint32_t>(now_us_ / 1'000'000);
  if (second != challenge_second_) {
    challenge_second_ = second;
    challenges_this_second_ = 0;
  }
  if (challenges_this_second_ >= settings_.challenge_ack_limit) {
    counters_.challenge_acks_limited.increment();
    return;
  }
  ++challenges_this_second_;
  counters_.challenge_acks.increment();
  send_ack(c);
}

void TcpStack::segment_for_connection(TcpConnection& c, rte_mbuf* frame, const TcpSegment& s) {
  c.last_received_ms_ = now_ms();
  c.keepalive_sent_ = 0;
  if (c.state_ == TcpState::syn_sent) {
    syn_sent_input(c, s);
    rte_pktmbuf_free(frame);
    deliver(c);
    return;
  }
  if (c.state_ == TcpState::time_wait && s.has(tcp_flag::syn) && !s.has(tcp_flag::ack) &&
      reuse_time_wait(c, frame, s)) {
    return;
  }
  // RFC 9293 3.10.7.4's checks in its order. Each helper that ends the
  // segment's journey frees the frame and tells the application.
  if (paws_rejects(c, frame, s)) return;
  if (!acceptable(c, s)) {
    unacceptable_segment(c, frame, s);
    return;
  }
  if (s.has(tcp_flag::rst)) {
    reset_in_window(c, frame, s);
    return;
  }
  if (s.has(tcp_flag::syn)) {
    syn_in_window(c, frame, s);
    return;
  }
  if (!s.has(tcp_flag::ack)) {
    counters_.drop(TcpDropReason::bad_segment).increment();
    rte_pktmbuf_free(frame);
    return;
  }

  // Timestamps: remember the newest from a segment at the left edge (RFC 7323 4.3).
  if (c.timestamps_ && s.options.timestamps && seq_le(s.sequence, c.rcv_nxt_) &&
      seq_ge(s.options.timestamps->value, c.ts_recent_)) {
    c.ts_recent_ = s.options.timestamps->value;
    c.ts_recent_ms_ = now_ms();
  }

  // The ACK that completes a handshake may carry data (and a FIN): it goes on below.
  if (c.state_ == TcpState::syn_received && !complete_handshake(c, s)) {
    rte_pktmbuf_free(frame);
    return;
  }

  if (!process_ack(c, s) || c.reaping_) {  // RFC 5961 5.2: an unacceptable ACK drops the segment
    rte_pktmbuf_free(frame);
    deliver(c);
    return;
  }
  process_data(c, frame, s);
  deliver(c);
  if (!c.reaping_) output(c);
}

bool TcpStack::reuse_time_wait(TcpConnection& c, rte_mbuf* frame, const TcpSegment& s) {
  // A new SYN may reuse the tuple when it is clearly newer (RFC 9293
  // 3.6.1; RFC 6191 with timestamps).
  const bool newer = c.timestamps_ && s.options.timestamps ? seq_gt(s.options.timestamps->value, c.ts_recent_)
                                                           : seq_gt(s.sequence, c.rcv_nxt_);
  if (!newer) return false;
  counters_.time_wait_reused.increment();
  // RFC 9293 3.6.1 (1): the new ISS must be above every sequence number
  // the old incarnation used, whatever the ISN clock says.
  const uint32_t old_max = c.snd_max_;
  finish(c);
  reap();
  if (Listener* l = listener_for(s.destination_port)) {
    listener_syn(*l, s, old_max);
    rte_pktmbuf_free(frame);
  } else {
    no_connection(frame, s);
  }
  return true;
}

bool TcpStack::paws_rejects(TcpConnection& c, rte_mbuf* frame, const TcpSegment& s) {
  // PAWS (RFC 7323 5.3) protects data. A pure ACK with an older timestamp
  // is one the network reordered: its acknowledgement and SACK blocks still
  // count (Linux makes the same exception for disordered ACKs); it just does
  // not update TS.Recent.
  if (!(c.timestamps_ && s.options.timestamps && !s.has(tcp_flag::rst) && s.sequence_length() > 0 &&
        seq_lt(s.options.timestamps->value, c.ts_recent_) && now_ms() - c.ts_recent_ms_ < kPawsIdleMs)) {
    return false;
  }
  counters_.drop(TcpDropReason::paws).increment();
  send_ack(c);
  rte_pktmbuf_free(frame);
  return true;
}

void TcpStack::unacceptable_segment(TcpConnection& c, rte_mbuf* frame, const TcpSegment& s) {
  // A segment with data for a closed window still carries a usable ACK
  // (zero-window probes are answered this way).
  // A retransmitted SYN: the peer did not get our SYN-ACK; send it again
  // (as Linux does) rather than a bare ACK the peer would drop.
  if (c.state_ == TcpState::syn_received && s.has(tcp_flag::syn) && !s.has(tcp_flag::ack) &&
      s.sequence == c.irs_) {
    send_syn(c);
    c.rtt_timing_ = false;  // Karn: the ACK may answer either copy
    rte_pktmbuf_free(frame);
    return;
  }
  // Data at the right edge of a full window (a zero-window probe, or data
  // sent into a window that closed) is not taken, but its ACK is.
  const uint32_t right = seq_max(c.rcv_nxt_ + receive_window(c), c.rcv_adv_);
  const bool probe = s.sequence == right;
  if (probe && !s.has(tcp_flag::rst) && !s.has(tcp_flag::syn)) {
    if (s.has(tcp_flag::ack)) process_ack(c, s);
    send_ack(c);
    rte_pktmbuf_free(frame);
    deliver(c);
    return;
  }
  if (s.has(tcp_flag::rst)) {
    counters_.drop(TcpDropReason::rst_ignored).increment();
    rte_pktmbuf_free(frame);
    return;
  }
  counters_.drop(TcpDropReason::out_of_window).increment();
  // TIME_WAIT: a retransmitted FIN restarts 2MSL (RFC 9293 3.10.7.4, eighth).
  if (c.state_ == TcpState::time_wait && s.has(tcp_flag::fin)) arm_lifetime(c);
  // An old duplicate (the peer resent what we have) still carries the
  // peer's latest acknowledgement of our data; Linux takes it too (its
  // window check starts at RCV.WUP). The ACK passes the RFC 5961 checks in
  // process_ack like any other.
  const bool old_duplicate = seq_le(s.sequence + s.sequence_length(), c.rcv_nxt_) && s.has(tcp_flag::ack) &&
                             tcp_synchronized(c.state_);
  if (old_duplicate && c.state_ != TcpState::time_wait) {
    process_ack(c, s);
    if (!c.reaping_) send_ack(c);
    rte_pktmbuf_free(frame);
    deliver(c);
    if (!c.reaping_) output(c);
    return;
  }
  send_ack(c);
  rte_pktmbuf_free(frame);
}

void TcpStack::reset_in_window(TcpConnection& c, rte_mbuf* frame, const TcpSegment& s) {
  // RFC 5961 3.2: only an exact match resets; in-window gets a challenge.
  if (s.sequence == c.rcv_nxt_) {
    counters_.resets_received.increment();
    if (c.state_ == TcpState::syn_received && c.passive_) {
      finish(c);  // the listener forgets it; nobody was told of it yet
    } else {
      fail(c, TcpCloseReason::reset);
    }
  } else {
    challenge_ack(c);
  }
  rte_pktmbuf_free(frame);
  deliver(c);
}

void TcpStack::syn_in_window(TcpConnection& c, rte_mbuf* frame, const TcpSegment& s) {
  // RFC 5961 4.2: challenge ACK. A retransmitted SYN in SYN_RECEIVED gets
  // our SYN-ACK again.
  if (c.state_ == TcpState::syn_received && s.sequence == c.irs_) {
    send_syn(c);
  } else {
    counters_.drop(TcpDropReason::syn_in_window).increment();
    challenge_ack(c);
  }
  rte_pktmbuf_free(frame);
}

bool TcpStack::complete_handshake(TcpConnection& c, const TcpSegment& s) {
  if (!seq_gt(s.acknowledgement, c.snd_una_) || seq_gt(s.acknowledgement, c.snd_max_)) {
    counters_.drop(TcpDropReason::bad_ack).increment();
    reply_rst(s);
    return false;
  }
  if (c.half_open_counted_) {
    if (Listener* l = listener_for(c.listener_port_)) --l->half_open;
    c.half_open_counted_ = false;
  }
  wheel_.cancel(c.retransmit_timer_);
  if (c.retries_ > 0) rto_after_syn_timeout(c.rtt_, settings_.max_rto_ms * 1000);
  c.retries_ = 0;
  c.snd_una_ = c.iss_ + 1;
  c.snd_wnd_ = static_cast<uint32_t>(s.window) << c.snd_wscale_;
  c.max_snd_wnd_ = c.snd_wnd_;
  c.snd_wl1_ = s.sequence;
  c.snd_wl2_ = s.acknowledgement;
  set_state(c, TcpState::established);
  if (c.rtt_timing_) {  // the SYN-ACK's round trip, unless it was retransmitted
    c.rtt_.sample(static_cast<uint32_t>(now_us_ - c.rtt_start_us_), settings_.min_rto_ms * 1000,
                  settings_.max_rto_ms * 1000);
    c.rtt_timing_ = false;
  }
  if (c.write_shutdown_) set_state(c, TcpState::fin_wait_1);
  if (c.passive_) {
    counters_.passive_opens.increment();
    c.app_owned_ = c.app_ != nullptr;
    c.events_ |= kAccepted;
  } else {
    c.events_ |= kConnected;  // simultaneous open
  }
  arm_lifetime(c);
  return true;
}

void TcpStack::syn_sent_input(TcpConnection& c, const TcpSegment& s) {
  const bool ack = s.has(tcp_flag::ack);
  if (ack && (seq_le(s.acknowledgement, c.iss_) || seq_gt(s.acknowledgement, c.snd_max_))) {
    if (!s.has(tcp_flag::rst)) reply_rst(s);
    counters_.drop(TcpDropReason::bad_ack).increment();
    return;
  }
  if (s.has(tcp_flag::rst)) {
    if (ack) {  // acceptable ACK: the peer refused us
      counters_.resets_received.increment();
      fail(c, TcpCloseReason::refused);
    } else {
      counters_.drop(TcpDropReason::rst_ignored).increment();
    }
    return;
  }
  if (!s.has(tcp_flag::syn)) return;
  const std::optional<TcpRoute> route = sink_.route(c.tuple_.remote_address);
  Options offered;
  offered.mss = s.options.mss.value_or(536);
  offered.window_scale = s.options.window_scale;
  offered.sack = s.options.sack_permitted;
  offered.timestamps = s.options.timestamps;
  const bool asked_scale = settings_.window_scaling;
  negotiate(c, offered, route ? route->mss : c.mss_);
  // Window scaling only when both sides offered it (RFC 7323 2.2).
  if (!(asked_scale && offered.window_scale)) c.snd_wscale_ = c.rcv_wscale_ = 0;
  c.cc_.init(c.options_.congestion, c.mss_);
  c.irs_ = s.sequence;
  c.rcv_nxt_ = s.sequence + 1;
  c.rcv_adv_ = c.rcv_nxt_;  // the right edge is measured from here on (it was 0)
  account_window(c);
  if (ack) {
    wheel_.cancel(c.retransmit_timer_);
    if (c.retries_ > 0) rto_after_syn_timeout(c.rtt_, settings_.max_rto_ms * 1000);
    c.retries_ = 0;
    // The SYN's round trip seeds the RTT estimate unless it was retransmitted.
    if (c.rtt_timing_) {
      c.rtt_.sample(static_cast<uint32_t>(now_us_ - c.rtt_start_us_), settings_.min_rto_ms * 1000,
                    settings_.max_rto_ms * 1000);
      c.rtt_timing_ = false;
    }
    c.snd_una_ = s.acknowledgement;
    c.snd_wnd_ = s.window;  // not scaled in a SYN-ACK
    c.max_snd_wnd_ = c.snd_wnd_;
    c.snd_wl1_ = s.sequence;
    c.snd_wl2_ = s.acknowledgement;
    set_state(c, TcpState::established);
    if (c.write_shutdown_) set_state(c, TcpState::fin_wait_1);
    c.events_ |= kConnected;
    arm_lifetime(c);
    c.ack_now_ = true;
    output(c);
  } else {
    // Simultaneous open (RFC 9293 3.5, figure 8).
    c.snd_wnd_ = s.window;
    set_state(c, TcpState::syn_received);
    send_syn(c);
  }
}

void TcpStack::enter_time_wait(TcpConnection& c) {
  set_state(c, TcpState::time_wait);
  wheel_.cancel(c.retransmit_timer_);
  wheel_.cancel(c.delayed_ack_timer_);
  // Whatever the application did not read is of no use any more.
  buffered_ -= c.send_.bytes();
  c.send_.clear();
  if (settings_.time_wait_ms == 0) {
    finish(c);
    return;
  }
  arm_lifetime(c);
}

void TcpStack::process_data(TcpConnection& c, rte_mbuf* frame, const TcpSegment& s) {
  const bool fin = s.has(tcp_flag::fin);
  switch (c.state_) {
    case TcpState::established:
    case TcpState::fin_wait_1:
    case TcpState::fin_wait_2:
      break;
    default:
      // CLOSE_WAIT and later: the peer already sent FIN; nothing more is data.
      // TIME_WAIT: a retransmitted FIN is acknowledged and restarts 2MSL.
      if (c.state_ == TcpState::time_wait && fin) {
        send_ack(c);
        arm_lifetime(c);
      }
      rte_pktmbuf_free(frame);
      return;
  }
  if (s.payload_length > 0 && c.app_closed_) {
    // Nobody will read it (RFC 9293 3.10.4 CLOSE with data pending; Linux sends RST).
    counters_.drop(TcpDropReason::after_close).increment();
    rte_pktmbuf_free(frame);
    send_rst(c);
    finish(c);
    return;
  }
  bool out_of_order = false;
  if (s.payload_length > 0) {
    const WindowedPayload payload = payload_in_window(c, frame, s);
    if (payload.length > 0 && payload.data != nullptr) {
      out_of_order = queue_payload(c, payload);
    } else {
      rte_pktmbuf_free(payload.data);
    }
  } else {
    rte_pktmbuf_free(frame);
  }
  if (fin) {
    c.peer_fin_pending_ = true;
    c.peer_fin_seq_ = s.sequence + s.payload_length;
  }
  if (c.peer_fin_pending_ && c.rcv_nxt_ == c.peer_fin_seq_ && !c.fin_received_) {
    c.peer_fin_pending_ = false;
    peer_fin(c);
    return;
  }
  if (s.payload_length > 0 || fin) schedule_ack(c, out_of_order || c.receive_.has_gap() || fin);
}

TcpStack::WindowedPayload TcpStack::payload_in_window(TcpConnection& c, rte_mbuf* frame, const TcpSegment& s) {
  WindowedPayload p{s.sequence, s.payload_length, nullptr};
  p.data = chain_trim_front(frame, s.payload_offset);  // the headers
  if (p.data != nullptr) p.data = chain_trim_back(p.data, rte_pktmbuf_pkt_len(p.data) - p.length);
  // What precedes RCV.NXT was received already.
  if (seq_lt(p.sequence, c.rcv_nxt_)) {
    const uint32_t old = c.rcv_nxt_ - p.sequence;
    if (old >= p.length) {
      rte_pktmbuf_free(p.data);
      return {c.rcv_nxt_, 0, nullptr};
    }
    p.data = chain_trim_front(p.data, old);
    p.length -= old;
    p.sequence = c.rcv_nxt_;
  }
  const uint32_t right = seq_max(c.rcv_nxt_ + receive_window(c), c.rcv_adv_);
  if (seq_gt(p.sequence + p.length, right)) {
    const uint32_t over = p.sequence + p.length - right;
    if (over >= p.length) {
      rte_pktmbuf_free(p.data);
      return {p.sequence, 0, nullptr};
    }
    p.data = chain_trim_back(p.data, over);
    p.length -= over;
  }
  return p;
}

bool TcpStack::queue_payload(TcpConnection& c, const WindowedPayload& p) {
  if (p.sequence != c.rcv_nxt_ && buffers_short()) {
    // Hold nothing new ahead of a gap while short of buffers: not acknowledged, so not lost.
    counters_.drop(TcpDropReason::buffer_limit).increment();
    rte_pktmbuf_free(p.data);
    return true;
  }
  const uint32_t held_before = c.receive_.held_bytes();
  const uint32_t readable_before = c.receive_.readable();
  const uint32_t rcv_nxt_before = c.rcv_nxt_;
  bool held = true;
  const uint32_t advanced = c.receive_.insert(c.rcv_nxt_, p.sequence, p.length, p.data, reassembly_, &held);
  if (!held) counters_.drop(TcpDropReason::buffer_limit).increment();
  // Held pieces may have moved to the readable queue: add the net change.
  buffered_ += static_cast<uint64_t>(c.receive_.readable()) + c.receive_.held_bytes();
  buffered_ -= static_cast<uint64_t>(readable_before) + held_before;
  if (advanced > 0) {
    c.rcv_nxt_ += advanced;
    account_window(c);
    counters_.bytes_in.add(advanced);
    c.events_ |= kReadable;
    ++c.unacked_segments_;
  }
  const bool out_of_order = p.sequence != rcv_nxt_before || c.receive_.has_gap();
  if (out_of_order && advanced == 0) counters_.out_of_order.increment();
  return out_of_order;
}

void TcpStack::peer_fin(TcpConnection& c) {
  c.fin_received_ = true;
  c.rcv_nxt_ += 1;
  account_window(c);
  c.events_ |= kReadable;  // end of stream
  c.ack_now_ = true;
  switch (c.state_) {
    case TcpState::established:
      set_state(c, TcpState::close_wait);
      break;
    case TcpState::fin_wait_1:
      // Our FIN not yet acknowledged: simultaneous close.
      set_state(c, TcpState::closing);
      break;
    case TcpState::fin_wait_2:
      enter_time_wait(c);
      if (!c.reaping_) send_ack(c);
      return;
    default:
      break;
  }
  if (c.app_closed_ && c.state_ == TcpState::close_wait) {
    // Nobody will read the end of stream; the FIN we owe follows at once.
    c.events_ &= static_cast<uint8_t>(~kReadable);
  }
}

}  // namespace dplb::dataplane
