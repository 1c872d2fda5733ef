#include "conf/config_sections.h"

namespace dplb::conf {

std::string convert_name(const std::string& text, std::string& out) {
  if (text.empty() || text.size() > 32) return "a name must be 1 to 32 characters";
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.';
    if (!ok) return "'" + text + "' may only contain letters, digits, '_', '-' and '.'";
  }
  out = text;
  return "";
}

std::string convert_host_address(const std::string& text, Ipv4Address& out) {
  auto address = parse_ipv4(text);
  if (!address) return "'" + text + "' is not an IPv4 address, like 10.99.2.11";
  out = *address;
  return "";
}

}  // namespace dplb::conf
