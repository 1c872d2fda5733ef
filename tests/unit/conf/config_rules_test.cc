// The configuration's HTTP rules: what a good file compiles to, and every
// mistake's exact message at its line and column (the text column too when
// the mistake is inside a condition or a value).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conf/config_loader.h"
#include "conf/config_render.h"

namespace dplb::conf {
namespace {

// Lines 1-13: two ports.
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
// Lines 1-5 of the backends (two backends, one server each).
constexpr const char* kBackends =
    "[[backend]]\n"
    "name = \"web_servers\"\n"
    "[[backend.server]]\n"
    "name = \"server1\"\n"
    "address = \"10.99.2.11:80\"\n"
    "[[backend]]\n"
    "name = \"api_servers\"\n"
    "[[backend.server]]\n"
    "name = \"api1\"\n"
    "address = \"10.99.2.21:80\"\n";

// `extra` starts at line 18, inside the frontend.
std::string frontend_with(const std::string& extra) { return std::string(kPorts) + kFrontend + extra + kBackends; }
// `extra` starts at line 28, inside the second backend (after its server).
std::string backend_with(const std::string& extra) { return std::string(kPorts) + kFrontend + kBackends + extra; }

TEST(ConfigRules, TheReferenceLinesCompile) {
  const std::string text = frontend_with(
      "acl = { is_api = \"path_beg /api /v1\" }\n"
      "[[frontend.http_request]]\n"
      "action = \"redirect\"\n"
      "scheme = \"https\"\n"
      "code = 301\n"
      "if = \"!{ ssl_fc }\"\n"
      "[[frontend.http_request]]\n"
      "action = \"return\"\n"
      "status = 503\n"
      "content_type = \"text/plain\"\n"
      "body = \"closed\\n\\tfor \\\"maintenance\\\"\\n\"\n"
      "unless = \"{ src 10.0.0.0/8 } || LOCALHOST\"\n"
      "[[frontend.http_request]]\n"
      "action = \"replace-header\"\n"
      "name = \"User-Agent\"\n"
      "match = \"^curl/(.*)$\"\n"
      "value = \"cli/\\\\1\"\n"
      "[[frontend.http_response]]\n"
      "action = \"set-header\"\n"
      "name = \"Strict-Transport-Security\"\n"
      "value = \"max-age=63072000\"\n"
      "if = \"{ ssl_fc }\"\n"
      "[[frontend.use_backend]]\n"
      "backend = \"api_servers\"\n"
      "if = \"is_api\"\n") + "[[backend.http_request]]\naction = \"disable-l7-retry\"\nif = \"METH_POST\"\n";
  LoadResult r = load_config_text(text, "dplb.toml");
  ASSERT_TRUE(r.config.has_value()) << r.diagnostics.formatted().front();
  const auto& fe = r.config->frontends[0];
  ASSERT_TRUE(fe.rules.compiled);
  EXPECT_EQ(fe.rules.compiled->request.size(), 3u);
  EXPECT_EQ(fe.rules.compiled->response.size(), 1u);
  ASSERT_EQ(fe.rules.compiled->use_backend.size(), 1u);
  EXPECT_EQ(fe.rules.compiled->use_backend[0].backend, 1u);
  EXPECT_EQ(fe.rules.compiled->request[0].text, "redirect scheme https code 301 if !{ ssl_fc }");
  ASSERT_TRUE(r.config->backends[1].rules.compiled);
  EXPECT_EQ(r.config->backends[1].rules.compiled->request[0].text, "disable-l7-retry if METH_POST");
  EXPECT_FALSE(r.config->backends[0].rules.compiled);

  // show config gives the rules back in a form the loader reads again.
  const std::string rendered = render_config(*r.config);
  EXPECT_NE(rendered.find("[[frontend.http_request]]"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("is_api = \"path_beg /api /v1\""), std::string::npos) << rendered;
  LoadResult again = load_config_text(rendered, "rendered.toml");
  ASSERT_TRUE(again.config.has_value()) << again.diagnostics.formatted().front() << "\n" << rendered;
  auto without_name = [](const std::string& t) { return t.substr(t.find('\n')); };
  EXPECT_EQ(without_name(render_config(*again.config)), without_name(rendered));
}

struct BrokenRule {
  std::string what;
  std::string text;
  std::string error;  // the first diagnostic, after "dplb.toml:"
};

std::vector<BrokenRule> broken_rules() {
  return {
      {"unknown action", frontend_with("[[frontend.http_request]]\naction = \"redirekt\"\n"), 
       "19:10: frontend.http_request.action: unknown action 'redirekt'; did you mean 'redirect'?"},
      {"unknown fetch in a condition",
       frontend_with("[[frontend.http_request]]\naction = \"deny\"\nif = \"{ pth_beg /a }\"\n"), 
       "20:9: frontend.http_request[0].if: unknown fetch 'pth_beg' (did you mean 'path_beg'?) (column 3 of the text)"},
      {"undefined acl", frontend_with("[[frontend.http_request]]\naction = \"deny\"\nif = \"is_apii\"\n"), 
       "20:7: frontend.http_request[0].if: ACL 'is_apii' is not defined (column 1 of the text)"},
      {"malformed cidr in an acl", frontend_with("acl = { lan = \"src 10.0.0.0/33\" }\n"), 
       "18:20: frontend.acl.lan: malformed address or network '10.0.0.0/33' (expected A.B.C.D or A.B.C.D/LEN, LEN 0-32)"},
      {"bad regex", frontend_with("acl = { r = \"path_reg ^/(a\" }\n"), 
       "18:27: frontend.acl.r: regular expression '^/(a': missing closing parenthesis at offset 4"},
      {"status in a request rule",
       frontend_with("[[frontend.http_request]]\naction = \"deny\"\nif = \"{ status 500 }\"\n"), 
       "20:7: frontend.http_request[0].if: '{ status 500 }' tests the response status, which a request rule cannot see (column 1 of the text)"},
      {"use_backend to an unknown backend",
       frontend_with("[[frontend.use_backend]]\nbackend = \"api_server\"\nif = \"TRUE\"\n"), 
       "19:11: frontend.use_backend[0].backend: no [[backend]] is named 'api_server'; did you mean 'api_servers'?"},
      {"use_backend without a backend", frontend_with("[[frontend.use_backend]]\nif = \"TRUE\"\n"), 
       "18:1: frontend.use_backend: missing required key 'backend'"},
      {"redirect without a target", frontend_with("[[frontend.http_request]]\naction = \"redirect\"\n"), 
       "18:1: frontend.http_request[0]: a redirect takes exactly one of scheme, location, prefix"},
      {"redirect with two targets",
       frontend_with("[[frontend.http_request]]\naction = \"redirect\"\nscheme = \"https\"\nprefix = \"/x\"\n"), 
       "18:1: frontend.http_request[0]: a redirect takes exactly one of scheme, location, prefix"},
      {"redirect code out of range",
       frontend_with("[[frontend.http_request]]\naction = \"redirect\"\nscheme = \"https\"\ncode = 300\n"), 
       "21:8: frontend.http_request[0].code: redirect code 300 is not one of 301, 302, 303, 307, 308"},
      {"key of another action",
       frontend_with("[[frontend.http_request]]\naction = \"deny\"\nname = \"X\"\n"), 
       "20:8: frontend.http_request[0].name: has no meaning for action 'deny' (its keys: body, content_type, file, status)"},
      {"if and unless", frontend_with("[[frontend.http_request]]\naction = \"deny\"\nif = \"TRUE\"\nunless = \"FALSE\"\n"),
       
       "21:10: frontend.http_request[0]: a rule has either if or unless, not both"},
      {"set-header of a framing field",
       frontend_with("[[frontend.http_request]]\naction = \"set-header\"\nname = \"Content-Length\"\nvalue = \"1\"\n"),
       
       "20:9: frontend.http_request[0].name: 'Content-Length' is managed by dplb (framing and hop-by-hop fields); a rule may not change it"},
      {"unknown log-format variable",
       frontend_with("[[frontend.http_request]]\naction = \"set-header\"\nname = \"X-A\"\nvalue = \"%[nope]\"\n"), 
       "21:12: frontend.http_request[0].value: unknown fetch 'nope' (column 3 of the text)"},
      {"replace-header with a bad regex",
       frontend_with(
           "[[frontend.http_request]]\naction = \"replace-header\"\nname = \"X-A\"\nmatch = \"(a\"\nvalue = \"b\"\n"),
       
       "21:12: frontend.http_request[0].match: regular expression '(a': missing closing parenthesis at offset 2 (column 3 of the text)"},
      {"deny with body and file",
       frontend_with("[[frontend.http_request]]\naction = \"deny\"\nbody = \"no\"\nfile = \"/etc/hostname\"\n"), 
       "21:8: frontend.http_request[0]: body and file are two ways to give the same thing; keep one"},
      {"return with a missing file",
       frontend_with("[[frontend.http_request]]\naction = \"return\"\nfile = \"/nonexistent/page.html\"\n"), 
       "20:8: frontend.http_request.file: cannot read '/nonexistent/page.html': No such file or directory"},
      {"deny status out of range", frontend_with("[[frontend.http_request]]\naction = \"deny\"\nstatus = 99\n"), 
       "20:10: frontend.http_request.status: 99 is out of range 200..599"},
      {"use_backend in a backend", backend_with("[[backend.use_backend]]\nbackend = \"web_servers\"\n"), 
       "28:11: unknown key 'use_backend' in [[backend]]; use_backend rules belong to a [[frontend]] ([[frontend.use_backend]])"},
      {"response rule using a request-only fetch",
       frontend_with("[[frontend.http_response]]\naction = \"del-header\"\nname = \"Server\"\nif = \"{ url_param(a) b }\"\n"),
       
       "21:7: frontend.http_response[0].if: '{ url_param(a) b }' reads the request, which a response rule cannot see (it sees the response's own fields) (column 1 of the text)"},
      {"bad acl name", frontend_with("acl = { \"bad name\" = \"path /\" }\n"), 
       "18:22: frontend.acl.bad name: 'bad name' is not a valid ACL name (letters, digits, '_', '.', ':', '-')"},
      {"redefining a predefined acl", frontend_with("acl = { METH_GET = \"method GET\" }\n"), 
       "18:20: frontend.acl.METH_GET: 'METH_GET' is a predefined ACL and cannot be redefined"},
  };
}

TEST(ConfigRules, EveryMistakeIsPlaced) {
  for (const BrokenRule& c : broken_rules()) {
    LoadResult r = load_config_text(c.text, "dplb.toml");
    EXPECT_FALSE(r.config.has_value()) << c.what;
    const auto errors = r.diagnostics.formatted();
    const std::string got = errors.empty() ? "(none)" : errors.front();
    EXPECT_EQ(got, "dplb.toml:" + c.error) << c.what;
  }
}

}  // namespace
}  // namespace dplb::conf
