#include "dataplane/http/http_field_parser.h"

#include <algorithm>

namespace dplb::dataplane::http_internal {

namespace {

// Transfer codings dplb passes through without decoding (RFC 9110 18.6's
// registry, minus chunked).
bool known_coding(std::string_view c) {
  return http_token_equal(c, "gzip") || http_token_equal(c, "x-gzip") || http_token_equal(c, "deflate") ||
         http_token_equal(c, "compress") || http_token_equal(c, "x-compress");
}

}  // namespace

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

bool valid_field_value(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
  });
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

LineStatus next_line(std::string_view bytes, std::size_t pos, std::string_view* line, std::size_t* next) {
  const std::size_t lf = bytes.find('\n', pos);
  if (lf == std::string_view::npos) {
    // A CR not followed by LF is already an error, whatever comes later.
    const std::size_t cr = bytes.find('\r', pos);
    if (cr != std::string_view::npos && cr + 1 < bytes.size()) return LineStatus::bare_cr;
    return LineStatus::incomplete;
  }
  std::size_t end = lf;
  if (end > pos && bytes[end - 1] == '\r') --end;
  *line = bytes.substr(pos, end - pos);
  if (line->find('\r') != std::string_view::npos) return LineStatus::bare_cr;
  *next = lf + 1;
  return LineStatus::ok;
}

bool skip_leading_empty_lines(std::string_view bytes, std::size_t* pos) {
  while (*pos < bytes.size() &&
         (bytes[*pos] == '\n' || (bytes[*pos] == '\r' && *pos + 1 < bytes.size() && bytes[*pos + 1] == '\n'))) {
    *pos += bytes[*pos] == '\r' ? 2 : 1;
    if (*pos > 8) return false;
  }
  return true;
}

bool parse_http_version(std::string_view s, uint8_t* major, uint8_t* minor) {
  if (s.size() != 8 || s.substr(0, 5) != "HTTP/" || s[6] != '.' || s[5] < '0' || s[5] > '9' || s[7] < '0' ||
      s[7] > '9') {
    return false;
  }
  *major = static_cast<uint8_t>(s[5] - '0');
  *minor = static_cast<uint8_t>(s[7] - '0');
  return true;
}

bool parse_length(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 18) return false;  // 18 digits cannot overflow 64 bits
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

const char* FieldSummary::add(std::string_view name, std::string_view value) {
  if (http_token_equal(name, "content-length")) {
    // Several values (in one field or several) must all agree (RFC 9110
    // 8.6). Empty elements are refused: `Content-Length: ,` must not read
    // as "no length" here while the next hop reads it some other way.
    const bool ok = for_each_element(
        value,
        [&](std::string_view v) {
          uint64_t n = 0;
          if (!parse_length(v, &n)) return false;
          if (have_length && n != length) return false;
          length = n;
          have_length = true;
          return true;
        },
        /*keep_empty=*/true);
    if (!ok) return "invalid or conflicting Content-Length";
  } else if (http_token_equal(name, "transfer-encoding")) {
    // RFC 9112 6.1: HTTP/1.0 has no transfer codings, so the framing of
    // such a message is faulty whatever else it says.
    if (version_minor == 0) return "Transfer-Encoding in an HTTP/1.0 message";
    // Empty elements are refused although RFC 9110 5.6.1 tolerates them:
    // the field goes to the next hop as received, and one that compares the
    // whole value with "chunked" would not see `chunked,` as chunked.
    const char* reason = nullptr;
    for_each_element(
        value,
        [&](std::string_view coding) {
          if (coding.empty()) {
            reason = "empty transfer coding";
            return false;
          }
          const bool chunked = http_token_equal(coding, "chunked");
          // Chunked applied twice has no meaning (RFC 9112 6.1), in either direction.
          if (chunked && chunked_seen) {
            reason = "chunked applied more than once";
            return false;
          }
          if (chunked) chunked_seen = true;
          last_coding_chunked = chunked;
          if (!chunked && !known_coding(coding)) unknown_coding = true;
          return true;
        },
        /*keep_empty=*/true);
    if (reason != nullptr) return reason;
    have_te = true;
  } else if (http_token_equal(name, "connection")) {
    for_each_element(value, [&](std::string_view option) {
      if (http_token_equal(option, "close")) connection_close = true;
      if (http_token_equal(option, "keep-alive")) connection_keep_alive = true;
      if (http_token_equal(option, "upgrade")) connection_upgrade = true;
      return true;
    });
  } else if (http_token_equal(name, "upgrade")) {
    if (!value.empty()) have_upgrade_field = true;
  } else if (http_token_equal(name, "host")) {
    ++hosts;
    host = value;
  } else if (http_token_equal(name, "expect")) {
    if (http_token_equal(value, "100-continue") && version_minor == 1) expect_continue = true;
  }
  return nullptr;
}

FieldBlockResult parse_field_block(std::string_view bytes, std::size_t pos, const HttpLimits& limits,
                                   HttpHeaderField* fields, std::size_t* field_count, FieldSummary* summary) {
  FieldBlockResult result;
  const auto fail = [&](const char* reason, bool over_limit) {
    result.kind = FieldBlockResult::Kind::error;
    result.reason = reason;
    result.over_limit = over_limit;
    return result;
  };
  std::string_view line;
  std::size_t next = 0;
  while (true) {
    const LineStatus status = next_line(bytes, pos, &line, &next);
    if (status == LineStatus::bare_cr) return fail("bare CR in a header field", false);
    if (status == LineStatus::incomplete) {
      if (bytes.size() > limits.max_head) return fail("head too large", true);
      return result;
    }
    if (next > limits.max_head) return fail("head too large", true);
    pos = next;
    if (line.empty()) break;
    // RFC 9112 5.2: a line starting with whitespace continues the previous
    // one (obs-fold); rejecting it is the only reading that cannot differ
    // from the next hop's.
    if (line.front() == ' ' || line.front() == '\t') return fail("obsolete line folding", false);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail("header field without a colon", false);
    const std::string_view name = line.substr(0, colon);
    if (!is_token(name)) return fail("malformed header field name", false);
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (!valid_field_value(value)) return fail("control character in a header field", false);
    if (*field_count >= limits.max_fields || *field_count >= kMaxHttpFields) {
      return fail("too many header fields", true);
    }
    fields[(*field_count)++] = {name, value};
    if (const char* reason = summary->add(name, value)) return fail(reason, false);
  }
  result.kind = FieldBlockResult::Kind::complete;
  result.end = pos;
  return result;
}

}  // namespace dplb::dataplane::http_internal
