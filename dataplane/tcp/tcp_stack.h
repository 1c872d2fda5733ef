#pragma once

// A worker's TCP: its connections (slab + 4-tuple table), listeners, timer
// wheel and counters, share-nothing. Segments come in through receive(),
// time moves through poll(); segments go out through a TcpPacketSink, which
// on a worker routes and frames them and in the simulation puts them on a
// simulated wire. Nothing here allocates from the heap per segment: mbufs
// come from the worker's pool, reassembly nodes from a fixed pool, and
// connection objects from a slab that grows in chunks up to the limit.

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "dataplane/tcp/siphash.h"
#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/tcp/tcp_connection_table.h"
#include "dataplane/tcp/tcp_counters.h"
#include "dataplane/tcp/tcp_settings.h"
#include "dataplane/tcp/tcp_segment.h"
#include "dataplane/base/timer_wheel.h"

struct rte_mbuf;
struct rte_mempool;

namespace dplb::dataplane {

struct TcpRoute {
  uint32_t local_address = 0;  // host order: our address towards the destination
  uint16_t mss = 1460;         // MTU of the way out minus 40
};

class TcpPacketSink {
 public:
  virtual ~TcpPacketSink() = default;
  // `packet` starts at its IPv4 header, checksums done, with headroom for
  // the link header. The sink owns it from here.
  virtual void send(rte_mbuf* packet, uint32_t destination) = 0;
  virtual std::optional<TcpRoute> route(uint32_t destination) = 0;
};

struct TcpStackIdentity {
  uint32_t worker = 0;
  uint32_t workers = 1;  // active-open ports are split by owner_of_local_id
  SipKey secret{};       // ISNs, SYN cookies, hashing
};

class TcpStack {
 public:
  TcpStack(const TcpSettings& settings, TcpPacketSink& sink, rte_mempool* pool, TcpCounters& counters,
           TcpStackIdentity identity, uint64_t now_us = 0);
  ~TcpStack();
  TcpStack(const TcpStack&) = delete;
  TcpStack& operator=(const TcpStack&) = delete;

  // Listening on `port` of every local address. False if already listened
  // to, or the listener table is full.
  bool listen(uint16_t port, TcpApplication* app, const TcpConnectionOptions& options);
  bool unlisten(uint16_t port);

  // Opens a connection from a local port this worker owns. Null when no
  // route, port or connection slot is left (`why` says which).
  TcpConnection* connect(uint32_t remote_address, uint16_t remote_port, TcpApplication* app,
                         const TcpConnectionOptions& options, TcpDropReason* why = nullptr);

  // Takes the frame (payload at segment.payload_offset).
  void receive(rte_mbuf* frame, const TcpSegment& segment);
  // Moves time on: timers fire, pending output is sent, closed connections
  // are freed. Also call after each receive burst.
  void poll(uint64_t now_us);

  // True when a segment to `port` belongs to this worker's active opens
  // (other workers hand such segments over).
  bool is_local_port(uint16_t port) const {
    return port >= settings_.local_port_first && port <= settings_.local_port_last;
  }

  uint32_t connections() const { return live_; }
  uint64_t buffered_bytes() const;
  uint64_t promised_window_bytes() const { return promised_; }
  uint64_t window_budget() const { return window_budget_; }
  uint64_t now_us() const { return now_us_; }
  const TcpSettings& settings() const { return settings_; }
  // Bytes of appliance memory an established idle connection costs: its
  // object plus its share of what is sized by max_connections up front (the
  // 4-tuple table and the reassembly nodes).
  std::size_t bytes_per_connection() const {
    return sizeof(TcpConnection) + (table_.bytes() + reassembly_.bytes()) / settings_.max_connections;
  }
  std::size_t armed_timers() const { return wheel_.armed(); }

  // Every live connection, in slab order.
  template <class F>
  void for_each_connection(F&& f) const {
    for (const auto& chunk : slab_) {
      for (uint32_t i = 0; i < kChunk; ++i) {
        if (chunk[i].state_ != TcpState::closed) f(static_cast<const TcpConnection&>(chunk[i]));
      }
    }
  }

  // Tells every application its connections are gone (aborted) and frees
  // them; for shutdown and tests.
  void abort_all();

  // The local address `ipv4` (a VRRP virtual address) is no longer ours:
  // every connection on it is reset (RST to the peer, the application told
  // as for a reset it received), half-open ones included; TIME_WAIT ones are
  // just freed. Walks the whole slab: for rare transitions, not packets.
  // Returns how many were reset (counted as vip-resets).
  uint32_t reset_local_address(uint32_t ipv4);

 private:
  friend class TcpConnection;
  static constexpr uint32_t kChunk = 256;
  static constexpr uint32_t kMaxListeners = 64;

  struct Listener {
    uint16_t port = 0;
    TcpApplication* app = nullptr;
    TcpConnectionOptions options;
    uint32_t half_open = 0;
  };
  struct Options {  // what a SYN offered
    uint16_t mss = 536;
    std::optional<uint8_t> window_scale;
    bool sack = false;
    std::optional<TcpTimestamps> timestamps;
  };
  enum Event : uint8_t {
    kAccepted = 1,
    kConnected = 2,
    kReadable = 4,
    kWritable = 8,
    kClosed = 16,
  };

  // Connections.
  TcpConnection* allocate(const FourTuple& tuple);
  TcpConnection* find(const FourTuple& tuple);
  void set_state(TcpConnection& c, TcpState s);
  // Ends a connection: out of the table, timers off, queues freed; the
  // object is freed by reap() once the application has been told.
  void finish(TcpConnection& c, TcpCloseReason reason = TcpCloseReason::finished);
  void fail(TcpConnection& c, TcpCloseReason reason);
  void reap();
  void deliver(TcpConnection& c);
  void mark_pending(TcpConnection& c);
  void flush_pending();

  // Input (tcp_input.cc; what ACKs do to the sending side in tcp_ack_input.cc).
  void segment_for_connection(TcpConnection& c, rte_mbuf* frame, const TcpSegment& s);
  // The steps of segment_for_connection; those taking the frame free it
  // when they end its journey (the bool ones: when they return true).
  bool reuse_time_wait(TcpConnection& c, rte_mbuf* frame, const TcpSegment& s);
  bool paws_rejects(TcpConnection& c, rte_mbuf* frame, const TcpSegment& s);
  void unacceptable_segment(TcpConnection& c, rte_mbuf* frame, const TcpSegment& s);
  void reset_in_window(TcpConnection& c, rte_mbuf* frame, const TcpSegment& s);
  void syn_in_window(TcpConnection& c, rte_mbuf* frame, const TcpSegment& s);
  bool complete_handshake(TcpConnection& c, const TcpSegment& s);  // false: bad ACK, RST sent
  void syn_sent_input(TcpConnection& c, const TcpSegment& s);
  void no_connection(rte_mbuf* frame, const TcpSegment& s);
  // `iss_above`: a TIME_WAIT tuple is reused; the new ISS must exceed its SND.MAX.
  void listener_syn(Listener& l, const TcpSegment& s, std::optional<uint32_t> iss_above = std::nullopt);
  bool listener_ack(Listener& l, rte_mbuf* frame, const TcpSegment& s);
  bool acceptable(const TcpConnection& c, const TcpSegment& s) const;
  bool process_ack(TcpConnection& c, const TcpSegment& s);  // false: unacceptable, drop the segment
  void new_ack(TcpConnection& c, const TcpSegment& s, uint32_t acked);
  void duplicate_ack(TcpConnection& c);
  void update_window(TcpConnection& c, const TcpSegment& s);
  void process_data(TcpConnection& c, rte_mbuf* frame, const TcpSegment& s);
  // A segment's payload cut to what is new and fits the receive window.
  struct WindowedPayload {
    uint32_t sequence;
    uint32_t length;
    rte_mbuf* data;  // owned; null when nothing is left
  };
  WindowedPayload payload_in_window(TcpConnection& c, rte_mbuf* frame, const TcpSegment& s);
  bool queue_payload(TcpConnection& c, const WindowedPayload& p);  // true: out of order
  void peer_fin(TcpConnection& c);
  void our_fin_acked(TcpConnection& c);
  void enter_time_wait(TcpConnection& c);
  void challenge_ack(TcpConnection& c);
  void negotiate(TcpConnection& c, const Options& offered, uint16_t route_mss);
  Listener* listener_for(uint16_t port);

  // Output (tcp_output.cc).
  void output(TcpConnection& c);
  void send_new_data(TcpConnection& c, bool one_segment);
  void sack_recovery(TcpConnection& c);
  bool send_data(TcpConnection& c, uint32_t seq, uint32_t length, bool fin);
  void send_control(TcpConnection& c, uint32_t seq, uint8_t flags);
  void send_syn(TcpConnection& c);
  // Pure ACKs carry the highest sequence sent: SND.NXT may have been pulled
  // back by a retransmission timeout, and the peer would find it old.
  void send_ack(TcpConnection& c) { send_control(c, c.snd_max_, 0x10); }
  void send_rst(TcpConnection& c);
  void reply_rst(const TcpSegment& s);
  rte_mbuf* build(const FourTuple& t, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t window,
                  const TcpOptions& options);
  void finish_and_send(rte_mbuf* m, const FourTuple& t, uint32_t payload);
  uint16_t advertised_window(TcpConnection& c);
  // What c may be offered now; *clamped tells whether the worker's budget,
  // not connection_buffer, set it.
  uint32_t receive_window(const TcpConnection& c, bool* clamped = nullptr) const;
  // Brings promised_ in line after RCV.NXT or RCV.ADV of c moved.
  void account_window(TcpConnection& c);
  uint32_t tsval(const TcpConnection& c) const;
  uint32_t flight(const TcpConnection& c) const { return c.snd_max_ - c.snd_una_; }

  // Timers (tcp_timers.cc).
  void fire(TcpTimer& t);
  void arm(TcpTimer& t, uint64_t delay_us);
  void arm_retransmit(TcpConnection& c);
  void retransmit_expired(TcpConnection& c);
  void persist_expired(TcpConnection& c);
  void lifetime_expired(TcpConnection& c);
  void arm_lifetime(TcpConnection& c);
  void schedule_ack(TcpConnection& c, bool at_once);
  // Remembers the window to return to if the retransmission about to be
  // sent turns out spurious (RFC 3522).
  void arm_undo(TcpConnection& c);
  void tail_loss_probe(TcpConnection& c);
  // RFC 3042: a new segment for each of the first two duplicate ACKs.
  void limited_transmit(TcpConnection& c);

  uint32_t now_ms() const { return static_cast<uint32_t>(now_us_ / 1000); }
  bool buffers_short() const;

  TcpSettings settings_;
  TcpPacketSink& sink_;
  rte_mempool* pool_;
  TcpCounters& counters_;
  TcpStackIdentity identity_;
  uint64_t now_us_;
  TimerWheel wheel_;
  TcpConnectionTable table_;
  ReassemblyPool reassembly_;
  std::vector<std::unique_ptr<TcpConnection[]>> slab_;
  TcpConnection* free_ = nullptr;
  TcpConnection* reap_ = nullptr;
  TcpConnection* pending_ = nullptr;
  std::vector<Listener> listeners_;
  uint32_t live_ = 0;
  uint64_t buffered_ = 0;  // payload bytes held in all queues
  // Receive window offered and not yet filled, summed over connections:
  // bytes peers may send without asking. Kept with buffered_ under
  // window_budget_ so that what was promised can always be taken in.
  uint64_t promised_ = 0;
  uint64_t window_budget_ = 0;
  uint8_t rcv_wscale_ = 0;
  uint16_t next_local_port_ = 0;
  // RFC 5961 challenge ACK budget, per second.
  uint32_t challenge_second_ = 0;
  uint32_t challenges_this_second_ = 0;
  unsigned mbuf_low_water_ = 0;
  bool pool_short_ = false;  // sampled by poll()
  uint64_t pool_sampled_us_ = 0;
};

}  // namespace dplb::dataplane
