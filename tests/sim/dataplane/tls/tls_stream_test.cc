// TlsStream against another TlsStream (and plain OpenSSL peers) over an
// in-memory transport that can cut the ciphertext into segments of any
// size: the handshake and records must survive every split, failures must
// be named, and nothing may be left allocated.

#include "dataplane/tls/tls_stream.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstring>
#include <string>
#include <vector>

#include "dataplane/base/mbuf_chain.h"
#include "dataplane/base/mbuf_queue.h"
#include "tests/support/byte_pipe.h"
#include "tests/support/test_certificates.h"

namespace dplb::dataplane {
namespace {

using testing::CertificateSpec;
using testing::make_certificate;
using testing::make_ec_key;
using testing::make_rsa_key;

rte_mempool* pool() {
  static rte_mempool* p = rte_pktmbuf_pool_create("tls_stream_test", 32767, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                                  SOCKET_ID_ANY);
  return p;
}

using testing::PipeEnd;

struct Contexts {
  SSL_CTX* server = nullptr;
  SSL_CTX* client = nullptr;
  ~Contexts() {
    SSL_CTX_free(server);
    SSL_CTX_free(client);
  }
};

X509_STORE* store_with(const testing::TestCertificate& ca) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca.cert.get());
  return store;
}

// A CA, a server certificate for www.example.test signed by it, and both ends' contexts.
void make_contexts(Contexts& c, bool ecdsa = false) {
  static const testing::TestCertificate ca = [] {
    CertificateSpec spec;
    spec.common_name = "Test CA";
    spec.ca = true;
    return make_certificate(spec, make_ec_key());
  }();
  CertificateSpec leaf;
  leaf.dns_names = {"www.example.test"};
  const testing::TestCertificate server = make_certificate(leaf, ecdsa ? make_ec_key() : make_rsa_key(2048), &ca);
  c.server = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(c.server, TLS1_2_VERSION);
  SSL_CTX_set_options(c.server, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(c.server, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_use_certificate(c.server, server.cert.get());
  SSL_CTX_use_PrivateKey(c.server, server.key.key.get());
  c.client = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_cert_store(c.client, store_with(ca));
  SSL_CTX_set_verify(c.client, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_options(c.client, SSL_OP_IGNORE_UNEXPECTED_EOF);
}

struct Link {
  PipeEnd server_end{pool()};  // the server's transport
  PipeEnd client_end{pool()};
  TlsStream server;
  TlsStream client;
  TlsStream::Progress server_progress = TlsStream::Progress::handshaking;
  TlsStream::Progress client_progress = TlsStream::Progress::handshaking;

  Link() {
    server_end.peer = &client_end;
    client_end.peer = &server_end;
  }
  // Feeds each side what the other sent until nothing moves.
  void pump() {
    for (int i = 0; i < 10000; ++i) {
      bool moved = false;
      if (server.active() && (server_end.readable() > 0 || server_end.fin_in)) {
        const uint32_t before = server_end.readable() + client_end.readable();
        server_progress = server.transport_readable();
        moved |= server_end.readable() + client_end.readable() != before;
      }
      if (client.active() && (client_end.readable() > 0 || client_end.fin_in)) {
        const uint32_t before = server_end.readable() + client_end.readable();
        client_progress = client.transport_readable();
        moved |= server_end.readable() + client_end.readable() != before;
      }
      if (!moved) return;
    }
  }
};

std::string read_all(TlsStream& s) {
  std::string out;
  while (s.readable() > 0) {
    uint32_t n = 0;
    rte_mbuf* m = s.read(UINT32_MAX, &n);
    std::string part(n, '\0');
    chain_copy(m, 0, n, reinterpret_cast<uint8_t*>(part.data()));
    rte_pktmbuf_free(m);
    out += part;
  }
  return out;
}

class TlsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override { in_use_before_ = rte_mempool_in_use_count(pool()); }
  void TearDown() override {
    EXPECT_EQ(rte_mempool_in_use_count(pool()), in_use_before_) << "mbufs left behind";
    EXPECT_EQ(ERR_peek_error(), 0u) << "OpenSSL error queue left dirty";
  }
  unsigned in_use_before_ = 0;
};

TEST_F(TlsStreamTest, HandshakeAndDataBothWaysTls13) {
  Contexts c;
  make_contexts(c);
  {
    Link l;
    ASSERT_TRUE(l.server.accept(l.server_end, c.server, pool()));
    ASSERT_TRUE(l.client.connect(l.client_end, c.client, pool(), "www.example.test", nullptr));
    l.pump();
    ASSERT_TRUE(l.server.handshake_done());
    ASSERT_TRUE(l.client.handshake_done());
    EXPECT_EQ(l.server.version(), "TLSv1.3");
    EXPECT_EQ(l.server.server_name(), "www.example.test");
    EXPECT_FALSE(l.server.resumed());
    EXPECT_EQ(l.client.write_copy("GET / HTTP/1.1\r\n\r\n", 18), 18u);
    l.pump();
    EXPECT_EQ(read_all(l.server), "GET / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(l.server.write_copy("HTTP/1.1 200 OK\r\n\r\n", 19), 19u);
    l.pump();
    EXPECT_EQ(read_all(l.client), "HTTP/1.1 200 OK\r\n\r\n");
    l.server.close();
    l.pump();
    EXPECT_TRUE(l.client.end_of_stream());
    EXPECT_TRUE(l.server_end.closed);
    l.client.close();
  }
}

TEST_F(TlsStreamTest, Tls12WithEcdsaCertificate) {
  Contexts c;
  make_contexts(c, true);
  SSL_CTX_set_max_proto_version(c.client, TLS1_2_VERSION);
  Link l;
  ASSERT_TRUE(l.server.accept(l.server_end, c.server, pool()));
  ASSERT_TRUE(l.client.connect(l.client_end, c.client, pool(), "www.example.test", nullptr));
  l.pump();
  ASSERT_TRUE(l.server.handshake_done());
  EXPECT_EQ(l.server.version(), "TLSv1.2");
  EXPECT_EQ(l.server.cipher().substr(0, 11), "ECDHE-ECDSA");
  l.client.write_copy("ping", 4);
  l.pump();
  EXPECT_EQ(read_all(l.server), "ping");
  l.client.abort();
  l.server.transport_closed();
}

// The ciphertext cut at every size from one byte to a record and more:
// every record and handshake message boundary falls inside a segment once.
TEST_F(TlsStreamTest, RecordsSplitAtEveryBoundary) {
  Contexts c;
  make_contexts(c);
  for (uint32_t segment : {1u, 2u, 3u, 5u, 7u, 64u, 511u, 1448u, 4096u, 16389u}) {
    SCOPED_TRACE("segment " + std::to_string(segment));
    // One mbuf per segment in flight: small segments carry a smaller payload
    // (still more than one record).
    std::string payload(std::min<uint32_t>(40000, 17000 + segment * 3000), '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 131 + (i >> 8));
    Link l;
    l.client_end.segment = segment;
    l.server_end.segment = segment;
    ASSERT_TRUE(l.server.accept(l.server_end, c.server, pool()));
    ASSERT_TRUE(l.client.connect(l.client_end, c.client, pool(), "www.example.test", nullptr));
    l.pump();
    ASSERT_TRUE(l.server.handshake_done());
    ASSERT_EQ(l.client.write_copy(payload.data(), static_cast<uint32_t>(payload.size())), payload.size());
    l.pump();
    std::string got;
    for (int i = 0; i < 100 && got.size() < payload.size(); ++i) {
      got += read_all(l.server);
      l.pump();
    }
    EXPECT_TRUE(got == payload) << got.size() << " bytes";
    l.client.close();
    l.pump();
    EXPECT_TRUE(l.server.end_of_stream());
    l.server.close();
  }
}

// More than the plaintext bound arrives at once: the stream stops reading
// its transport, and reading the plaintext lets the rest through.
TEST_F(TlsStreamTest, PlaintextBoundHoldsTheTransport) {
  Contexts c;
  make_contexts(c);
  Link l;
  ASSERT_TRUE(l.server.accept(l.server_end, c.server, pool()));
  ASSERT_TRUE(l.client.connect(l.client_end, c.client, pool(), "www.example.test", nullptr));
  l.pump();
  const std::string big(1 << 20, 'x');
  l.client.write_copy(big.data(), static_cast<uint32_t>(big.size()));
  l.pump();
  EXPECT_LE(l.server.readable(), TlsStream::kPlainBound + 16384);
  EXPECT_GT(l.server_end.readable(), 0u) << "the transport should be left unread";
  std::size_t total = 0;
  for (int i = 0; i < 1000 && total < big.size(); ++i) {
    total += read_all(l.server).size();
    l.pump();
  }
  EXPECT_EQ(total, big.size());
  l.client.abort();
  l.server.transport_closed();
}

struct FailureCase {
  const char* name;
  std::string bytes;  // sent by a raw client instead of a TLS handshake
  TlsFailure expected;
};

std::string sslv2_hello() {
  // An SSLv2-format ClientHello (record header with the high bit set) offering SSLv2 only.
  return std::string("\x80\x2e\x01\x00\x02\x00\x15\x00\x00\x00\x10", 11) + std::string(21, '\x07') +
         std::string(16, '\x01');
}

std::string sslv3_hello() {
  // A ClientHello record at version 3.0 offering 3.0 only.
  std::string body;
  body += std::string("\x03\x00", 2);          // client_version SSLv3
  body += std::string(32, '\x11');             // random
  body += '\x00';                              // no session id
  body += std::string("\x00\x02\x00\x2f", 4);  // one cipher suite
  body += std::string("\x01\x00", 2);          // null compression
  std::string hs = std::string("\x01", 1) + std::string(1, '\0') + std::string(1, '\0') +
                   std::string(1, static_cast<char>(body.size())) + body;
  return std::string("\x16\x03\x00", 3) + std::string(1, '\0') + std::string(1, static_cast<char>(hs.size())) + hs;
}

std::string alert_storm(int alerts) {
  std::string out;
  for (int i = 0; i < alerts; ++i) out += std::string("\x15\x03\x01\x00\x02\x01\x5a", 7);
  return out;
}

TEST_F(TlsStreamTest, HostileFirstBytesAreNamed) {
  Contexts c;
  make_contexts(c);
  const std::vector<FailureCase> cases = {
      {"plain HTTP", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", TlsFailure::not_tls},
      {"garbage handshake", std::string("\x16\x03\x01\x00\x40", 5) + std::string(64, '\xfe'),
       TlsFailure::malformed_record},
      {"garbage record", std::string(64, '\xfe'), TlsFailure::protocol_version},
      {"SSLv2 hello", sslv2_hello(), TlsFailure::protocol_version},
      {"SSLv3 hello", sslv3_hello(), TlsFailure::protocol_version},
      {"oversized record", std::string("\x16\x03\x01\x7f\xff", 5) + std::string(40000, '\x01'),
       TlsFailure::malformed_record},
      {"closed mid-hello", std::string("\x16\x03\x01\x02\x00\x01", 6), TlsFailure::peer_closed},
      // A storm of warning alerts (user_canceled) instead of a hello:
      // OpenSSL gives up after a few, so it cannot keep a worker busy.
      {"warning alert storm", alert_storm(200), TlsFailure::malformed_record},
  };
  for (const FailureCase& f : cases) {
    SCOPED_TRACE(f.name);
    Link l;
    ASSERT_TRUE(l.server.accept(l.server_end, c.server, pool()));
    l.client_end.write_copy(f.bytes.data(), static_cast<uint32_t>(f.bytes.size()));
    l.client_end.shutdown_write();
    EXPECT_EQ(l.server.transport_readable(), TlsStream::Progress::failed);
    EXPECT_EQ(tls_failure_name(l.server.failure()), tls_failure_name(f.expected));
    l.server.close();
    l.server_end.in.clear();
    l.client_end.in.clear();
  }
}

TEST_F(TlsStreamTest, OldProtocolAndNoSharedCipherAreNamed) {
  Contexts c;
  make_contexts(c);
  {
    SSL_CTX_set_security_level(c.client, 0);
    SSL_CTX_set_min_proto_version(c.client, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(c.client, TLS1_1_VERSION);
    Link l;
    ASSERT_TRUE(l.server.accept(l.server_end, c.server, pool()));
    l.client.connect(l.client_end, c.client, pool(), "www.example.test", nullptr);
    l.pump();
    EXPECT_EQ(tls_failure_name(l.server.failure()), "protocol-version");
    l.server.close();
    l.client.abort();
  }
  {
    Contexts d;
    make_contexts(d);
    SSL_CTX_set_ciphersuites(d.server, "TLS_AES_128_GCM_SHA256");
    SSL_CTX_set_ciphersuites(d.client, "TLS_AES_256_GCM_SHA384");
    SSL_CTX_set_max_proto_version(d.client, TLS1_3_VERSION);
    SSL_CTX_set_min_proto_version(d.client, TLS1_3_VERSION);
    Link l;
    ASSERT_TRUE(l.server.accept(l.server_end, d.server, pool()));
    l.client.connect(l.client_end, d.client, pool(), "www.example.test", nullptr);
    l.pump();
    EXPECT_EQ(tls_failure_name(l.server.failure()), "no-shared-cipher");
    l.server.close();
    l.client.abort();
  }
}

TEST_F(TlsStreamTest, RenegotiationIsRefused) {
  Contexts c;
  make_contexts(c);
  SSL_CTX_set_max_proto_version(c.client, TLS1_2_VERSION);
  Link l;
  ASSERT_TRUE(l.server.accept(l.server_end, c.server, pool()));
  ASSERT_TRUE(l.client.connect(l.client_end, c.client, pool(), "www.example.test", nullptr));
  l.pump();
  ASSERT_TRUE(l.server.handshake_done());
  ASSERT_EQ(SSL_renegotiate(l.client.ssl()), 1);
  l.client.write_copy("x", 1);  // the HelloRequest-less ClientHello goes out with it
  SSL_do_handshake(l.client.ssl());
  ERR_clear_error();
  l.pump();
  EXPECT_EQ(tls_failure_name(l.server.failure()), "renegotiation");
  l.server.close();
  l.client.abort();
  ERR_clear_error();
}

TEST_F(TlsStreamTest, AbortDuringHandshakeFreesEverything) {
  Contexts c;
  make_contexts(c);
  Link l;
  ASSERT_TRUE(l.server.accept(l.server_end, c.server, pool()));
  ASSERT_TRUE(l.client.connect(l.client_end, c.client, pool(), "www.example.test", nullptr));
  // The server has the ClientHello and answers; the client never goes on.
  l.server.transport_readable();
  l.server.handshake_timed_out();
  EXPECT_EQ(tls_failure_name(l.server.failure()), "handshake-timeout");
  l.server.abort();
  l.client.abort();
  l.client_end.in.clear();
}

}  // namespace
}  // namespace dplb::dataplane
