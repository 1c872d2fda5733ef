#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dplb::conf {

// What a [[port]] device string names: a PCI function handed to a poll-mode
// driver, or a DPDK virtual device (net_af_packet, net_tap, net_null, ...).
struct DeviceName {
  enum class Kind { pci, vdev };

  Kind kind = Kind::vdev;
  std::string name;  // "0000:03:00.0" or "net_af_packet0": what EAL names the port
  std::string args;  // vdev arguments after the first comma, empty for PCI
  std::string text;  // as written in the configuration

  bool operator==(const DeviceName&) const = default;
};

// PCI addresses are normalised to carry a domain ("03:00.0" -> "0000:03:00.0")
// so the same NIC written two ways is recognised as one device.
std::optional<DeviceName> parse_device_name(std::string_view text, std::string* error);

}  // namespace dplb::conf
