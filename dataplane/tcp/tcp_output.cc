// Sending: new data within min(cwnd, peer window) with sender-side silly
// window avoidance, RFC 6675 loss recovery with SACK, pure ACKs, SYNs and
// RSTs. Every segment is built as a header mbuf (IPv4 + TCP + options)
// followed by the payload sliced out of the send queue.

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include <algorithm>
#include <cstring>

#include "dataplane/net/ipv4/ipv4_checksum.h"
#include "dataplane/tcp/tcp_sequence.h"
#include "dataplane/tcp/tcp_stack.h"

namespace dplb::dataplane {

uint32_t TcpStack::tsval(const TcpConnection& c) const { return now_ms() + c.ts_offset_; }

uint32_t TcpStack::receive_window(const TcpConnection& c, bool* clamped) const {
  if (buffers_short()) return 0;
  const uint32_t used = c.receive_.readable();
  const uint32_t own = used >= settings_.connection_buffer ? 0 : settings_.connection_buffer - used;
  // The worker promises no more than it can take in: its budget less what
  // its queues hold and what the other connections' windows already offer
  // (the part Linux's tcp_mem pressure plays). Without this, windows offered
  // to many peers at once add up to more than the pool, and the data they
  // were allowed to send finds no mbuf.
  const uint64_t committed = buffered_ + promised_ - c.promised_;
  const uint64_t headroom = committed < window_budget_ ? window_budget_ - committed : 0;
  // A connection with nothing queued can always take a segment, so that
  // while others hold the budget (a zero-window attack) it still moves, a
  // segment at a time, as Linux's tcp_rmem[0] floor does.
  const uint64_t floor = used == 0 && c.receive_.held_bytes() == 0 ? c.mss_ : 0;
  const uint64_t allowed = std::max(headroom, floor);
  if (allowed >= own) return own;
  if (clamped != nullptr) *clamped = true;
  return static_cast<uint32_t>(allowed);
}

uint16_t TcpStack::advertised_window(TcpConnection& c) {
  bool clamped = false;
  uint32_t right = c.rcv_nxt_ + receive_window(c, &clamped);
  if (clamped) counters_.window_clamps.increment();
  const uint32_t threshold = std::min<uint32_t>(settings_.connection_buffer / 2, c.mss_);
  // Never move the right edge back (RFC 9293 3.8.6.2.2 / RFC 7323 2.4), and
  // do not offer small increases (receiver-side silly window avoidance).
  if (seq_lt(right, c.rcv_adv_) || (seq_gt(right, c.rcv_adv_) && right - c.rcv_adv_ < threshold &&
                                    seq_gt(c.rcv_adv_, c.rcv_nxt_))) {
    right = seq_max(c.rcv_adv_, c.rcv_nxt_);
  }
  const uint32_t span = right - c.rcv_nxt_;
  const uint32_t unit = 1u << c.rcv_wscale_;
  const uint32_t scaled = std::min<uint32_t>((span + unit - 1) >> c.rcv_wscale_, 65535);
  c.rcv_adv_ = seq_max(c.rcv_adv_, c.rcv_nxt_ + (scaled << c.rcv_wscale_));
  account_window(c);
  return static_cast<uint16_t>(scaled);
}

rte_mbuf* TcpStack::build(const FourTuple& t, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t window,
                          const TcpOptions& options) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr) return nullptr;
  uint8_t opt[kMaxTcpOptionBytes];
  const std::size_t opt_len = write_tcp_options(options, opt, sizeof(opt));
  const uint16_t tcp_len = static_cast<uint16_t>(sizeof(rte_tcp_hdr) + opt_len);
  auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(sizeof(rte_ipv4_hdr) + tcp_len)));
  if (p == nullptr) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->type_of_service = 0;
  ip->total_length = 0;
  ip->packet_id = 0;  // with DF set the ID means nothing (RFC 6864)
  ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
  ip->time_to_live = 64;
  ip->next_proto_id = IPPROTO_TCP;
  ip->hdr_checksum = 0;
  ip->src_addr = rte_cpu_to_be_32(t.local_address);
  ip->dst_addr = rte_cpu_to_be_32(t.remote_address);
  auto* tcp = reinterpret_cast<rte_tcp_hdr*>(p + sizeof(rte_ipv4_hdr));
  tcp->src_port = rte_cpu_to_be_16(t.local_port);
  tcp->dst_port = rte_cpu_to_be_16(t.remote_port);
  tcp->sent_seq = rte_cpu_to_be_32(seq);
  tcp->recv_ack = rte_cpu_to_be_32((flags & tcp_flag::ack) ? ack : 0);
  tcp->data_off = static_cast<uint8_t>((tcp_len / 4) << 4);
  tcp->tcp_flags = flags;
  tcp->rx_win = rte_cpu_to_be_16(window);
  tcp->cksum = 0;
  tcp->tcp_urp = 0;
  if (opt_len) std::memcpy(tcp + 1, opt, opt_len);
  m->l3_len = sizeof(rte_ipv4_hdr);
  m->l4_len = tcp_len;
  return m;
}

void TcpStack::finish_and_send(rte_mbuf* m, const FourTuple& t, uint32_t payload) {
  auto* ip = rte_pktmbuf_mtod(m, rte_ipv4_hdr*);
  ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(rte_pktmbuf_pkt_len(m)));
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  auto* tcp = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
  tcp->cksum = ipv4_l4_checksum(m, ip, sizeof(rte_ipv4_hdr));
  counters_.segments_out.increment();
  counters_.bytes_out.add(payload);
  sink_.send(m, t.remote_address);
}

namespace {
void add_connection_options(TcpOptions& o, const TcpConnection&, bool timestamps, uint32_t tsval, uint32_t tsecr) {
  if (timestamps) o.timestamps = TcpTimestamps{tsval, tsecr};
}
}  // namespace

bool TcpStack::send_data(TcpConnection& c, uint32_t seq, uint32_t length, bool fin) {
  TcpOptions o;
  add_connection_options(o, c, c.timestamps_, tsval(c), c.ts_recent_);
  if (c.sack_ && c.receive_.has_gap()) {
    o.sack_count = c.receive_.sack_blocks(o.sack.data(), c.timestamps_ ? 3 : 4);
  }
  uint8_t flags = tcp_flag::ack;
  if (length > 0 && seq + length == c.snd_una_ + c.send_.bytes()) flags |= tcp_flag::psh;
  if (fin) flags |= tcp_flag::fin;
  rte_mbuf* m = build(c.tuple_, seq, c.rcv_nxt_, flags, advertised_window(c), o);
  if (m == nullptr) return false;
  if (length > 0 && !c.send_.slice_into(m, seq - c.snd_una_, length, pool_)) {
    rte_pktmbuf_free(m);
    return false;
  }
  finish_and_send(m, c.tuple_, length);
  if (seq_lt(seq, c.snd_max_)) {
    counters_.retransmits.increment();
    ++c.total_retransmits_;
    if (c.rtt_timing_ && seq_le(seq, c.rtt_seq_)) c.rtt_timing_ = false;  // Karn
  } else if (!c.rtt_timing_ && length > 0) {
    c.rtt_timing_ = true;
    c.rtt_seq_ = seq;
    c.rtt_start_us_ = now_us_;
  }
  c.ack_now_ = false;
  c.unacked_segments_ = 0;
  wheel_.cancel(c.delayed_ack_timer_);
  return true;
}

void TcpStack::send_control(TcpConnection& c, uint32_t seq, uint8_t flags) {
  TcpOptions o;
  add_connection_options(o, c, c.timestamps_, tsval(c), c.ts_recent_);
  if (c.sack_ && c.receive_.has_gap()) {
    o.sack_count = c.receive_.sack_blocks(o.sack.data(), c.timestamps_ ? 3 : 4);
  }
  rte_mbuf* m = build(c.tuple_, seq, c.rcv_nxt_, flags, advertised_window(c), o);
  if (m == nullptr) return;
  finish_and_send(m, c.tuple_, 0);
  if (flags & tcp_flag::ack) {
    c.ack_now_ = false;
    c.unacked_segments_ = 0;
    wheel_.cancel(c.delayed_ack_timer_);
  }
}

void TcpStack::send_syn(TcpConnection& c) {
  const std::optional<TcpRoute> route = sink_.route(c.tuple_.remote_address);
  TcpOptions o;
  o.mss = route ? route->mss : c.mss_;
  const bool syn_ack = c.state_ == TcpState::syn_received;
  if (syn_ack) {
    // Offer back only what the peer offered (RFC 7323, RFC 2018).
    if (c.rcv_wscale_ != 0 || c.snd_wscale_ != 0) o.window_scale = c.rcv_wscale_;
    o.sack_permitted = c.sack_;
    if (c.timestamps_) o.timestamps = TcpTimestamps{tsval(c), c.ts_recent_};
  } else {
    if (settings_.window_scaling) {
      o.window_scale = rcv_wscale_;
      c.rcv_wscale_ = rcv_wscale_;  // provisional: cleared if the peer does not scale
    }
    o.sack_permitted = settings_.sack;
    if (settings_.timestamps) o.timestamps = TcpTimestamps{tsval(c), 0};
  }
  // A SYN's window is never scaled.
  bool clamped = false;
  const uint16_t window = static_cast<uint16_t>(std::min<uint32_t>(receive_window(c, &clamped), 65535));
  if (clamped) counters_.window_clamps.increment();
  const uint8_t flags = syn_ack ? (tcp_flag::syn | tcp_flag::ack) : tcp_flag::syn;
  rte_mbuf* m = build(c.tuple_, c.iss_, c.rcv_nxt_, flags, window, o);
  if (m == nullptr) return;
  if (syn_ack) {
    c.rcv_adv_ = c.rcv_nxt_ + window;
    account_window(c);
  }
  if (c.retries_ == 0) {
    c.rtt_timing_ = true;
    c.rtt_seq_ = c.iss_;
    c.rtt_start_us_ = now_us_;
  } else {
    c.rtt_timing_ = false;
  }
  finish_and_send(m, c.tuple_, 0);
}

void TcpStack::send_rst(TcpConnection& c) {
  if (c.state_ == TcpState::syn_sent || c.state_ == TcpState::closed) return;
  // SND.NXT, unless bytes the peer dropped or a window it shrank put that
  // beyond its window's right edge: it would discard such a RST unseen (a
  // closed window accepts only RCV.NXT), so the edge is used, as Linux's
  // tcp_acceptable_seq does. A zero window's edge is SND.UNA.
  const uint32_t edge = c.snd_una_ + c.snd_wnd_;
  const uint32_t seq = seq_gt(c.snd_max_, edge) ? edge : c.snd_max_;
  TcpOptions none;
  rte_mbuf* m = build(c.tuple_, seq, c.rcv_nxt_, tcp_flag::rst | tcp_flag::ack, 0, none);
  if (m == nullptr) return;
  counters_.resets_sent.increment();
  finish_and_send(m, c.tuple_, 0);
}

void TcpStack::reply_rst(const TcpSegment& s) {
  // RFC 9293 3.10.7.1: take the sequence from the segment's ACK, or
  // acknowledge the whole segment.
  const FourTuple t{s.destination, s.source, s.destination_port, s.source_port};
  TcpOptions none;
  rte_mbuf* m = s.has(tcp_flag::ack)
                    ? build(t, s.acknowledgement, 0, tcp_flag::rst, 0, none)
                    : build(t, 0, s.sequence + s.sequence_length(), tcp_flag::rst | tcp_flag::ack, 0, none);
  if (m == nullptr) return;
  counters_.resets_sent.increment();
  finish_and_send(m, t, 0);
}

void TcpStack::send_new_data(TcpConnection& c, bool one_segment) {
  for (;;) {
    const uint32_t queued_end = c.snd_una_ + c.send_.bytes();
    const uint32_t available = seq_gt(queued_end, c.snd_nxt_) ? queued_end - c.snd_nxt_ : 0;
    const bool fin_due = c.write_shutdown_ && seq_le(c.snd_nxt_, c.fin_seq_);
    const uint32_t in_flight = c.snd_nxt_ - c.snd_una_;
    // In SACK recovery the pipe estimate has already been checked against cwnd.
    const uint32_t window = c.in_recovery_ && c.sack_ ? c.snd_wnd_ : std::min(c.snd_wnd_, c.cc_.cwnd());
    const uint32_t usable = window > in_flight ? window - in_flight : 0;
    const uint32_t length = std::min({available, static_cast<uint32_t>(c.mss_), usable});
    if (length == 0) {
      if (available == 0 && fin_due) {
        if (!send_data(c, c.snd_nxt_, 0, true)) return;
        c.snd_nxt_ += 1;
        c.snd_max_ = seq_max(c.snd_max_, c.snd_nxt_);
        if (!c.retransmit_timer_.armed()) arm_retransmit(c);
      }
      return;
    }
    // Sender-side silly window avoidance (RFC 9293 3.8.6.2.1): a short
    // segment only when it empties the queue or nothing is in flight.
    if (length < available && length < c.mss_ && in_flight > 0) return;
    const bool fin = fin_due && length == available;
    if (!send_data(c, c.snd_nxt_, length, fin)) return;
    c.snd_nxt_ += length + (fin ? 1 : 0);
    c.snd_max_ = seq_max(c.snd_max_, c.snd_nxt_);
    if (!c.retransmit_timer_.armed()) arm_retransmit(c);
    if (one_segment) return;
  }
}

void TcpStack::sack_recovery(TcpConnection& c) {
  // RFC 6675 section 5, steps (C): send while cwnd - pipe >= 1 SMSS.
  for (unsigned guard = 0; guard < 256; ++guard) {
    const uint32_t lost = seq_max(c.sacks_.lost_below(c.snd_una_, 3u * c.mss_), c.snd_una_ + c.mss_);
    uint32_t pipe = c.sacks_.unsacked_between(seq_min(lost, c.snd_max_), c.snd_max_);
    if (seq_gt(c.high_rxt_, c.snd_una_)) pipe += c.sacks_.unsacked_between(c.snd_una_, seq_min(c.high_rxt_, lost));
    if (pipe + c.mss_ > c.cc_.cwnd()) return;
    const uint32_t queued_end = c.snd_una_ + c.send_.bytes();
    const uint32_t from = seq_max(c.high_rxt_, c.snd_una_);
    uint32_t length = 0;
    // Rule 1: the first lost hole not yet retransmitted.
    uint32_t hole = c.sacks_.next_hole(from, seq_min(lost, c.snd_max_), &length);
    if (length == 0) {
      // Rule 2: new data.
      const uint32_t before = c.snd_max_;
      if (seq_lt(c.snd_nxt_, c.snd_max_)) c.snd_nxt_ = c.snd_max_;
      send_new_data(c, true);
      if (c.snd_max_ != before) continue;
      // Rule 3: a hole below the highest SACKed byte.
      hole = c.sacks_.next_hole(from, c.sacks_.highest(), &length);
      if (length == 0) return;
    }
    if (!seq_lt(hole, c.snd_max_)) return;  // nothing sent is missing there
    if (seq_ge(hole, queued_end)) {
      // Past the data only our FIN can be missing, and only once it was sent.
      const bool fin_outstanding = c.write_shutdown_ && hole == c.fin_seq_ && seq_gt(c.snd_max_, c.fin_seq_);
      if (!fin_outstanding || !send_data(c, hole, 0, true)) return;
      c.high_rxt_ = hole + 1;
      continue;
    }
    // A retransmission never reaches past SND.MAX: bytes there are new data,
    // which only rule 2 sends (and counts in SND.MAX). Rule 3's limit is the
    // highest SACKed byte, which is 0 once a cumulative ACK emptied the
    // scoreboard during recovery, and 0 compares as far ahead.
    length = std::min({length, static_cast<uint32_t>(c.mss_), queued_end - hole, c.snd_max_ - hole});
    if (!send_data(c, hole, length, false)) return;
    c.high_rxt_ = hole + length;
  }
}

void TcpStack::output(TcpConnection& c) {
  switch (c.state_) {
    case TcpState::closed:
    case TcpState::syn_sent:
    case TcpState::syn_received:
      return;
    case TcpState::time_wait:
      if (c.ack_now_) send_ack(c);
      return;
    default:
      break;
  }
  if (c.in_recovery_ && c.sack_) {
    sack_recovery(c);
  } else {
    send_new_data(c, false);
  }
  if (c.ack_now_) send_ack(c);
  // Zero window with something to send and nothing in flight: probe it.
  const bool unsent = seq_lt(c.snd_nxt_, c.snd_una_ + c.send_.bytes()) ||
                      (c.write_shutdown_ && seq_le(c.snd_nxt_, c.fin_seq_));
  if (c.snd_wnd_ == 0 && unsent && c.snd_una_ == c.snd_max_ && !c.retransmit_timer_.armed()) {
    c.retries_ = 0;
    arm_retransmit(c);
  }
}

}  // namespace dplb::dataplane
