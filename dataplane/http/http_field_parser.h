#pragma once

// Internal to dataplane/http: the pieces of head parsing that requests and
// responses share (lines, field lines, the framing and connection fields),
// so that both directions read a header section by exactly the same rules.
// Two parsers with subtly different field rules inside one proxy would be a
// smuggling vector of their own.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/http/http_request_head.h"

namespace dplb::dataplane::http_internal {

// RFC 9110 5.6.2: tchar. A table, as it runs for every byte of every field name.
struct TcharTable {
  bool is[256] = {};
  constexpr TcharTable() {
    for (int c = '0'; c <= '9'; ++c) is[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) is[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) is[c] = true;
    for (char c : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~'}) {
      is[static_cast<unsigned char>(c)] = true;
    }
  }
};
inline constexpr TcharTable kTchar{};
inline bool is_tchar(unsigned char c) { return kTchar.is[c]; }
bool is_token(std::string_view s);
// field-vchar, SP and HTAB (RFC 9110 5.5); obs-text is accepted as opaque.
bool valid_field_value(std::string_view s);
std::string_view trim_ows(std::string_view s);

// Calls f(element) for each comma-separated, trimmed element; empty
// elements are skipped (RFC 9110 5.6.1) unless `keep_empty`, for fields
// whose grammar has no room for them. Stops early when f returns false.
template <class F>
bool for_each_element(std::string_view list, F&& f, bool keep_empty = false) {
  while (true) {
    const std::size_t comma = list.find(',');
    const std::string_view element = trim_ows(list.substr(0, comma));
    if ((keep_empty || !element.empty()) && !f(element)) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

enum class LineStatus : uint8_t { ok, incomplete, bare_cr };

// The line starting at `pos`: up to LF, without the CR before it.
LineStatus next_line(std::string_view bytes, std::size_t pos, std::string_view* line, std::size_t* next);

// RFC 9112 2.2 lets a recipient skip empty lines before a start line; a few
// are tolerated, a flood is not. Returns false on a flood.
bool skip_leading_empty_lines(std::string_view bytes, std::size_t* pos);

// `HTTP/` DIGIT `.` DIGIT, case-sensitive (RFC 9112 2.3).
bool parse_http_version(std::string_view s, uint8_t* major, uint8_t* minor);

// 1*DIGIT, bounded so that it cannot overflow.
bool parse_length(std::string_view s, uint64_t* out);

// What the fields that decide framing and connection handling said,
// gathered while the field lines are read. The verdict (which combinations
// are errors) differs between requests and responses and is left to each
// parser; only what is wrong in either direction is rejected here.
struct FieldSummary {
  uint8_t version_minor = 1;

  bool have_length = false;
  uint64_t length = 0;

  bool have_te = false;
  bool chunked_seen = false;
  bool last_coding_chunked = false;
  bool unknown_coding = false;

  bool connection_close = false;
  bool connection_keep_alive = false;
  bool connection_upgrade = false;
  bool have_upgrade_field = false;

  std::size_t hosts = 0;
  std::string_view host;
  bool expect_continue = false;

  // Returns an error reason, or nullptr.
  const char* add(std::string_view name, std::string_view value);
};

struct FieldBlockResult {
  enum class Kind : uint8_t { incomplete, complete, error };
  Kind kind = Kind::incomplete;
  bool over_limit = false;   // error: a size or count limit rather than bad syntax
  const char* reason = "";
  std::size_t end = 0;       // complete: offset just past the empty line
};

// Reads field lines from `pos` up to and including the empty line.
// limits.max_head bounds everything from offset 0, start line included.
FieldBlockResult parse_field_block(std::string_view bytes, std::size_t pos, const HttpLimits& limits,
                                   HttpHeaderField* fields, std::size_t* field_count, FieldSummary* summary);

}  // namespace dplb::dataplane::http_internal
