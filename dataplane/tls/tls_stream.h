#pragma once

// A TLS connection over a transport stream (a TCP connection), run by
// OpenSSL on the worker that owns it. Ciphertext goes between OpenSSL and
// the transport's mbuf chains through a BIO of ours (tls_mbuf_bio): no
// flat copy of a whole chain, no system call, no lock. Plaintext is read
// by OpenSSL straight into fresh mbufs, and what is written is gathered
// into full-size records before it is encrypted.
//
// It is itself a ByteStream, so the proxy reads and writes it as it does a
// TCP connection. The owner feeds it transport events: transport_readable()
// after the transport's on_readable, transport_closed() when the transport
// is gone.

#include <openssl/types.h>

typedef struct ssl_session_st SSL_SESSION;  // openssl/ssl.h, kept out of this header

#include <cstdint>
#include <string_view>

#include "dataplane/base/mbuf_queue.h"
#include "dataplane/stream/byte_stream.h"
#include "dataplane/tls/tls_failure.h"

struct rte_mempool;

namespace dplb::dataplane {

class TlsStream final : public ByteStream {
 public:
  TlsStream() = default;
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Starts a handshake as the server (accept) or as the client (connect:
  // `server_name` for SNI, may be empty; `session` to resume, may be null).
  // False when OpenSSL could not make the connection's objects.
  bool accept(ByteStream& transport, SSL_CTX* context, rte_mempool* pool);
  bool connect(ByteStream& transport, SSL_CTX* context, rte_mempool* pool, std::string_view server_name,
               SSL_SESSION* session);
  bool active() const { return ssl_ != nullptr; }

  enum class Progress : uint8_t { handshaking, open, failed };
  // The transport has new bytes (or its end): the handshake advances and
  // records are decrypted as far as the plaintext bound allows. After
  // `failed` the alert, if any, has been queued on the transport; the
  // owner aborts or closes the stream.
  Progress transport_readable();
  // The transport went away by itself (reset, timeout): everything is
  // freed and the stream is inactive.
  void transport_closed();
  // The handshake ran out of time: counted as such by the owner, freed here.
  void handshake_timed_out();

  bool handshake_done() const { return handshake_done_; }
  TlsFailure failure() const { return failure_; }
  // After the handshake: what was agreed, for logs and `show tls`.
  bool resumed() const;
  // The subject of the peer's certificate when one was presented and
  // verified, in OpenSSL's one-line form ("/C=FR/O=Example/CN=alice", as
  // HAProxy's ssl_c_s_dn), written into `buffer`; empty otherwise. Control
  // characters are replaced, so the text is safe in an HTTP field.
  std::string_view verified_peer_subject(char* buffer, std::size_t capacity) const;
  std::string_view version() const;
  std::string_view cipher() const;
  std::string_view server_name() const;
  std::string_view alpn() const;
  SSL* ssl() const { return ssl_; }

  // ByteStream.
  uint32_t readable() const override { return plain_.bytes(); }
  rte_mbuf* read(uint32_t max_bytes, uint32_t* bytes_read) override;
  bool end_of_stream() const override { return peer_closed_ && plain_.empty(); }
  uint32_t send_space() const override;
  bool write(rte_mbuf* chain) override;
  uint32_t write_copy(const void* data, uint32_t length) override;
  void want_writable() override;
  uint32_t send_queued() const override;
  void shutdown_write() override;
  void close() override;
  void abort() override;
  const FourTuple& tuple() const override;

  // The BIO's side (tls_mbuf_bio.cc).
  int bio_read(char* out, int length);
  int bio_write(const char* data, int length);
  bool bio_eof() const { return transport_eof_ && cipher_in_.empty(); }
  uint32_t bio_pending() const { return cipher_in_.bytes(); }

  // Decrypted bytes held per stream before its transport is left unread
  // (and the peer's TCP window closes), and ciphertext taken ahead.
  static constexpr uint32_t kPlainBound = 64 * 1024;
  static constexpr uint32_t kCipherBound = 2 * (16384 + 256);

 private:
  bool start(ByteStream& transport, SSL_CTX* context, rte_mempool* pool);
  void pull();
  Progress handshake();
  void decrypt();
  bool encrypt(const uint8_t* data, uint32_t length);
  void flush_records();
  void fail(TlsFailure failure);
  void send_close_notify();
  void release();
  static void info_callback(const SSL* ssl, int where, int ret);

  ByteStream* transport_ = nullptr;
  SSL* ssl_ = nullptr;
  rte_mempool* pool_ = nullptr;
  MbufQueue cipher_in_;   // from the transport, not yet taken by OpenSSL
  MbufQueue cipher_out_;  // records OpenSSL wrote, not yet given to the transport
  MbufQueue plain_;       // decrypted, not yet read
  TlsFailure failure_ = TlsFailure::none;
  bool handshake_done_ = false;
  bool transport_eof_ = false;
  bool peer_closed_ = false;      // close_notify, or the transport's end after the handshake
  bool close_notify_sent_ = false;
  bool out_of_mbufs_ = false;
};

}  // namespace dplb::dataplane
