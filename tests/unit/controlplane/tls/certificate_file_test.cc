#include "controlplane/tls/certificate_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <string>

#include "tests/support/test_certificates.h"

namespace dplb::controlplane::tls {
namespace {

using dplb::testing::CertificateSpec;
using dplb::testing::make_certificate;
using dplb::testing::make_ec_key;
using dplb::testing::make_rsa_key;
using dplb::testing::pem_of;
using dplb::testing::TestCertificate;
using dplb::testing::write_text;

class CertificateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // mkdtemp replaces the six trailing X with a unique suffix.
    std::string pattern = (std::filesystem::temp_directory_path() / "dplb-cert-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    now_ = static_cast<int64_t>(std::time(nullptr));
    ca_ = make_certificate({.common_name = "Test Root", .ca = true}, make_ec_key());
    intermediate_ = make_certificate({.common_name = "Test Intermediate", .ca = true}, make_ec_key(), &ca_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string file(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    write_text(path, text);
    return path;
  }
  TestCertificate leaf(CertificateSpec spec = {}) {
    if (spec.dns_names.empty()) spec.dns_names = {"www.example.test", "example.test"};
    return make_certificate(spec, make_ec_key(), &intermediate_);
  }

  std::string dir_;
  int64_t now_ = 0;
  TestCertificate ca_, intermediate_;
};

TEST_F(CertificateFileTest, LoadsLeafChainAndKeyFromOneFile) {
  const TestCertificate l = leaf();
  const std::string path = file("site.pem", pem_of(l) + pem_of(intermediate_) + pem_of(l.key));
  const CertificateLoad r = load_certificate(path, "", now_);
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  ASSERT_NE(r.certificate, nullptr);
  const CertificateInfo& info = r.certificate->info;
  EXPECT_EQ(info.subject, "CN=www.example.test");
  EXPECT_EQ(info.issuer, "CN=Test Intermediate");
  EXPECT_EQ(info.dns_names, (std::vector<std::string>{"www.example.test", "example.test"}));
  EXPECT_EQ(info.key_type, "ECDSA P-256");
  EXPECT_EQ(info.key_bits, 256);
  EXPECT_EQ(info.chain_length, 1u);
  EXPECT_EQ(info.sha256_fingerprint.size(), 32u * 3 - 1);
  EXPECT_TRUE(r.warnings.empty());
}

TEST_F(CertificateFileTest, KeyInItsOwnFile) {
  const TestCertificate l = leaf();
  const std::string cert = file("site.crt", pem_of(l) + pem_of(intermediate_));
  const std::string key = file("site.key", pem_of(l.key));
  const CertificateLoad r = load_certificate(cert, key, now_);
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.certificate->chain.size(), 1u);
}

TEST_F(CertificateFileTest, CommonNameCountsOnlyWithoutDnsNames) {
  const TestCertificate l = make_certificate({.common_name = "only-cn.test"}, make_rsa_key(2048), &intermediate_);
  const CertificateLoad r = load_certificate(file("cn.pem", pem_of(l) + pem_of(l.key)), "", now_);
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.certificate->info.dns_names, (std::vector<std::string>{"only-cn.test"}));
  EXPECT_EQ(r.certificate->info.key_type, "RSA");
  EXPECT_EQ(r.certificate->info.key_bits, 2048);
}

// Every refusal, with the exact text `--check` prints.
TEST_F(CertificateFileTest, ErrorTexts) {
  const TestCertificate l = leaf();
  const TestCertificate other = leaf();
  const TestCertificate expired = leaf({.not_before = -100 * 86400, .not_after = -86400});
  const TestCertificate weak = make_certificate({.common_name = "weak.test"}, make_rsa_key(1024), &intermediate_);
  const std::string expired_date = format_date(now_ - 86400);

  struct Case {
    const char* name;
    std::string text;
    std::string expected;  // after "DIR/<name>: "
  };
  const std::vector<Case> cases = {
      {"empty.pem", "", "no PEM certificate found (expected a -----BEGIN CERTIFICATE----- block)"},
      {"garbage.pem", "hello\nworld\n", "no PEM certificate found (expected a -----BEGIN CERTIFICATE----- block)"},
      {"broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA!!!!\n-----END CERTIFICATE-----\n",
       "malformed PEM certificate 1: bad base64 decode"},
      {"nokey.pem", pem_of(l) + pem_of(intermediate_),
       "no private key found (put it after the certificates, or name its file with key = ...)"},
      {"mismatch.pem", pem_of(l) + pem_of(intermediate_) + pem_of(other.key),
       "the private key does not match the certificate 'CN=www.example.test'"},
      {"order.pem", pem_of(intermediate_) + pem_of(l) + pem_of(l.key),
       "the private key does not match the certificate 'CN=Test Intermediate'"},
      {"chain.pem", pem_of(l) + pem_of(ca_) + pem_of(intermediate_) + pem_of(l.key),
       "the chain is out of order: certificate 2 ('CN=Test Root') did not issue certificate 1 "
       "('CN=www.example.test'); each certificate must be followed by its issuer"},
      {"expired.pem", pem_of(expired) + pem_of(expired.key),
       "certificate 'CN=www.example.test' expired on " + expired_date},
      {"weak.pem", pem_of(weak) + pem_of(weak.key), "RSA key of 1024 bits; at least 2048 are required"},
  };
  for (const Case& c : cases) {
    const std::string path = file(c.name, c.text);
    const CertificateLoad r = load_certificate(path, "", now_);
    ASSERT_FALSE(r.errors.empty()) << c.name;
    EXPECT_EQ(r.errors.front(), path + ": " + c.expected) << c.name;
    EXPECT_EQ(r.certificate, nullptr) << c.name;
  }
}

TEST_F(CertificateFileTest, UnreadableFile) {
  const CertificateLoad r = load_certificate(dir_ + "/missing.pem", "", now_);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors.front(), dir_ + "/missing.pem: cannot read: No such file or directory");
}

TEST_F(CertificateFileTest, MissingKeyFile) {
  const TestCertificate l = leaf();
  const CertificateLoad r = load_certificate(file("c.pem", pem_of(l)), dir_ + "/missing.key", now_);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors.front(), dir_ + "/missing.key: cannot read: No such file or directory");
}

TEST_F(CertificateFileTest, ExpiringSoonIsAWarning) {
  const TestCertificate l = leaf({.not_after = 10 * 86400 + 3600});
  const std::string path = file("soon.pem", pem_of(l) + pem_of(intermediate_) + pem_of(l.key));
  const CertificateLoad r = load_certificate(path, "", now_);
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings.front(), path + ": certificate 'CN=www.example.test' expires on " +
                                    format_date(now_ + 10 * 86400 + 3600) + ", in 10 days");
  EXPECT_NE(r.certificate, nullptr);
}

TEST_F(CertificateFileTest, ExpiredIntermediateIsAWarning) {
  const TestCertificate old = make_certificate(
      {.common_name = "Old Intermediate", .not_before = -100 * 86400, .not_after = -86400, .ca = true},
      make_ec_key(), &ca_);
  const TestCertificate l = make_certificate({.common_name = "x.test", .dns_names = {"x.test"}}, make_ec_key(), &old);
  const std::string path = file("oldchain.pem", pem_of(l) + pem_of(old) + pem_of(l.key));
  const CertificateLoad r = load_certificate(path, "", now_);
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings.front(), path + ": chain certificate 2 'CN=Old Intermediate' expired on " +
                                    format_date(now_ - 86400));
}

TEST_F(CertificateFileTest, EncryptedKeyIsRefusedWithoutPrompting) {
  const TestCertificate l = leaf();
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, l.key.key.get(), EVP_aes_128_cbc(), reinterpret_cast<const unsigned char*>("pw"), 2,
                           nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  const std::string key(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  const std::string path = file("enc.pem", pem_of(l) + key);
  const CertificateLoad r = load_certificate(path, "", now_);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors.front().rfind(path + ": cannot read the private key: ", 0), 0u) << r.errors.front();
}

}  // namespace
}  // namespace dplb::controlplane::tls
