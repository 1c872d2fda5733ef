#pragma once

// OpenSSL's error queue after a failed call, read as one TlsFailure.

#include <openssl/types.h>

#include "dataplane/tls/tls_failure.h"

namespace dplb::dataplane {

// Looks at the oldest error on this thread's queue (the cause; later ones
// are consequences) and, for a failed verification, the verify result.
TlsFailure tls_failure_from_error_queue(const SSL* ssl);

}  // namespace dplb::dataplane
