#include <gtest/gtest.h>

#include "conf/config_loader.h"
#include "conf/config_render.h"
#include "conf/config_schema.h"
#include "conf/device_name.h"
#include "conf/did_you_mean.h"
#include "conf/duration.h"
#include "conf/ipv4_address.h"
#include "conf/vdev_arguments.h"

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

DeviceName vdev(const char* text) {
  std::string error;
  auto d = parse_device_name(text, &error);
  EXPECT_TRUE(d) << text << ": " << error;
  return d.value_or(DeviceName{});
}

TEST(VdevArguments, KernelBackedDevicesNameTheirInterfaceAndQueues) {
  struct Case {
    const char* device;
    std::string driver;
    std::string interface;
    std::optional<unsigned> queue_pairs;
  };
  for (const Case& c : std::vector<Case>{
           {"net_af_packet0,iface=front", "net_af_packet", "front", 1},
           {"net_af_packet1,iface=back,qpairs=2", "net_af_packet", "back", 2},
           {"net_af_xdp0,iface=front", "net_af_xdp", "front", 1},
           {"net_af_xdp12,iface=ens1f0,start_queue=2,queue_count=4,busy_budget=0", "net_af_xdp", "ens1f0", 4},
           {"net_tap0,iface=dtap0", "net_tap", "", std::nullopt},
           {"net_null0", "net_null", "", std::nullopt},
       }) {
    const DeviceName d = vdev(c.device);
    EXPECT_EQ(vdev_driver(d), c.driver) << c.device;
    EXPECT_EQ(vdev_interface(d), c.interface) << c.device;
    EXPECT_EQ(vdev_queue_pairs(d), c.queue_pairs) << c.device;
    EXPECT_EQ(check_vdev_arguments(d), "") << c.device;
  }
  std::string error;
  EXPECT_EQ(vdev_driver(*parse_device_name("0000:03:00.0", &error)), "");
  EXPECT_EQ(vdev_queue_pairs(*parse_device_name("0000:03:00.0", &error)), std::nullopt);
}

TEST(VdevArguments, EachBadArgumentIsNamed) {
  struct Case {
    const char* device;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {"net_af_xdp0,iface=front,queue_count=0", "net_af_xdp0: queue_count: '0' is not an integer in 1..1024"},
           {"net_af_xdp0,iface=front,busy_budget=70000",
            "net_af_xdp0: busy_budget: '70000' is not an integer in 0..65535"},
           {"net_af_xdp0,iface=front,start_queue=-1", "net_af_xdp0: start_queue: '-1' is not an integer in 0..1023"},
           {"net_af_xdp0,iface=an_interface_name_too_long",
            "net_af_xdp0: iface: must name a Linux interface of 1 to 15 characters"},
           {"net_af_xdp0,iface=", "net_af_xdp0: iface: must name a Linux interface of 1 to 15 characters"},
           {"net_af_xdp0,=front", "net_af_xdp0: argument '=front' is not key=value"},
           {"net_af_packet0,iface=front,qpairs=17", "net_af_packet0: qpairs: '17' is not an integer in 1..16"},
           {"net_af_packet0,iface=front,qdisc_bypass=2", "net_af_packet0: qdisc_bypass: '2' is not 0 or 1"},
           {"net_af_packet0,ifac=front",
            "net_af_packet0: unknown argument 'ifac'; did you mean 'iface'? net_af_packet takes iface, qpairs, "
            "blocksz, framesz, framecnt, qdisc_bypass"},
       }) {
    EXPECT_EQ(check_vdev_arguments(vdev(c.device)), c.error) << c.device;
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
  EXPECT_EQ(edit_distance("bsae", "base"), 1u);  // a swap is one slip
  EXPECT_EQ(edit_distance("ab", "ba"), 1u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
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
  EXPECT_EQ(c.dataplane.idle_sleep_max_us, 1000u);
  EXPECT_EQ(c.console.socket, "/run/dplb/dplb.sock");
  EXPECT_EQ(c.log.level, "info");
  ASSERT_EQ(c.ports.size(), 1u);
  EXPECT_EQ(c.ports[0].mtu, 1500u);
  EXPECT_FALSE(c.ports[0].gateway);
}

constexpr const char* kMinimalPort = "[[port]]\nname = \"p\"\ndevice = \"net_null0\"\naddress = \"192.0.2.1/24\"\n";

TEST(TcpConfig, DefaultsAreTheDocumentedOnes) {
  auto result = load_config_text(kMinimalPort, "min.toml");
  ASSERT_TRUE(result.config) << result.diagnostics.formatted().front();
  const TcpConfig& t = result.config->tcp;
  EXPECT_EQ(t.max_connections, 65536u);
  EXPECT_EQ(t.connection_buffer, 262144u);
  EXPECT_EQ(t.worker_buffer, 268435456u);
  EXPECT_EQ(t.syn_backlog, 1024u);
  EXPECT_TRUE(t.syn_cookies);
  EXPECT_EQ(t.congestion, CongestionControl::cubic);
  EXPECT_EQ(t.min_rto, Duration{200'000});
  EXPECT_EQ(t.initial_rto, Duration{1'000'000});
  EXPECT_EQ(t.max_rto, Duration{120'000'000});
  EXPECT_EQ(t.delayed_ack, Duration{40'000});
  EXPECT_EQ(t.time_wait, Duration{60'000'000});
  EXPECT_EQ(t.fin_wait_2, Duration{60'000'000});
  EXPECT_EQ(t.syn_retries, 6u);
  EXPECT_EQ(t.retries, 15u);
  EXPECT_EQ(t.orphan_retries, 8u);
  EXPECT_FALSE(t.keepalive);
  EXPECT_EQ(t.keepalive_idle, Duration{7'200'000'000});
  EXPECT_EQ(t.keepalive_interval, Duration{75'000'000});
  EXPECT_EQ(t.keepalive_probes, 9u);
  EXPECT_TRUE(t.sack);
  EXPECT_TRUE(t.timestamps);
  EXPECT_TRUE(t.window_scaling);
  EXPECT_EQ(t.local_port_first, 32768u);
  EXPECT_EQ(t.local_port_last, 60999u);
  EXPECT_EQ(t.challenge_ack_limit, 1000u);
  EXPECT_TRUE(t.positions.empty());
}

constexpr const char* kFullTcp =
    "[tcp]\n"
    "max_connections = 1000000\n"
    "connection_buffer = 65536\n"
    "worker_buffer = 8589934592\n"
    "syn_backlog = 4096\n"
    "syn_cookies = false\n"
    "congestion = \"newreno\"\n"
    "min_rto = \"50ms\"\n"
    "initial_rto = \"300ms\"\n"
    "max_rto = \"30s\"\n"
    "delayed_ack = \"0ms\"\n"
    "time_wait = 0\n"
    "fin_wait_2 = \"15s\"\n"
    "syn_retries = 3\n"
    "retries = 8\n"
    "orphan_retries = 2\n"
    "keepalive = true\n"
    "keepalive_idle = \"10m\"\n"
    "keepalive_interval = 15000\n"
    "keepalive_probes = 4\n"
    "sack = false\n"
    "timestamps = false\n"
    "window_scaling = false\n"
    "local_ports = [20000, 20000]\n"
    "challenge_ack_limit = 100\n";

TEST(TcpConfig, EveryKeyIsReadBack) {
  auto result = load_config_text(std::string(kFullTcp) + kMinimalPort, "tcp.toml");
  ASSERT_TRUE(result.config) << result.diagnostics.formatted().front();
  const TcpConfig& t = result.config->tcp;
  EXPECT_EQ(t.max_connections, 1'000'000u);
  EXPECT_EQ(t.connection_buffer, 65536u);
  EXPECT_EQ(t.worker_buffer, 8'589'934'592u) << "above 32 bits";
  EXPECT_EQ(t.syn_backlog, 4096u);
  EXPECT_FALSE(t.syn_cookies);
  EXPECT_EQ(t.congestion, CongestionControl::newreno);
  EXPECT_EQ(t.min_rto, Duration{50'000});
  EXPECT_EQ(t.initial_rto, Duration{300'000});
  EXPECT_EQ(t.max_rto, Duration{30'000'000});
  EXPECT_EQ(t.delayed_ack, Duration{0}) << "\"0ms\" acknowledges every segment at once";
  EXPECT_EQ(t.time_wait, Duration{0}) << "a bare 0 is 0 ms";
  EXPECT_EQ(t.fin_wait_2, Duration{15'000'000});
  EXPECT_EQ(t.syn_retries, 3u);
  EXPECT_EQ(t.retries, 8u);
  EXPECT_EQ(t.orphan_retries, 2u);
  EXPECT_TRUE(t.keepalive);
  EXPECT_EQ(t.keepalive_idle, Duration{600'000'000});
  EXPECT_EQ(t.keepalive_interval, Duration{15'000'000}) << "a bare number is milliseconds";
  EXPECT_EQ(t.keepalive_probes, 4u);
  EXPECT_FALSE(t.sack);
  EXPECT_FALSE(t.timestamps);
  EXPECT_FALSE(t.window_scaling);
  EXPECT_EQ(t.local_port_first, 20000u) << "a range of one port is allowed with one worker";
  EXPECT_EQ(t.local_port_last, 20000u);
  EXPECT_EQ(t.challenge_ack_limit, 100u);
  EXPECT_EQ(t.positions.size(), 24u) << "every key's position is recorded";
  EXPECT_EQ(t.positions.at("local_ports").line, 24u);
}

TEST(TcpConfig, RangeEndsAreAccepted) {
  auto result = load_config_text(
      "[tcp]\nmax_connections = 4194304\nconnection_buffer = 16777216\nworker_buffer = 68719476736\n"
      "min_rto = \"1ms\"\ninitial_rto = \"1ms\"\nmax_rto = \"10m\"\ndelayed_ack = \"500ms\"\ntime_wait = \"0s\"\n"
      "fin_wait_2 = \"10m\"\nkeepalive_idle = \"1d\"\nkeepalive_interval = \"1h\"\nlocal_ports = [1024, 65535]\n" +
          std::string(kMinimalPort),
      "ends.toml");
  ASSERT_TRUE(result.config) << result.diagnostics.formatted().front();
  EXPECT_EQ(result.config->tcp.worker_buffer, 68'719'476'736u);
  EXPECT_EQ(result.config->tcp.local_port_first, 1024u);
  EXPECT_EQ(result.config->tcp.local_port_last, 65535u);
}

// `show config` prints a file that loads back into the same configuration.
TEST(ConfigRender, LoadsBackUnchanged) {
  for (const std::string& text : {std::string(kMinimalPort), std::string(kFullTcp) + kMinimalPort}) {
    auto first = load_config_text(text, "in.toml");
    ASSERT_TRUE(first.config) << first.diagnostics.formatted().front();
    const std::string rendered = render_config(*first.config);
    auto second = load_config_text(rendered, "in.toml");
    ASSERT_TRUE(second.config) << second.diagnostics.formatted().front() << "\n" << rendered;
    EXPECT_EQ(render_config(*second.config), rendered);
  }
}

TEST(ConfigRender, TcpTableHasEveryKey) {
  auto result = load_config_text(std::string(kFullTcp) + kMinimalPort, "tcp.toml");
  ASSERT_TRUE(result.config) << result.diagnostics.formatted().front();
  const std::string rendered = render_config(*result.config);
  const std::size_t begin = rendered.find("[tcp]\n");
  ASSERT_NE(begin, std::string::npos) << rendered;
  const std::string table = rendered.substr(begin, rendered.find("\n\n", begin) - begin + 1);
  EXPECT_NE(table.find("congestion = \"newreno\"\n"), std::string::npos) << rendered;
  EXPECT_NE(table.find("delayed_ack = \"0s\"\n"), std::string::npos) << rendered;
  EXPECT_NE(table.find("keepalive_interval = \"15s\"\n"), std::string::npos) << rendered;
  EXPECT_NE(table.find("local_ports = [20000, 20000]\n"), std::string::npos) << rendered;
  EXPECT_NE(table.find("worker_buffer = 8589934592\n"), std::string::npos) << rendered;
  std::size_t keys = 0;
  for (const auto& doc : config_key_docs()) {
    if (doc.section != "[tcp]") continue;
    ++keys;
    EXPECT_NE(table.find("\n" + doc.key + " = "), std::string::npos) << doc.key << " is missing from:\n" << table;
  }
  EXPECT_EQ(keys, 24u);
}

TEST(ConfigExamples, EveryShippedExampleIsValid) {
  for (const char* name : {"lab-lb1.toml", "lab-lb2.toml", "bare-metal.toml", "reference-https.toml"}) {
    auto result = load_config_file(std::string(DPLB_SOURCE_ROOT) + "/conf/examples/" + name);
    EXPECT_TRUE(result.config) << name << ": "
                               << (result.diagnostics.empty() ? "" : result.diagnostics.formatted().front());
  }
}

}  // namespace
}  // namespace dplb::conf
