#include "dataplane/http/http_head_parser.h"

#include <algorithm>

#include "dataplane/http/http_field_parser.h"

namespace dplb::dataplane {

namespace {

using http_internal::FieldBlockResult;
using http_internal::FieldSummary;

// Host = uri-host [ ":" port ] (RFC 9110 7.2): the characters of reg-name,
// IPv4 and IP-literal forms and the port. Anything else (a space, '/', '@',
// '?', '#', a quote) could let dplb and the server read a different host.
bool valid_host(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    switch (c) {
      case '-': case '.': case '_': case '~': case '%': case '!': case '$': case '&': case '\'': case '(':
      case ')': case '*': case '+': case ',': case ';': case '=': case ':': case '[': case ']':
        return true;
      default:
        return false;
    }
  });
}

// RFC 9112 3.2: which target form is allowed depends on the method. A
// target with an authority component must agree with Host (3.2), since
// dplb routes on Host while a server is told to prefer the target's
// authority (3.2.2): a disagreement would send the request somewhere
// other than where dplb's rules think it goes.
const char* check_target(std::string_view method, std::string_view target, std::string_view* authority,
                         bool* has_authority) {
  *has_authority = false;
  if (method == "CONNECT") {
    if (!valid_host(target) || target.find(':') == std::string_view::npos) return "malformed CONNECT target";
    *authority = target;
    *has_authority = true;
    return nullptr;
  }
  if (target == "*") return method == "OPTIONS" ? nullptr : "asterisk-form target outside OPTIONS";
  if (target.front() == '/') return nullptr;
  // absolute-form. Only http and https mean anything to a reverse proxy,
  // and requiring them keeps `host:port` (which would also parse as a URI
  // with scheme "host") from passing as absolute-form.
  const std::size_t colon = target.find("://");
  const std::string_view scheme = target.substr(0, colon);
  if (colon == std::string_view::npos || (!http_token_equal(scheme, "http") && !http_token_equal(scheme, "https"))) {
    return "malformed request target";
  }
  const std::string_view after = target.substr(colon + 3);
  *authority = after.substr(0, after.find_first_of("/?#"));
  *has_authority = true;
  // RFC 9110 4.2.4: userinfo in an http(s) URI is to be treated as an
  // error; it only serves to disguise the real host.
  if (authority->find('@') != std::string_view::npos) return "userinfo in the request target";
  // RFC 9110 4.2.1: an empty host is invalid in an http(s) URI.
  if (authority->empty() || !valid_host(*authority)) return "malformed authority in the request target";
  return nullptr;
}

}  // namespace

HttpParseResult parse_request_head(std::string_view bytes, const HttpLimits& limits, HttpRequestHead* out) {
  *out = HttpRequestHead{};
  std::size_t pos = 0;
  if (!http_internal::skip_leading_empty_lines(bytes, &pos)) {
    return HttpParseResult::fail(400, "empty lines before the request line");
  }

  std::string_view line;
  std::size_t next = 0;
  switch (http_internal::next_line(bytes, pos, &line, &next)) {
    case http_internal::LineStatus::incomplete:
      if (bytes.size() - pos > limits.max_request_line) return HttpParseResult::fail(414, "request line too long");
      return HttpParseResult::need_more();
    case http_internal::LineStatus::bare_cr:
      return HttpParseResult::fail(400, "bare CR in the request line");
    case http_internal::LineStatus::ok:
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
  if (!http_internal::is_token(out->method)) return HttpParseResult::fail(400, "method is not a token");
  if (out->target.empty() || !std::all_of(out->target.begin(), out->target.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f;
      })) {
    return HttpParseResult::fail(400, "malformed request target");
  }
  uint8_t major = 0;
  uint8_t minor = 0;
  if (!http_internal::parse_http_version(version, &major, &minor)) {
    return HttpParseResult::fail(400, "malformed HTTP version");
  }
  if (major != 1) return HttpParseResult::fail(505, "HTTP version not supported");
  // HTTP/1.2 and later minors keep 1.1's syntax (RFC 9110 2.5), so they are
  // read, and forwarded, as HTTP/1.1.
  out->version_minor = minor == 0 ? 0 : 1;
  std::string_view authority;
  bool has_authority = false;
  if (const char* reason = check_target(out->method, out->target, &authority, &has_authority)) {
    return HttpParseResult::fail(400, reason);
  }

  FieldSummary summary;
  summary.version_minor = out->version_minor;
  const FieldBlockResult block =
      http_internal::parse_field_block(bytes, next, limits, out->fields.data(), &out->field_count, &summary);
  if (block.kind == FieldBlockResult::Kind::incomplete) return HttpParseResult::need_more();
  if (block.kind == FieldBlockResult::Kind::error) {
    return HttpParseResult::fail(block.over_limit ? 431 : 400, block.reason);
  }

  // Without a final chunked the body's end cannot be known (RFC 9112 6.3):
  // that is checked before whether dplb knows the other codings.
  if (summary.have_te && !summary.last_coding_chunked) {
    return HttpParseResult::fail(400, "chunked is not the final transfer coding");
  }
  if (summary.unknown_coding) return HttpParseResult::fail(501, "unknown transfer coding");
  if (summary.have_te && summary.have_length) {
    return HttpParseResult::fail(400, "both Content-Length and Transfer-Encoding");
  }
  // RFC 9112 3.2: more than one Host is an error whatever the version.
  if (summary.hosts > 1) return HttpParseResult::fail(400, "several Host fields");
  if (out->version_minor == 1 && summary.hosts == 0) return HttpParseResult::fail(400, "missing Host");
  if (summary.hosts == 1 && !valid_host(summary.host)) return HttpParseResult::fail(400, "malformed Host");
  if (has_authority && summary.hosts == 1 && !http_token_equal(summary.host, authority)) {
    return HttpParseResult::fail(400, "Host does not match the target's authority");
  }
  out->host = summary.hosts == 1 ? summary.host : authority;
  out->chunked = summary.have_te;
  if (summary.have_length) out->content_length = summary.length;
  // close wins over keep-alive whatever their order; HTTP/1.0 persists only on request.
  out->keep_alive = !summary.connection_close && (out->version_minor == 1 || summary.connection_keep_alive);
  // RFC 9110 7.8: Upgrade in an HTTP/1.0 request is to be ignored.
  out->upgrade = out->version_minor == 1 && summary.connection_upgrade && summary.have_upgrade_field;
  out->expect_continue = summary.expect_continue;
  return HttpParseResult::done(block.end);
}

}  // namespace dplb::dataplane
