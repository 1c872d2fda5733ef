// The HTTP proxy's tables ([[frontend]], [[backend]], [[backend.server]])
// and [log] access_log: what a valid file yields, and the exact message and
// position of every mistake the loader knows.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "conf/config_loader.h"
#include "conf/config_render.h"
#include "conf/config_schema.h"
#include "conf/error_file.h"
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
// Two lines.
constexpr const char* kBackend =
    "[[backend]]\n"
    "name = \"web_servers\"\n";
// Three lines.
constexpr const char* kServer =
    "[[backend.server]]\n"
    "name = \"server1\"\n"
    "address = \"10.99.2.11:80\"\n";

std::string proxy() { return std::string(kPorts) + kFrontend + kBackend + kServer; }
// `extra` starts at line 18, inside the frontend.
std::string frontend_with(const std::string& extra) {
  return std::string(kPorts) + kFrontend + extra + kBackend + kServer;
}
// `extra` starts at line 20, inside the backend.
std::string backend_with(const std::string& extra) {
  return std::string(kPorts) + kFrontend + kBackend + extra + kServer;
}
// `extra` starts at line 23, inside the server.
std::string server_with(const std::string& extra) { return proxy() + extra; }
// A backend whose only server has `address` (line 22, column 11).
std::string one_server(const std::string& address) {
  return std::string(kPorts) + kFrontend + kBackend + "[[backend.server]]\nname = \"s\"\naddress = \"" + address +
         "\"\n";
}
// `text` starts at line 14.
std::string after_ports(const std::string& text) { return std::string(kPorts) + text; }

// ---- Errorfiles on disk ---------------------------------------------------

// One directory of errorfiles for the whole run, removed at exit.
class ErrorFiles {
 public:
  static ErrorFiles& get() {
    static ErrorFiles files;
    return files;
  }
  const std::string& dir() const { return dir_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  ~ErrorFiles() {
    for (const auto& name : written_) std::remove(path(name).c_str());
    ::rmdir(dir_.c_str());
  }

 private:
  ErrorFiles() {
    char templ[] = "/tmp/dplb-errorfiles-XXXXXX";
    const char* made = ::mkdtemp(templ);
    dir_ = made ? made : "/tmp";
    write("503.http",
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\nContent-Length: 5\r\n"
          "Connection: close\r\n\r\nhello");
    write("502-lf.http", "HTTP/1.0 502 Bad Gateway\nCache-Control: no-cache\n\n<h1>bad gateway</h1>\n");
    write("other-status.http", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
    write("not-http.http", "<html>sorry</html>\n");
    write("bad-length.http", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 10\r\n\r\nhello");
    const std::string head = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: ";
    const std::string tail = "\r\n\r\n";
    write("exactly-16k.http", sized(head, tail, kMaxErrorFileBytes));
    write("too-big.http", sized(head, tail, kMaxErrorFileBytes + 1));
  }

  // A valid response of exactly `total` bytes.
  static std::string sized(const std::string& head, const std::string& tail, std::size_t total) {
    std::size_t body = total - head.size() - tail.size() - 5;  // a 5-digit Content-Length
    return head + std::to_string(body) + tail + std::string(body, 'x');
  }

  void write(const std::string& name, const std::string& contents) {
    std::ofstream out(path(name), std::ios::binary);
    out << contents;
    written_.push_back(name);
  }

  std::string dir_;
  std::vector<std::string> written_;
};

std::string errorfile_line(const std::string& name, int status = 503) {
  return "errorfiles = { " + std::to_string(status) + " = \"" + ErrorFiles::get().path(name) + "\" }\n";
}

// ---- Valid files -----------------------------------------------------------

Config load_ok(const std::string& text) {
  auto result = load_config_text(text, "dplb.toml");
  EXPECT_TRUE(result.config) << (result.diagnostics.empty() ? "" : result.diagnostics.formatted().front()) << "\n"
                             << text;
  return result.config ? *result.config : Config{};
}

TEST(ConfigProxy, DefaultsOfTheSmallestProxy) {
  const Config c = load_ok(proxy());
  EXPECT_EQ(c.log.access_log, "");
  ASSERT_EQ(c.frontends.size(), 1u);
  const FrontendConfig& f = c.frontends[0];
  EXPECT_EQ(f.name, "http_front");
  ASSERT_EQ(f.bind.size(), 1u);
  EXPECT_EQ(f.bind[0].address.value, 0u);
  EXPECT_EQ(f.bind[0].port, 80);
  ASSERT_EQ(f.bind_positions.size(), 1u);
  EXPECT_EQ(f.bind_positions[0].line, 16u);
  EXPECT_EQ(f.bind_positions[0].column, 9u);
  EXPECT_EQ(f.default_backend, "web_servers");
  EXPECT_EQ(f.maxconn, 100000u);
  EXPECT_FALSE(f.forwardfor);
  EXPECT_EQ(f.timeout_client, Duration{50'000'000});
  EXPECT_FALSE(f.timeout_http_request) << "unset: the consumer inherits timeout_client";
  EXPECT_FALSE(f.timeout_http_keep_alive) << "unset: the consumer inherits timeout_http_request";
  EXPECT_TRUE(f.errorfiles.empty());
  EXPECT_TRUE(f.log);
  EXPECT_FALSE(f.dontlognull);
  EXPECT_EQ(f.where.line, 14u);

  ASSERT_EQ(c.backends.size(), 1u);
  const BackendConfig& b = c.backends[0];
  EXPECT_EQ(b.name, "web_servers");
  EXPECT_EQ(b.balance, BalanceAlgorithm::roundrobin);
  EXPECT_EQ(b.random_draws, 2u);
  EXPECT_EQ(b.hash_header, "");
  EXPECT_EQ(b.hash_type, HashType::map_based);
  EXPECT_EQ(b.timeout_connect, Duration{5'000'000});
  EXPECT_EQ(b.timeout_server, Duration{50'000'000});
  EXPECT_FALSE(b.timeout_queue) << "unset: the consumer inherits timeout_connect";
  EXPECT_FALSE(b.timeout_tunnel);
  EXPECT_EQ(b.http_reuse, HttpReuse::safe);
  EXPECT_EQ(b.retries, 3u);
  EXPECT_TRUE(b.redispatch);
  EXPECT_EQ(b.where.line, 18u);

  ASSERT_EQ(b.servers.size(), 1u);
  const ServerConfig& s = b.servers[0];
  EXPECT_EQ(s.name, "server1");
  EXPECT_EQ(s.address.address.to_string(), "10.99.2.11");
  EXPECT_EQ(s.address.port, 80);
  EXPECT_EQ(s.weight, 1u);
  EXPECT_EQ(s.maxconn, 0u);
  EXPECT_FALSE(s.backup);
  EXPECT_EQ(s.where.line, 20u);
}

TEST(ConfigProxy, NoProxyTablesIsStillValid) {
  const Config c = load_ok(kPorts);
  EXPECT_TRUE(c.frontends.empty());
  EXPECT_TRUE(c.backends.empty());
}

// The contract as the operator writes it, every key set.
std::string full_proxy() {
  return std::string(kPorts) +
         "[log]\n"
         "access_log = \"stdout\"\n"
         "[[frontend]]\n"
         "name = \"http_front\"\n"
         "bind = [\"10.99.1.2:80\", \"10.99.2.2:8080\"]\n"
         "default_backend = \"web_servers\"\n"
         "maxconn = 20000\n"
         "forwardfor = true\n"
         "timeout_client = \"30s\"\n"
         "timeout_http_request = \"10s\"\n"
         "timeout_http_keep_alive = 2000\n" +
         "errorfiles = { 503 = \"" + ErrorFiles::get().path("503.http") + "\", 502 = \"" +
         ErrorFiles::get().path("502-lf.http") + "\" }\n" +
         "log = false\n"
         "dontlognull = true\n"
         "[[backend]]\n"
         "name = \"web_servers\"\n"
         "balance = \"hdr(Host)\"\n"
         "hash_type = \"consistent\"\n"
         "timeout_connect = \"3s\"\n"
         "timeout_server = \"1m\"\n"
         "timeout_queue = \"4s\"\n"
         "timeout_tunnel = \"1h\"\n"
         "http_reuse = \"always\"\n"
         "retries = 0\n"
         "redispatch = false\n"
         "[[backend.server]]\n"
         "name = \"server1\"\n"
         "address = \"10.99.2.11:80\"\n"
         "weight = 256\n"
         "maxconn = 1000000\n"
         "backup = false\n"
         "[[backend.server]]\n"
         "name = \"server2\"\n"
         "address = \"10.99.2.12:8080\"\n"
         "weight = 0\n"
         "backup = true\n"
         "[[backend]]\n"
         "name = \"other\"\n"
         "balance = \"random(3)\"\n"
         "[[backend.server]]\n"
         "name = \"server1\"\n"  // the same name in another backend is fine
         "address = \"10.99.2.13:80\"\n";
}

TEST(ConfigProxy, EveryKeyIsReadBack) {
  const Config c = load_ok(full_proxy());
  EXPECT_EQ(c.log.access_log, "stdout");
  ASSERT_EQ(c.frontends.size(), 1u);
  const FrontendConfig& f = c.frontends[0];
  ASSERT_EQ(f.bind.size(), 2u);
  EXPECT_EQ(format_endpoint(f.bind[0]), "10.99.1.2:80");
  EXPECT_EQ(format_endpoint(f.bind[1]), "10.99.2.2:8080");
  EXPECT_EQ(f.maxconn, 20000u);
  EXPECT_TRUE(f.forwardfor);
  EXPECT_EQ(f.timeout_client, Duration{30'000'000});
  EXPECT_EQ(f.timeout_http_request, Duration{10'000'000});
  EXPECT_EQ(f.timeout_http_keep_alive, Duration{2'000'000}) << "a bare number is milliseconds";
  ASSERT_EQ(f.errorfiles.size(), 2u);
  EXPECT_EQ(f.errorfiles.at(503).path, ErrorFiles::get().path("503.http"));
  EXPECT_EQ(f.errorfiles.at(503).contents,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\nContent-Length: 5\r\n"
            "Connection: close\r\n\r\nhello");
  EXPECT_EQ(f.errorfiles.at(502).contents.substr(0, 24), "HTTP/1.0 502 Bad Gateway");
  EXPECT_FALSE(f.log);
  EXPECT_TRUE(f.dontlognull);

  ASSERT_EQ(c.backends.size(), 2u);
  const BackendConfig& b = c.backends[0];
  EXPECT_EQ(b.balance, BalanceAlgorithm::hdr);
  EXPECT_EQ(b.hash_header, "Host");
  EXPECT_EQ(b.hash_type, HashType::consistent);
  EXPECT_EQ(b.timeout_connect, Duration{3'000'000});
  EXPECT_EQ(b.timeout_server, Duration{60'000'000});
  EXPECT_EQ(b.timeout_queue, Duration{4'000'000});
  EXPECT_EQ(b.timeout_tunnel, Duration{3'600'000'000});
  EXPECT_EQ(b.http_reuse, HttpReuse::always);
  EXPECT_EQ(b.retries, 0u);
  EXPECT_FALSE(b.redispatch);
  ASSERT_EQ(b.servers.size(), 2u);
  EXPECT_EQ(b.servers[0].weight, 256u);
  EXPECT_EQ(b.servers[0].maxconn, 1'000'000u);
  EXPECT_EQ(format_endpoint(b.servers[1].address), "10.99.2.12:8080");
  EXPECT_EQ(b.servers[1].weight, 0u);
  EXPECT_TRUE(b.servers[1].backup);
  EXPECT_EQ(b.servers[1].positions.size(), 4u) << "every key's position is recorded";
  EXPECT_EQ(c.backends[1].balance, BalanceAlgorithm::random);
  EXPECT_EQ(c.backends[1].random_draws, 3u);
  ASSERT_EQ(c.backends[1].servers.size(), 1u);
}

struct BalanceCase {
  const char* text;
  BalanceAlgorithm algorithm;
  uint32_t draws;
  const char* header;
  const char* shown;  // as `show config` prints it
};

TEST(ConfigProxy, BalanceAlgorithms) {
  const std::vector<BalanceCase> cases = {
      {"roundrobin", BalanceAlgorithm::roundrobin, 2, "", "roundrobin"},
      {"static-rr", BalanceAlgorithm::static_rr, 2, "", "static-rr"},
      {"leastconn", BalanceAlgorithm::leastconn, 2, "", "leastconn"},
      {"first", BalanceAlgorithm::first, 2, "", "first"},
      {"random", BalanceAlgorithm::random, 2, "", "random(2)"},
      {"random(1)", BalanceAlgorithm::random, 1, "", "random(1)"},
      {"random(100)", BalanceAlgorithm::random, 100, "", "random(100)"},
      {"source", BalanceAlgorithm::source, 2, "", "source"},
      {"uri", BalanceAlgorithm::uri, 2, "", "uri"},
      {"hdr(Host)", BalanceAlgorithm::hdr, 2, "Host", "hdr(Host)"},
      {"hdr(X-Session_ID.v2)", BalanceAlgorithm::hdr, 2, "X-Session_ID.v2", "hdr(X-Session_ID.v2)"},
  };
  for (const auto& bc : cases) {
    const Config c = load_ok(backend_with("balance = \"" + std::string(bc.text) + "\"\n"));
    ASSERT_EQ(c.backends.size(), 1u) << bc.text;
    const BackendConfig& b = c.backends[0];
    EXPECT_EQ(b.balance, bc.algorithm) << bc.text;
    EXPECT_EQ(b.random_draws, bc.draws) << bc.text;
    EXPECT_EQ(b.hash_header, bc.header) << bc.text;
    EXPECT_EQ(format_balance(b), bc.shown) << bc.text;
  }
}

TEST(ConfigProxy, BindForms) {
  struct BindCase {
    const char* binds;  // the TOML array
    std::vector<std::string> shown;
  };
  const std::vector<BindCase> cases = {
      {"[\"*:80\"]", {"*:80"}},
      {"[\"0.0.0.0:80\"]", {"*:80"}},
      {"[\"10.99.1.2:80\", \"10.99.2.2:80\"]", {"10.99.1.2:80", "10.99.2.2:80"}},
      {"[\"*:80\", \"*:8080\", \"10.99.1.2:1\", \"*:65535\"]", {"*:80", "*:8080", "10.99.1.2:1", "*:65535"}},
      {"[\"*:32767\", \"*:61000\"]", {"*:32767", "*:61000"}},  // just outside the default tcp.local_ports
  };
  for (const auto& bc : cases) {
    const std::string text = after_ports(std::string("[[frontend]]\nname = \"f\"\nbind = ") + bc.binds +
                                         "\ndefault_backend = \"web_servers\"\n" + kBackend + kServer);
    const Config c = load_ok(text);
    ASSERT_EQ(c.frontends.size(), 1u) << bc.binds;
    std::vector<std::string> shown;
    for (const auto& e : c.frontends[0].bind) shown.push_back(format_endpoint(e));
    EXPECT_EQ(shown, bc.shown) << bc.binds;
  }
}

TEST(ConfigProxy, TwoFrontendsOnDifferentPortsOrAddresses) {
  const Config c = load_ok(after_ports(
      "[[frontend]]\nname = \"a\"\nbind = [\"10.99.1.2:80\"]\ndefault_backend = \"web_servers\"\n"
      "[[frontend]]\nname = \"b\"\nbind = [\"10.99.2.2:80\", \"*:81\"]\ndefault_backend = \"web_servers\"\n" +
      std::string(kBackend) + kServer));
  EXPECT_EQ(c.frontends.size(), 2u);
}

TEST(ConfigProxy, BindPortOutsideMovedLocalPorts) {
  const Config c = load_ok(std::string(kPorts) + "[tcp]\nlocal_ports = [1024, 2047]\n" + kFrontend + kBackend +
                           kServer);
  EXPECT_EQ(c.frontends.size(), 1u);
}

TEST(ConfigProxy, ServerReachability) {
  // On a port's subnet (the base file), through a [[route]], through a port's gateway.
  load_ok(proxy());
  load_ok(std::string(kPorts) + "[[route]]\ndestination = \"172.16.0.0/12\"\ngateway = \"10.99.2.1\"\n" + kFrontend +
          kBackend + "[[backend.server]]\nname = \"far\"\naddress = \"172.16.5.5:80\"\n");
  load_ok(std::string(kPorts) + "gateway = \"10.99.2.1\"\n" + kFrontend + kBackend +
          "[[backend.server]]\nname = \"far\"\naddress = \"198.51.100.7:443\"\n");
}

TEST(ConfigProxy, AccessLogValues) {
  for (const char* value : {"", "stdout", "/var/log/dplb/access.log"}) {
    const Config c = load_ok(std::string(kPorts) + "[log]\naccess_log = \"" + value + "\"\n");
    EXPECT_EQ(c.log.access_log, value);
  }
}

TEST(ConfigProxy, ErrorfileEdgesAccepted) {
  // HAProxy does not compare the file's status with the key; neither does dplb.
  Config c = load_ok(frontend_with(errorfile_line("other-status.http", 503)));
  ASSERT_EQ(c.frontends.size(), 1u);
  EXPECT_EQ(c.frontends[0].errorfiles.at(503).contents.substr(0, 12), "HTTP/1.1 500");
  c = load_ok(frontend_with(errorfile_line("exactly-16k.http", 504)));
  ASSERT_EQ(c.frontends.size(), 1u);
  EXPECT_EQ(c.frontends[0].errorfiles.at(504).contents.size(), kMaxErrorFileBytes);
  // Every status dplb sends may be replaced.
  std::string all = "errorfiles = {";
  for (uint16_t status : kErrorFileStatuses) {
    all += (status == kErrorFileStatuses.front() ? " " : ", ") + std::to_string(status) + " = \"" +
           ErrorFiles::get().path("503.http") + "\"";
  }
  c = load_ok(frontend_with(all + " }\n"));
  ASSERT_EQ(c.frontends.size(), 1u);
  EXPECT_EQ(c.frontends[0].errorfiles.size(), kErrorFileStatuses.size());
}

// ---- Errorfile contents ----------------------------------------------------

TEST(ErrorResponse, WhatIsAcceptedAndWhy) {
  struct Case {
    std::string response;
    std::string problem;  // "" when accepted
  };
  const std::vector<Case> cases = {
      {"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\nok", ""},
      {"HTTP/1.0 503 Service Unavailable\r\n\r\nbody until close", ""},
      {"HTTP/1.1 503\r\n\r\n", ""},
      {"HTTP/1.1 503 Busy\nContent-Length:  3 \n\nabc", ""},
      {"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", ""},
      {"HTTP/1.1 599 x\r\n\r\n", ""},
      {"", "is empty"},
      {"<html>sorry</html>", "does not start with a status line such as \"HTTP/1.1 503 Service Unavailable\""},
      {"HTTP/2 503\r\n\r\n", "does not start with a status line such as \"HTTP/1.1 503 Service Unavailable\""},
      {"HTTP/1.1 5O3 x\r\n\r\n", "does not start with a status line such as \"HTTP/1.1 503 Service Unavailable\""},
      {"HTTP/1.1 5034 x\r\n\r\n", "does not start with a status line such as \"HTTP/1.1 503 Service Unavailable\""},
      {"http/1.1 503 x\r\n\r\n", "does not start with a status line such as \"HTTP/1.1 503 Service Unavailable\""},
      {"HTTP/1.1 100 Continue\r\n\r\n", "has status 100; an error page must be a final response, 200..599"},
      {"HTTP/1.1 600 x\r\n\r\n", "has status 600; an error page must be a final response, 200..599"},
      {"HTTP/1.1 503 x\r\nContent-Length: 0\r\n",
       "has no empty line ending its headers (CRLF CRLF or LF LF); the response is incomplete"},
      {"HTTP/1.1 503 x", "has no empty line ending its headers (CRLF CRLF or LF LF); the response is incomplete"},
      {"HTTP/1.1 503 x\r\nContent-Length: 10\r\n\r\nhello", "has Content-Length 10 but a body of 5 bytes"},
      {"HTTP/1.1 503 x\r\nContent-Length: 0\r\n\r\n\r\n", "has Content-Length 0 but a body of 2 bytes"},
      {"HTTP/1.1 503 x\r\nContent-Length: 5x\r\n\r\nhello", "has an invalid Content-Length \"5x\""},
      {"HTTP/1.1 503 x\r\nContent-Length:\r\n\r\n", "has an invalid Content-Length \"\""},
      {"HTTP/1.1 503 x\r\nContent-Length: -1\r\n\r\n", "has an invalid Content-Length \"-1\""},
      {"HTTP/1.1 503 x\r\nContent-Length: 99999999999999999999\r\n\r\n",
       "has an invalid Content-Length \"99999999999999999999\""},
      {"HTTP/1.1 503 x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", "has more than one Content-Length header"},
      {"HTTP/1.1 503 x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "has a Transfer-Encoding header; give the body a Content-Length instead"},
      {"HTTP/1.1 503 x\r\nno colon here\r\n\r\n", "has a malformed header line: \"no colon here\""},
      {"HTTP/1.1 503 x\r\nContent-Length : 0\r\n\r\n", "has a malformed header line: \"Content-Length : 0\""},
      {"HTTP/1.1 503 x\r\n: empty name\r\n\r\n", "has a malformed header line: \": empty name\""},
      {"HTTP/1.1 503 x\r\n folded\r\n\r\n", "has a malformed header line: \"folded\""},
  };
  for (const auto& c : cases) EXPECT_EQ(check_error_response(c.response), c.problem) << c.response;
}

// ---- Mistakes ------------------------------------------------------------

struct BrokenProxy {
  std::string what;
  std::string text;
  std::vector<std::string> errors;  // "LINE:COL: message", in file order
};

void PrintTo(const BrokenProxy& c, std::ostream* os) { *os << c.what; }

const std::vector<BrokenProxy>& cases() {
  const ErrorFiles& files = ErrorFiles::get();
  const std::string dir = files.dir();
  static const std::vector<BrokenProxy> table = {
      // [log] access_log
      {"relative access log", std::string(kPorts) + "[log]\naccess_log = \"access.log\"\n",
       {"15:14: log.access_log: 'access.log' must be \"stdout\", an absolute path, or \"\" for no access log"}},
      {"misspelt stdout", std::string(kPorts) + "[log]\naccess_log = \"stdot\"\n",
       {"15:14: log.access_log: 'stdot' must be \"stdout\", an absolute path, or \"\" for no access log; did you "
        "mean 'stdout'?"}},

      // [[frontend]]: shape and names
      {"frontend written as a single table", after_ports("[frontend]\nname = \"f\"\n"),
       {"14:1: frontend: expected an array of tables ([[frontend]]), got a table"}},
      {"misspelt frontend key", frontend_with("timeout_cliet = \"5s\"\n"),
       {"18:1: unknown key 'timeout_cliet' in [[frontend]]; did you mean 'timeout_client'?"}},
      {"HAProxy's spelling of a frontend key", frontend_with("default-backend = \"x\"\n"),
       {"18:1: unknown key 'default-backend' in [[frontend]]; did you mean 'default_backend'?"}},
      {"frontend without bind",
       after_ports("[[frontend]]\nname = \"f\"\ndefault_backend = \"web_servers\"\n" + std::string(kBackend) + kServer),
       {"14:1: frontend: missing required key 'bind'"}},
      {"frontend without a name",
       after_ports("[[frontend]]\nbind = [\"*:80\"]\ndefault_backend = \"web_servers\"\n" + std::string(kBackend) +
                   kServer),
       {"14:1: frontend: missing required key 'name'"}},
      {"frontend without default_backend",
       after_ports("[[frontend]]\nname = \"f\"\nbind = [\"*:80\"]\n" + std::string(kBackend) + kServer),
       {"14:1: frontend: missing required key 'default_backend'"}},
      {"frontend name with a space",
       after_ports("[[frontend]]\nname = \"http front\"\nbind = [\"*:80\"]\ndefault_backend = \"web_servers\"\n" +
                   std::string(kBackend) + kServer),
       {"15:8: frontend.name: 'http front' may only contain letters, digits, '_', '-' and '.'"}},
      {"two frontends with one name",
       frontend_with("[[frontend]]\nname = \"http_front\"\nbind = [\"*:81\"]\ndefault_backend = \"web_servers\"\n"),
       {"19:8: frontend.name: duplicate frontend name 'http_front' (first defined at line 14)"}},
      {"misspelt default backend",
       after_ports("[[frontend]]\nname = \"f\"\nbind = [\"*:80\"]\ndefault_backend = \"web_server\"\n" +
                   std::string(kBackend) + kServer),
       {"17:19: frontend.default_backend: no [[backend]] is named 'web_server'; did you mean 'web_servers'?"}},
      {"default backend unrelated to any name",
       after_ports("[[frontend]]\nname = \"f\"\nbind = [\"*:80\"]\ndefault_backend = \"api\"\n" +
                   std::string(kBackend) + kServer),
       {"17:19: frontend.default_backend: no [[backend]] is named 'api'"}},
      {"frontend without any backend", after_ports(kFrontend),
       {"17:19: frontend.default_backend: no [[backend]] is named 'web_servers'; the file defines no [[backend]]"}},

      // [[frontend]] bind
      {"bind as a string",
       after_ports("[[frontend]]\nname = \"f\"\nbind = \"*:80\"\ndefault_backend = \"web_servers\"\n" +
                   std::string(kBackend) + kServer),
       {"16:8: frontend.bind: expected an array of strings, like [\"*:80\"], got a string"}},
      {"empty bind list", after_ports("[[frontend]]\nname = \"f\"\nbind = []\ndefault_backend = \"web_servers\"\n" +
                                      std::string(kBackend) + kServer),
       {"16:8: frontend.bind: must list at least one address to listen on"}},
      {"bind entries of the wrong type and shape",
       after_ports("[[frontend]]\nname = \"f\"\nbind = [80, \"10.99.1.2\", \"*:0\", \"*:65536\", \"front:80\", "
                   "\"10.99.1.2:http\", \"10.99.1:80\"]\ndefault_backend = \"web_servers\"\n" +
                   std::string(kBackend) + kServer),
       {"16:9: frontend.bind: expected an address string, or a table { address = \"...\", tls = BOOL }, got an integer",
        "16:13: frontend.bind: '10.99.1.2' has no port; write ADDRESS:PORT, like 10.99.1.10:80 or *:80",
        "16:26: frontend.bind: '*:0': port 0 is out of range 1..65535",
        "16:33: frontend.bind: '*:65536': port 65536 is out of range 1..65535",
        "16:44: frontend.bind: 'front:80' is not an IPv4 address and port, like 10.99.1.10:80 or *:80",
        "16:56: frontend.bind: '10.99.1.2:http' is not an IPv4 address and port, like 10.99.1.10:80 or *:80",
        "16:74: frontend.bind: '10.99.1:80' is not an IPv4 address and port, like 10.99.1.10:80 or *:80"}},
      {"bind to the reference's VIP without a [[vrrp]] instance sharing it",
       after_ports("[[frontend]]\nname = \"f\"\nbind = [\"10.99.1.10:80\"]\ndefault_backend = \"web_servers\"\n" +
                   std::string(kBackend) + kServer),
       {"16:9: frontend.bind: 10.99.1.10 is not an address of any [[port]] nor a virtual address of any [[vrrp]] "
        "(10.99.1.2, 10.99.2.2); listen on one of those or on *:80"}},
      {"the same address and port twice in one frontend",
       after_ports("[[frontend]]\nname = \"f\"\nbind = [\"10.99.1.2:80\", \"10.99.1.2:80\"]\n"
                   "default_backend = \"web_servers\"\n" +
                   std::string(kBackend) + kServer),
       {"16:25: frontend.bind: 10.99.1.2:80 is already bound by frontend 'f' (line 16)"}},
      {"the same address and port in two frontends",
       frontend_with("[[frontend]]\nname = \"other\"\nbind = [\"*:81\", \"0.0.0.0:80\"]\n"
                     "default_backend = \"web_servers\"\n"),
       {"20:17: frontend.bind: *:80 is already bound by frontend 'http_front' (line 16)"}},
      {"a wildcard after an address on the same port",
       after_ports("[[frontend]]\nname = \"a\"\nbind = [\"10.99.2.2:80\"]\ndefault_backend = \"web_servers\"\n"
                   "[[frontend]]\nname = \"b\"\nbind = [\"*:80\"]\ndefault_backend = \"web_servers\"\n" +
                   std::string(kBackend) + kServer),
       {"20:9: frontend.bind: *:80 overlaps 10.99.2.2:80, bound by frontend 'a' (line 16)"}},
      {"an address after a wildcard on the same port",
       frontend_with("[[frontend]]\nname = \"b\"\nbind = [\"10.99.1.2:80\"]\ndefault_backend = \"web_servers\"\n"),
       {"20:9: frontend.bind: 10.99.1.2:80 overlaps *:80, bound by frontend 'http_front' (line 16)"}},
      {"bind port among the local ports",
       after_ports("[[frontend]]\nname = \"f\"\nbind = [\"*:40000\"]\ndefault_backend = \"web_servers\"\n" +
                   std::string(kBackend) + kServer),
       {"16:9: frontend.bind: port 40000 is inside tcp.local_ports 32768..60999, the ports dplb's own connections "
        "to servers use; change tcp.local_ports to leave it out"}},
      {"bind port at the edge of the local ports",
       std::string(kPorts) + "[tcp]\nlocal_ports = [8080, 9000]\n" +
           "[[frontend]]\nname = \"f\"\nbind = [\"*:8080\", \"*:9000\"]\ndefault_backend = \"web_servers\"\n" +
           kBackend + kServer,
       {"18:9: frontend.bind: port 8080 is inside tcp.local_ports 8080..9000, the ports dplb's own connections to "
        "servers use; change tcp.local_ports to leave it out",
        "18:19: frontend.bind: port 9000 is inside tcp.local_ports 8080..9000, the ports dplb's own connections to "
        "servers use; change tcp.local_ports to leave it out"}},

      // [[frontend]] numbers, durations, booleans
      {"frontend maxconn of zero", frontend_with("maxconn = 0\n"),
       {"18:11: frontend.maxconn: 0 is out of range 1..10000000"}},
      {"frontend maxconn too large", frontend_with("maxconn = 10000001\n"),
       {"18:11: frontend.maxconn: 10000001 is out of range 1..10000000"}},
      {"forwardfor as HAProxy's option", frontend_with("forwardfor = \"yes\"\n"),
       {"18:14: frontend.forwardfor: expected a boolean (true or false), got a string"}},
      {"client timeout of zero", frontend_with("timeout_client = 0\n"),
       {"18:18: frontend.timeout_client: 0s is out of range 1ms..1d"}},
      {"client timeout over a day", frontend_with("timeout_client = \"2d\"\n"),
       {"18:18: frontend.timeout_client: 2d is out of range 1ms..1d"}},
      {"http-request timeout over an hour", frontend_with("timeout_http_request = \"61m\"\n"),
       {"18:24: frontend.timeout_http_request: 61m is out of range 1ms..1h"}},
      {"keep-alive timeout with an unknown unit", frontend_with("timeout_http_keep_alive = \"10sec\"\n"),
       {"18:27: frontend.timeout_http_keep_alive: '10sec' has an unknown unit 'sec' (expected us, ms, s, m, h or d)"}},
      {"keep-alive timeout as a boolean", frontend_with("timeout_http_keep_alive = true\n"),
       {"18:27: frontend.timeout_http_keep_alive: expected a duration (\"5s\") or milliseconds, got a boolean"}},
      {"log as a string", frontend_with("log = \"global\"\n"),
       {"18:7: frontend.log: expected a boolean (true or false), got a string"}},
      {"dontlognull as a number", frontend_with("dontlognull = 1\n"),
       {"18:15: frontend.dontlognull: expected a boolean (true or false), got an integer"}},

      // [[frontend]] errorfiles
      {"errorfiles as a string", frontend_with("errorfiles = \"/etc/dplb/errors\"\n"),
       {"18:14: frontend.errorfiles: expected a table of status = path, like { 503 = \"/etc/dplb/errors/503.http\" "
        "}, got a string"}},
      {"errorfile for a status dplb never sends", frontend_with("errorfiles = { 404 = \"/x\" }\n"),
       {"18:16: frontend.errorfiles: dplb never sends status 404; errorfiles replace 400, 403, 408, 413, 414, 431, "
        "500, 501, 502, 503, 504, 505"}},
      {"errorfile keyed by a word", frontend_with("errorfiles = { unavailable = \"/x\" }\n"),
       {"18:16: frontend.errorfiles: 'unavailable' is not an HTTP status code; errorfiles replace 400, 403, 408, "
        "413, 414, 431, 500, 501, 502, 503, 504, 505"}},
      {"errorfile path as a number", frontend_with("errorfiles = { 503 = 1 }\n"),
       {"18:22: frontend.errorfiles.503: expected a string (the file's path), got an integer"}},
      {"relative errorfile path", frontend_with("errorfiles = { 503 = \"errors/503.http\" }\n"),
       {"18:22: frontend.errorfiles.503: 'errors/503.http' must be an absolute path"}},
      {"missing errorfile", frontend_with(errorfile_line("missing.http")),
       {"18:22: frontend.errorfiles.503: cannot open '" + dir +
        "/missing.http': No such file or directory"}},
      {"errorfile that is a directory", frontend_with("errorfiles = { 503 = \"" + dir + "\" }\n"),
       {"18:22: frontend.errorfiles.503: '" + dir + "' is not a regular file"}},
      {"errorfile over 16 KiB", frontend_with(errorfile_line("too-big.http")),
       {"18:22: frontend.errorfiles.503: '" + dir + "/too-big.http' is 16385 bytes; an errorfile holds at most 16384"}},
      {"errorfile that is not an HTTP response", frontend_with(errorfile_line("not-http.http")),
       {"18:22: frontend.errorfiles.503: '" + dir +
        "/not-http.http' does not start with a status line such as \"HTTP/1.1 503 Service Unavailable\""}},
      {"errorfile whose length is wrong", frontend_with(errorfile_line("bad-length.http")),
       {"18:22: frontend.errorfiles.503: '" + dir + "/bad-length.http' has Content-Length 10 but a body of 5 bytes"}},
      {"several errorfile mistakes at once",
       frontend_with("errorfiles = { 404 = \"/x\", 503 = \"rel\", 502 = \"" + dir + "/502-lf.http\" }\n"),
       {"18:16: frontend.errorfiles: dplb never sends status 404; errorfiles replace 400, 403, 408, 413, 414, 431, "
        "500, 501, 502, 503, 504, 505",
        "18:34: frontend.errorfiles.503: 'rel' must be an absolute path"}},

      // [[backend]]
      {"backend written as a single table", after_ports("[backend]\nname = \"b\"\n"),
       {"14:1: backend: expected an array of tables ([[backend]]), got a table"}},
      {"server before its backend", after_ports(kServer),
       {"14:1: backend.server: a [[backend.server]] table must follow the [[backend]] it belongs to"}},
      {"misspelt backend key", backend_with("balanse = \"roundrobin\"\n"),
       {"20:1: unknown key 'balanse' in [[backend]]; did you mean 'balance'?"}},
      {"backend without a name",
       after_ports(std::string(kFrontend) + "[[backend]]\nbalance = \"first\"\n" + kServer),
       {"18:1: backend: missing required key 'name'"}},
      {"backend without servers", after_ports(std::string(kFrontend) + kBackend),
       {"18:1: backend: 'web_servers' has no server; add at least one [[backend.server]] after it"}},
      {"two backends with one name", proxy() + kBackend + kServer,
       {"24:8: backend.name: duplicate backend name 'web_servers' (first defined at line 18)"}},
      {"misspelt balance algorithm", backend_with("balance = \"round-robin\"\n"),
       {"20:11: backend.balance: 'round-robin' is not a balance algorithm; expected one of roundrobin, static-rr, "
        "leastconn, first, random, random(N), source, uri, hdr(NAME); did you mean 'roundrobin'?"}},
      {"unknown balance algorithm", backend_with("balance = \"url_param(id)\"\n"),
       {"20:11: backend.balance: 'url_param(id)' is not a balance algorithm; expected one of roundrobin, "
        "static-rr, leastconn, first, random, random(N), source, uri, hdr(NAME)"}},
      {"header spelt out keeps its name", backend_with("balance = \"header(Host)\"\n"),
       {"20:11: backend.balance: 'header(Host)' is not a balance algorithm; expected one of roundrobin, static-rr, "
        "leastconn, first, random, random(N), source, uri, hdr(NAME); did you mean 'hdr(Host)'?"}},
      {"misspelt random keeps its draws", backend_with("balance = \"radnom(3)\"\n"),
       {"20:11: backend.balance: 'radnom(3)' is not a balance algorithm; expected one of roundrobin, static-rr, "
        "leastconn, first, random, random(N), source, uri, hdr(NAME); did you mean 'random(3)'?"}},
      {"hdr without a header", backend_with("balance = \"hdr\"\n"),
       {"20:11: backend.balance: hdr needs a header name in parentheses, like hdr(Host)"}},
      {"hdr with an empty header", backend_with("balance = \"hdr()\"\n"),
       {"20:11: backend.balance: hdr() needs a header name, like hdr(Host)"}},
      {"hdr with an invalid header name", backend_with("balance = \"hdr(X Real IP)\"\n"),
       {"20:11: backend.balance: 'X Real IP' is not a header name (letters, digits and !#$%&'*+-.^_`|~ only)"}},
      {"hdr without its closing parenthesis", backend_with("balance = \"hdr(Host\"\n"),
       {"20:11: backend.balance: 'hdr(Host' lacks its closing parenthesis"}},
      {"random with no draws", backend_with("balance = \"random(0)\"\n"),
       {"20:11: backend.balance: random(N) takes a number of draws from 1 to 100, not '0'"}},
      {"random with too many draws", backend_with("balance = \"random(101)\"\n"),
       {"20:11: backend.balance: random(N) takes a number of draws from 1 to 100, not '101'"}},
      {"random with a word", backend_with("balance = \"random(two)\"\n"),
       {"20:11: backend.balance: random(N) takes a number of draws from 1 to 100, not 'two'"}},
      {"argument to an algorithm that takes none", backend_with("balance = \"uri(whole)\"\n"),
       {"20:11: backend.balance: 'uri' takes no argument"}},
      {"balance as a number", backend_with("balance = 1\n"),
       {"20:11: backend.balance: expected a string, got an integer"}},
      {"misspelt hash type", backend_with("hash_type = \"consistant\"\n"),
       {"20:13: backend.hash_type: 'consistant' is not one of map-based, consistent; did you mean 'consistent'?"}},
      {"HAProxy's aggressive reuse", backend_with("http_reuse = \"aggressive\"\n"),
       {"20:14: backend.http_reuse: 'aggressive' is not one of never, safe, always"}},
      {"too many retries", backend_with("retries = 101\n"), {"20:11: backend.retries: 101 is out of range 0..100"}},
      {"negative retries", backend_with("retries = -1\n"), {"20:11: backend.retries: -1 is out of range 0..100"}},
      {"redispatch as a word", backend_with("redispatch = \"on\"\n"),
       {"20:14: backend.redispatch: expected a boolean or an integer (HAProxy's interval), got a string"}},
      {"connect timeout over an hour", backend_with("timeout_connect = \"2h\"\n"),
       {"20:19: backend.timeout_connect: 2h is out of range 1ms..1h"}},
      {"server timeout of zero", backend_with("timeout_server = \"0s\"\n"),
       {"20:18: backend.timeout_server: 0s is out of range 1ms..1d"}},
      {"queue timeout over an hour", backend_with("timeout_queue = 3600001\n"),
       {"20:17: backend.timeout_queue: 3600001 is out of range 1..3600000"}},
      {"tunnel timeout over a week", backend_with("timeout_tunnel = \"8d\"\n"),
       {"20:18: backend.timeout_tunnel: 8d is out of range 1ms..7d"}},
      {"server written as a plain table", after_ports(std::string(kFrontend) + kBackend + "[backend.server]\n"),
       {"20:1: backend.server: expected an array of tables ([[backend.server]]), got a table",
        "18:1: backend: 'web_servers' has no server; add at least one [[backend.server]] after it"}},

      // [[backend.server]]
      {"misspelt server key", server_with("wieght = 2\n"),
       {"23:1: unknown key 'wieght' in [[backend.server]]; did you mean 'weight'?"}},
      {"server without an address",
       after_ports(std::string(kFrontend) + kBackend + "[[backend.server]]\nname = \"s\"\n"),
       {"20:1: backend.server: missing required key 'address'"}},
      {"two servers with one name in a backend",
       server_with("[[backend.server]]\nname = \"server1\"\naddress = \"10.99.2.12:80\"\n"),
       {"24:8: backend.server.name: duplicate server name 'server1' in backend 'web_servers' (first defined at line "
        "20)"}},
      {"server address without a port",
       one_server("10.99.2.11"),
       {"22:11: backend.server.address: '10.99.2.11' has no port; write ADDRESS:PORT, like 10.99.2.11:80"}},
      {"server address with port zero",
       one_server("10.99.2.11:0"),
       {"22:11: backend.server.address: '10.99.2.11:0': port 0 is out of range 1..65535"}},
      {"server address as a wildcard",
       one_server("*:80"),
       {"22:11: backend.server.address: '*:80' has no address; a server needs one, like 10.99.2.11:80"}},
      {"server address as a host name",
       one_server("web1:80"),
       {"22:11: backend.server.address: 'web1:80' is not an IPv4 address and port, like 10.99.2.11:80"}},
      {"server on 0.0.0.0",
       one_server("0.0.0.0:80"),
       {"22:11: backend.server.address: 0.0.0.0 is a 'this network' address (0.0.0.0/8), not a server's"}},
      {"server on loopback",
       one_server("127.0.0.1:80"),
       {"22:11: backend.server.address: 127.0.0.1 is a loopback address, not a server's"}},
      {"server on a multicast address",
       one_server("224.0.0.1:80"),
       {"22:11: backend.server.address: 224.0.0.1 is a multicast address, not a server's"}},
      {"server on the broadcast address",
       one_server("255.255.255.255:80"),
       {"22:11: backend.server.address: 255.255.255.255 is the broadcast address, not a server's"}},
      {"server on our own address",
       one_server("10.99.2.2:80"),
       {"22:11: backend.server.address: 10.99.2.2 is port 'back' own address"}},
      {"server on a subnet's broadcast address",
       one_server("10.99.2.255:80"),
       {"22:11: backend.server.address: 10.99.2.255 is the broadcast address of port 'back' subnet 10.99.2.0/24"}},
      {"server on a subnet's network address", one_server("10.99.2.0:80"),
       {"22:11: backend.server.address: 10.99.2.0 is the network address of port 'back' subnet 10.99.2.0/24"}},
      {"server with no route",
       one_server("172.16.0.5:80"),
       {"22:11: backend.server.address: no route to 172.16.0.5: it is outside every [[port]] subnet, no [[route]] "
        "covers it and no port has a gateway"}},
      {"server outside the only route",
       std::string(kPorts) + "[[route]]\ndestination = \"172.16.0.0/12\"\ngateway = \"10.99.2.1\"\n" + kFrontend +
           kBackend + "[[backend.server]]\nname = \"s\"\naddress = \"192.168.0.5:80\"\n",
       {"25:11: backend.server.address: no route to 192.168.0.5: it is outside every [[port]] subnet, no [[route]] "
        "covers it and no port has a gateway"}},
      {"server weight too high", server_with("weight = 257\n"),
       {"23:10: backend.server.weight: 257 is out of range 0..256"}},
      {"server maxconn too high", server_with("maxconn = 1000001\n"),
       {"23:11: backend.server.maxconn: 1000001 is out of range 0..1000000"}},
      {"backup as a word", server_with("backup = \"yes\"\n"),
       {"23:10: backend.server.backup: expected a boolean (true or false), got a string"}},
      {"retry_on misspelt", backend_with("retry_on = [\"conn-failure\", \"empty-respons\"]\n"),
       {"20:29: backend.retry_on: 'empty-respons' is not a retry_on word (none, conn-failure, empty-response, "
        "junk-response, response-timeout, 0rtt-rejected, all-retryable-errors, or a status); did you mean "
        "'empty-response'?"}},
      {"retry_on status not in HAProxy's list", backend_with("retry_on = [\"503\", \"505\"]\n"),
       {"20:20: backend.retry_on: '505' is not a status retry_on accepts (401, 403, 404, 408, 425, 500, 501, 502, "
        "503, 504, as HAProxy)"}},
      {"retry_on none with another word", backend_with("retry_on = [\"none\", \"503\"]\n"),
       {"20:13: backend.retry_on: 'none' cannot be combined with other words"}},
      {"retry_on empty", backend_with("retry_on = []\n"),
       {"20:12: backend.retry_on: must list at least one word (\"none\" for no retry at all)"}},
      {"retry_buffer unit", backend_with("retry_buffer = \"16q\"\n"),
       {"20:16: backend.retry_buffer: '16q' has an unknown size unit 'q' (k, m or g)"}},
      {"retry_buffer too large", backend_with("retry_buffer = \"2m\"\n"),
       {"20:16: backend.retry_buffer: 2m is over the 1m a kept request may hold"}},
      {"retry_non_idempotent misspelt", backend_with("retry_non_idempotent = \"allways\"\n"),
       {"20:24: backend.retry_non_idempotent: 'allways' is not one of never, with-idempotency-key, always; did you "
        "mean 'always'?"}},
      {"redispatch interval out of range", backend_with("redispatch = 200\n"),
       {"20:14: backend.redispatch: 200 is out of range -100..100"}},
      {"retry_backoff base over max", backend_with("retry_backoff = { base = \"500ms\", max = \"100ms\" }\n"),
       {"20:17: backend.retry_backoff: base 500ms is over max 100ms in backend 'web_servers'; max caps every wait, so "
        "it must be at least base"}},
      {"retry_backoff unknown key", backend_with("retry_backoff = { bsae = \"5ms\" }\n"),
       {"20:19: unknown key 'bsae' in [backend.retry_backoff]; did you mean 'base'?"}},
      {"retry-on with a dash", backend_with("retry-on = [\"503\"]\n"),
       {"20:1: unknown key 'retry-on' in [[backend]]; write retry_on (with an underscore)"}},
  };
  return table;
}

class BrokenProxyTest : public testing::TestWithParam<BrokenProxy> {};

TEST_P(BrokenProxyTest, ReportsExactErrorAndPosition) {
  const BrokenProxy& c = GetParam();
  LoadResult result = load_config_text(c.text, "dplb.toml");
  EXPECT_FALSE(result.config.has_value()) << c.what;
  std::vector<std::string> expected;
  for (const auto& e : c.errors) expected.push_back("dplb.toml:" + e);
  std::stable_sort(expected.begin(), expected.end(), [](const std::string& a, const std::string& b) {
    auto key = [](const std::string& s) {
      const std::size_t first = s.find(':');
      const std::size_t second = s.find(':', first + 1);
      const std::size_t third = s.find(':', second + 1);
      return std::make_pair(std::stoul(s.substr(first + 1, second - first - 1)),
                            std::stoul(s.substr(second + 1, third - second - 1)));
    };
    return key(a) < key(b);
  });
  EXPECT_EQ(result.diagnostics.formatted(), expected) << c.what << "\n--- input ---\n" << c.text;
}

std::string case_name(const testing::TestParamInfo<BrokenProxy>& info) {
  std::string name;
  for (char c : info.param.what) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Table, BrokenProxyTest, testing::ValuesIn(cases()), case_name);

// ---- Robustness and rendering --------------------------------------------

// Every value of a full file replaced by values of every other shape: the
// loader must answer with a configuration or with errors, never throw or crash.
TEST(ConfigProxy, NoValueShapeCrashesTheLoader) {
  const std::string full = full_proxy();
  const std::vector<std::string> shapes = {"0",     "-1",        "4294967296", "1.5",       "true",
                                           "\"\"",  "\"x\"",     "\"*:\"",     "\"(\"",     "\"hdr(\"",
                                           "[]",    "[1, 2]",    "[\"\"]",     "[[1]]",     "{}",
                                           "{ 1 = 2 }", "{ 503 = \"/\" }", "{ 503 = { a = 1 } }",
                                           "1979-05-27", "\"random(99999999999)\""};
  std::size_t begin = 0;
  std::size_t replaced = 0;
  while (begin < full.size()) {
    const std::size_t end = full.find('\n', begin);
    const std::string line = full.substr(begin, end - begin);
    const std::size_t equals = line.find(" = ");
    if (equals != std::string::npos) {
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
  EXPECT_GT(replaced, 500u);
}

TEST(ConfigProxy, ShowConfigLoadsBackUnchanged) {
  for (const std::string& text : {proxy(), full_proxy()}) {
    const Config first = load_ok(text);
    const std::string rendered = render_config(first);
    auto second = load_config_text(rendered, "dplb.toml");
    ASSERT_TRUE(second.config) << second.diagnostics.formatted().front() << "\n" << rendered;
    EXPECT_EQ(render_config(*second.config), rendered);
  }
}

TEST(ConfigProxy, ShowConfigWritesEveryKey) {
  const std::string rendered = render_config(load_ok(full_proxy()));
  const std::string errorfiles = "errorfiles = { 502 = \"" + ErrorFiles::get().path("502-lf.http") + "\", 503 = \"" +
                                 ErrorFiles::get().path("503.http") + "\" }\n";
  for (const std::string& expected :
       {std::string("access_log = \"stdout\"\n"),
        std::string("\n[[frontend]]\nname = \"http_front\"\nbind = [\"10.99.1.2:80\", \"10.99.2.2:8080\"]\n"
                    "default_backend = \"web_servers\"\nmaxconn = 20000\nforwardfor = true\ntimeout_client = \"30s\"\n"
                    "timeout_http_request = \"10s\"\ntimeout_http_keep_alive = \"2s\"\n") +
            errorfiles + "log = false\ndontlognull = true\n",
        std::string("\n[[backend]]\nname = \"web_servers\"\nbalance = \"hdr(Host)\"\nhash_type = \"consistent\"\n"
                    "timeout_connect = \"3s\"\ntimeout_server = \"1m\"\ntimeout_queue = \"4s\"\n"
                    "timeout_tunnel = \"1h\"\nhttp_reuse = \"always\"\nretries = 0\nredispatch = false\n"),
        std::string("\n[[backend.server]]\nname = \"server2\"\naddress = \"10.99.2.12:8080\"\nweight = 0\n"
                    "maxconn = 0\nbackup = true\n")}) {
    EXPECT_NE(rendered.find(expected), std::string::npos) << "missing:\n" << expected << "\nin:\n" << rendered;
  }
  // Defaults are written out; unset timeouts are not, since they inherit.
  const std::string minimal = render_config(load_ok(proxy()));
  EXPECT_NE(minimal.find("errorfiles = {}\nlog = true\ndontlognull = false\n"), std::string::npos) << minimal;
  EXPECT_EQ(minimal.find("timeout_http_request"), std::string::npos) << minimal;
  EXPECT_EQ(minimal.find("timeout_queue"), std::string::npos) << minimal;
  EXPECT_NE(minimal.find("balance = \"roundrobin\"\nhash_type = \"map-based\"\n"), std::string::npos) << minimal;
}

TEST(ConfigProxy, RetryPolicyReadsAndRendersBack) {
  const Config c = load_ok(backend_with("retry_on = [\"all-retryable-errors\", \"404\"]\nretry_buffer = \"32k\"\n"
                                        "timeout_per_try = \"2s\"\nretry_non_idempotent = \"with-idempotency-key\"\n"
                                        "idempotency_key_header = \"X-Request-Id\"\n"));
  const BackendConfig& b = c.backends[0];
  EXPECT_TRUE(b.retry_on.conn_failure && b.retry_on.empty_response && b.retry_on.junk_response &&
              b.retry_on.response_timeout && b.retry_on.zero_rtt_rejected);
  EXPECT_EQ(b.retry_on.statuses, (std::vector<uint16_t>{500, 502, 503, 504, 404}));
  EXPECT_EQ(b.retry_buffer, 32768u);
  EXPECT_EQ(b.timeout_per_try.microseconds, 2'000'000);
  EXPECT_EQ(b.retry_non_idempotent, RetryNonIdempotent::with_idempotency_key);
  EXPECT_EQ(b.idempotency_key_header, "X-Request-Id");
  EXPECT_EQ(b.retry_backoff, (RetryBackoff{}));  // base 0: at once, as HAProxy
  const std::string rendered = render_config(c);
  EXPECT_NE(rendered.find("retry_on = [\"conn-failure\", \"empty-response\", \"junk-response\", \"response-timeout\", "
                          "\"0rtt-rejected\", \"500\", \"502\", \"503\", \"504\", \"404\"]\nretry_buffer = \"32k\"\n"),
            std::string::npos)
      << rendered;
  EXPECT_EQ(render_config(load_ok(rendered)), rendered);
  const Config none = load_ok(backend_with("retry_on = [\"none\"]\n"));
  EXPECT_FALSE(none.backends[0].retry_on.conn_failure);
  EXPECT_FALSE(none.backends[0].retry_on.any_layer7());
  EXPECT_NE(render_config(none).find("retry_on = [\"none\"]\n"), std::string::npos);
  for (const auto& [text, on, every] : std::vector<std::tuple<std::string, bool, int32_t>>{
           {"true", true, -1}, {"false", false, -1}, {"1", true, 1}, {"-2", true, -2}, {"0", false, -1}}) {
    const Config r = load_ok(backend_with("redispatch = " + text + "\n"));
    EXPECT_EQ(r.backends[0].redispatch, on) << text;
    EXPECT_EQ(r.backends[0].redispatch_interval, every) << text;
    const std::string again = render_config(r);
    EXPECT_EQ(render_config(load_ok(again)), again) << text;
  }
  EXPECT_NE(render_config(load_ok(backend_with("redispatch = 1\n"))).find("redispatch = 1\n"), std::string::npos);
  const Config backoff = load_ok(backend_with("retry_backoff = { base = \"10ms\", max = \"1s\" }\n"));
  EXPECT_EQ(backoff.backends[0].retry_backoff.base.microseconds, 10'000);
  EXPECT_EQ(backoff.backends[0].retry_backoff.max.microseconds, 1'000'000);
  const std::string backoff_text = render_config(backoff);
  EXPECT_NE(backoff_text.find("retry_backoff = { base = \"10ms\", max = \"1s\" }\n"), std::string::npos);
  EXPECT_EQ(render_config(load_ok(backoff_text)), backoff_text);
}

TEST(ConfigProxy, SchemaDocumentsEveryProxyKey) {
  std::vector<std::string> frontend, backend, server, log;
  for (const auto& doc : config_key_docs()) {
    if (doc.section == "[[frontend]]") frontend.push_back(doc.key);
    if (doc.section == "[[backend]]") backend.push_back(doc.key);
    if (doc.section == "[[backend.server]]") server.push_back(doc.key);
    if (doc.section == "[log]") log.push_back(doc.key);
  }
  EXPECT_EQ(frontend.size(), 13u);  // [frontend.tls] has its own section
  EXPECT_EQ(backend.size(), 16u);  // `server` is the [[backend.server]] table
  EXPECT_EQ(server, (std::vector<std::string>{"name", "address", "weight", "maxconn", "backup", "check", "check_port", "slowstart"}));
  EXPECT_NE(std::find(log.begin(), log.end(), "access_log"), log.end());
}

TEST(ConfigExamples, LabExamplesServeTheReferenceBackend) {
  for (const char* name : {"lab-lb1.toml", "lab-lb2.toml"}) {
    auto result = load_config_file(std::string(DPLB_SOURCE_ROOT) + "/conf/examples/" + name);
    ASSERT_TRUE(result.config) << name << ": "
                               << (result.diagnostics.empty() ? "" : result.diagnostics.formatted().front());
    const Config& c = *result.config;
    ASSERT_EQ(c.frontends.size(), 1u) << name;
    EXPECT_EQ(c.frontends[0].name, "http_front");
    EXPECT_EQ(c.frontends[0].default_backend, "web_servers");
    ASSERT_EQ(c.backends.size(), 1u) << name;
    std::vector<std::string> servers;
    for (const auto& s : c.backends[0].servers) servers.push_back(s.name + " " + format_endpoint(s.address));
    EXPECT_EQ(servers, (std::vector<std::string>{"server1 10.99.2.11:80", "server2 10.99.2.12:80",
                                                 "server3 10.99.2.13:80"}))
        << name;
    // The reference's two conditional lines, as rules rather than comments.
    ASSERT_TRUE(c.frontends[0].rules.compiled) << name;
    ASSERT_EQ(c.frontends[0].rules.compiled->request.size(), 1u) << name;
    EXPECT_EQ(c.frontends[0].rules.compiled->request[0].text, "redirect scheme https code 301 if !{ ssl_fc }");
    ASSERT_TRUE(c.backends[0].rules.compiled) << name;
    ASSERT_EQ(c.backends[0].rules.compiled->request.size(), 1u) << name;
    EXPECT_EQ(c.backends[0].rules.compiled->request[0].text, "disable-l7-retry if METH_POST");
  }
}

}  // namespace
}  // namespace dplb::conf
