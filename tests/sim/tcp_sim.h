#pragma once

// Two worker TCP stacks joined by a pair of simulated wires (tests/sim/
// sim_link.h) on a virtual clock. Each stack's packets are copied into byte
// vectors on the wire, so duplication is a real copy and every segment is
// parsed (checksums included) exactly as a worker would.

#include <rte_mbuf.h>

#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataplane/tcp/tcp_stack.h"
#include "dataplane/tcp/tcp_segment.h"
#include "tests/sim/sim_link.h"

namespace dplb::testing {

using WireFrame = std::vector<uint8_t>;

// One end: an address, a sink that puts packets on its outgoing wire.
class SimTcpHost final : public dataplane::TcpPacketSink {
 public:
  SimTcpHost(uint32_t address, uint16_t mss) : address_(address), mss_(mss) {}

  void attach(SimLink<WireFrame>* out, const uint64_t* clock_ns) {
    out_ = out;
    clock_ns_ = clock_ns;
  }

  void send(rte_mbuf* packet, uint32_t) override {
    // A 14-byte stand-in for the Ethernet header keeps the receive path the
    // worker's: parse_tcp_segment reads after it.
    WireFrame frame(14 + rte_pktmbuf_pkt_len(packet));
    const uint8_t* p = static_cast<const uint8_t*>(
        rte_pktmbuf_read(packet, 0, rte_pktmbuf_pkt_len(packet), frame.data() + 14));
    if (p != frame.data() + 14) std::memcpy(frame.data() + 14, p, rte_pktmbuf_pkt_len(packet));
    frame[12] = 0x08;
    ++sent_;
    if (segment_budget_ != 0 && sent_ > segment_budget_) {
      rte_pktmbuf_free(packet);
      return;
    }
    const std::size_t bytes = frame.size();
    rte_pktmbuf_free(packet);
    out_->send(std::move(frame), *clock_ns_, bytes);
  }

  std::optional<dataplane::TcpRoute> route(uint32_t) override { return dataplane::TcpRoute{address_, mss_}; }

  uint32_t address() const { return address_; }
  uint64_t sent() const { return sent_; }
  void limit_segments(uint64_t budget) { segment_budget_ = budget; }

 private:
  uint32_t address_;
  uint16_t mss_;
  SimLink<WireFrame>* out_ = nullptr;
  const uint64_t* clock_ns_ = nullptr;
  uint64_t sent_ = 0;
  uint64_t segment_budget_ = 0;
};

// Copies a frame from the wire into an mbuf and hands it to `stack`.
// Returns false (and counts nothing) if the segment does not parse.
inline std::string describe_segment(const dataplane::TcpSegment& s) {
  std::string out = std::to_string(s.source_port) + ">" + std::to_string(s.destination_port) + " ";
  const char* names = "FSRPAUEC";
  for (int i = 0; i < 8; ++i) {
    if (s.flags & (1 << i)) out += names[i];
  }
  out += " seq " + std::to_string(s.sequence) + " ack " + std::to_string(s.acknowledgement) + " len " +
         std::to_string(s.payload_length) + " win " + std::to_string(s.window);
  for (uint8_t i = 0; i < s.options.sack_count; ++i) {
    out += " sack " + std::to_string(s.options.sack[i].left) + "-" + std::to_string(s.options.sack[i].right);
  }
  if (s.options.timestamps) out += " ts " + std::to_string(s.options.timestamps->value) + "/" + std::to_string(s.options.timestamps->echo_reply);
  return out;
}

inline std::vector<std::string>* g_segment_trace = nullptr;

inline bool deliver_frame(const WireFrame& frame, rte_mempool* pool, dataplane::TcpStack& stack) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (m == nullptr) throw std::runtime_error("simulation mbuf pool exhausted");
  char* data = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
  if (data == nullptr) throw std::runtime_error("frame larger than one mbuf");
  std::memcpy(data, frame.data(), frame.size());
  dataplane::TcpSegment segment;
  if (const auto e = dataplane::parse_tcp_segment(m, 20, &segment); e != dataplane::TcpSegmentError::none) {
    if (g_segment_trace != nullptr) g_segment_trace->push_back("UNPARSEABLE error " + std::to_string(static_cast<int>(e)) + " bytes " + std::to_string(frame.size()));
    rte_pktmbuf_free(m);
    return false;
  }
  if (g_segment_trace != nullptr) {
    g_segment_trace->push_back(describe_segment(segment));
    if (g_segment_trace->size() > 4000) g_segment_trace->erase(g_segment_trace->begin(), g_segment_trace->begin() + 2000);
  }
  stack.receive(m, segment);
  return true;
}

// Both stacks, both wires, one clock.
class TcpSimulation {
 public:
  static constexpr uint32_t kClientAddress = 0x0a630164;  // 10.99.1.100
  static constexpr uint32_t kServerAddress = 0x0a63010a;  // 10.99.1.10

  TcpSimulation(rte_mempool* pool, const dataplane::TcpSettings& client_settings,
                const dataplane::TcpSettings& server_settings, LinkProfile to_server, LinkProfile to_client,
                uint64_t seed, uint16_t mss = 1460)
      : pool_(pool),
        client_host_(kClientAddress, mss),
        server_host_(kServerAddress, mss),
        to_server_(to_server, seed * 2 + 1),
        to_client_(to_client, seed * 2 + 2) {
    client_host_.attach(&to_server_, &now_ns_);
    server_host_.attach(&to_client_, &now_ns_);
    dataplane::TcpStackIdentity a{0, 1, {seed ^ 0x1111, seed ^ 0x2222}};
    dataplane::TcpStackIdentity b{0, 1, {seed ^ 0x3333, seed ^ 0x4444}};
    client_ = std::make_unique<dataplane::TcpStack>(client_settings, client_host_, pool, client_counters_, a);
    server_ = std::make_unique<dataplane::TcpStack>(server_settings, server_host_, pool, server_counters_, b);
  }

  // One step: deliver what has arrived, then let both stacks run.
  void step() {
    for (const auto& f : to_server_.deliver(now_ns_)) delivered_ok_ &= deliver_frame(f, pool_, *server_);
    for (const auto& f : to_client_.deliver(now_ns_)) delivered_ok_ &= deliver_frame(f, pool_, *client_);
    client_->poll(now_ns_ / 1000);
    server_->poll(now_ns_ / 1000);
  }

  // Runs until `done()` or until `limit_ns` of virtual time has passed;
  // time jumps to the next arrival, or moves one timer tick when the wires
  // are empty.
  template <class Done>
  bool run_until(Done&& done, uint64_t limit_ns) {
    const uint64_t end = now_ns_ + limit_ns;
    while (now_ns_ < end) {
      step();
      if (done()) return true;
      const uint64_t next_arrival = std::min(to_server_.next_arrival_ns(), to_client_.next_arrival_ns());
      const uint64_t next_tick = (now_ns_ / 1'000'000 + 1) * 1'000'000;
      now_ns_ = std::max(now_ns_ + 1, std::min(next_arrival, next_tick));
    }
    return false;
  }

  dataplane::TcpStack& client() { return *client_; }
  dataplane::TcpStack& server() { return *server_; }
  dataplane::TcpCounters& client_counters() { return client_counters_; }
  dataplane::TcpCounters& server_counters() { return server_counters_; }
  SimTcpHost& client_host() { return client_host_; }
  SimTcpHost& server_host() { return server_host_; }
  SimLink<WireFrame>& to_server() { return to_server_; }
  SimLink<WireFrame>& to_client() { return to_client_; }
  uint64_t now_ns() const { return now_ns_; }
  bool all_frames_parsed() const { return delivered_ok_; }

 private:
  rte_mempool* pool_;
  uint64_t now_ns_ = 1'000'000'000;  // start away from zero: zero means "unset" in places
  SimTcpHost client_host_;
  SimTcpHost server_host_;
  SimLink<WireFrame> to_server_;
  SimLink<WireFrame> to_client_;
  dataplane::TcpCounters client_counters_;
  dataplane::TcpCounters server_counters_;
  std::unique_ptr<dataplane::TcpStack> client_;
  std::unique_ptr<dataplane::TcpStack> server_;
  bool delivered_ok_ = true;
};

}  // namespace dplb::testing
