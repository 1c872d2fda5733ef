// VRRP instances: [[vrrp]]. What a valid file yields and how `show config`
// writes it back, keepalived's defaults, and the exact message and position
// of every mistake the loader knows.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <string>
#include <vector>

#include "conf/config_loader.h"
#include "conf/config_render.h"
#include "conf/config_schema.h"
#include "conf/vrrp_config.h"

namespace dplb::conf {
namespace {

// Lines 1-13: two ports, front 10.99.1.2/24 and back 10.99.2.2/24.
constexpr const char* kPorts =
    "[dataplane]\n"
    "workers = [1]\n"
    "control_lcore = 0\n"
    "hugepages = false\n"
    "memory_mb = 256\n"
    "[[port]]\n"
    "name = \"front\"\n"
    "device = \"net_null0\"\n"
    "address = \"10.99.1.2/24\"\n"
    "[[port]]\n"
    "name = \"back\"\n"
    "device = \"net_null1\"\n"
    "address = \"10.99.2.2/24\"\n";
// Lines 14-22: a frontend on *:80, backend web_servers with one server.
constexpr const char* kProxy =
    "[[frontend]]\n"
    "name = \"http_front\"\n"
    "bind = [\"*:80\"]\n"
    "default_backend = \"web_servers\"\n"
    "[[backend]]\n"
    "name = \"web_servers\"\n"
    "[[backend.server]]\n"
    "name = \"server1\"\n"
    "address = \"10.99.2.11:80\"\n";
// Lines 23-27: the smallest instance.
constexpr const char* kInstance =
    "[[vrrp]]\n"
    "name = \"VI_1\"\n"
    "port = \"front\"\n"
    "virtual_router_id = 101\n"
    "virtual_addresses = [\"10.99.1.10/24\"]\n";

// The [[vrrp]] header on line 23, `keys` from line 24.
std::string vrrp_table(const std::string& keys) { return std::string(kPorts) + kProxy + "[[vrrp]]\n" + keys; }
// The smallest instance, then `keys` from line 28.
std::string instance(const std::string& keys) { return std::string(kPorts) + kProxy + kInstance + keys; }
// The same as a v3 instance: `version = 3` on line 28, `keys` from line 29.
std::string v3_instance(const std::string& keys) { return instance("version = 3\n" + keys); }
// A second instance after the smallest one: its header on line 28, `keys` from line 29.
std::string second(const std::string& keys) { return instance("[[vrrp]]\n" + keys); }

Config load_ok(const std::string& text) {
  auto result = load_config_text(text, "dplb.toml");
  EXPECT_TRUE(result.config) << (result.diagnostics.empty() ? "" : result.diagnostics.formatted().front()) << "\n"
                             << text;
  EXPECT_TRUE(result.diagnostics.empty()) << result.diagnostics.formatted().front();
  return result.config ? *result.config : Config{};
}

// An executable file in the test's temporary directory, with `mode`.
std::string script(const std::string& name, mode_t mode) {
  const std::string path = testing::TempDir() + "dplb_vrrp_" + name;
  std::ofstream(path) << "#!/bin/sh\nexit 0\n";
  ::chmod(path.c_str(), mode);
  return path;
}

std::string notify_script() { return script("notify.sh", 0755); }

// The contract as the operator writes it, every key set (v3, so that
// v3_checksum applies; auth_pass is checked with v2 below).
std::string full_v3() {
  return std::string(kPorts) + kProxy +
         "[[vrrp]]\n"
         "name = \"VI_1\"\n"
         "port = \"front\"\n"
         "state = \"BACKUP\"\n"
         "virtual_router_id = 101\n"
         "priority = 101\n"
         "version = 3\n"
         "advert_int = 0.5\n"
         "preempt = true\n"
         "preempt_delay = \"30s\"\n"
         "virtual_addresses = [\"10.99.1.10/24\", \"10.99.1.11/32\", \"10.99.1.12\"]\n"
         "garp_repeat = 3\n"
         "garp_delay = \"10s\"\n"
         "garp_refresh = \"1m\"\n"
         "unicast_peers = [\"10.99.1.3\", \"10.99.1.4\"]\n"
         "use_vmac = true\n"
         "v3_checksum = \"rfc9568\"\n"
         "track_backends = [ { backend = \"web_servers\", weight = -60 } ]\n"
         "notify = \"" +
         notify_script() + "\"\n";
}

// The reference lab's keepalived-lb1.conf, translated.
std::string lab_v2() {
  return std::string(kPorts) + kProxy +
         "[[vrrp]]\n"
         "name = \"VI_1\"\n"
         "port = \"front\"\n"
         "state = \"MASTER\"\n"
         "virtual_router_id = 101\n"
         "priority = 101\n"
         "version = 2\n"
         "advert_int = 1\n"
         "auth_pass = \"12345678\"\n"
         "virtual_addresses = [\"10.99.1.10/24\"]\n";
}

// ---- Valid files -----------------------------------------------------------

TEST(ConfigVrrp, NoInstanceByDefault) {
  const Config c = load_ok(std::string(kPorts) + kProxy);
  EXPECT_TRUE(c.vrrp.empty());
}

TEST(ConfigVrrp, Defaults) {
  const Config c = load_ok(instance(""));
  ASSERT_EQ(c.vrrp.size(), 1u);
  const VrrpConfig& v = c.vrrp[0];
  EXPECT_EQ(v.name, "VI_1");
  EXPECT_EQ(v.port, "front");
  EXPECT_EQ(v.state, VrrpState::backup);
  EXPECT_EQ(v.virtual_router_id, 101);
  EXPECT_EQ(v.priority, 100) << "keepalived's VRRP_PRIO_DFL";
  EXPECT_EQ(v.version, 2);
  EXPECT_EQ(v.advert_int_cs, 100);
  EXPECT_EQ(v.advert_interval(), Duration{1'000'000});
  EXPECT_EQ(v.auth_pass, "") << "no authentication";
  EXPECT_TRUE(v.preempt);
  EXPECT_EQ(v.preempt_delay, Duration{0});
  ASSERT_EQ(v.virtual_addresses.size(), 1u);
  EXPECT_EQ(v.virtual_addresses[0].to_string(), "10.99.1.10/24");
  ASSERT_EQ(v.virtual_address_positions.size(), 1u);
  EXPECT_EQ(v.virtual_address_positions[0].line, 27u);
  EXPECT_EQ(v.virtual_address_positions[0].column, 22u);
  EXPECT_EQ(v.garp_repeat, 5u);
  EXPECT_EQ(v.garp_delay, Duration{5'000'000});
  EXPECT_EQ(v.garp_refresh, Duration{0});
  EXPECT_TRUE(v.unicast_peers.empty()) << "multicast";
  EXPECT_FALSE(v.use_vmac);
  EXPECT_EQ(v.v3_checksum, VrrpV3Checksum::pseudo_header) << "keepalived's default";
  EXPECT_TRUE(v.track_backends.empty());
  EXPECT_EQ(v.notify, "");
  EXPECT_EQ(v.where.line, 23u);
}

TEST(ConfigVrrp, EveryKeyIsReadBack) {
  const Config c = load_ok(full_v3());
  ASSERT_EQ(c.vrrp.size(), 1u);
  const VrrpConfig& v = c.vrrp[0];
  EXPECT_EQ(v.name, "VI_1");
  EXPECT_EQ(v.port, "front");
  EXPECT_EQ(v.state, VrrpState::backup);
  EXPECT_EQ(v.virtual_router_id, 101);
  EXPECT_EQ(v.priority, 101);
  EXPECT_EQ(v.version, 3);
  EXPECT_EQ(v.advert_int_cs, 50);
  EXPECT_EQ(v.advert_interval(), Duration{500'000});
  EXPECT_TRUE(v.preempt);
  EXPECT_EQ(v.preempt_delay, Duration{30'000'000});
  ASSERT_EQ(v.virtual_addresses.size(), 3u);
  EXPECT_EQ(v.virtual_addresses[0].to_string(), "10.99.1.10/24");
  EXPECT_EQ(v.virtual_addresses[1].to_string(), "10.99.1.11/32");
  EXPECT_EQ(v.virtual_addresses[2].to_string(), "10.99.1.12/32") << "no length: /32, as keepalived";
  EXPECT_EQ(v.garp_repeat, 3u);
  EXPECT_EQ(v.garp_delay, Duration{10'000'000});
  EXPECT_EQ(v.garp_refresh, Duration{60'000'000});
  ASSERT_EQ(v.unicast_peers.size(), 2u);
  EXPECT_EQ(v.unicast_peers[0].to_string(), "10.99.1.3");
  EXPECT_EQ(v.unicast_peers[1].to_string(), "10.99.1.4");
  EXPECT_EQ(v.unicast_peer_positions.size(), 2u);
  EXPECT_TRUE(v.use_vmac);
  EXPECT_EQ(v.v3_checksum, VrrpV3Checksum::rfc9568);
  ASSERT_EQ(v.track_backends.size(), 1u);
  EXPECT_EQ(v.track_backends[0].backend, "web_servers");
  EXPECT_EQ(v.track_backends[0].weight, -60);
  EXPECT_EQ(v.notify, notify_script());
  EXPECT_EQ(v.positions.size(), 18u) << "every key's position is recorded (all but auth_pass, a v2 key)";
  EXPECT_EQ(v.positions.at("advert_int").line, 30u);
  EXPECT_EQ(v.positions.at("advert_int").column, 14u);
}

TEST(ConfigVrrp, TheReferenceLabInstance) {
  const Config c = load_ok(lab_v2());
  ASSERT_EQ(c.vrrp.size(), 1u);
  const VrrpConfig& v = c.vrrp[0];
  EXPECT_EQ(v.state, VrrpState::master);
  EXPECT_EQ(v.priority, 101);
  EXPECT_EQ(v.version, 2);
  EXPECT_EQ(v.advert_int_cs, 100);
  EXPECT_EQ(v.auth_pass, "12345678");
}

// keepalived: a MASTER written without a priority is the address owner.
TEST(ConfigVrrp, PriorityFollowsTheStateWhenLeftOut) {
  struct Case {
    std::string keys;
    uint8_t priority;
  };
  const std::vector<Case> cases = {
      {"", 100},
      {"state = \"BACKUP\"\n", 100},
      {"state = \"MASTER\"\n", 255},
      {"state = \"MASTER\"\npriority = 101\n", 101},
      {"priority = 101\nstate = \"MASTER\"\n", 101},
      {"priority = 255\n", 255},
      {"state = \"BACKUP\"\npriority = 1\n", 1},
  };
  for (const auto& c : cases) {
    const Config config = load_ok(instance(c.keys));
    ASSERT_EQ(config.vrrp.size(), 1u) << c.keys;
    EXPECT_EQ(config.vrrp[0].priority, c.priority) << c.keys;
  }
}

TEST(ConfigVrrp, AdvertisementIntervals) {
  struct Case {
    std::string keys;
    uint16_t centiseconds;
    std::string rendered;
  };
  const std::vector<Case> cases = {
      {"advert_int = 1\n", 100, "advert_int = 1\n"},
      {"advert_int = 255\n", 25500, "advert_int = 255\n"},
      {"advert_int = 3.0\n", 300, "advert_int = 3\n"},
      {"advert_int = \"2s\"\n", 200, "advert_int = 2\n"},
      {"advert_int = \"1m\"\n", 6000, "advert_int = 60\n"},
      {"version = 3\nadvert_int = 0.01\n", 1, "advert_int = 0.01\n"},
      {"version = 3\nadvert_int = 0.1\n", 10, "advert_int = 0.1\n"},
      {"version = 3\nadvert_int = 0.35\n", 35, "advert_int = 0.35\n"},
      {"version = 3\nadvert_int = 1.5\n", 150, "advert_int = 1.5\n"},
      {"version = 3\nadvert_int = 40.95\n", 4095, "advert_int = 40.95\n"},
      {"version = 3\nadvert_int = \"250ms\"\n", 25, "advert_int = 0.25\n"},
      {"version = 3\nadvert_int = \"10ms\"\n", 1, "advert_int = 0.01\n"},
      {"version = 3\nadvert_int = 40\n", 4000, "advert_int = 40\n"},
  };
  for (const auto& c : cases) {
    const Config config = load_ok(instance(c.keys));
    ASSERT_EQ(config.vrrp.size(), 1u) << c.keys;
    EXPECT_EQ(config.vrrp[0].advert_int_cs, c.centiseconds) << c.keys;
    const std::string rendered = render_config(config);
    EXPECT_NE(rendered.find(c.rendered), std::string::npos) << c.keys << "\nmissing:\n" << c.rendered << rendered;
  }
}

TEST(ConfigVrrp, FormatAdvertInterval) {
  EXPECT_EQ(format_advert_interval(1), "0.01");
  EXPECT_EQ(format_advert_interval(10), "0.1");
  EXPECT_EQ(format_advert_interval(99), "0.99");
  EXPECT_EQ(format_advert_interval(100), "1");
  EXPECT_EQ(format_advert_interval(105), "1.05");
  EXPECT_EQ(format_advert_interval(4095), "40.95");
  EXPECT_EQ(format_advert_interval(25500), "255");
}

// A password longer than VRRPv2's 8 bytes is cut, as keepalived does, with
// a warning; the file still loads.
TEST(ConfigVrrp, LongPasswordIsCutWithAWarning) {
  auto result = load_config_text(instance("auth_pass = \"1234567890\"\n"), "dplb.toml");
  ASSERT_TRUE(result.config);
  EXPECT_FALSE(result.diagnostics.has_errors());
  EXPECT_EQ(result.config->vrrp[0].auth_pass, "12345678");
  EXPECT_EQ(result.diagnostics.formatted(),
            std::vector<std::string>{"dplb.toml:28:13: warning: vrrp.auth_pass: only the first 8 characters, "
                                     "'12345678', are used: VRRPv2's authentication data holds 8 (keepalived cuts "
                                     "it the same way)"});
  EXPECT_EQ(result.config->vrrp[0].positions.count("auth_pass"), 1u) << "a warning keeps the key's position";
}

TEST(ConfigVrrp, AcceptedCombinations) {
  struct Case {
    const char* what;
    std::string text;
  };
  const std::vector<Case> cases = {
      {"a frontend on the virtual address",
       instance("").replace(instance("").find("\"*:80\""), 6, "\"10.99.1.10:80\"")},
      {"a frontend on a port's address and a virtual address",
       instance("").replace(instance("").find("\"*:80\""), 6, "\"10.99.1.2:80\", \"10.99.1.10:443\"")},
      {"two instances on one port with their own ids and addresses",
       second("name = \"VI_2\"\nport = \"front\"\nvirtual_router_id = 102\nvirtual_addresses = [\"10.99.1.20/24\"]\n")},
      {"the same id on two ports",
       second("name = \"VI_2\"\nport = \"back\"\nvirtual_router_id = 101\nvirtual_addresses = [\"10.99.2.10/24\"]\n")},
      {"the same id with versions 2 and 3 on two ports",
       second("name = \"VI_2\"\nport = \"back\"\nvirtual_router_id = 101\nversion = 3\n"
              "virtual_addresses = [\"10.99.2.10/24\"]\n")},
      {"nopreempt on a backup", instance("state = \"BACKUP\"\npriority = 100\npreempt = false\n")},
      {"preempt_delay at its limit", instance("preempt_delay = \"1000s\"\n")},
      {"preempt_delay in milliseconds", instance("preempt_delay = 1500\n")},
      {"garp_delay and garp_refresh of zero", instance("garp_delay = \"0s\"\ngarp_refresh = \"0s\"\n")},
      {"garp_refresh of one second", instance("garp_refresh = \"1s\"\n")},
      {"garp_repeat at its limits", instance("garp_repeat = 1\n") + "[[vrrp]]\nname = \"VI_2\"\nport = \"back\"\n"
                                                                     "virtual_router_id = 2\ngarp_repeat = 100\n"
                                                                     "virtual_addresses = [\"10.99.2.10/24\"]\n"},
      {"a unicast peer on the other port", instance("unicast_peers = [\"10.99.2.3\"]\n")},
      {"an empty unicast_peers", instance("unicast_peers = []\n")},
      {"an empty track_backends", instance("track_backends = []\n")},
      {"track_backends as array-of-tables headers",
       instance("[[vrrp.track_backends]]\nbackend = \"web_servers\"\nweight = 10\n")},
      {"a tracked backend with weight 0 (fault)", instance("track_backends = [{ backend = \"web_servers\" }]\n")},
      {"weight 0 on an address owner", instance("priority = 255\ntrack_backends = [{ backend = \"web_servers\", "
                                                "weight = 0 }]\n")},
      {"weights at their limits", instance("track_backends = [{ backend = \"web_servers\", weight = -254 }]\n") +
                                      "[[backend]]\nname = \"other\"\n[[backend.server]]\nname = \"s\"\n"
                                      "address = \"10.99.2.12:80\"\n"},
      {"v3 checksum with the pseudo-header written out", v3_instance("v3_checksum = \"pseudo-header\"\n")},
      {"v3 with unicast peers and vmac", v3_instance("unicast_peers = [\"10.99.1.3\"]\nuse_vmac = true\n")},
      {"an empty notify", instance("notify = \"\"\n")},
      {"a /32 virtual address", vrrp_table("name = \"VI_1\"\nport = \"front\"\nvirtual_router_id = 1\n"
                                         "virtual_addresses = [\"10.99.1.10/32\", \"10.99.1.11\"]\n")},
      {"a password of one character", instance("auth_pass = \"x\"\n")},
      {"a password with a space", instance("auth_pass = \"a b c\"\n")},
  };
  for (const auto& c : cases) {
    auto result = load_config_text(c.text, "dplb.toml");
    EXPECT_TRUE(result.config) << c.what << ": "
                               << (result.diagnostics.empty() ? "" : result.diagnostics.formatted().front());
    EXPECT_TRUE(result.diagnostics.empty()) << c.what;
  }
}

TEST(ConfigVrrp, AddressesPerAdvertisement) {
  EXPECT_EQ(vrrp_max_virtual_addresses(1500, 2), 255u) << "the 8-bit count, before the MTU";
  EXPECT_EQ(vrrp_max_virtual_addresses(1500, 3), 255u);
  EXPECT_EQ(vrrp_max_virtual_addresses(68, 2), 8u) << "20 + 8 + 8 * 4 + 8 bytes of authentication data";
  EXPECT_EQ(vrrp_max_virtual_addresses(68, 3), 10u) << "20 + 8 + 10 * 4";
  EXPECT_EQ(vrrp_max_virtual_addresses(576, 2), 135u);
}

TEST(ConfigVrrp, EnumNames) {
  EXPECT_STREQ(vrrp_state_name(VrrpState::master), "MASTER");
  EXPECT_STREQ(vrrp_state_name(VrrpState::backup), "BACKUP");
  EXPECT_STREQ(vrrp_v3_checksum_name(VrrpV3Checksum::pseudo_header), "pseudo-header");
  EXPECT_STREQ(vrrp_v3_checksum_name(VrrpV3Checksum::rfc9568), "rfc9568");
}

// ---- Mistakes ------------------------------------------------------------

struct BrokenVrrp {
  std::string what;
  std::string text;
  std::vector<std::string> errors;  // "LINE:COL: message"
};

void PrintTo(const BrokenVrrp& c, std::ostream* os) { *os << c.what; }

// Nine addresses of the front subnet: one too many for a v2 advert at mtu 68.
std::string nine_addresses() {
  std::string out = "[";
  for (int i = 10; i < 19; ++i) out += std::string(i > 10 ? ", " : "") + "\"10.99.1." + std::to_string(i) + "/24\"";
  return out + "]";
}

std::vector<BrokenVrrp> broken() {
  const std::string missing = script("missing.sh", 0755) + ".absent";
  const std::string plain = script("plain.sh", 0644);
  const std::string shared = script("shared.sh", 0777);
  const std::string directory = testing::TempDir();
  // The front port gets `mtu = 68` on line 10, so the instance starts on line 24.
  std::string small_mtu = instance("");
  small_mtu.replace(small_mtu.find("address = \"10.99.1.2/24\"\n"), 25, "address = \"10.99.1.2/24\"\nmtu = 68\n");
  small_mtu.replace(small_mtu.find("[\"10.99.1.10/24\"]"), 17, nine_addresses());
  std::string many = instance("");
  std::string addresses = "[";
  for (int i = 10; i < 43; ++i) addresses += std::string(i > 10 ? ", " : "") + "\"10.99.1." + std::to_string(i) + "/24\"";
  many.replace(many.find("[\"10.99.1.10/24\"]"), 17, addresses + "]");
  std::string bad_bind = instance("");
  bad_bind.replace(bad_bind.find("\"*:80\""), 6, "\"10.99.1.11:80\"");
  std::string vip_server = instance("");
  vip_server.replace(vip_server.find("10.99.2.11:80"), 13, "10.99.1.10:80");
  return {
      // The table itself
      {"no key at all", vrrp_table(""),
       {"23:1: vrrp: missing required key 'name'", "23:1: vrrp: missing required key 'port'",
        "23:1: vrrp: missing required key 'virtual_router_id'",
        "23:1: vrrp: missing required key 'virtual_addresses'"}},
      {"written as a table", std::string(kPorts) + kProxy + "[vrrp]\nname = \"VI_1\"\n",
       {"23:1: vrrp: expected an array of tables ([[vrrp]]), got a table"}},
      {"keepalived's section name", std::string(kPorts) + kProxy + "[vrrp_instance]\nname = \"VI_1\"\n",
       {"23:2: unknown section 'vrrp_instance'; a VRRP instance is written [[vrrp]]"}},

      // keepalived's keywords
      {"keepalived's interface", instance("interface = \"front\"\n"),
       {"28:1: unknown key 'interface' in [[vrrp]]; did you mean 'port'? (the [[port]] the instance runs on)"}},
      {"keepalived's virtual_ipaddress", instance("virtual_ipaddress = [\"10.99.1.11/24\"]\n"),
       {"28:1: unknown key 'virtual_ipaddress' in [[vrrp]]; did you mean 'virtual_addresses'?"}},
      {"keepalived's nopreempt", instance("nopreempt = true\n"),
       {"28:1: unknown key 'nopreempt' in [[vrrp]]; write preempt = false"}},
      {"keepalived's authentication block", instance("authentication = { auth_type = \"PASS\" }\n"),
       {"28:1: unknown key 'authentication' in [[vrrp]]; PASS authentication is written auth_pass = \"PASSWORD\" "
        "(AH is not supported)"}},
      {"keepalived's garp_master_delay", instance("garp_master_delay = 5\n"),
       {"28:1: unknown key 'garp_master_delay' in [[vrrp]]; did you mean 'garp_delay'?"}},
      {"keepalived's garp_master_repeat", instance("garp_master_repeat = 5\n"),
       {"28:1: unknown key 'garp_master_repeat' in [[vrrp]]; did you mean 'garp_repeat'?"}},
      {"keepalived's garp_master_refresh", instance("garp_master_refresh = 5\n"),
       {"28:1: unknown key 'garp_master_refresh' in [[vrrp]]; did you mean 'garp_refresh'?"}},
      {"keepalived's unicast_peer", instance("unicast_peer = [\"10.99.1.3\"]\n"),
       {"28:1: unknown key 'unicast_peer' in [[vrrp]]; did you mean 'unicast_peers'?"}},
      {"keepalived's track_script", instance("track_script = \"chk_haproxy\"\n"),
       {"28:1: unknown key 'track_script' in [[vrrp]]; dplb tracks its backends: track_backends = [{ backend = "
        "\"NAME\", weight = -60 }]"}},
      {"keepalived's notify_master", instance("notify_master = \"/bin/true\"\n"),
       {"28:1: unknown key 'notify_master' in [[vrrp]]; one script is run for every change of state: notify = "
        "\"PATH\""}},
      {"keepalived's v3_checksum_as_v2", v3_instance("v3_checksum_as_v2 = true\n"),
       {"29:1: unknown key 'v3_checksum_as_v2' in [[vrrp]]; write v3_checksum = \"rfc9568\""}},
      {"a misspelt key", instance("advert_interval = 1\n"),
       {"28:1: unknown key 'advert_interval' in [[vrrp]]; did you mean 'advert_int'?"}},

      // name, port, state, virtual_router_id, priority, version
      {"a name with a space", vrrp_table("name = \"VI 1\"\nport = \"front\"\nvirtual_router_id = 1\n"
                                         "virtual_addresses = [\"10.99.1.10/24\"]\n"),
       {"24:8: vrrp.name: 'VI 1' may only contain letters, digits, '_', '-' and '.'"}},
      {"a duplicate name", second("name = \"VI_1\"\nport = \"front\"\nvirtual_router_id = 2\n"
                                  "virtual_addresses = [\"10.99.1.20/24\"]\n"),
       {"29:8: vrrp.name: duplicate vrrp name 'VI_1' (first defined at line 23)"}},
      {"an unknown port", vrrp_table("name = \"VI_1\"\nport = \"frnt\"\nvirtual_router_id = 1\n"
                                     "virtual_addresses = [\"10.99.1.10/24\"]\n"),
       {"25:8: vrrp.port: no [[port]] is named 'frnt'; did you mean 'front'?"}},
      {"state in lower case", instance("state = \"master\"\n"),
       {"28:9: vrrp.state: 'master' is not one of MASTER, BACKUP; did you mean 'MASTER'? (written in capitals, as "
        "in keepalived)"}},
      {"a misspelt state", instance("state = \"BACKPU\"\n"),
       {"28:9: vrrp.state: 'BACKPU' is not one of MASTER, BACKUP; did you mean 'BACKUP'?"}},
      {"state FAULT", instance("state = \"FAULT\"\n"), {"28:9: vrrp.state: 'FAULT' is not one of MASTER, BACKUP"}},
      {"virtual_router_id 0", vrrp_table("name = \"VI_1\"\nport = \"front\"\nvirtual_router_id = 0\n"
                                         "virtual_addresses = [\"10.99.1.10/24\"]\n"),
       {"26:21: vrrp.virtual_router_id: 0 is out of range 1..255"}},
      {"virtual_router_id 256", vrrp_table("name = \"VI_1\"\nport = \"front\"\nvirtual_router_id = 256\n"
                                           "virtual_addresses = [\"10.99.1.10/24\"]\n"),
       {"26:21: vrrp.virtual_router_id: 256 is out of range 1..255"}},
      {"virtual_router_id as a string", vrrp_table("name = \"VI_1\"\nport = \"front\"\nvirtual_router_id = \"101\"\n"
                                                   "virtual_addresses = [\"10.99.1.10/24\"]\n"),
       {"26:21: vrrp.virtual_router_id: expected an integer, got a string"}},
      {"one id twice on a port", second("name = \"VI_2\"\nport = \"front\"\nvirtual_router_id = 101\n"
                                        "virtual_addresses = [\"10.99.1.20/24\"]\n"),
       {"31:21: vrrp.virtual_router_id: 101 is already used on port 'front' by [[vrrp]] 'VI_1' (line 23); each "
        "virtual router on a segment needs its own id (and its own virtual MAC)"}},
      {"one id twice on a port, v2 and v3", second("name = \"VI_2\"\nport = \"front\"\nversion = 3\n"
                                                   "virtual_router_id = 101\n"
                                                   "virtual_addresses = [\"10.99.1.20/24\"]\n"),
       {"32:21: vrrp.virtual_router_id: 101 is already used on port 'front' by [[vrrp]] 'VI_1' (line 23); each "
        "virtual router on a segment needs its own id (and its own virtual MAC)"}},
      {"priority 0", instance("priority = 0\n"), {"28:12: vrrp.priority: 0 is out of range 1..255"}},
      {"priority 256", instance("priority = 256\n"), {"28:12: vrrp.priority: 256 is out of range 1..255"}},
      {"version 1", instance("version = 1\n"), {"28:11: vrrp.version: 1 is out of range 2..3"}},
      {"version 4 hides the version checks", instance("version = 4\nadvert_int = 0.5\nv3_checksum = \"rfc9568\"\n"),
       {"28:11: vrrp.version: 4 is out of range 2..3"}},

      // advert_int
      {"advert_int 0", instance("advert_int = 0\n"), {"28:14: vrrp.advert_int: 0 is out of range 0.01..255 seconds"}},
      {"advert_int 256", instance("advert_int = 256\n"),
       {"28:14: vrrp.advert_int: 256 is out of range 0.01..255 seconds"}},
      {"advert_int below a centisecond", v3_instance("advert_int = 0.001\n"),
       {"29:14: vrrp.advert_int: 0.001 is out of range 0.01..255 seconds"}},
      {"advert_int with a thousandth", v3_instance("advert_int = 0.015\n"),
       {"29:14: vrrp.advert_int: 0.015 is not a whole number of hundredths of a second (VRRP counts the interval "
        "in centiseconds)"}},
      {"advert_int in microseconds", v3_instance("advert_int = \"15ms\"\n"),
       {"29:14: vrrp.advert_int: 15ms is not a whole number of hundredths of a second (VRRP counts the interval "
        "in centiseconds)"}},
      {"advert_int below 10ms", v3_instance("advert_int = \"5ms\"\n"),
       {"29:14: vrrp.advert_int: 5ms is out of range 10ms..255s"}},
      {"advert_int of a malformed duration", instance("advert_int = \"1 s\"\n"),
       {"28:14: vrrp.advert_int: '1 s' has an unknown unit ' s' (expected us, ms, s, m, h or d)"}},
      {"advert_int as a boolean", instance("advert_int = true\n"),
       {"28:14: vrrp.advert_int: expected a number of seconds (1, 0.5) or a duration (\"500ms\"), got a boolean"}},
      {"a fraction of a second with v2", instance("advert_int = 1.5\n"),
       {"28:14: vrrp.advert_int: 1.5 s is not a whole number of seconds, which VRRPv2 advertises; write a whole "
        "number or set version = 3"}},
      {"milliseconds with v2", instance("advert_int = \"500ms\"\n"),
       {"28:14: vrrp.advert_int: 0.5 s is not a whole number of seconds, which VRRPv2 advertises; write a whole "
        "number or set version = 3"}},
      {"above 40.95 s with v3", v3_instance("advert_int = 41\n"),
       {"29:14: vrrp.advert_int: 41 s is above 40.95 s, the longest interval VRRPv3 carries"}},
      {"v3 written after advert_int", instance("advert_int = 60\nversion = 3\n"),
       {"28:14: vrrp.advert_int: 60 s is above 40.95 s, the longest interval VRRPv3 carries"}},

      // auth_pass
      {"auth_pass with v3", v3_instance("auth_pass = \"12345678\"\n"),
       {"29:13: vrrp.auth_pass: VRRPv3 has no authentication, and version is 3; remove auth_pass or set version "
        "= 2"}},
      {"an empty auth_pass", instance("auth_pass = \"\"\n"),
       {"28:13: vrrp.auth_pass: must hold 1 to 8 characters; leave auth_pass out for no authentication"}},
      {"auth_pass as a number", instance("auth_pass = 12345678\n"),
       {"28:13: vrrp.auth_pass: expected a string, got an integer"}},
      {"auth_pass with a tab", instance("auth_pass = \"a\\tb\"\n"),
       {"28:13: vrrp.auth_pass: may only hold printable ASCII characters"}},
      {"auth_pass in UTF-8", instance("auth_pass = \"pässe\"\n"),
       {"28:13: vrrp.auth_pass: may only hold printable ASCII characters"}},

      // preempt, preempt_delay
      {"nopreempt on a MASTER", instance("state = \"MASTER\"\npriority = 101\npreempt = false\n"),
       {"30:11: vrrp.preempt: preempt = false needs state = \"BACKUP\": an instance that starts as MASTER takes over "
        "at once, whatever the other routers' priorities"}},
      {"nopreempt on a MASTER without priority", instance("state = \"MASTER\"\npreempt = false\n"),
       {"29:11: vrrp.preempt: an address owner (priority 255, from state = \"MASTER\") always takes over; preempt "
        "= false needs a priority below 255"}},
      {"nopreempt on an address owner", instance("priority = 255\npreempt = false\n"),
       {"29:11: vrrp.preempt: an address owner (priority 255) always takes over; preempt = false needs a priority "
        "below 255"}},
      {"preempt_delay without preempt", instance("preempt = false\npreempt_delay = \"5s\"\n"),
       {"29:17: vrrp.preempt_delay: applies only when preempt = true; remove preempt_delay or preempt = false"}},
      {"preempt_delay above keepalived's limit", instance("preempt_delay = \"1001s\"\n"),
       {"28:17: vrrp.preempt_delay: 1001s is out of range 0s..1000s"}},
      {"preempt as a string", instance("preempt = \"yes\"\n"),
       {"28:11: vrrp.preempt: expected a boolean (true or false), got a string"}},

      // virtual_addresses
      {"no virtual address", vrrp_table("name = \"VI_1\"\nport = \"front\"\nvirtual_router_id = 1\n"
                                        "virtual_addresses = []\n"),
       {"27:21: vrrp.virtual_addresses: must list at least one address"}},
      {"a virtual address as a string", vrrp_table("name = \"VI_1\"\nport = \"front\"\nvirtual_router_id = 1\n"
                                                   "virtual_addresses = \"10.99.1.10/24\"\n"),
       {"27:21: vrrp.virtual_addresses: expected an array of strings, like [\"10.99.1.10/24\"], got a string"}},
      {"a malformed virtual address", vrrp_table("name = \"VI_1\"\nport = \"front\"\nvirtual_router_id = 1\n"
                                                 "virtual_addresses = [\"10.99.1.300/24\"]\n"),
       {"27:22: vrrp.virtual_addresses: '10.99.1.300/24' is not an IPv4 address with an optional prefix length, "
        "like 10.99.1.10/24"}},
      {"a multicast virtual address", vrrp_table("name = \"VI_1\"\nport = \"front\"\nvirtual_router_id = 1\n"
                                                 "virtual_addresses = [\"224.0.0.18/24\"]\n"),
       {"27:22: vrrp.virtual_addresses: 224.0.0.18 is a multicast address, not a virtual address"}},
      {"a virtual address twice", vrrp_table("name = \"VI_1\"\nport = \"front\"\nvirtual_router_id = 1\n"
                                             "virtual_addresses = [\"10.99.1.10/24\", \"10.99.1.10/32\"]\n"),
       {"27:39: vrrp.virtual_addresses: 10.99.1.10 is listed twice"}},
      {"a virtual address outside the port's subnet",
       vrrp_table("name = \"VI_1\"\nport = \"front\"\nvirtual_router_id = 1\n"
                  "virtual_addresses = [\"10.99.3.10/24\"]\n"),
       {"27:22: vrrp.virtual_addresses: 10.99.3.10 is not inside port 'front' subnet 10.99.1.0/24; dplb answers ARP "
        "for a virtual address only on its instance's port"}},
      {"the port's own address", vrrp_table("name = \"VI_1\"\nport = \"front\"\nvirtual_router_id = 1\n"
                                            "virtual_addresses = [\"10.99.1.2/24\"]\n"),
       {"27:22: vrrp.virtual_addresses: 10.99.1.2 is port 'front' own address; a virtual address must be one no "
        "router owns"}},
      {"another port's address", vrrp_table("name = \"VI_1\"\nport = \"front\"\nvirtual_router_id = 1\n"
                                            "virtual_addresses = [\"10.99.2.2/24\"]\n"),
       {"27:22: vrrp.virtual_addresses: 10.99.2.2 is port 'back' own address; a virtual address must be one no "
        "router owns"}},
      {"the subnet's broadcast address", vrrp_table("name = \"VI_1\"\nport = \"front\"\nvirtual_router_id = 1\n"
                                                    "virtual_addresses = [\"10.99.1.255/24\"]\n"),
       {"27:22: vrrp.virtual_addresses: 10.99.1.255 is the broadcast address of port 'front' subnet 10.99.1.0/24"}},
      {"the subnet's network address", vrrp_table("name = \"VI_1\"\nport = \"front\"\nvirtual_router_id = 1\n"
                                                  "virtual_addresses = [\"10.99.1.0/32\"]\n"),
       {"27:22: vrrp.virtual_addresses: 10.99.1.0 is the network address of port 'front' subnet 10.99.1.0/24"}},
      {"a prefix wider than the port's", vrrp_table("name = \"VI_1\"\nport = \"front\"\nvirtual_router_id = 1\n"
                                                    "virtual_addresses = [\"10.99.1.10/16\"]\n"),
       {"27:22: vrrp.virtual_addresses: 10.99.1.10/16 is wider than port 'front' subnet 10.99.1.0/24; write /24 "
        "(or /32)"}},
      {"one address in two instances", second("name = \"VI_2\"\nport = \"front\"\nvirtual_router_id = 102\n"
                                              "virtual_addresses = [\"10.99.1.20/24\", \"10.99.1.10/24\"]\n"),
       {"32:39: vrrp.virtual_addresses: 10.99.1.10 is already a virtual address of [[vrrp]] 'VI_1' (line 23)"}},
      {"more addresses than a port's workers keep", many,
       {"27:21: vrrp.virtual_addresses: 33 addresses; dplb takes at most 32 per port (every worker keeps them in a "
        "fixed table); spread them over fewer instances or ports"}},
      {"more addresses than an advert carries", small_mtu,
       {"28:21: vrrp.virtual_addresses: 9 addresses, but one VRRPv2 advertisement on port 'front' (mtu 68) carries "
        "at most 8"}},

      // garp_*
      {"garp_repeat 0", instance("garp_repeat = 0\n"), {"28:15: vrrp.garp_repeat: 0 is out of range 1..100"}},
      {"garp_delay above an hour", instance("garp_delay = \"2h\"\n"),
       {"28:14: vrrp.garp_delay: 2h is out of range 0s..1h"}},
      {"garp_refresh below a second", instance("garp_refresh = \"500ms\"\n"),
       {"28:16: vrrp.garp_refresh: 500ms is below 1s; write \"0s\" for no periodic gratuitous ARP"}},
      {"garp_refresh above a day", instance("garp_refresh = \"2d\"\n"),
       {"28:16: vrrp.garp_refresh: 2d is out of range 0s..1d"}},

      // unicast_peers
      {"a peer with a prefix", instance("unicast_peers = [\"10.99.1.3/24\"]\n"),
       {"28:18: vrrp.unicast_peers: '10.99.1.3/24' is not an IPv4 address, like 10.99.1.3"}},
      {"a peer twice", instance("unicast_peers = [\"10.99.1.3\", \"10.99.1.3\"]\n"),
       {"28:31: vrrp.unicast_peers: 10.99.1.3 is listed twice"}},
      {"our own address as a peer", instance("unicast_peers = [\"10.99.1.2\"]\n"),
       {"28:18: vrrp.unicast_peers: 10.99.1.2 is port 'front' own address; list the other routers' addresses"}},
      {"a virtual address as a peer", instance("unicast_peers = [\"10.99.1.10\"]\n"),
       {"28:18: vrrp.unicast_peers: 10.99.1.10 is a virtual address of [[vrrp]] 'VI_1' (line 23); list the other "
        "routers' own addresses"}},
      {"a peer without a route", instance("unicast_peers = [\"192.0.2.1\"]\n"),
       {"28:18: vrrp.unicast_peers: no route to 192.0.2.1: it is outside every [[port]] subnet, no [[route]] covers "
        "it and no port has a gateway"}},
      {"the multicast group as a peer", instance("unicast_peers = [\"224.0.0.18\"]\n"),
       {"28:18: vrrp.unicast_peers: 224.0.0.18 is a multicast address, not a peer's"}},

      // v3_checksum
      {"v3_checksum with v2 by default", instance("v3_checksum = \"rfc9568\"\n"),
       {"28:15: vrrp.v3_checksum: applies to VRRPv3 only, and version is 2 (the default); set version = 3 or remove "
        "v3_checksum"}},
      {"v3_checksum with v2 written", instance("version = 2\nv3_checksum = \"rfc9568\"\n"),
       {"29:15: vrrp.v3_checksum: applies to VRRPv3 only, and version is 2; set version = 3 or remove "
        "v3_checksum"}},
      {"a misspelt v3_checksum", v3_instance("v3_checksum = \"pseudo_header\"\n"),
       {"29:15: vrrp.v3_checksum: 'pseudo_header' is not one of pseudo-header, rfc9568; did you mean "
        "'pseudo-header'?"}},

      // track_backends
      {"an unknown tracked backend", instance("track_backends = [{ backend = \"web_server\", weight = -60 }]\n"),
       {"28:31: vrrp.track_backends.backend: no [[backend]] is named 'web_server'; did you mean 'web_servers'?"}},
      {"a backend tracked twice", instance("track_backends = [{ backend = \"web_servers\", weight = -60 }, "
                                           "{ backend = \"web_servers\", weight = -10 }]\n"),
       {"28:74: vrrp.track_backends.backend: 'web_servers' is already tracked by this instance"}},
      {"a weight out of range", instance("track_backends = [{ backend = \"web_servers\", weight = -255 }]\n"),
       {"28:55: vrrp.track_backends.weight: -255 is out of range -254..254"}},
      {"a weight on an address owner", instance("priority = 255\ntrack_backends = [{ backend = \"web_servers\", "
                                                "weight = -60 }]\n"),
       {"29:55: vrrp.track_backends.weight: the priority of an address owner (255) never changes; use weight 0 "
        "(FAULT while the backend has no server up) or a priority below 255"}},
      {"a weight on a MASTER without priority", instance("state = \"MASTER\"\ntrack_backends = [{ backend = "
                                                         "\"web_servers\", weight = 10 }]\n"),
       {"29:55: vrrp.track_backends.weight: the priority of an address owner (255, from state = \"MASTER\") never "
        "changes; use weight 0 (FAULT while the backend has no server up) or a priority below 255"}},
      {"a tracked backend without its name", instance("track_backends = [{ weight = -60 }]\n"),
       {"28:19: vrrp.track_backends: missing required key 'backend'"}},
      {"keepalived's script in a track", instance("track_backends = [{ script = \"chk\" }]\n"),
       {"28:19: vrrp.track_backends: missing required key 'backend'",
        "28:21: unknown key 'script' in [[vrrp.track_backends]]; dplb tracks its own backends: name one with "
        "backend = \"NAME\""}},
      {"track_backends as names", instance("track_backends = [\"web_servers\"]\n"),
       {"28:18: vrrp.track_backends: expected an array of tables, like [{ backend = \"web_servers\", weight = -60 "
        "}], got an array"}},

      // notify
      {"a relative notify", instance("notify = \"notify.sh\"\n"),
       {"28:10: vrrp.notify: 'notify.sh' must be an absolute path (or \"\" for no script)"}},
      {"a missing notify", instance("notify = \"" + missing + "\"\n"),
       {"28:10: vrrp.notify: cannot use '" + missing + "': No such file or directory"}},
      {"a notify that is not executable", instance("notify = \"" + plain + "\"\n"),
       {"28:10: vrrp.notify: '" + plain + "' is not executable (chmod +x it)"}},
      {"a notify anyone may change", instance("notify = \"" + shared + "\"\n"),
       {"28:10: vrrp.notify: '" + shared +
        "' is writable by every user, and dplb runs it with its own privileges; chmod o-w it"}},
      {"a directory as notify", instance("notify = \"" + directory + "\"\n"),
       {"28:10: vrrp.notify: '" + directory + "' is not a regular file"}},

      // Other sections that meet virtual addresses
      {"a bind on neither a port's nor a virtual address", bad_bind,
       {"16:9: frontend.bind: 10.99.1.11 is not an address of any [[port]] nor a virtual address of any [[vrrp]] "
        "(10.99.1.2, 10.99.2.2, 10.99.1.10); listen on one of those or on *:80"}},
      {"a server on a virtual address", vip_server,
       {"22:11: backend.server.address: 10.99.1.10 is a virtual address of [[vrrp]] 'VI_1'"}},
      {"a static ARP entry for a virtual address",
       instance("[[arp]]\naddress = \"10.99.1.10\"\nmac = \"02:00:00:00:00:01\"\n"),
       {"29:11: arp.address: 10.99.1.10 is a virtual address of [[vrrp]] 'VI_1', which dplb answers for itself"}},
      {"a route through a virtual address",
       instance("[[route]]\ndestination = \"192.0.2.0/24\"\ngateway = \"10.99.1.10\"\n"),
       {"30:11: route.gateway: 10.99.1.10 is a virtual address of [[vrrp]] 'VI_1'"}},
  };
}

class BrokenVrrpTest : public testing::TestWithParam<BrokenVrrp> {};

TEST_P(BrokenVrrpTest, ReportsExactErrorAndPosition) {
  const BrokenVrrp& c = GetParam();
  LoadResult result = load_config_text(c.text, "dplb.toml");
  EXPECT_FALSE(result.config.has_value()) << c.what;
  std::vector<std::string> expected;
  for (const auto& e : c.errors) expected.push_back("dplb.toml:" + e);
  EXPECT_EQ(result.diagnostics.formatted(), expected) << c.what << "\n--- input ---\n" << c.text;
}

std::string case_name(const testing::TestParamInfo<BrokenVrrp>& info) {
  std::string name;
  for (char c : info.param.what) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Table, BrokenVrrpTest, testing::ValuesIn(broken()), case_name);

// ---- Robustness, rendering, documentation, examples -----------------------

// Every value of a full instance replaced by values of every other shape:
// the loader must answer with a configuration or with errors, never throw.
TEST(ConfigVrrp, NoValueShapeCrashesTheLoader) {
  const std::string full = full_v3();
  const std::vector<std::string> shapes = {"0",         "-1",         "256",        "4294967296", "1.5",
                                           "0.001",     "1e300",      "nan",        "-inf",       "true",
                                           "\"\"",      "\"x\"",      "\"/\"",      "\"1s\"",     "\"MASTER\"",
                                           "[]",        "[1, 2]",     "[\"\"]",     "[[1]]",      "{}",
                                           "{ a = 1 }", "1979-05-27", "[{}]",       "[{ backend = 1 }]"};
  std::size_t begin = 0;
  std::size_t replaced = 0;
  while (begin < full.size()) {
    const std::size_t end = full.find('\n', begin);
    const std::string line = full.substr(begin, end - begin);
    const std::size_t equals = line.find(" = ");
    if (equals != std::string::npos && begin > full.find("[[vrrp]]")) {
      for (const auto& shape : shapes) {
        const std::string text = full.substr(0, begin) + line.substr(0, equals + 3) + shape + full.substr(end);
        EXPECT_NO_THROW({
          const LoadResult result = load_config_text(text, "fuzz.toml");
          EXPECT_NE(result.config.has_value(), result.diagnostics.has_errors()) << text;
        }) << text;
        ++replaced;
      }
    }
    begin = end + 1;
  }
  EXPECT_GT(replaced, 400u);
}

TEST(ConfigVrrp, ShowConfigLoadsBackUnchanged) {
  const std::vector<std::string> texts = {
      full_v3(),
      lab_v2(),
      instance(""),
      instance("state = \"MASTER\"\n"),
      instance("preempt = false\nauth_pass = \"pass\"\ntrack_backends = [{ backend = \"web_servers\" }]\n"),
      v3_instance("advert_int = 0.05\nunicast_peers = [\"10.99.2.3\"]\n"),
      second("name = \"VI_2\"\nport = \"back\"\nvirtual_router_id = 7\nvirtual_addresses = [\"10.99.2.10/24\"]\n"),
  };
  for (const std::string& text : texts) {
    const Config first = load_ok(text);
    const std::string rendered = render_config(first);
    auto second_load = load_config_text(rendered, "dplb.toml");
    ASSERT_TRUE(second_load.config) << second_load.diagnostics.formatted().front() << "\n" << rendered;
    EXPECT_TRUE(second_load.diagnostics.empty()) << second_load.diagnostics.formatted().front();
    EXPECT_EQ(render_config(*second_load.config), rendered);
  }
}

TEST(ConfigVrrp, ShowConfigWritesEveryKey) {
  const std::string rendered = render_config(load_ok(full_v3()));
  const std::string expected = "\n[[vrrp]]\nname = \"VI_1\"\nport = \"front\"\nstate = \"BACKUP\"\n"
                               "virtual_router_id = 101\npriority = 101\nversion = 3\nadvert_int = 0.5\n"
                               "preempt = true\npreempt_delay = \"30s\"\n"
                               "virtual_addresses = [\"10.99.1.10/24\", \"10.99.1.11/32\", \"10.99.1.12/32\"]\n"
                               "garp_repeat = 3\ngarp_delay = \"10s\"\ngarp_refresh = \"1m\"\n"
                               "unicast_peers = [\"10.99.1.3\", \"10.99.1.4\"]\nuse_vmac = true\n"
                               "v3_checksum = \"rfc9568\"\n"
                               "track_backends = [{ backend = \"web_servers\", weight = -60 }]\n"
                               "notify = \"" +
                               notify_script() + "\"\n";
  EXPECT_NE(rendered.find(expected), std::string::npos) << "missing:\n" << expected << "\nin:\n" << rendered;
  std::size_t keys = 0;
  for (const auto& doc : config_key_docs()) {
    if (doc.section != "[[vrrp]]") continue;
    ++keys;
    if (doc.key == "auth_pass") continue;  // a v2 key, written in ShowConfigLeavesOutWhatWouldNotLoadBack
    EXPECT_NE(expected.find("\n" + doc.key + " = "), std::string::npos) << doc.key;
  }
  EXPECT_EQ(keys, 18u) << "track_backends is listed as [[vrrp.track_backends]]";
}

// A v2 instance has no v3_checksum and a nopreempt one no preempt_delay:
// the loader would refuse them, so show config leaves them out.
TEST(ConfigVrrp, ShowConfigLeavesOutWhatWouldNotLoadBack) {
  const std::string v2 = render_config(load_ok(lab_v2()));
  EXPECT_EQ(v2.find("v3_checksum"), std::string::npos) << v2;
  EXPECT_NE(v2.find("auth_pass = \"12345678\"\n"), std::string::npos) << v2;
  const std::string nopreempt = render_config(load_ok(instance("preempt = false\n")));
  EXPECT_EQ(nopreempt.find("preempt_delay"), std::string::npos) << nopreempt;
  EXPECT_EQ(nopreempt.find("auth_pass"), std::string::npos) << "no authentication, no key";
}

TEST(ConfigVrrp, KeysAreListedForTheDocs) {
  std::vector<std::string> vrrp;
  std::vector<std::string> track;
  for (const auto& doc : config_key_docs()) {
    if (doc.section == "[[vrrp]]") vrrp.push_back(doc.key + (doc.required ? "*" : ""));
    if (doc.section == "[[vrrp.track_backends]]") track.push_back(doc.key + (doc.required ? "*" : ""));
  }
  EXPECT_EQ(vrrp, (std::vector<std::string>{"name*", "port*", "state", "virtual_router_id*", "priority", "version",
                                            "advert_int", "auth_pass", "preempt", "preempt_delay",
                                            "virtual_addresses*", "garp_repeat", "garp_delay", "garp_refresh",
                                            "unicast_peers", "use_vmac", "v3_checksum", "notify"}));
  EXPECT_EQ(track, (std::vector<std::string>{"backend*", "weight"}));
}

// The reference lab: keepalived-lb1.conf and keepalived-lb2.conf translated,
// with HAProxy's frontend on the virtual address.
TEST(ConfigExamples, LabExamplesShareTheReferenceVirtualRouter) {
  struct Lab {
    const char* file;
    VrrpState state;
    uint8_t priority;
  };
  for (const Lab& lab : {Lab{"lab-lb1.toml", VrrpState::master, 101}, Lab{"lab-lb2.toml", VrrpState::backup, 50}}) {
    auto result = load_config_file(std::string(DPLB_SOURCE_ROOT) + "/conf/examples/" + lab.file);
    ASSERT_TRUE(result.config) << lab.file << ": "
                               << (result.diagnostics.empty() ? "" : result.diagnostics.formatted().front());
    EXPECT_TRUE(result.diagnostics.empty()) << lab.file;
    const Config& c = *result.config;
    ASSERT_EQ(c.vrrp.size(), 1u) << lab.file;
    const VrrpConfig& v = c.vrrp[0];
    EXPECT_EQ(v.name, "VI_1") << lab.file;
    EXPECT_EQ(v.port, "front") << lab.file;
    EXPECT_EQ(v.state, lab.state) << lab.file;
    EXPECT_EQ(v.priority, lab.priority) << lab.file;
    EXPECT_EQ(v.virtual_router_id, 101) << lab.file;
    EXPECT_EQ(v.version, 2) << lab.file;
    EXPECT_EQ(v.advert_int_cs, 100) << lab.file;
    EXPECT_EQ(v.auth_pass, "12345678") << lab.file;
    ASSERT_EQ(v.virtual_addresses.size(), 1u) << lab.file;
    EXPECT_EQ(v.virtual_addresses[0].to_string(), "10.99.1.10/24") << lab.file;
    ASSERT_EQ(c.frontends.size(), 1u) << lab.file;
    ASSERT_EQ(c.frontends[0].bind.size(), 2u) << lab.file;  // :80 and :443 on the virtual address
    for (const auto& bind : c.frontends[0].bind) EXPECT_EQ(bind.address.to_string(), "10.99.1.10") << lab.file;
    EXPECT_EQ(c.frontends[0].bind[0].port, 80) << lab.file;
    EXPECT_EQ(c.frontends[0].bind[1].port, 443) << lab.file;
  }
}

TEST(ConfigExamples, BareMetalExampleHasAVirtualRouter) {
  auto result = load_config_file(std::string(DPLB_SOURCE_ROOT) + "/conf/examples/bare-metal.toml");
  ASSERT_TRUE(result.config) << (result.diagnostics.empty() ? "" : result.diagnostics.formatted().front());
  ASSERT_EQ(result.config->vrrp.size(), 1u);
  EXPECT_FALSE(result.config->vrrp[0].virtual_addresses.empty());
}

}  // namespace
}  // namespace dplb::conf
