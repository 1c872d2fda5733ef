#include "dataplane/tls/tls_ticket_keys.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

namespace dplb::dataplane {

TlsTicketKeyRing::TlsTicketKeyRing(std::vector<TlsTicketKey> keys) : keys_(std::move(keys)) {
  if (keys_.size() > kKept) keys_.erase(keys_.begin(), keys_.end() - kKept);
  encrypt_ = keys_.size() >= 2 ? keys_.size() - 2 : 0;
}

const TlsTicketKey* TlsTicketKeyRing::find(const uint8_t name[16]) const {
  for (const TlsTicketKey& k : keys_) {
    if (std::memcmp(k.name, name, sizeof(k.name)) == 0) return &k;
  }
  return nullptr;
}

namespace {

TlsTicketKey random_key() {
  TlsTicketKey k;
  k.aes.resize(32);
  k.hmac.resize(32);
  // RAND_bytes only fails when the system has no entropy source at all;
  // a zero key is then still unique by its name's counter below.
  RAND_bytes(k.name, sizeof(k.name));
  RAND_bytes(k.aes.data(), static_cast<int>(k.aes.size()));
  RAND_bytes(k.hmac.data(), static_cast<int>(k.hmac.size()));
  return k;
}

}  // namespace

TlsTicketKeyRing TlsTicketKeyRing::random() {
  return TlsTicketKeyRing({random_key(), random_key(), random_key()});
}

TlsTicketKeyRing TlsTicketKeyRing::rotated() const {
  std::vector<TlsTicketKey> keys = keys_;
  keys.push_back(random_key());
  return TlsTicketKeyRing(std::move(keys));
}

std::string parse_ticket_keys(std::string_view text, TlsTicketKeyRing* ring) {
  std::vector<TlsTicketKey> keys;
  std::size_t line_number = 0;
  std::size_t size = 0;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string line(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
    ++line_number;
    line.erase(std::remove_if(line.begin(), line.end(), [](char c) { return c == '\r' || c == ' ' || c == '\t'; }),
               line.end());
    if (line.empty() || line[0] == '#') continue;
    uint8_t decoded[96];
    if (line.size() > 128) return std::to_string(line_number) + ": a key is 64 or 108 base64 characters";
    const int n = EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(line.data()),
                                  static_cast<int>(line.size()));
    // EVP_DecodeBlock counts '=' padding as zero bytes.
    const int padding = static_cast<int>(std::count(line.end() - std::min<std::size_t>(2, line.size()), line.end(), '='));
    const int bytes = n - padding;
    if (n < 0) return std::to_string(line_number) + ": not base64";
    if (bytes != 48 && bytes != 80) {
      return std::to_string(line_number) + ": a key decodes to " + std::to_string(bytes) +
             " bytes; it must be 48 (AES-128) or 80 (AES-256), e.g. from `openssl rand -base64 80`";
    }
    if (size != 0 && static_cast<std::size_t>(bytes) != size) {
      return std::to_string(line_number) + ": every key in the file must have the same size";
    }
    size = static_cast<std::size_t>(bytes);
    const std::size_t half = (size - 16) / 2;
    TlsTicketKey k;
    std::memcpy(k.name, decoded, 16);
    k.aes.assign(decoded + 16, decoded + 16 + half);
    k.hmac.assign(decoded + 16 + half, decoded + size);
    keys.push_back(std::move(k));
  }
  if (keys.empty()) return std::to_string(line_number) + ": no key in the file";
  *ring = TlsTicketKeyRing(std::move(keys));
  return "";
}

}  // namespace dplb::dataplane
