#include "dataplane/tls/tls_error_reason.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

namespace dplb::dataplane {
namespace {

TlsFailure from_verify_result(long result) {
  switch (result) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return TlsFailure::unknown_ca;
    default:
      return TlsFailure::bad_certificate;
  }
}

TlsFailure from_ssl_reason(int reason, const SSL* ssl) {
  switch (reason) {
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS:
    case SSL_R_NO_SUITABLE_KEY_SHARE:
    case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
    case SSL_R_NO_CIPHERS_AVAILABLE:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
    case SSL_R_TLSV1_ALERT_INSUFFICIENT_SECURITY:
      return TlsFailure::no_shared_cipher;
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_VERSION_TOO_HIGH:
    case SSL_R_UNKNOWN_PROTOCOL:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
      return TlsFailure::protocol_version;
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
      return TlsFailure::not_tls;
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
      return TlsFailure::unknown_ca;
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
      return ssl != nullptr ? from_verify_result(SSL_get_verify_result(ssl)) : TlsFailure::bad_certificate;
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
      return TlsFailure::bad_certificate;
    case SSL_R_NO_RENEGOTIATION:
    case SSL_R_RENEGOTIATION_ENCODING_ERR:
    case SSL_R_RENEGOTIATION_MISMATCH:
      return TlsFailure::renegotiation;
    default:
      // Decryption failures, bad lengths, unexpected messages and the
      // other ways a record or handshake message can be wrong.
      return TlsFailure::malformed_record;
  }
}

}  // namespace

TlsFailure tls_failure_from_error_queue(const SSL* ssl) {
  const unsigned long e = ERR_peek_error();
  if (e == 0) return TlsFailure::malformed_record;
  if (ERR_GET_LIB(e) == ERR_LIB_SSL) return from_ssl_reason(ERR_GET_REASON(e), ssl);
  if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE) return TlsFailure::internal;
  // Errors from the crypto library below TLS: a certificate or signature
  // that does not verify, or a key exchange value that does not decode.
  return TlsFailure::malformed_record;
}

}  // namespace dplb::dataplane
