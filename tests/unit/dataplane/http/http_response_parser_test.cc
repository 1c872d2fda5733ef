// Response heads from a server: a table of well-formed responses and the
// framing each one decides (RFC 9112 6.3 in its order: HEAD, 1xx, 204, 304,
// Transfer-Encoding, Content-Length, until close), the keep-alive rules per
// version, and a table of malformed responses, all answered with 502.

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "dataplane/http/http_response_head.h"

namespace dplb::dataplane {
namespace {

HttpParseResult parse(const std::string& text, HttpResponseHead* head, bool was_head = false,
                      HttpLimits limits = {}) {
  HttpResponseContext context;
  context.request_was_head = was_head;
  return parse_response_head(text, limits, context, head);
}

TEST(HttpResponseParser, SimpleResponse) {
  HttpResponseHead h;
  const std::string text = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot here!";
  const HttpParseResult r = parse(text, &h);
  ASSERT_EQ(r.kind, HttpParseResult::Kind::complete) << r.reason;
  EXPECT_EQ(r.head_length, text.size() - 9);
  EXPECT_EQ(h.version_minor, 1);
  EXPECT_EQ(h.status, 404);
  EXPECT_EQ(h.reason, "Not Found");
  ASSERT_EQ(h.field_count, 2u);
  EXPECT_EQ(h.fields[0].name, "Content-Type");
  EXPECT_EQ(h.fields[0].value, "text/plain");
  EXPECT_EQ(h.content_length, 9u);
  EXPECT_FALSE(h.no_body);
  EXPECT_FALSE(h.chunked);
  EXPECT_FALSE(h.until_close);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.upgrade);
}

TEST(HttpResponseParser, IncompleteUntilTheEmptyLine) {
  const std::string text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n";
  for (std::size_t n = 0; n < text.size(); ++n) {
    HttpResponseHead h;
    const HttpParseResult r = parse(text.substr(0, n), &h);
    EXPECT_EQ(r.kind, HttpParseResult::Kind::incomplete) << n << ": " << r.reason;
  }
  HttpResponseHead h;
  const HttpParseResult r = parse(text, &h);
  ASSERT_EQ(r.kind, HttpParseResult::Kind::complete);
  EXPECT_EQ(r.head_length, text.size());
  EXPECT_TRUE(h.chunked);
}

enum class Framing { no_body, chunked, length, until_close };

struct Accepted {
  const char* name;
  std::string text;
  bool was_head;
  uint16_t status;
  Framing framing;
  std::optional<uint64_t> length;
  bool keep_alive;
  bool upgrade = false;
  uint8_t version_minor = 1;
  std::string_view reason = {};
};

TEST(HttpResponseParser, WellFormedResponses) {
  const Accepted cases[] = {
      {"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, 200, Framing::length, 5, true},
      {"zero length", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, 200, Framing::length, 0, true},
      {"equal lengths", "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\ncontent-length: 5\r\n\r\n", false, 200,
       Framing::length, 5, true},
      {"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, 200, Framing::chunked, {}, true},
      {"gzip then chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", false,
       200, Framing::chunked, {}, true},
      {"unknown coding then chunked passes", "HTTP/1.1 200 OK\r\nTransfer-Encoding: br, chunked\r\n\r\n", false, 200,
       Framing::chunked, {}, true},
      {"final coding not chunked: until close", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, 200,
       Framing::until_close, {}, false},
      {"chunked then gzip: until close", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", false, 200,
       Framing::until_close, {}, false},
      {"no framing: until close", "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", false, 200, Framing::until_close, {}, false},
      {"HEAD answer with a length", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", true, 200, Framing::no_body,
       {}, true},
      {"HEAD answer with chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true, 200,
       Framing::no_body, {}, true},
      {"HEAD answer without framing", "HTTP/1.1 200 OK\r\n\r\n", true, 200, Framing::no_body, {}, true},
      {"100 Continue", "HTTP/1.1 100 Continue\r\n\r\n", false, 100, Framing::no_body, {}, true},
      {"103 Early Hints", "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n", false, 103,
       Framing::no_body, {}, true},
      {"204 with a zero length", "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", false, 204,
       Framing::no_body, {}, true},
      {"304 with the GET length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 512\r\n\r\n", false, 304,
       Framing::no_body, {}, true},
      {"101 upgrade", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", false,
       101, Framing::no_body, {}, false, true},
      {"HTTP/1.0 closes by default", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", false, 200, Framing::length, 2,
       false, false, 0},
      {"HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\n", false, 200,
       Framing::length, 2, true, false, 0},
      {"HTTP/1.0 until close", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", false, 200,
       Framing::until_close, {}, false, false, 0},
      {"HTTP/1.1 close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n", false, 200,
       Framing::length, 2, false},
      {"close wins over keep-alive", "HTTP/1.1 200 OK\r\nConnection: close, keep-alive\r\nContent-Length: 2\r\n\r\n",
       false, 200, Framing::length, 2, false},
      {"keep-alive then close", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\n"
       "Content-Length: 2\r\n\r\n", false, 200, Framing::length, 2, false, false, 0},
      {"empty reason", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", false, 200, Framing::length, 0, true, false, 1,
       ""},
      {"no SP before an empty reason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false, 200, Framing::length, 0,
       true, false, 1, ""},
      {"reason with spaces, tab and obs-text", "HTTP/1.1 200 Tout va\tbien \xe9\r\nContent-Length: 0\r\n\r\n", false,
       200, Framing::length, 0, true, false, 1, "Tout va\tbien \xe9"},
      {"unregistered status", "HTTP/1.1 599 Whatever\r\nContent-Length: 0\r\n\r\n", false, 599, Framing::length, 0,
       true},
      {"HTTP/1.2 read as 1.1", "HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", false, 200, Framing::length, 0, true},
      {"bare LF line endings", "HTTP/1.1 200 OK\nContent-Length: 3\n\n", false, 200, Framing::length, 3, true},
      {"stray CRLF before the status line", "\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", false, 200,
       Framing::length, 3, true},
  };
  for (const auto& c : cases) {
    HttpResponseHead h;
    const HttpParseResult r = parse(c.text, &h, c.was_head);
    ASSERT_EQ(r.kind, HttpParseResult::Kind::complete) << c.name << ": " << r.status << " " << r.reason;
    EXPECT_EQ(r.head_length, c.text.size()) << c.name;
    EXPECT_EQ(h.status, c.status) << c.name;
    EXPECT_EQ(h.version_minor, c.version_minor) << c.name;
    EXPECT_EQ(h.no_body, c.framing == Framing::no_body) << c.name;
    EXPECT_EQ(h.chunked, c.framing == Framing::chunked) << c.name;
    EXPECT_EQ(h.until_close, c.framing == Framing::until_close) << c.name;
    EXPECT_EQ(h.content_length, c.length) << c.name;
    EXPECT_EQ(h.keep_alive, c.keep_alive) << c.name;
    EXPECT_EQ(h.upgrade, c.upgrade) << c.name;
    if (c.reason.data() != nullptr) {
      EXPECT_EQ(h.reason, c.reason) << c.name;
    }
  }
}

struct Rejected {
  const char* name;
  std::string text;
  bool was_head = false;
};

TEST(HttpResponseParser, MalformedResponsesGive502) {
  const Rejected cases[] = {
      // Status line.
      {"two-digit status", "HTTP/1.1 20 OK\r\n\r\n"},
      {"four-digit status", "HTTP/1.1 2000 OK\r\n\r\n"},
      {"status glued to the reason", "HTTP/1.1 200OK\r\n\r\n"},
      {"letters for a status", "HTTP/1.1 abc OK\r\n\r\n"},
      {"status below 100", "HTTP/1.1 099 Low\r\n\r\n"},
      {"status above 599", "HTTP/1.1 600 High\r\n\r\n"},
      {"two spaces before the status", "HTTP/1.1  200 OK\r\n\r\n"},
      {"lower-case version", "http/1.1 200 OK\r\n\r\n"},
      {"HTTP/2 status line", "HTTP/2 200 OK\r\n\r\n"},
      {"HTTP/2.0 status line", "HTTP/2.0 200 OK\r\n\r\n"},
      {"HTTP/0.9 status line", "HTTP/0.9 200 OK\r\n\r\n"},
      {"not HTTP at all", "ICY 200 OK\r\n\r\n"},
      {"version only", "HTTP/1.1\r\n\r\n"},
      {"control in the reason", "HTTP/1.1 200 O\x01K\r\n\r\n"},
      {"NUL in the reason", std::string("HTTP/1.1 200 O\0K\r\n\r\n", 20)},
      {"bare CR in the status line", "HTTP/1.1 200 O\rK\r\n\r\n"},
      {"empty lines flood", "\r\n\r\n\r\n\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"},
      // Fields.
      {"obs-fold", "HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\nContent-Length: 0\r\n\r\n"},
      {"obs-fold right after the status line", "HTTP/1.1 200 OK\r\n X-A: b\r\n\r\n"},
      {"bare CR in a field", "HTTP/1.1 200 OK\r\nX-A: b\rc\r\n\r\n"},
      {"NUL in a field", std::string("HTTP/1.1 200 OK\r\nX-A: b\0c\r\n\r\n", 29)},
      {"space before the colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"},
      {"field without a colon", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n"},
      {"non-token field name", "HTTP/1.1 200 OK\r\nX A: b\r\n\r\n"},
      // Framing.
      {"conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"},
      {"length list disagrees", "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n"},
      {"signed length", "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n"},
      {"empty length", "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n"},
      {"length of commas only", "HTTP/1.1 200 OK\r\nContent-Length: ,\r\n\r\n"},
      {"length with a trailing comma", "HTTP/1.1 200 OK\r\nContent-Length: 5,\r\n\r\n"},
      {"TE and CL", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"},
      {"CL and TE", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"},
      {"TE and CL on a 304", "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"},
      {"TE and CL in answer to HEAD", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
       true},
      {"invalid length in answer to HEAD", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", true},
      {"chunked twice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"},
      {"empty transfer coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n\r\n"},
      {"TE in HTTP/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"},
      {"101 without Upgrade", "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n\r\n"},
  };
  for (const auto& c : cases) {
    HttpResponseHead h;
    const HttpParseResult r = parse(c.text, &h, c.was_head);
    EXPECT_EQ(r.kind, HttpParseResult::Kind::error) << c.name;
    EXPECT_EQ(r.status, 502) << c.name << ": " << r.reason;
    EXPECT_STRNE(r.reason, "") << c.name;
  }
}

TEST(HttpResponseParser, Limits) {
  HttpLimits limits;
  limits.max_request_line = 64;
  limits.max_head = 256;
  limits.max_fields = 2;
  HttpResponseHead h;
  const std::string long_reason(100, 'r');
  EXPECT_EQ(parse("HTTP/1.1 200 " + long_reason, &h, false, limits).status, 502);
  EXPECT_EQ(parse("HTTP/1.1 200 " + long_reason + "\r\n\r\n", &h, false, limits).status, 502);
  const std::string big = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(300, 'b');
  EXPECT_EQ(parse(big, &h, false, limits).status, 502);
  EXPECT_EQ(parse(big + "\r\n\r\n", &h, false, limits).status, 502);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", &h, false, limits).status, 502);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n", &h, false, limits).kind,
            HttpParseResult::Kind::complete);
}

}  // namespace
}  // namespace dplb::dataplane
