// One TCP connection fed an arbitrary sequence of segments from its peer.
// The connection is opened by a SYN (its options from the input's first
// byte); after that each 8-byte record of the input is one segment: flags,
// a sequence and an acknowledgement number relative to what the peer has
// seen (so most land near the window, where the interesting states are),
// a window, a payload length, options, and how many milliseconds pass
// before it. The application echoes what it reads. After every segment
// each connection must keep its sequence-space rules; at the end, with
// everything aborted, every mbuf must be back in the pool.
#include <rte_mbuf.h>

#include <cstring>
#include <memory>

#include "dataplane/tcp/tcp_segment.h"
#include "dataplane/tcp/tcp_stack.h"
#include "tests/fuzz/fuzz_eal.h"
#include "tests/fuzz/fuzz_target.h"
#include "tests/support/packet_fixtures.h"

namespace dataplane = dplb::dataplane;
using dplb::testing::Bytes;

namespace {

constexpr std::size_t kPoolSize = 2047;
constexpr uint32_t kOurIp = 0x0a63010a;
constexpr uint32_t kPeerIp = 0x0a630164;
constexpr dplb::testing::MacAddress kOurMac = {0x02, 0x99, 0x01, 0x00, 0x01, 0x01};
constexpr dplb::testing::MacAddress kPeerMac = {0x02, 0x99, 0x01, 0x00, 0x00, 0x64};

rte_mempool* pool() {
  static rte_mempool* p =
      rte_pktmbuf_pool_create("fuzz_tcp", kPoolSize, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  return p;
}

// Keeps the last sequence and acknowledgement numbers the stack sent, so
// the peer's next segment can be placed relative to them.
class Sink final : public dataplane::TcpPacketSink {
 public:
  void send(rte_mbuf* packet, uint32_t) override {
    uint8_t header[60];
    const auto* ip = static_cast<const uint8_t*>(rte_pktmbuf_read(packet, 0, 40, header));
    if (ip != nullptr) {
      const std::size_t ihl = (ip[0] & 0x0f) * 4u;
      if (ihl == 20) {
        const uint8_t* tcp = ip + 20;
        our_seq = static_cast<uint32_t>(tcp[4] << 24 | tcp[5] << 16 | tcp[6] << 8 | tcp[7]);
        our_ack = static_cast<uint32_t>(tcp[8] << 24 | tcp[9] << 16 | tcp[10] << 8 | tcp[11]);
      }
    }
    rte_pktmbuf_free(packet);
  }
  std::optional<dataplane::TcpRoute> route(uint32_t) override { return dataplane::TcpRoute{kOurIp, 1460}; }
  uint32_t our_seq = 0;
  uint32_t our_ack = 0;
};

class EchoApp final : public dataplane::TcpApplication {
 public:
  void on_accepted(dataplane::TcpConnection&) override {}
  void on_connected(dataplane::TcpConnection&) override {}
  void on_readable(dataplane::TcpConnection& c) override {
    uint32_t n = 0;
    while (rte_mbuf* m = c.read(UINT32_MAX, &n)) c.write(m);
    if (c.end_of_stream()) c.shutdown_write();
  }
  void on_closed(dataplane::TcpConnection&, dataplane::TcpCloseReason) override {}
};

Bytes options_for(uint8_t bits, uint32_t tsval) {
  Bytes o;
  // push_back, not insert of an initializer list: GCC 12 at -O2 sees a
  // bogus overflow in the latter (-Wstringop-overflow) and the release build fails.
  auto add = [&o](std::initializer_list<uint8_t> bytes) {
    for (uint8_t b : bytes) o.push_back(b);
  };
  if (bits & 1) add({2, 4, 0x05, 0xb4});                                 // MSS 1460
  if (bits & 2) add({1, 3, 3, static_cast<uint8_t>(bits >> 5)});         // window scale
  if (bits & 4) add({1, 1, 4, 2});                                       // SACK permitted
  if (bits & 8) {
    add({1, 1, 8, 10});
    for (int s = 24; s >= 0; s -= 8) o.push_back(static_cast<uint8_t>(tsval >> s));
    for (int i = 0; i < 4; ++i) o.push_back(0);
  }
  if (bits & 16) add({1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0x10, 0});          // a SACK block
  return o;
}

void inject(dataplane::TcpStack& stack, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t window, Bytes options,
            std::size_t payload) {
  dplb::testing::TcpFields f;
  f.source_port = 40000;
  f.destination_port = 80;
  f.sequence = seq;
  f.acknowledgement = ack;
  f.flags = flags;
  f.window = window;
  f.options = std::move(options);
  dplb::testing::Ipv4Fields ip;
  ip.protocol = 6;
  ip.source = kPeerIp;
  ip.destination = kOurIp;
  Bytes body(payload);
  for (std::size_t i = 0; i < payload; ++i) body[i] = static_cast<uint8_t>('a' + i % 26);
  const Bytes frame =
      dplb::testing::ipv4_frame(kOurMac, kPeerMac, ip, dplb::testing::tcp_segment(kPeerIp, kOurIp, f, body));
  rte_mbuf* m = rte_pktmbuf_alloc(pool());
  if (m == nullptr) return;
  char* room = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
  if (room == nullptr) {
    rte_pktmbuf_free(m);
    return;
  }
  std::memcpy(room, frame.data(), frame.size());
  dataplane::TcpSegment segment;
  if (dataplane::parse_tcp_segment(m, 20, &segment) != dataplane::TcpSegmentError::none) {
    rte_pktmbuf_free(m);
    return;
  }
  stack.receive(m, segment);
}

void check(const dataplane::TcpStack& stack) {
  stack.for_each_connection([](const dataplane::TcpConnection& c) {
    const char* broken = c.broken_invariant();
    if (broken != nullptr) dplb::fuzz::invariant_failed(broken, __FILE__, __LINE__);
  });
}

}  // namespace

DPLB_FUZZ_INITIALIZE_EAL()

DPLB_FUZZ_TARGET(tcp_connection) {
  if (size < 1) return 0;
  rte_mempool* p = pool();
  FUZZ_CHECK(p != nullptr);
  {
    dataplane::TcpSettings settings;
    settings.max_connections = 64;
    settings.syn_backlog = 16;
    settings.time_wait_ms = 1000;
    settings.delayed_ack_ms = 10;
    Sink sink;
    EchoApp app;
    dataplane::TcpCounters counters;
    uint64_t now_us = 1'000'000;
    dataplane::TcpStack stack(settings, sink, p, counters, dataplane::TcpStackIdentity{0, 1, {0x1234, 0x5678}},
                              now_us);
    FUZZ_CHECK(stack.listen(80, &app, settings.defaults));
    uint32_t peer_seq = 1000;
    uint32_t tsval = 100;
    inject(stack, dataplane::tcp_flag::syn, peer_seq, 0, 65535, options_for(data[0], tsval), 0);
    ++peer_seq;
    stack.poll(now_us);
    check(stack);
    for (std::size_t at = 1; at + 8 <= size; at += 8) {
      const uint8_t* r = data + at;
      const auto seq_delta = static_cast<int16_t>(r[1] << 8 | r[2]);
      const auto ack_delta = static_cast<int8_t>(r[3]);
      const uint16_t window = static_cast<uint16_t>(r[4] << 8 | 0xff);
      const std::size_t payload = r[5] * 8u;
      now_us += (r[7] % 64) * 1000u;
      tsval += r[7] % 64;
      stack.poll(now_us);
      const uint32_t seq = peer_seq + static_cast<uint32_t>(static_cast<int32_t>(seq_delta) / 16);
      const uint32_t ack = sink.our_seq + static_cast<uint32_t>(static_cast<int32_t>(ack_delta));
      inject(stack, r[0], seq, ack, window, options_for(r[6], tsval), payload);
      // A segment that carried data in order moves the peer on.
      if (seq == peer_seq) peer_seq += static_cast<uint32_t>(payload) + ((r[0] & dataplane::tcp_flag::fin) ? 1 : 0);
      stack.poll(now_us);
      check(stack);
    }
    // Let timers run (retransmissions, delayed ACKs, TIME_WAIT), then end all.
    for (int i = 0; i < 50; ++i) {
      now_us += 100'000;
      stack.poll(now_us);
      check(stack);
    }
    stack.abort_all();
    stack.poll(now_us + 1000);
  }
  FUZZ_CHECK(rte_mempool_avail_count(p) == kPoolSize);  // no mbuf kept or leaked
  return 0;
}
