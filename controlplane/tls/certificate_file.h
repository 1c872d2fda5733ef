#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dplb::controlplane::tls {

// What `show tls certs` prints about a certificate, read once at load time so
// that the console never touches OpenSSL objects a worker may be using.
struct CertificateInfo {
  std::string subject;        // RFC 2253, e.g. "CN=www.example.com,O=Example"
  std::string issuer;
  std::vector<std::string> dns_names;  // subjectAltName DNS entries, or the CN when there are none
  int64_t not_before = 0;     // seconds since the epoch, UTC
  int64_t not_after = 0;
  std::string key_type;       // "RSA", "ECDSA P-256", "ECDSA P-384", "Ed25519"
  int key_bits = 0;
  std::string sha256_fingerprint;  // "AB:CD:..." as `openssl x509 -fingerprint -sha256` prints it
  std::size_t chain_length = 0;    // intermediates after the leaf
};

struct X509Deleter { void operator()(X509* x) const; };
struct PkeyDeleter { void operator()(EVP_PKEY* k) const; };
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// A leaf, its chain in the order the file gave it (each one issued by the
// next), and the private key, checked against each other.
struct LoadedCertificate {
  X509Ptr leaf;
  std::vector<X509Ptr> chain;
  PkeyPtr key;
  CertificateInfo info;
};

// Problems are "FILE: message" lines, the form `--check` prints for every
// file the configuration names. Errors refuse the certificate; warnings
// (expiring soon) do not.
struct CertificateLoad {
  std::unique_ptr<LoadedCertificate> certificate;  // null when errors is not empty
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

// Days before expiry from which a certificate draws a warning.
constexpr int kExpiryWarningDays = 30;
// Smallest RSA modulus accepted (NIST SP 800-131A, and what browsers ask).
constexpr int kMinimumRsaBits = 2048;

// Reads `cert_path` (PEM: the leaf first, then its chain, and the key too
// when `key_path` is empty, as HAProxy's `crt` files hold them) and checks
// it as of `now` (seconds since the epoch). Never throws.
CertificateLoad load_certificate(const std::string& cert_path, const std::string& key_path, int64_t now);

// "2026-12-05" for a time in seconds since the epoch, UTC.
std::string format_date(int64_t seconds);

}  // namespace dplb::controlplane::tls
