#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conf/device_name.h"
#include "conf/diagnostics.h"
#include "conf/ipv4_address.h"

namespace dplb::conf {

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

struct Config {
  std::string file;
  DataplaneConfig dataplane;
  ConsoleConfig console;
  LogConfig log;
  std::vector<PortConfig> ports;
  KeyPositions positions;
};

}  // namespace dplb::conf
