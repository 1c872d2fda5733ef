#include "conf/config_sections.h"

#include "conf/mac_address.h"
#include "conf/vdev_arguments.h"

namespace dplb::conf {
namespace {

std::string convert_prefix(const std::string& text, Ipv4Prefix& out) {
  auto prefix = parse_ipv4_prefix(text);
  if (!prefix) return "'" + text + "' is not an IPv4 address with a prefix length, like 10.99.1.2/24";
  if (prefix->length == 0) return "'" + text + "' has prefix length 0";
  out = *prefix;
  return "";
}

std::string convert_address(const std::string& text, std::optional<Ipv4Address>& out) {
  auto address = parse_ipv4(text);
  if (!address) return "'" + text + "' is not an IPv4 address, like 10.99.1.1";
  out = *address;
  return "";
}

std::string convert_device(const std::string& text, DeviceName& out) {
  std::string error;
  auto device = parse_device_name(text, &error);
  if (!device) return error;
  if (std::string bad = check_vdev_arguments(*device); !bad.empty()) return bad;
  out = *device;
  return "";
}

std::string convert_mac(const std::string& text, Mac& out) {
  auto mac = parse_mac(text);
  if (!mac) return "'" + text + "' is not a MAC address, like 02:99:02:00:00:0b";
  if ((*mac)[0] & 0x01) return "'" + text + "' is a multicast or broadcast address, not a host's";
  if (*mac == Mac{}) return "'" + text + "' is the all-zero address";
  out = *mac;
  return "";
}

std::string convert_any_prefix(const std::string& text, Ipv4Prefix& out) {
  auto prefix = parse_ipv4_prefix(text);
  if (!prefix) return "'" + text + "' is not an IPv4 prefix, like 192.0.2.0/24 or 0.0.0.0/0";
  if (prefix->address != prefix->network()) {
    return "'" + text + "' has host bits set; did you mean " + Ipv4Prefix{prefix->network(), prefix->length}.to_string() +
           "?";
  }
  out = *prefix;
  return "";
}

}  // namespace

TableSchema<PortConfig> port_schema() {
  TableSchema<PortConfig> s("[[port]]", "port");
  s.required("name", string_as<PortConfig, std::string>(&PortConfig::name, "string", "1-32 of [A-Za-z0-9_.-]",
                                                        convert_name))
      .required("device", string_as<PortConfig, DeviceName>(&PortConfig::device, "string",
                                                             "PCI address or DPDK vdev", convert_device))
      .required("address", string_as<PortConfig, Ipv4Prefix>(&PortConfig::address, "string (IPv4 prefix)",
                                                             "A.B.C.D/1..32", convert_prefix))
      .optional("gateway", string_as<PortConfig, std::optional<Ipv4Address>>(
                               &PortConfig::gateway, "string (IPv4 address)", "inside the port's subnet",
                               convert_address))
      .optional("mtu", integer_in(&PortConfig::mtu, 68, 9600))
      .optional("rx_descriptors", integer_in(&PortConfig::rx_descriptors, 64, 16384))
      .optional("tx_descriptors", integer_in(&PortConfig::tx_descriptors, 64, 16384));
  return s;
}

TableSchema<StaticArpConfig> static_arp_schema() {
  TableSchema<StaticArpConfig> s("[[arp]]", "arp");
  s.required("address", string_as<StaticArpConfig, Ipv4Address>(&StaticArpConfig::address, "string (IPv4 address)",
                                                                 "inside a port's subnet", convert_host_address))
      .required("mac", string_as<StaticArpConfig, Mac>(&StaticArpConfig::mac, "string (MAC address)",
                                                       "unicast, not all zeros", convert_mac))
      .optional("port", string_as<StaticArpConfig, std::string>(&StaticArpConfig::port, "string (port name)",
                                                                "a [[port]] name", convert_name));
  return s;
}

TableSchema<RouteConfig> route_schema() {
  TableSchema<RouteConfig> s("[[route]]", "route");
  s.required("destination", string_as<RouteConfig, Ipv4Prefix>(&RouteConfig::destination, "string (IPv4 prefix)",
                                                               "network address/0..32", convert_any_prefix))
      .required("gateway", string_as<RouteConfig, Ipv4Address>(&RouteConfig::gateway, "string (IPv4 address)",
                                                               "inside a port's subnet", convert_host_address))
      .optional("port", string_as<RouteConfig, std::string>(&RouteConfig::port, "string (port name)",
                                                            "a [[port]] name whose subnet holds the gateway",
                                                            convert_name));
  return s;
}

}  // namespace dplb::conf
