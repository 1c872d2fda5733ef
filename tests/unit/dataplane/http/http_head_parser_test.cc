// Request heads as they arrive: a table of well-formed requests and what
// the parser reads from them, and a table of malformed and smuggling vectors
// (after the classic CL.TE/TE.CL/TE.TE families, obs-fold, bare CR and
// header-name games) with the status dplb answers each with.

#include <gtest/gtest.h>

#include <string>

#include "dataplane/http/http_head_parser.h"

namespace dplb::dataplane {
namespace {

HttpParseResult parse(const std::string& text, HttpRequestHead* head, HttpLimits limits = {}) {
  return parse_request_head(text, limits, head);
}

TEST(HttpHeadParser, SimpleGet) {
  HttpRequestHead h;
  const std::string text = "GET /index.html?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/7.88\r\n\r\nBODY";
  const HttpParseResult r = parse(text, &h);
  ASSERT_EQ(r.kind, HttpParseResult::Kind::complete) << r.reason;
  EXPECT_EQ(r.head_length, text.size() - 4);
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/index.html?x=1");
  EXPECT_EQ(h.version_minor, 1);
  EXPECT_EQ(h.host, "example.com");
  EXPECT_EQ(h.field_count, 2u);
  EXPECT_EQ(h.fields[1].name, "User-Agent");
  EXPECT_EQ(h.fields[1].value, "curl/7.88");
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.chunked);
  EXPECT_FALSE(h.content_length.has_value());
}

TEST(HttpHeadParser, IncompleteUntilTheEmptyLine) {
  const std::string text = "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";
  for (std::size_t n = 0; n < text.size(); ++n) {
    HttpRequestHead h;
    EXPECT_EQ(parse(text.substr(0, n), &h).kind, HttpParseResult::Kind::incomplete) << n;
  }
  HttpRequestHead h;
  const HttpParseResult r = parse(text, &h);
  ASSERT_EQ(r.kind, HttpParseResult::Kind::complete);
  EXPECT_EQ(h.content_length, 5u);
}

struct Accepted {
  const char* name;
  std::string text;
  bool keep_alive;
  bool chunked;
  std::optional<uint64_t> length;
  bool upgrade = false;
  bool expect_continue = false;
};

TEST(HttpHeadParser, WellFormedRequests) {
  const Accepted cases[] = {
      {"HTTP/1.0 closes by default", "GET / HTTP/1.0\r\n\r\n", false, false, {}},
      {"HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true, false, {}},
      {"HTTP/1.1 close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false, false, {}},
      {"chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", true, true, {}},
      {"gzip then chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", true, true, {}},
      {"equal Content-Length values", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n\r\n",
       true, false, 7},
      {"bare LF line endings", "GET / HTTP/1.1\nHost: a\n\n", true, false, {}},
      {"empty line before the request", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", true, false, {}},
      {"websocket upgrade",
       "GET /chat HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n", true, false,
       {}, true},
      {"expect 100-continue",
       "PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 10\r\n\r\n", true, false, 10, false,
       true},
      {"field value with tabs and obs-text", "GET / HTTP/1.1\r\nHost: a\r\nX-A:\t v\xe9 x \t\r\n\r\n", true, false, {}},
      {"absolute-form target", "GET http://a/b HTTP/1.1\r\nHost: a\r\n\r\n", true, false, {}},
      {"absolute-form, Host in another case", "GET HTTPS://Example.COM:8443?q HTTP/1.1\r\nHost: example.com:8443\r\n\r\n",
       true, false, {}},
      {"CONNECT authority-form", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", true, false, {}},
      {"OPTIONS asterisk-form", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", true, false, {}},
      {"IPv6 literal Host", "GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n", true, false, {}},
      {"HTTP/1.0 close wins over keep-alive", "GET / HTTP/1.0\r\nConnection: close, keep-alive\r\n\r\n", false,
       false, {}},
      {"HTTP/1.0 keep-alive then close", "GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
       false, false, {}},
      {"Upgrade ignored in HTTP/1.0", "GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", false,
       false, {}, false},
      {"Upgrade without Connection: upgrade", "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", true,
       false, {}, false},
  };
  for (const auto& c : cases) {
    HttpRequestHead h;
    const HttpParseResult r = parse(c.text, &h);
    ASSERT_EQ(r.kind, HttpParseResult::Kind::complete) << c.name << ": " << r.status << " " << r.reason;
    EXPECT_EQ(h.keep_alive, c.keep_alive) << c.name;
    EXPECT_EQ(h.chunked, c.chunked) << c.name;
    EXPECT_EQ(h.content_length, c.length) << c.name;
    EXPECT_EQ(h.upgrade, c.upgrade) << c.name;
    EXPECT_EQ(h.expect_continue, c.expect_continue) << c.name;
  }
}

struct Rejected {
  const char* name;
  std::string text;
  uint16_t status;
};

TEST(HttpHeadParser, MalformedAndSmugglingVectors) {
  const std::string host = "Host: a\r\n";
  const Rejected cases[] = {
      // Framing: the request smuggling families.
      {"CL.TE", "POST / HTTP/1.1\r\n" + host + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"TE.CL", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n", 400},
      {"different Content-Lengths", "POST / HTTP/1.1\r\n" + host + "Content-Length: 6\r\nContent-Length: 7\r\n\r\n",
       400},
      {"Content-Length list disagrees", "POST / HTTP/1.1\r\n" + host + "Content-Length: 6, 7\r\n\r\n", 400},
      {"signed Content-Length", "POST / HTTP/1.1\r\n" + host + "Content-Length: +6\r\n\r\n", 400},
      {"hex Content-Length", "POST / HTTP/1.1\r\n" + host + "Content-Length: 0x6\r\n\r\n", 400},
      {"empty Content-Length", "POST / HTTP/1.1\r\n" + host + "Content-Length:\r\n\r\n", 400},
      {"huge Content-Length", "POST / HTTP/1.1\r\n" + host + "Content-Length: 99999999999999999999\r\n\r\n", 400},
      {"chunked not last", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400},
      {"chunked twice", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
       400},
      {"identity only", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: identity\r\n\r\n", 400},
      {"obfuscated chunked", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: xchunked\r\n\r\n", 400},
      {"unknown coding before chunked", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: foo, chunked\r\n\r\n", 501},
      {"Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"space before the colon", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding : chunked\r\n\r\n", 400},
      {"tab before the colon", "POST / HTTP/1.1\r\n" + host + "Content-Length\t: 5\r\n\r\n", 400},
      {"obs-fold", "GET / HTTP/1.1\r\n" + host + "X-A: b\r\n c\r\n\r\n", 400},
      {"obs-fold hiding Transfer-Encoding", "POST / HTTP/1.1\r\n" + host + "X: y\r\n\tTransfer-Encoding: chunked\r\n\r\n",
       400},
      {"bare CR in a value", "GET / HTTP/1.1\r\n" + host + "X-A: b\rc\r\n\r\n", 400},
      {"bare CR ending a line", "GET / HTTP/1.1\r" + host + "\r\n", 400},
      {"NUL in a value", std::string("GET / HTTP/1.1\r\n") + host + std::string("X-A: b\0c\r\n\r\n", 12), 400},
      {"DEL in a value", "GET / HTTP/1.1\r\n" + host + "X-A: b\x7f\r\n\r\n", 400},
      {"header without a colon", "GET / HTTP/1.1\r\n" + host + "NoColon\r\n\r\n", 400},
      {"empty header name", "GET / HTTP/1.1\r\n" + host + ": value\r\n\r\n", 400},
      {"non-token header name", "GET / HTTP/1.1\r\n" + host + "X(A): b\r\n\r\n", 400},
      // Request line.
      {"lower-case version", "GET / http/1.1\r\n" + host + "\r\n", 400},
      {"two spaces", "GET  / HTTP/1.1\r\n" + host + "\r\n", 400},
      {"space in the target", "GET /a b HTTP/1.1\r\n" + host + "\r\n", 400},
      {"missing version", "GET /\r\n" + host + "\r\n", 400},
      {"method with a slash", "GE/T / HTTP/1.1\r\n" + host + "\r\n", 400},
      {"HTTP/2 in HTTP/1 framing", "GET / HTTP/2.0\r\n" + host + "\r\n", 505},
      {"HTTP/0.9-style", "GET /\r\n\r\n", 400},
      {"version with extra digits", "GET / HTTP/1.10\r\n" + host + "\r\n", 400},
      {"control in the target", "GET /\x01 HTTP/1.1\r\n" + host + "\r\n", 400},
      // Host.
      {"HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"Content-Length of commas only", "POST / HTTP/1.1\r\n" + host + "Content-Length: ,\r\n\r\n", 400},
      {"Content-Length with an empty element", "POST / HTTP/1.1\r\n" + host + "Content-Length: 7,\r\n\r\n", 400},
      {"empty transfer coding", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked,\r\n\r\n", 400},
      // Target forms and Host.
      {"Host differs from the absolute-form authority", "GET http://b/ HTTP/1.1\r\n" + host + "\r\n", 400},
      {"userinfo in the target", "GET http://a@b/ HTTP/1.1\r\nHost: b\r\n\r\n", 400},
      {"absolute-form with another scheme", "GET ftp://a/ HTTP/1.1\r\n" + host + "\r\n", 400},
      {"authority-form with GET", "GET a:80 HTTP/1.1\r\nHost: a:80\r\n\r\n", 400},
      {"origin-form with CONNECT", "CONNECT / HTTP/1.1\r\n" + host + "\r\n", 400},
      {"CONNECT without a port", "CONNECT a HTTP/1.1\r\n" + host + "\r\n", 400},
      {"CONNECT Host mismatch", "CONNECT a:443 HTTP/1.1\r\nHost: b:443\r\n\r\n", 400},
      {"asterisk with GET", "GET * HTTP/1.1\r\n" + host + "\r\n", 400},
      {"relative target", "GET a/b HTTP/1.1\r\n" + host + "\r\n", 400},
      {"two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"Host with a slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
      {"Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400},
      // Too many empty lines before the request.
      {"empty lines flood", "\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n" + host + "\r\n", 400},
  };
  for (const auto& c : cases) {
    HttpRequestHead h;
    const HttpParseResult r = parse(c.text, &h);
    EXPECT_EQ(r.kind, HttpParseResult::Kind::error) << c.name;
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.reason;
    EXPECT_STRNE(r.reason, "") << c.name;
  }
}

TEST(HttpHeadParser, HostComesFromTheTargetWithoutAHostField) {
  // HTTP/1.0 may omit Host; the server then goes by the target's authority
  // (RFC 9112 3.2.2), so dplb routes by it too.
  HttpRequestHead h;
  const std::string absolute = "GET http://b.example/x HTTP/1.0\r\n\r\n";
  ASSERT_EQ(parse(absolute, &h).kind, HttpParseResult::Kind::complete);
  EXPECT_EQ(h.host, "b.example");
  const std::string origin = "GET /x HTTP/1.0\r\n\r\n";
  ASSERT_EQ(parse(origin, &h).kind, HttpParseResult::Kind::complete);
  EXPECT_EQ(h.host, "");
}

TEST(HttpHeadParser, Limits) {
  HttpLimits limits;
  limits.max_request_line = 64;
  limits.max_head = 256;
  limits.max_fields = 3;
  HttpRequestHead h;
  // A request line that never ends within the limit: 414, even before its LF.
  EXPECT_EQ(parse("GET /" + std::string(100, 'a'), &h, limits).status, 414);
  EXPECT_EQ(parse("GET /" + std::string(100, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", &h, limits).status, 414);
  // A head over the limit: 431, complete or not.
  const std::string big = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(300, 'b');
  EXPECT_EQ(parse(big, &h, limits).status, 431);
  EXPECT_EQ(parse(big + "\r\n\r\n", &h, limits).status, 431);
  // Too many fields.
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", &h, limits).status, 431);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", &h, limits).kind,
            HttpParseResult::Kind::complete);
}

}  // namespace
}  // namespace dplb::dataplane
