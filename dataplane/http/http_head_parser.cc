#include "dataplane/http/http_head_parser.h"

#include <algorithm>

namespace dplb::dataplane {

namespace {

// RFC 9110 5.6.2: tchar.
bool is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

// field-vchar, SP and HTAB (RFC 9110 5.5); obs-text is accepted as opaque.
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

// Calls f(element) for each comma-separated, trimmed, non-empty element.
template <class F>
bool for_each_element(std::string_view list, F&& f) {
  while (true) {
    const std::size_t comma = list.find(',');
    const std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty() && !f(element)) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

enum class LineStatus { ok, incomplete, bare_cr };

// The line starting at `pos`: up to LF, without the CR before it.
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

bool known_coding(std::string_view c) {
  return http_token_equal(c, "gzip") || http_token_equal(c, "x-gzip") || http_token_equal(c, "deflate") ||
         http_token_equal(c, "compress") || http_token_equal(c, "x-compress");
}

}  // namespace

bool http_token_equal(std::string_view a, std::string_view b) {
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

HttpParseResult parse_request_head(std::string_view bytes, const HttpLimits& limits, HttpRequestHead* out) {
  *out = HttpRequestHead{};
  std::size_t pos = 0;
  // RFC 9112 2.2: empty lines before the request line are ignored.
  while (pos < bytes.size() && (bytes[pos] == '\n' || (bytes[pos] == '\r' && pos + 1 < bytes.size() &&
                                                        bytes[pos + 1] == '\n'))) {
    pos += bytes[pos] == '\r' ? 2 : 1;
    if (pos > 8) return HttpParseResult::fail(400, "empty lines before the request line");
  }

  std::string_view line;
  std::size_t next = 0;
  switch (next_line(bytes, pos, &line, &next)) {
    case LineStatus::incomplete:
      if (bytes.size() - pos > limits.max_request_line) return HttpParseResult::fail(414, "request line too long");
      return HttpParseResult::need_more();
    case LineStatus::bare_cr:
      return HttpParseResult::fail(400, "bare CR in the request line");
    case LineStatus::ok:
      break;
  }
  if (line.size() > limits.max_request_line) return HttpParseResult::fail(414, "request line too long");

  // method SP request-target SP HTTP-version, single spaces (RFC 9112 3).
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return HttpParseResult::fail(400, "malformed request line");
  }
  out->method = line.substr(0, sp1);
  out->target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(out->method)) return HttpParseResult::fail(400, "method is not a token");
  if (out->target.empty() || !std::all_of(out->target.begin(), out->target.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f;
      })) {
    return HttpParseResult::fail(400, "malformed request target");
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' || version[5] < '0' ||
      version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return HttpParseResult::fail(400, "malformed HTTP version");
  }
  if (version[5] != '1') return HttpParseResult::fail(505, "HTTP version not supported");
  out->version_minor = version[7] == '0' ? 0 : 1;
  out->keep_alive = out->version_minor == 1;

  // Header fields up to the empty line.
  pos = next;
  std::size_t hosts = 0;
  bool have_length = false;
  bool have_te = false;
  bool have_upgrade_field = false;
  bool connection_upgrade = false;
  bool unknown_coding = false;
  uint64_t length = 0;
  while (true) {
    const LineStatus status = next_line(bytes, pos, &line, &next);
    if (status == LineStatus::bare_cr) return HttpParseResult::fail(400, "bare CR in a header field");
    if (status == LineStatus::incomplete) {
      if (bytes.size() > limits.max_head) return HttpParseResult::fail(431, "request head too large");
      return HttpParseResult::need_more();
    }
    if (next > limits.max_head) return HttpParseResult::fail(431, "request head too large");
    pos = next;
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') return HttpParseResult::fail(400, "obsolete line folding");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return HttpParseResult::fail(400, "header field without a colon");
    const std::string_view name = line.substr(0, colon);
    if (!is_token(name)) return HttpParseResult::fail(400, "malformed header field name");
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (!valid_field_value(value)) return HttpParseResult::fail(400, "control character in a header field");
    if (out->field_count >= limits.max_fields || out->field_count >= kMaxHttpFields) {
      return HttpParseResult::fail(431, "too many header fields");
    }
    out->fields[out->field_count++] = {name, value};

    if (http_token_equal(name, "content-length")) {
      // Several values (in one field or several) must all agree (RFC 9110 8.6).
      bool ok = for_each_element(value, [&](std::string_view v) {
        uint64_t n = 0;
        if (!parse_length(v, &n)) return false;
        if (have_length && n != length) return false;
        length = n;
        have_length = true;
        return true;
      });
      if (!ok || value.empty()) return HttpParseResult::fail(400, "invalid or conflicting Content-Length");
    } else if (http_token_equal(name, "transfer-encoding")) {
      if (out->version_minor == 0) return HttpParseResult::fail(400, "Transfer-Encoding in an HTTP/1.0 request");
      bool ok = for_each_element(value, [&](std::string_view coding) {
        if (out->chunked) return false;  // chunked must be the final coding, and only once
        if (http_token_equal(coding, "chunked")) {
          out->chunked = true;
        } else if (!known_coding(coding)) {
          unknown_coding = true;
        }
        return true;
      });
      if (!ok || value.empty()) return HttpParseResult::fail(400, "chunked is not the final transfer coding");
      have_te = true;
    } else if (http_token_equal(name, "host")) {
      ++hosts;
      out->host = value;
    } else if (http_token_equal(name, "connection")) {
      for_each_element(value, [&](std::string_view option) {
        if (http_token_equal(option, "close")) out->keep_alive = false;
        if (http_token_equal(option, "keep-alive") && out->version_minor == 0) out->keep_alive = true;
        if (http_token_equal(option, "upgrade")) connection_upgrade = true;
        return true;
      });
    } else if (http_token_equal(name, "upgrade")) {
      have_upgrade_field = !value.empty();
    } else if (http_token_equal(name, "expect")) {
      if (http_token_equal(value, "100-continue") && out->version_minor == 1) out->expect_continue = true;
    }
  }
  // Without a final chunked the body's end cannot be known (RFC 9112 6.3):
  // that is checked before whether dplb knows the other codings.
  if (have_te && !out->chunked) return HttpParseResult::fail(400, "chunked is not the final transfer coding");
  if (unknown_coding) return HttpParseResult::fail(501, "unknown transfer coding");
  if (have_te && have_length) return HttpParseResult::fail(400, "both Content-Length and Transfer-Encoding");
  if (out->version_minor == 1 && hosts != 1) {
    return HttpParseResult::fail(400, hosts == 0 ? "missing Host" : "several Host fields");
  }
  if (have_length) out->content_length = length;
  out->upgrade = connection_upgrade && have_upgrade_field;
  return HttpParseResult::done(pos);
}

}  // namespace dplb::dataplane
