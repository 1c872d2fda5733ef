// The proxy's TLS binds in the simulated network: real TCP stacks, TLS
// clients (tests/sim/tls_sim.h) and plain servers. Requests go through TLS
// over clean and lossy, reordering links with many seeds; handshakes time
// out, plain HTTP on the TLS port is refused, tickets resume, and a new
// context version is adopted while handshakes are in flight. After every
// test the proxy must come back to rest with every mbuf returned.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/sim/proxy_tls_fixture.h"

namespace dplb::testing {
namespace {

using dataplane::TlsFailure;

TEST_F(HttpProxyTlsSim, KeepAliveRequestsOverTlsBesidePlainHttp) {
  start();
  const int c = client_->open();
  client_->send(c, kGet + kGet + kGet);
  ASSERT_TRUE(client_->wait_responses(c, 3, 5'000'000)) << client_->conn(c).in;
  EXPECT_NE(client_->conn(c).in.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_EQ(fc().tls_handshakes_full.get(), 1u);
  EXPECT_EQ(fc().tls_sessions_current.get(), 1u);
  EXPECT_EQ(fc().requests.get(), 3u);
  // Port 80 of the same frontend stays plain.
  const int p = plain_->open(80);
  plain_->send(p, kGet);
  ASSERT_TRUE(plain_->wait_responses(p, 1, 5'000'000));
  EXPECT_EQ(fc().tls_handshakes_full.get(), 1u);
}

TEST_F(HttpProxyTlsSim, ForwardedProtoSaysHttpsOnTls) {
  ServerBehaviour b;
  b.mode = ServerMode::echo_head;
  start({}, 1, b);
  const int c = client_->open();
  client_->send(c, kGet);
  ASSERT_TRUE(client_->wait_responses(c, 1, 5'000'000));
  EXPECT_NE(client_->conn(c).in.find("X-Forwarded-Proto: https"), std::string::npos) << client_->conn(c).in;
  const int p = plain_->open(80);
  plain_->send(p, kGet);
  ASSERT_TRUE(plain_->wait_responses(p, 1, 5'000'000));
  EXPECT_NE(plain_->received(p).find("X-Forwarded-Proto: http\r\n"), std::string::npos) << plain_->received(p);
}

// Large bodies both ways over lossy, reordering links: every TLS record
// arrives cut at arbitrary TCP segment boundaries.
TEST_F(HttpProxyTlsSim, BodiesSurviveLossAndReorderingOverManySeeds) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    if (sim_ != nullptr) TearDown();
    ServerBehaviour b;
    b.mode = ServerMode::stream;
    b.stream_bytes = 300'000;
    NetProfile net;
    net.delay_us = 200;
    net.jitter_us = 300;
    net.loss = 0.02;
    servers_.clear();
    start(net, seed, b);
    const int c = client_->open();
    std::string upload = "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n" + std::string(200'000, 'u');
    client_->send(c, upload);
    ASSERT_TRUE(client_->wait_responses(c, 1, 60'000'000)) << client_->conn(c).in.size();
    const std::string& in = client_->conn(c).in;
    const std::size_t body = in.find("\r\n\r\n");
    ASSERT_NE(body, std::string::npos);
    ASSERT_EQ(in.size() - body - 4, 300'000u);
    for (std::size_t i = 0; i < 300'000; ++i) {
      if (in[body + 4 + i] != body_pattern(i)) FAIL() << "byte " << i << " differs";
    }
  }
}

TEST_F(HttpProxyTlsSim, HandshakeTimeoutEndsASilentClient) {
  start();
  const int p = plain_->open(443);  // TCP only: no ClientHello ever comes
  sim_->run_for(1'000'000);
  EXPECT_EQ(fc().tls_sessions_current.get(), 1u);
  ASSERT_TRUE(plain_->wait_done(p, 2'000'000));
  EXPECT_EQ(fc().tls_failures[reason(TlsFailure::handshake_timeout)].get(), 1u);
  EXPECT_EQ(fc().tls_sessions_current.get(), 0u);
}

TEST_F(HttpProxyTlsSim, PlainHttpOnTheTlsPortIsRefused) {
  start();
  const int p = plain_->open(443);
  plain_->send(p, kGet);
  ASSERT_TRUE(plain_->wait_done(p, 2'000'000));
  EXPECT_EQ(fc().tls_failures[reason(TlsFailure::not_tls)].get(), 1u);
  EXPECT_EQ(fc().requests.get(), 0u);
  // An alert, not an HTTP answer.
  EXPECT_EQ(plain_->received(p).find("HTTP/"), std::string::npos);
}

// Failed handshakes become connection-error log records, at most 10 a
// second per worker; the rest are counted.
TEST_F(HttpProxyTlsSim, HandshakeFailuresAreLoggedAtABoundedRate) {
  start();
  std::vector<int> peers;
  for (int i = 0; i < 30; ++i) peers.push_back(plain_->open(443));
  for (int p : peers) plain_->send(p, kGet);
  for (int p : peers) ASSERT_TRUE(plain_->wait_done(p, 2'000'000));
  EXPECT_EQ(fc().tls_failures[reason(TlsFailure::not_tls)].get(), 30u);
  std::vector<dataplane::AccessLogRecord> records(64);
  const unsigned n = ring_->take(records.data(), static_cast<unsigned>(records.size()));
  unsigned failures = 0;
  for (unsigned i = 0; i < n; ++i) {
    if (records[i].tls_failure == 0) continue;
    ++failures;
    EXPECT_EQ(records[i].tls_failure, static_cast<uint8_t>(TlsFailure::not_tls));
    EXPECT_EQ(records[i].local_port, 443);
    EXPECT_EQ(records[i].client_address, ProxySim::client_address(0));
  }
  EXPECT_EQ(failures, 10u);
  EXPECT_EQ(counters_.tls_failure_logs_suppressed.get(), 20u);
}

TEST_F(HttpProxyTlsSim, TicketsResume) {
  start();
  const int a = client_->open();
  client_->send(a, kGet);
  ASSERT_TRUE(client_->wait_responses(a, 1, 5'000'000));
  sim_->run_for(100'000);  // the TLS 1.3 ticket follows the handshake
  const int b = client_->open(443, true);
  client_->send(b, kGet);
  ASSERT_TRUE(client_->wait_responses(b, 1, 5'000'000));
  EXPECT_TRUE(client_->conn(b).resumed);
  EXPECT_EQ(fc().tls_handshakes_full.get(), 1u);
  EXPECT_EQ(fc().tls_handshakes_resumed.get(), 1u);
}

// A new version of the contexts while a handshake is under way: the old
// context's last reference is dropped at once (as when the control plane
// frees a version), and the handshake finishes on it anyway.
TEST_F(HttpProxyTlsSim, NewContextsWhileHandshakesAreInFlight) {
  start();
  SSL_CTX* old_context = pki_->make_server_context();
  contexts_.frontends = {old_context};
  const int a = client_->open();
  sim_->run_until([&] { return fc().tls_sessions_current.get() == 1; }, 1'000'000);
  dataplane::TlsWorkerContexts next;
  next.frontends = {pki_->make_server_context()};
  sim_->proxy().adopt_tls(&next);
  SSL_CTX_free(old_context);
  client_->send(a, kGet);
  ASSERT_TRUE(client_->wait_responses(a, 1, 5'000'000)) << client_->conn(a).in;
  const int b = client_->open();
  client_->send(b, kGet);
  ASSERT_TRUE(client_->wait_responses(b, 1, 5'000'000));
  EXPECT_EQ(fc().tls_handshakes_full.get(), 2u);
  client_->close_all();
  sim_->run_for(100'000);
  sim_->proxy().adopt_tls(&contexts_);
  contexts_.frontends = {pki_->server_context};
  SSL_CTX_free(next.frontends[0]);
}

// A burst of new TLS clients: handshakes beyond the per-pass budget wait
// for later passes, every one completes, and a request on an established
// connection is answered while they wait.
TEST_F(HttpProxyTlsSim, HandshakeBurstIsSpreadOverPasses) {
  start();
  const int old = client_->open();
  client_->send(old, kGet);
  ASSERT_TRUE(client_->wait_responses(old, 1, 5'000'000));
  std::vector<int> burst;
  for (int i = 0; i < 40; ++i) burst.push_back(client_->open());
  for (int c : burst) client_->send(c, kGet);
  sim_->run_until([&] { return fc().tls_handshakes_deferred.get() > 0; }, 1'000'000);
  EXPECT_GT(fc().tls_handshakes_deferred.get(), 0u);
  client_->send(old, kGet);
  ASSERT_TRUE(client_->wait_responses(old, 2, 5'000'000));
  for (int c : burst) ASSERT_TRUE(client_->wait_responses(c, 1, 10'000'000)) << c;
  EXPECT_EQ(fc().tls_handshakes_full.get(), 41u);
}

}  // namespace
}  // namespace dplb::testing
