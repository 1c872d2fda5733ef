#pragma once

// IPv4 routes of the appliance: each port's connected subnet, the static
// [[route]]s, and a default route through each port's `gateway`. Longest
// prefix match is DPDK's rte_lpm. Built once from the configuration by the
// control plane and immutable afterwards, so workers may look up in it
// without coordination.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conf/config.h"

struct rte_lpm;

namespace dplb::dataplane {

struct Route {
  enum class Origin { connected, static_route, port_gateway };

  conf::Ipv4Prefix destination;
  uint16_t port = 0;
  std::optional<uint32_t> gateway;  // host order; none for connected routes
  Origin origin = Origin::connected;
  bool active = false;  // false: shadowed by a route for the same prefix
};

const char* route_origin_name(Route::Origin origin);

// Where a packet for a destination goes: out of `port`, to the on-link
// neighbour `neighbour` (the destination itself, or the gateway).
struct NextHop {
  uint16_t port = 0;
  uint32_t neighbour = 0;  // host order
};

class RouteTable {
 public:
  RouteTable() = default;
  ~RouteTable();
  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;

  // Returns an error line or "".
  std::string build(const conf::Config& config, int socket);

  std::optional<NextHop> lookup(uint32_t destination) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  rte_lpm* lpm_ = nullptr;
  std::vector<Route> routes_;
  // rte_lpm takes prefix lengths 1..32; the default route is kept beside it.
  std::optional<std::size_t> default_route_;
};

}  // namespace dplb::dataplane
