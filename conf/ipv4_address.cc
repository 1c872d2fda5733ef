#include "conf/ipv4_address.h"

#include <algorithm>

namespace dplb::conf {
namespace {

// Parses a decimal number in [0, max] with no sign, no leading zero and no junk.
std::optional<uint32_t> parse_small_decimal(std::string_view text, uint32_t max) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > max) return std::nullopt;
  return value;
}

}  // namespace

std::string Ipv4Address::to_string() const {
  return std::to_string(value >> 24) + "." + std::to_string((value >> 16) & 0xff) + "." +
         std::to_string((value >> 8) & 0xff) + "." + std::to_string(value & 0xff);
}

bool Ipv4Prefix::overlaps(const Ipv4Prefix& other) const {
  uint8_t shorter = std::min(length, other.length);
  Ipv4Prefix a{address, shorter};
  return a.contains(other.address);
}

std::string Ipv4Prefix::to_string() const { return address.to_string() + "/" + std::to_string(length); }

std::optional<Ipv4Address> parse_ipv4(std::string_view text) {
  uint32_t value = 0;
  for (int octet = 0; octet < 4; ++octet) {
    std::size_t end = octet < 3 ? text.find('.') : text.size();
    if (end == std::string_view::npos) return std::nullopt;
    auto part = parse_small_decimal(text.substr(0, end), 255);
    if (!part) return std::nullopt;
    value = (value << 8) | *part;
    text.remove_prefix(octet < 3 ? end + 1 : end);
  }
  return Ipv4Address{value};
}

std::optional<Ipv4Prefix> parse_ipv4_prefix(std::string_view text) {
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto address = parse_ipv4(text.substr(0, slash));
  auto length = parse_small_decimal(text.substr(slash + 1), 32);
  if (!address || !length) return std::nullopt;
  return Ipv4Prefix{*address, static_cast<uint8_t>(*length)};
}

}  // namespace dplb::conf
