// HAProxy-style conditions: an `acl a ...` definition and an `if ...`
// condition from the input (split at the first newline), compiled; a
// condition that compiles is evaluated against a request taken from the
// rest of the input, which must not crash or allocate out of bounds.
#include <string_view>
#include <vector>

#include "dataplane/rules/acl_table.h"
#include "tests/fuzz/fuzz_target.h"

using namespace dplb::rules;

DPLB_FUZZ_TARGET(acl_condition) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Pattern files (-f) are read when a rule compiles; arbitrary paths would
  // make the target read the machine's files.
  if (text.find("-f") != std::string_view::npos) return 0;
  const std::size_t nl = text.find('\n');
  const std::string_view definition = nl == std::string_view::npos ? std::string_view() : text.substr(0, nl);
  const std::string_view rest = nl == std::string_view::npos ? text : text.substr(nl + 1);
  const std::size_t nl2 = rest.find('\n');
  const std::string_view condition = rest.substr(0, nl2);
  const std::string_view message = nl2 == std::string_view::npos ? std::string_view() : rest.substr(nl2 + 1);
  AclTable table;
  if (!definition.empty() && table.define("a", definition)) return 0;
  Condition c;
  const RuleContext context = (size & 1) ? RuleContext::response : RuleContext::request;
  if (table.compile(condition, (size & 2) != 0, context, &c)) return 0;
  // A message from the rest: the method, the target, then header lines.
  std::vector<dplb::dataplane::HttpHeaderField> fields;
  std::string_view lines = message;
  std::string_view method = "GET", target = "/";
  for (int i = 0; !lines.empty() && fields.size() < 16; ++i) {
    const std::size_t end = lines.find('\n');
    const std::string_view line = lines.substr(0, end);
    lines = end == std::string_view::npos ? std::string_view() : lines.substr(end + 1);
    if (i == 0) {
      method = line;
    } else if (i == 1) {
      target = line;
    } else {
      const std::size_t colon = line.find(':');
      fields.push_back({line.substr(0, colon), colon == std::string_view::npos ? "" : line.substr(colon + 1)});
    }
  }
  MessageFacts m;
  m.method = method;
  m.target = target;
  m.fields = fields.data();
  m.field_count = fields.size();
  m.src = 0x7f000001;
  m.dst = 0x0a000001;
  m.dst_port = 80;
  m.status = context == RuleContext::response ? 503 : 0;
  RegexScratch scratch;
  (void)table.evaluate(c, m, scratch);
  return 0;
}
