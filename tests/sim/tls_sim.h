#pragma once

// TLS peers for the proxy simulation: a client that runs a TlsStream (in
// client mode) over each TCP connection of its simulated host, and the
// test PKI both sides use. Certificates are made at test time.

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/tls/tls_server_context.h"
#include "dataplane/tls/tls_stream.h"
#include "tests/sim/proxy_sim.h"
#include "tests/support/test_certificates.h"

namespace dplb::testing {

// A CA and a server certificate for www.example.test signed by it; the
// server context (with ticket keys, as the control plane builds them) and
// a client context that trusts the CA.
struct SimTlsPki {
  TestCertificate ca;
  TestCertificate server;
  SSL_CTX* server_context = nullptr;
  SSL_CTX* client_context = nullptr;
  // The proxy's context towards TLS servers, set as the control plane
  // builds it: no OpenSSL session cache (the proxy keeps one session per
  // server itself, so a TLS 1.3 session is not retired after one use).
  SSL_CTX* upstream_context = nullptr;

  SimTlsPki() {
    CertificateSpec ca_spec;
    ca_spec.common_name = "sim CA";
    ca_spec.ca = true;
    ca = make_certificate(ca_spec, make_ec_key());
    CertificateSpec leaf;
    leaf.dns_names = {"www.example.test"};
    server = make_certificate(leaf, make_ec_key(), &ca);
    server_context = make_server_context();
    client_context = SSL_CTX_new(TLS_client_method());
    X509_STORE* store = X509_STORE_new();
    X509_STORE_add_cert(store, ca.cert.get());
    SSL_CTX_set_cert_store(client_context, store);
    SSL_CTX_set_verify(client_context, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_options(client_context, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_session_cache_mode(client_context, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    upstream_context = SSL_CTX_new(TLS_client_method());
    X509_STORE* upstream_store = X509_STORE_new();
    X509_STORE_add_cert(upstream_store, ca.cert.get());
    SSL_CTX_set_cert_store(upstream_context, upstream_store);
    SSL_CTX_set_verify(upstream_context, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_options(upstream_context, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_session_cache_mode(upstream_context, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(upstream_context, SSL_MODE_RELEASE_BUFFERS);
  }
  ~SimTlsPki() {
    SSL_CTX_free(server_context);
    SSL_CTX_free(client_context);
    SSL_CTX_free(upstream_context);
  }
  SimTlsPki(const SimTlsPki&) = delete;
  SimTlsPki& operator=(const SimTlsPki&) = delete;

  // Another server context like the first (a new version of the contexts).
  SSL_CTX* make_server_context() const {
    SSL_CTX* c = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(c, 1);
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
    const unsigned char sid[] = "sim";
    SSL_CTX_set_session_id_context(c, sid, sizeof(sid) - 1);
    SSL_CTX_use_certificate(c, server.cert.get());
    SSL_CTX_use_PrivateKey(c, server.key.key.get());
    auto data = std::make_unique<dataplane::TlsServerContextData>();
    data->alpn = dataplane::alpn_wire_format({"http/1.1"});
    data->tickets = keys();
    dataplane::attach_server_context_data(c, std::move(data));
    return c;
  }
  // Every context shares the ring, as every worker's do.
  std::shared_ptr<const dataplane::TlsTicketKeyRing> keys() const {
    static const auto ring = std::make_shared<const dataplane::TlsTicketKeyRing>(dataplane::TlsTicketKeyRing::random());
    return ring;
  }
};

class SimTlsClient final : public dataplane::TcpApplication {
 public:
  struct Conn {
    dataplane::TcpConnection* tcp = nullptr;
    dataplane::TlsStream tls;
    bool established = false;
    bool resumed = false;
    bool eof = false;
    bool closed = false;
    dataplane::TlsFailure failure = dataplane::TlsFailure::none;
    std::string out;
    std::size_t out_offset = 0;
    std::string in;
    bool done() const { return eof || closed || failure != dataplane::TlsFailure::none; }
  };

  SimTlsClient(ProxySim& sim, SimHost& host, SSL_CTX* context) : sim_(sim), host_(host), context_(context) {}
  ~SimTlsClient() override {
    if (session_ != nullptr) SSL_SESSION_free(session_);
  }

  // Opens a TCP connection to the proxy's port; TLS starts once it is up.
  // `resume`: offer the session of the last established connection.
  int open(uint16_t port = 443, bool resume = false) {
    conns_.push_back(std::make_unique<Conn>());
    Conn& c = *conns_.back();
    resume_.push_back(resume);
    c.tcp = host_.stack->connect(ProxySim::kProxyAddress, port, this, host_.stack->settings().defaults);
    if (c.tcp == nullptr) throw std::runtime_error("client connect failed");
    c.tcp->user_data = &c;
    return static_cast<int>(conns_.size() - 1);
  }
  void send(int i, std::string_view bytes) {
    Conn& c = *conns_[i];
    c.out.append(bytes);
    if (c.established) pump(c);
  }
  void close(int i) {
    Conn& c = *conns_[i];
    if (c.tcp == nullptr) return;
    c.tcp->user_data = nullptr;
    if (c.tls.active()) {
      c.tls.close();
    } else {
      c.tcp->close();
    }
    c.tcp = nullptr;
    c.eof = true;
  }
  void close_all() {
    for (std::size_t i = 0; i < conns_.size(); ++i) close(static_cast<int>(i));
  }
  Conn& conn(int i) { return *conns_[i]; }
  bool wait_responses(int i, std::size_t n, uint64_t limit_us) {
    SimResponseScanner scanner;
    return sim_.run_until([&] { return scanner.scan(conns_[i]->in) >= n || conns_[i]->done(); }, limit_us);
  }
  bool wait_established(int i, uint64_t limit_us) {
    return sim_.run_until([&] { return conns_[i]->established || conns_[i]->done(); }, limit_us);
  }

  void on_connected(dataplane::TcpConnection& t) override {
    Conn* c = static_cast<Conn*>(t.user_data);
    if (c == nullptr) return;
    const bool resume = resume_[find(c)];
    if (!c->tls.connect(t, context_, host_.pool, "www.example.test", resume ? session_ : nullptr)) {
      c->failure = dataplane::TlsFailure::internal;
    }
  }
  void on_readable(dataplane::TcpConnection& t) override {
    Conn* c = static_cast<Conn*>(t.user_data);
    if (c == nullptr || !c->tls.active()) return;
    const auto progress = c->tls.transport_readable();
    if (progress == dataplane::TlsStream::Progress::failed) {
      c->failure = c->tls.failure();
      return;
    }
    if (progress == dataplane::TlsStream::Progress::open && !c->established) {
      c->established = true;
      c->resumed = c->tls.resumed();
      pump(*c);
    }
    read_all(c->tls, &c->in);
    // TLS 1.3 tickets come after the handshake: keep the newest session.
    if (SSL_SESSION* s = SSL_get1_session(c->tls.ssl())) {
      if (SSL_SESSION_is_resumable(s)) {
        if (session_ != nullptr) SSL_SESSION_free(session_);
        session_ = s;
      } else {
        SSL_SESSION_free(s);
      }
    }
    if (c->tls.end_of_stream() && !c->eof) {
      c->eof = true;
      t.user_data = nullptr;
      c->tls.close();
      c->tcp = nullptr;
    }
  }
  void on_writable(dataplane::TcpConnection& t) override {
    Conn* c = static_cast<Conn*>(t.user_data);
    if (c != nullptr && c->established) pump(*c);
  }
  void on_closed(dataplane::TcpConnection& t, dataplane::TcpCloseReason) override {
    Conn* c = static_cast<Conn*>(t.user_data);
    if (c == nullptr) return;
    c->tls.transport_closed();
    c->closed = true;
    c->tcp = nullptr;
  }

 private:
  std::size_t find(const Conn* c) const {
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      if (conns_[i].get() == c) return i;
    }
    return 0;
  }
  void pump(Conn& c) { write_some(c.tls, c.out, &c.out_offset); }

  ProxySim& sim_;
  SimHost& host_;
  SSL_CTX* context_;
  SSL_SESSION* session_ = nullptr;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<bool> resume_;
};

}  // namespace dplb::testing
