#include "dataplane/tls/tls_worker_contexts.h"

#include <openssl/ssl.h>

namespace dplb::dataplane {

TlsContextSnapshot::~TlsContextSnapshot() {
  for (const TlsWorkerContexts& w : workers) {
    for (SSL_CTX* c : w.frontends) SSL_CTX_free(c);  // null is fine
  }
}

}  // namespace dplb::dataplane
