// The request head parser on arbitrary bytes: it accepts, asks for more or
// refuses, never reads past the input, and a head it accepts is one whose
// parts lie inside the input.
#include <memory>
#include <string_view>

#include "dataplane/http/http_head_parser.h"
#include "tests/fuzz/fuzz_target.h"

using namespace dplb::dataplane;

namespace {
bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}
}  // namespace

DPLB_FUZZ_TARGET(http_request_head) {
  static auto head = std::make_unique<HttpRequestHead>();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const HttpParseResult r = parse_request_head(bytes, HttpLimits{}, head.get());
  if (r.kind == HttpParseResult::Kind::complete) {
    FUZZ_CHECK(r.head_length > 0 && r.head_length <= size);
    FUZZ_CHECK(head->field_count <= kMaxHttpFields);
    FUZZ_CHECK(inside(head->method, bytes) && inside(head->target, bytes));
    for (std::size_t i = 0; i < head->field_count; ++i) {
      FUZZ_CHECK(inside(head->fields[i].name, bytes) && inside(head->fields[i].value, bytes));
    }
    FUZZ_CHECK(!(head->chunked && head->content_length));  // never two framings
  } else if (r.kind == HttpParseResult::Kind::error) {
    FUZZ_CHECK(r.status >= 400 && r.status < 600);
  }
  return 0;
}
