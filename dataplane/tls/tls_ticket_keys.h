#pragma once

// Session-ticket keys (RFC 5077 tickets for TLS 1.2, PSK tickets for TLS
// 1.3) in HAProxy's tls-ticket-keys layout: a 16-byte name, then an AES
// key and an HMAC-SHA256 key of 16 bytes each (48 in all, AES-128) or 32
// each (80, AES-256). As in HAProxy, the last three keys of the file are
// kept, the one before the last encrypts, and all of them decrypt: an
// operator rotates by appending a key to the file on both boxes of a pair
// and reloading, and each box then accepts what the other issued.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dplb::dataplane {

struct TlsTicketKey {
  uint8_t name[16]{};
  std::vector<uint8_t> aes;   // 16 or 32 bytes
  std::vector<uint8_t> hmac;  // 16 or 32 bytes
};

class TlsTicketKeyRing {
 public:
  static constexpr std::size_t kKept = 3;

  TlsTicketKeyRing() = default;
  explicit TlsTicketKeyRing(std::vector<TlsTicketKey> keys);

  bool empty() const { return keys_.empty(); }
  std::size_t size() const { return keys_.size(); }
  const TlsTicketKey& encryption_key() const { return keys_[encrypt_]; }
  // The key whose name a ticket carries, or null: the ticket is ignored and
  // the handshake is a full one.
  const TlsTicketKey* find(const uint8_t name[16]) const;
  bool is_encryption_key(const TlsTicketKey& key) const { return &key == &keys_[encrypt_]; }

  // Three fresh random AES-256 keys, for a frontend without a key file.
  static TlsTicketKeyRing random();
  // The ring after one rotation: the oldest key goes, a random one comes,
  // and the one that was next becomes the encryption key.
  TlsTicketKeyRing rotated() const;

 private:
  std::vector<TlsTicketKey> keys_;
  std::size_t encrypt_ = 0;
};

// Parses a key file's text; "" or "LINE: why" for the first bad line
// (`path` prefixes nothing: the caller names the file).
std::string parse_ticket_keys(std::string_view text, TlsTicketKeyRing* ring);

}  // namespace dplb::dataplane
