#include "conf/vdev_arguments.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "conf/did_you_mean.h"

namespace dplb::conf {
namespace {

enum class ValueKind { interface, count, flag, file };

struct KeySpec {
  const char* key;
  ValueKind kind;
  long min;
  long max;
};

struct DriverSpec {
  const char* driver;
  std::vector<KeySpec> keys;
};

// The arguments of DPDK 22.11's drivers (drivers/net/af_packet and
// drivers/net/af_xdp), with the ranges those drivers accept.
const std::vector<DriverSpec>& driver_specs() {
  static const std::vector<DriverSpec> specs = {
      {"net_af_packet",
       {{"iface", ValueKind::interface, 0, 0},
        {"qpairs", ValueKind::count, 1, 16},
        {"blocksz", ValueKind::count, 1, 1L << 30},
        {"framesz", ValueKind::count, 1, 1L << 30},
        {"framecnt", ValueKind::count, 1, 1L << 30},
        {"qdisc_bypass", ValueKind::flag, 0, 1}}},
      {"net_af_xdp",
       {{"iface", ValueKind::interface, 0, 0},
        {"start_queue", ValueKind::count, 0, 1023},
        {"queue_count", ValueKind::count, 1, 1024},
        {"shared_umem", ValueKind::flag, 0, 1},
        {"xdp_prog", ValueKind::file, 0, 0},
        {"busy_budget", ValueKind::count, 0, 65535},
        {"force_copy", ValueKind::flag, 0, 1}}},
  };
  return specs;
}

const DriverSpec* spec_of(const std::string& driver) {
  for (const auto& spec : driver_specs()) {
    if (driver == spec.driver) return &spec;
  }
  return nullptr;
}

std::string key_list(const DriverSpec& spec) {
  std::string out;
  for (const auto& k : spec.keys) out += (out.empty() ? "" : ", ") + std::string(k.key);
  return out;
}

bool parse_number(const std::string& text, long* out) {
  if (text.empty() || text.size() > 12) return false;
  long value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

std::string check_value(const KeySpec& k, const std::string& value) {
  switch (k.kind) {
    case ValueKind::interface:
      // IFNAMSIZ is 16 with the terminating NUL.
      if (value.empty() || value.size() > 15) return "must name a Linux interface of 1 to 15 characters";
      for (char c : value) {
        if (c == '/' || std::isspace(static_cast<unsigned char>(c))) return "'" + value + "' is not an interface name";
      }
      return "";
    case ValueKind::count:
    case ValueKind::flag: {
      long n = 0;
      if (!parse_number(value, &n) || n < k.min || n > k.max) {
        return "'" + value + "' is not " + (k.kind == ValueKind::flag ? "0 or 1" :
               "an integer in " + std::to_string(k.min) + ".." + std::to_string(k.max));
      }
      return "";
    }
    case ValueKind::file:
      if (value.empty()) return "must be the path of a compiled XDP program (an ELF .o file)";
      if (::access(value.c_str(), R_OK) != 0) return "cannot read '" + value + "': " + std::strerror(errno);
      return "";
  }
  return "";
}

}  // namespace

std::optional<std::string> VdevArguments::get(const std::string& key) const {
  for (const auto& item : items) {
    if (item.key == key) return item.value;
  }
  return std::nullopt;
}

std::optional<VdevArguments> split_vdev_arguments(const std::string& args, std::string* error) {
  VdevArguments out;
  if (args.empty()) return out;
  std::size_t at = 0;
  while (at <= args.size()) {
    std::size_t end = args.find(',', at);
    if (end == std::string::npos) end = args.size();
    const std::string item = args.substr(at, end - at);
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      *error = "argument '" + item + "' is not key=value";
      return std::nullopt;
    }
    out.items.push_back({item.substr(0, eq), item.substr(eq + 1)});
    at = end + 1;
  }
  return out;
}

std::string vdev_driver(const DeviceName& device) {
  if (device.kind != DeviceName::Kind::vdev) return "";
  std::string name = device.name;
  while (!name.empty() && std::isdigit(static_cast<unsigned char>(name.back()))) name.pop_back();
  return name;
}

std::string check_vdev_arguments(const DeviceName& device) {
  const DriverSpec* spec = spec_of(vdev_driver(device));
  if (spec == nullptr) return "";
  const std::string label = device.name + ": ";
  std::string error;
  auto args = split_vdev_arguments(device.args, &error);
  if (!args) return label + error;
  std::vector<std::string> known;
  for (const auto& k : spec->keys) known.emplace_back(k.key);
  for (std::size_t i = 0; i < args->items.size(); ++i) {
    const VdevArgument& item = args->items[i];
    const KeySpec* k = nullptr;
    for (const auto& candidate : spec->keys) {
      if (item.key == candidate.key) k = &candidate;
    }
    if (k == nullptr) {
      std::string hint;
      if (auto close = close_matches(item.key, known, 1); !close.empty()) hint = "did you mean '" + close[0] + "'? ";
      return label + "unknown argument '" + item.key + "'; " + hint + spec->driver + " takes " + key_list(*spec);
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (args->items[j].key == item.key) return label + "argument '" + item.key + "' is given twice";
    }
    if (std::string bad = check_value(*k, item.value); !bad.empty()) return label + item.key + ": " + bad;
  }
  if (!args->get("iface")) {
    return label + spec->driver + " needs iface=<Linux interface>, like " + device.name + ",iface=eth1";
  }
  return "";
}

std::optional<unsigned> vdev_queue_pairs(const DeviceName& device) {
  const std::string driver = vdev_driver(device);
  const char* key = driver == "net_af_packet" ? "qpairs" : driver == "net_af_xdp" ? "queue_count" : nullptr;
  if (key == nullptr) return std::nullopt;
  std::string error;
  auto args = split_vdev_arguments(device.args, &error);
  long n = 1;
  if (args) {
    if (auto value = args->get(key); value && !parse_number(*value, &n)) n = 1;
  }
  return static_cast<unsigned>(n);
}

std::string vdev_interface(const DeviceName& device) {
  const std::string driver = vdev_driver(device);
  if (driver != "net_af_packet" && driver != "net_af_xdp") return "";
  std::string error;
  auto args = split_vdev_arguments(device.args, &error);
  if (!args) return "";
  return args->get("iface").value_or("");
}

}  // namespace dplb::conf
