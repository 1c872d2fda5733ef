#include "dataplane/tls/tls_mbuf_bio.h"

#include <openssl/bio.h>

#include "dataplane/tls/tls_stream.h"

namespace dplb::dataplane {
namespace {

TlsStream* stream_of(BIO* bio) { return static_cast<TlsStream*>(BIO_get_data(bio)); }

int mbuf_bio_write(BIO* bio, const char* data, int length) {
  BIO_clear_retry_flags(bio);
  TlsStream* stream = stream_of(bio);
  if (stream == nullptr || length < 0) return -1;
  return stream->bio_write(data, length);
}

int mbuf_bio_read(BIO* bio, char* out, int length) {
  BIO_clear_retry_flags(bio);
  TlsStream* stream = stream_of(bio);
  if (stream == nullptr || out == nullptr || length <= 0) return 0;
  const int n = stream->bio_read(out, length);
  if (n > 0) return n;
  if (stream->bio_eof()) return 0;  // the transport's end: no retry
  BIO_set_retry_read(bio);
  return -1;
}

long mbuf_bio_ctrl(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;  // records go to the transport after each OpenSSL call
    case BIO_CTRL_PENDING: {
      TlsStream* stream = stream_of(bio);
      return stream != nullptr ? static_cast<long>(stream->bio_pending()) : 0;
    }
    case BIO_CTRL_EOF: {
      TlsStream* stream = stream_of(bio);
      return stream != nullptr && stream->bio_eof() ? 1 : 0;
    }
    case BIO_CTRL_WPENDING:
      return 0;
    default:
      return 0;
  }
}

int mbuf_bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

int mbuf_bio_destroy(BIO* bio) {
  BIO_set_data(bio, nullptr);
  return 1;
}

BIO_METHOD* make_method() {
  BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "dplb mbuf");
  if (m == nullptr) return nullptr;
  BIO_meth_set_write(m, mbuf_bio_write);
  BIO_meth_set_read(m, mbuf_bio_read);
  BIO_meth_set_ctrl(m, mbuf_bio_ctrl);
  BIO_meth_set_create(m, mbuf_bio_create);
  BIO_meth_set_destroy(m, mbuf_bio_destroy);
  return m;
}

}  // namespace

BIO* new_mbuf_bio(TlsStream* stream) {
  // Made on first use by whichever thread comes first; C++ makes that safe.
  static BIO_METHOD* const method = make_method();
  if (method == nullptr) return nullptr;
  BIO* bio = BIO_new(method);
  if (bio != nullptr) BIO_set_data(bio, stream);
  return bio;
}

}  // namespace dplb::dataplane
