#pragma once

// Certificates made at test time with OpenSSL, so that no key is committed
// and every validity window is relative to the test's own clock.

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace dplb::testing {

struct TestKey {
  std::shared_ptr<EVP_PKEY> key;
};

inline TestKey make_rsa_key(unsigned bits) {
  return {std::shared_ptr<EVP_PKEY>(EVP_RSA_gen(bits), EVP_PKEY_free)};
}
inline TestKey make_ec_key() {
  return {std::shared_ptr<EVP_PKEY>(EVP_EC_gen("P-256"), EVP_PKEY_free)};
}

struct TestCertificate {
  std::shared_ptr<X509> cert;
  TestKey key;
};

struct CertificateSpec {
  std::string common_name = "www.example.test";
  std::vector<std::string> dns_names;  // subjectAltName DNS entries
  int64_t not_before = -86400;         // seconds from now
  int64_t not_after = 365 * 86400;
  bool ca = false;
};

// Signed by `issuer` (or self-signed when it is null).
inline TestCertificate make_certificate(const CertificateSpec& spec, TestKey key,
                                        const TestCertificate* issuer = nullptr) {
  X509* x = X509_new();
  X509_set_version(x, 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), static_cast<long>(spec.not_before));
  X509_gmtime_adj(X509_getm_notAfter(x), static_cast<long>(spec.not_after));
  X509_set_pubkey(x, key.key.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, issuer != nullptr ? X509_get_subject_name(issuer->cert.get()) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer->cert.get() : x, x, nullptr, nullptr, 0);
  auto add = [&](int nid, const std::string& value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  };
  add(NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "CA:FALSE");
  add(NID_subject_key_identifier, "hash");
  if (!spec.dns_names.empty()) {
    std::string sans;
    for (const std::string& n : spec.dns_names) sans += (sans.empty() ? "DNS:" : ",DNS:") + n;
    add(NID_subject_alt_name, sans);
  }
  X509_sign(x, issuer != nullptr ? issuer->key.key.get() : key.key.get(), EVP_sha256());
  return {std::shared_ptr<X509>(x, X509_free), key};
}

inline std::string pem_of(const TestCertificate& c) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, c.cert.get());
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

inline std::string pem_of(const TestKey& k) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, k.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

inline void write_text(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return;
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
}

}  // namespace dplb::testing
