#include "conf/config_loader.h"

#include <fstream>
#include <sstream>

#include "conf/config_schema.h"

namespace dplb::conf {
namespace {

SourcePosition key_position(const KeyPositions& positions, const std::string& key, SourcePosition fallback) {
  auto it = positions.find(key);
  return it == positions.end() ? fallback : it->second;
}

void check_dataplane(const DataplaneConfig& dp, Diagnostics& d) {
  for (uint32_t worker : dp.workers) {
    if (worker == dp.control_lcore) {
      SourcePosition where = key_position(dp.positions, "control_lcore", key_position(dp.positions, "workers", {1, 1}));
      d.error(where, "dataplane.control_lcore: lcore " + std::to_string(worker) +
                         " is also in dataplane.workers; the control plane must not share a core with a "
                         "poll-mode worker");
    }
  }
}

void check_port(const PortConfig& port, Diagnostics& d) {
  const Ipv4Prefix& a = port.address;
  if (port.positions.count("address") && a.length <= 30 && (a.address == a.network() || a.address == a.broadcast())) {
    d.error(key_position(port.positions, "address", port.where),
            "port.address: " + a.to_string() + " is the subnet's " +
                (a.address == a.network() ? "network" : "broadcast") + " address, not a host address");
  }
  if (port.gateway && port.positions.count("address")) {
    SourcePosition where = key_position(port.positions, "gateway", port.where);
    if (!a.contains(*port.gateway)) {
      d.error(where, "port.gateway: " + port.gateway->to_string() + " is not inside the port's subnet " +
                         Ipv4Prefix{a.network(), a.length}.to_string());
    } else if (*port.gateway == a.address) {
      d.error(where, "port.gateway: " + port.gateway->to_string() + " is the port's own address");
    }
  }
}

void check_ports(const Config& config, bool port_key_written, Diagnostics& d) {
  if (config.ports.empty() && !port_key_written) {
    d.error({1, 1}, "no [[port]] is defined; dplb needs at least one port to serve on");
    return;
  }
  for (std::size_t i = 0; i < config.ports.size(); ++i) {
    const PortConfig& port = config.ports[i];
    if (i == kMaxPorts) {
      d.error(port.where, "port: at most " + std::to_string(kMaxPorts) + " ports are supported");
    }
    check_port(port, d);
    for (std::size_t j = 0; j < i; ++j) {
      const PortConfig& earlier = config.ports[j];
      if (!port.name.empty() && port.name == earlier.name) {
        d.error(key_position(port.positions, "name", port.where),
                "port.name: duplicate port name '" + port.name + "' (first defined at line " +
                    std::to_string(earlier.where.line) + ")");
      }
      if (!port.device.name.empty() && port.device.name == earlier.device.name) {
        d.error(key_position(port.positions, "device", port.where),
                "port.device: device '" + port.device.name + "' is already used by port '" + earlier.name + "'");
      }
      if (port.positions.count("address") && earlier.positions.count("address") &&
          port.address.overlaps(earlier.address)) {
        d.error(key_position(port.positions, "address", port.where),
                "port.address: " + port.address.to_string() + " overlaps port '" + earlier.name + "' (" +
                    earlier.address.to_string() + ")");
      }
    }
  }
}

}  // namespace

LoadResult load_config_text(std::string_view text, const std::string& name) {
  LoadResult result{std::nullopt, Diagnostics(name)};
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    result.diagnostics.error({e.source().begin.line, e.source().begin.column},
                             "TOML syntax error: " + std::string(e.description()));
    return result;
  }
  Config config;
  config.file = name;
  config_schema().decode(root, config, result.diagnostics);
  check_dataplane(config.dataplane, result.diagnostics);
  check_ports(config, root.contains("port"), result.diagnostics);
  if (result.diagnostics.empty()) result.config = std::move(config);
  return result;
}

LoadResult load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result{std::nullopt, Diagnostics(path)};
    result.diagnostics.error({0, 0}, "cannot read the file");
    return result;
  }
  std::ostringstream content;
  content << in.rdbuf();
  return load_config_text(content.str(), path);
}

}  // namespace dplb::conf
