#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conf/device_name.h"
#include "conf/diagnostics.h"
#include "conf/duration.h"
#include "conf/mac_address.h"
#include "conf/ipv4_address.h"

namespace dplb::conf {

// Ports one appliance drives; workers keep fixed per-port counter arrays.
inline constexpr std::size_t kMaxPorts = 16;

// Where each key of a table was written, so checks that span several keys
// (duplicates, references) can still point at the right line.
using KeyPositions = std::map<std::string, SourcePosition>;

struct DataplaneConfig {
  std::vector<uint32_t> workers{1};
  uint32_t control_lcore = 0;
  bool hugepages = true;
  uint32_t memory_mb = 1024;
  uint32_t idle_sleep_us = 0;
  std::vector<std::string> eal_args;
  Duration arp_timeout{300'000'000};  // how long a learned neighbour is trusted before it is probed
  Duration arp_retry{1'000'000};      // first retry of a probe; doubles while resolving
  uint32_t arp_probes = 3;            // unanswered probes before an entry is given up
  uint32_t arp_max_entries = 4096;
  KeyPositions positions;
};

struct ConsoleConfig {
  std::string socket = "/run/dplb/dplb.sock";
  std::string prompt = "dplb> ";
  KeyPositions positions;
};

struct LogConfig {
  std::string level = "info";
  std::string file;  // empty: standard error
  KeyPositions positions;
};

struct PortConfig {
  std::string name;
  DeviceName device;
  Ipv4Prefix address;
  std::optional<Ipv4Address> gateway;
  uint32_t mtu = 1500;
  uint32_t rx_descriptors = 1024;
  uint32_t tx_descriptors = 1024;
  SourcePosition where;
  KeyPositions positions;
};

// A permanent ARP entry, as `arp -s` or a router's static ARP.
struct StaticArpConfig {
  Ipv4Address address;
  Mac mac{};
  std::string port;  // empty: the port whose subnet holds the address
  SourcePosition where;
  KeyPositions positions;
};

// A static route: traffic for `destination` goes to `gateway`, an on-link
// neighbour of one of the ports.
struct RouteConfig {
  Ipv4Prefix destination;
  Ipv4Address gateway;
  std::string port;  // empty: the port whose subnet holds the gateway
  SourcePosition where;
  KeyPositions positions;
};

struct Config {
  std::string file;
  DataplaneConfig dataplane;
  ConsoleConfig console;
  LogConfig log;
  std::vector<PortConfig> ports;
  std::vector<StaticArpConfig> static_arp;
  std::vector<RouteConfig> routes;
  KeyPositions positions;

  // Index of the port whose subnet contains `a`, or -1.
  int port_for(Ipv4Address a) const {
    for (std::size_t i = 0; i < ports.size(); ++i) {
      if (ports[i].address.contains(a)) return static_cast<int>(i);
    }
    return -1;
  }
};

}  // namespace dplb::conf
