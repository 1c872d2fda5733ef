// TLS in the configuration: binds with and without tls, [frontend.tls],
// a server's `tls` table. What a valid file yields, what show config writes
// back, and the exact message and position of every mistake.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "conf/config_loader.h"
#include "conf/config_render.h"

namespace dplb::conf {
namespace {

// Lines 1-9: one port.
constexpr const char* kPort =
    "[dataplane]\n"
    "workers = [1]\n"
    "control_lcore = 0\n"
    "hugepages = false\n"
    "memory_mb = 256\n"
    "[[port]]\n"
    "name = \"p\"\n"
    "device = \"net_null0\"\n"
    "address = \"10.99.1.2/24\"\n";
// Lines 10-13.
constexpr const char* kBackend =
    "[[backend]]\n"
    "name = \"web\"\n"
    "[[backend.server]]\n"
    "name = \"s1\"\n"
    "address = \"10.99.1.11:80\"\n";

// A frontend after the backend: line 15 is `bind = ...`, line 18 onwards
// `tls_table` (or other frontend keys).
std::string frontend(const std::string& bind, const std::string& tls_table) {
  return std::string(kPort) + kBackend + "[[frontend]]\nbind = " + bind + "\nname = \"f\"\ndefault_backend = \"web\"\n" +
         tls_table;
}
// Line 19 onwards are tls keys.
std::string tls_keys(const std::string& keys) {
  return frontend("[\"*:443\"]", "[frontend.tls]\ncertificates = [\"/etc/ssl/site.pem\"]\n" + keys);
}
// The server's line 14 gets `tls = ...` after address.
std::string server_tls(const std::string& table) {
  return std::string(kPort) + "[[backend]]\nname = \"web\"\n[[backend.server]]\nname = \"s1\"\n"
         "address = \"10.99.1.11:443\"\ntls = " + table + "\n";
}

Config load_ok(const std::string& text) {
  LoadResult result = load_config_text(text, "dplb.toml");
  EXPECT_TRUE(result.config.has_value()) << testing::PrintToString(result.diagnostics.formatted()) << "\n" << text;
  return result.config.value_or(Config{});
}

TEST(ConfigTls, DefaultsOfAFrontendWithACertificate) {
  const Config c = load_ok(tls_keys(""));
  ASSERT_EQ(c.frontends.size(), 1u);
  const FrontendConfig& f = c.frontends[0];
  ASSERT_TRUE(f.tls.has_value());
  ASSERT_EQ(f.bind_tls, std::vector<bool>{true});
  const FrontendTlsConfig& t = *f.tls;
  ASSERT_EQ(t.certificates.size(), 1u);
  EXPECT_EQ(t.certificates[0].cert, "/etc/ssl/site.pem");
  EXPECT_TRUE(t.certificates[0].key.empty());
  EXPECT_TRUE(t.certificates[0].sni.empty());
  EXPECT_EQ(t.default_certificate, 0u);
  EXPECT_EQ(t.min_version, TlsVersion::tls1_2);
  EXPECT_EQ(t.alpn, std::vector<std::string>{"http/1.1"});
  EXPECT_TRUE(t.session_tickets);
  EXPECT_TRUE(t.ticket_keys_file.empty());
  EXPECT_EQ(t.verify, TlsVerify::none);
  EXPECT_EQ(t.client_cert_header, "X-SSL-Client-DN");
  EXPECT_FALSE(t.timeout_handshake.has_value());
  EXPECT_FALSE(t.ciphers.empty());
  EXPECT_FALSE(t.ciphersuites.empty());
  EXPECT_FALSE(f.httpslog);
}

TEST(ConfigTls, EveryFrontendKeyIsRead) {
  const Config c = load_ok(frontend(
      "[\"*:443\"]",
      "log_format = \"httpslog\"\n"
      "[frontend.tls]\n"
      "certificates = [\"/etc/ssl/a.pem\", { cert = \"/etc/ssl/b.crt\", key = \"/etc/ssl/b.key\", "
      "sni = [\"b.example.com\", \"*.b.example.com\"] }]\n"
      "default_certificate = 1\n"
      "min_version = \"1.3\"\n"
      "ciphers = \"ECDHE+AESGCM:!aNULL\"\n"
      "ciphersuites = \"TLS_AES_128_GCM_SHA256\"\n"
      "alpn = [\"http/1.1\", \"x-test\"]\n"
      "ticket_keys_file = \"/etc/dplb/tickets.key\"\n"
      "ocsp_response = \"/etc/ssl/a.ocsp\"\n"
      "verify = \"optional\"\n"
      "ca_file = \"/etc/ssl/clients-ca.pem\"\n"
      "crl_file = \"/etc/ssl/clients.crl\"\n"
      "client_cert_header = \"X-Client-Subject\"\n"
      "timeout_handshake = \"3s\"\n"));
  const FrontendConfig& f = c.frontends.at(0);
  EXPECT_TRUE(f.httpslog);
  const FrontendTlsConfig& t = f.tls.value();
  ASSERT_EQ(t.certificates.size(), 2u);
  EXPECT_EQ(t.certificates[1].cert, "/etc/ssl/b.crt");
  EXPECT_EQ(t.certificates[1].key, "/etc/ssl/b.key");
  EXPECT_EQ(t.certificates[1].sni, (std::vector<std::string>{"b.example.com", "*.b.example.com"}));
  EXPECT_EQ(t.default_certificate, 1u);
  EXPECT_EQ(t.min_version, TlsVersion::tls1_3);
  EXPECT_EQ(t.ciphers, "ECDHE+AESGCM:!aNULL");
  EXPECT_EQ(t.ciphersuites, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(t.alpn, (std::vector<std::string>{"http/1.1", "x-test"}));
  EXPECT_EQ(t.ticket_keys_file, "/etc/dplb/tickets.key");
  EXPECT_EQ(t.ocsp_response, "/etc/ssl/a.ocsp");
  EXPECT_EQ(t.verify, TlsVerify::optional);
  EXPECT_EQ(t.ca_file, "/etc/ssl/clients-ca.pem");
  EXPECT_EQ(t.crl_file, "/etc/ssl/clients.crl");
  EXPECT_EQ(t.client_cert_header, "X-Client-Subject");
  ASSERT_TRUE(t.timeout_handshake.has_value());
  EXPECT_EQ(t.timeout_handshake->milliseconds(), 3000);
}

TEST(ConfigTls, WhichBindsTerminateTls) {
  struct Case {
    std::string bind;
    bool has_tls;
    std::vector<bool> expected;
  };
  const std::vector<Case> cases = {
      {"[\"*:80\"]", false, {false}},
      {"[\"*:443\"]", true, {true}},
      {"[\"*:443\", \"*:8443\"]", true, {true, true}},
      {"[{ address = \"*:80\", tls = false }, \"*:443\"]", true, {false, true}},
      {"[{ address = \"*:80\" }, { address = \"*:443\", tls = true }]", true, {true, true}},
      {"[{ address = \"*:80\", tls = false }, { address = \"*:443\", tls = true }]", true, {false, true}},
  };
  for (const auto& c : cases) {
    const std::string table = c.has_tls ? "[frontend.tls]\ncertificates = [\"/etc/ssl/site.pem\"]\n" : "";
    const Config config = load_ok(frontend(c.bind, table));
    ASSERT_EQ(config.frontends.size(), 1u) << c.bind;
    EXPECT_EQ(config.frontends[0].bind_tls, c.expected) << c.bind;
    EXPECT_EQ(config.frontends[0].tls.has_value(), c.has_tls) << c.bind;
  }
}

TEST(ConfigTls, CertificatesUnusedByEveryBindIsAWarning) {
  LoadResult r = load_config_text(
      frontend("[{ address = \"*:80\", tls = false }]", "[frontend.tls]\ncertificates = [\"/etc/ssl/site.pem\"]\n"),
      "dplb.toml");
  ASSERT_TRUE(r.config.has_value());
  EXPECT_EQ(r.diagnostics.formatted(),
            std::vector<std::string>{"dplb.toml:19:1: warning: frontend.tls: frontend 'f' has certificates but every "
                                     "bind says tls = false; no connection uses them"});
}

TEST(ConfigTls, ServerTlsForms) {
  {
    const ServerTlsConfig t = load_ok(server_tls("{ ca_file = \"/etc/ssl/ca.pem\" }")).backends.at(0).servers.at(0).tls;
    EXPECT_TRUE(t.enabled);
    EXPECT_EQ(t.verify, TlsVerify::required);
    EXPECT_EQ(t.ca_file, "/etc/ssl/ca.pem");
    EXPECT_TRUE(t.check_ssl);
  }
  {
    const ServerTlsConfig t =
        load_ok(server_tls("{ verify = \"none\", sni = \"app.internal\", check_ssl = false }")).backends.at(0).servers.at(0).tls;
    EXPECT_TRUE(t.enabled);
    EXPECT_EQ(t.verify, TlsVerify::none);
    EXPECT_EQ(t.sni, "app.internal");
    EXPECT_FALSE(t.check_ssl);
  }
  {
    const ServerTlsConfig t = load_ok(server_tls("{ enabled = false }")).backends.at(0).servers.at(0).tls;
    EXPECT_FALSE(t.enabled);
    EXPECT_FALSE(t.check_ssl);
  }
  {
    const ServerTlsConfig t =
        load_ok(server_tls("{ verify = \"none\", cert = \"/etc/ssl/me.pem\", key = \"/etc/ssl/me.key\" }"))
            .backends.at(0).servers.at(0).tls;
    EXPECT_EQ(t.cert, "/etc/ssl/me.pem");
    EXPECT_EQ(t.key, "/etc/ssl/me.key");
  }
  // No table: plain HTTP to the server.
  const ServerTlsConfig plain = load_ok(std::string(kPort) + kBackend).backends.at(0).servers.at(0).tls;
  EXPECT_FALSE(plain.enabled);
}

TEST(ConfigTls, ShowConfigLoadsBackUnchanged) {
  const std::string text = frontend(
      "[{ address = \"*:80\", tls = false }, \"*:443\"]",
      "log_format = \"httpslog\"\n[frontend.tls]\ncertificates = [\"/etc/ssl/a.pem\", { cert = \"/etc/ssl/b.pem\", "
      "sni = [\"b.example.com\"] }]\nmin_version = \"1.3\"\nverify = \"required\"\nca_file = \"/etc/ssl/ca.pem\"\n"
      "timeout_handshake = \"2s\"\n");
  const Config first = load_ok(text);
  const std::string rendered = render_config(first);
  const Config second = load_ok(rendered);
  EXPECT_EQ(render_config(second), rendered);
  const FrontendConfig& f = second.frontends.at(0);
  EXPECT_EQ(f.bind_tls, (std::vector<bool>{false, true}));
  EXPECT_TRUE(f.httpslog);
  ASSERT_TRUE(f.tls.has_value());
  EXPECT_EQ(f.tls->certificates.size(), 2u);
  EXPECT_EQ(f.tls->certificates[1].sni, std::vector<std::string>{"b.example.com"});
  EXPECT_EQ(f.tls->min_version, TlsVersion::tls1_3);
  EXPECT_EQ(f.tls->verify, TlsVerify::required);

  const std::string server_text = server_tls("{ ca_file = \"/etc/ssl/ca.pem\", sni = \"app.internal\" }");
  const std::string server_rendered = render_config(load_ok(server_text));
  const Config server_again = load_ok(server_rendered);
  EXPECT_EQ(render_config(server_again), server_rendered);
  EXPECT_EQ(server_again.backends.at(0).servers.at(0).tls.sni, "app.internal");
  EXPECT_TRUE(server_again.backends.at(0).servers.at(0).tls.enabled);
}

// ---- Mistakes ------------------------------------------------------------

struct BrokenTls {
  std::string what;
  std::string text;
  std::string error;  // "LINE:COL: message", the first error
};

void PrintTo(const BrokenTls& c, std::ostream* os) { *os << c.what; }

const std::vector<BrokenTls>& cases() {
  static const std::vector<BrokenTls> table = {
      // binds
      {"tls bind without certificates", frontend("[{ address = \"*:443\", tls = true }]", ""),
       "16:9: frontend.bind: *:443 has tls = true but frontend 'f' has no [frontend.tls] with its certificates"},
      {"bind tls not a boolean", frontend("[{ address = \"*:443\", tls = \"yes\" }]", ""),
       "16:36: frontend.bind.tls: expected a boolean, got a string"},
      {"bind table without address", frontend("[{ tls = true }]", ""),
       "16:9: frontend.bind: a bind table needs address, like { address = \"*:443\", tls = true }"},
      {"bind table unknown key", frontend("[{ address = \"*:443\", ssl = true }]", ""),
       "16:30: unknown key 'ssl' in a bind entry; the keys are address and tls"},
      // [frontend.tls]
      {"no certificates", frontend("[\"*:443\"]", "[frontend.tls]\nmin_version = \"1.2\"\n"),
       "19:1: frontend.tls: missing required key 'certificates'"},
      {"empty certificates", tls_keys("").replace(tls_keys("").find("[\"/etc/ssl/site.pem\"]"), 21, "[]"),
       "20:16: frontend.tls.certificates: expected a non-empty array, like [\"/etc/dplb/mycert.pem\"], got an array"},
      {"relative certificate", frontend("[\"*:443\"]", "[frontend.tls]\ncertificates = [\"site.pem\"]\n"),
       "20:17: frontend.tls.certificates[0]: 'site.pem' must be an absolute path"},
      {"certificate table without cert",
       frontend("[\"*:443\"]", "[frontend.tls]\ncertificates = [{ key = \"/etc/ssl/k.pem\" }]\n"),
       "20:17: frontend.tls.certificates[0]: missing required key 'cert'"},
      {"certificate table misspelt key",
       frontend("[\"*:443\"]", "[frontend.tls]\ncertificates = [{ crt = \"/etc/ssl/k.pem\" }]\n"),
       "20:19: unknown key 'crt' in a certificate; the keys are cert, key and sni; did you mean 'cert'?"},
      {"bad sni name",
       frontend("[\"*:443\"]", "[frontend.tls]\ncertificates = [{ cert = \"/etc/ssl/a.pem\", sni = [\"a_b.com\"] }]\n"),
       "20:51: frontend.tls.certificates[0].sni: 'a_b.com' is not a host name (letters, digits, '-' and '.'; '*.' "
       "only in front)"},
      {"wildcard in the middle",
       frontend("[\"*:443\"]", "[frontend.tls]\ncertificates = [{ cert = \"/etc/ssl/a.pem\", sni = [\"a.*.com\"] }]\n"),
       "20:51: frontend.tls.certificates[0].sni: 'a.*.com' is not a host name (letters, digits, '-' and '.'; '*.' "
       "only in front)"},
      {"default certificate out of range", tls_keys("default_certificate = 1\n"),
       "21:23: frontend.tls.default_certificate: 1 is not an index of certificates (0..0)"},
      {"min version 1.1", tls_keys("min_version = \"1.1\"\n"),
       "21:15: frontend.tls.min_version: '1.1' is not one of 1.2, 1.3; did you mean '1.2'?"},
      {"cipher list with a space", tls_keys("ciphers = \"ECDHE AESGCM\"\n"),
       "21:11: frontend.tls.ciphers: 'ECDHE AESGCM' has a character OpenSSL's cipher lists do not use: ' '"},
      {"empty alpn", tls_keys("alpn = []\n"),
       "21:8: frontend.tls.alpn: expected a non-empty array of protocol names, like [\"http/1.1\"], got an array"},
      {"verify without ca", tls_keys("verify = \"required\"\n"),
       "21:10: frontend.tls.verify: \"required\" needs ca_file, the CAs client certificates are checked against"},
      {"crl without verify", tls_keys("crl_file = \"/etc/ssl/x.crl\"\n"),
       "21:12: frontend.tls.crl_file: revocation is checked only for client certificates; set verify = \"optional\" "
       "or \"required\" with ca_file, or remove crl_file"},
      {"ticket keys with tickets off", tls_keys("session_tickets = false\nticket_keys_file = \"/etc/dplb/t.key\"\n"),
       "22:20: frontend.tls.ticket_keys_file: session_tickets = false turns tickets off; remove one of the two"},
      {"client cert header not a field name", tls_keys("client_cert_header = \"X Client\"\n"),
       "21:22: frontend.tls.client_cert_header: 'X Client' is not an HTTP field name (letters, digits and "
       "!#$%&'*+-.^_`|~)"},
      {"haproxy crt", tls_keys("crt = \"/etc/ssl/a.pem\"\n"),
       "21:1: unknown key 'crt' in [frontend.tls]; dplb calls it 'certificates' (an array of PEM files)"},
      {"log format", frontend("[\"*:80\"]", "log_format = \"tcplog\"\n"),
       "19:14: frontend.log_format: 'tcplog' is not one of httplog, httpslog"},
      // server tls
      {"server tls verify without ca", server_tls("{ sni = \"a.internal\" }"),
       "15:7: backend.server.tls: verify = \"required\" (the default) needs ca_file, the CAs the server's "
       "certificate is checked against; or set verify = \"none\""},
      {"server tls optional", server_tls("{ verify = \"optional\", ca_file = \"/etc/ssl/ca.pem\" }"),
       "15:7: backend.server.tls.verify: a server's certificate is either checked (\"required\") or not (\"none\")"},
      {"server tls key without cert", server_tls("{ verify = \"none\", key = \"/etc/ssl/k.pem\" }"),
       "15:7: backend.server.tls: key without cert; cert is the client certificate to present"},
      {"server tls not a table", server_tls("true"),
       "15:7: backend.server.tls: expected a table, like { enabled = true, ca_file = \"/etc/ssl/ca.pem\" }, got a "
       "boolean"},
  };
  return table;
}

class BrokenTlsTest : public testing::TestWithParam<BrokenTls> {};

TEST_P(BrokenTlsTest, ReportsExactErrorAndPosition) {
  const BrokenTls& c = GetParam();
  LoadResult result = load_config_text(c.text, "dplb.toml");
  EXPECT_FALSE(result.config.has_value()) << c.what;
  const std::vector<std::string> errors = result.diagnostics.formatted();
  ASSERT_FALSE(errors.empty()) << c.what;
  EXPECT_EQ(errors.front(), "dplb.toml:" + c.error) << c.what << "\n--- input ---\n" << c.text;
}

std::string case_name(const testing::TestParamInfo<BrokenTls>& info) {
  std::string name;
  for (char c : info.param.what) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Table, BrokenTlsTest, testing::ValuesIn(cases()), case_name);

}  // namespace
}  // namespace dplb::conf
