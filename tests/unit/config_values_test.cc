#include <gtest/gtest.h>

#include "conf/config_loader.h"
#include "conf/device_name.h"
#include "conf/did_you_mean.h"
#include "conf/duration.h"
#include "conf/ipv4_address.h"

namespace dplb::conf {
namespace {

TEST(Duration, UnitsAsHaproxyWritesThem) {
  std::string error;
  EXPECT_EQ(parse_duration("100us", &error)->microseconds, 100);
  EXPECT_EQ(parse_duration("500ms", &error)->microseconds, 500'000);
  EXPECT_EQ(parse_duration("5s", &error)->microseconds, 5'000'000);
  EXPECT_EQ(parse_duration("2m", &error)->microseconds, 120'000'000);
  EXPECT_EQ(parse_duration("1h", &error)->microseconds, 3'600'000'000LL);
  EXPECT_EQ(parse_duration("1d", &error)->microseconds, 86'400'000'000LL);
  EXPECT_EQ(parse_duration("250", &error)->microseconds, 250'000) << "a bare number means milliseconds";
}

TEST(Duration, RejectsWhatItCannotRead) {
  std::string error;
  EXPECT_FALSE(parse_duration("", &error));
  EXPECT_FALSE(parse_duration("s", &error));
  EXPECT_FALSE(parse_duration("-5s", &error));
  EXPECT_FALSE(parse_duration("5 s", &error));
  EXPECT_FALSE(parse_duration("5sec", &error));
  EXPECT_EQ(error, "'5sec' has an unknown unit 'sec' (expected us, ms, s, m, h or d)");
  EXPECT_FALSE(parse_duration("99999999999999999999", &error));
  EXPECT_EQ(error, "'99999999999999999999' is too large");
  EXPECT_FALSE(parse_duration("9999999999999999d", &error));
}

TEST(Duration, FormatsWithTheLargestExactUnit) {
  EXPECT_EQ(format_duration({0}), "0s");
  EXPECT_EQ(format_duration({1500}), "1500us");
  EXPECT_EQ(format_duration({1'500'000}), "1500ms");
  EXPECT_EQ(format_duration({120'000'000}), "2m");
}

TEST(Ipv4, StrictDottedQuad) {
  EXPECT_EQ(parse_ipv4("10.99.1.2")->value, 0x0a630102u);
  EXPECT_EQ(parse_ipv4("0.0.0.0")->value, 0u);
  EXPECT_EQ(parse_ipv4("255.255.255.255")->value, 0xffffffffu);
  for (const char* bad : {"", "10.99.1", "10.99.1.2.3", "10.99.1.256", "010.1.1.1", "10.99.1.2 ", "a.b.c.d",
                          "10..1.2", "10.99.1.-1", "1000.1.1.1"}) {
    EXPECT_FALSE(parse_ipv4(bad)) << bad;
  }
}

TEST(Ipv4, PrefixArithmetic) {
  auto p = parse_ipv4_prefix("10.99.1.2/24");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->network().to_string(), "10.99.1.0");
  EXPECT_EQ(p->broadcast().to_string(), "10.99.1.255");
  EXPECT_TRUE(p->contains(*parse_ipv4("10.99.1.200")));
  EXPECT_FALSE(p->contains(*parse_ipv4("10.99.2.1")));
  EXPECT_TRUE(p->overlaps(*parse_ipv4_prefix("10.99.0.0/16")));
  EXPECT_FALSE(p->overlaps(*parse_ipv4_prefix("10.99.2.1/24")));
  EXPECT_FALSE(parse_ipv4_prefix("10.99.1.2"));
  EXPECT_FALSE(parse_ipv4_prefix("10.99.1.2/33"));
  EXPECT_FALSE(parse_ipv4_prefix("10.99.1.2/"));
  EXPECT_EQ(parse_ipv4_prefix("10.99.1.2/32")->mask(), 0xffffffffu);
}

TEST(DeviceName, PciAddressesAreNormalised) {
  std::string error;
  auto short_form = parse_device_name("03:00.1", &error);
  ASSERT_TRUE(short_form);
  EXPECT_EQ(short_form->kind, DeviceName::Kind::pci);
  EXPECT_EQ(short_form->name, "0000:03:00.1");
  EXPECT_EQ(parse_device_name("0000:0A:00.0", &error)->name, "0000:0a:00.0");
  EXPECT_FALSE(parse_device_name("0000:03:00.8", &error));
}

TEST(DeviceName, VirtualDevicesKeepTheirArguments) {
  std::string error;
  auto d = parse_device_name("net_af_packet1,iface=back,qpairs=2", &error);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, DeviceName::Kind::vdev);
  EXPECT_EQ(d->name, "net_af_packet1");
  EXPECT_EQ(d->args, "iface=back,qpairs=2");
  EXPECT_TRUE(parse_device_name("net_tap0", &error));
  for (const char* bad : {"eth0", "net_af_packet", "net_af_packet0,", "af_packet0,iface=x", "net_a-b0"}) {
    EXPECT_FALSE(parse_device_name(bad, &error)) << bad;
  }
}

TEST(DidYouMean, FindsTyposAndAbbreviations) {
  std::vector<std::string> keys = {"workers", "control_lcore", "hugepages", "memory_mb"};
  EXPECT_EQ(close_matches("worker", keys), std::vector<std::string>{"workers"});
  EXPECT_EQ(close_matches("hugepage", keys), std::vector<std::string>{"hugepages"});
  EXPECT_EQ(close_matches("memroy_mb", keys), std::vector<std::string>{"memory_mb"});
  EXPECT_TRUE(close_matches("colour", keys).empty());
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(ConfigDefaults, MinimalFileGetsDocumentedDefaults) {
  auto result = load_config_text(
      "[[port]]\nname = \"p\"\ndevice = \"net_null0\"\naddress = \"192.0.2.1/24\"\n", "min.toml");
  ASSERT_TRUE(result.config) << result.diagnostics.formatted().front();
  const Config& c = *result.config;
  EXPECT_EQ(c.dataplane.workers, std::vector<uint32_t>{1});
  EXPECT_EQ(c.dataplane.control_lcore, 0u);
  EXPECT_TRUE(c.dataplane.hugepages);
  EXPECT_EQ(c.dataplane.memory_mb, 1024u);
  EXPECT_EQ(c.dataplane.idle_sleep_us, 0u);
  EXPECT_EQ(c.console.socket, "/run/dplb/dplb.sock");
  EXPECT_EQ(c.log.level, "info");
  ASSERT_EQ(c.ports.size(), 1u);
  EXPECT_EQ(c.ports[0].mtu, 1500u);
  EXPECT_FALSE(c.ports[0].gateway);
}

TEST(ConfigExamples, EveryShippedExampleIsValid) {
  for (const char* name : {"lab-lb1.toml", "lab-lb2.toml", "bare-metal.toml"}) {
    auto result = load_config_file(std::string(DPLB_SOURCE_ROOT) + "/conf/examples/" + name);
    EXPECT_TRUE(result.config) << name << ": "
                               << (result.diagnostics.empty() ? "" : result.diagnostics.formatted().front());
  }
}

}  // namespace
}  // namespace dplb::conf
