// Heads as dplb forwards them, compared byte for byte: hop-by-hop fields
// removed (including those a Connection field names), the Connection field
// the next hop needs for each version and keep-alive decision, upgrades,
// X-Forwarded-*, CRLF normalisation, and a buffer that is too small. Also
// the error pages dplb sends itself.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dataplane/http/http_error_page.h"
#include "dataplane/http/http_head_parser.h"
#include "dataplane/http/http_head_writer.h"
#include "dataplane/http/http_response_head.h"

namespace dplb::dataplane {
namespace {

std::string write_request(const std::string& text, const RequestRewrite& rewrite) {
  HttpRequestHead head;
  const HttpParseResult r = parse_request_head(text, HttpLimits{}, &head);
  EXPECT_EQ(r.kind, HttpParseResult::Kind::complete) << r.reason;
  std::vector<char> out(4096);
  const std::size_t n = write_request_head(head, rewrite, out.data(), out.size());
  EXPECT_NE(n, 0u);
  return std::string(out.data(), n);
}

std::string write_response(const std::string& text, const ResponseRewrite& rewrite, bool was_head = false) {
  HttpResponseHead head;
  HttpResponseContext context;
  context.request_was_head = was_head;
  const HttpParseResult r = parse_response_head(text, HttpLimits{}, context, &head);
  EXPECT_EQ(r.kind, HttpParseResult::Kind::complete) << r.reason;
  std::vector<char> out(4096);
  const std::size_t n = write_response_head(head, rewrite, out.data(), out.size());
  EXPECT_NE(n, 0u);
  return std::string(out.data(), n);
}

RequestRewrite request_rewrite(bool keep_alive) {
  RequestRewrite r;
  r.keep_alive = keep_alive;
  return r;
}

ResponseRewrite response_rewrite(bool keep_alive, uint8_t client_minor) {
  ResponseRewrite r;
  r.keep_alive = keep_alive;
  r.client_version_minor = client_minor;
  return r;
}

struct RequestCase {
  const char* name;
  std::string in;
  RequestRewrite rewrite;
  std::string out;
};

TEST(HttpHeadWriter, Requests) {
  RequestRewrite xff;
  xff.forwardfor = true;
  xff.client_address = 0xC000020A;  // 192.0.2.10
  xff.frontend_port = 8443;
  xff.tls = true;
  RequestRewrite xff_plain = xff;
  xff_plain.tls = false;
  xff_plain.frontend_port = 80;
  xff_plain.client_address = 0;
  xff_plain.keep_alive = false;

  const RequestCase cases[] = {
      {"unchanged", "GET /a?b HTTP/1.1\r\nHost: a\r\nUser-Agent: x\r\n\r\n", request_rewrite(true),
       "GET /a?b HTTP/1.1\r\nHost: a\r\nUser-Agent: x\r\n\r\n"},
      {"bare LF normalised to CRLF", "GET / HTTP/1.1\nHost: a\nAccept: */*\n\n", request_rewrite(true),
       "GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n"},
      {"value whitespace trimmed", "GET / HTTP/1.1\r\nHost:a\r\nX-A: \t b c \t\r\n\r\n", request_rewrite(true),
       "GET / HTTP/1.1\r\nHost: a\r\nX-A: b c\r\n\r\n"},
      {"hop-by-hop fields removed",
       "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive"
       "\r\nTE: trailers\r\nUpgrade: h2c\r\nAccept: */*\r\n\r\n",
       request_rewrite(true), "GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n"},
      {"fields named in Connection removed, any case, several Connection fields",
       "GET / HTTP/1.1\r\nHost: a\r\nCONNECTION: X-Secret , x-other\r\nx-secret: 1\r\nX-Kept: 2\r\nX-OTHER: 3\r\n"
       "connection: X-Third\r\nx-third: 4\r\n\r\n",
       request_rewrite(true), "GET / HTTP/1.1\r\nHost: a\r\nX-Kept: 2\r\n\r\n"},
      {"Connection cannot remove framing or Host",
       "POST / HTTP/1.1\r\nHost: a\r\nConnection: Content-Length, Host, Transfer-Encoding\r\nContent-Length: 3\r\n\r\n",
       request_rewrite(true), "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n"},
      {"Transfer-Encoding passes", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
       request_rewrite(true), "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"},
      {"1.1, no keep-alive: close", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", request_rewrite(false),
       "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"},
      {"1.1 client said close, we keep alive", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
       request_rewrite(true), "GET / HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"1.0, keep-alive", "GET / HTTP/1.0\r\n\r\n", request_rewrite(true),
       "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
      {"1.0, no keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", request_rewrite(false),
       "GET / HTTP/1.0\r\n\r\n"},
      {"upgrade keeps Upgrade",
       "GET /chat HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"
       "Sec-WebSocket-Key: k\r\n\r\n",
       request_rewrite(false),
       "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\nConnection: upgrade\r\n\r\n"},
      {"Upgrade without Connection: upgrade is dropped", "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n",
       request_rewrite(true), "GET / HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"forwardfor appends, replaces proto and port",
       "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: ftp\r\n"
       "x-forwarded-port: 1\r\nX-Forwarded-For: 10.0.0.2\r\n\r\n",
       xff,
       "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-For: 10.0.0.2\r\n"
       "X-Forwarded-For: 192.0.2.10\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Port: 8443\r\n\r\n"},
      {"forwardfor, plain, closing", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", xff_plain,
       "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Forwarded-For: 0.0.0.0\r\nX-Forwarded-Proto: http\r\n"
       "X-Forwarded-Port: 80\r\n\r\n"},
      {"without forwardfor the client's X-Forwarded-* pass",
       "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Proto: https\r\n\r\n", request_rewrite(true),
       "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Proto: https\r\n\r\n"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(write_request(c.in, c.rewrite), c.out) << c.name;
  }

  RequestRewrite broadcast = xff;
  broadcast.client_address = 0xFFFFFFFF;
  broadcast.frontend_port = 65535;
  EXPECT_EQ(write_request("GET / HTTP/1.0\r\n\r\n", broadcast),
            "GET / HTTP/1.0\r\nConnection: keep-alive\r\nX-Forwarded-For: 255.255.255.255\r\n"
            "X-Forwarded-Proto: https\r\nX-Forwarded-Port: 65535\r\n\r\n");
}

// A frontend that verifies client certificates: the subject field is
// dplb's alone, whatever the client sent, and absent without a certificate.
TEST(HttpHeadWriter, ClientCertificateSubject) {
  RequestRewrite r = request_rewrite(true);
  r.client_cert_header = "X-SSL-Client-DN";
  const std::string spoofed = "GET / HTTP/1.1\r\nHost: a\r\nx-ssl-client-dn: /CN=admin\r\nX-A: b\r\n\r\n";
  EXPECT_EQ(write_request(spoofed, r), "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\r\n");
  r.client_cert_subject = "/O=Example/CN=alice";
  EXPECT_EQ(write_request(spoofed, r),
            "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\nX-SSL-Client-DN: /O=Example/CN=alice\r\n\r\n");
  // Without the header configured nothing is touched.
  EXPECT_EQ(write_request(spoofed, request_rewrite(true)), spoofed);
}

struct ResponseCase {
  const char* name;
  std::string in;
  ResponseRewrite rewrite;
  std::string out;
};

TEST(HttpHeadWriter, Responses) {
  const ResponseCase cases[] = {
      {"unchanged", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: s\r\n\r\n", response_rewrite(true, 1),
       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: s\r\n\r\n"},
      {"empty reason keeps its SP", "HTTP/1.1 204\nDate: d\n\n", response_rewrite(true, 1),
       "HTTP/1.1 204 \r\nDate: d\r\n\r\n"},
      {"hop-by-hop removed",
       "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Internal\r\nKeep-Alive: timeout=5\r\nX-Internal: 1\r\n"
       "Upgrade: h2\r\nContent-Length: 0\r\n\r\n",
       response_rewrite(true, 1), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
      {"client 1.1, closing", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", response_rewrite(false, 1),
       "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
      {"client 1.0, keep-alive", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", response_rewrite(true, 0),
       "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"},
      {"client 1.0, server 1.0, closing", "HTTP/1.0 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
       response_rewrite(false, 0), "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"},
      // The status line carries the server's version, which is what the
      // client reads persistence from.
      {"client 1.1, server 1.0, keep-alive", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
       response_rewrite(true, 1), "HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"},
      {"client 1.0, server 1.1, closing", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", response_rewrite(false, 0),
       "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
      {"server's close replaced by our keep-alive", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
       response_rewrite(true, 1), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
      {"101 switching protocols",
       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s\r\n"
       "\r\n",
       response_rewrite(false, 1),
       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s\r\nConnection: upgrade\r\n\r\n"},
      {"chunked passes", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n",
       response_rewrite(true, 1), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(write_response(c.in, c.rewrite), c.out) << c.name;
  }
}

// Every capacity short of the full head gives 0 and writes nothing past
// the capacity; the exact size is enough.
TEST(HttpHeadWriter, CapacityTooSmall) {
  HttpRequestHead request;
  ASSERT_EQ(parse_request_head("POST /x HTTP/1.1\r\nHost: a\r\nConnection: X-A\r\nX-A: 1\r\nContent-Length: 3\r\n\r\n",
                               HttpLimits{}, &request)
                .kind,
            HttpParseResult::Kind::complete);
  RequestRewrite rewrite;
  rewrite.forwardfor = true;
  rewrite.client_address = 0x7f000001;
  rewrite.frontend_port = 80;
  rewrite.keep_alive = false;
  std::vector<char> full(1024);
  const std::size_t size = write_request_head(request, rewrite, full.data(), full.size());
  ASSERT_GT(size, 0u);
  for (std::size_t capacity = 0; capacity < size; ++capacity) {
    std::vector<char> buffer(size + 16, '#');
    EXPECT_EQ(write_request_head(request, rewrite, buffer.data(), capacity), 0u) << capacity;
    for (std::size_t i = capacity; i < buffer.size(); ++i) ASSERT_EQ(buffer[i], '#') << capacity << " " << i;
  }
  std::vector<char> exact(size);
  EXPECT_EQ(write_request_head(request, rewrite, exact.data(), size), size);
  EXPECT_EQ(std::string(exact.data(), size), std::string(full.data(), size));

  HttpResponseHead response;
  ASSERT_EQ(parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", HttpLimits{}, HttpResponseContext{},
                                &response)
                .kind,
            HttpParseResult::Kind::complete);
  const ResponseRewrite closing = response_rewrite(false, 1);
  const std::size_t rsize = write_response_head(response, closing, full.data(), full.size());
  ASSERT_EQ(std::string(full.data(), rsize), "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\n");
  for (std::size_t capacity = 0; capacity < rsize; ++capacity) {
    std::vector<char> buffer(rsize + 16, '#');
    EXPECT_EQ(write_response_head(response, closing, buffer.data(), capacity), 0u) << capacity;
    for (std::size_t i = capacity; i < buffer.size(); ++i) ASSERT_EQ(buffer[i], '#') << capacity << " " << i;
  }
}

TEST(HttpErrorPage, ExactPage) {
  const std::string body =
      "<html><body><h1>503 Service Unavailable</h1>\n"
      "No server is able to take the request at the moment. Please try again later.\n"
      "</body></html>\n";
  EXPECT_EQ(default_error_page(503), "HTTP/1.1 503 Service Unavailable\r\ncontent-length: " +
                                         std::to_string(body.size()) +
                                         "\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n"
                                         "connection: close\r\n\r\n" +
                                         body);
}

TEST(HttpErrorPage, EveryBuiltInPageIsAValidResponse) {
  const uint16_t statuses[] = {400, 403, 408, 413, 414, 431, 500, 501, 502, 503, 504, 505, 404, 599};
  for (const uint16_t status : statuses) {
    const std::string page = default_error_page(status);
    HttpResponseHead head;
    const HttpParseResult r = parse_response_head(page, HttpLimits{}, HttpResponseContext{}, &head);
    ASSERT_EQ(r.kind, HttpParseResult::Kind::complete) << status << ": " << r.reason;
    EXPECT_EQ(head.status, status);
    EXPECT_FALSE(head.keep_alive) << status;
    ASSERT_TRUE(head.content_length.has_value()) << status;
    EXPECT_EQ(*head.content_length, page.size() - r.head_length) << status;
    const std::string code = std::to_string(status);
    EXPECT_NE(page.find("<h1>" + code + " "), std::string::npos) << status;
    if (!http_reason_phrase(status).empty()) {
      EXPECT_EQ(head.reason, http_reason_phrase(status)) << status;
    }
  }
  // A generic page for an unregistered status, and no invalid status line.
  EXPECT_EQ(default_error_page(599).rfind("HTTP/1.1 599 Error\r\n", 0), 0u);
  EXPECT_EQ(default_error_page(0).rfind("HTTP/1.1 500 Internal Server Error\r\n", 0), 0u);
}

TEST(HttpErrorPage, ReasonPhrases) {
  EXPECT_EQ(http_reason_phrase(200), "OK");
  EXPECT_EQ(http_reason_phrase(413), "Content Too Large");
  EXPECT_EQ(http_reason_phrase(414), "URI Too Long");
  EXPECT_EQ(http_reason_phrase(422), "Unprocessable Content");
  EXPECT_EQ(http_reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(http_reason_phrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(http_reason_phrase(299), "");
}

}  // namespace
}  // namespace dplb::dataplane
