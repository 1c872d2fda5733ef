#include "dataplane/tls/tls_stream.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "dataplane/tls/tls_error_reason.h"
#include "dataplane/tls/tls_mbuf_bio.h"

namespace dplb::dataplane {

namespace {
// Plaintext is gathered to this much before SSL_write, so each record is
// full-size: one MAC and one AEAD call per 16 KB, not per mbuf segment.
constexpr uint32_t kRecordPlaintext = 16384;
thread_local uint8_t record_scratch[kRecordPlaintext];
}  // namespace

TlsStream::~TlsStream() { release(); }

bool TlsStream::start(ByteStream& transport, SSL_CTX* context, rte_mempool* pool) {
  release();
  transport_ = &transport;
  pool_ = pool;
  failure_ = TlsFailure::none;
  handshake_done_ = transport_eof_ = peer_closed_ = close_notify_sent_ = out_of_mbufs_ = false;
  ssl_ = SSL_new(context);
  if (ssl_ == nullptr) return false;
  BIO* bio = new_mbuf_bio(this);
  if (bio == nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
    return false;
  }
  SSL_set_bio(ssl_, bio, bio);
  SSL_set_app_data(ssl_, this);
  SSL_set_info_callback(ssl_, &TlsStream::info_callback);
  return true;
}

bool TlsStream::accept(ByteStream& transport, SSL_CTX* context, rte_mempool* pool) {
  if (!start(transport, context, pool)) return false;
  SSL_set_accept_state(ssl_);
  return true;
}

bool TlsStream::connect(ByteStream& transport, SSL_CTX* context, rte_mempool* pool, std::string_view server_name,
                        SSL_SESSION* session) {
  if (!start(transport, context, pool)) return false;
  SSL_set_connect_state(ssl_);
  if (!server_name.empty()) {
    const std::string name(server_name);
    SSL_set_tlsext_host_name(ssl_, name.c_str());
    SSL_set1_host(ssl_, name.c_str());
  }
  if (session != nullptr) SSL_set_session(ssl_, session);
  // The client speaks first: the ClientHello goes out now.
  return handshake() != Progress::failed;
}

void TlsStream::release() {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);  // frees the BIO too
    ssl_ = nullptr;
  }
  cipher_in_.clear();
  cipher_out_.clear();
  plain_.clear();
  transport_ = nullptr;
}

void TlsStream::fail(TlsFailure failure) {
  if (failure_ == TlsFailure::none) failure_ = failure;
}

// A TLS 1.2 ClientHello after the handshake is a renegotiation; it is
// refused by ending the connection (TLS 1.3 has none: its post-handshake
// messages are tickets and key updates, which start no handshake).
void TlsStream::info_callback(const SSL* ssl, int where, int) {
  if ((where & SSL_CB_HANDSHAKE_START) == 0) return;
  auto* self = static_cast<TlsStream*>(SSL_get_app_data(ssl));
  if (self != nullptr && self->handshake_done_ && SSL_version(ssl) != TLS1_3_VERSION) {
    self->fail(TlsFailure::renegotiation);
  }
}

void TlsStream::pull() {
  while (cipher_in_.bytes() < kCipherBound && transport_->readable() > 0) {
    uint32_t n = 0;
    rte_mbuf* m = transport_->read(kCipherBound - cipher_in_.bytes(), &n);
    if (m == nullptr) break;
    cipher_in_.push(m);
  }
  if (transport_->end_of_stream()) transport_eof_ = true;
}

TlsStream::Progress TlsStream::transport_readable() {
  if (ssl_ == nullptr) return Progress::failed;
  pull();
  if (!handshake_done_) {
    const Progress p = handshake();
    if (p != Progress::open) return p;
  }
  decrypt();
  flush_records();
  return failure_ != TlsFailure::none ? Progress::failed : Progress::open;
}

TlsStream::Progress TlsStream::handshake() {
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    handshake_done_ = true;
    flush_records();
    return failure_ != TlsFailure::none ? Progress::failed : Progress::open;
  }
  const int error = SSL_get_error(ssl_, rc);
  if (error == SSL_ERROR_WANT_READ && !bio_eof() && !out_of_mbufs_) {
    flush_records();
    return Progress::handshaking;
  }
  if (out_of_mbufs_) {
    fail(TlsFailure::internal);
  } else if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_ZERO_RETURN ||
             (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
    fail(TlsFailure::peer_closed);
  } else {
    fail(tls_failure_from_error_queue(ssl_));
  }
  flush_records();  // the alert OpenSSL wrote
  ERR_clear_error();
  return Progress::failed;
}

void TlsStream::decrypt() {
  while (plain_.bytes() < kPlainBound && !peer_closed_ && failure_ == TlsFailure::none) {
    if (!SSL_has_pending(ssl_) && cipher_in_.empty() && !transport_eof_) break;
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) {
      fail(TlsFailure::internal);
      break;
    }
    std::size_t n = 0;
    ERR_clear_error();
    const int rc = SSL_read_ex(ssl_, rte_pktmbuf_mtod(m, void*), rte_pktmbuf_tailroom(m), &n);
    if (rc == 1 && n > 0) {
      m->data_len = static_cast<uint16_t>(n);
      m->pkt_len = static_cast<uint32_t>(n);
      plain_.push(m);
      continue;
    }
    rte_pktmbuf_free(m);
    const int error = SSL_get_error(ssl_, rc);
    if (error == SSL_ERROR_WANT_READ && !bio_eof()) break;
    if (error == SSL_ERROR_ZERO_RETURN || error == SSL_ERROR_WANT_READ ||
        (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
      peer_closed_ = true;  // close_notify, or the transport's end (HTTP frames its own messages)
    } else {
      fail(out_of_mbufs_ ? TlsFailure::internal : tls_failure_from_error_queue(ssl_));
    }
    ERR_clear_error();
    break;
  }
}

rte_mbuf* TlsStream::read(uint32_t max_bytes, uint32_t* bytes_read) {
  rte_mbuf* chain = plain_.take(max_bytes, bytes_read);
  // Room again: decrypt what waits, and read on from the transport (which
  // reopens the peer's window).
  if (ssl_ != nullptr && handshake_done_ && plain_.bytes() < kPlainBound / 2) {
    pull();
    decrypt();
    flush_records();
  }
  return chain;
}

bool TlsStream::encrypt(const uint8_t* data, uint32_t length) {
  std::size_t written = 0;
  ERR_clear_error();
  if (SSL_write_ex(ssl_, data, length, &written) != 1 || written != length || out_of_mbufs_) {
    fail(out_of_mbufs_ ? TlsFailure::internal : tls_failure_from_error_queue(ssl_));
    ERR_clear_error();
    return false;
  }
  return true;
}

bool TlsStream::write(rte_mbuf* chain) {
  if (ssl_ == nullptr || !handshake_done_ || close_notify_sent_ || failure_ != TlsFailure::none) {
    rte_pktmbuf_free(chain);
    return false;
  }
  bool ok = true;
  uint32_t gathered = 0;
  for (const rte_mbuf* m = chain; m != nullptr && ok; m = m->next) {
    const auto* bytes = rte_pktmbuf_mtod(m, const uint8_t*);
    uint32_t offset = 0;
    while (offset < m->data_len && ok) {
      const uint32_t n = std::min<uint32_t>(m->data_len - offset, kRecordPlaintext - gathered);
      std::copy(bytes + offset, bytes + offset + n, record_scratch + gathered);
      gathered += n;
      offset += n;
      if (gathered == kRecordPlaintext) {
        ok = encrypt(record_scratch, gathered);
        gathered = 0;
      }
    }
  }
  if (ok && gathered > 0) ok = encrypt(record_scratch, gathered);
  rte_pktmbuf_free(chain);
  flush_records();
  return ok;
}

uint32_t TlsStream::write_copy(const void* data, uint32_t length) {
  if (ssl_ == nullptr || !handshake_done_ || close_notify_sent_ || failure_ != TlsFailure::none) return 0;
  const auto* bytes = static_cast<const uint8_t*>(data);
  uint32_t done = 0;
  while (done < length) {
    const uint32_t n = std::min(length - done, kRecordPlaintext);
    if (!encrypt(bytes + done, n)) break;
    done += n;
  }
  flush_records();
  return done;
}

void TlsStream::flush_records() {
  if (cipher_out_.empty() || transport_ == nullptr) return;
  uint32_t n = 0;
  transport_->write(cipher_out_.take_all(&n));
}

uint32_t TlsStream::send_space() const { return transport_ != nullptr ? transport_->send_space() : 0; }

void TlsStream::want_writable() {
  if (transport_ != nullptr) transport_->want_writable();
}

uint32_t TlsStream::send_queued() const { return transport_ != nullptr ? transport_->send_queued() : 0; }

const FourTuple& TlsStream::tuple() const {
  static const FourTuple none{};
  return transport_ != nullptr ? transport_->tuple() : none;
}

void TlsStream::send_close_notify() {
  if (ssl_ == nullptr || close_notify_sent_ || !handshake_done_ || failure_ != TlsFailure::none) return;
  close_notify_sent_ = true;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
  flush_records();
}

void TlsStream::shutdown_write() {
  if (transport_ == nullptr) return;
  send_close_notify();
  transport_->shutdown_write();
}

void TlsStream::close() {
  if (transport_ == nullptr) return;
  send_close_notify();
  flush_records();  // a fatal alert after a failure
  ByteStream* transport = transport_;
  release();
  transport->close();
}

void TlsStream::abort() {
  if (transport_ == nullptr) return;
  ByteStream* transport = transport_;
  release();
  transport->abort();
}

void TlsStream::transport_closed() { release(); }

void TlsStream::handshake_timed_out() { fail(TlsFailure::handshake_timeout); }

std::string_view TlsStream::verified_peer_subject(char* buffer, std::size_t capacity) const {
  if (ssl_ == nullptr || capacity < 2 || SSL_get_verify_result(ssl_) != X509_V_OK) return {};
  X509* peer = SSL_get0_peer_certificate(ssl_);
  if (peer == nullptr) return {};
  if (X509_NAME_oneline(X509_get_subject_name(peer), buffer, static_cast<int>(capacity)) == nullptr) return {};
  std::size_t n = std::strlen(buffer);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(buffer[i]);
    if (c < 0x20 || c == 0x7f) buffer[i] = '?';
  }
  return {buffer, n};
}

bool TlsStream::resumed() const { return ssl_ != nullptr && SSL_session_reused(ssl_) == 1; }

std::string_view TlsStream::version() const { return ssl_ != nullptr ? SSL_get_version(ssl_) : ""; }

std::string_view TlsStream::cipher() const {
  if (ssl_ == nullptr) return "";
  const char* name = SSL_get_cipher_name(ssl_);
  return name != nullptr ? name : "";
}

std::string_view TlsStream::server_name() const {
  if (ssl_ == nullptr) return "";
  const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  return name != nullptr ? name : "";
}

std::string_view TlsStream::alpn() const {
  if (ssl_ == nullptr) return "";
  const unsigned char* data = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_, &data, &length);
  return data != nullptr ? std::string_view(reinterpret_cast<const char*>(data), length) : "";
}

// ---- the BIO's side --------------------------------------------------------

int TlsStream::bio_read(char* out, int length) {
  if (cipher_in_.empty() && transport_ != nullptr && !transport_eof_) pull();
  return static_cast<int>(cipher_in_.copy_out(out, static_cast<uint32_t>(length)));
}

int TlsStream::bio_write(const char* data, int length) {
  uint32_t done = 0;
  const auto total = static_cast<uint32_t>(length);
  while (done < total) {
    rte_mbuf* tail = cipher_out_.tail();
    if (tail == nullptr || rte_pktmbuf_tailroom(tail) == 0) {
      rte_mbuf* m = rte_pktmbuf_alloc(pool_);
      if (m == nullptr) {
        out_of_mbufs_ = true;
        return -1;
      }
      cipher_out_.push_empty(m);
      tail = m;
    }
    const uint32_t n = std::min<uint32_t>(total - done, rte_pktmbuf_tailroom(tail));
    std::copy(data + done, data + done + n, rte_pktmbuf_mtod_offset(tail, char*, tail->data_len));
    tail->data_len = static_cast<uint16_t>(tail->data_len + n);
    tail->pkt_len += n;
    cipher_out_.grew(n);
    done += n;
  }
  return length;
}

}  // namespace dplb::dataplane
