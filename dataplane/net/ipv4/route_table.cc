#include "dataplane/net/ipv4/route_table.h"

#include <rte_errno.h>
#include <rte_lpm.h>

#include <atomic>

namespace dplb::dataplane {

const char* route_origin_name(Route::Origin origin) {
  switch (origin) {
    case Route::Origin::connected: return "connected";
    case Route::Origin::static_route: return "static";
    case Route::Origin::port_gateway: return "port-gateway";
  }
  return "?";
}

RouteTable::~RouteTable() { rte_lpm_free(lpm_); }

std::string RouteTable::build(const conf::Config& config, int socket) {
  // Precedence for one prefix: connected, then static, then port gateways in
  // file order. The first of each prefix is active; the others are listed as
  // standby so an operator sees what the configuration asked for.
  for (uint16_t p = 0; p < config.ports.size(); ++p) {
    const auto& a = config.ports[p].address;
    routes_.push_back({conf::Ipv4Prefix{a.network(), a.length}, p, std::nullopt, Route::Origin::connected, false});
  }
  for (const auto& r : config.routes) {
    int port = -1;
    for (std::size_t p = 0; p < config.ports.size(); ++p) {
      const bool named = !r.port.empty() && config.ports[p].name == r.port;
      if (named || (r.port.empty() && config.ports[p].address.contains(r.gateway))) {
        port = static_cast<int>(p);
        break;
      }
    }
    if (port < 0) return "route " + r.destination.to_string() + ": no port reaches gateway " + r.gateway.to_string();
    routes_.push_back({r.destination, static_cast<uint16_t>(port), r.gateway.value, Route::Origin::static_route, false});
  }
  for (uint16_t p = 0; p < config.ports.size(); ++p) {
    if (config.ports[p].gateway) {
      routes_.push_back({conf::Ipv4Prefix{{0}, 0}, p, config.ports[p].gateway->value, Route::Origin::port_gateway, false});
    }
  }

  static std::atomic<unsigned> instance{0};
  const std::string name = "routes" + std::to_string(instance++);
  rte_lpm_config lpm_config{};
  lpm_config.max_rules = static_cast<uint32_t>(routes_.size()) + 16;
  lpm_config.number_tbl8s = 256;
  lpm_ = rte_lpm_create(name.c_str(), socket, &lpm_config);
  if (lpm_ == nullptr) return std::string("cannot create the route table: ") + rte_strerror(rte_errno);
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    Route& route = routes_[i];
    bool shadowed = false;
    for (std::size_t j = 0; j < i; ++j) shadowed |= routes_[j].destination == route.destination;
    if (shadowed) continue;
    route.active = true;
    if (route.destination.length == 0) {
      default_route_ = i;
      continue;
    }
    if (int rc = rte_lpm_add(lpm_, route.destination.address.value, route.destination.length, static_cast<uint32_t>(i));
        rc != 0) {
      return "cannot add route " + route.destination.to_string() + ": " + rte_strerror(-rc);
    }
  }
  return "";
}

std::optional<NextHop> RouteTable::lookup(uint32_t destination) const {
  uint32_t index = 0;
  if (lpm_ == nullptr) return std::nullopt;
  if (rte_lpm_lookup(lpm_, destination, &index) != 0) {
    if (!default_route_) return std::nullopt;
    index = static_cast<uint32_t>(*default_route_);
  }
  const Route& route = routes_[index];
  return NextHop{route.port, route.gateway ? *route.gateway : destination};
}

}  // namespace dplb::dataplane
