// ns/packet through a worker's receive path, in memory: no NIC, no kernel.
// A replaying PacketIo hands the worker bursts of 32 frames from a fixed
// template and takes back what it transmits, so the figure is the pipeline's
// own cost (classification, validation, answer, counters) plus one small
// memcpy per frame to restore the template, which is measured on its own.

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/worker/worker.h"
#include "tests/support/packet_fixtures.h"

namespace {

using dplb::testing::Bytes;
using dplb::testing::MacAddress;

constexpr MacAddress kOurMac = {0x02, 0x99, 0x01, 0x00, 0x01, 0x01};
constexpr MacAddress kClientMac = {0x02, 0x99, 0x01, 0x00, 0x00, 0x64};
constexpr MacAddress kOtherMac = {0x02, 0x99, 0x01, 0x00, 0x00, 0x65};

class ReplayIo final : public dplb::dataplane::PacketIo {
 public:
  ReplayIo(rte_mempool* pool, const Bytes& frame) : frame_(frame) {
    for (auto& m : mbufs_) {
      m = rte_pktmbuf_alloc(pool);
      rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
    }
  }
  ~ReplayIo() override {
    for (auto* m : mbufs_) rte_pktmbuf_free(m);
  }

  uint16_t rx_burst(uint16_t, rte_mbuf** out, uint16_t capacity) override {
    for (uint16_t i = 0; i < capacity; ++i) {
      // Answered frames come back through tx_burst untouched by the pool, so the
      // same 32 mbufs are replayed; the template undoes the in-place rewrite.
      rte_mbuf* m = mbufs_[i];
      m->data_len = m->pkt_len = static_cast<uint32_t>(frame_.size());
      m->data_off = RTE_PKTMBUF_HEADROOM;
      std::memcpy(rte_pktmbuf_mtod(m, void*), frame_.data(), frame_.size());
      out[i] = m;
    }
    return capacity;
  }
  uint16_t tx_burst(uint16_t, rte_mbuf**, uint16_t count) override {
    transmitted_ += count;
    return count;  // kept: the same mbufs are replayed next burst
  }
  uint64_t transmitted() const { return transmitted_; }

 private:
  Bytes frame_;
  rte_mbuf* mbufs_[dplb::dataplane::kBurstSize];
  uint64_t transmitted_ = 0;
};

// Frames the worker drops are freed to the pool; for those cases the replay
// allocates fresh ones, so the figure includes one alloc/free per frame.
class DropReplayIo final : public dplb::dataplane::PacketIo {
 public:
  DropReplayIo(rte_mempool* pool, const Bytes& frame) : pool_(pool), frame_(frame) {}
  uint16_t rx_burst(uint16_t, rte_mbuf** out, uint16_t capacity) override {
    if (rte_pktmbuf_alloc_bulk(pool_, out, capacity) != 0) return 0;
    for (uint16_t i = 0; i < capacity; ++i) {
      std::memcpy(rte_pktmbuf_append(out[i], static_cast<uint16_t>(frame_.size())), frame_.data(), frame_.size());
    }
    return capacity;
  }
  uint16_t tx_burst(uint16_t, rte_mbuf** mbufs, uint16_t count) override {
    rte_pktmbuf_free_bulk(mbufs, count);
    return count;
  }

 private:
  rte_mempool* pool_;
  Bytes frame_;
};

struct Result {
  double ns_per_packet;
  uint64_t packets;
};

Result measure(dplb::dataplane::PacketIo& io, uint64_t packets) {
  dplb::dataplane::WorkerCounters counters;
  dplb::dataplane::PortIdentity port;
  port.link.mac = kOurMac;
  port.ipv4 = dplb::testing::ipv4(10, 99, 1, 2);
  dplb::dataplane::Worker worker(0, {port}, io, counters);
  for (int i = 0; i < 1000; ++i) worker.poll_once();  // warm caches and branch predictors
  const uint64_t start = rte_rdtsc_precise();
  uint64_t done = 0;
  while (done < packets) done += worker.poll_once();
  const uint64_t cycles = rte_rdtsc_precise() - start;
  return {static_cast<double>(cycles) * 1e9 / static_cast<double>(rte_get_tsc_hz()) / static_cast<double>(done),
          done};
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t packets = argc > 1 ? std::stoull(argv[1]) : 4'000'000;
  const char* eal_argv[] = {"pipeline_bench", "-l", "0", "--no-huge", "--no-shconf", "--no-pci", "-m", "128",
                            "--no-telemetry", "--log-level=error"};
  if (rte_eal_init(static_cast<int>(std::size(eal_argv)), const_cast<char**>(eal_argv)) < 0) {
    std::fprintf(stderr, "EAL initialisation failed\n");
    return 1;
  }
  rte_mempool* pool = rte_pktmbuf_pool_create("bench", 4095, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  using namespace dplb::testing;
  const uint32_t us = ipv4(10, 99, 1, 2);
  const uint32_t client = ipv4(10, 99, 1, 100);
  Ipv4Fields echo;
  echo.source = client;
  echo.destination = us;
  struct Case {
    const char* name;
    Bytes frame;
    bool answered;
  };
  std::vector<Case> cases = {
      {"arp-request-answered", arp_frame(kBroadcastMac, kClientMac, 1, kClientMac, client, MacAddress{}, us), true},
      {"icmp-echo-56B-answered", ipv4_frame(kOurMac, kClientMac, echo, icmp_message(8, 0, 1, 1, 56)), true},
      {"icmp-echo-1472B-answered", ipv4_frame(kOurMac, kClientMac, echo, icmp_message(8, 0, 1, 1, 1472)), true},
      {"drop-not-for-us", ipv4_frame(kOtherMac, kClientMac, echo, icmp_message(8, 0, 1, 1, 56)), false},
  };
  std::printf("# dplb pipeline benchmark: one worker, bursts of %u, %llu packets per case, tsc %llu Hz\n",
              dplb::dataplane::kBurstSize, static_cast<unsigned long long>(packets),
              static_cast<unsigned long long>(rte_get_tsc_hz()));
  std::printf("%-26s %10s %10s\n", "case", "ns/packet", "Mpps");
  for (const auto& c : cases) {
    Result r;
    if (c.answered) {
      ReplayIo io(pool, c.frame);
      r = measure(io, packets);
      if (io.transmitted() < r.packets) {
        std::fprintf(stderr, "%s: only %llu of %llu frames were answered\n", c.name,
                     static_cast<unsigned long long>(io.transmitted()), static_cast<unsigned long long>(r.packets));
        return 1;
      }
    } else {
      DropReplayIo io(pool, c.frame);
      r = measure(io, packets);
    }
    std::printf("%-26s %10.1f %10.2f\n", c.name, r.ns_per_packet, 1e3 / r.ns_per_packet);
  }
  std::printf("(answered cases include one template memcpy per frame; dropped cases one mbuf alloc+free)\n");
  rte_mempool_free(pool);
  rte_eal_cleanup();
  return 0;
}
