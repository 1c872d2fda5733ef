#pragma once

// The head of an HTTP/1.1 request (RFC 9112 section 3 and 5) as the proxy
// needs it: the request line, the header fields as views into the bytes
// received, and what the framing headers decided. Parsing is strict where a
// lenient reading would let two parsers disagree about where a message ends
// (request smuggling): see http_head_parser.h.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace dplb::dataplane {

struct HttpHeaderField {
  std::string_view name;   // as received; compare case-insensitively
  std::string_view value;  // leading and trailing whitespace removed
};

struct HttpLimits {
  std::size_t max_request_line = 8192;  // above: 414
  std::size_t max_head = 16384;         // request line and header block; above: 431
  std::size_t max_fields = 100;         // above: 431
};

inline constexpr std::size_t kMaxHttpFields = 128;

struct HttpRequestHead {
  std::string_view method;
  std::string_view target;
  uint8_t version_minor = 1;  // HTTP/1.0 or HTTP/1.1
  std::array<HttpHeaderField, kMaxHttpFields> fields{};
  std::size_t field_count = 0;

  // Framing (RFC 9112 6.3): chunked, a length, or no body.
  bool chunked = false;
  std::optional<uint64_t> content_length;
  // Connection handling (RFC 9112 9.3, RFC 9110 7.6.1).
  bool keep_alive = true;  // after this exchange, for the client side
  bool upgrade = false;    // Connection: upgrade with an Upgrade field
  bool expect_continue = false;
  std::string_view host;
};

// Case-insensitive comparison of ASCII tokens. Inline: the proxy compares
// every field name with a few constants, and the length test settles most.
inline bool http_token_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace dplb::dataplane
