// The contexts for connections to TLS servers: what --check and boot read
// (the CA file, a client certificate), the error texts naming backend,
// server and key, and one client SSL_CTX per TLS server on every worker.

#include "controlplane/tls/tls_context_builder.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <string>

#include "tests/support/test_certificates.h"

namespace dplb::controlplane::tls {
namespace {

using dplb::testing::make_certificate;
using dplb::testing::make_ec_key;
using dplb::testing::pem_of;
using dplb::testing::TestCertificate;
using dplb::testing::write_text;

class ServerTlsContextsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // mkdtemp replaces the six trailing X with a unique suffix.
    std::string pattern = (std::filesystem::temp_directory_path() / "dplb-upstream-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    ca_ = make_certificate({.common_name = "Upstream CA", .ca = true}, make_ec_key());
    ca_file_ = dir_ + "/ca.pem";
    write_text(ca_file_, pem_of(ca_));
    conf::BackendConfig b;
    b.name = "secure";
    for (const char* name : {"tls1", "plain", "tls2"}) {
      conf::ServerConfig s;
      s.name = name;
      b.servers.push_back(s);
    }
    b.servers[0].tls = {.enabled = true, .ca_file = ca_file_, .sni = "app.internal"};
    b.servers[2].tls = {.enabled = true, .verify = conf::TlsVerify::none};
    config_.backends.push_back(b);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string load(TlsMaterial* m) { return load_tls_material(config_, std::time(nullptr), m); }

  std::string dir_;
  TestCertificate ca_;
  std::string ca_file_;
  conf::Config config_;
};

TEST_F(ServerTlsContextsTest, OneClientContextPerTlsServerOnEveryWorker) {
  TlsMaterial m;
  ASSERT_EQ(load(&m), "");
  std::unique_ptr<const dataplane::TlsContextSnapshot> snapshot;
  ASSERT_EQ(build_tls_contexts(config_, m, 7, 3, &snapshot), "");
  ASSERT_EQ(snapshot->workers.size(), 3u);
  for (const dataplane::TlsWorkerContexts& w : snapshot->workers) {
    ASSERT_NE(w.server(0, 0), nullptr);
    EXPECT_EQ(w.server(0, 1), nullptr);
    ASSERT_NE(w.server(0, 2), nullptr);
    EXPECT_EQ(w.server(0, 3), nullptr);  // out of range is plain, never a crash
    EXPECT_EQ(SSL_CTX_get_verify_mode(w.server(0, 0)), SSL_VERIFY_PEER);
    EXPECT_EQ(SSL_CTX_get_verify_mode(w.server(0, 2)), SSL_VERIFY_NONE);
    EXPECT_EQ(SSL_CTX_get_min_proto_version(w.server(0, 0)), TLS1_2_VERSION);
    EXPECT_EQ(SSL_CTX_get_session_cache_mode(w.server(0, 0)), SSL_SESS_CACHE_OFF);
    EXPECT_NE(SSL_CTX_get_options(w.server(0, 0)) & SSL_OP_NO_RENEGOTIATION, 0u);
  }
  // Every worker has its own copies.
  EXPECT_NE(snapshot->workers[0].server(0, 0), snapshot->workers[1].server(0, 0));
}

TEST_F(ServerTlsContextsTest, AClientCertificateIsPresented) {
  const TestCertificate client = make_certificate({.common_name = "dplb client"}, make_ec_key(), &ca_);
  const std::string path = dir_ + "/client.pem";
  write_text(path, pem_of(client) + pem_of(client.key));
  config_.backends[0].servers[0].tls.cert = path;
  TlsMaterial m;
  ASSERT_EQ(load(&m), "");
  ASSERT_NE(m.servers[0][0]->client_certificate, nullptr);
  std::unique_ptr<const dataplane::TlsContextSnapshot> snapshot;
  ASSERT_EQ(build_tls_contexts(config_, m, 1, 1, &snapshot), "");
  EXPECT_NE(SSL_CTX_get0_certificate(snapshot->workers[0].server(0, 0)), nullptr);
}

TEST_F(ServerTlsContextsTest, ErrorsNameBackendServerAndKey) {
  config_.backends[0].servers[0].tls.ca_file = dir_ + "/missing.pem";
  const std::string not_pem = dir_ + "/garbage.pem";
  write_text(not_pem, "not a certificate\n");
  config_.backends[0].servers[2].tls.cert = not_pem;
  TlsMaterial m;
  const std::string errors = load(&m);
  EXPECT_NE(errors.find("backend 'secure' server 'tls1' tls.ca_file: " + dir_ + "/missing.pem: no CA certificate "
                        "could be read"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find("backend 'secure' server 'tls2' tls.cert: "), std::string::npos) << errors;
  EXPECT_NE(errors.find(not_pem), std::string::npos) << errors;
}

}  // namespace
}  // namespace dplb::controlplane::tls
