#pragma once

#include <optional>
#include <string>
#include <vector>

#include "conf/device_name.h"

namespace dplb::conf {

// The key=value arguments of a DPDK virtual device string, checked against
// what the driver accepts. DPDK's own check happens at boot, inside
// rte_eal_init, and only says "failed to parse"; checking here lets --check
// name the bad key. Only the drivers dplb documents (net_af_packet,
// net_af_xdp) are checked; any other vdev is passed through as written.
struct VdevArgument {
  std::string key;
  std::string value;
};

struct VdevArguments {
  std::vector<VdevArgument> items;
  // The value of `key`, or nullopt.
  std::optional<std::string> get(const std::string& key) const;
};

// Splits "iface=front,qpairs=2" into its items. Fails on an item without '='
// or with an empty key.
std::optional<VdevArguments> split_vdev_arguments(const std::string& args, std::string* error);

// The driver part of an EAL vdev name: "net_af_xdp" for "net_af_xdp0".
std::string vdev_driver(const DeviceName& device);

// "" when the arguments suit the driver, else what is wrong and what the
// driver takes.
std::string check_vdev_arguments(const DeviceName& device);

// How many receive/transmit queue pairs the device string asks for
// (net_af_packet's qpairs, net_af_xdp's queue_count, 1 when absent), or
// nullopt for a device whose queues come from the hardware.
std::optional<unsigned> vdev_queue_pairs(const DeviceName& device);

// The Linux interface a kernel-backed vdev (net_af_packet, net_af_xdp) sits
// on, or "".
std::string vdev_interface(const DeviceName& device);

}  // namespace dplb::conf
