// HAProxy-syntax conditions: a table of (ACLs, condition, message,
// verdict), and a table of mistakes with their exact messages and columns.

#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstdio>
#include <string>
#include <vector>

#include "dataplane/rules/acl_table.h"

namespace dplb::rules {
namespace {

struct Message {
  std::string method = "GET";
  std::string target = "/";
  int version_minor = 1;
  std::vector<std::pair<std::string, std::string>> fields = {{"Host", "www.example.com"}};
  std::string src = "192.0.2.7";
  std::string dst = "10.99.1.10";
  int dst_port = 80;
  bool tls = false;
  std::string sni;
  int status = 0;
};

uint32_t ip(const std::string& s) {
  in_addr a{};
  inet_pton(AF_INET, s.c_str(), &a);
  return ntohl(a.s_addr);
}

bool verdict(AclTable& table, const std::string& condition, const Message& msg, RuleContext context,
             std::string* error) {
  Condition c;
  if (auto e = table.compile(condition, false, context, &c)) {
    *error = std::to_string(e->column) + ": " + e->message;
    return false;
  }
  std::vector<dataplane::HttpHeaderField> fields;
  for (const auto& [n, v] : msg.fields) fields.push_back({n, v});
  MessageFacts m;
  m.method = msg.method;
  m.target = msg.target;
  m.version_minor = static_cast<uint8_t>(msg.version_minor);
  m.fields = fields.data();
  m.field_count = fields.size();
  m.src = ip(msg.src);
  m.dst = ip(msg.dst);
  m.dst_port = static_cast<uint16_t>(msg.dst_port);
  m.tls = msg.tls;
  m.sni = msg.sni;
  m.status = static_cast<uint16_t>(msg.status);
  RegexScratch scratch;
  return table.evaluate(c, m, scratch);
}

Message tls_message() {
  Message m;
  m.tls = true;
  m.dst_port = 443;
  m.sni = "www.example.com";
  return m;
}
Message get(const std::string& target) {
  Message m;
  m.target = target;
  return m;
}
Message with_method(const std::string& method) {
  Message m;
  m.method = method;
  return m;
}
Message with_field(const std::string& name, const std::string& value) {
  Message m;
  m.fields.push_back({name, value});
  return m;
}
Message from(const std::string& src) {
  Message m;
  m.src = src;
  return m;
}
Message response(int status) {
  Message m;
  m.status = status;
  return m;
}

struct Case {
  std::vector<std::pair<std::string, std::string>> acls;
  std::string condition;
  Message message;
  bool expected;
  RuleContext context = RuleContext::request;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> table = {
      // The reference configuration's two lines.
      {{}, "!{ ssl_fc }", Message{}, true},
      {{}, "!{ ssl_fc }", tls_message(), false},
      {{}, "{ ssl_fc }", tls_message(), true},
      {{}, "METH_POST", with_method("POST"), true},
      {{}, "METH_POST", with_method("GET"), false},
      // Predefined ACLs.
      {{}, "METH_GET", with_method("GET"), true},
      {{}, "METH_GET", with_method("HEAD"), true},
      {{}, "METH_GET", with_method("get"), false},  // methods are case-sensitive
      {{}, "METH_CONNECT", with_method("CONNECT"), true},
      {{}, "METH_OPTIONS", with_method("OPTIONS"), true},
      {{}, "METH_PUT || METH_DELETE", with_method("DELETE"), true},
      {{}, "TRUE", Message{}, true},
      {{}, "FALSE", Message{}, false},
      {{}, "!FALSE", Message{}, true},
      {{}, "HTTP_1.1", Message{}, true},
      {{}, "HTTP_1.0", Message{}, false},
      {{}, "LOCALHOST", from("127.0.0.1"), true},
      {{}, "LOCALHOST", from("127.9.9.9"), true},
      {{}, "LOCALHOST", from("128.0.0.1"), false},
      {{}, "HTTP_URL_SLASH", get("/a"), true},
      {{}, "HTTP_URL_ABS", get("http://h/a"), true},
      {{}, "HTTP_URL_STAR", get("*"), true},
      // Paths.
      {{{"is_api", "path_beg /api /v1"}}, "is_api", get("/api/users"), true},
      {{{"is_api", "path_beg /api /v1"}}, "is_api", get("/v1?x=1"), true},
      {{{"is_api", "path_beg /api /v1"}}, "is_api", get("/static/api"), false},
      {{{"is_api", "path_beg /api /v1"}}, "!is_api", get("/static"), true},
      {{}, "{ path /index.html }", get("/index.html?x"), true},
      {{}, "{ path /index.html }", get("/index.htm"), false},
      {{}, "{ path_end .png .jpg }", get("/a/b.jpg"), true},
      {{}, "{ path_end .png .jpg }", get("/a/b.jpg.txt"), false},
      {{}, "{ path_sub admin }", get("/x/administration"), true},
      {{}, "{ path_dir img }", get("/static/img/a.png"), true},
      {{}, "{ path_dir img }", get("/static/images/a.png"), false},
      {{}, "{ path_reg ^/user/[0-9]+$ }", get("/user/42"), true},
      {{}, "{ path_reg ^/user/[0-9]+$ }", get("/user/42/x"), false},
      {{}, "{ path_reg -i ^/USER }", get("/user/1"), true},
      {{}, "{ path_len gt 10 }", get("/0123456789a"), true},
      {{}, "{ path_beg -i /API }", get("/api"), true},
      {{}, "{ path_beg /API }", get("/api"), false},
      {{}, "{ path -m beg /a }", get("/abc"), true},
      {{}, "{ path_beg /api }", get("http://example.com/api/x"), true},  // absolute-form
      {{}, "{ url_beg /api?x }", get("/api?x=1"), true},
      {{}, "{ query -m sub debug }", get("/?a=1&debug=1"), true},
      {{}, "{ url_param(debug) 1 }", get("/?a=1&debug=1"), true},
      {{}, "{ url_param(debug) 1 }", get("/?a=1&debug=0"), false},
      {{}, "{ url_param(debug) -m found }", get("/?debug"), true},
      {{}, "{ url_param(Debug) -m found }", get("/?debug=1"), false},  // case-sensitive names
      // Headers.
      {{{"is_admin", "hdr(host) -i admin.example.com"}}, "is_admin", with_field("Host", "ADMIN.example.com"), true},
      {{{"is_admin", "hdr(host) -i admin.example.com"}}, "is_admin", Message{}, false},
      {{}, "{ hdr(HOST) www.example.com }", Message{}, true},
      {{}, "{ hdr_beg(host) www. }", Message{}, true},
      {{}, "{ hdr_end(host) -i .EXAMPLE.com }", Message{}, true},
      {{}, "{ hdr_sub(user-agent) curl }", with_field("User-Agent", "curl/7.88"), true},
      {{}, "{ hdr_dom(host) example.com }", Message{}, true},
      {{}, "{ hdr_dom(host) ample.com }", Message{}, false},
      {{}, "{ hdr_reg(user-agent) ^Mozilla/[45] }", with_field("User-Agent", "Mozilla/5.0"), true},
      {{}, "{ hdr(accept) text/html }", with_field("Accept", "application/json, text/html"), true},
      {{}, "{ fhdr(accept) text/html }", with_field("Accept", "application/json, text/html"), false},
      {{}, "{ hdr(x-missing) -m found }", Message{}, false},
      {{}, "{ hdr(host) -m found }", Message{}, true},
      {{}, "{ hdr_cnt(host) gt 1 }", with_field("Host", "b"), true},
      {{}, "{ hdr_cnt(host) gt 1 }", Message{}, false},
      {{}, "{ hdr_cnt(x-a) eq 0 }", Message{}, true},
      {{}, "{ req.hdr_cnt ge 2 }", with_field("X-A", "1"), true},
      {{}, "{ hdr_len(host) 15 }", Message{}, true},
      // Addresses and ports.
      {{}, "{ src 10.0.0.0/8 192.0.2.0/24 }", Message{}, true},
      {{}, "{ src 10.0.0.0/8 }", Message{}, false},
      {{}, "{ src 192.0.2.7 }", Message{}, true},
      {{}, "{ src 0.0.0.0/0 }", Message{}, true},
      {{}, "{ dst 10.99.1.10 }", Message{}, true},
      {{}, "{ dst_port 443 }", tls_message(), true},
      {{}, "{ dst_port 1:1023 }", Message{}, true},
      {{}, "{ dst_port 8000: }", Message{}, false},
      {{}, "{ dst_port lt 100 }", Message{}, true},
      {{}, "{ src_port 0 }", Message{}, true},
      // TLS.
      {{}, "{ ssl_fc_sni -i WWW.example.com }", tls_message(), true},
      {{}, "{ ssl_fc_sni_end .example.com }", tls_message(), true},
      {{}, "{ ssl_fc_sni -m found }", Message{}, false},
      // Combinations: implicit AND binds tighter than ||, ! applies to one ACL.
      {{{"is_admin", "hdr(host) -i admin.example.com"}}, "is_admin !{ src 10.0.0.0/8 }",
       with_field("Host", "admin.example.com"), true},  // hdr() tests every occurrence, as HAProxy's
      {{{"is_admin", "hdr_beg(host) -i admin."}}, "is_admin !{ src 10.0.0.0/8 }",
       [] { Message m; m.fields = {{"Host", "admin.example.com"}}; return m; }(), true},
      {{{"is_admin", "hdr_beg(host) -i admin."}}, "is_admin !{ src 10.0.0.0/8 }",
       [] { Message m; m.fields = {{"Host", "admin.example.com"}}; m.src = "10.1.2.3"; return m; }(), false},
      {{{"is_api", "path_beg /api"}}, "is_api || { hdr(host) -i api.example.com }",
       [] { Message m; m.fields = {{"Host", "api.example.com"}}; return m; }(), true},
      {{{"is_api", "path_beg /api"}}, "is_api or { hdr(host) -i api.example.com }", get("/api"), true},
      {{{"is_api", "path_beg /api"}}, "is_api || { hdr(host) -i api.example.com }", get("/web"), false},
      {{}, "FALSE TRUE || TRUE", Message{}, true},
      {{}, "TRUE FALSE || FALSE", Message{}, false},
      {{}, "TRUE TRUE TRUE", Message{}, true},
      // A name on two lines matches when either does.
      {{{"static", "path_beg /static"}, {"static", "path_end .css"}}, "static", get("/a/b.css"), true},
      {{{"static", "path_beg /static"}, {"static", "path_end .css"}}, "static", get("/static/x"), true},
      {{{"static", "path_beg /static"}, {"static", "path_end .css"}}, "static", get("/a/b.js"), false},
      // Quoting and escapes.
      {{}, "{ hdr(x-a) \"two words\" }", with_field("X-A", "two words"), true},
      {{}, "{ hdr(x-a) two\\ words }", with_field("X-A", "two words"), true},
      {{}, "{ path_reg ^/a{2}$ }", get("/aa"), true},
      // Responses.
      {{}, "{ status 500:599 }", response(503), true, RuleContext::response},
      {{}, "{ status 500:599 }", response(404), false, RuleContext::response},
      {{}, "{ status 301 302 }", response(302), true, RuleContext::response},
      {{}, "{ hdr(content-type) -m beg text/ }", [] { Message m = response(200); m.fields = {{"Content-Type", "text/html"}}; return m; }(),
       true, RuleContext::response},
      {{}, "{ ssl_fc }", [] { Message m = response(200); m.tls = true; return m; }(), true, RuleContext::response},
  };
  return table;
}

TEST(AclCondition, Table) {
  ASSERT_GE(cases().size(), 60u);
  for (std::size_t i = 0; i < cases().size(); ++i) {
    const Case& c = cases()[i];
    AclTable table;
    std::string error;
    for (const auto& [name, text] : c.acls) {
      auto e = table.define(name, text);
      ASSERT_FALSE(e) << "case " << i << ": acl " << name << ": " << e->message;
    }
    const bool got = verdict(table, c.condition, c.message, c.context, &error);
    EXPECT_EQ(error, "") << "case " << i << ": " << c.condition;
    EXPECT_EQ(got, c.expected) << "case " << i << ": " << c.condition << " on " << c.message.method << " "
                               << c.message.target;
  }
}

TEST(AclCondition, UnlessInvertsTheVerdict) {
  AclTable table;
  Condition c;
  ASSERT_FALSE(table.compile("{ ssl_fc }", true, RuleContext::request, &c));
  MessageFacts m;
  RegexScratch scratch;
  EXPECT_TRUE(table.evaluate(c, m, scratch));
  m.tls = true;
  EXPECT_FALSE(table.evaluate(c, m, scratch));
}

TEST(AclCondition, PatternFile) {
  char path[] = "/tmp/dplb-acl-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string body = "# blocked networks\n10.0.0.0/8\n\n  192.0.2.0/24  \n";
  ASSERT_EQ(write(fd, body.data(), body.size()), static_cast<ssize_t>(body.size()));
  close(fd);
  AclTable table;
  ASSERT_FALSE(table.define("blocked", std::string("src -f ") + path));
  std::string error;
  EXPECT_TRUE(verdict(table, "blocked", Message{}, RuleContext::request, &error));
  EXPECT_FALSE(verdict(table, "blocked", from("198.51.100.1"), RuleContext::request, &error));
  unlink(path);
  auto e = table.define("missing", "src -f /nonexistent/dplb.lst");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "cannot read pattern file '/nonexistent/dplb.lst'");
}

struct ErrorCase {
  std::string acl;        // "" : only the condition
  std::string condition;  // "" : only the ACL
  std::string expected;   // "column: message"
  RuleContext context = RuleContext::request;
};

TEST(AclCondition, Errors) {
  const std::vector<ErrorCase> table = {
      {"pth_beg /api", "", "1: unknown fetch 'pth_beg' (did you mean 'path_beg'?)"},
      {"hdr /x", "", "1: 'hdr' needs an argument, as in hdr(name)"},
      {"path(x) /a", "", "5: 'path' takes no argument"},
      {"hdr(host /a", "", "4: 'hdr(host': the fetch argument has no closing ')'"},
      {"hdr(host,1) a", "", "5: 'hdr': only the name argument is supported (no occurrence)"},
      {"path_beg", "", "9: 'path_beg' needs at least one pattern"},
      {"src 10.0.0.0/33", "", "5: malformed address or network '10.0.0.0/33' (expected A.B.C.D or A.B.C.D/LEN, LEN 0-32)"},
      {"src 10.0.0", "", "5: malformed address or network '10.0.0' (expected A.B.C.D or A.B.C.D/LEN, LEN 0-32)"},
      {"path_reg ^/(a", "", "14: regular expression '^/(a': missing closing parenthesis at offset 4"},
      {"dst_port 80:x", "", "10: '80:x' is not an integer or a range N:M"},
      {"dst_port 90:80", "", "10: range '90:80' is empty (its low end is above its high end)"},
      {"dst_port gt", "", "10: operator 'gt' needs an integer after it"},
      {"path -x /a", "", "6: unknown flag '-x' (dplb knows -i, -f FILE, -m METHOD, -n, --)"},
      {"path -m begg /a", "", "9: unknown match method 'begg' (did you mean 'beg'?)"},
      {"path -m ip /a", "", "1: match method 'ip' does not apply to 'path'"},
      {"ssl_fc 1", "", "8: 'ssl_fc' is a boolean test and takes no patterns"},
      {"hdr(x) -m found a", "", "17: 'hdr' with -m found and takes no patterns"},
      {"hdr(x) \"open", "", "8: unterminated quote \""},
      {"", "is_apii", "1: ACL 'is_apii' is not defined (did you mean 'is_api'?)"},
      {"", "ssl_fc", "1: ACL 'ssl_fc' is not defined (a fetch inside a condition is written as an anonymous ACL: '{ ssl_fc }')"},
      {"", "!{ssl_fc}", "2: '{' has no matching '}' (braces need blanks around them, as in HAProxy)"},
      {"", "TRUE }", "6: '}' without a '{' before it"},
      {"", "|| TRUE", "1: '||' needs an ACL on its left"},
      {"", "TRUE ||", "6: '||' needs an ACL on its right"},
      {"", "TRUE || || TRUE", "9: '||' needs an ACL on its left"},
      {"", "TRUE !", "6: '!' must be followed by an ACL"},
      {"", "!!TRUE", "2: '!' twice in a row"},
      {"", "", "1: the condition is empty"},
      {"", "   ", "1: the condition is empty"},
      {"", "TRUE { status 500 }", "6: '{ status 500 }' tests the response status, which a request rule cannot see"},
      {"", "TRUE { nope 1 }", "8: unknown fetch 'nope'"},
  };
  for (const ErrorCase& c : table) {
    AclTable acls;
    ASSERT_FALSE(acls.define("is_api", "path_beg /api"));
    std::string got;
    if (!c.acl.empty()) {
      auto e = acls.define("x", c.acl);
      got = e ? std::to_string(e->column) + ": " + e->message : "(accepted)";
    } else {
      Condition cond;
      auto e = acls.compile(c.condition, false, c.context, &cond);
      got = e ? std::to_string(e->column) + ": " + e->message : "(accepted)";
    }
    EXPECT_EQ(got, c.expected) << (c.acl.empty() ? c.condition : c.acl);
  }
}

TEST(AclCondition, NamesAreChecked) {
  AclTable table;
  auto e = table.define("METH_GET", "method GET");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "'METH_GET' is a predefined ACL and cannot be redefined");
  e = table.define("bad name", "path /");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "'bad name' is not a valid ACL name (letters, digits, '_', '.', ':', '-')");
}

}  // namespace
}  // namespace dplb::rules
