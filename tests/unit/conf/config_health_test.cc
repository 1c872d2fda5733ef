// Health checks: [backend.health_check] and the servers' check, check_port
// and slowstart. What a valid file yields and how `show config` writes it
// back, and the exact message and position of every mistake the loader knows.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "conf/config_loader.h"
#include "conf/config_render.h"
#include "conf/config_schema.h"
#include "conf/proxy_values.h"

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
// Lines 14-17.
constexpr const char* kFrontend =
    "[[frontend]]\n"
    "name = \"http_front\"\n"
    "bind = [\"*:80\"]\n"
    "default_backend = \"web_servers\"\n";
// Lines 18-19.
constexpr const char* kBackend =
    "[[backend]]\n"
    "name = \"web_servers\"\n";
// Three lines.
constexpr const char* kServer =
    "[[backend.server]]\n"
    "name = \"server1\"\n"
    "address = \"10.99.2.11:80\"\n";

// The table's header is line 20 and `keys` start at line 21; then one server
// with `check = true`.
std::string with_check(const std::string& keys) {
  return std::string(kPorts) + kFrontend + kBackend + "[backend.health_check]\n" + keys + kServer + "check = true\n";
}
// The same with a server that is not checked.
std::string with_unused_check(const std::string& keys) {
  return std::string(kPorts) + kFrontend + kBackend + "[backend.health_check]\n" + keys + kServer;
}
// An http check: `type = "http"` on line 21, `keys` from line 22.
std::string http_check(const std::string& keys) { return with_check("type = \"http\"\n" + keys); }
// `keys` start at line 23, inside the only server; no health-check table.
std::string server_with(const std::string& keys) {
  return std::string(kPorts) + kFrontend + kBackend + kServer + keys;
}
// `text` starts at line 14.
std::string after_ports(const std::string& text) { return std::string(kPorts) + text; }

Config load_ok(const std::string& text) {
  auto result = load_config_text(text, "dplb.toml");
  EXPECT_TRUE(result.config) << (result.diagnostics.empty() ? "" : result.diagnostics.formatted().front()) << "\n"
                             << text;
  return result.config ? *result.config : Config{};
}

// The [backend.health_check] table of the first backend as `show config`
// writes it, header included.
std::string rendered_check(const Config& c) {
  const std::string all = render_config(c);
  const std::size_t begin = all.find("[backend.health_check]\n");
  if (begin == std::string::npos) return "";
  return all.substr(begin, all.find("\n\n", begin) - begin + 1);
}

// ---- Valid files -----------------------------------------------------------

TEST(ConfigHealth, DefaultsWithoutTheTable) {
  const Config c = load_ok(std::string(kPorts) + kFrontend + kBackend + kServer);
  ASSERT_EQ(c.backends.size(), 1u);
  const HealthCheckConfig& h = c.backends[0].health_check;
  EXPECT_EQ(h.type, HealthCheckType::tcp);
  EXPECT_EQ(h.interval, Duration{2'000'000});
  EXPECT_FALSE(h.fastinter) << "unset: the consumer uses interval";
  EXPECT_FALSE(h.downinter) << "unset: the consumer uses interval";
  EXPECT_FALSE(h.timeout) << "unset: the consumer uses interval";
  EXPECT_EQ(h.rise, 2u);
  EXPECT_EQ(h.fall, 3u);
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.path, "/");
  EXPECT_EQ(h.host, "");
  ASSERT_EQ(h.expect_status.size(), 1u);
  EXPECT_EQ(h.expect_status[0].first, 200);
  EXPECT_EQ(h.expect_status[0].last, 399);
  EXPECT_FALSE(h.disable_on_404);
  EXPECT_EQ(h.observe, ObserveMode::none);
  EXPECT_EQ(h.error_limit, 10u);
  EXPECT_EQ(h.on_error, OnError::fail_check);
  EXPECT_TRUE(h.positions.empty());
  ASSERT_EQ(c.backends[0].servers.size(), 1u);
  const ServerConfig& s = c.backends[0].servers[0];
  EXPECT_FALSE(s.check);
  EXPECT_EQ(s.check_port, 0) << "0: checks go to the server's own port";
  EXPECT_EQ(s.slowstart, Duration{0});
}

// The contract as the operator writes it, every key set.
std::string full_check() {
  return std::string(kPorts) + kFrontend + kBackend +
         "[backend.health_check]\n"
         "type = \"http\"\n"
         "interval = \"2s\"\n"
         "fastinter = \"1s\"\n"
         "downinter = \"5s\"\n"
         "rise = 2\n"
         "fall = 3\n"
         "timeout = \"1s\"\n"
         "method = \"GET\"\n"
         "path = \"/health\"\n"
         "host = \"example.com\"\n"
         "expect_status = [\"200\", \"301-302\"]\n"
         "disable_on_404 = false\n"
         "observe = \"layer7\"\n"
         "error_limit = 10\n"
         "on_error = \"fail-check\"\n"
         "[[backend.server]]\n"
         "name = \"server1\"\n"
         "address = \"10.99.2.11:80\"\n"
         "check = true\n"
         "check_port = 8080\n"
         "slowstart = \"30s\"\n"
         "[[backend.server]]\n"
         "name = \"server2\"\n"
         "address = \"10.99.2.12:80\"\n";
}

TEST(ConfigHealth, EveryKeyIsReadBack) {
  const Config c = load_ok(full_check());
  ASSERT_EQ(c.backends.size(), 1u);
  const HealthCheckConfig& h = c.backends[0].health_check;
  EXPECT_EQ(h.type, HealthCheckType::http);
  EXPECT_EQ(h.interval, Duration{2'000'000});
  EXPECT_EQ(h.fastinter, Duration{1'000'000});
  EXPECT_EQ(h.downinter, Duration{5'000'000});
  EXPECT_EQ(h.rise, 2u);
  EXPECT_EQ(h.fall, 3u);
  EXPECT_EQ(h.timeout, Duration{1'000'000});
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.path, "/health");
  EXPECT_EQ(h.host, "example.com");
  ASSERT_EQ(h.expect_status.size(), 2u);
  EXPECT_EQ(h.expect_status[0].first, 200);
  EXPECT_EQ(h.expect_status[0].last, 200);
  EXPECT_EQ(h.expect_status[1].first, 301);
  EXPECT_EQ(h.expect_status[1].last, 302);
  EXPECT_FALSE(h.disable_on_404);
  EXPECT_EQ(h.observe, ObserveMode::layer7);
  EXPECT_EQ(h.error_limit, 10u);
  EXPECT_EQ(h.on_error, OnError::fail_check);
  EXPECT_EQ(h.positions.size(), 15u) << "every key's position is recorded";
  EXPECT_EQ(h.positions.at("path").line, 29u);
  EXPECT_EQ(h.positions.at("path").column, 8u);
  EXPECT_EQ(c.backends[0].positions.at("health_check").line, 20u) << "the table's header";

  ASSERT_EQ(c.backends[0].servers.size(), 2u);
  const ServerConfig& s = c.backends[0].servers[0];
  EXPECT_TRUE(s.check);
  EXPECT_EQ(s.check_port, 8080);
  EXPECT_EQ(s.slowstart, Duration{30'000'000});
  EXPECT_FALSE(c.backends[0].servers[1].check);
}

// Where the table may stand and how it may be written, as TOML allows.
TEST(ConfigHealth, TablePlacementAndForms) {
  struct Case {
    const char* what;
    std::string text;
  };
  const std::vector<Case> cases = {
      {"after the backend's servers",
       std::string(kPorts) + kFrontend + kBackend + kServer + "check = true\n" +
           "[backend.health_check]\ntype = \"http\"\npath = \"/health\"\n"},
      {"between two servers",
       std::string(kPorts) + kFrontend + kBackend + kServer + "check = true\n" +
           "[backend.health_check]\ntype = \"http\"\npath = \"/health\"\n" +
           "[[backend.server]]\nname = \"server2\"\naddress = \"10.99.2.12:80\"\n"},
      {"as an inline table",
       std::string(kPorts) + kFrontend + kBackend + "health_check = { type = \"http\", path = \"/health\" }\n" +
           kServer + "check = true\n"},
      {"as a dotted key", std::string(kPorts) + kFrontend + kBackend +
                              "health_check.type = \"http\"\nhealth_check.path = \"/health\"\n" + kServer +
                              "check = true\n"},
  };
  for (const auto& c : cases) {
    const Config config = load_ok(c.text);
    ASSERT_EQ(config.backends.size(), 1u) << c.what;
    EXPECT_EQ(config.backends[0].health_check.type, HealthCheckType::http) << c.what;
    EXPECT_EQ(config.backends[0].health_check.path, "/health") << c.what;
  }
}

TEST(ConfigHealth, EachBackendHasItsOwnCheck) {
  const Config c = load_ok(std::string(kPorts) + kFrontend + kBackend + "[backend.health_check]\ntype = \"http\"\n" +
                           kServer + "check = true\n" + "[[backend]]\nname = \"other\"\n" +
                           "[[backend.server]]\nname = \"server1\"\naddress = \"10.99.2.13:80\"\ncheck = true\n" +
                           "[backend.health_check]\nrise = 5\n");
  ASSERT_EQ(c.backends.size(), 2u);
  EXPECT_EQ(c.backends[0].health_check.type, HealthCheckType::http);
  EXPECT_EQ(c.backends[0].health_check.rise, 2u);
  EXPECT_EQ(c.backends[1].health_check.type, HealthCheckType::tcp);
  EXPECT_EQ(c.backends[1].health_check.rise, 5u);
}

// Combinations that are allowed even though part of them has no effect:
// dplb cannot warn, and refusing them would refuse HAProxy's own habits.
TEST(ConfigHealth, AcceptedCombinations) {
  struct Case {
    const char* what;
    std::string text;
  };
  const std::vector<Case> cases = {
      {"check on a server without the table (a tcp check with the defaults)", server_with("check = true\n")},
      {"the table with no checked server", with_unused_check("type = \"http\"\npath = \"/health\"\n")},
      {"observe none with no checked server", with_unused_check("observe = \"none\"\n")},
      {"error_limit and on_error without observe", with_check("error_limit = 3\non_error = \"mark-down\"\n")},
      {"observe layer7 with a tcp check", with_check("observe = \"layer7\"\n")},
      {"observe layer4 with an http check", http_check("observe = \"layer4\"\n")},
      {"observe with one checked server among others",
       with_unused_check("observe = \"layer4\"\n") + "[[backend.server]]\nname = \"server2\"\n" +
           "address = \"10.99.2.12:80\"\ncheck = true\n"},
      {"check_port without check", server_with("check_port = 8080\n")},
      {"slowstart without check", server_with("slowstart = \"1m\"\n")},
      {"check_port equal to the server's port", server_with("check = true\ncheck_port = 80\n")},
      {"a timeout longer than every interval",
       with_check("interval = \"1s\"\nfastinter = \"100ms\"\ndowninter = \"200ms\"\ntimeout = \"1h\"\n")},
      {"fastinter longer than interval", with_check("interval = \"1s\"\nfastinter = \"5s\"\n")},
      {"disable_on_404 while expect_status accepts 404 (disable_on_404 wins, as in HAProxy)",
       http_check("expect_status = \"200-404\"\ndisable_on_404 = true\n")},
      {"type tcp written out", with_check("type = \"tcp\"\n")},
      {"an empty host, as when left out", http_check("host = \"\"\n")},
      {"a backup server with checks", server_with("backup = true\ncheck = true\n")},
  };
  for (const auto& c : cases) {
    auto result = load_config_text(c.text, "dplb.toml");
    EXPECT_TRUE(result.config) << c.what << ": "
                               << (result.diagnostics.empty() ? "" : result.diagnostics.formatted().front());
  }
}

// Each accepted value, and the line `show config` writes for it.
struct Accepted {
  std::string keys;      // lines of an http check's table, after `type = "http"`
  std::string rendered;  // expected in the rendered table
};

TEST(ConfigHealth, AcceptedValuesAndHowTheyAreShown) {
  const std::vector<Accepted> cases = {
      {"interval = \"100ms\"\n", "interval = \"100ms\"\n"},
      {"interval = \"1h\"\n", "interval = \"1h\"\n"},
      {"interval = 2500\n", "interval = \"2500ms\"\n"},  // a bare number is milliseconds
      {"interval = \"120s\"\n", "interval = \"2m\"\n"},
      {"fastinter = \"500ms\"\n", "fastinter = \"500ms\"\n"},
      {"downinter = \"1m\"\n", "downinter = \"1m\"\n"},
      {"timeout = \"1ms\"\n", "timeout = \"1ms\"\n"},
      {"rise = 1\nfall = 100\n", "rise = 1\nfall = 100\n"},
      {"rise = 100\nfall = 1\n", "rise = 100\nfall = 1\n"},
      {"method = \"HEAD\"\n", "method = \"HEAD\"\n"},
      {"method = \"OPTIONS\"\n", "method = \"OPTIONS\"\n"},
      {"method = \"POST\"\n", "method = \"POST\"\n"},
      {"method = \"PROPFIND\"\n", "method = \"PROPFIND\"\n"},
      {"method = \"X-Check!\"\n", "method = \"X-Check!\"\n"},  // any token
      {"method = \"" + std::string(32, 'M') + "\"\n", "method = \"" + std::string(32, 'M') + "\"\n"},
      {"path = \"/\"\n", "path = \"/\"\n"},
      {"path = \"/health\"\n", "path = \"/health\"\n"},
      {"path = \"/status?full=1&x=%2F\"\n", "path = \"/status?full=1&x=%2F\"\n"},
      {"path = \"/a-b_c.~!$&'()*+,;=:@/\"\n", "path = \"/a-b_c.~!$&'()*+,;=:@/\"\n"},
      {"path = \"/" + std::string(1023, 'p') + "\"\n", "path = \"/" + std::string(1023, 'p') + "\"\n"},
      {"host = \"example.com\"\n", "host = \"example.com\"\n"},
      {"host = \"example.com:8080\"\n", "host = \"example.com:8080\"\n"},
      {"host = \"www.example.com.\"\n", "host = \"www.example.com.\"\n"},
      {"host = \"localhost\"\n", "host = \"localhost\"\n"},
      {"host = \"_check.internal-1\"\n", "host = \"_check.internal-1\"\n"},
      {"host = \"10.99.2.11\"\n", "host = \"10.99.2.11\"\n"},
      {"host = \"10.99.2.11:80\"\n", "host = \"10.99.2.11:80\"\n"},
      {"host = \"1.example.com\"\n", "host = \"1.example.com\"\n"},  // numeric labels, but not only
      {"host = \"[2001:db8::1]\"\n", "host = \"[2001:db8::1]\"\n"},
      {"host = \"[2001:db8::1]:8080\"\n", "host = \"[2001:db8::1]:8080\"\n"},
      {"host = \"" + std::string(63, 'h') + ".com\"\n", "host = \"" + std::string(63, 'h') + ".com\"\n"},
      {"expect_status = \"200\"\n", "expect_status = \"200\"\n"},
      {"expect_status = \"200-399\"\n", "expect_status = \"200-399\"\n"},
      {"expect_status = \"100-599\"\n", "expect_status = \"100-599\"\n"},
      {"expect_status = 204\n", "expect_status = \"204\"\n"},
      {"expect_status = [\"200-299\"]\n", "expect_status = \"200-299\"\n"},
      {"expect_status = [\"200\", \"301-302\"]\n", "expect_status = [\"200\", \"301-302\"]\n"},
      {"expect_status = [204, \"300-308\", 101]\n", "expect_status = [\"204\", \"300-308\", \"101\"]\n"},
      {"expect_status = [\"200-299\", \"300\"]\n", "expect_status = [\"200-299\", \"300\"]\n"},  // touching is fine
      {"disable_on_404 = true\n", "disable_on_404 = true\n"},
      {"observe = \"none\"\n", "observe = \"none\"\n"},
      {"observe = \"layer4\"\n", "observe = \"layer4\"\n"},
      {"observe = \"layer7\"\n", "observe = \"layer7\"\n"},
      {"error_limit = 1\n", "error_limit = 1\n"},
      {"error_limit = 1000\n", "error_limit = 1000\n"},
      {"on_error = \"fastinter\"\n", "on_error = \"fastinter\"\n"},
      {"on_error = \"fail-check\"\n", "on_error = \"fail-check\"\n"},
      {"on_error = \"sudden-death\"\n", "on_error = \"sudden-death\"\n"},
      {"on_error = \"mark-down\"\n", "on_error = \"mark-down\"\n"},
  };
  for (const auto& c : cases) {
    const Config config = load_ok(http_check(c.keys));
    const std::string table = rendered_check(config);
    EXPECT_NE(table.find(c.rendered), std::string::npos) << c.keys << "\nmissing:\n" << c.rendered << "in:\n" << table;
  }
}

TEST(ConfigHealth, ServerValues) {
  struct Case {
    std::string keys;
    bool check;
    uint16_t check_port;
    Duration slowstart;
    std::string rendered;
  };
  const std::vector<Case> cases = {
      {"check = true\n", true, 0, Duration{0}, "backup = false\ncheck = true\nslowstart = \"0s\"\n"},
      {"check = false\n", false, 0, Duration{0}, "check = false\nslowstart = \"0s\"\n"},
      {"check = true\ncheck_port = 1\n", true, 1, Duration{0}, "check = true\ncheck_port = 1\nslowstart = \"0s\"\n"},
      {"check_port = 65535\n", false, 65535, Duration{0}, "check = false\ncheck_port = 65535\n"},
      {"slowstart = \"0s\"\n", false, 0, Duration{0}, "slowstart = \"0s\"\n"},
      {"slowstart = 1500\n", false, 0, Duration{1'500'000}, "slowstart = \"1500ms\"\n"},
      {"slowstart = \"1h\"\n", false, 0, Duration{3'600'000'000}, "slowstart = \"1h\"\n"},
  };
  for (const auto& c : cases) {
    const Config config = load_ok(server_with(c.keys));
    ASSERT_EQ(config.backends.size(), 1u) << c.keys;
    ASSERT_EQ(config.backends[0].servers.size(), 1u) << c.keys;
    const ServerConfig& s = config.backends[0].servers[0];
    EXPECT_EQ(s.check, c.check) << c.keys;
    EXPECT_EQ(s.check_port, c.check_port) << c.keys;
    EXPECT_EQ(s.slowstart, c.slowstart) << c.keys;
    const std::string rendered = render_config(config);
    EXPECT_NE(rendered.find(c.rendered), std::string::npos) << c.keys << "\nmissing:\n" << c.rendered << rendered;
  }
}

TEST(ConfigHealth, StatusRanges) {
  struct Case {
    const char* text;
    uint16_t first;
    uint16_t last;
    const char* problem;  // "" when accepted
  };
  const std::vector<Case> cases = {
      {"200", 200, 200, ""},
      {"100", 100, 100, ""},
      {"599", 599, 599, ""},
      {"200-399", 200, 399, ""},
      {"404-404", 404, 404, ""},
      {"", 0, 0, "'' is not a status or a range of statuses, like \"200\" or \"200-399\""},
      {"2xx", 0, 0,
       "'2xx' is not a status or a range of statuses, like \"200\" or \"200-399\"; did you mean \"200-299\"?"},
      {"5XX", 0, 0,
       "'5XX' is not a status or a range of statuses, like \"200\" or \"200-399\"; did you mean \"500-599\"?"},
      {"200-", 0, 0, "'200-' is not a status or a range of statuses, like \"200\" or \"200-399\""},
      {"-200", 0, 0, "'-200' is not a status or a range of statuses, like \"200\" or \"200-399\""},
      {"200 - 399", 0, 0, "'200 - 399' is not a status or a range of statuses, like \"200\" or \"200-399\""},
      {"200-300-400", 0, 0, "'200-300-400' is not a status or a range of statuses, like \"200\" or \"200-399\""},
      {"0200", 0, 0, "'0200' is not a status or a range of statuses, like \"200\" or \"200-399\""},
      {"99", 0, 0, "'99': status 99 is out of range 100..599"},
      {"600", 0, 0, "'600': status 600 is out of range 100..599"},
      {"200-600", 0, 0, "'200-600': status 600 is out of range 100..599"},
      {"399-200", 0, 0, "'399-200': the first status 399 is above the last 200"},
  };
  for (const auto& c : cases) {
    StatusRange range{0, 0};
    EXPECT_EQ(parse_status_range(c.text, range), c.problem) << c.text;
    EXPECT_EQ(range.first, c.first) << c.text;
    EXPECT_EQ(range.last, c.last) << c.text;
    if (*c.problem == '\0') {
      const std::string shown = format_status_range(range);
      EXPECT_EQ(shown, c.first == c.last ? std::to_string(c.first) : std::string(c.text)) << c.text;
    }
  }
}

TEST(ConfigHealth, EnumNames) {
  EXPECT_STREQ(health_check_type_name(HealthCheckType::tcp), "tcp");
  EXPECT_STREQ(health_check_type_name(HealthCheckType::http), "http");
  EXPECT_STREQ(observe_mode_name(ObserveMode::none), "none");
  EXPECT_STREQ(observe_mode_name(ObserveMode::layer4), "layer4");
  EXPECT_STREQ(observe_mode_name(ObserveMode::layer7), "layer7");
  EXPECT_STREQ(on_error_name(OnError::fastinter), "fastinter");
  EXPECT_STREQ(on_error_name(OnError::fail_check), "fail-check");
  EXPECT_STREQ(on_error_name(OnError::sudden_death), "sudden-death");
  EXPECT_STREQ(on_error_name(OnError::mark_down), "mark-down");
}

// ---- Mistakes ------------------------------------------------------------

struct BrokenHealth {
  std::string what;
  std::string text;
  std::vector<std::string> errors;  // "LINE:COL: message"
};

void PrintTo(const BrokenHealth& c, std::ostream* os) { *os << c.what; }

const std::string kHttpOnly = "applies to http checks only, and type is \"tcp\"";

const std::vector<BrokenHealth>& cases() {
  static const std::vector<BrokenHealth> table = {
      // The table itself
      {"written as an array of tables",
       after_ports(std::string(kFrontend) + kBackend + "[[backend.health_check]]\ntype = \"http\"\n" + kServer),
       {"20:1: backend.health_check: expected a table ([backend.health_check]), got an array"}},
      {"written as a string", after_ports(std::string(kFrontend) + kBackend + "health_check = \"http\"\n" + kServer),
       {"20:16: backend.health_check: expected a table ([backend.health_check]), got a string"}},
      {"before any backend",
       after_ports(std::string(kFrontend) + "[backend.health_check]\ntype = \"http\"\n"),
       {"17:19: frontend.default_backend: no [[backend]] is named 'web_servers'; the file defines no [[backend]]",
        "18:1: backend.health_check: a [backend.health_check] table must follow the [[backend]] it belongs to"}},
      {"before any backend, with a server",
       after_ports(std::string(kFrontend) + "[backend.health_check]\ntype = \"http\"\n" + kServer),
       {"17:19: frontend.default_backend: no [[backend]] is named 'web_servers'; the file defines no [[backend]]",
        "18:1: backend.server: a [[backend.server]] table must follow the [[backend]] it belongs to",
        "18:1: backend.health_check: a [backend.health_check] table must follow the [[backend]] it belongs to"}},
      {"twice in one backend", with_check("rise = 2\n[backend.health_check]\nfall = 2\n"),
       {"22:1: TOML syntax error: Error while parsing table header: cannot redefine existing table "
        "'backend.health_check'"}},

      // Unknown keys
      {"HAProxy's inter", with_check("inter = \"2s\"\n"),
       {"21:1: unknown key 'inter' in [backend.health_check]; did you mean 'interval'?"}},
      {"HAProxy's uri", http_check("uri = \"/health\"\n"),
       {"22:1: unknown key 'uri' in [backend.health_check]; did you mean 'path'?"}},
      {"url for the path", http_check("url = \"/health\"\n"),
       {"22:1: unknown key 'url' in [backend.health_check]; did you mean 'path'?"}},
      {"HAProxy's expect", http_check("expect = \"200\"\n"),
       {"22:1: unknown key 'expect' in [backend.health_check]; did you mean 'expect_status'?"}},
      {"status for expect_status", http_check("status = \"200\"\n"),
       {"22:1: unknown key 'status' in [backend.health_check]; did you mean 'expect_status'?"}},
      {"HAProxy's timeout check", with_check("timeout_check = \"1s\"\n"),
       {"21:1: unknown key 'timeout_check' in [backend.health_check]; did you mean 'timeout'?"}},
      {"HAProxy's disable-on-404", http_check("disable-on-404 = true\n"),
       {"22:1: unknown key 'disable-on-404' in [backend.health_check]; did you mean 'disable_on_404'?"}},
      {"HAProxy's error-limit", with_check("error-limit = 5\n"),
       {"21:1: unknown key 'error-limit' in [backend.health_check]; did you mean 'error_limit'?"}},
      {"HAProxy's port in the table", with_check("port = 8080\n"),
       {"21:1: unknown key 'port' in [backend.health_check]; the port checks go to is set per server: write "
        "check_port in [[backend.server]]"}},
      {"check_port in the table", with_check("check_port = 8080\n"),
       {"21:1: unknown key 'check_port' in [backend.health_check]; the port checks go to is set per server: write "
        "it in [[backend.server]]"}},
      {"slowstart in the table", with_check("slowstart = \"30s\"\n"),
       {"21:1: unknown key 'slowstart' in [backend.health_check]; slowstart is set per server: write it in "
        "[[backend.server]]"}},
      {"an unrelated key", with_check("colour = \"blue\"\n"),
       {"21:1: unknown key 'colour' in [backend.health_check]"}},

      // type
      {"misspelt type", with_check("type = \"htp\"\n"),
       {"21:8: backend.health_check.type: 'htp' is not one of tcp, http; did you mean 'http'?"}},
      {"HAProxy's httpchk", with_check("type = \"httpchk\"\n"),
       {"21:8: backend.health_check.type: 'httpchk' is not one of tcp, http; did you mean 'http'?"}},
      {"HAProxy's tcp-check", with_check("type = \"tcp-check\"\n"),
       {"21:8: backend.health_check.type: 'tcp-check' is not one of tcp, http; did you mean 'tcp'?"}},
      {"https", with_check("type = \"https\"\n"),
       {"21:8: backend.health_check.type: 'https' is not one of tcp, http; did you mean 'http'?"}},
      {"type in capitals", with_check("type = \"HTTP\"\n"),
       {"21:8: backend.health_check.type: 'HTTP' is not one of tcp, http"}},
      {"unrelated type", with_check("type = \"icmp\"\n"),
       {"21:8: backend.health_check.type: 'icmp' is not one of tcp, http"}},
      {"type as a number", with_check("type = 7\n"),
       {"21:8: backend.health_check.type: expected a string, got an integer"}},

      // Intervals and timeout
      {"interval below 100ms", with_check("interval = \"99ms\"\n"),
       {"21:12: backend.health_check.interval: 99ms is out of range 100ms..1h"}},
      {"interval of zero", with_check("interval = 0\n"),
       {"21:12: backend.health_check.interval: 0s is out of range 100ms..1h"}},
      {"interval above an hour", with_check("interval = 3600001\n"),
       {"21:12: backend.health_check.interval: 3600001 is out of range 100..3600000"}},
      {"interval with a fraction", with_check("interval = \"1.5s\"\n"),
       {"21:12: backend.health_check.interval: '1.5s' has an unknown unit '.5s' (expected us, ms, s, m, h or d)"}},
      {"interval as a float", with_check("interval = 1.5\n"),
       {"21:12: backend.health_check.interval: expected a duration (\"5s\") or milliseconds, got a "
        "floating-point number"}},
      {"negative interval", with_check("interval = -1\n"),
       {"21:12: backend.health_check.interval: -1 is out of range 100..3600000"}},
      {"fastinter above an hour", with_check("fastinter = \"2h\"\n"),
       {"21:13: backend.health_check.fastinter: 2h is out of range 100ms..1h"}},
      {"fastinter below 100ms", with_check("fastinter = \"50ms\"\n"),
       {"21:13: backend.health_check.fastinter: 50ms is out of range 100ms..1h"}},
      {"downinter of zero", with_check("downinter = 0\n"),
       {"21:13: backend.health_check.downinter: 0s is out of range 100ms..1h"}},
      {"downinter with a space", with_check("downinter = \"30 s\"\n"),
       {"21:13: backend.health_check.downinter: '30 s' has an unknown unit ' s' (expected us, ms, s, m, h or d)"}},
      {"timeout of zero", with_check("timeout = \"0s\"\n"),
       {"21:11: backend.health_check.timeout: 0s is out of range 1ms..1h"}},
      {"timeout above an hour", with_check("timeout = \"61m\"\n"),
       {"21:11: backend.health_check.timeout: 61m is out of range 1ms..1h"}},
      {"timeout as a boolean", with_check("timeout = true\n"),
       {"21:11: backend.health_check.timeout: expected a duration (\"5s\") or milliseconds, got a boolean"}},

      // rise, fall
      {"rise of zero", with_check("rise = 0\n"), {"21:8: backend.health_check.rise: 0 is out of range 1..100"}},
      {"rise above 100", with_check("rise = 101\n"), {"21:8: backend.health_check.rise: 101 is out of range 1..100"}},
      {"fall of zero", with_check("fall = 0\n"), {"21:8: backend.health_check.fall: 0 is out of range 1..100"}},
      {"fall above 100", with_check("fall = 1000\n"),
       {"21:8: backend.health_check.fall: 1000 is out of range 1..100"}},
      {"rise as a string", with_check("rise = \"2\"\n"),
       {"21:8: backend.health_check.rise: expected an integer, got a string"}},

      // method
      {"method in lower case", http_check("method = \"get\"\n"),
       {"22:10: backend.health_check.method: 'get' is not a method servers know (methods are case-sensitive); did "
        "you mean 'GET'?"}},
      {"method in mixed case", http_check("method = \"Head\"\n"),
       {"22:10: backend.health_check.method: 'Head' is not a method servers know (methods are case-sensitive); did "
        "you mean 'HEAD'?"}},
      {"method with a space", http_check("method = \"GE T\"\n"),
       {"22:10: backend.health_check.method: 'GE T' is not an HTTP method (letters, digits and "
        "!#$%&'*+-.^_`|~ only)"}},
      {"method with the path", http_check("method = \"GET /health\"\n"),
       {"22:10: backend.health_check.method: 'GET /health' is not an HTTP method (letters, digits and "
        "!#$%&'*+-.^_`|~ only)"}},
      {"empty method", http_check("method = \"\"\n"),
       {"22:10: backend.health_check.method: the method must not be empty, like \"GET\""}},
      {"CONNECT", http_check("method = \"CONNECT\"\n"),
       {"22:10: backend.health_check.method: CONNECT asks for a tunnel to HOST:PORT and takes no path; a check "
        "cannot use it"}},
      {"method too long", http_check("method = \"" + std::string(33, 'M') + "\"\n"),
       {"22:10: backend.health_check.method: the method is 33 characters; it holds at most 32"}},
      {"method as a number", http_check("method = 1\n"),
       {"22:10: backend.health_check.method: expected a string, got an integer"}},

      // path
      {"path without a slash", http_check("path = \"health\"\n"),
       {"22:8: backend.health_check.path: 'health' must start with '/', like \"/health\""}},
      {"empty path", http_check("path = \"\"\n"),
       {"22:8: backend.health_check.path: the path must not be empty; write \"/\" for the root"}},
      {"path as a URL", http_check("path = \"http://example.com/health\"\n"),
       {"22:8: backend.health_check.path: 'http://example.com/health' is a URL; write only its path, like "
        "\"/health\" (and the name in host)"}},
      {"asterisk form", http_check("path = \"*\"\n"),
       {"22:8: backend.health_check.path: '*' must start with '/', like \"/health\""}},
      {"path with a space", http_check("path = \"/he alth\"\n"),
       {"22:8: backend.health_check.path: '/he alth' contains a space; write it as %20"}},
      {"path with a tab", http_check("path = \"/a\\tb\"\n"),
       {"22:8: backend.health_check.path: '/a\\x09b' contains the control character 0x09"}},
      {"path with a line feed and a fake header", http_check("path = \"/\\r\\nX-Evil: 1\"\n"),
       {"22:8: backend.health_check.path: '/\\x0D\\x0AX-Evil: 1' contains the control character 0x0D"}},
      {"path with DEL", http_check("path = \"/a\\u007F\"\n"),
       {"22:8: backend.health_check.path: '/a\\x7F' contains the control character 0x7F"}},
      {"path with a non-ASCII letter", http_check("path = \"/caf\\u00e9\"\n"),
       {"22:8: backend.health_check.path: '/caf\\xC3\\xA9' contains the non-ASCII byte 0xC3; write it as %C3"}},
      {"path with a fragment", http_check("path = \"/health#top\"\n"),
       {"22:8: backend.health_check.path: '/health#top' contains '#': a fragment is never sent to a server"}},
      {"path with an angle bracket", http_check("path = \"/a<b\"\n"),
       {"22:8: backend.health_check.path: '/a<b' contains '<', which a request target may not hold; write it as "
        "%3C"}},
      {"path with a double quote", http_check("path = \"/a\\\"b\"\n"),
       {"22:8: backend.health_check.path: '/a\"b' contains '\"', which a request target may not hold; write it as "
        "%22"}},
      {"path with a backslash", http_check("path = '/a\\b'\n"),
       {"22:8: backend.health_check.path: '/a\\b' contains '\\', which a request target may not hold; write it as "
        "%5C"}},
      {"path with a lone percent", http_check("path = \"/100%\"\n"),
       {"22:8: backend.health_check.path: '/100%' has a '%' that is not followed by two hex digits; write a literal "
        "'%' as %25"}},
      {"path with a bad escape", http_check("path = \"/a%zz\"\n"),
       {"22:8: backend.health_check.path: '/a%zz' has a '%' that is not followed by two hex digits; write a literal "
        "'%' as %25"}},
      {"path over 1024 bytes", http_check("path = \"/" + std::string(1024, 'p') + "\"\n"),
       {"22:8: backend.health_check.path: the path is 1025 bytes; it holds at most 1024"}},

      // host
      {"host as a URL", http_check("host = \"http://example.com\"\n"),
       {"22:8: backend.health_check.host: 'http://example.com' is a URL; write only the host (and port), like "
        "example.com"}},
      {"host with a path", http_check("host = \"example.com/health\"\n"),
       {"22:8: backend.health_check.host: 'example.com/health' contains '/'; write only the host (and port) here, "
        "and the path in path"}},
      {"host with a space", http_check("host = \"example .com\"\n"),
       {"22:8: backend.health_check.host: 'example .com' contains ' '; a host name holds letters, digits, '-', '_' "
        "and '.'"}},
      {"host with a control character", http_check("host = \"a\\nb\"\n"),
       {"22:8: backend.health_check.host: 'a\\x0Ab' contains the byte 0x0A; a host name holds letters, digits, "
        "'-', '_' and '.'"}},
      {"host with a star", http_check("host = \"*.example.com\"\n"),
       {"22:8: backend.health_check.host: '*.example.com' contains '*'; a host name holds letters, digits, '-', "
        "'_' and '.'"}},
      {"host with two dots in a row", http_check("host = \"example..com\"\n"),
       {"22:8: backend.health_check.host: 'example..com' has an empty label (two dots in a row, or a dot at the "
        "start)"}},
      {"host starting with a dot", http_check("host = \".example.com\"\n"),
       {"22:8: backend.health_check.host: '.example.com' has an empty label (two dots in a row, or a dot at the "
        "start)"}},
      {"host label starting with a dash", http_check("host = \"-web.example.com\"\n"),
       {"22:8: backend.health_check.host: '-web.example.com' has a label that starts or ends with '-'"}},
      {"host label over 63 characters", http_check("host = \"" + std::string(64, 'h') + ".com\"\n"),
       {"22:8: backend.health_check.host: '" + std::string(64, 'h') +
        ".com' has a label longer than 63 characters"}},
      {"host over 255 bytes", http_check("host = \"" + std::string(252, 'h') + ".com\"\n"),
       {"22:8: backend.health_check.host: the host is 256 bytes; it holds at most 255"}},
      {"host that is a broken IPv4 address", http_check("host = \"10.99.2\"\n"),
       {"22:8: backend.health_check.host: '10.99.2' is not a valid IPv4 address"}},
      {"host with an octet above 255", http_check("host = \"10.99.2.256:80\"\n"),
       {"22:8: backend.health_check.host: '10.99.2.256:80' is not a valid IPv4 address"}},
      {"host with an empty port", http_check("host = \"example.com:\"\n"),
       {"22:8: backend.health_check.host: 'example.com:' has no port after ':'"}},
      {"host with port zero", http_check("host = \"example.com:0\"\n"),
       {"22:8: backend.health_check.host: 'example.com:0': port 0 is out of range 1..65535"}},
      {"host with a port too large", http_check("host = \"example.com:65536\"\n"),
       {"22:8: backend.health_check.host: 'example.com:65536': port 65536 is out of range 1..65535"}},
      {"host with a named port", http_check("host = \"example.com:http\"\n"),
       {"22:8: backend.health_check.host: 'example.com:http': 'http' is not a port number"}},
      {"host that is only a port", http_check("host = \":8080\"\n"),
       {"22:8: backend.health_check.host: ':8080' has no host name before the port"}},
      {"IPv6 address without brackets", http_check("host = \"2001:db8::1\"\n"),
       {"22:8: backend.health_check.host: '2001:db8::1' has more than one ':'; write an IPv6 address in brackets, "
        "like [2001:db8::1]:8080"}},
      {"IPv6 address without its closing bracket", http_check("host = \"[2001:db8::1\"\n"),
       {"22:8: backend.health_check.host: '[2001:db8::1' lacks the ']' that closes an IPv6 address"}},
      {"brackets around a name", http_check("host = \"[example.com]\"\n"),
       {"22:8: backend.health_check.host: '[example.com]' is not an IPv6 address in brackets, like [2001:db8::1]"}},
      {"junk after an IPv6 address", http_check("host = \"[::1]8080\"\n"),
       {"22:8: backend.health_check.host: '[::1]8080' has something other than ':PORT' after ']'"}},
      {"IPv6 address with a bad port", http_check("host = \"[::1]:99999\"\n"),
       {"22:8: backend.health_check.host: '[::1]:99999': port 99999 is out of range 1..65535"}},

      // expect_status
      {"a status class", http_check("expect_status = \"2xx\"\n"),
       {"22:17: backend.health_check.expect_status: '2xx' is not a status or a range of statuses, like \"200\" or "
        "\"200-399\"; did you mean \"200-299\"?"}},
      {"a status above 599", http_check("expect_status = \"600\"\n"),
       {"22:17: backend.health_check.expect_status: '600': status 600 is out of range 100..599"}},
      {"a range written backwards", http_check("expect_status = \"399-200\"\n"),
       {"22:17: backend.health_check.expect_status: '399-200': the first status 399 is above the last 200"}},
      {"an integer status below 100", http_check("expect_status = 99\n"),
       {"22:17: backend.health_check.expect_status: 99 is out of range 100..599"}},
      {"a float", http_check("expect_status = 200.0\n"),
       {"22:17: backend.health_check.expect_status: expected a status (\"200\"), a range (\"200-399\") or an array "
        "of them, got a floating-point number"}},
      {"an empty list", http_check("expect_status = []\n"),
       {"22:17: backend.health_check.expect_status: must list at least one status or range"}},
      {"a boolean in the list", http_check("expect_status = [\"200\", true]\n"),
       {"22:25: backend.health_check.expect_status: expected a status (\"200\") or a range (\"200-399\") in the "
        "array, got a boolean"}},
      {"several bad entries", http_check("expect_status = [\"2xx\", 600, \"301-300\", \"204\"]\n"),
       {"22:18: backend.health_check.expect_status: '2xx' is not a status or a range of statuses, like \"200\" or "
        "\"200-399\"; did you mean \"200-299\"?",
        "22:25: backend.health_check.expect_status: 600 is out of range 100..599",
        "22:30: backend.health_check.expect_status: '301-300': the first status 301 is above the last 300"}},
      {"a status listed twice", http_check("expect_status = [\"200\", \"204\", 200]\n"),
       {"22:32: backend.health_check.expect_status: '200' is listed twice"}},
      {"overlapping entries", http_check("expect_status = [\"200-299\", \"250\", \"301-399\", \"350-450\"]\n"),
       {"22:29: backend.health_check.expect_status: '250' overlaps '200-299'",
        "22:47: backend.health_check.expect_status: '350-450' overlaps '301-399'"}},
      {"a nested list", http_check("expect_status = [[\"200\"]]\n"),
       {"22:18: backend.health_check.expect_status: expected a status (\"200\") or a range (\"200-399\") in the "
        "array, got an array"}},

      // disable_on_404, observe, error_limit, on_error
      {"disable_on_404 as a string", http_check("disable_on_404 = \"yes\"\n"),
       {"22:18: backend.health_check.disable_on_404: expected a boolean (true or false), got a string"}},
      {"observe with a space", with_check("observe = \"layer 7\"\n"),
       {"21:11: backend.health_check.observe: 'layer 7' is not one of none, layer4, layer7; did you mean "
        "'layer7'?"}},
      {"observe misspelt", with_check("observe = \"layr4\"\n"),
       {"21:11: backend.health_check.observe: 'layr4' is not one of none, layer4, layer7; did you mean 'layer4'?"}},
      {"observe as a boolean", with_check("observe = true\n"),
       {"21:11: backend.health_check.observe: expected a string, got a boolean"}},
      {"error_limit of zero", with_check("error_limit = 0\n"),
       {"21:15: backend.health_check.error_limit: 0 is out of range 1..1000"}},
      {"error_limit above 1000", with_check("error_limit = 1001\n"),
       {"21:15: backend.health_check.error_limit: 1001 is out of range 1..1000"}},
      {"on_error with an underscore", with_check("on_error = \"fail_check\"\n"),
       {"21:12: backend.health_check.on_error: 'fail_check' is not one of fastinter, fail-check, sudden-death, "
        "mark-down; did you mean 'fail-check'?"}},
      {"on_error without its dash", with_check("on_error = \"markdown\"\n"),
       {"21:12: backend.health_check.on_error: 'markdown' is not one of fastinter, fail-check, sudden-death, "
        "mark-down; did you mean 'mark-down'?"}},
      {"on_error unrelated", with_check("on_error = \"restart\"\n"),
       {"21:12: backend.health_check.on_error: 'restart' is not one of fastinter, fail-check, sudden-death, "
        "mark-down"}},

      // http-only keys on a tcp check
      {"every http key with type tcp",
       with_check("type = \"tcp\"\nmethod = \"GET\"\npath = \"/health\"\nhost = \"example.com\"\n"
                  "expect_status = \"200\"\ndisable_on_404 = false\n"),
       {"22:10: backend.health_check.method: " + kHttpOnly + "; set type = \"http\" or remove method",
        "23:8: backend.health_check.path: " + kHttpOnly + "; set type = \"http\" or remove path",
        "24:8: backend.health_check.host: " + kHttpOnly + "; set type = \"http\" or remove host",
        "25:17: backend.health_check.expect_status: " + kHttpOnly + "; set type = \"http\" or remove expect_status",
        "26:18: backend.health_check.disable_on_404: " + kHttpOnly +
            "; set type = \"http\" or remove disable_on_404"}},
      {"a path without type", with_check("path = \"/health\"\n"),
       {"21:8: backend.health_check.path: " + kHttpOnly + " (the default); set type = \"http\" or remove path"}},
      {"an empty host without type", with_check("host = \"\"\n"),
       {"21:8: backend.health_check.host: " + kHttpOnly + " (the default); set type = \"http\" or remove host"}},
      {"an http key after the tcp type in an inline table",
       after_ports(std::string(kFrontend) + kBackend + "health_check = { type = \"tcp\", path = \"/\" }\n" + kServer +
                   "check = true\n"),
       {"20:39: backend.health_check.path: " + kHttpOnly + "; set type = \"http\" or remove path"}},
      {"a refused type says nothing of the http keys", with_check("type = \"htp\"\npath = \"/health\"\n"),
       {"21:8: backend.health_check.type: 'htp' is not one of tcp, http; did you mean 'http'?"}},
      {"a refused http key is reported once", with_check("path = \"health\"\n"),
       {"21:8: backend.health_check.path: 'health' must start with '/', like \"/health\""}},

      // observe needs checked servers
      {"observe without any checked server", with_unused_check("observe = \"layer7\"\n"),
       {"21:11: backend.health_check.observe: \"layer7\" acts only on servers with check = true, and no server of "
        "backend 'web_servers' has it; add check = true to the servers to observe (only a check can bring back a "
        "server that observe took out of service)"}},
      {"observe layer4 with servers that set check = false",
       with_unused_check("observe = \"layer4\"\n") + "check = false\n",
       {"21:11: backend.health_check.observe: \"layer4\" acts only on servers with check = true, and no server of "
        "backend 'web_servers' has it; add check = true to the servers to observe (only a check can bring back a "
        "server that observe took out of service)"}},

      // [[backend.server]]
      {"check as a string", server_with("check = \"yes\"\n"),
       {"23:9: backend.server.check: expected a boolean (true or false), got a string"}},
      {"check as a number", server_with("check = 1\n"),
       {"23:9: backend.server.check: expected a boolean (true or false), got an integer"}},
      {"check_port of zero", server_with("check_port = 0\n"),
       {"23:14: backend.server.check_port: 0 is out of range 1..65535"}},
      {"check_port too large", server_with("check_port = 65536\n"),
       {"23:14: backend.server.check_port: 65536 is out of range 1..65535"}},
      {"check_port as a string", server_with("check_port = \"8080\"\n"),
       {"23:14: backend.server.check_port: expected an integer, got a string"}},
      {"slowstart above an hour", server_with("slowstart = \"2h\"\n"),
       {"23:13: backend.server.slowstart: 2h is out of range 0s..1h"}},
      {"negative slowstart", server_with("slowstart = -1\n"),
       {"23:13: backend.server.slowstart: -1 is out of range 0..3600000"}},
      {"slowstart with an unknown unit", server_with("slowstart = \"30sec\"\n"),
       {"23:13: backend.server.slowstart: '30sec' has an unknown unit 'sec' (expected us, ms, s, m, h or d)"}},
      {"HAProxy's port on the server", server_with("port = 8080\n"),
       {"23:1: unknown key 'port' in [[backend.server]]; did you mean 'check_port'? (HAProxy's `port`: where checks "
        "are sent)"}},
      {"check-port spelt with a dash", server_with("check-port = 8080\n"),
       {"23:1: unknown key 'check-port' in [[backend.server]]; did you mean 'check_port'?"}},
      {"slow_start spelt with an underscore", server_with("slow_start = \"30s\"\n"),
       {"23:1: unknown key 'slow_start' in [[backend.server]]; did you mean 'slowstart'?"}},
      {"HAProxy's per-server check settings",
       server_with("inter = \"2s\"\nrise = 2\nfall = 3\nobserve = \"layer7\"\non-error = \"mark-down\"\n"),
       {"23:1: unknown key 'inter' in [[backend.server]]; health-check settings apply to every server of a backend: "
        "write it in [backend.health_check]",
        "24:1: unknown key 'rise' in [[backend.server]]; health-check settings apply to every server of a backend: "
        "write it in [backend.health_check]",
        "25:1: unknown key 'fall' in [[backend.server]]; health-check settings apply to every server of a backend: "
        "write it in [backend.health_check]",
        "26:1: unknown key 'observe' in [[backend.server]]; health-check settings apply to every server of a "
        "backend: write it in [backend.health_check]",
        "27:1: unknown key 'on-error' in [[backend.server]]; health-check settings apply to every server of a "
        "backend: write it in [backend.health_check]"}},
      {"a health-check table inside a server", server_with("health_check = { type = \"http\" }\n"),
       {"23:1: unknown key 'health_check' in [[backend.server]]; checks are set up per backend, in "
        "[backend.health_check]; write check = true here"}},
      {"checks spelt as a plural", server_with("checks = true\n"),
       {"23:1: unknown key 'checks' in [[backend.server]]; did you mean 'check'?"}},
  };
  return table;
}

class BrokenHealthTest : public testing::TestWithParam<BrokenHealth> {};

TEST_P(BrokenHealthTest, ReportsExactErrorAndPosition) {
  const BrokenHealth& c = GetParam();
  LoadResult result = load_config_text(c.text, "dplb.toml");
  EXPECT_FALSE(result.config.has_value()) << c.what;
  std::vector<std::string> expected;
  for (const auto& e : c.errors) expected.push_back("dplb.toml:" + e);
  EXPECT_EQ(result.diagnostics.formatted(), expected) << c.what << "\n--- input ---\n" << c.text;
}

std::string case_name(const testing::TestParamInfo<BrokenHealth>& info) {
  std::string name;
  for (char c : info.param.what) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Table, BrokenHealthTest, testing::ValuesIn(cases()), case_name);

// ---- Robustness, rendering, documentation, examples -----------------------

// Every value of a full file replaced by values of every other shape: the
// loader must answer with a configuration or with errors, never throw or crash.
TEST(ConfigHealth, NoValueShapeCrashesTheLoader) {
  const std::string full = full_check();
  const std::vector<std::string> shapes = {"0",       "-1",      "65536",     "4294967296", "1.5",       "true",
                                           "\"\"",    "\"x\"",   "\"/\"",     "\"%\"",      "\"[\"",     "\":\"",
                                           "\"2xx\"", "\"-\"",   "\"1-\"",    "[]",         "[1, 2]",    "[\"\"]",
                                           "[[1]]",   "{}",      "{ a = 1 }", "1979-05-27", "\"99999999999999999999\""};
  std::size_t begin = 0;
  std::size_t replaced = 0;
  while (begin < full.size()) {
    const std::size_t end = full.find('\n', begin);
    const std::string line = full.substr(begin, end - begin);
    const std::size_t equals = line.find(" = ");
    if (equals != std::string::npos && begin > full.find("[backend.health_check]")) {
      for (const auto& shape : shapes) {
        const std::string text = full.substr(0, begin) + line.substr(0, equals + 3) + shape + full.substr(end);
        EXPECT_NO_THROW({
          const LoadResult result = load_config_text(text, "fuzz.toml");
          EXPECT_NE(result.config.has_value(), !result.diagnostics.empty()) << text;
        }) << text;
        ++replaced;
      }
    }
    begin = end + 1;
  }
  EXPECT_GT(replaced, 400u);
}

TEST(ConfigHealth, ShowConfigLoadsBackUnchanged) {
  const std::vector<std::string> texts = {
      full_check(),
      std::string(kPorts) + kFrontend + kBackend + kServer,
      with_check("observe = \"layer4\"\non_error = \"sudden-death\"\nerror_limit = 1\n"),
      with_check("type = \"tcp\"\ninterval = 2500\ndowninter = \"1h\"\ntimeout = \"250ms\"\n"),
      http_check("expect_status = [204, \"300-308\"]\nhost = \"[2001:db8::1]:8080\"\nmethod = \"HEAD\"\n"
                 "path = \"/a%20b?c=d\"\ndisable_on_404 = true\n"),
      http_check("expect_status = 200\n"),
      server_with("check_port = 9000\nslowstart = \"90s\"\n"),
  };
  for (const std::string& text : texts) {
    const Config first = load_ok(text);
    const std::string rendered = render_config(first);
    auto second = load_config_text(rendered, "dplb.toml");
    ASSERT_TRUE(second.config) << second.diagnostics.formatted().front() << "\n" << rendered;
    EXPECT_EQ(render_config(*second.config), rendered);
  }
}

TEST(ConfigHealth, ShowConfigWritesEveryKey) {
  const std::string rendered = render_config(load_ok(full_check()));
  for (const std::string& expected :
       {std::string("idempotency_key_header = \"Idempotency-Key\"\n\n[backend.health_check]\ntype = \"http\"\ninterval = \"2s\"\n"
                    "fastinter = \"1s\"\ndowninter = \"5s\"\nrise = 2\nfall = 3\ntimeout = \"1s\"\n"
                    "method = \"GET\"\npath = \"/health\"\nhost = \"example.com\"\n"
                    "expect_status = [\"200\", \"301-302\"]\ndisable_on_404 = false\nobserve = \"layer7\"\n"
                    "error_limit = 10\non_error = \"fail-check\"\n\n[[backend.server]]\n"),
        std::string("\n[[backend.server]]\nname = \"server1\"\naddress = \"10.99.2.11:80\"\nweight = 1\n"
                    "maxconn = 0\nbackup = false\ncheck = true\ncheck_port = 8080\nslowstart = \"30s\"\n"),
        std::string("\n[[backend.server]]\nname = \"server2\"\naddress = \"10.99.2.12:80\"\nweight = 1\n"
                    "maxconn = 0\nbackup = false\ncheck = false\nslowstart = \"0s\"\n")}) {
    EXPECT_NE(rendered.find(expected), std::string::npos) << "missing:\n" << expected << "\nin:\n" << rendered;
  }
}

// Unset optionals inherit at run time, and a tcp check refuses the http
// keys, so neither is written.
TEST(ConfigHealth, ShowConfigLeavesOutWhatWouldNotLoadBackTheSame) {
  const std::string tcp = rendered_check(load_ok(std::string(kPorts) + kFrontend + kBackend + kServer));
  EXPECT_EQ(tcp,
            "[backend.health_check]\ntype = \"tcp\"\ninterval = \"2s\"\nrise = 2\nfall = 3\nobserve = \"none\"\n"
            "error_limit = 10\non_error = \"fail-check\"\n");
  const std::string http = rendered_check(load_ok(http_check("")));
  EXPECT_EQ(http,
            "[backend.health_check]\ntype = \"http\"\ninterval = \"2s\"\nrise = 2\nfall = 3\nmethod = \"GET\"\n"
            "path = \"/\"\nexpect_status = \"200-399\"\ndisable_on_404 = false\nobserve = \"none\"\n"
            "error_limit = 10\non_error = \"fail-check\"\n");
  const std::string server = render_config(load_ok(server_with("check = true\n")));
  EXPECT_EQ(server.find("check_port"), std::string::npos) << server;
}

TEST(ConfigHealth, SchemaDocumentsEveryKey) {
  std::vector<std::string> check, server;
  for (const auto& doc : config_key_docs()) {
    if (doc.section == "[backend.health_check]") {
      check.push_back(doc.key);
      EXPECT_FALSE(doc.required) << doc.key;
    }
    if (doc.section == "[[backend.server]]") server.push_back(doc.key);
  }
  EXPECT_EQ(check, (std::vector<std::string>{"type", "interval", "fastinter", "downinter", "rise", "fall", "timeout",
                                             "method", "path", "host", "expect_status", "disable_on_404", "observe",
                                             "error_limit", "on_error"}));
  EXPECT_EQ(server, (std::vector<std::string>{"name", "address", "weight", "maxconn", "backup", "check",
                                              "check_port", "slowstart"}));
}

TEST(ConfigExamples, LabExamplesCheckTheReferenceServers) {
  for (const char* name : {"lab-lb1.toml", "lab-lb2.toml"}) {
    auto result = load_config_file(std::string(DPLB_SOURCE_ROOT) + "/conf/examples/" + name);
    ASSERT_TRUE(result.config) << name << ": "
                               << (result.diagnostics.empty() ? "" : result.diagnostics.formatted().front());
    ASSERT_EQ(result.config->backends.size(), 1u) << name;
    const BackendConfig& b = result.config->backends[0];
    EXPECT_EQ(b.health_check.type, HealthCheckType::http) << name;
    EXPECT_EQ(b.health_check.method, "GET") << name;
    EXPECT_EQ(b.health_check.path, "/health") << name;
    // The lab's nginx answers 200 on /health.
    const bool accepts_200 =
        std::any_of(b.health_check.expect_status.begin(), b.health_check.expect_status.end(),
                    [](const StatusRange& r) { return r.first <= 200 && 200 <= r.last; });
    EXPECT_TRUE(accepts_200) << name;
    ASSERT_EQ(b.servers.size(), 3u) << name;
    for (const auto& s : b.servers) EXPECT_TRUE(s.check) << name << " " << s.name;
  }
}

}  // namespace
}  // namespace dplb::conf
