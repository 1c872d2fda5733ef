#pragma once

// Parsing a request head from contiguous bytes (the proxy gathers a head
// into one buffer; bodies stay in mbufs). The result is incomplete (need
// more bytes), complete (with the head's length), or an error with the
// status dplb answers with and a reason for the log. What is rejected, and
// why (RFC 9112, RFC 9110):
//  - a request line that is not `method SP target SP HTTP/1.x`, a method
//    that is not a token, a target with spaces or controls, or in a form
//    the method does not allow (3.2: origin-form; absolute-form for http
//    and https only, without userinfo; authority-form for CONNECT only;
//    `*` for OPTIONS only): 400; HTTP/2 and later in an HTTP/1 framing:
//    505 (HTTP/1.2 and later minors are read as HTTP/1.1, RFC 9110 2.5);
//    a request line over the limit: 414;
//  - a field name that is not a token, whitespace before the colon
//    (5.1), obs-fold (5.2), a bare CR or a NUL or other control in a value:
//    400; a head or field count over the limit: 431;
//  - Content-Length that is not digits, or several different values, or
//    an empty list element; both Content-Length and Transfer-Encoding;
//    Transfer-Encoding in HTTP/1.0; a transfer coding other than a single
//    final `chunked`, or an empty one: 400 (501 for an unknown coding);
//  - HTTP/1.1 without exactly one Host, more than one Host in any
//    version, a Host that is not uri-host[:port], a Host that differs from
//    the target's authority: 400.
// `Connection: close` wins over `keep-alive` whatever their order; Upgrade
// is ignored in HTTP/1.0 (RFC 9110 7.8).
// Lines may end in CRLF or a bare LF (9112 2.2 allows it); a CR anywhere
// else is an error.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/http/http_request_head.h"

namespace dplb::dataplane {

struct HttpParseResult {
  enum class Kind : uint8_t { incomplete, complete, error };
  Kind kind = Kind::incomplete;
  std::size_t head_length = 0;  // complete: bytes of the head, final empty line included
  uint16_t status = 0;          // error: 400, 414, 431, 501 or 505
  const char* reason = "";      // error: for the log

  static HttpParseResult need_more() { return {}; }
  static HttpParseResult done(std::size_t length) { return {Kind::complete, length, 0, ""}; }
  static HttpParseResult fail(uint16_t status, const char* reason) { return {Kind::error, 0, status, reason}; }
};

HttpParseResult parse_request_head(std::string_view bytes, const HttpLimits& limits, HttpRequestHead* out);

}  // namespace dplb::dataplane
