#include "conf/mac_address.h"

#include <cctype>
#include <cstdio>

namespace dplb::conf {

std::optional<Mac> parse_mac(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  Mac mac{};
  const char separator = text[2];
  if (separator != ':' && separator != '-') return std::nullopt;
  for (std::size_t i = 0; i < 6; ++i) {
    const char hi = text[i * 3];
    const char lo = text[i * 3 + 1];
    if (!std::isxdigit(static_cast<unsigned char>(hi)) || !std::isxdigit(static_cast<unsigned char>(lo))) {
      return std::nullopt;
    }
    if (i < 5 && text[i * 3 + 2] != separator) return std::nullopt;
    auto nibble = [](char c) { return static_cast<uint8_t>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(static_cast<unsigned char>(c)) - 'a' + 10)); };
    mac[i] = static_cast<uint8_t>(nibble(hi) << 4 | nibble(lo));
  }
  return mac;
}

std::string format_mac(const Mac& mac) {
  char text[18];
  std::snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return text;
}

}  // namespace dplb::conf
