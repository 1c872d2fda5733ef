#include "conf/config_loader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "conf/config_rules.h"
#include "conf/config_schema.h"
#include "conf/did_you_mean.h"
#include "conf/proxy_values.h"
#include "conf/vdev_arguments.h"
#include "conf/vrrp_config.h"

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

// `lower` must not exceed `upper` (two [tcp] durations). The error is reported
// at, and worded from, the key the operator wrote; when both are written, at
// `blame`.
bool check_tcp_order(const TcpConfig& tcp, SourcePosition table, const std::string& lower_key, Duration lower,
                     const std::string& upper_key, Duration upper, const std::string& blame, Diagnostics& d) {
  if (lower.microseconds <= upper.microseconds) return true;
  const bool lower_written = tcp.positions.count(lower_key) != 0;
  const bool upper_written = tcp.positions.count(upper_key) != 0;
  const bool at_lower = lower_written && upper_written ? blame == lower_key : lower_written || !upper_written;
  if (at_lower) {
    d.error(key_position(tcp.positions, lower_key, table), "tcp." + lower_key + ": " + format_duration(lower) +
                                                               " is above tcp." + upper_key + " (" +
                                                               format_duration(upper) + ")");
  } else {
    d.error(key_position(tcp.positions, upper_key, table), "tcp." + upper_key + ": " + format_duration(upper) +
                                                               " is below tcp." + lower_key + " (" +
                                                               format_duration(lower) + ")");
  }
  return false;
}

void check_tcp(const Config& config, Diagnostics& d) {
  const TcpConfig& tcp = config.tcp;
  const SourcePosition table = key_position(config.positions, "tcp", {1, 1});
  // With min_rto above max_rto, where initial_rto stands says nothing more.
  if (check_tcp_order(tcp, table, "min_rto", tcp.min_rto, "max_rto", tcp.max_rto, "min_rto", d)) {
    check_tcp_order(tcp, table, "min_rto", tcp.min_rto, "initial_rto", tcp.initial_rto, "initial_rto", d);
    check_tcp_order(tcp, table, "initial_rto", tcp.initial_rto, "max_rto", tcp.max_rto, "initial_rto", d);
  }
  // Every worker draws the local ports of its connections to servers from
  // its own share of the range, so each one needs at least one port.
  const uint32_t ports = uint32_t{tcp.local_port_last} - tcp.local_port_first + 1;
  if (ports < config.dataplane.workers.size()) {
    SourcePosition where =
        key_position(tcp.positions, "local_ports", key_position(config.dataplane.positions, "workers", table));
    d.error(where, "tcp.local_ports: " + std::to_string(tcp.local_port_first) + ".." +
                       std::to_string(tcp.local_port_last) + " holds " + std::to_string(ports) + " port" +
                       (ports == 1 ? "" : "s") + " but dataplane.workers lists " +
                       std::to_string(config.dataplane.workers.size()) +
                       " workers; every worker needs at least one local port");
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

// Each worker owns one queue pair on every port, so a kernel-backed vdev must
// be asked for as many as there are workers; DPDK would only fail at boot.
void check_port_queues(const Config& config, const PortConfig& port, Diagnostics& d) {
  const auto pairs = vdev_queue_pairs(port.device);
  const std::size_t workers = config.dataplane.workers.size();
  if (!pairs || *pairs >= workers || !port.positions.count("device")) return;
  const std::string driver = vdev_driver(port.device);
  const std::string key = driver == "net_af_xdp" ? "queue_count" : "qpairs";
  std::string advice = "add " + key + "=" + std::to_string(workers) + " to the device string";
  if (driver == "net_af_xdp") {
    advice += " and give interface '" + vdev_interface(port.device) + "' that many queues (ethtool -L, or numrxqueues/numtxqueues for a veth)";
  }
  d.error(key_position(port.positions, "device", port.where),
          "port.device: " + port.device.name + " has " + std::to_string(*pairs) + " queue pair(s) but the " +
              std::to_string(workers) + " workers of dataplane.workers need one each; " + advice);
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
    check_port_queues(config, port, d);
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
      } else if (const std::string iface = vdev_interface(port.device);
                 !iface.empty() && iface == vdev_interface(earlier.device)) {
        d.error(key_position(port.positions, "device", port.where),
                "port.device: interface '" + iface + "' is already used by port '" + earlier.name + "'");
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

void check_static_arp(const Config& config, Diagnostics& d) {
  if (config.static_arp.size() > config.dataplane.arp_max_entries) {
    d.error(config.static_arp[config.dataplane.arp_max_entries].where,
            "arp: more [[arp]] entries than dataplane.arp_max_entries (" +
                std::to_string(config.dataplane.arp_max_entries) + ")");
  }
  for (std::size_t i = 0; i < config.static_arp.size(); ++i) {
    const StaticArpConfig& entry = config.static_arp[i];
    if (!entry.positions.count("address")) continue;
    const SourcePosition where = key_position(entry.positions, "address", entry.where);
    const std::string address = entry.address.to_string();
    int port = -1;
    if (entry.positions.count("port")) {
      for (std::size_t p = 0; p < config.ports.size(); ++p) {
        if (config.ports[p].name == entry.port) port = static_cast<int>(p);
      }
      if (port < 0) {
        std::vector<std::string> names;
        for (const auto& p : config.ports) names.push_back(p.name);
        std::string message = "arp.port: no [[port]] is named '" + entry.port + "'";
        auto matches = close_matches(entry.port, names, 1);
        if (!matches.empty()) message += "; did you mean '" + matches.front() + "'?";
        d.error(key_position(entry.positions, "port", entry.where), message);
        continue;
      }
      if (!config.ports[static_cast<std::size_t>(port)].address.contains(entry.address)) {
        d.error(where, "arp.address: " + address + " is not inside port '" + entry.port + "' subnet " +
                           config.ports[static_cast<std::size_t>(port)].address.to_string());
        continue;
      }
    } else if (config.port_for(entry.address) < 0) {
      d.error(where, "arp.address: " + address + " is not inside any port's subnet; a static entry must be on-link");
      continue;
    }
    for (const auto& p : config.ports) {
      if (p.address.address == entry.address) {
        d.error(where, "arp.address: " + address + " is port '" + p.name + "' own address");
      }
    }
    if (const VrrpConfig* owner = config.vrrp_owning(entry.address)) {
      d.error(where, "arp.address: " + address + " is a virtual address of [[vrrp]] '" + owner->name +
                         "', which dplb answers for itself");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (config.static_arp[j].address == entry.address) {
        d.error(where, "arp.address: " + address + " already has a static entry (line " +
                           std::to_string(config.static_arp[j].where.line) + ")");
      }
    }
  }
}

// The port a route or neighbour entry belongs to: the named one, or the one
// whose subnet holds `on_link`. Reports and returns -1 when there is none.
int resolve_port(const Config& config, const std::string& named, const KeyPositions& positions,
                 SourcePosition fallback, const std::string& section, Ipv4Address on_link, const std::string& what,
                 Diagnostics& d) {
  if (!positions.count("port")) {
    int port = config.port_for(on_link);
    if (port < 0) {
      d.error(key_position(positions, what, fallback), section + "." + what + ": " + on_link.to_string() +
                                                            " is not inside any port's subnet");
    }
    return port;
  }
  for (std::size_t p = 0; p < config.ports.size(); ++p) {
    if (config.ports[p].name != named) continue;
    if (!config.ports[p].address.contains(on_link)) {
      d.error(key_position(positions, what, fallback), section + "." + what + ": " + on_link.to_string() +
                                                            " is not inside port '" + named + "' subnet " +
                                                            config.ports[p].address.to_string());
      return -1;
    }
    return static_cast<int>(p);
  }
  std::vector<std::string> names;
  for (const auto& p : config.ports) names.push_back(p.name);
  std::string message = section + ".port: no [[port]] is named '" + named + "'";
  auto matches = close_matches(named, names, 1);
  if (!matches.empty()) message += "; did you mean '" + matches.front() + "'?";
  d.error(key_position(positions, "port", fallback), message);
  return -1;
}

void check_routes(const Config& config, Diagnostics& d) {
  for (std::size_t i = 0; i < config.routes.size(); ++i) {
    const RouteConfig& route = config.routes[i];
    if (!route.positions.count("destination") || !route.positions.count("gateway")) continue;
    if (resolve_port(config, route.port, route.positions, route.where, "route", route.gateway, "gateway", d) < 0) {
      continue;
    }
    const SourcePosition where = key_position(route.positions, "destination", route.where);
    if (const VrrpConfig* owner = config.vrrp_owning(route.gateway)) {
      d.error(key_position(route.positions, "gateway", route.where),
              "route.gateway: " + route.gateway.to_string() + " is a virtual address of [[vrrp]] '" + owner->name +
                  "'");
    }
    for (const auto& p : config.ports) {
      if (p.address.address == route.gateway) {
        d.error(key_position(route.positions, "gateway", route.where),
                "route.gateway: " + route.gateway.to_string() + " is port '" + p.name + "' own address");
      }
      if (Ipv4Prefix{p.address.network(), p.address.length} == route.destination) {
        d.error(where, "route.destination: " + route.destination.to_string() + " is port '" + p.name +
                           "' connected subnet");
      }
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (config.routes[j].destination == route.destination) {
        d.error(where, "route.destination: " + route.destination.to_string() + " already has a route (line " +
                           std::to_string(config.routes[j].where.line) + ")");
      }
    }
  }
}

// ---- HTTP proxy ----------------------------------------------------------

// `what.name: duplicate ...` for every item whose name repeats an earlier one.
template <class Item>
void check_unique_names(const std::vector<Item>& items, const std::string& what, const std::string& path,
                        const std::string& scope, Diagnostics& d) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].positions.count("name")) continue;
    for (std::size_t j = 0; j < i; ++j) {
      if (items[j].positions.count("name") && items[j].name == items[i].name) {
        d.error(key_position(items[i].positions, "name", items[i].where),
                path + ".name: duplicate " + what + " name '" + items[i].name + "'" + scope +
                    " (first defined at line " + std::to_string(items[j].where.line) + ")");
        break;
      }
    }
  }
}

void check_default_backends(const Config& config, Diagnostics& d) {
  std::vector<std::string> names;
  for (const auto& b : config.backends) {
    // A backend whose name was refused cannot be told apart from a missing
    // one; its own error is enough.
    if (!b.positions.count("name")) return;
    names.push_back(b.name);
  }
  for (const auto& f : config.frontends) {
    if (!f.positions.count("default_backend")) continue;
    if (std::find(names.begin(), names.end(), f.default_backend) != names.end()) continue;
    std::string message = "frontend.default_backend: no [[backend]] is named '" + f.default_backend + "'";
    if (names.empty()) {
      message += "; the file defines no [[backend]]";
    } else {
      auto matches = close_matches(f.default_backend, names, 1);
      if (!matches.empty()) message += "; did you mean '" + matches.front() + "'?";
    }
    d.error(key_position(f.positions, "default_backend", f.where), message);
  }
}

void check_binds(const Config& config, Diagnostics& d) {
  std::vector<std::string> port_addresses;
  for (const auto& p : config.ports) {
    if (p.positions.count("address")) port_addresses.push_back(p.address.address.to_string());
  }
  std::vector<std::string> virtual_addresses;
  for (const auto& v : config.vrrp) {
    for (const auto& a : v.virtual_addresses) virtual_addresses.push_back(a.address.to_string());
  }
  struct Bound {
    Endpoint endpoint;
    const FrontendConfig* frontend;
    SourcePosition where;
  };
  std::vector<Bound> bound;
  const TcpConfig& tcp = config.tcp;
  for (const auto& f : config.frontends) {
    for (std::size_t k = 0; k < f.bind.size() && k < f.bind_positions.size(); ++k) {
      const Endpoint& e = f.bind[k];
      const SourcePosition where = f.bind_positions[k];
      const std::string shown = format_endpoint(e);
      const std::string address = e.address.to_string();
      if (e.address.value != 0 &&
          std::find(port_addresses.begin(), port_addresses.end(), address) == port_addresses.end() &&
          std::find(virtual_addresses.begin(), virtual_addresses.end(), address) == virtual_addresses.end()) {
        std::string list;
        for (const auto& a : port_addresses) list += (list.empty() ? "" : ", ") + a;
        for (const auto& a : virtual_addresses) list += (list.empty() ? "" : ", ") + a;
        d.error(where, "frontend.bind: " + address + " is not an address of any [[port]] nor a virtual address " +
                           "of any [[vrrp]]" + (list.empty() ? "" : " (" + list + ")") +
                           "; listen on one of those or on *:" + std::to_string(e.port));
      }
      if (e.port >= tcp.local_port_first && e.port <= tcp.local_port_last) {
        d.error(where, "frontend.bind: port " + std::to_string(e.port) + " is inside tcp.local_ports " +
                           std::to_string(tcp.local_port_first) + ".." + std::to_string(tcp.local_port_last) +
                           ", the ports dplb's own connections to servers use; change tcp.local_ports to leave it "
                           "out");
      }
      for (const auto& earlier : bound) {
        const Endpoint& o = earlier.endpoint;
        if (o.port != e.port) continue;
        if (o.address != e.address && o.address.value != 0 && e.address.value != 0) continue;
        const std::string owner = " by frontend '" + earlier.frontend->name + "' (line " +
                                  std::to_string(earlier.where.line) + ")";
        d.error(where, "frontend.bind: " + shown +
                           (o.address == e.address ? " is already bound" + owner
                                                   : " overlaps " + format_endpoint(o) + ", bound" + owner));
        break;
      }
      bound.push_back({e, &f, where});
    }
  }
}

void check_server_address(const Config& config, const ServerConfig& server, Diagnostics& d) {
  if (!server.positions.count("address")) return;
  const Ipv4Address a = server.address.address;
  const SourcePosition where = key_position(server.positions, "address", server.where);
  const std::string shown = a.to_string();
  for (const auto& p : config.ports) {
    if (!p.positions.count("address")) continue;
    if (p.address.address == a) {
      d.error(where, "backend.server.address: " + shown + " is port '" + p.name + "' own address");
      return;
    }
    const Ipv4Prefix subnet{p.address.network(), p.address.length};
    if (p.address.length <= 30 && (a == p.address.network() || a == p.address.broadcast())) {
      d.error(where, "backend.server.address: " + shown + " is the " +
                         (a == p.address.network() ? "network" : "broadcast") + " address of port '" + p.name +
                         "' subnet " + subnet.to_string());
      return;
    }
  }
  if (const VrrpConfig* owner = config.vrrp_owning(a)) {
    d.error(where, "backend.server.address: " + shown + " is a virtual address of [[vrrp]] '" + owner->name + "'");
    return;
  }
  if (!config.has_route(a)) {
    d.error(where, "backend.server.address: no route to " + shown +
                       ": it is outside every [[port]] subnet, no [[route]] covers it and no port has a gateway");
  }
}

// As in HAProxy, observing traffic only feeds the health of servers that are
// checked: a server it took out of service comes back only through checks.
void check_observe(const BackendConfig& backend, Diagnostics& d) {
  const HealthCheckConfig& check = backend.health_check;
  auto at = check.positions.find("observe");
  if (at == check.positions.end() || check.observe == ObserveMode::none || backend.servers.empty()) return;
  for (const auto& server : backend.servers) {
    if (server.check) return;
  }
  d.error(at->second, std::string("backend.health_check.observe: \"") + observe_mode_name(check.observe) +
                          "\" acts only on servers with check = true, and no server of backend '" + backend.name +
                          "' has it; add check = true to the servers to observe (only a check can bring back a "
                          "server that observe took out of service)");
}

// Which binds terminate TLS: a string bind when its frontend has
// [frontend.tls], a table bind as its `tls` says.
void resolve_tls_binds(Config& config, Diagnostics& d) {
  for (auto& f : config.frontends) {
    f.bind_tls.assign(f.bind.size(), false);
    for (std::size_t k = 0; k < f.bind.size() && k < f.bind_tls_written.size(); ++k) {
      const int8_t written = f.bind_tls_written[k];
      f.bind_tls[k] = written < 0 ? f.tls.has_value() : written == 1;
      if (written == 1 && !f.tls) {
        d.error(k < f.bind_positions.size() ? f.bind_positions[k] : f.where,
                "frontend.bind: " + format_endpoint(f.bind[k]) + " has tls = true but frontend '" + f.name +
                    "' has no [frontend.tls] with its certificates");
      }
    }
    if (f.tls && std::none_of(f.bind_tls.begin(), f.bind_tls.end(), [](bool b) { return b; }) && !f.bind.empty()) {
      d.warning(f.tls->where, "frontend.tls: frontend '" + f.name +
                                  "' has certificates but every bind says tls = false; no connection uses them");
    }
  }
}

void check_proxy(Config& config, Diagnostics& d) {
  resolve_tls_binds(config, d);
  check_unique_names(config.frontends, "frontend", "frontend", "", d);
  check_unique_names(config.backends, "backend", "backend", "", d);
  check_default_backends(config, d);
  check_binds(config, d);
  for (const auto& b : config.backends) {
    if (b.servers.empty()) {
      d.error(b.where, "backend: '" + b.name + "' has no server; add at least one [[backend.server]] after it");
    }
    check_unique_names(b.servers, "server", "backend.server", " in backend '" + b.name + "'", d);
    for (const auto& server : b.servers) check_server_address(config, server, d);
    check_observe(b, d);
    if (b.retry_backoff.base.microseconds > b.retry_backoff.max.microseconds) {
      d.error(key_position(b.positions, "retry_backoff", b.where),
              "backend.retry_backoff: base " + format_duration(b.retry_backoff.base) + " is over max " +
                  format_duration(b.retry_backoff.max) + " in backend '" + b.name +
                  "'; max caps every wait, so it must be at least base");
    }
  }
  compile_http_rules(config, d);
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
  check_tcp(config, result.diagnostics);
  check_ports(config, root.contains("port"), result.diagnostics);
  check_static_arp(config, result.diagnostics);
  check_routes(config, result.diagnostics);
  check_proxy(config, result.diagnostics);
  check_vrrp(config, result.diagnostics);
  if (!result.diagnostics.has_errors()) result.config = std::move(config);
  return result;
}

LoadResult load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result{std::nullopt, Diagnostics(path)};
    result.diagnostics.error({0, 0}, std::string("cannot read the file: ") + std::strerror(errno));
    return result;
  }
  std::ostringstream content;
  content << in.rdbuf();
  return load_config_text(content.str(), path);
}

}  // namespace dplb::conf
