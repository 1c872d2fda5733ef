#pragma once

// The fixture the proxy's TLS simulations share: one frontend with a plain
// bind on :80 and a TLS bind on :443, two simulated servers (TLS too when
// the test's configuration asks for it), a TLS client and a plain client.
// After every test the proxy must come back to rest with every mbuf
// returned, and the peers must have returned theirs.

#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/sim/proxy_sim.h"
#include "tests/sim/tls_sim.h"

namespace dplb::testing {

inline std::size_t reason(dataplane::TlsFailure f) { return static_cast<std::size_t>(f); }

class HttpProxyTlsSim : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    proxy_pool_ = rte_pktmbuf_pool_create("tls_sim_proxy", 16383, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    peer_pool_ = rte_pktmbuf_pool_create("tls_sim_peers", 16383, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    pki_ = new SimTlsPki();
  }
  static void TearDownTestSuite() {
    delete pki_;
    rte_mempool_free(proxy_pool_);
    rte_mempool_free(peer_pool_);
  }

  void SetUp() override {
    config_ = sim_proxy_config(2);
    conf::FrontendConfig& f = config_.frontends[0];
    f.bind.push_back(conf::Endpoint{conf::Ipv4Address{0}, 443});
    f.bind_tls = {false, true};
    f.tls.emplace();
    f.tls->timeout_handshake = conf::Duration{1'500'000};
  }

  void start(NetProfile net = {}, uint64_t seed = 1, ServerBehaviour b = {}) {
    proxy_free_before_ = rte_mempool_avail_count(proxy_pool_);
    snapshot_ = dataplane::build_proxy_snapshot(config_, 1, 1);
    std::vector<std::size_t> per_backend{config_.backends[0].servers.size()};
    counters_.size_for(config_.frontends.size(), per_backend);
    ring_ = std::make_unique<dataplane::AccessLogRing>();
    ASSERT_EQ(ring_->create(2000 + next_ring_++, SOCKET_ID_ANY), "");
    sim_ = std::make_unique<ProxySim>(net, seed);
    sim_->add_proxy(proxy_pool_, sim_tcp_settings(), snapshot_.get(), counters_, ring_.get());
    contexts_.frontends = {pki_->server_context};
    contexts_.servers.assign(1, std::vector<SSL_CTX*>(config_.backends[0].servers.size(), nullptr));
    for (std::size_t i = 0; i < config_.backends[0].servers.size(); ++i) {
      if (config_.backends[0].servers[i].tls.enabled) {
        contexts_.servers[0][i] = server_client_context_ != nullptr ? server_client_context_ : pki_->upstream_context;
      }
    }
    sim_->proxy().adopt_tls(&contexts_);
    for (std::size_t i = 0; i < config_.backends[0].servers.size(); ++i) {
      SimHost& h = sim_->add_host(ProxySim::server_address(static_cast<uint32_t>(i)), peer_pool_, sim_tcp_settings());
      servers_.push_back(std::make_unique<SimHttpServer>(*sim_, h, config_.backends[0].servers[i].name, b, true));
      if (config_.backends[0].servers[i].tls.enabled) servers_.back()->use_tls(pki_->server_context);
    }
    SimHost& c = sim_->add_host(ProxySim::client_address(0), peer_pool_, sim_tcp_settings());
    client_ = std::make_unique<SimTlsClient>(*sim_, c, pki_->client_context);
    plain_ = std::make_unique<SimHttpClient>(*sim_, c);
  }

  void TearDown() override {
    if (sim_ == nullptr) return;
    client_->close_all();
    plain_->close_all();
    dataplane::TcpStack& stack = *sim_->proxy_host().stack;
    const bool rest = sim_->run_until(
        [&] {
          return sim_->proxy().sessions() == 0 && stack.buffered_bytes() == 0 &&
                 rte_mempool_avail_count(proxy_pool_) == proxy_free_before_;
        },
        20'000'000);
    EXPECT_TRUE(rest) << "sessions " << sim_->proxy().sessions() << ", mbufs missing "
                      << static_cast<int64_t>(proxy_free_before_) -
                             static_cast<int64_t>(rte_mempool_avail_count(proxy_pool_));
    EXPECT_EQ(counters_.frontends[0].tls_sessions_current.get(), 0u);
    EXPECT_EQ(counters_.frontends[0].sessions_current.get(), 0u);
    sim_->shutdown();
    servers_.clear();
    client_.reset();
    plain_.reset();
    sim_.reset();
    EXPECT_EQ(rte_mempool_avail_count(peer_pool_), peer_pool_->size) << "peer mbufs leaked";
  }

  dataplane::FrontendCounters& fc() { return counters_.frontends[0]; }
  dataplane::ServerCounters& sc(std::size_t server) { return counters_.servers[0][server]; }

  // Every server of the backend over TLS, named as the test PKI's
  // certificate is, so the name is checked too.
  void servers_over_tls() {
    for (conf::ServerConfig& s : config_.backends[0].servers) {
      s.tls.enabled = true;
      s.tls.sni = "www.example.test";
    }
  }

  static inline rte_mempool* proxy_pool_ = nullptr;
  static inline rte_mempool* peer_pool_ = nullptr;
  static inline SimTlsPki* pki_ = nullptr;
  static inline uint32_t next_ring_ = 0;

  conf::Config config_;
  std::unique_ptr<const dataplane::ProxySnapshot> snapshot_;
  dataplane::ProxyCounters counters_;
  std::unique_ptr<dataplane::AccessLogRing> ring_;
  std::unique_ptr<ProxySim> sim_;
  dataplane::TlsWorkerContexts contexts_;
  std::vector<std::unique_ptr<SimHttpServer>> servers_;
  std::unique_ptr<SimTlsClient> client_;
  std::unique_ptr<SimHttpClient> plain_;
  unsigned proxy_free_before_ = 0;
  SSL_CTX* server_client_context_ = nullptr;  // the proxy's context towards servers; null: pki_->upstream_context
};

inline const std::string kGet = "GET / HTTP/1.1\r\nHost: www.example.test\r\n\r\n";

}  // namespace dplb::testing
