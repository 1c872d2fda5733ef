// Parse, rewrite for the server, parse again: what dplb writes must be a
// head it accepts itself, with the same method, target, version and
// framing (a rewrite that changed them would be a smuggling vector).
#include <memory>
#include <string>
#include <string_view>

#include "dataplane/http/http_head_parser.h"
#include "dataplane/http/http_head_writer.h"
#include "tests/fuzz/fuzz_target.h"

using namespace dplb::dataplane;

DPLB_FUZZ_TARGET(http_head_round_trip) {
  if (size == 0) return 0;
  static auto first = std::make_unique<HttpRequestHead>();
  static auto second = std::make_unique<HttpRequestHead>();
  static auto out = std::make_unique<char[]>(65536);
  RequestRewrite rewrite;
  rewrite.keep_alive = (data[0] & 1) != 0;
  rewrite.forwardfor = (data[0] & 2) != 0;
  rewrite.tls = (data[0] & 4) != 0;
  rewrite.client_address = 0x0a000001;
  rewrite.frontend_port = 443;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const HttpParseResult r = parse_request_head(bytes, HttpLimits{}, first.get());
  if (r.kind != HttpParseResult::Kind::complete) return 0;
  const std::size_t n = write_request_head(*first, rewrite, out.get(), 65536);
  if (n == 0) return 0;  // too large once rewritten: refused with a 400
  HttpLimits roomy;
  roomy.max_head = 65536;
  roomy.max_fields = kMaxHttpFields;  // the rewrite adds a few (X-Forwarded-*)
  const HttpParseResult again = parse_request_head(std::string_view(out.get(), n), roomy, second.get());
  FUZZ_CHECK(again.kind == HttpParseResult::Kind::complete);
  FUZZ_CHECK(again.head_length == n);
  FUZZ_CHECK(first->method == second->method);
  FUZZ_CHECK(first->target == second->target);
  FUZZ_CHECK(second->version_minor == 1 || first->version_minor == second->version_minor);
  FUZZ_CHECK(first->chunked == second->chunked);
  FUZZ_CHECK(first->content_length == second->content_length);
  return 0;
}
