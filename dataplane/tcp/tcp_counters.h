#pragma once

// A worker's TCP counters, written by that worker only (see Counter). The
// per-state counts are gauges: entering a state adds one, leaving it
// subtracts one, so the control plane's sum over workers is the number of
// connections in that state.

#include <array>
#include <cstdint>
#include <string_view>

#include "dataplane/tcp/tcp_state.h"
#include "dataplane/base/counter.h"

namespace dplb::dataplane {

// Why the stack dropped a segment (or refused a connection). Every dropped
// segment has exactly one.
enum class TcpDropReason : uint8_t {
  bad_segment,       // truncated, bad offset, flags or options
  bad_checksum,
  no_listener,       // nothing listens on the port (answered with RST)
  out_of_window,     // sequence outside the receive window (answered with an ACK)
  paws,              // older timestamp than the connection has seen (RFC 7323)
  bad_ack,           // acknowledges data never sent, or far in the past
  rst_ignored,       // a RST with an unacceptable sequence number
  syn_in_window,     // a SYN on a synchronized connection (challenge ACK)
  backlog_full,      // SYN over the listener's backlog, cookies off
  connection_limit,  // SYN over max_connections
  buffer_limit,      // data over the connection or worker buffer, or no mbufs
  cookie_invalid,    // an ACK that is not a valid SYN cookie
  no_port,           // no local port free for an active open
  no_route,          // no route to the destination of an active open
  after_close,       // data for a connection the application has closed (answered with RST)
  count_,
};

inline constexpr std::size_t kTcpDropReasonCount = static_cast<std::size_t>(TcpDropReason::count_);
std::string_view tcp_drop_reason_name(TcpDropReason reason);

struct alignas(64) TcpCounters {
  std::array<Counter, kTcpStateCount> in_state;  // gauges
  Counter active_opens;
  Counter passive_opens;
  Counter segments_in;
  Counter segments_out;
  Counter bytes_in;   // payload accepted in order
  Counter bytes_out;  // payload sent, retransmissions included
  Counter retransmits;        // segments sent again
  Counter fast_retransmits;   // recoveries entered on duplicate ACKs or SACK
  Counter rto_expiries;
  Counter spurious_recoveries;
  Counter tail_loss_probes;  // reductions undone because the retransmission was not needed (RFC 3522)
  Counter syn_retransmits;
  Counter resets_sent;
  Counter resets_received;
  Counter challenge_acks;
  Counter challenge_acks_limited;
  Counter syn_cookies_sent;
  Counter syn_cookies_validated;
  Counter timeouts;           // connections given up after their retries
  Counter keepalive_probes;
  Counter zero_window_probes;
  Counter orphans_reset;      // closed by their application, reset after orphan_retries or when buffers ran short
  Counter time_wait_reused;
  Counter out_of_order;       // segments held for reassembly
  Counter window_clamps;      // windows cut short because the worker's budget was promised elsewhere
  Counter vip_resets;         // connections reset because their local (VRRP virtual) address was released
  std::array<Counter, kTcpDropReasonCount> drops;

  Counter& drop(TcpDropReason r) { return drops[static_cast<std::size_t>(r)]; }
  Counter& state(TcpState s) { return in_state[static_cast<std::size_t>(s)]; }
};

}  // namespace dplb::dataplane
