// Health-check probes on a simulated TCP stack against simulated servers:
// plain TCP and HTTP checks, and the same over TLS (check_ssl) with the
// test PKI, where the handshake is layer 6: passed, timed out (a server
// that does not speak TLS) or failed with its reason (an unknown CA, a
// name that does not match). Every probe ends with its connection gone and
// every mbuf back.

#include "dataplane/health/health_probe.h"

#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <memory>
#include <string>

#include "tests/sim/proxy_sim.h"
#include "tests/sim/tls_sim.h"

namespace dplb::testing {
namespace {

using dataplane::ProbeOutcome;
using dataplane::ProbeRequest;
using dataplane::ProbeResult;
using dataplane::TlsFailure;

const std::string kCheck = "GET /health HTTP/1.0\r\nConnection: close\r\n\r\n";

class ProberTicker final : public SimTicker {
 public:
  explicit ProberTicker(dataplane::HealthProber& prober) : prober_(prober) {}
  void tick(uint64_t now_us) override { prober_.poll(now_us); }

 private:
  dataplane::HealthProber& prober_;
};

class HealthProbeSim : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pool_ = rte_pktmbuf_pool_create("probe_sim", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    pki_ = new SimTlsPki();
  }
  static void TearDownTestSuite() {
    delete pki_;
    rte_mempool_free(pool_);
  }

  void SetUp() override {
    free_before_ = rte_mempool_avail_count(pool_);
    sim_ = std::make_unique<ProxySim>(NetProfile{}, 1);
    SimHost& checker = sim_->add_host(ProxySim::kProxyAddress, pool_, sim_tcp_settings());
    prober_ = std::make_unique<dataplane::HealthProber>(*checker.stack, pool_);
    ticker_ = std::make_unique<ProberTicker>(*prober_);
    sim_->add_ticker(ticker_.get());
    SimHost& s = sim_->add_host(ProxySim::server_address(0), pool_, sim_tcp_settings());
    server_ = std::make_unique<SimHttpServer>(*sim_, s, "server1", ServerBehaviour{}, true);
  }
  void TearDown() override {
    sim_->run_for(3'000'000);  // TIME_WAIT and FINs settle
    EXPECT_EQ(prober_->in_flight(), 0u);
    sim_->remove_ticker(ticker_.get());
    sim_->shutdown();
    prober_.reset();
    server_.reset();
    sim_.reset();
    EXPECT_EQ(rte_mempool_avail_count(pool_), free_before_) << "mbufs leaked";
  }

  ProbeResult probe(ProbeRequest r) {
    r.id = ++next_id_;
    r.address = ProxySim::server_address(0);
    r.port = 80;
    r.timeout_ms = 1000;
    EXPECT_TRUE(prober_->start(r));
    ProbeResult out;
    const bool done = sim_->run_until([&] { return prober_->take(&out, 1) == 1; }, 3'000'000);
    EXPECT_TRUE(done);
    EXPECT_EQ(out.id, r.id);
    return out;
  }
  static ProbeRequest http(ProbeRequest r = {}) {
    r.http = kCheck.data();
    r.http_length = static_cast<uint32_t>(kCheck.size());
    return r;
  }
  static ProbeRequest over_tls(ProbeRequest r = {}, SSL_CTX* context = nullptr) {
    r.tls = context != nullptr ? context : pki_->upstream_context;
    r.sni = "www.example.test";
    return r;
  }

  static inline rte_mempool* pool_ = nullptr;
  static inline SimTlsPki* pki_ = nullptr;
  unsigned free_before_ = 0;
  uint32_t next_id_ = 0;
  std::unique_ptr<ProxySim> sim_;
  std::unique_ptr<dataplane::HealthProber> prober_;
  std::unique_ptr<ProberTicker> ticker_;
  std::unique_ptr<SimHttpServer> server_;
};

TEST_F(HealthProbeSim, PlainTcpAndHttpChecks) {
  EXPECT_EQ(probe({}).outcome, ProbeOutcome::l4_ok);
  const ProbeResult r = probe(http());
  EXPECT_EQ(r.outcome, ProbeOutcome::l7_status);
  EXPECT_EQ(r.status, 200);
}

TEST_F(HealthProbeSim, TcpCheckOverTlsPassesAtLayer6) {
  server_->use_tls(pki_->server_context);
  EXPECT_EQ(probe(over_tls()).outcome, ProbeOutcome::l6_ok);
  // The probe's side is done on the server's Finished and resets at once;
  // the server may not have read the client's Finished by then.
  EXPECT_EQ(server_->accepted(), 1u);
  EXPECT_EQ(server_->tls_failures(), 0u);
}

TEST_F(HealthProbeSim, HttpCheckOverTls) {
  server_->use_tls(pki_->server_context);
  const ProbeResult r = probe(over_tls(http()));
  EXPECT_EQ(r.outcome, ProbeOutcome::l7_status);
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(server_->requests().size(), 1u);
  EXPECT_EQ(server_->requests()[0].target, "/health");
}

TEST_F(HealthProbeSim, AnUnknownCaFailsTheHandshake) {
  server_->use_tls(pki_->server_context);
  SSL_CTX* trusts_nothing = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(trusts_nothing, SSL_VERIFY_PEER, nullptr);
  const ProbeResult r = probe(over_tls(http(), trusts_nothing));
  SSL_CTX_free(trusts_nothing);
  EXPECT_EQ(r.outcome, ProbeOutcome::l6_failed);
  EXPECT_EQ(r.status, static_cast<uint16_t>(TlsFailure::unknown_ca));
  EXPECT_TRUE(server_->requests().empty());
}

TEST_F(HealthProbeSim, ANameThatDoesNotMatchFailsTheHandshake) {
  server_->use_tls(pki_->server_context);
  ProbeRequest r = over_tls(http());
  r.sni = "other.example.test";
  const ProbeResult out = probe(r);
  EXPECT_EQ(out.outcome, ProbeOutcome::l6_failed);
  EXPECT_EQ(out.status, static_cast<uint16_t>(TlsFailure::bad_certificate));
}

TEST_F(HealthProbeSim, APlainServerTimesOutAtLayer6) {
  const ProbeResult r = probe(over_tls(http()));
  EXPECT_EQ(r.outcome, ProbeOutcome::l6_timeout);
}

}  // namespace
}  // namespace dplb::testing
