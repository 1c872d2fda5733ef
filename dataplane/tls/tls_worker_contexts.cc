#include "dataplane/tls/tls_worker_contexts.h"

#include <openssl/ssl.h>

namespace dplb::dataplane {

TlsContextSnapshot::~TlsContextSnapshot() {
  for (const TlsWorkerContexts& w : workers) {
    for (SSL_CTX* c : w.frontends) SSL_CTX_free(c);  // null is fine
    for (const auto& backend : w.servers) {
      for (SSL_CTX* c : backend) SSL_CTX_free(c);
    }
  }
}

}  // namespace dplb::dataplane
