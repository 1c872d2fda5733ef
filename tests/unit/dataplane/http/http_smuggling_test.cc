// Request smuggling and malformed-request vectors, end to end through what
// decides where a request ends: the head parser, then the body framer over
// the bytes after the head. Each row is either rejected with the status
// dplb answers, or accepted with the framing it gets and how many body
// bytes belong to it (anything after is the next request, and must be
// exactly what both dplb and a strict server would take as such).
//
// Families: CL.TE, TE.CL, TE.TE obfuscations, Content-Length games,
// obs-fold and whitespace around names, bare CR / LF / NUL, chunk-size and
// chunk-extension tricks (including the LF-in-extension and bare-LF
// terminator variants), request-line and target-form weirdness, Host
// games, and limits.

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "dataplane/http/http_body_framer.h"
#include "dataplane/http/http_head_parser.h"

namespace dplb::dataplane {
namespace {

enum class Body { none, length, chunked };

struct Vector {
  const char* name;
  std::string bytes;
  uint16_t status;     // 0: accepted
  Body body = Body::none;
  std::size_t body_bytes = 0;  // accepted: bytes after the head that belong to the request
};

const std::string kHost = "Host: a\r\n";
const std::string kNext = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";

std::string post(const std::string& fields, const std::string& body = "") {
  return "POST / HTTP/1.1\r\n" + kHost + fields + "\r\n" + body;
}

std::string with_field_count(std::size_t n) {
  std::string fields;
  for (std::size_t i = 0; i < n; ++i) fields += "X-F" + std::to_string(i) + ": v\r\n";
  return "GET / HTTP/1.1\r\n" + kHost + fields + "\r\n";
}

TEST(HttpSmuggling, Vectors) {
  const Vector vectors[] = {
      // Accepted, with the framing a strict server would also use.
      {"plain GET, pipelined", "GET / HTTP/1.1\r\n" + kHost + "\r\n" + kNext, 0, Body::none, 0},
      {"Content-Length body, next request after it", post("Content-Length: 5\r\n", "hello" + kNext), 0, Body::length,
       5},
      {"chunked body, next request after it", post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n" + kNext),
       0, Body::chunked, 15},
      {"TE value after a tab", post("Transfer-Encoding:\tchunked\r\n", "0\r\n\r\n"), 0, Body::chunked, 5},
      {"TE value with trailing whitespace", post("Transfer-Encoding: chunked \t\r\n", "0\r\n\r\n"), 0, Body::chunked,
       5},
      {"TE name and value in odd case", post("tRANSFER-eNCODING: ChUnKeD\r\n", "0\r\n\r\n"), 0, Body::chunked, 5},
      {"TE gzip, chunked", post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"), 0, Body::chunked, 5},
      {"equal Content-Lengths", post("Content-Length: 3\r\nContent-Length: 3, 3\r\n", "abc"), 0, Body::length, 3},
      {"Content-Length with leading zeros", post("Content-Length: 003\r\n", "abc" + kNext), 0, Body::length, 3},
      {"chunk extensions", post("Transfer-Encoding: chunked\r\n", "3;a=\"b;c\"\r\nabc\r\n0;x\r\n\r\n" + kNext), 0,
       Body::chunked, 23},
      {"chunk data that looks like a request",
       post("Transfer-Encoding: chunked\r\n", "20\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n\r\n0\r\n\r\n"), 0,
       Body::chunked, 43},
      {"HTTP/1.2 read as HTTP/1.1", "GET / HTTP/1.2\r\n" + kHost + "\r\n", 0, Body::none, 0},
      {"absolute-form agreeing with Host", "GET http://a/x HTTP/1.1\r\n" + kHost + "\r\n", 0, Body::none, 0},
      {"OPTIONS *", "OPTIONS * HTTP/1.1\r\n" + kHost + "\r\n", 0, Body::none, 0},

      // CL.TE and TE.CL: both framings present.
      {"CL.TE", post("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nG"), 400},
      {"TE.CL", post("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", "5c\r\nGPOST / HTTP/1.1\r\n"), 400},
      {"CL.TE with an obfuscated TE", post("Content-Length: 6\r\nTransfer-Encoding: xchunked\r\n", "0\r\n\r\nG"), 400},
      {"CL.TE with a zero length", post("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), 400},

      // TE.TE: obfuscated Transfer-Encoding.
      {"TE xchunked", post("Transfer-Encoding: xchunked\r\n"), 400},
      {"TE chunked-false", post("Transfer-Encoding: chunked-false\r\n"), 400},
      {"TE space before the colon", post("Transfer-Encoding : chunked\r\n"), 400},
      {"TE tab before the colon", post("Transfer-Encoding\t: chunked\r\n"), 400},
      {"TE chunked, identity", post("Transfer-Encoding: chunked, identity\r\n"), 400},
      {"TE identity, chunked", post("Transfer-Encoding: identity, chunked\r\n"), 501},
      {"TE duplicated", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400},
      {"TE chunked then another field", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n"), 400},
      {"TE chunked with an empty element", post("Transfer-Encoding: chunked,\r\n"), 400},
      {"TE chunked quoted", post("Transfer-Encoding: \"chunked\"\r\n"), 400},
      {"TE chunked with a parameter", post("Transfer-Encoding: chunked;q=1\r\n"), 400},
      {"TE with a vertical tab", post("Transfer-Encoding: chunked\x0b\r\n"), 400},
      {"TE with a form feed before", post("Transfer-Encoding: \x0c" "chunked\r\n"), 400},
      {"TE name with a non-ASCII letter", post("Transfer-Encod\xc4\xb1ng: chunked\r\n"), 400},
      {"TE empty", post("Transfer-Encoding:\r\n"), 400},
      {"TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"TE continued by obs-fold", post("Transfer-Encoding:\r\n chunked\r\n"), 400},
      {"TE hidden in obs-fold of another field", post("X: y\r\n Transfer-Encoding: chunked\r\n"), 400},

      // Content-Length games.
      {"CL with a plus sign", post("Content-Length: +5\r\n"), 400},
      {"CL negative", post("Content-Length: -1\r\n"), 400},
      {"CL list with different values", post("Content-Length: 5, 6\r\n"), 400},
      {"CL fields with different values", post("Content-Length: 5\r\nContent-Length: 6\r\n"), 400},
      {"CL with a space inside", post("Content-Length: 1 0\r\n"), 400},
      {"CL in hex", post("Content-Length: 0x5\r\n"), 400},
      {"CL of commas only", post("Content-Length: ,\r\n"), 400},
      {"CL with an empty element", post("Content-Length: 5,,5\r\n"), 400},
      {"CL overflowing 64 bits", post("Content-Length: 18446744073709551616\r\n"), 400},
      {"CL space before the colon", post("Content-Length : 5\r\n"), 400},
      {"CL name with a space", post("Content Length: 5\r\n"), 400},

      // Line and character games in the head.
      {"bare CR inside a field", post("X-A: b\rTransfer-Encoding: chunked\r\n"), 400},
      {"bare CR as a line end", "GET / HTTP/1.1\r" + kHost + "\r\n", 400},
      {"NUL in a field value", post(std::string("X-A: b\0c\r\n", 10)), 400},
      {"NUL in a field name", post(std::string("X-\0A: b\r\n", 9)), 400},
      {"field name with a space", post("X A: b\r\n"), 400},
      {"empty field name", post(": b\r\n"), 400},
      {"field without a colon", post("Transfer-Encoding chunked\r\n"), 400},
      {"whitespace before the first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400},

      // Request line.
      {"extra space between method and target", "GET  / HTTP/1.1\r\n" + kHost + "\r\n", 400},
      {"extra space before the version", "GET /  HTTP/1.1\r\n" + kHost + "\r\n", 400},
      {"trailing space after the version", "GET / HTTP/1.1 \r\n" + kHost + "\r\n", 400},
      {"tab as separator", "GET\t/ HTTP/1.1\r\n" + kHost + "\r\n", 400},
      {"space inside the target", "GET /a b HTTP/1.1\r\n" + kHost + "\r\n", 400},
      {"lower-case protocol name", "GET / http/1.1\r\n" + kHost + "\r\n", 400},
      {"HTTP/1.10", "GET / HTTP/1.10\r\n" + kHost + "\r\n", 400},
      {"HTTP/2.0 in HTTP/1 framing", "GET / HTTP/2.0\r\n" + kHost + "\r\n", 505},
      {"HTTP/3.0 in HTTP/1 framing", "GET / HTTP/3.0\r\n" + kHost + "\r\n", 505},
      {"HTTP/0.9 request line", "GET /\r\n\r\n", 400},

      // Target forms and Host.
      {"absolute-form disagreeing with Host", "GET http://evil/x HTTP/1.1\r\n" + kHost + "\r\n", 400},
      {"absolute-form with userinfo", "GET http://a@evil/x HTTP/1.1\r\nHost: evil\r\n\r\n", 400},
      {"absolute-form with an empty host", "GET http:///x HTTP/1.1\r\nHost: \r\n\r\n", 400},
      {"absolute-form with another scheme", "GET gopher://a/x HTTP/1.1\r\n" + kHost + "\r\n", 400},
      {"authority-form outside CONNECT", "GET a:80 HTTP/1.1\r\nHost: a:80\r\n\r\n", 400},
      {"relative target", "GET index.html HTTP/1.1\r\n" + kHost + "\r\n", 400},
      {"asterisk outside OPTIONS", "GET * HTTP/1.1\r\n" + kHost + "\r\n", 400},
      {"missing Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400},
      {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"two Hosts in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"Host with a path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
      {"Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400},
      {"Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},

      // Chunked body.
      {"chunk size 0x10", post("Transfer-Encoding: chunked\r\n", "0x10\r\n0123456789abcdef\r\n0\r\n\r\n"), 400},
      {"chunk size overflow", post("Transfer-Encoding: chunked\r\n", "10000000000000005\r\nhello\r\n0\r\n\r\n"), 400},
      {"negative chunk size", post("Transfer-Encoding: chunked\r\n", "-1\r\n"), 400},
      {"chunk size with a leading space", post("Transfer-Encoding: chunked\r\n", " 5\r\nhello\r\n0\r\n\r\n"), 400},
      {"chunk size with trailing whitespace", post("Transfer-Encoding: chunked\r\n", "5 \r\nhello\r\n0\r\n\r\n"), 400},
      {"chunk size line ending in a bare LF", post("Transfer-Encoding: chunked\r\n", "5\nhello\r\n0\r\n\r\n"), 400},
      {"last chunk ending in a bare LF", post("Transfer-Encoding: chunked\r\n", "0\n\n"), 400},
      {"chunk data longer than its size", post("Transfer-Encoding: chunked\r\n", "3\r\nhello\r\n0\r\n\r\n"), 400},
      {"chunk data followed by a bare LF", post("Transfer-Encoding: chunked\r\n", "5\r\nhello\n0\r\n\r\n"), 400},
      {"LF inside a chunk extension", post("Transfer-Encoding: chunked\r\n", "2;\n0\r\n\r\nxx\r\n0\r\n\r\n"), 400},
      {"LF in a quoted chunk extension",
       post("Transfer-Encoding: chunked\r\n", "2;a=\"\n0\r\n\r\n\"\r\nxx\r\n0\r\n\r\n"), 400},
      {"oversize chunk extension", post("Transfer-Encoding: chunked\r\n", "1;x=" + std::string(5000, 'a') + "\r\n"),
       400},
      {"bare CR in a trailer", post("Transfer-Encoding: chunked\r\n", "0\r\nX: a\rb\r\n\r\n"), 400},

      // Limits.
      {"very long request line", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n" + kHost + "\r\n", 414},
      {"very long request line, unfinished", "GET /" + std::string(9000, 'a'), 414},
      {"too many fields", with_field_count(100), 431},
      {"head too large", "GET / HTTP/1.1\r\n" + kHost + "X-Big: " + std::string(17000, 'b') + "\r\n\r\n", 431},
      {"empty-line flood", std::string(20, '\n') + "GET / HTTP/1.1\r\n" + kHost + "\r\n", 400},
  };

  std::size_t accepted = 0;
  for (const auto& v : vectors) {
    HttpRequestHead head;
    const HttpParseResult r = parse_request_head(v.bytes, HttpLimits{}, &head);
    if (r.kind == HttpParseResult::Kind::error) {
      EXPECT_EQ(r.status, v.status) << v.name << ": rejected by the head parser (" << r.reason << ")";
      continue;
    }
    ASSERT_EQ(r.kind, HttpParseResult::Kind::complete) << v.name << ": head incomplete";
    HttpBodyFramer framer;
    Body body = Body::none;
    if (head.chunked) {
      framer.expect_chunked();
      body = Body::chunked;
    } else if (head.content_length) {
      framer.expect_length(*head.content_length);
      body = Body::length;
    } else {
      framer.expect_none();
    }
    const std::string rest = v.bytes.substr(r.head_length);
    const HttpBodyFramer::Step step =
        framer.consume(reinterpret_cast<const uint8_t*>(rest.data()), static_cast<uint32_t>(rest.size()));
    if (step.error != 0) {
      EXPECT_EQ(step.error, v.status) << v.name << ": rejected by the body framer (" << step.reason << ")";
      continue;
    }
    EXPECT_EQ(v.status, 0) << v.name << ": accepted, framing " << static_cast<int>(body);
    EXPECT_EQ(body, v.body) << v.name;
    EXPECT_TRUE(step.done) << v.name;
    EXPECT_EQ(step.consumed, v.body_bytes) << v.name;
    if (v.status == 0) ++accepted;
  }
  EXPECT_GE(std::size(vectors), 90u);
  EXPECT_EQ(accepted, 14u);
}

}  // namespace
}  // namespace dplb::dataplane
