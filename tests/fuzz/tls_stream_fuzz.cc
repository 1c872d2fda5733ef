// A frontend's TLS stream, its contexts built as the control plane builds
// them (controlplane/tls/tls_context_builder: two certificates picked by
// SNI, ALPN, ticket keys), fed from an in-memory transport. The input's
// first byte picks how:
//
// - raw (bit 0 clear): the rest is what a client sends, cut into segments
//   by one-byte lengths. ClientHellos, records and garbage go straight to
//   OpenSSL's record layer through dplb's BIO and handshake code.
// - session (bit 0 set): a real client (a TlsStream in client mode; bit 1
//   caps it at TLS 1.2, bit 2 offers the last session's ticket) completes
//   the handshake. Then each two-byte record of the rest is one step:
//   writes either way, segment sizes, one byte damaged in flight, reads,
//   half-closes, closes and aborts.
//
// Invariants: each side reads only a prefix of what the other wrote (a
// damaged record is never delivered), and all of it when nothing was
// damaged or closed early; every mbuf goes back to the pool; OpenSSL's
// error queue is left empty, since the next connection on the worker would
// read a stale error as its own.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>

#include "controlplane/tls/tls_context_builder.h"
#include "dataplane/base/mbuf_chain.h"
#include "dataplane/tls/tls_stream.h"
#include "tests/fuzz/fuzz_eal.h"
#include "tests/fuzz/fuzz_target.h"
#include "tests/support/byte_pipe.h"
#include "tests/support/test_certificates.h"

namespace dataplane = dplb::dataplane;
using dataplane::TlsStream;
using dplb::testing::PipeEnd;

namespace {

constexpr unsigned kPoolSize = 4095;

rte_mempool* pool() {
  static rte_mempool* p =
      rte_pktmbuf_pool_create("fuzz_tls", kPoolSize, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  return p;
}

struct Contexts {
  std::unique_ptr<const dataplane::TlsContextSnapshot> snapshot;
  SSL_CTX* server = nullptr;
  SSL_CTX* client = nullptr;      // any version
  SSL_CTX* client_tls12 = nullptr;
  SSL_SESSION* last_session = nullptr;
};

// The certificates are written to a directory of their own and read back
// through the control plane's loader, then the directory goes: the
// contexts hold everything in memory, as a worker's do.
Contexts& contexts() {
  static Contexts c = [] {
    Contexts made;
    namespace testing = dplb::testing;
    // mkdtemp replaces the six trailing X with a unique suffix.
    std::string dir = (std::filesystem::temp_directory_path() / "dplb-fuzz-tls-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) std::abort();
    const testing::TestCertificate ca = testing::make_certificate({.common_name = "fuzz CA", .ca = true},
                                                                  testing::make_ec_key());
    dplb::conf::FrontendTlsConfig tls;
    const char* names[][2] = {{"www.example.test", "www.pem"}, {"*.other.test", "other.pem"}};
    for (const auto& [name, file] : names) {
      testing::CertificateSpec spec;
      spec.dns_names = {name};
      const testing::TestCertificate leaf = testing::make_certificate(spec, testing::make_ec_key(), &ca);
      const std::string path = dir + "/" + file;
      testing::write_text(path, testing::pem_of(leaf) + testing::pem_of(leaf.key));
      dplb::conf::TlsCertificateConfig cert;
      cert.cert = path;
      tls.certificates.push_back(cert);
    }
    dplb::conf::Config config;
    dplb::conf::FrontendConfig frontend;
    frontend.name = "fuzz";
    frontend.tls = tls;
    config.frontends.push_back(frontend);
    dplb::controlplane::tls::TlsMaterial material;
    const std::string load_errors = dplb::controlplane::tls::load_tls_material(config, std::time(nullptr), &material);
    std::filesystem::remove_all(dir);
    if (!load_errors.empty() ||
        !dplb::controlplane::tls::build_tls_contexts(config, material, 1, 1, &made.snapshot).empty()) {
      std::fprintf(stderr, "tls_stream fuzz: contexts: %s\n", load_errors.c_str());
      std::abort();
    }
    made.server = made.snapshot->workers[0].frontends[0];
    for (SSL_CTX** client : {&made.client, &made.client_tls12}) {
      *client = SSL_CTX_new(TLS_client_method());
      SSL_CTX_set_verify(*client, SSL_VERIFY_NONE, nullptr);
      SSL_CTX_set_options(*client, SSL_OP_IGNORE_UNEXPECTED_EOF);
      SSL_CTX_set_session_cache_mode(*client, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
      const unsigned char alpn[] = "\x08http/1.1";
      SSL_CTX_set_alpn_protos(*client, alpn, sizeof(alpn) - 1);
    }
    SSL_CTX_set_max_proto_version(made.client_tls12, TLS1_2_VERSION);
    return made;
  }();
  return c;
}

// Bytes written one way, and how far the other side has read them.
struct Direction {
  std::string written;
  std::size_t read = 0;
  bool damaged = false;  // a byte of its ciphertext was flipped in flight
};

// Reads up to `max` bytes from `from`; they must be the next ones `d` wrote.
void read_checked(TlsStream& from, Direction& d, uint32_t max) {
  while (max > 0 && from.readable() > 0) {
    uint32_t n = 0;
    rte_mbuf* m = from.read(max, &n);
    // At most `max`, or one whole segment (ByteStream's contract).
    FUZZ_CHECK(m != nullptr && n > 0 && n == m->pkt_len && (n <= max || m->nb_segs == 1));
    FUZZ_CHECK(d.read + n <= d.written.size());
    std::string got(n, '\0');
    dataplane::chain_copy(m, 0, n, reinterpret_cast<uint8_t*>(got.data()));
    rte_pktmbuf_free(m);
    FUZZ_CHECK(std::memcmp(got.data(), d.written.data() + d.read, n) == 0);
    d.read += n;
    max = n < max ? max - n : 0;
  }
}

class Session {
 public:
  Session() {
    server_end_.peer = &client_end_;
    client_end_.peer = &server_end_;
  }
  ~Session() {
    server_.abort();
    client_.abort();
    server_end_.in.clear();
    client_end_.in.clear();
  }

  bool start_server() { return server_.accept(server_end_, contexts().server, pool()); }
  bool start_client(uint8_t mode) {
    Contexts& c = contexts();
    SSL_SESSION* resume = (mode & 4) != 0 ? c.last_session : nullptr;
    client_live_ = client_.connect(client_end_, (mode & 2) != 0 ? c.client_tls12 : c.client, pool(),
                                   (mode & 8) != 0 ? "a.other.test" : "www.example.test", resume);
    return client_live_;
  }

  // Raw client bytes straight into the server's transport.
  void deliver_raw(const uint8_t* data, std::size_t n) {
    server_end_.in.push(dataplane::chain_from_bytes(data, static_cast<uint32_t>(n), pool()));
    advance();
  }
  void raw_end() {
    server_end_.fin_in = true;
    advance();
  }

  // Feeds each side what the other sent until nothing moves, ending a side
  // that failed as the proxy does (its alert goes out, then the transport closes).
  void advance() {
    for (int i = 0; i < 1000; ++i) {
      const uint64_t before = moved();
      step(server_, server_end_, server_live_);
      step(client_, client_end_, client_live_);
      if (moved() == before) return;
    }
  }

  void run_script(const uint8_t* data, std::size_t size) {
    advance();
    for (std::size_t i = 0; i + 1 < size; i += 2) {
      const uint8_t op = data[i] & 15;
      const uint8_t arg = data[i + 1];
      switch (op) {
        case 0: write(client_, client_live_, to_server_, (arg + 1u) * 7u); break;
        case 1: write(server_, server_live_, to_client_, (arg + 1u) * 61u); break;
        case 2: client_end_.segment = arg; break;
        case 3: server_end_.segment = arg; break;
        case 4:
          if (!to_server_.damaged) {
            client_end_.corrupt_at = static_cast<int64_t>(client_end_.bytes_written + arg);
            to_server_.damaged = true;
          }
          break;
        case 5:
          if (!to_client_.damaged) {
            server_end_.corrupt_at = static_cast<int64_t>(server_end_.bytes_written + arg);
            to_client_.damaged = true;
          }
          break;
        case 6: read_checked(server_, to_server_, (arg + 1u) * 113u); break;
        case 7: read_checked(client_, to_client_, (arg + 1u) * 113u); break;
        case 8: end(client_, client_live_, arg); break;
        case 9: end(server_, server_live_, arg); break;
        case 10: write(client_, client_live_, to_server_, 16384u + arg * 97u); break;  // records of full size
        default: break;
      }
      advance();
    }
    drain();
  }

  // Everything readable read; then, if nothing was damaged or ended early,
  // everything written must have arrived.
  void drain() {
    for (int i = 0; i < 100; ++i) {
      read_checked(server_, to_server_, UINT32_MAX);
      read_checked(client_, to_client_, UINT32_MAX);
      advance();
      if (server_.readable() == 0 && client_.readable() == 0) break;
    }
    if (server_live_ && client_live_ && !ended_early_ && server_.handshake_done() && client_.handshake_done()) {
      FUZZ_CHECK(to_server_.damaged || to_server_.read == to_server_.written.size());
      FUZZ_CHECK(to_client_.damaged || to_client_.read == to_client_.written.size());
    }
  }

  void keep_session() {
    if (!client_.active() || !client_.handshake_done()) return;
    SSL_SESSION* s = SSL_get1_session(client_.ssl());
    if (s == nullptr) return;
    Contexts& c = contexts();
    if (SSL_SESSION_is_resumable(s) == 1) {
      if (c.last_session != nullptr) SSL_SESSION_free(c.last_session);
      c.last_session = s;
    } else {
      SSL_SESSION_free(s);
    }
  }

 private:
  uint64_t moved() const {
    return server_end_.bytes_written + client_end_.bytes_written + server_end_.readable() +
           client_end_.readable() + server_.readable() + client_.readable() + (server_live_ ? 1 : 0) +
           (client_live_ ? 2 : 0);
  }
  static void step(TlsStream& s, PipeEnd& transport, bool& live) {
    if (!live || !s.active()) return;
    if (transport.readable() == 0 && !transport.fin_in) return;
    if (s.transport_readable() == TlsStream::Progress::failed) {
      FUZZ_CHECK(s.failure() != dataplane::TlsFailure::none);
      s.close();
      live = false;
    }
  }
  void write(TlsStream& s, bool live, Direction& d, uint32_t n) {
    if (!live || !s.active() || !s.handshake_done()) return;
    std::string bytes(n, '\0');
    for (uint32_t i = 0; i < n; ++i) bytes[i] = static_cast<char>((d.written.size() + i) * 131u >> 3);
    const uint32_t accepted = s.write_copy(bytes.data(), n);
    FUZZ_CHECK(accepted <= n);
    d.written.append(bytes, 0, accepted);
  }
  void end(TlsStream& s, bool& live, uint8_t how) {
    if (!live || !s.active()) return;
    ended_early_ = true;
    switch (how % 3) {
      case 0: s.shutdown_write(); return;  // still reads
      case 1: s.close(); break;
      default: s.abort(); break;
    }
    live = false;
  }

  PipeEnd server_end_{pool()};
  PipeEnd client_end_{pool()};
  TlsStream server_;
  TlsStream client_;
  bool server_live_ = true;
  bool client_live_ = false;
  bool ended_early_ = false;
  Direction to_server_;
  Direction to_client_;
};

}  // namespace

DPLB_FUZZ_INITIALIZE_EAL()

DPLB_FUZZ_TARGET(tls_stream) {
  if (size < 1) return 0;
  rte_mempool* p = pool();
  FUZZ_CHECK(p != nullptr);
  const unsigned in_use = rte_mempool_in_use_count(p);
  ERR_clear_error();
  {
    Session s;
    FUZZ_CHECK(s.start_server());
    const uint8_t mode = data[0];
    if ((mode & 1) == 0) {
      std::size_t i = 1;
      while (i < size) {
        const std::size_t n = std::min<std::size_t>(std::size_t{data[i]} + 1, size - i - 1);
        ++i;
        if (n == 0) break;
        s.deliver_raw(data + i, n);
        i += n;
      }
      s.raw_end();
    } else {
      FUZZ_CHECK(s.start_client(mode));
      s.run_script(data + 1, size - 1);
      s.keep_session();
    }
  }
  FUZZ_CHECK(rte_mempool_in_use_count(p) == in_use);
  FUZZ_CHECK(ERR_peek_error() == 0);
  return 0;
}
