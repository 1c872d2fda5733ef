#include "dataplane/http/http_response_head.h"

#include <algorithm>

#include "dataplane/http/http_field_parser.h"

namespace dplb::dataplane {

namespace {

using http_internal::FieldBlockResult;
using http_internal::FieldSummary;

// Every error in a response head is the server's fault: the client gets 502.
HttpParseResult bad(const char* reason) { return HttpParseResult::fail(502, reason); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

HttpParseResult parse_response_head(std::string_view bytes, const HttpLimits& limits,
                                    const HttpResponseContext& context, HttpResponseHead* out) {
  *out = HttpResponseHead{};
  std::size_t pos = 0;
  // Some servers send a stray CRLF after a body; as harmless before a
  // status line as before a request line (RFC 9112 2.2).
  if (!http_internal::skip_leading_empty_lines(bytes, &pos)) return bad("empty lines before the status line");

  std::string_view line;
  std::size_t next = 0;
  switch (http_internal::next_line(bytes, pos, &line, &next)) {
    case http_internal::LineStatus::incomplete:
      if (bytes.size() - pos > limits.max_request_line) return bad("status line too long");
      return HttpParseResult::need_more();
    case http_internal::LineStatus::bare_cr:
      return bad("bare CR in the status line");
    case http_internal::LineStatus::ok:
      break;
  }
  if (line.size() > limits.max_request_line) return bad("status line too long");

  // HTTP-version SP 3DIGIT SP [ reason-phrase ] (RFC 9112 4). The SP before
  // an empty reason is often left out; accepting that is safe because the
  // line's end is not in doubt.
  uint8_t major = 0;
  uint8_t minor = 0;
  if (line.size() < 12 || !http_internal::parse_http_version(line.substr(0, 8), &major, &minor) || line[8] != ' ') {
    return bad("malformed status line");
  }
  if (major != 1) return bad("HTTP version not supported");
  const std::string_view code = line.substr(9, 3);
  if (!std::all_of(code.begin(), code.end(), is_digit) || (line.size() > 12 && line[12] != ' ')) {
    return bad("malformed status code");
  }
  out->status = static_cast<uint16_t>((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
  // RFC 9110 15: codes outside 100..599 are invalid.
  if (out->status < 100 || out->status > 599) return bad("status code out of range");
  out->reason = line.size() > 12 ? line.substr(13) : std::string_view{};
  if (!http_internal::valid_field_value(out->reason)) return bad("control character in the reason phrase");
  out->version_minor = minor == 0 ? 0 : 1;

  FieldSummary summary;
  summary.version_minor = out->version_minor;
  const FieldBlockResult block =
      http_internal::parse_field_block(bytes, next, limits, out->fields.data(), &out->field_count, &summary);
  if (block.kind == FieldBlockResult::Kind::incomplete) return HttpParseResult::need_more();
  if (block.kind == FieldBlockResult::Kind::error) return bad(block.reason);

  // A server must not send both (RFC 9112 6.2). RFC 9112 6.3 would let
  // Transfer-Encoding win, but the client behind dplb may pick the other
  // one; since the fields are forwarded as received, refusing is the only
  // choice that cannot leave the two ends reading different messages.
  // Checked even where the framing is moot (HEAD, 304): such a server is
  // broken and its next response is not to be trusted either.
  if (summary.have_te && summary.have_length) return bad("both Content-Length and Transfer-Encoding");

  out->keep_alive = !summary.connection_close && (out->version_minor == 1 || summary.connection_keep_alive);

  // RFC 9112 6.3, in its order.
  if (out->status == 101) {
    // The bytes after the head belong to another protocol: without an
    // Upgrade field saying which, there is nothing sensible to relay.
    if (!summary.have_upgrade_field) return bad("101 without Upgrade");
    out->no_body = true;
    out->upgrade = true;
    out->keep_alive = false;  // the connection becomes a tunnel, never an HTTP connection again
  } else if (context.request_was_head || out->status < 200 || out->status == 204 || out->status == 304) {
    out->no_body = true;
  } else if (summary.have_te) {
    if (summary.last_coding_chunked) {
      out->chunked = true;
    } else {
      out->until_close = true;
    }
  } else if (summary.have_length) {
    out->content_length = summary.length;
  } else {
    out->until_close = true;
  }
  if (out->until_close) out->keep_alive = false;
  return HttpParseResult::done(block.end);
}

}  // namespace dplb::dataplane
