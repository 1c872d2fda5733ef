#pragma once

// One TCP connection on a worker: the state of RFC 9293 plus what RFC 7323,
// 2018, 6675, 6298, 5681/6582 and 9438 add, the send and receive queues, and
// three intrusive timers. It lives in the worker's connection slab; its size
// (without buffered data) is what an idle connection costs, so fields are
// kept narrow. The application-facing part is the public methods; the stack
// reads and writes the rest.

#include <cstdint>

#include "dataplane/stream/byte_stream.h"
#include "dataplane/tcp/congestion_control.h"
#include "dataplane/tcp/rtt_estimator.h"
#include "dataplane/tcp/sack_scoreboard.h"
#include "dataplane/tcp/tcp_application.h"
#include "dataplane/tcp/tcp_receive_queue.h"
#include "dataplane/tcp/tcp_send_queue.h"
#include "dataplane/tcp/tcp_settings.h"
#include "dataplane/tcp/tcp_state.h"
#include "dataplane/tcp/tcp_isn.h"
#include "dataplane/base/timer_wheel.h"

struct rte_mbuf;

namespace dplb::dataplane {

class TcpStack;
class TcpConnection;

enum class TcpTimerKind : uint8_t {
  retransmit,  // RTO, SYN retries and zero-window probes (never both armed)
  delayed_ack,
  lifetime,    // keepalive, FIN_WAIT_2 or TIME_WAIT, by state
};

struct TcpTimer : Timer {
  TcpConnection* connection = nullptr;
  TcpTimerKind kind = TcpTimerKind::retransmit;
};

class TcpConnection final : public ByteStream {
 public:
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  const FourTuple& tuple() const override { return tuple_; }
  TcpState state() const { return state_; }

  // Receiving. read() hands over up to `max_bytes` (in whole mbuf segments,
  // at least one) as one chain the caller now owns; reading reopens the
  // receive window.
  uint32_t readable() const override { return receive_.readable(); }
  rte_mbuf* read(uint32_t max_bytes, uint32_t* bytes_read) override;
  // The peer sent FIN and every byte before it has been read.
  bool end_of_stream() const override { return fin_received_ && receive_.readable() == 0; }

  // Sending. write() always takes ownership of the chain; it returns false
  // (and frees it) when the connection can no longer send. send_space() is
  // what the per-connection buffer still holds; writing beyond it is
  // accepted but counted against the worker's buffer.
  uint32_t send_space() const override;
  bool write(rte_mbuf* chain) override;
  // Copies `length` bytes into new mbufs and queues them; returns bytes queued.
  uint32_t write_copy(const void* data, uint32_t length) override;
  // Ask for on_writable() once acknowledgements free send-queue space.
  void want_writable() override { want_writable_ = true; }

  // Closing. shutdown_write() sends FIN after the queued data; close() does
  // the same and gives the connection back to the stack (data arriving
  // afterwards is answered with RST, as Linux does); abort() sends RST at
  // once. After close() or abort() the handle must not be used.
  void shutdown_write() override;
  void close() override;
  void abort() override;

  void* user_data = nullptr;

  // For show tcp connections.
  uint32_t send_queued() const override { return send_.bytes(); }
  uint32_t cwnd() const { return cc_.cwnd(); }
  uint32_t srtt_us() const { return rtt_.srtt_us(); }
  uint32_t rto_us() const { return rtt_.rto_us(); }
  uint32_t peer_window() const { return snd_wnd_; }
  uint16_t mss() const { return mss_; }
  uint32_t retransmissions() const { return total_retransmits_; }
  // For tests and fuzzers: the first rule of the sequence space this
  // connection breaks, or null when it keeps them all.
  const char* broken_invariant() const;

 private:
  friend class TcpStack;
  TcpConnection() = default;

  TcpStack* stack_ = nullptr;
  TcpApplication* app_ = nullptr;
  FourTuple tuple_;
  TcpState state_ = TcpState::closed;
  TcpConnectionOptions options_;

  // Flags.
  bool passive_ = false;
  bool app_owned_ = false;       // the application holds the handle
  bool app_closed_ = false;      // close(): no more reads, the stack finishes the connection
  bool write_shutdown_ = false;  // FIN queued at fin_seq_
  bool fin_received_ = false;
  bool timestamps_ = false;      // negotiated
  bool sack_ = false;            // negotiated
  bool in_recovery_ = false;
  bool rtt_timing_ = false;
  bool ack_now_ = false;
  bool want_writable_ = false;
  bool output_pending_ = false;  // on the stack's pending list
  bool half_open_counted_ = false;
  bool reaping_ = false;
  bool peer_fin_pending_ = false;  // a FIN arrived ahead of a gap
  bool undo_armed_ = false;        // a retransmission may yet prove spurious
  bool probe_armed_ = false;       // the retransmission timer is a tail loss probe timeout
  bool probe_sent_ = false;        // one probe per flight, until new data is acknowledged
  uint8_t events_ = 0;           // to deliver to the application
  TcpCloseReason close_reason_ = TcpCloseReason::reset;
  uint8_t snd_wscale_ = 0;
  uint8_t rcv_wscale_ = 0;
  uint8_t dupacks_ = 0;
  uint8_t retries_ = 0;          // consecutive expiries of the retransmission timer
  uint8_t keepalive_sent_ = 0;
  uint8_t orphan_probes_ = 0;     // zero-window probes since the application closed
  uint8_t unacked_segments_ = 0;  // received since our last ACK
  uint16_t mss_ = 536;            // payload per segment we send, options excluded
  uint16_t listener_port_ = 0;

  // Sequence space (RFC 9293 3.3.1).
  uint32_t iss_ = 0;
  uint32_t irs_ = 0;
  uint32_t snd_una_ = 0;
  uint32_t snd_nxt_ = 0;
  uint32_t snd_max_ = 0;   // highest sequence sent + 1
  uint32_t snd_wnd_ = 0;   // scaled
  uint32_t max_snd_wnd_ = 0;
  uint32_t snd_wl1_ = 0;
  uint32_t snd_wl2_ = 0;
  uint32_t fin_seq_ = 0;   // our FIN's sequence number, once write_shutdown_
  uint32_t rcv_nxt_ = 0;
  uint32_t rcv_adv_ = 0;   // right edge of the window we advertised
  uint32_t promised_ = 0;  // RCV.ADV - RCV.NXT as last counted in the stack's promised total
  uint32_t peer_fin_seq_ = 0;
  // Loss recovery (RFC 6675 / 6582).
  uint32_t recover_ = 0;
  uint32_t high_rxt_ = 0;
  // Eifel (RFC 3522): the window before the reduction, and our TSval on the
  // first retransmission of undo_seq_.
  uint32_t undo_seq_ = 0;
  uint32_t undo_cwnd_ = 0;
  uint32_t undo_ssthresh_ = 0;
  uint32_t retransmit_tsval_ = 0;
  // RTT measurement of one segment per round trip (Karn's rule).
  uint32_t rtt_seq_ = 0;
  uint64_t rtt_start_us_ = 0;
  // Timestamps (RFC 7323).
  uint32_t ts_offset_ = 0;
  uint32_t ts_recent_ = 0;
  uint32_t ts_recent_ms_ = 0;
  uint32_t last_received_ms_ = 0;
  uint32_t total_retransmits_ = 0;

  RttEstimator rtt_;
  CongestionControl cc_;
  SackScoreboard sacks_;
  TcpSendQueue send_;
  TcpReceiveQueue receive_;
  TcpTimer retransmit_timer_;
  TcpTimer delayed_ack_timer_;
  TcpTimer lifetime_timer_;
  TcpConnection* next_pending_ = nullptr;  // pending output, or the free/reap lists
  uint32_t slot_ = 0;                      // index in the stack's slab
};

}  // namespace dplb::dataplane
