#pragma once

// Values of rule actions written in a small subset of HAProxy's log-format
// (documented in docs/config.md): literal text, `%%`, the variables %ci %cp
// %fi %fp %f %b %Ts %ms, and `%[fetch]` / `%[fetch(name)]` with any fetch an
// ACL can use (the first sample). Compiled by the control plane into parts;
// a worker renders one into a buffer it owns, without allocating.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/rules/acl_fetch.h"
#include "dataplane/rules/acl_table.h"

namespace dplb::rules {

enum class FormatVariable : uint8_t {
  literal,
  client_ip,       // %ci
  client_port,     // %cp
  frontend_ip,     // %fi
  frontend_port,   // %fp
  frontend_name,   // %f
  backend_name,    // %b
  unix_seconds,    // %Ts
  milliseconds,    // %ms: the milliseconds of the current second, 3 digits
  sample,          // %[fetch]
};

struct FormatPart {
  FormatVariable variable = FormatVariable::literal;
  std::string text;      // literal text
  Fetch fetch = Fetch::always_true;
  SampleType type = SampleType::string;
  std::string argument;  // the fetch's (name)
};

// What a rendering can refer to beyond the message.
struct FormatContext {
  const MessageFacts* facts = nullptr;
  std::string_view frontend_name;
  std::string_view backend_name;
  uint64_t unix_us = 0;
};

class LogFormat {
 public:
  // Compiles `text` for a rule in `context`; a mistake's column is 1-based.
  static std::optional<RuleError> compile(std::string_view text, RuleContext context, LogFormat* out);

  // Appends the rendering at out[0..capacity); returns its length, or
  // SIZE_MAX when it does not fit.
  std::size_t render(const FormatContext& c, char* out, std::size_t capacity) const;

  bool constant() const { return parts_.size() <= 1 && (parts_.empty() || parts_[0].variable == FormatVariable::literal); }
  const std::string& text() const { return text_; }

 private:
  std::vector<FormatPart> parts_;
  std::string text_;
};

}  // namespace dplb::rules
