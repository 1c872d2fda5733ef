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
// `HTTP/1.x NNN reason`, bad fields, conflicting framing, as for requests.
HttpParseResult parse_response_head(std::string_view bytes, const HttpLimits& limits,
                                    const HttpResponseContext& context, HttpResponseHead* out);

}  // namespace dplb::dataplane
