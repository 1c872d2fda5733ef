// The stack against itself over lossy, reordering, duplicating wires: for
// many seeds, both directions of one connection carry a transfer of random
// size (1 byte to 50 MB); every byte must arrive exactly once and in order,
// both connections must end (CLOSED, or TIME_WAIT until it expires), and no
// connection, timer, buffered byte or mbuf may be left behind.
//
// DPLB_TCP_SEEDS=N runs N seeds (default 200; tools/test --long runs more);
// DPLB_TCP_SEED=S replays one seed, as a failure message says.

#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dataplane/tcp/tcp_stack.h"
#include "tests/sim/tcp_sim.h"

namespace dplb::testing {
namespace {

using dataplane::TcpApplication;
using dataplane::TcpCloseReason;
using dataplane::TcpConnection;

uint8_t pattern_byte(uint64_t seed, uint64_t offset) { return static_cast<uint8_t>((offset * 131 + seed) % 251); }

// Sends `to_send` pattern bytes, reads and checks everything the peer sends,
// then closes once both directions are done.
struct Endpoint {
  uint64_t seed = 0;
  uint64_t to_send = 0;
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t mismatches = 0;
  bool eof = false;
  bool shut = false;
  bool closed = false;
  bool failed = false;
  TcpCloseReason reason{};
  TcpConnection* connection = nullptr;

  void pump(TcpConnection& c) {
    uint8_t chunk[4096];
    while (sent < to_send) {
      const uint32_t space = c.send_space();
      if (space == 0) {
        c.want_writable();
        break;
      }
      const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>({to_send - sent, space, sizeof(chunk)}));
      for (uint32_t i = 0; i < n; ++i) chunk[i] = pattern_byte(seed, sent + i);
      const uint32_t queued = c.write_copy(chunk, n);
      sent += queued;
      if (queued < n) {
        c.want_writable();
        break;
      }
    }
    if (sent == to_send && !shut) {
      shut = true;
      c.shutdown_write();
    }
    drain(c);
  }

  void drain(TcpConnection& c) {
    uint32_t n = 0;
    while (rte_mbuf* m = c.read(UINT32_MAX, &n)) {
      const uint64_t peer_seed = seed ^ 1;
      for (rte_mbuf* s = m; s != nullptr; s = s->next) {
        const uint8_t* p = rte_pktmbuf_mtod(s, const uint8_t*);
        for (uint16_t i = 0; i < s->data_len; ++i) {
          if (p[i] != pattern_byte(peer_seed, received + i)) ++mismatches;
        }
        received += s->data_len;
      }
      rte_pktmbuf_free(m);
    }
    if (c.end_of_stream()) eof = true;
    if (eof && shut && !closed) {
      closed = true;
      connection = nullptr;
      c.close();
    }
  }
};

class EndpointApp final : public TcpApplication {
 public:
  explicit EndpointApp(Endpoint* e) : e_(e) {}
  void on_accepted(TcpConnection& c) override {
    e_->connection = &c;
    e_->pump(c);
  }
  void on_connected(TcpConnection& c) override { e_->pump(c); }
  void on_readable(TcpConnection& c) override { e_->pump(c); }
  void on_writable(TcpConnection& c) override { e_->pump(c); }
  void on_closed(TcpConnection&, TcpCloseReason reason) override {
    e_->failed = true;
    e_->reason = reason;
    e_->connection = nullptr;
  }

 private:
  Endpoint* e_;
};

struct Scenario {
  LinkProfile link;
  uint64_t client_bytes = 0;
  uint64_t server_bytes = 0;
  bool newreno = false;
  bool sack = true;
  bool timestamps = true;
  bool window_scaling = true;
};

uint64_t log_uniform_bytes(SplitMix64& r, uint64_t max) {
  const double x = r.unit() * std::log(static_cast<double>(max));
  return std::max<uint64_t>(1, static_cast<uint64_t>(std::exp(x)));
}

Scenario scenario_for(uint64_t seed) {
  SplitMix64 r(seed * 7919 + 17);
  Scenario s;
  s.link.delay_ns = (100 + r.below(20'000)) * 1000;    // 0.1 to 20 ms one way
  s.link.jitter_ns = r.below(3) == 0 ? 0 : r.below(s.link.delay_ns / 2 + 1);  // reordering
  s.link.loss = r.below(4) == 0 ? 0.0 : r.unit() * 0.15;
  s.link.duplicate = r.below(4) == 0 ? r.unit() * 0.02 : 0.0;
  s.link.bits_per_second = (r.below(2) == 0 ? 100'000'000ull : 1'000'000'000ull);
  s.client_bytes = log_uniform_bytes(r, 50ull << 20);
  s.server_bytes = log_uniform_bytes(r, 50ull << 20);
  // Heavy loss makes large transfers slow in virtual time, not in CPU time;
  // still, keep the default run's total within a few seconds.
  if (s.link.loss > 0.05) {
    s.client_bytes = std::min<uint64_t>(s.client_bytes, 4ull << 20);
    s.server_bytes = std::min<uint64_t>(s.server_bytes, 4ull << 20);
  }
  s.newreno = r.below(4) == 0;
  s.sack = r.below(5) != 0;
  s.timestamps = r.below(5) != 0;
  s.window_scaling = r.below(6) != 0;
  return s;
}

class TcpTransfer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pool_ = rte_pktmbuf_pool_create("tcp_transfer", 32767, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
  }
  static void TearDownTestSuite() { rte_mempool_free(pool_); }

  // Returns "" or what went wrong.
  std::string run(uint64_t seed, const Scenario& sc) {
    const unsigned free_before = rte_mempool_avail_count(pool_);
    dataplane::TcpSettings settings;
    settings.time_wait_ms = 2000;
    settings.sack = sc.sack;
    settings.timestamps = sc.timestamps;
    settings.window_scaling = sc.window_scaling;
    settings.retries = 30;
    settings.max_connections = 64;
    settings.worker_buffer = 64ull << 20;
    settings.defaults.congestion =
        sc.newreno ? dataplane::CongestionAlgorithm::newreno : dataplane::CongestionAlgorithm::cubic;
    std::string error;
    std::vector<std::string> trace;
    if (std::getenv("DPLB_TCP_TRACE") != nullptr) g_segment_trace = &trace;
    {
      TcpSimulation sim(pool_, settings, settings, sc.link, sc.link, seed);
      Endpoint client{seed, sc.client_bytes};
      Endpoint server{seed ^ 1, sc.server_bytes};
      EndpointApp client_app(&client);
      EndpointApp server_app(&server);
      sim.server().listen(80, &server_app, settings.defaults);
      client.connection = sim.client().connect(TcpSimulation::kServerAddress, 80, &client_app, settings.defaults);
      if (client.connection == nullptr) return "connect failed";
      const bool finished = sim.run_until(
          [&] { return (client.closed && server.closed) || client.failed || server.failed; },
          3600ull * 1'000'000'000);
      // Let TIME_WAIT and the last FIN exchanges run out.
      sim.run_until([&] { return sim.client().connections() == 0 && sim.server().connections() == 0; },
                    600ull * 1'000'000'000);
      auto describe = [&](const char* who, const Endpoint& e, uint64_t expected) {
        std::string out;
        if (e.failed) out += std::string(who) + " failed (" + std::string(dataplane::tcp_close_reason_name(e.reason)) + "); ";
        if (e.received != expected) {
          out += std::string(who) + " received " + std::to_string(e.received) + " of " + std::to_string(expected) + "; ";
        }
        if (e.mismatches) out += std::string(who) + " saw " + std::to_string(e.mismatches) + " wrong bytes; ";
        return out;
      };
      if (!finished) error += "did not finish in an hour of virtual time; ";
      last_virtual_seconds_ = static_cast<double>(sim.now_ns()) / 1e9 - 1.0;
      last_client_rto_ = sim.client_counters().rto_expiries.get();
      last_client_fast_ = sim.client_counters().fast_retransmits.get();
      last_client_retransmits_ = sim.client_counters().retransmits.get();
      error += describe("client", client, sc.server_bytes);
      error += describe("server", server, sc.client_bytes);
      if (sim.client().connections() || sim.server().connections()) error += "connections left; ";
      if (sim.client().armed_timers() || sim.server().armed_timers()) error += "timers left armed; ";
      if (sim.client().buffered_bytes() || sim.server().buffered_bytes()) {
        error += "buffered bytes left (" + std::to_string(sim.client().buffered_bytes()) + "/" +
                 std::to_string(sim.server().buffered_bytes()) + "); ";
      }
      if (!sim.all_frames_parsed()) error += "a segment on the wire did not parse; ";
      if (!error.empty()) {
        auto counters = [](const char* who, dataplane::TcpCounters& c) {
          std::string out = std::string(who) + ": retransmits " + std::to_string(c.retransmits.get()) +
                            " rto " + std::to_string(c.rto_expiries.get()) + " fast " +
                            std::to_string(c.fast_retransmits.get());
          for (std::size_t i = 0; i < dataplane::kTcpDropReasonCount; ++i) {
            if (c.drops[i].get() == 0) continue;
            out += " " + std::string(dataplane::tcp_drop_reason_name(static_cast<dataplane::TcpDropReason>(i))) +
                   " " + std::to_string(c.drops[i].get());
          }
          return out + "; ";
        };
        error += counters("client", sim.client_counters()) + counters("server", sim.server_counters());
      }
    }
    if (g_segment_trace != nullptr && !error.empty()) {
      const std::size_t from = trace.size() > 300 ? trace.size() - 300 : 0;
      for (std::size_t i = from; i < trace.size(); ++i) std::fprintf(stderr, "%s\n", trace[i].c_str());
    }
    g_segment_trace = nullptr;
    if (rte_mempool_avail_count(pool_) != free_before) {
      error += "mbufs leaked: " + std::to_string(free_before - rte_mempool_avail_count(pool_)) + "; ";
    }
    return error;
  }

  static rte_mempool* pool_;
  double last_virtual_seconds_ = 0;
  uint64_t last_client_rto_ = 0;
  uint64_t last_client_fast_ = 0;
  uint64_t last_client_retransmits_ = 0;
};
rte_mempool* TcpTransfer::pool_ = nullptr;

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::strtoull(v, nullptr, 10) : fallback;
}

TEST_F(TcpTransfer, EveryByteOnceAndInOrderAcrossSeeds) {
  uint64_t first = 0;
  uint64_t count = env_or("DPLB_TCP_SEEDS", 200);
  if (const char* one = std::getenv("DPLB_TCP_SEED")) {
    first = std::strtoull(one, nullptr, 10);
    count = 1;
  }
  for (uint64_t seed = first; seed < first + count; ++seed) {
    const Scenario sc = scenario_for(seed);
    const std::string error = run(seed, sc);
    EXPECT_EQ(error, "") << "seed " << seed << " (replay: DPLB_TCP_SEED=" << seed
                         << " build/test/tests/sim_tests --gtest_filter=TcpTransfer.*): " << sc.client_bytes
                         << " B up, " << sc.server_bytes << " B down, loss " << sc.link.loss << ", delay "
                         << sc.link.delay_ns / 1000 << " us, jitter " << sc.link.jitter_ns / 1000 << " us, dup "
                         << sc.link.duplicate << (sc.newreno ? ", newreno" : ", cubic")
                         << (sc.sack ? ", sack" : "") << (sc.timestamps ? ", timestamps" : "")
                         << (sc.window_scaling ? ", wscale" : "");
  }
}

TEST_F(TcpTransfer, FiftyMegabytesEachWayAtThreePercentLoss) {
  Scenario sc;
  sc.link.delay_ns = 20'000'000;
  sc.link.jitter_ns = 2'000'000;
  sc.link.loss = 0.03;
  sc.link.bits_per_second = 1'000'000'000;
  sc.client_bytes = sc.server_bytes = 50ull << 20;
  EXPECT_EQ(run(424242, sc), "");
  // For the record (docs/performance.md): how long it took on the virtual clock.
  std::printf("50 MB each way, 3%% loss, 20 ms: %.1f s of virtual time (TIME_WAIT included); client: %llu retransmits, "
              "%llu recoveries, %llu timeouts\n",
              last_virtual_seconds_, static_cast<unsigned long long>(last_client_retransmits_),
              static_cast<unsigned long long>(last_client_fast_), static_cast<unsigned long long>(last_client_rto_));
}

}  // namespace
}  // namespace dplb::testing
