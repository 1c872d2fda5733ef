// The response head parser on arbitrary bytes; the first byte says whether
// the request was a HEAD (which changes the framing a response may have).
#include <memory>
#include <string_view>

#include "dataplane/http/http_response_head.h"
#include "tests/fuzz/fuzz_target.h"

using namespace dplb::dataplane;

DPLB_FUZZ_TARGET(http_response_head) {
  if (size == 0) return 0;
  static auto head = std::make_unique<HttpResponseHead>();
  HttpResponseContext context;
  context.request_was_head = (data[0] & 1) != 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const HttpParseResult r = parse_response_head(bytes, HttpLimits{}, context, head.get());
  if (r.kind == HttpParseResult::Kind::complete) {
    FUZZ_CHECK(r.head_length > 0 && r.head_length <= bytes.size());
    FUZZ_CHECK(head->status >= 100 && head->status <= 599);
    FUZZ_CHECK(head->field_count <= kMaxHttpFields);
  }
  return 0;
}
