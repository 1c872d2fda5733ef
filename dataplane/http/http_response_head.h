#pragma once

// The head of an HTTP/1.x response (RFC 9112 section 4 and 6.3) as the
// proxy needs it to forward it and to find where the response ends.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "dataplane/http/http_head_parser.h"
#include "dataplane/http/http_request_head.h"

namespace dplb::dataplane {

struct HttpResponseHead {
  uint8_t version_minor = 1;
  uint16_t status = 0;
  std::string_view reason;
  std::array<HttpHeaderField, kMaxHttpFields> fields{};
  std::size_t field_count = 0;

  // Framing (RFC 9112 6.3), decided with the request's method in mind.
  bool no_body = false;       // 1xx, 204, 304, or an answer to HEAD
  bool chunked = false;
  std::optional<uint64_t> content_length;
  bool until_close = false;   // neither: the body ends when the server closes
  bool keep_alive = true;     // the server will keep the connection open afterwards
  bool upgrade = false;       // 101 Switching Protocols with an Upgrade field: tunnel follows
};

struct HttpResponseContext {
  bool request_was_head = false;
};

// Errors (the proxy answers the client 502): a status line that is not
// `HTTP/1.x NNN reason` (the SP before an empty reason may be missing; a
// status outside 100..599 is an error), bad fields, conflicting framing,
// as for requests. Unlike RFC 9112 6.3, which lets Transfer-Encoding win,
// both Transfer-Encoding and Content-Length is an error: the fields reach
// the client unchanged and it might pick the other one. Also errors:
// Transfer-Encoding in HTTP/1.0, chunked applied twice, 101 without
// Upgrade. Unknown codings pass (dplb does not decode them); a final coding
// other than chunked means until_close, as the RFC says. keep_alive is
// false for until_close and for a 101 (the connection becomes a tunnel).
HttpParseResult parse_response_head(std::string_view bytes, const HttpLimits& limits,
                                    const HttpResponseContext& context, HttpResponseHead* out);

}  // namespace dplb::dataplane
