#include "dataplane/tls/tls_failure.h"

namespace dplb::dataplane {

std::string_view tls_failure_name(TlsFailure failure) {
  switch (failure) {
    case TlsFailure::none: return "none";
    case TlsFailure::no_shared_cipher: return "no-shared-cipher";
    case TlsFailure::protocol_version: return "protocol-version";
    case TlsFailure::unknown_ca: return "unknown-ca";
    case TlsFailure::bad_certificate: return "bad-certificate";
    case TlsFailure::handshake_timeout: return "handshake-timeout";
    case TlsFailure::malformed_record: return "malformed-record";
    case TlsFailure::peer_closed: return "closed-in-handshake";
    case TlsFailure::renegotiation: return "renegotiation";
    case TlsFailure::not_tls: return "not-tls";
    case TlsFailure::internal: return "internal";
  }
  return "?";
}

}  // namespace dplb::dataplane
