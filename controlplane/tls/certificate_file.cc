#include "controlplane/tls/certificate_file.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace dplb::controlplane::tls {

void X509Deleter::operator()(X509* x) const { X509_free(x); }
void PkeyDeleter::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

// OpenSSL's reason for the last failure, without its numeric prefix, and
// the queue emptied so the next call starts clean.
std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  return reason != nullptr ? reason : "unknown OpenSSL error";
}

bool read_file(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read: " + std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out = buffer.str();
  return true;
}

BioPtr memory_bio(const std::string& bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

// True when the last PEM failure only means "no more blocks of that kind".
bool only_end_of_input() {
  const unsigned long code = ERR_peek_last_error();
  const bool end = code == 0 || (ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE);
  if (end) ERR_clear_error();
  return end;
}

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

int64_t asn1_seconds(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::vector<std::string> dns_names(X509* leaf) {
  std::vector<std::string> names;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
      if (n->type != GEN_DNS) continue;
      const ASN1_STRING* s = n->d.dNSName;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                         static_cast<std::size_t>(ASN1_STRING_length(s)));
    }
    GENERAL_NAMES_free(sans);
  }
  if (names.empty()) {
    // RFC 6125 6.4.4: the CN counts only without DNS SANs.
    const X509_NAME* subject = X509_get_subject_name(leaf);
    const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index >= 0) {
      const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                         static_cast<std::size_t>(ASN1_STRING_length(s)));
    }
  }
  return names;
}

std::string fingerprint(X509* leaf) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(leaf, EVP_sha256(), md, &length) != 1) return {};
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    if (i > 0) out += ':';
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

// Key type as `show tls certs` names it; empty for a type dplb does not serve.
std::string key_type(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return "RSA";
    case EVP_PKEY_ED25519: return "Ed25519";
    case EVP_PKEY_EC: {
      char group[64] = {};
      std::size_t length = 0;
      if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length) != 1) {
        return "ECDSA";
      }
      const std::string g(group, length);
      if (g == "prime256v1" || g == "P-256") return "ECDSA P-256";
      if (g == "secp384r1" || g == "P-384") return "ECDSA P-384";
      if (g == "secp521r1" || g == "P-521") return "ECDSA P-521";
      return "ECDSA " + g;
    }
    default: return {};
  }
}

// Every certificate of the file, in order; false (with `error`) when a
// block is malformed.
bool read_certificates(const std::string& path, const std::string& pem, std::vector<X509Ptr>& out,
                       std::string& error) {
  BioPtr bio = memory_bio(pem);
  for (;;) {
    X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (x == nullptr) break;
    out.emplace_back(x);
  }
  if (!only_end_of_input()) {
    error = path + ": malformed PEM certificate " + std::to_string(out.size() + 1) + ": " + openssl_reason();
    return false;
  }
  if (out.empty()) {
    error = path + ": no PEM certificate found (expected a -----BEGIN CERTIFICATE----- block)";
    return false;
  }
  return true;
}

bool read_key(const std::string& path, const std::string& pem, PkeyPtr& out, std::string& error) {
  BioPtr bio = memory_bio(pem);
  // An empty passphrase callback: an encrypted key must fail here, not
  // stop the boot at a terminal prompt.
  auto no_passphrase = [](char*, int, int, void*) -> int { return 0; };
  out.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (out) return true;
  // OpenSSL 3's decoders say "unsupported" when there is no key block at
  // all, so look for one before trusting its reason.
  if (only_end_of_input() || pem.find("PRIVATE KEY-----") == std::string::npos) {
    ERR_clear_error();
    error = path + ": no private key found (put it after the certificates, or name its file with key = ...)";
  } else {
    error = path + ": cannot read the private key: " + openssl_reason() + " (encrypted keys are not supported)";
  }
  return false;
}

void check_chain(const std::string& path, const std::vector<X509Ptr>& certs, std::vector<std::string>& errors) {
  for (std::size_t i = 0; i + 1 < certs.size(); ++i) {
    if (X509_check_issued(certs[i + 1].get(), certs[i].get()) == X509_V_OK) continue;
    errors.push_back(path + ": the chain is out of order: certificate " + std::to_string(i + 2) + " ('" +
                     name_text(X509_get_subject_name(certs[i + 1].get())) + "') did not issue certificate " +
                     std::to_string(i + 1) + " ('" + name_text(X509_get_subject_name(certs[i].get())) +
                     "'); each certificate must be followed by its issuer");
    return;
  }
}

void check_validity(const std::string& path, const std::vector<X509Ptr>& certs, int64_t now,
                    CertificateLoad& result) {
  for (std::size_t i = 0; i < certs.size(); ++i) {
    X509* x = certs[i].get();
    const std::string subject = name_text(X509_get_subject_name(x));
    const int64_t not_after = asn1_seconds(X509_get0_notAfter(x));
    const int64_t not_before = asn1_seconds(X509_get0_notBefore(x));
    const std::string which = i == 0 ? "certificate" : "chain certificate " + std::to_string(i + 1);
    if (not_after < now) {
      const std::string text = path + ": " + which + " '" + subject + "' expired on " + format_date(not_after);
      // An expired cross-signed intermediate can still be harmless (clients
      // build another path); an expired leaf never is.
      (i == 0 ? result.errors : result.warnings).push_back(text);
    } else if (not_after - now < int64_t{kExpiryWarningDays} * 86400) {
      result.warnings.push_back(path + ": " + which + " '" + subject + "' expires on " + format_date(not_after) +
                                ", in " + std::to_string((not_after - now) / 86400) + " days");
    }
    if (not_before > now) {
      result.warnings.push_back(path + ": " + which + " '" + subject + "' is not valid before " +
                                format_date(not_before));
    }
  }
}

}  // namespace

std::string format_date(int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d", &tm);
  return out;
}

CertificateLoad load_certificate(const std::string& cert_path, const std::string& key_path, int64_t now) {
  CertificateLoad result;
  std::string pem, error;
  std::vector<X509Ptr> certs;
  if (!read_file(cert_path, pem, error) || !read_certificates(cert_path, pem, certs, error)) {
    result.errors.push_back(error);
    return result;
  }
  const std::string& key_file = key_path.empty() ? cert_path : key_path;
  std::string key_pem;
  if (!key_path.empty() && !read_file(key_path, key_pem, error)) {
    result.errors.push_back(error);
    return result;
  }
  PkeyPtr key;
  if (!read_key(key_file, key_path.empty() ? pem : key_pem, key, error)) {
    result.errors.push_back(error);
    return result;
  }

  X509* leaf = certs.front().get();
  const std::string type = key_type(key.get());
  if (type.empty()) {
    result.errors.push_back(key_file + ": unsupported key type (dplb serves RSA, ECDSA and Ed25519 keys)");
  } else if (type == "RSA" && EVP_PKEY_get_bits(key.get()) < kMinimumRsaBits) {
    result.errors.push_back(key_file + ": RSA key of " + std::to_string(EVP_PKEY_get_bits(key.get())) +
                            " bits; at least " + std::to_string(kMinimumRsaBits) + " are required");
  }
  if (X509_check_private_key(leaf, key.get()) != 1) {
    ERR_clear_error();
    result.errors.push_back(key_file + ": the private key does not match the certificate '" +
                            name_text(X509_get_subject_name(leaf)) + "'");
  }
  check_chain(cert_path, certs, result.errors);
  check_validity(cert_path, certs, now, result);
  if (!result.errors.empty()) return result;

  auto loaded = std::make_unique<LoadedCertificate>();
  CertificateInfo& info = loaded->info;
  info.subject = name_text(X509_get_subject_name(leaf));
  info.issuer = name_text(X509_get_issuer_name(leaf));
  info.dns_names = dns_names(leaf);
  info.not_before = asn1_seconds(X509_get0_notBefore(leaf));
  info.not_after = asn1_seconds(X509_get0_notAfter(leaf));
  info.key_type = type;
  info.key_bits = EVP_PKEY_get_bits(key.get());
  info.sha256_fingerprint = fingerprint(leaf);
  info.chain_length = certs.size() - 1;
  loaded->key = std::move(key);
  loaded->leaf = std::move(certs.front());
  for (std::size_t i = 1; i < certs.size(); ++i) loaded->chain.push_back(std::move(certs[i]));
  result.certificate = std::move(loaded);
  return result;
}

}  // namespace dplb::controlplane::tls
