// One TCP stack against a scripted peer: each case hands the stack frames
// built byte by byte (tests/support/packet_fixtures.h), parsed exactly as a
// worker parses them, moves a virtual clock one millisecond at a time, and
// compares what the stack sent (parsed back the same way) with what RFC
// 9293, 5961, 7323, 2018, 6675, 6298 and 5681 ask for: flags, sequence and
// acknowledgement numbers, windows and options, plus the state reached,
// the application callbacks and the counters.

#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/tcp/syn_cookie.h"
#include "dataplane/tcp/tcp_sequence.h"
#include "dataplane/tcp/tcp_stack.h"
#include "dataplane/tcp/tcp_segment.h"
#include "tests/sim/tcp_sim.h"
#include "tests/support/packet_fixtures.h"

namespace dplb::testing {
namespace {

using dataplane::SackBlock;
using dataplane::TcpApplication;
using dataplane::TcpCloseReason;
using dataplane::TcpConnection;
using dataplane::TcpConnectionOptions;
using dataplane::TcpCounters;
using dataplane::TcpDropReason;
using dataplane::TcpPacketSink;
using dataplane::TcpRoute;
using dataplane::TcpSegment;
using dataplane::TcpSettings;
using dataplane::TcpStack;
using dataplane::TcpState;
using dataplane::TcpTimestamps;

constexpr uint8_t F = dataplane::tcp_flag::fin;
constexpr uint8_t S = dataplane::tcp_flag::syn;
constexpr uint8_t R = dataplane::tcp_flag::rst;
constexpr uint8_t P = dataplane::tcp_flag::psh;
constexpr uint8_t A = dataplane::tcp_flag::ack;

constexpr MacAddress kOurMac = {0x02, 0x99, 0x01, 0x00, 0x01, 0x01};
constexpr MacAddress kPeerMac = {0x02, 0x99, 0x01, 0x00, 0x00, 0x64};
const uint32_t kOurIp = ipv4(10, 99, 1, 10);
const uint32_t kPeerIp = ipv4(10, 99, 1, 100);
constexpr uint16_t kListenPort = 80;
constexpr uint16_t kClosedPort = 81;
constexpr uint16_t kPeerPort = 40000;
constexpr uint16_t kPeerListenPort = 8080;
constexpr uint32_t kPeerIsn = 1000;
// Our receive buffer is 256 KiB by default: window scale 3, so an empty
// buffer is advertised as 32768 (RFC 7323 2.2).
constexpr uint8_t kOurScale = 3;
constexpr uint16_t kFullWindow = 262144 >> kOurScale;

// A segment the stack sent, parsed back.
struct Sent {
  TcpSegment seg;
  std::string payload;
  uint64_t at_us = 0;
};

// Records every packet, parsed like a frame off the wire (a 14-byte stand-in
// for the Ethernet header, as tests/sim/tcp_sim.h does).
class RecordingSink final : public TcpPacketSink {
 public:
  RecordingSink(rte_mempool* pool, const uint64_t* now_us) : pool_(pool), now_us_(now_us) {}

  void send(rte_mbuf* packet, uint32_t destination) override {
    EXPECT_EQ(destination, kPeerIp);
    const uint32_t length = rte_pktmbuf_pkt_len(packet);
    rte_mbuf* frame = rte_pktmbuf_alloc(pool_);
    auto* data = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(frame, static_cast<uint16_t>(14 + length)));
    std::memset(data, 0, 14);
    data[12] = 0x08;
    const auto* p = static_cast<const uint8_t*>(rte_pktmbuf_read(packet, 0, length, data + 14));
    if (p != data + 14) std::memcpy(data + 14, p, length);
    rte_pktmbuf_free(packet);
    Sent s;
    s.at_us = *now_us_;
    const auto error = dataplane::parse_tcp_segment(frame, 20, &s.seg);
    EXPECT_EQ(error, dataplane::TcpSegmentError::none) << "the stack sent a segment that does not parse";
    if (error == dataplane::TcpSegmentError::none) {
      s.payload.assign(reinterpret_cast<const char*>(data) + s.seg.payload_offset, s.seg.payload_length);
      if (s.seg.options.timestamps) last_tsval = s.seg.options.timestamps->value;
      sent.push_back(std::move(s));
    }
    rte_pktmbuf_free(frame);
  }

  std::optional<TcpRoute> route(uint32_t) override { return TcpRoute{kOurIp, 1460}; }

  std::vector<Sent> sent;
  uint32_t last_tsval = 0;

 private:
  rte_mempool* pool_;
  const uint64_t* now_us_;
};

// Records the callbacks; reads only when a test asks (so windows stay
// predictable), unless read_in_callback is set.
class RecordingApp final : public TcpApplication {
 public:
  void on_accepted(TcpConnection& c) override { accepted.push_back(&c); }
  void on_connected(TcpConnection& c) override { connected.push_back(&c); }
  void on_readable(TcpConnection& c) override {
    ++readable_calls;
    if (read_in_callback) received += read_all(c);
  }
  void on_closed(TcpConnection&, TcpCloseReason reason) override { closed.push_back(reason); }

  static std::string read_all(TcpConnection& c) {
    std::string out;
    uint32_t n = 0;
    while (rte_mbuf* m = c.read(UINT32_MAX, &n)) {
      for (rte_mbuf* s = m; s != nullptr; s = s->next) out.append(rte_pktmbuf_mtod(s, const char*), s->data_len);
      rte_pktmbuf_free(m);
    }
    return out;
  }

  std::vector<TcpConnection*> accepted;
  std::vector<TcpConnection*> connected;
  std::vector<TcpCloseReason> closed;
  int readable_calls = 0;
  bool read_in_callback = false;
  std::string received;
};

// A segment from the peer. Unset fields come from the peer's state; the
// setters return *this so a case reads as one expression.
struct Seg {
  uint8_t flags = A;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint16_t window = 65535;
  std::string payload;
  std::optional<uint16_t> mss;
  std::optional<uint8_t> wscale;
  bool sack_permitted = false;
  std::vector<SackBlock> sack;
  std::optional<TcpTimestamps> ts;  // unset: the peer's clock, if it uses timestamps
  bool no_ts = false;
  std::optional<uint16_t> from_port;  // unset: the peer's

  Seg& at(uint32_t s) { seq = s; return *this; }
  Seg& acking(uint32_t a) { ack = a; return *this; }
  Seg& win(uint16_t w) { window = w; return *this; }
  Seg& with_flags(uint8_t f) { flags = f; return *this; }
  Seg& tsval(uint32_t value, uint32_t echo) { ts = TcpTimestamps{value, echo}; return *this; }
  Seg& without_timestamps() { no_ts = true; return *this; }
  Seg& sacking(std::vector<SackBlock> blocks) { sack = std::move(blocks); return *this; }
  Seg& from(uint16_t port) { from_port = port; return *this; }
};

// Options in Linux's layout.
Bytes encode_options(const Seg& s, const std::optional<TcpTimestamps>& ts) {
  FrameBuilder b;
  if (s.mss) b.u8(2).u8(4).u16(*s.mss);
  if (s.sack_permitted && ts) {
    b.u8(4).u8(2);
  } else if (s.sack_permitted) {
    b.u8(1).u8(1).u8(4).u8(2);
  } else if (ts) {
    b.u8(1).u8(1);
  }
  if (ts) b.u8(8).u8(10).u32(ts->value).u32(ts->echo_reply);
  if (s.wscale) b.u8(1).u8(3).u8(3).u8(*s.wscale);
  if (!s.sack.empty()) {
    b.u8(1).u8(1).u8(5).u8(static_cast<uint8_t>(2 + 8 * s.sack.size()));
    for (const SackBlock& k : s.sack) b.u32(k.left).u32(k.right);
  }
  Bytes out = b.build();
  while (out.size() % 4 != 0) out.push_back(1);
  return out;
}

// What a sent segment must look like; unset fields are not checked.
struct Want {
  uint8_t flags = A;
  std::optional<uint32_t> seq;
  std::optional<uint32_t> ack;
  std::optional<uint16_t> window;
  std::optional<uint32_t> len;
};

std::string flag_names(uint8_t flags) {
  std::string out;
  const char* names = "FSRPAUEC";
  for (int i = 0; i < 8; ++i) {
    if (flags & (1 << i)) out += names[i];
  }
  return out;
}

// What the peer knows of the connection under test.
struct Peer {
  uint16_t port = kPeerPort;           // its port
  uint16_t our_port = kListenPort;     // ours
  uint32_t isn = kPeerIsn;
  uint32_t seq = kPeerIsn + 1;         // its SND.NXT
  uint32_t ack = 0;                    // what it acknowledges: our ISS + 1 once known
  bool timestamps = true;
  uint32_t tsval = 500;                // its clock, one tick per segment
};

class TcpStateFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pool_ = rte_pktmbuf_pool_create("tcp_state", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
  }
  static void TearDownTestSuite() { rte_mempool_free(pool_); }

  void SetUp() override {
    free_mbufs_ = rte_mempool_avail_count(pool_);
    settings_.time_wait_ms = 2000;
    settings_.fin_wait_2_ms = 5000;
    fresh();
  }

  void TearDown() override {
    stack_.reset();
    EXPECT_EQ(rte_mempool_avail_count(pool_), free_mbufs_) << "mbufs leaked";
  }

  // A new stack (with the current settings_), sink, application, counters
  // and peer: for table rows that each need their own.
  void fresh() {
    stack_.reset();
    sink_ = std::make_unique<RecordingSink>(pool_, &now_us_);
    counters_ = std::make_unique<TcpCounters>();
    app_ = std::make_unique<RecordingApp>();
    peer_ = Peer{};
  }

  TcpStack& stack() {
    if (!stack_) {
      stack_ = std::make_unique<TcpStack>(settings_, *sink_, pool_, *counters_,
                                          dataplane::TcpStackIdentity{0, 1, {0x1234, 0x5678}}, now_us_);
      EXPECT_TRUE(stack_->listen(kListenPort, app_.get(), listen_options_));
    }
    return *stack_;
  }
  TcpCounters& counters() { return *counters_; }
  uint64_t drops(TcpDropReason r) { return counters_->drop(r).get(); }
  uint64_t in_state(TcpState s) { return counters_->state(s).get(); }
  RecordingApp& app() { return *app_; }

  // The state of the stack's only connection (closed when there is none).
  TcpState only_state() {
    EXPECT_LE(stack().connections(), 1u);
    TcpState s = TcpState::closed;
    stack().for_each_connection([&](const TcpConnection& c) { s = c.state(); });
    return s;
  }

  // Segments from the peer.
  Seg syn_from_peer(bool mss = true, bool wscale = true, bool sack = true, bool timestamps = true) {
    peer_.timestamps = timestamps;
    Seg s;
    s.flags = S;
    s.seq = peer_.isn;
    if (mss) s.mss = 1460;
    if (wscale) s.wscale = 7;
    s.sack_permitted = sack;
    return s;
  }
  Seg ack() const { return Seg{.flags = A, .seq = peer_.seq, .ack = peer_.ack}; }
  Seg data(std::string bytes) const {
    return Seg{.flags = P | A, .seq = peer_.seq, .ack = peer_.ack, .payload = std::move(bytes)};
  }
  Seg fin() const { return Seg{.flags = F | A, .seq = peer_.seq, .ack = peer_.ack}; }
  Seg rst(uint32_t seq) const { return Seg{.flags = R, .seq = seq}; }

  // Hands a segment to the stack as a worker would, then polls.
  void in(const Seg& s) {
    std::optional<TcpTimestamps> ts = s.ts;
    if (!ts && peer_.timestamps && !s.no_ts) {
      ts = TcpTimestamps{peer_.tsval++, (s.flags & A) ? sink_->last_tsval : 0};
    }
    TcpFields f;
    f.source_port = s.from_port.value_or(peer_.port);
    f.destination_port = peer_.our_port;
    f.sequence = s.seq;
    f.acknowledgement = s.ack;
    f.flags = s.flags;
    f.window = s.window;
    f.options = encode_options(s, ts);
    Ipv4Fields ip;
    ip.protocol = 6;
    ip.source = kPeerIp;
    ip.destination = kOurIp;
    const Bytes frame = ipv4_frame(kOurMac, kPeerMac, ip,
                                   tcp_segment(kPeerIp, kOurIp, f, Bytes(s.payload.begin(), s.payload.end())));
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    ASSERT_NE(m, nullptr);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())), frame.data(), frame.size());
    TcpSegment segment;
    ASSERT_EQ(dataplane::parse_tcp_segment(m, 20, &segment), dataplane::TcpSegmentError::none);
    stack().receive(m, segment);
    stack().poll(now_us_);
  }
  // Sends data in order and moves the peer's sequence on.
  void in_data(const std::string& bytes) {
    in(data(bytes));
    peer_.seq += static_cast<uint32_t>(bytes.size());
  }

  // The clock, one timer tick at a time.
  void advance_ms(uint64_t ms) {
    for (uint64_t i = 0; i < ms; ++i) {
      now_us_ += 1000;
      stack().poll(now_us_);
    }
  }
  // Runs until the stack sends something (or `limit_ms`); returns the
  // milliseconds that took.
  uint64_t ms_until_sent(uint64_t limit_ms) {
    const uint64_t start = now_us_;
    while (sink_->sent.empty() && now_us_ - start < limit_ms * 1000) advance_ms(1);
    return (now_us_ - start) / 1000;
  }

  std::vector<Sent> take() { return std::exchange(sink_->sent, {}); }
  Sent take_one() {
    std::vector<Sent> sent = take();
    EXPECT_EQ(sent.size(), 1u) << describe(sent);
    return sent.empty() ? Sent{} : sent.front();
  }

  static std::string describe(const std::vector<Sent>& sent) {
    std::string out = std::to_string(sent.size()) + " sent:";
    for (const Sent& s : sent) out += "\n  " + describe_segment(s.seg);
    return out;
  }

  // The stack sent exactly these segments since the last check.
  ::testing::AssertionResult sent_exactly(std::vector<Want> wanted) {
    const std::vector<Sent> sent = take();
    if (sent.size() != wanted.size()) {
      return ::testing::AssertionFailure() << "wanted " << wanted.size() << " segments, " << describe(sent);
    }
    for (std::size_t i = 0; i < sent.size(); ++i) {
      const TcpSegment& g = sent[i].seg;
      const Want& w = wanted[i];
      std::string bad;
      if (g.flags != w.flags) bad += " flags " + flag_names(g.flags) + " not " + flag_names(w.flags) + ";";
      if (w.seq && g.sequence != *w.seq) bad += " seq " + std::to_string(g.sequence) + " not " + std::to_string(*w.seq) + ";";
      if (w.ack && g.acknowledgement != *w.ack) {
        bad += " ack " + std::to_string(g.acknowledgement) + " not " + std::to_string(*w.ack) + ";";
      }
      if (w.window && g.window != *w.window) {
        bad += " window " + std::to_string(g.window) + " not " + std::to_string(*w.window) + ";";
      }
      if (w.len && g.payload_length != *w.len) {
        bad += " length " + std::to_string(g.payload_length) + " not " + std::to_string(*w.len) + ";";
      }
      if (g.source_port != peer_.our_port || g.destination_port != peer_.port) bad += " wrong ports;";
      if (!bad.empty()) return ::testing::AssertionFailure() << "segment " << i << ":" << bad << "\n" << describe(sent);
    }
    return ::testing::AssertionSuccess();
  }
  ::testing::AssertionResult sent_nothing() { return sent_exactly({}); }

  // Passive open up to the SYN-ACK: returns it, and the peer now knows our ISS.
  Sent open_to_syn_ack(const Seg& syn) {
    in(syn);
    const Sent syn_ack = take_one();
    iss_ = syn_ack.seg.sequence;
    peer_.seq = syn.seq + 1;
    peer_.ack = iss_ + 1;
    return syn_ack;
  }
  // The whole three-way handshake, the ACK `rtt_ms` after our SYN-ACK.
  TcpConnection* accept_connection(const Seg& syn, uint32_t rtt_ms = 0, uint16_t ack_window = 65535) {
    open_to_syn_ack(syn);
    advance_ms(rtt_ms);
    return accept_connection_ack(ack_window);
  }
  TcpConnection* accept_connection() { return accept_connection(syn_from_peer()); }
  // The handshake's last ACK, after open_to_syn_ack(): returns the accepted connection.
  TcpConnection* accept_connection_ack(uint16_t window = 65535) {
    in(ack().win(window));
    EXPECT_TRUE(sent_nothing());
    EXPECT_EQ(app().accepted.size(), 1u);
    return app().accepted.empty() ? nullptr : app().accepted.back();
  }

  // Active open to the peer's port 8080: returns the connection; the peer
  // now knows our ISS and port.
  TcpConnection* connect_to_peer() {
    TcpConnection* c = stack().connect(kPeerIp, kPeerListenPort, app_.get(), connect_options_);
    EXPECT_NE(c, nullptr);
    const Sent syn = take_one();
    iss_ = syn.seg.sequence;
    peer_.port = kPeerListenPort;
    peer_.our_port = syn.seg.source_port;
    peer_.ack = iss_ + 1;
    return c;
  }
  Seg syn_ack_from_peer(uint32_t isn = kPeerIsn) {
    peer_.isn = isn;
    peer_.seq = isn + 1;
    Seg s = syn_from_peer();
    s.flags = S | A;
    s.ack = iss_ + 1;
    return s;
  }

  // An established passive connection closed by us and the peer, in TIME_WAIT.
  void reach_time_wait(bool timestamps) {
    TcpConnection* c = accept_connection(syn_from_peer(true, true, true, timestamps));
    c->close();
    stack().poll(now_us_);
    EXPECT_TRUE(sent_exactly({{.flags = F | A, .seq = iss_ + 1, .ack = peer_.seq}}));
    in(fin().acking(iss_ + 2));
    peer_.seq += 1;
    peer_.ack = iss_ + 2;
    EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 2, .ack = peer_.seq}}));
    EXPECT_EQ(only_state(), TcpState::time_wait);
  }

  static rte_mempool* pool_;
  unsigned free_mbufs_ = 0;
  uint64_t now_us_ = 1'000'000'000;  // 1000 s: away from zero, on a second boundary
  TcpSettings settings_;
  TcpConnectionOptions listen_options_;
  TcpConnectionOptions connect_options_;
  std::unique_ptr<RecordingSink> sink_;
  std::unique_ptr<TcpCounters> counters_;
  std::unique_ptr<RecordingApp> app_;
  std::unique_ptr<TcpStack> stack_;
  Peer peer_;
  uint32_t iss_ = 0;
};
rte_mempool* TcpStateFixture::pool_ = nullptr;

// ---------------------------------------------------------------------------
// Passive open (RFC 9293 3.5, 3.10.7.2; options per RFC 7323 and 2018).

TEST_F(TcpStateFixture, SynAckOffersBackOnlyWhatTheSynOffered) {
  struct Case {
    const char* what;
    bool mss, wscale, sack, ts;
  };
  const Case cases[] = {
      {"a Linux SYN: MSS, SACK, timestamps, window scale", true, true, true, true},
      {"no options at all", false, false, false, false},
      {"MSS and timestamps", true, false, false, true},
      {"window scale alone", false, true, false, false},
      {"SACK-permitted alone", false, false, true, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    fresh();
    const Seg syn = syn_from_peer(c.mss, c.wscale, c.sack, c.ts);
    const uint32_t peer_tsval = peer_.tsval;
    const Sent syn_ack = open_to_syn_ack(syn);
    const TcpSegment& s = syn_ack.seg;
    EXPECT_EQ(s.flags, S | A);
    EXPECT_EQ(s.acknowledgement, kPeerIsn + 1);
    EXPECT_EQ(s.window, 65535) << "a SYN-ACK's window is never scaled";
    EXPECT_EQ(s.options.mss, 1460) << "our own MSS is always offered";
    EXPECT_EQ(s.options.window_scale, c.wscale ? std::optional<uint8_t>(kOurScale) : std::nullopt);
    EXPECT_EQ(s.options.sack_permitted, c.sack);
    ASSERT_EQ(s.options.timestamps.has_value(), c.ts);
    if (c.ts) {
      EXPECT_EQ(s.options.timestamps->echo_reply, peer_tsval);
    }
    EXPECT_EQ(only_state(), TcpState::syn_received);
    EXPECT_TRUE(app().accepted.empty()) << "nobody is told of a half-open connection";
  }
}

TEST_F(TcpStateFixture, TheHandshakeAckEstablishesAndTellsTheApplication) {
  open_to_syn_ack(syn_from_peer());
  EXPECT_EQ(in_state(TcpState::syn_received), 1u);
  in(ack());
  EXPECT_TRUE(sent_nothing());
  ASSERT_EQ(app().accepted.size(), 1u);
  EXPECT_EQ(app().accepted[0]->state(), TcpState::established);
  EXPECT_EQ(app().accepted[0]->mss(), 1460 - 12) << "every segment carries 12 bytes of timestamps";
  EXPECT_EQ(app().accepted[0]->peer_window(), 65535u << 7) << "the peer's window, scaled by its shift";
  EXPECT_EQ(in_state(TcpState::syn_received), 0u);
  EXPECT_EQ(in_state(TcpState::established), 1u);
  EXPECT_EQ(counters().passive_opens.get(), 1u);
}

TEST_F(TcpStateFixture, AHandshakeAckForSomethingElseIsReset) {
  open_to_syn_ack(syn_from_peer());
  in(ack().acking(iss_ + 50));
  EXPECT_TRUE(sent_exactly({{.flags = R, .seq = iss_ + 50}})) << "RST with SEQ = SEG.ACK (RFC 9293 3.10.7.4)";
  EXPECT_EQ(drops(TcpDropReason::bad_ack), 1u);
  EXPECT_EQ(only_state(), TcpState::syn_received);
  EXPECT_TRUE(app().accepted.empty());
  in(ack());
  EXPECT_EQ(app().accepted.size(), 1u);
}

TEST_F(TcpStateFixture, ARetransmittedSynInSynReceivedGetsTheSynAckAgain) {
  const Sent first = open_to_syn_ack(syn_from_peer());
  in(syn_from_peer());  // the peer did not see our SYN-ACK
  const Sent again = take_one();
  EXPECT_EQ(again.seg.flags, S | A);
  EXPECT_EQ(again.seg.sequence, first.seg.sequence);
  EXPECT_EQ(again.seg.acknowledgement, kPeerIsn + 1);
  EXPECT_EQ(again.seg.options.window_scale, kOurScale);
  EXPECT_EQ(only_state(), TcpState::syn_received);
  in(ack());
  EXPECT_EQ(app().accepted.size(), 1u);
}

// ---------------------------------------------------------------------------
// Receiving data: delivery and delayed ACKs (RFC 9293 3.8.6.3, RFC 5681 4.2).

TEST_F(TcpStateFixture, OneSegmentIsAcknowledgedAfterTheDelayedAckTime) {
  TcpConnection* c = accept_connection();
  in_data("hello, world");
  EXPECT_TRUE(sent_nothing()) << "one segment waits for a second or for the timer";
  EXPECT_EQ(app().readable_calls, 1);
  EXPECT_EQ(c->readable(), 12u);
  EXPECT_EQ(counters().bytes_in.get(), 12u);
  advance_ms(settings_.delayed_ack_ms - 1);
  EXPECT_TRUE(sent_nothing());
  advance_ms(1);
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 1, .ack = peer_.seq, .window = (262144 - 12 + 7) >> 3}}));
  EXPECT_EQ(RecordingApp::read_all(*c), "hello, world");
}

TEST_F(TcpStateFixture, TheSecondFullSegmentIsAcknowledgedAtOnce) {
  TcpConnection* c = accept_connection();
  const std::string full(c->mss(), 'x');
  in_data(full);
  EXPECT_TRUE(sent_nothing());
  in_data(full);
  const uint32_t buffered = 2u * c->mss();
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 1, .ack = peer_.seq, .window = (262144 - buffered) >> 3}}));
  advance_ms(settings_.delayed_ack_ms);
  EXPECT_TRUE(sent_nothing()) << "the delayed ACK was cancelled by the immediate one";
  EXPECT_EQ(c->readable(), buffered);
}

// ---------------------------------------------------------------------------
// Active open (RFC 9293 3.10.7.3).

TEST_F(TcpStateFixture, ConnectSendsASynWithEveryOption) {
  TcpConnection* c = stack().connect(kPeerIp, kPeerListenPort, &app(), connect_options_);
  ASSERT_NE(c, nullptr);
  const Sent syn = take_one();
  EXPECT_EQ(syn.seg.flags, S);
  EXPECT_EQ(syn.seg.acknowledgement, 0u);
  EXPECT_EQ(syn.seg.window, 65535);
  EXPECT_EQ(syn.seg.options.mss, 1460);
  EXPECT_EQ(syn.seg.options.window_scale, kOurScale);
  EXPECT_TRUE(syn.seg.options.sack_permitted);
  ASSERT_TRUE(syn.seg.options.timestamps.has_value());
  EXPECT_EQ(syn.seg.options.timestamps->echo_reply, 0u);
  EXPECT_TRUE(stack().is_local_port(syn.seg.source_port));
  EXPECT_EQ(c->state(), TcpState::syn_sent);
  EXPECT_EQ(counters().active_opens.get(), 1u);
}

TEST_F(TcpStateFixture, TheSynAckIsAcknowledgedWithAScaledWindowWhateverThePeersIsn) {
  // The right edge we advertise must start from the peer's ISN, wherever
  // in sequence space it lies.
  for (const uint32_t peer_isn : {5000u, 0x7ffff000u, 0x90000000u, 0xfffffff0u}) {
    SCOPED_TRACE(peer_isn);
    fresh();
    TcpConnection* c = connect_to_peer();
    in(syn_ack_from_peer(peer_isn));
    EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 1, .ack = peer_isn + 1, .window = kFullWindow}}));
    ASSERT_EQ(app().connected.size(), 1u);
    EXPECT_EQ(app().connected[0], c);
    EXPECT_EQ(c->state(), TcpState::established);
    EXPECT_EQ(c->peer_window(), 65535u) << "a SYN-ACK's window is not scaled";
    // Data beyond the window we advertised is not taken.
    in(data(std::string(10, 'z')).at(peer_.seq + (kFullWindow << kOurScale) + 1000));
    EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 1, .ack = peer_isn + 1}}));
    EXPECT_EQ(drops(TcpDropReason::out_of_window), 1u);
  }
}

TEST_F(TcpStateFixture, ResetsInSynSent) {
  struct Case {
    const char* what;
    bool with_ack;
    uint32_t ack_offset;  // from our ISS
    bool refused;
  };
  const Case cases[] = {
      {"RST with an acceptable ACK: refused", true, 1, true},
      {"RST without ACK: ignored", false, 0, false},
      {"RST acknowledging something else: ignored", true, 1000, false},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.what);
    fresh();
    connect_to_peer();
    in(rst(0).with_flags(k.with_ack ? R | A : R).acking(iss_ + k.ack_offset).without_timestamps());
    EXPECT_TRUE(sent_nothing()) << "a RST is never answered";
    if (k.refused) {
      ASSERT_EQ(app().closed.size(), 1u);
      EXPECT_EQ(app().closed[0], TcpCloseReason::refused);
      EXPECT_EQ(stack().connections(), 0u);
    } else {
      EXPECT_TRUE(app().closed.empty());
      EXPECT_EQ(only_state(), TcpState::syn_sent);
    }
  }
}

TEST_F(TcpStateFixture, ASynAckWithABadAckIsResetAndTheOpenGoesOn) {
  connect_to_peer();
  in(syn_ack_from_peer().acking(iss_ + 1000));
  EXPECT_TRUE(sent_exactly({{.flags = R, .seq = iss_ + 1000, .window = 0}})) << "RST with SEQ = SEG.ACK";
  EXPECT_EQ(only_state(), TcpState::syn_sent);
  EXPECT_EQ(drops(TcpDropReason::bad_ack), 1u);
  EXPECT_TRUE(app().connected.empty());
  in(syn_ack_from_peer());
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 1, .ack = kPeerIsn + 1}}));
  EXPECT_EQ(app().connected.size(), 1u);
}

TEST_F(TcpStateFixture, SimultaneousOpen) {
  // RFC 9293 figure 8: our SYN crosses the peer's.
  TcpConnection* c = connect_to_peer();
  peer_.isn = 7000;
  peer_.seq = 7001;
  const uint32_t peer_tsval = peer_.tsval;
  in(syn_from_peer());
  const Sent syn_ack = take_one();
  EXPECT_EQ(syn_ack.seg.flags, S | A);
  EXPECT_EQ(syn_ack.seg.sequence, iss_) << "our SYN again, now with an ACK";
  EXPECT_EQ(syn_ack.seg.acknowledgement, 7001u);
  EXPECT_EQ(syn_ack.seg.options.window_scale, kOurScale);
  EXPECT_TRUE(syn_ack.seg.options.sack_permitted);
  ASSERT_TRUE(syn_ack.seg.options.timestamps.has_value());
  EXPECT_EQ(syn_ack.seg.options.timestamps->echo_reply, peer_tsval);
  EXPECT_EQ(c->state(), TcpState::syn_received);
  EXPECT_TRUE(app().connected.empty());
  in(ack());
  EXPECT_TRUE(sent_nothing());
  EXPECT_EQ(c->state(), TcpState::established);
  ASSERT_EQ(app().connected.size(), 1u);
  EXPECT_TRUE(app().accepted.empty());
}

// ---------------------------------------------------------------------------
// Closing (RFC 9293 3.6).

TEST_F(TcpStateFixture, OurCloseGoesThroughFinWait2AndTimeWait) {
  TcpConnection* c = accept_connection();
  c->close();
  stack().poll(now_us_);
  EXPECT_TRUE(sent_exactly({{.flags = F | A, .seq = iss_ + 1, .ack = peer_.seq}}));
  EXPECT_EQ(only_state(), TcpState::fin_wait_1);
  peer_.ack = iss_ + 2;
  in(ack());
  EXPECT_TRUE(sent_nothing());
  EXPECT_EQ(only_state(), TcpState::fin_wait_2);
  in(fin());
  peer_.seq += 1;
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 2, .ack = peer_.seq}}));
  EXPECT_EQ(only_state(), TcpState::time_wait);
  advance_ms(settings_.time_wait_ms - 1);
  EXPECT_EQ(only_state(), TcpState::time_wait);
  advance_ms(1);
  EXPECT_EQ(stack().connections(), 0u);
  EXPECT_TRUE(sent_nothing());
  EXPECT_TRUE(app().closed.empty()) << "the application closed it: nothing to tell";
  EXPECT_EQ(stack().armed_timers(), 0u);
}

TEST_F(TcpStateFixture, PeerClosesFirst) {
  TcpConnection* c = accept_connection();
  in(fin());
  peer_.seq += 1;
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 1, .ack = peer_.seq}})) << "a FIN is acknowledged at once";
  EXPECT_EQ(c->state(), TcpState::close_wait);
  EXPECT_TRUE(c->end_of_stream());
  EXPECT_EQ(app().readable_calls, 1) << "end of stream is readable";
  c->close();
  stack().poll(now_us_);
  EXPECT_TRUE(sent_exactly({{.flags = F | A, .seq = iss_ + 1, .ack = peer_.seq}}));
  EXPECT_EQ(only_state(), TcpState::last_ack);
  peer_.ack = iss_ + 2;
  in(ack());
  EXPECT_TRUE(sent_nothing());
  EXPECT_EQ(stack().connections(), 0u) << "LAST_ACK ends with the ACK of our FIN, no TIME_WAIT";
  EXPECT_EQ(in_state(TcpState::last_ack), 0u);
}

TEST_F(TcpStateFixture, SimultaneousCloseGoesThroughClosing) {
  TcpConnection* c = accept_connection();
  c->close();
  stack().poll(now_us_);
  EXPECT_TRUE(sent_exactly({{.flags = F | A, .seq = iss_ + 1, .ack = peer_.seq}}));
  in(fin());  // crossed ours: does not acknowledge it
  peer_.seq += 1;
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 2, .ack = peer_.seq}}));
  EXPECT_EQ(only_state(), TcpState::closing);
  peer_.ack = iss_ + 2;
  in(ack());
  EXPECT_TRUE(sent_nothing());
  EXPECT_EQ(only_state(), TcpState::time_wait);
  advance_ms(settings_.time_wait_ms);
  EXPECT_EQ(stack().connections(), 0u);
}

TEST_F(TcpStateFixture, HalfCloseStillReceivesAfterOurFinIsAcknowledged) {
  TcpConnection* c = accept_connection();
  c->shutdown_write();
  stack().poll(now_us_);
  EXPECT_TRUE(sent_exactly({{.flags = F | A, .seq = iss_ + 1, .ack = peer_.seq}}));
  peer_.ack = iss_ + 2;
  in(ack());
  EXPECT_EQ(c->state(), TcpState::fin_wait_2);
  advance_ms(settings_.fin_wait_2_ms * 2);
  EXPECT_EQ(c->state(), TcpState::fin_wait_2) << "a half-closed application may wait as long as it likes";
  in_data("still talking");
  EXPECT_EQ(RecordingApp::read_all(*c), "still talking");
  advance_ms(settings_.delayed_ack_ms);
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 2, .ack = peer_.seq}}));
  in(fin());
  peer_.seq += 1;
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 2, .ack = peer_.seq}}));
  EXPECT_EQ(c->state(), TcpState::time_wait);
  EXPECT_TRUE(c->end_of_stream());
  advance_ms(settings_.time_wait_ms);
  ASSERT_EQ(app().closed.size(), 1u) << "the application still held it";
  EXPECT_EQ(app().closed[0], TcpCloseReason::finished);
  EXPECT_EQ(stack().connections(), 0u);
}

TEST_F(TcpStateFixture, DataAfterTheApplicationClosedIsAnsweredWithReset) {
  TcpConnection* c = accept_connection();
  c->close();
  stack().poll(now_us_);
  EXPECT_TRUE(sent_exactly({{.flags = F | A, .seq = iss_ + 1, .ack = peer_.seq}}));
  in(data("anyone there?").acking(iss_ + 2));
  EXPECT_TRUE(sent_exactly({{.flags = R | A, .seq = iss_ + 2, .ack = peer_.seq}})) << "nobody will read it";
  EXPECT_EQ(drops(TcpDropReason::after_close), 1u);
  EXPECT_EQ(stack().connections(), 0u);
}

TEST_F(TcpStateFixture, FinWait2TimesOutOnceTheApplicationClosed) {
  TcpConnection* c = accept_connection();
  c->close();
  stack().poll(now_us_);
  take();
  peer_.ack = iss_ + 2;
  in(ack());
  EXPECT_EQ(only_state(), TcpState::fin_wait_2);
  advance_ms(settings_.fin_wait_2_ms - 1);
  EXPECT_EQ(only_state(), TcpState::fin_wait_2);
  advance_ms(1);
  EXPECT_EQ(stack().connections(), 0u);
  EXPECT_TRUE(sent_nothing());
}

// ---------------------------------------------------------------------------
// TIME_WAIT (RFC 9293 3.6.1 and 3.10.7.4, RFC 6191).

TEST_F(TcpStateFixture, TimeWaitAcknowledgesARetransmittedFinAndRestartsItsTimer) {
  reach_time_wait(true);
  advance_ms(settings_.time_wait_ms / 2);
  in(fin().at(peer_.seq - 1));  // our ACK of it was lost
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 2, .ack = peer_.seq}}));
  advance_ms(settings_.time_wait_ms - 1);
  EXPECT_EQ(only_state(), TcpState::time_wait) << "2 MSL start again from the retransmitted FIN";
  advance_ms(1);
  EXPECT_EQ(stack().connections(), 0u);
}

TEST_F(TcpStateFixture, ANewSynInTimeWait) {
  struct Case {
    const char* what;
    bool timestamps;          // of the connection, and of the new SYN
    int32_t seq_offset;       // of the SYN, from RCV.NXT
    int32_t tsval_offset;     // of the SYN, from the last TSval
    bool reused;
    Want reply;               // when not reused
    TcpDropReason counted;
  };
  const Case cases[] = {
      {"higher sequence number, no timestamps", false, 100000, 0, true, {}, TcpDropReason::count_},
      {"higher timestamp, lower sequence number", true, -100000, 10, true, {}, TcpDropReason::count_},
      {"lower sequence number, no timestamps", false, -10, 0, false, {.flags = A}, TcpDropReason::out_of_window},
      {"older timestamp", true, 100000, -10, false, {.flags = A}, TcpDropReason::paws},
      {"sequence number at RCV.NXT", false, 0, 0, false, {.flags = A}, TcpDropReason::syn_in_window},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.what);
    fresh();
    reach_time_wait(k.timestamps);
    const uint32_t old_iss = iss_;
    const uint32_t rcv_nxt = peer_.seq;
    peer_.isn = rcv_nxt + static_cast<uint32_t>(k.seq_offset);
    Seg syn = syn_from_peer(true, true, true, k.timestamps);
    if (k.timestamps) syn.tsval(peer_.tsval - 1 + static_cast<uint32_t>(k.tsval_offset), 0);
    in(syn);
    if (k.reused) {
      const Sent syn_ack = take_one();
      EXPECT_EQ(syn_ack.seg.flags, S | A);
      EXPECT_EQ(syn_ack.seg.acknowledgement, peer_.isn + 1);
      // RFC 9293 3.6.1 (1): above every sequence number the old incarnation
      // used (its FIN took ISS + 1), though no time passed for the ISN clock.
      EXPECT_TRUE(dataplane::seq_gt(syn_ack.seg.sequence, old_iss + 1))
          << "new ISS " << syn_ack.seg.sequence << ", old ISS " << old_iss;
      EXPECT_EQ(counters().time_wait_reused.get(), 1u);
      EXPECT_EQ(only_state(), TcpState::syn_received);
    } else {
      Want reply = k.reply;
      reply.seq = iss_ + 2;
      reply.ack = rcv_nxt;
      EXPECT_TRUE(sent_exactly({reply}));
      EXPECT_EQ(counters().time_wait_reused.get(), 0u);
      EXPECT_EQ(drops(k.counted), 1u);
      EXPECT_EQ(only_state(), TcpState::time_wait);
    }
  }
}

// ---------------------------------------------------------------------------
// RFC 5961: blind reset, SYN and data injection.

TEST_F(TcpStateFixture, ResetsOnAnEstablishedConnection) {
  struct Case {
    const char* what;
    uint32_t offset;  // from RCV.NXT
    bool resets;
    bool challenged;
  };
  const Case cases[] = {
      {"exactly RCV.NXT: reset", 0, true, false},
      {"in the window: challenge ACK", 1000, false, true},
      {"out of the window: ignored", 1u << 20, false, false},
      {"just below RCV.NXT: ignored", static_cast<uint32_t>(-1), false, false},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.what);
    fresh();
    TcpConnection* c = accept_connection();
    in(rst(peer_.seq + k.offset));
    if (k.challenged) {
      EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 1, .ack = peer_.seq}}));
      EXPECT_EQ(counters().challenge_acks.get(), 1u);
    } else {
      EXPECT_TRUE(sent_nothing());
    }
    if (k.resets) {
      ASSERT_EQ(app().closed.size(), 1u);
      EXPECT_EQ(app().closed[0], TcpCloseReason::reset);
      EXPECT_EQ(stack().connections(), 0u);
      EXPECT_EQ(counters().resets_received.get(), 1u);
    } else {
      EXPECT_TRUE(app().closed.empty());
      EXPECT_EQ(c->state(), TcpState::established);
      EXPECT_EQ(drops(TcpDropReason::rst_ignored), k.challenged ? 0u : 1u);
    }
  }
}

TEST_F(TcpStateFixture, ASynOnAnEstablishedConnectionGetsAChallengeAck) {
  TcpConnection* c = accept_connection();
  in(syn_from_peer().at(peer_.seq + 10));
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 1, .ack = peer_.seq}}));
  EXPECT_EQ(drops(TcpDropReason::syn_in_window), 1u);
  EXPECT_EQ(counters().challenge_acks.get(), 1u);
  EXPECT_EQ(c->state(), TcpState::established);
}

TEST_F(TcpStateFixture, DataAcknowledgingWhatWasNeverSentIsDropped) {
  TcpConnection* c = accept_connection();
  in(data("injected").acking(iss_ + 1 + 5000));
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 1, .ack = peer_.seq}})) << "challenge ACK";
  EXPECT_EQ(drops(TcpDropReason::bad_ack), 1u);
  EXPECT_EQ(counters().challenge_acks.get(), 1u);
  EXPECT_EQ(c->readable(), 0u) << "the segment is dropped, data and all (RFC 5961 5.2)";
  EXPECT_EQ(app().readable_calls, 0);
  EXPECT_EQ(c->state(), TcpState::established);
  in_data("genuine");
  EXPECT_EQ(RecordingApp::read_all(*c), "genuine");
}

TEST_F(TcpStateFixture, ChallengeAcksAreRateLimited) {
  settings_.challenge_ack_limit = 2;
  fresh();
  accept_connection();
  for (int i = 0; i < 3; ++i) in(rst(peer_.seq + 100));
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 1}, {.flags = A, .seq = iss_ + 1}}));
  EXPECT_EQ(counters().challenge_acks.get(), 2u);
  EXPECT_EQ(counters().challenge_acks_limited.get(), 1u);
  advance_ms(1000);  // the next second has a new budget
  in(rst(peer_.seq + 100));
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 1}}));
  EXPECT_EQ(counters().challenge_acks.get(), 3u);
}

// ---------------------------------------------------------------------------
// PAWS (RFC 7323 5) and the receive window (RFC 9293 3.10.7.4).

TEST_F(TcpStateFixture, PawsDropsASegmentWithAnOlderTimestamp) {
  TcpConnection* c = accept_connection();
  in_data("fresh");
  in(data("stale").at(peer_.seq).tsval(peer_.tsval - 100, sink_->last_tsval));
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 1, .ack = peer_.seq}}));
  EXPECT_EQ(drops(TcpDropReason::paws), 1u);
  EXPECT_EQ(RecordingApp::read_all(*c), "fresh");
}

TEST_F(TcpStateFixture, DataOutsideTheWindowIsAcknowledgedNotDelivered) {
  struct Case {
    const char* what;
    int64_t offset;  // from RCV.NXT
  };
  const Case cases[] = {
      {"old duplicate", -100},
      {"beyond the right edge", 300000},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.what);
    fresh();
    TcpConnection* c = accept_connection();
    in(data(std::string(50, 'o')).at(peer_.seq + static_cast<uint32_t>(k.offset)));
    EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 1, .ack = peer_.seq}}));
    EXPECT_EQ(drops(TcpDropReason::out_of_window), 1u);
    EXPECT_EQ(c->readable(), 0u);
    EXPECT_EQ(app().readable_calls, 0);
  }
}

TEST_F(TcpStateFixture, NothingIsTakenBeyondAZeroWindow) {
  settings_.connection_buffer = 4096;  // no window scaling
  fresh();
  TcpConnection* c = accept_connection();
  const std::string block(c->mss(), 'b');
  in_data(block);
  in_data(block);
  EXPECT_TRUE(sent_exactly({{.flags = A, .ack = peer_.seq, .window = 4096 - 2 * c->mss()}}));
  in_data(std::string(4096 - 2 * c->mss(), 'c'));  // fills the window
  in(data("over").at(peer_.seq));
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 1, .ack = peer_.seq, .window = 0}}));
  EXPECT_EQ(c->readable(), 4096u);
  RecordingApp::read_all(*c);
  stack().poll(now_us_);
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 1, .ack = peer_.seq, .window = 4096}}))
      << "reading reopens the window and says so";
  in_data("over");
  EXPECT_EQ(RecordingApp::read_all(*c), "over");
}

// A byte per segment, none of it read: the bytes share buffers instead of
// taking an mbuf each, so a peer cannot empty the pool with a few KB.
TEST_F(TcpStateFixture, TinySegmentsShareBuffersInTheReceiveQueue) {
  fresh();
  TcpConnection* c = accept_connection();
  const unsigned before = rte_mempool_in_use_count(pool_);
  std::string sent;
  for (int i = 0; i < 2000; ++i) {
    const std::string byte(1, static_cast<char>('a' + i % 26));
    in_data(byte);
    sent += byte;
  }
  EXPECT_EQ(c->readable(), 2000u);
  EXPECT_LE(rte_mempool_in_use_count(pool_), before + 4) << "2000 bytes in a buffer or two";
  EXPECT_EQ(RecordingApp::read_all(*c), sent);
}

TEST_F(TcpStateFixture, APeersZeroWindowIsProbedUntilItOpens) {
  TcpConnection* c = accept_connection(syn_from_peer(), 0, /*ack_window=*/0);
  EXPECT_EQ(c->peer_window(), 0u);
  c->write_copy("probe me", 8);
  stack().poll(now_us_);
  EXPECT_TRUE(sent_nothing()) << "no window, no data";
  // The handshake's RTT was 0: the RTO is the minimum.
  EXPECT_EQ(ms_until_sent(10'000), settings_.min_rto_ms);
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_, .ack = peer_.seq, .len = 0}})) << "SEQ = SND.UNA - 1";
  EXPECT_EQ(counters().zero_window_probes.get(), 1u);
  in(ack().win(0));
  EXPECT_TRUE(sent_nothing());
  EXPECT_EQ(ms_until_sent(10'000), 2 * settings_.min_rto_ms) << "probing backs off";
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_, .ack = peer_.seq, .len = 0}}));
  in(ack().win(100));
  EXPECT_TRUE(sent_exactly({{.flags = P | A, .seq = iss_ + 1, .ack = peer_.seq, .len = 8}}));
  EXPECT_EQ(c->peer_window(), 100u << 7);
}

// Linux (RFC 5961) takes a RST into a closed window only at RCV.NXT: one at
// SND.NXT, past bytes the peer dropped, would leave it waiting forever.
TEST_F(TcpStateFixture, AResetIntoAClosedWindowCarriesTheWindowsEdge) {
  TcpConnection* c = accept_connection();
  c->write_copy("in flight", 9);
  stack().poll(now_us_);
  EXPECT_TRUE(sent_exactly({{.flags = P | A, .seq = iss_ + 1, .ack = peer_.seq, .len = 9}}));
  in(ack().win(0));  // the peer dropped them and closed its window
  EXPECT_TRUE(sent_nothing());
  c->abort();
  stack().poll(now_us_);
  EXPECT_TRUE(sent_exactly({{.flags = R | A, .seq = iss_ + 1, .ack = peer_.seq}})) << "SND.UNA + SND.WND";
}

// A client that never reads, answering every probe with a zero window,
// would hold a closed connection and its buffers forever.
TEST_F(TcpStateFixture, AnOrphanBehindAZeroWindowIsResetAfterOrphanRetries) {
  settings_.orphan_retries = 2;
  fresh();
  TcpConnection* c = accept_connection(syn_from_peer(), 0, /*ack_window=*/0);
  c->write_copy("last words", 10);
  c->close();
  stack().poll(now_us_);
  EXPECT_TRUE(sent_nothing());
  const Want probe{.flags = A, .seq = iss_, .ack = peer_.seq, .len = 0};
  for (const uint64_t delay : {settings_.min_rto_ms, 2 * settings_.min_rto_ms}) {
    EXPECT_EQ(ms_until_sent(10'000), delay);
    EXPECT_TRUE(sent_exactly({probe}));
    in(ack().win(0));  // answered, still closed
    EXPECT_TRUE(sent_nothing());
  }
  EXPECT_EQ(ms_until_sent(10'000), 4 * settings_.min_rto_ms);
  EXPECT_TRUE(sent_exactly({{.flags = R | A, .seq = iss_ + 1, .ack = peer_.seq}}));
  EXPECT_EQ(stack().connections(), 0u);
  EXPECT_EQ(counters().orphans_reset.get(), 1u);
  EXPECT_EQ(counters().zero_window_probes.get(), 2u);
  EXPECT_EQ(stack().buffered_bytes(), 0u);
}

// Windows offered to all peers together stay within what the worker can
// take in: otherwise data they were allowed to send finds no buffer.
TEST_F(TcpStateFixture, WindowsAreOfferedOnlyWithinTheWorkersBudget) {
  settings_.connection_buffer = 65535;  // unscaled: the window field is the window
  settings_.worker_buffer = 100000;
  fresh();
  EXPECT_EQ(open_to_syn_ack(syn_from_peer()).seg.window, 65535);
  TcpConnection* first = accept_connection_ack();
  peer_ = Peer{.port = kPeerPort + 1};
  EXPECT_EQ(open_to_syn_ack(syn_from_peer()).seg.window, 100000 - 65535) << "what the first left";
  in(ack());
  const Peer second = peer_;
  EXPECT_EQ(counters().window_clamps.get(), 1u);
  peer_ = Peer{.port = kPeerPort + 2};
  // One segment of the negotiated size: 1460 less 12 bytes of timestamps.
  EXPECT_EQ(open_to_syn_ack(syn_from_peer()).seg.window, 1448) << "nothing queued: one segment, always";
  in(ack());
  EXPECT_TRUE(sent_nothing());
  ASSERT_EQ(app().accepted.size(), 3u);
  EXPECT_EQ(stack().promised_window_bytes(), 100000u + 1448u);

  // The first one goes: what it was offered is free for the others.
  first->abort();
  stack().poll(now_us_);
  take();
  EXPECT_EQ(stack().promised_window_bytes(), 100000u + 1448u - 65535u);
  peer_ = second;
  in_data(std::string(1000, 'x'));
  in_data(std::string(1000, 'y'));  // a second segment is acknowledged at once
  EXPECT_TRUE(sent_exactly({{.flags = A, .ack = peer_.seq, .window = 65535 - 2000}}));
  EXPECT_EQ(stack().promised_window_bytes(), 65535u - 2000u + 1448u);
  EXPECT_EQ(stack().buffered_bytes(), 2000u);
  for (TcpConnection* c : app().accepted) {
    if (c != first) {
      EXPECT_EQ(c->broken_invariant(), nullptr);
    }
  }
}

TEST_F(TcpStateFixture, AnOrphanIsNotProbedWhileTheWorkersBuffersAreShort) {
  settings_.worker_buffer = 10;  // the one write below spends it
  fresh();
  TcpConnection* c = accept_connection(syn_from_peer(), 0, /*ack_window=*/0);
  ASSERT_EQ(c->write_copy("last words", 10), 10u);
  c->close();
  stack().poll(now_us_);
  EXPECT_TRUE(sent_nothing());
  EXPECT_EQ(ms_until_sent(10'000), settings_.min_rto_ms);
  EXPECT_TRUE(sent_exactly({{.flags = R | A, .seq = iss_ + 1, .ack = peer_.seq}}));
  EXPECT_EQ(counters().orphans_reset.get(), 1u);
  EXPECT_EQ(counters().zero_window_probes.get(), 0u);
}

TEST_F(TcpStateFixture, ALiveApplicationsZeroWindowPeerIsProbedForAsLongAsItAnswers) {
  settings_.orphan_retries = 1;
  settings_.max_rto_ms = 1000;
  fresh();
  TcpConnection* c = accept_connection(syn_from_peer(), 0, /*ack_window=*/0);
  c->write_copy("still here", 10);
  for (int i = 0; i < 20; ++i) {
    ASSERT_LE(ms_until_sent(10'000), 1000u);
    ASSERT_TRUE(sent_exactly({{.flags = A, .seq = iss_, .ack = peer_.seq, .len = 0}}));
    in(ack().win(0));
  }
  EXPECT_EQ(stack().connections(), 1u);
  EXPECT_EQ(counters().orphans_reset.get(), 0u);
}

// ---------------------------------------------------------------------------
// Segments for no connection (RFC 9293 3.10.7.1).

TEST_F(TcpStateFixture, NoListenerMeansReset) {
  struct Case {
    const char* what;
    Seg seg;
    std::optional<Want> reply;
  };
  const Case cases[] = {
      {"SYN", Seg{.flags = S, .seq = 1000}, Want{.flags = R | A, .seq = 0, .ack = 1001, .window = 0}},
      {"ACK", Seg{.flags = A, .seq = 1000, .ack = 5555}, Want{.flags = R, .seq = 5555, .ack = 0, .window = 0}},
      {"data with ACK", Seg{.flags = P | A, .seq = 1000, .ack = 7777, .payload = "data"},
       Want{.flags = R, .seq = 7777, .ack = 0}},
      {"FIN without ACK", Seg{.flags = F, .seq = 1000}, Want{.flags = R | A, .seq = 0, .ack = 1001}},
      {"RST", Seg{.flags = R, .seq = 1000}, std::nullopt},
      {"RST with ACK", Seg{.flags = R | A, .seq = 1000, .ack = 1}, std::nullopt},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.what);
    fresh();
    peer_.our_port = kClosedPort;
    Seg s = k.seg;
    in(s.without_timestamps());
    if (k.reply) {
      EXPECT_TRUE(sent_exactly({*k.reply}));
      EXPECT_EQ(drops(TcpDropReason::no_listener), 1u);
      EXPECT_EQ(counters().resets_sent.get(), 1u);
    } else {
      EXPECT_TRUE(sent_nothing()) << "a RST is never answered";
    }
    EXPECT_EQ(stack().connections(), 0u);
  }
}

// ---------------------------------------------------------------------------
// SYN backlog, SYN cookies and the connection limit.

TEST_F(TcpStateFixture, AFullBacklogDropsSynsWithoutCookies) {
  settings_.syn_backlog = 2;
  settings_.syn_cookies = false;
  fresh();
  in(syn_from_peer().from(40001));
  const uint32_t first_iss = take_one().seg.sequence;
  in(syn_from_peer().from(40002));
  EXPECT_EQ(take_one().seg.flags, S | A);
  in(syn_from_peer().from(40003));
  EXPECT_TRUE(sent_nothing());
  EXPECT_EQ(drops(TcpDropReason::backlog_full), 1u);
  EXPECT_EQ(stack().connections(), 2u);
  // A completed handshake makes room.
  in(Seg{.seq = kPeerIsn + 1, .ack = first_iss + 1}.from(40001));
  EXPECT_EQ(app().accepted.size(), 1u);
  in(syn_from_peer().from(40003));
  EXPECT_EQ(take_one().seg.flags, S | A);
}

TEST_F(TcpStateFixture, AFullBacklogAnswersWithACookieThatEstablishes) {
  struct Case {
    const char* what;
    bool timestamps;
  };
  const Case cases[] = {
      {"with timestamps: window scale and SACK come back in TSecr", true},
      {"without timestamps: neither", false},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.what);
    settings_.syn_backlog = 2;
    settings_.syn_cookies = true;
    fresh();
    in(syn_from_peer(true, true, true, k.timestamps).from(40001));
    in(syn_from_peer(true, true, true, k.timestamps).from(40002));
    take();
    peer_.port = 40003;
    const Sent cookie = open_to_syn_ack(syn_from_peer(true, true, true, k.timestamps));
    EXPECT_EQ(cookie.seg.flags, S | A);
    EXPECT_EQ(cookie.seg.acknowledgement, kPeerIsn + 1);
    EXPECT_EQ(cookie.seg.options.mss, 1460);
    EXPECT_EQ(counters().syn_cookies_sent.get(), 1u);
    EXPECT_EQ(stack().connections(), 2u) << "a cookie keeps no state";
    EXPECT_EQ(cookie.seg.options.timestamps.has_value(), k.timestamps);
    EXPECT_EQ(cookie.seg.options.window_scale, k.timestamps ? std::optional<uint8_t>(kOurScale) : std::nullopt);
    EXPECT_EQ(cookie.seg.options.sack_permitted, k.timestamps);
    if (k.timestamps) {
      EXPECT_EQ(cookie.seg.options.timestamps->value & 0x1f, 0x10u | 7) << "the peer's scale and SACK, folded in";
    }

    in(ack());
    EXPECT_TRUE(sent_nothing());
    EXPECT_EQ(counters().syn_cookies_validated.get(), 1u);
    ASSERT_EQ(app().accepted.size(), 1u);
    TcpConnection* c = app().accepted[0];
    EXPECT_EQ(c->state(), TcpState::established);
    EXPECT_EQ(c->mss(), k.timestamps ? 1448 : 1460);
    EXPECT_EQ(c->peer_window(), k.timestamps ? 65535u << 7 : 65535u) << "the peer's scale was recovered";
    // Out-of-order data: an immediate ACK, with a SACK block if SACK was recovered.
    in(data("later").at(peer_.seq + 100));
    const Sent reply = take_one();
    EXPECT_EQ(reply.seg.acknowledgement, peer_.seq);
    EXPECT_EQ(reply.seg.window, k.timestamps ? kFullWindow : 65535) << "our scale as the cookie promised";
    ASSERT_EQ(reply.seg.options.sack_count, k.timestamps ? 1 : 0);
    if (k.timestamps) {
      EXPECT_EQ(reply.seg.options.sack[0], (SackBlock{peer_.seq + 100, peer_.seq + 105}));
    }
  }
}

TEST_F(TcpStateFixture, AForgedCookieIsReset) {
  in(Seg{.flags = A, .seq = 5001, .ack = 123456}.without_timestamps());
  EXPECT_TRUE(sent_exactly({{.flags = R, .seq = 123456}}));
  EXPECT_EQ(drops(TcpDropReason::cookie_invalid), 1u);
  EXPECT_EQ(stack().connections(), 0u);
  EXPECT_TRUE(app().accepted.empty());
}

TEST_F(TcpStateFixture, TheConnectionLimit) {
  struct Case {
    const char* what;
    bool cookies;
  };
  const Case cases[] = {
      {"without cookies the SYN is dropped", false},
      {"with cookies the SYN gets one, but its ACK finds no room", true},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.what);
    settings_.max_connections = 2;
    settings_.syn_cookies = k.cookies;
    fresh();
    in(syn_from_peer().from(40001));
    in(syn_from_peer().from(40002));
    EXPECT_EQ(take().size(), 2u);
    peer_.port = 40003;
    in(syn_from_peer());
    if (!k.cookies) {
      EXPECT_TRUE(sent_nothing());
      EXPECT_EQ(drops(TcpDropReason::connection_limit), 1u);
      continue;
    }
    const Sent cookie = take_one();
    EXPECT_EQ(cookie.seg.flags, S | A);
    EXPECT_EQ(counters().syn_cookies_sent.get(), 1u);
    peer_.ack = cookie.seg.sequence + 1;
    in(ack());
    EXPECT_TRUE(sent_nothing()) << "no RST: the peer retries, and a later ACK may find room";
    EXPECT_EQ(drops(TcpDropReason::connection_limit), 1u);
    EXPECT_EQ(stack().connections(), 2u);
    EXPECT_TRUE(app().accepted.empty());
  }
}

// ---------------------------------------------------------------------------
// Retransmission (RFC 6298, RFC 9293 3.8.3).

TEST_F(TcpStateFixture, UnacknowledgedDataIsRetransmittedWithBackoffThenReset) {
  settings_.retries = 3;
  fresh();
  // A 100 ms handshake: SRTT 100, RTTVAR 50, RTO = 100 + 4 * 50 = 300 ms (RFC 6298 2.2).
  TcpConnection* c = accept_connection(syn_from_peer(), 100);
  EXPECT_EQ(c->rto_us(), 300'000u);
  c->write_copy("unlucky", 7);
  stack().poll(now_us_);
  const Want segment{.flags = P | A, .seq = iss_ + 1, .ack = peer_.seq, .len = 7};
  EXPECT_TRUE(sent_exactly({segment}));
  for (const uint64_t rto : {300u, 600u, 1200u}) {
    EXPECT_EQ(ms_until_sent(10'000), rto);
    EXPECT_TRUE(sent_exactly({segment}));
  }
  EXPECT_EQ(counters().rto_expiries.get(), 3u);
  EXPECT_EQ(counters().retransmits.get(), 3u);
  EXPECT_EQ(ms_until_sent(10'000), 2400u);
  EXPECT_TRUE(sent_exactly({{.flags = R | A, .seq = iss_ + 1 + 7, .ack = peer_.seq}}));
  ASSERT_EQ(app().closed.size(), 1u);
  EXPECT_EQ(app().closed[0], TcpCloseReason::timed_out);
  EXPECT_EQ(stack().connections(), 0u);
  EXPECT_EQ(counters().timeouts.get(), 1u);
}

TEST_F(TcpStateFixture, SynsAreRetransmittedThenGivenUp) {
  settings_.syn_retries = 2;
  for (const bool active : {true, false}) {
    SCOPED_TRACE(active ? "our SYN" : "our SYN-ACK");
    fresh();
    if (active) {
      connect_to_peer();
    } else {
      open_to_syn_ack(syn_from_peer());
    }
    const uint8_t flags = active ? S : S | A;
    for (const uint64_t rto : {1000u, 2000u}) {  // initial_rto_ms, doubled
      EXPECT_EQ(ms_until_sent(60'000), rto);
      EXPECT_TRUE(sent_exactly({{.flags = flags, .seq = iss_}}));
    }
    EXPECT_EQ(counters().syn_retransmits.get(), 2u);
    advance_ms(4000 - 1);
    EXPECT_EQ(stack().connections(), 1u);
    advance_ms(1);
    EXPECT_EQ(stack().connections(), 0u);
    EXPECT_TRUE(sent_nothing());
    EXPECT_EQ(counters().timeouts.get(), 1u);
    if (active) {
      ASSERT_EQ(app().closed.size(), 1u);
      EXPECT_EQ(app().closed[0], TcpCloseReason::timed_out);
    } else {
      EXPECT_TRUE(app().closed.empty()) << "nobody was told of the half-open connection";
    }
  }
}

TEST_F(TcpStateFixture, AfterASynTimeoutDataStartsWithAThreeSecondRto) {
  // RFC 6298 5.7: no RTT sample came from the handshake, and the backed-off
  // 2 s would be below the 3 s the RFC asks for.
  for (const bool active : {true, false}) {
    SCOPED_TRACE(active ? "our SYN was retransmitted" : "our SYN-ACK was retransmitted");
    fresh();
    TcpConnection* c = nullptr;
    if (active) {
      c = connect_to_peer();
      EXPECT_EQ(ms_until_sent(10'000), settings_.initial_rto_ms);
      take();
      in(syn_ack_from_peer());
      take();
    } else {
      open_to_syn_ack(syn_from_peer());
      EXPECT_EQ(ms_until_sent(10'000), settings_.initial_rto_ms);
      take();
      c = accept_connection_ack();
    }
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->rto_us(), 3'000'000u);
    c->write_copy("late", 4);
    stack().poll(now_us_);
    EXPECT_EQ(take().size(), 1u);
    EXPECT_EQ(ms_until_sent(10'000), 3000u);
    EXPECT_TRUE(sent_exactly({{.flags = P | A, .seq = iss_ + 1, .len = 4}}));
  }
}

TEST_F(TcpStateFixture, AnUnmeasuredHandshakeWithoutTimeoutKeepsTheInitialRto) {
  // A cookie's handshake has no RTT sample, but no SYN timed out: RFC 6298 2.1.
  settings_.syn_backlog = 0;
  fresh();
  open_to_syn_ack(syn_from_peer());
  EXPECT_EQ(counters().syn_cookies_sent.get(), 1u);
  TcpConnection* c = accept_connection_ack();
  ASSERT_NE(c, nullptr);
  c->write_copy("cookie", 6);
  stack().poll(now_us_);
  EXPECT_EQ(take().size(), 1u);
  EXPECT_EQ(ms_until_sent(10'000), settings_.initial_rto_ms);
  EXPECT_TRUE(sent_exactly({{.flags = P | A, .seq = iss_ + 1, .len = 6}}));
}

// ---------------------------------------------------------------------------
// Fast retransmit (RFC 5681 3.2) and SACK loss recovery (RFC 6675).

TEST_F(TcpStateFixture, ThreeDuplicateAcksRetransmitBeforeTheTimeout) {
  TcpConnection* c = accept_connection(syn_from_peer(true, true, /*sack=*/false, /*timestamps=*/false));
  ASSERT_EQ(c->mss(), 1460);
  const std::string five(5 * 1460, 'd');
  c->write_copy(five.data(), static_cast<uint32_t>(five.size()));
  stack().poll(now_us_);
  EXPECT_EQ(take().size(), 5u);
  for (int i = 0; i < 2; ++i) in(ack());
  EXPECT_TRUE(sent_nothing());
  in(ack());
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = iss_ + 1, .ack = peer_.seq, .len = 1460}}));
  EXPECT_EQ(counters().fast_retransmits.get(), 1u);
  EXPECT_EQ(counters().rto_expiries.get(), 0u);
}

TEST_F(TcpStateFixture, SackBlocksPointAtTheHoleToRetransmit) {
  TcpConnection* c = accept_connection();
  const uint32_t mss = c->mss();
  const std::string five(5 * mss, 'd');
  c->write_copy(five.data(), static_cast<uint32_t>(five.size()));
  stack().poll(now_us_);
  EXPECT_EQ(take().size(), 5u);
  const uint32_t base = iss_ + 1;
  peer_.ack = base + mss;  // the first segment arrived, the second did not
  in(ack());
  EXPECT_TRUE(sent_nothing());
  in(ack().sacking({{base + 2 * mss, base + 5 * mss}}));
  EXPECT_TRUE(sent_exactly({{.flags = A, .seq = base + mss, .ack = peer_.seq, .len = mss}}))
      << "three segments SACKed above the hole: it is lost";
  EXPECT_EQ(counters().fast_retransmits.get(), 1u);
}

// ---------------------------------------------------------------------------
// Keepalive (RFC 9293 3.8.4).

class TcpStateKeepalive : public TcpStateFixture {
 protected:
  void SetUp() override {
    listen_options_.keepalive = {.enabled = true, .idle_ms = 1000, .interval_ms = 200, .probes = 3};
    TcpStateFixture::SetUp();
  }
  Want probe() const { return {.flags = A, .seq = iss_, .ack = peer_.seq, .len = 0}; }
};

TEST_F(TcpStateKeepalive, UnansweredProbesReset) {
  accept_connection();
  EXPECT_EQ(ms_until_sent(10'000), 1000u);
  EXPECT_TRUE(sent_exactly({probe()})) << "SEQ = SND.UNA - 1, no data";
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(ms_until_sent(10'000), 200u);
    EXPECT_TRUE(sent_exactly({probe()}));
  }
  EXPECT_EQ(counters().keepalive_probes.get(), 3u);
  EXPECT_EQ(ms_until_sent(10'000), 200u);
  EXPECT_TRUE(sent_exactly({{.flags = R | A, .seq = iss_ + 1}}));
  ASSERT_EQ(app().closed.size(), 1u);
  EXPECT_EQ(app().closed[0], TcpCloseReason::timed_out);
  EXPECT_EQ(stack().connections(), 0u);
}

TEST_F(TcpStateKeepalive, AnAnswerStartsTheIdleTimeAgain) {
  accept_connection();
  EXPECT_EQ(ms_until_sent(10'000), 1000u);
  EXPECT_TRUE(sent_exactly({probe()}));
  EXPECT_EQ(ms_until_sent(10'000), 200u);
  EXPECT_TRUE(sent_exactly({probe()}));
  advance_ms(50);
  in(ack());  // the peer is alive
  EXPECT_TRUE(sent_nothing());
  EXPECT_EQ(ms_until_sent(10'000), 1000u) << "a full idle time after the answer";
  EXPECT_TRUE(sent_exactly({probe()}));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(ms_until_sent(10'000), 200u);
    EXPECT_TRUE(sent_exactly({probe()}));
  }
  EXPECT_EQ(ms_until_sent(10'000), 200u);
  EXPECT_TRUE(sent_exactly({{.flags = R | A, .seq = iss_ + 1}})) << "three unanswered since the answer";
  EXPECT_EQ(counters().keepalive_probes.get(), 5u);
}

}  // namespace
}  // namespace dplb::testing
