// TLS from the proxy to its servers ("HTTPS end to end") in the simulated
// network: the servers run TlsStream in server mode with the test PKI's
// certificate. Requests from plain and TLS clients are encrypted again
// towards the servers; the session of one connection resumes the next;
// a certificate from an unknown CA, a name that does not match and a server
// that never answers the ClientHello each end in 503 and a counter; bodies
// survive lossy, reordering links.

#include <gtest/gtest.h>

#include <string>

#include "tests/sim/proxy_tls_fixture.h"

namespace dplb::testing {
namespace {

using dataplane::TlsFailure;

class HttpProxyServerTlsSim : public HttpProxyTlsSim {
 protected:
  void TearDown() override {
    HttpProxyTlsSim::TearDown();
    if (server_client_context_ != nullptr) SSL_CTX_free(server_client_context_);
    server_client_context_ = nullptr;
  }

  std::size_t server_handshakes() const {
    std::size_t n = 0;
    for (const auto& s : servers_) n += s->tls_handshakes();
    return n;
  }
  uint64_t proxy_handshakes() {
    uint64_t n = 0;
    for (std::size_t i = 0; i < servers_.size(); ++i) n += sc(i).tls_handshakes_full.get() + sc(i).tls_handshakes_resumed.get();
    return n;
  }
};

TEST_F(HttpProxyServerTlsSim, RequestsAreEncryptedAgainTowardsTheServers) {
  servers_over_tls();
  ServerBehaviour b;
  b.mode = ServerMode::echo_head;
  start({}, 1, b);
  const int p = plain_->open(80);
  plain_->send(p, kGet + kGet);
  ASSERT_TRUE(plain_->wait_responses(p, 2, 5'000'000)) << plain_->received(p);
  EXPECT_NE(plain_->received(p).find("X-Forwarded-Proto: http\r\n"), std::string::npos) << plain_->received(p);
  const int c = client_->open();
  client_->send(c, kGet);
  ASSERT_TRUE(client_->wait_responses(c, 1, 5'000'000)) << client_->conn(c).in;
  EXPECT_NE(client_->conn(c).in.find("X-Forwarded-Proto: https"), std::string::npos);
  EXPECT_EQ(servers_[0]->requests().size() + servers_[1]->requests().size(), 3u);
  EXPECT_GE(server_handshakes(), 1u);
  EXPECT_EQ(proxy_handshakes(), server_handshakes());
  EXPECT_EQ(servers_[0]->tls_failures() + servers_[1]->tls_failures(), 0u);
}

// Every answer closes its connection, so each request needs a new one: the
// first is a full handshake, the others resume its session.
TEST_F(HttpProxyServerTlsSim, TheNextConnectionResumesTheSession) {
  servers_over_tls();
  config_.backends[0].servers.pop_back();
  ServerBehaviour b;
  b.close_after_answer = true;
  start({}, 1, b);
  for (int i = 0; i < 3; ++i) {
    const int p = plain_->open(80);
    plain_->send(p, kGet);
    ASSERT_TRUE(plain_->wait_responses(p, 1, 5'000'000)) << i << ": " << plain_->received(p);
    sim_->run_for(50'000);
  }
  EXPECT_EQ(servers_[0]->tls_handshakes(), 3u);
  EXPECT_EQ(servers_[0]->tls_resumed(), 2u);
  EXPECT_EQ(sc(0).tls_handshakes_full.get(), 1u);
  EXPECT_EQ(sc(0).tls_handshakes_resumed.get(), 2u);
}

TEST_F(HttpProxyServerTlsSim, ACertificateFromAnUnknownCaIsRefused) {
  servers_over_tls();
  config_.backends[0].servers.pop_back();
  server_client_context_ = SSL_CTX_new(TLS_client_method());  // trusts no CA
  SSL_CTX_set_verify(server_client_context_, SSL_VERIFY_PEER, nullptr);
  start();
  const int p = plain_->open(80);
  plain_->send(p, kGet);
  ASSERT_TRUE(plain_->wait_responses(p, 1, 5'000'000));
  EXPECT_EQ(plain_->received(p).rfind("HTTP/1.1 503", 0), 0u) << plain_->received(p);
  EXPECT_EQ(sc(0).tls_failures[reason(TlsFailure::unknown_ca)].get(), 1u);
  EXPECT_TRUE(servers_[0]->requests().empty());
}

TEST_F(HttpProxyServerTlsSim, ANameThatDoesNotMatchIsRefused) {
  servers_over_tls();
  config_.backends[0].servers.pop_back();
  config_.backends[0].servers[0].tls.sni = "other.example.test";
  start();
  const int p = plain_->open(80);
  plain_->send(p, kGet);
  ASSERT_TRUE(plain_->wait_responses(p, 1, 5'000'000));
  EXPECT_EQ(plain_->received(p).rfind("HTTP/1.1 503", 0), 0u) << plain_->received(p);
  EXPECT_EQ(sc(0).tls_failures[reason(TlsFailure::bad_certificate)].get(), 1u);
  EXPECT_TRUE(servers_[0]->requests().empty());
}

// A plain HTTP server where TLS was configured reads the ClientHello as a
// request head it cannot finish: timeout_connect ends the handshake.
TEST_F(HttpProxyServerTlsSim, AServerThatNeverAnswersTheHelloTimesOut) {
  servers_over_tls();
  config_.backends[0].servers.pop_back();
  start();
  servers_[0]->use_tls(nullptr);
  const int p = plain_->open(80);
  plain_->send(p, kGet);
  ASSERT_TRUE(plain_->wait_responses(p, 1, 5'000'000));
  EXPECT_EQ(plain_->received(p).rfind("HTTP/1.1 503", 0), 0u) << plain_->received(p);
  EXPECT_EQ(sc(0).tls_failures[reason(TlsFailure::handshake_timeout)].get(), 1u);
}

// Bodies both ways, TLS on both sides of the proxy, over lossy and
// reordering links.
TEST_F(HttpProxyServerTlsSim, BodiesSurviveLossOnBothTlsLegs) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    if (sim_ != nullptr) HttpProxyTlsSim::TearDown();
    SetUp();
    servers_over_tls();
    ServerBehaviour b;
    b.mode = ServerMode::stream;
    b.stream_bytes = 200'000;
    NetProfile net;
    net.delay_us = 200;
    net.jitter_us = 300;
    net.loss = 0.02;
    servers_.clear();
    start(net, seed, b);
    const int c = client_->open();
    client_->send(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + std::string(100'000, 'u'));
    ASSERT_TRUE(client_->wait_responses(c, 1, 60'000'000)) << client_->conn(c).in.size();
    const std::string& in = client_->conn(c).in;
    const std::size_t body = in.find("\r\n\r\n");
    ASSERT_NE(body, std::string::npos);
    ASSERT_EQ(in.size() - body - 4, 200'000u);
    for (std::size_t i = 0; i < 200'000; ++i) {
      if (in[body + 4 + i] != body_pattern(i)) FAIL() << "byte " << i << " differs";
    }
    const SimRequest& r = servers_[0]->requests().empty() ? servers_[1]->requests().at(0) : servers_[0]->requests().at(0);
    EXPECT_EQ(r.body, std::string(100'000, 'u'));
  }
}

}  // namespace
}  // namespace dplb::testing
