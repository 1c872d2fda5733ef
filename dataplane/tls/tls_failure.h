#pragma once

// Why a TLS connection ended before or outside its normal close, as
// `show tls` and the access log count and name them.

#include <cstdint>
#include <string_view>

namespace dplb::dataplane {

enum class TlsFailure : uint8_t {
  none,
  no_shared_cipher,    // no cipher suite, group or signature algorithm in common
  protocol_version,    // SSLv2/SSLv3/TLS 1.0/1.1, or below min_version
  unknown_ca,          // a client (or server) certificate from an untrusted CA
  bad_certificate,     // a certificate required and missing, expired, revoked or malformed
  handshake_timeout,   // the handshake did not finish within timeout_handshake
  malformed_record,    // garbage, a record that fails to decrypt, an oversized record or hello
  peer_closed,         // the peer closed or reset during the handshake
  renegotiation,       // a TLS 1.2 renegotiation attempt (refused, CVE-2009-3555)
  not_tls,             // plain HTTP sent to a TLS port
  internal,            // out of memory or mbufs, or an OpenSSL error of ours
};

inline constexpr std::size_t kTlsFailureCount = static_cast<std::size_t>(TlsFailure::internal) + 1;

std::string_view tls_failure_name(TlsFailure failure);

}  // namespace dplb::dataplane
