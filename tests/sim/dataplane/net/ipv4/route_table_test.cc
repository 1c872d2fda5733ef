#include <gtest/gtest.h>
#include <rte_memory.h>

#include "conf/config_loader.h"
#include "dataplane/net/ipv4/route_table.h"

namespace dplb::dataplane {
namespace {

conf::Config config_with(const std::string& extra) {
  auto result = conf::load_config_text(
      "[[port]]\nname = \"front\"\ndevice = \"net_null0\"\naddress = \"10.99.1.2/24\"\ngateway = \"10.99.1.1\"\n"
      "[[port]]\nname = \"back\"\ndevice = \"net_null1\"\naddress = \"10.99.2.2/24\"\ngateway = \"10.99.2.1\"\n" +
          extra,
      "routes.toml");
  EXPECT_TRUE(result.config) << (result.diagnostics.empty() ? "" : result.diagnostics.formatted().front());
  return *result.config;
}

uint32_t ip(const char* text) { return conf::parse_ipv4(text)->value; }

TEST(RouteTable, ConnectedSubnetsGoStraightToTheDestination) {
  RouteTable t;
  ASSERT_EQ(t.build(config_with(""), SOCKET_ID_ANY), "");
  auto hop = t.lookup(ip("10.99.2.11"));
  ASSERT_TRUE(hop);
  EXPECT_EQ(hop->port, 1);
  EXPECT_EQ(hop->neighbour, ip("10.99.2.11"));
}

TEST(RouteTable, TheFirstPortGatewayIsTheDefaultAndTheOthersStandBy) {
  RouteTable t;
  ASSERT_EQ(t.build(config_with(""), SOCKET_ID_ANY), "");
  auto hop = t.lookup(ip("198.51.100.7"));
  ASSERT_TRUE(hop);
  EXPECT_EQ(hop->port, 0);
  EXPECT_EQ(hop->neighbour, ip("10.99.1.1"));
  int active_defaults = 0;
  for (const auto& r : t.routes()) {
    if (r.destination.length == 0 && r.active) ++active_defaults;
  }
  EXPECT_EQ(active_defaults, 1);
}

TEST(RouteTable, LongestPrefixWinsAndStaticRoutesBeatPortGateways) {
  RouteTable t;
  ASSERT_EQ(t.build(config_with("[[route]]\ndestination = \"172.16.0.0/12\"\ngateway = \"10.99.2.254\"\n"
                                "[[route]]\ndestination = \"172.16.5.0/24\"\ngateway = \"10.99.1.254\"\n"
                                "[[route]]\ndestination = \"0.0.0.0/0\"\ngateway = \"10.99.2.1\"\n"),
                    SOCKET_ID_ANY),
            "");
  EXPECT_EQ(t.lookup(ip("172.16.9.9"))->neighbour, ip("10.99.2.254"));
  EXPECT_EQ(t.lookup(ip("172.16.5.9"))->neighbour, ip("10.99.1.254"));
  EXPECT_EQ(t.lookup(ip("172.16.5.9"))->port, 0);
  EXPECT_EQ(t.lookup(ip("8.8.8.8"))->neighbour, ip("10.99.2.1")) << "static default beats port gateways";
  EXPECT_EQ(t.lookup(ip("8.8.8.8"))->port, 1);
}

TEST(RouteTable, NoRouteWithoutAGateway) {
  auto result = conf::load_config_text(
      "[[port]]\nname = \"front\"\ndevice = \"net_null0\"\naddress = \"10.99.1.2/24\"\n", "r.toml");
  ASSERT_TRUE(result.config);
  RouteTable t;
  ASSERT_EQ(t.build(*result.config, SOCKET_ID_ANY), "");
  EXPECT_FALSE(t.lookup(ip("8.8.8.8")));
  EXPECT_TRUE(t.lookup(ip("10.99.1.77")));
}

}  // namespace
}  // namespace dplb::dataplane
