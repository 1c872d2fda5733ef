// The SNI table's choice of certificate and the ticket key file's layout,
// rotation and errors.

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

#include "dataplane/tls/tls_server_context.h"
#include "dataplane/tls/tls_ticket_keys.h"

namespace dplb::dataplane {
namespace {

// Distinct fake context pointers: select() only compares and returns them.
SSL_CTX* fake(int n) { return reinterpret_cast<SSL_CTX*>(static_cast<uintptr_t>(0x1000 * n)); }

TlsSniTable table() {
  TlsSniTable t;
  t.exact = {{"www.example.com", nullptr}, {"api.example.com", fake(2)}, {"example.com", fake(3)}};
  t.wildcard = {{"example.com", fake(4)}, {"shop.example.net", fake(5)}};
  t.sort();
  return t;
}

TEST(TlsSniTable, ExactThenWildcardThenDefault) {
  const TlsSniTable t = table();
  struct Case {
    const char* name;
    SSL_CTX* want;
    bool matched;
  };
  const std::vector<Case> cases = {
      {"www.example.com", nullptr, true},      // the default certificate's own name
      {"api.example.com", fake(2), true},      // exact beats the wildcard
      {"API.Example.COM", fake(2), true},      // names compare case-insensitively
      {"example.com", fake(3), true},          // a wildcard does not match the bare domain
      {"img.example.com", fake(4), true},      // one label under the wildcard
      {"a.b.example.com", nullptr, false},     // two labels: no match (RFC 6125 6.4.3)
      {"x.shop.example.net", fake(5), true},
      {"shop.example.net", nullptr, false},
      {"other.test", nullptr, false},
      {"", nullptr, false},
      {".example.com", nullptr, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const TlsSniTable::Entry* e = t.select(c.name);
    EXPECT_EQ(e != nullptr, c.matched);
    if (e != nullptr) {
      EXPECT_EQ(e->context, c.want);
    }
  }
}

TEST(TlsAlpn, WireFormat) {
  EXPECT_EQ(alpn_wire_format({"h2", "http/1.1"}),
            (std::vector<uint8_t>{2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'}));
  EXPECT_TRUE(alpn_wire_format({""}).empty());
}

std::string base64(const std::vector<uint8_t>& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::vector<uint8_t> key_bytes(uint8_t first, std::size_t size) {
  std::vector<uint8_t> k(size);
  for (std::size_t i = 0; i < size; ++i) k[i] = static_cast<uint8_t>(first + i);
  return k;
}

TEST(TlsTicketKeys, HaproxyLayoutAndWhichKeyEncrypts) {
  std::string file = "# rotated daily\n";
  for (uint8_t k = 1; k <= 4; ++k) file += base64(key_bytes(static_cast<uint8_t>(k * 16), 80)) + "\n";
  TlsTicketKeyRing ring;
  ASSERT_EQ(parse_ticket_keys(file, &ring), "");
  // The last three are kept; the one before the last encrypts.
  ASSERT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring.encryption_key().name[0], 48);
  EXPECT_EQ(ring.encryption_key().aes.size(), 32u);
  EXPECT_EQ(ring.encryption_key().aes[0], 48 + 16);
  EXPECT_EQ(ring.encryption_key().hmac[0], 48 + 48);
  const uint8_t newest[16] = {64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79};
  ASSERT_NE(ring.find(newest), nullptr);
  EXPECT_FALSE(ring.is_encryption_key(*ring.find(newest)));
  const uint8_t dropped[16] = {16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
  EXPECT_EQ(ring.find(dropped), nullptr);
}

TEST(TlsTicketKeys, Aes128KeysAndOneKeyAlone) {
  TlsTicketKeyRing ring;
  ASSERT_EQ(parse_ticket_keys(base64(key_bytes(1, 48)) + "\r\n", &ring), "");
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_EQ(ring.encryption_key().aes.size(), 16u);
  EXPECT_EQ(ring.encryption_key().hmac.size(), 16u);
}

TEST(TlsTicketKeys, BadFilesNameTheLine) {
  struct Case {
    std::string text;
    std::string error_start;
  };
  const std::vector<Case> cases = {
      {"", "0: no key in the file"},
      {"# only a comment\n\n", "2: no key in the file"},
      {base64(key_bytes(1, 32)) + "\n", "1: a key decodes to 32 bytes"},
      {base64(key_bytes(1, 48)) + "\n" + base64(key_bytes(1, 80)) + "\n", "2: every key in the file must have the same size"},
      {"!!!!\n", "1: not base64"},
      {std::string(200, 'A') + "\n", "1: a key is 64 or 108 base64 characters"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    TlsTicketKeyRing ring;
    const std::string e = parse_ticket_keys(c.text, &ring);
    EXPECT_EQ(e.substr(0, c.error_start.size()), c.error_start) << e;
  }
}

TEST(TlsTicketKeys, RotationKeepsTheOldKeysForDecryption) {
  const TlsTicketKeyRing first = TlsTicketKeyRing::random();
  ASSERT_EQ(first.size(), 3u);
  const TlsTicketKeyRing second = first.rotated();
  ASSERT_EQ(second.size(), 3u);
  // What encrypted still decrypts, one rotation longer.
  EXPECT_NE(second.find(first.encryption_key().name), nullptr);
  EXPECT_FALSE(second.is_encryption_key(*second.find(first.encryption_key().name)));
  const TlsTicketKeyRing third = second.rotated();
  EXPECT_EQ(third.find(first.encryption_key().name), nullptr) << "kept for one rotation only";
}

}  // namespace
}  // namespace dplb::dataplane
