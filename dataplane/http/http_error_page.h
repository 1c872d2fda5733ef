#pragma once

// The responses dplb itself sends (HAProxy's set: 400, 403, 408, 500, 501,
// 502, 503, 504, plus 413, 414, 431, 505 from the parser): small, valid
// HTTP/1.1 responses with a Content-Length, `Cache-Control: no-cache` and
// `Connection: close`, since dplb closes the client connection after an
// error. An errorfile configured for the status replaces the built-in page.

#include <cstdint>
#include <string>
#include <string_view>

namespace dplb::dataplane {

// The built-in page; an unknown status gets a generic page with that status.
std::string default_error_page(uint16_t status);
std::string_view http_reason_phrase(uint16_t status);

}  // namespace dplb::dataplane
