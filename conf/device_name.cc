#include "conf/device_name.h"

#include <cctype>

namespace dplb::conf {
namespace {

bool all_hex(std::string_view s, std::size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// [DDDD:]BB:DD.F
std::optional<std::string> normalise_pci(std::string_view text) {
  std::string_view rest = text;
  std::string domain = "0000";
  if (rest.size() == 12) {
    if (!all_hex(rest.substr(0, 4), 4) || rest[4] != ':') return std::nullopt;
    domain = std::string(rest.substr(0, 4));
    rest.remove_prefix(5);
  }
  if (rest.size() != 7 || !all_hex(rest.substr(0, 2), 2) || rest[2] != ':' || !all_hex(rest.substr(3, 2), 2) ||
      rest[5] != '.' || rest[6] < '0' || rest[6] > '7') {
    return std::nullopt;
  }
  std::string out = domain + ":" + std::string(rest);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<DeviceName> parse_device_name(std::string_view text, std::string* error) {
  if (auto pci = normalise_pci(text)) {
    return DeviceName{DeviceName::Kind::pci, *pci, "", std::string(text)};
  }
  std::size_t comma = text.find(',');
  std::string_view name = text.substr(0, comma);
  std::string_view args = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  // EAL identifies a vdev by driver name plus an instance number, and two
  // ports with the same instance name would collide at boot.
  bool shaped = name.size() > 4 && name.substr(0, 4) == "net_" &&
                std::isdigit(static_cast<unsigned char>(name.back()));
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') shaped = false;
  }
  if (!shaped) {
    *error = "'" + std::string(text) +
             "' is neither a PCI address (like 0000:03:00.0) nor a DPDK virtual device "
             "(like net_af_packet0,iface=eth1)";
    return std::nullopt;
  }
  if (comma != std::string_view::npos && args.empty()) {
    *error = "'" + std::string(text) + "' has an empty argument list after ','";
    return std::nullopt;
  }
  return DeviceName{DeviceName::Kind::vdev, std::string(name), std::string(args), std::string(text)};
}

}  // namespace dplb::conf
