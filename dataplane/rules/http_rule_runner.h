#pragma once

// Runs compiled HTTP rules on one worker: conditions against the message,
// header and path rewrites applied to the parsed head in place (new values
// live in the runner's arena until the head is written out), and the final
// actions (redirect, deny, return) handed back for the proxy to answer.
// One per worker; nothing here allocates.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/base/counter.h"
#include "dataplane/http/http_request_head.h"
#include "dataplane/http/http_response_head.h"
#include "dataplane/rules/http_rule.h"

namespace dplb::rules {

struct RuleVerdict {
  enum class Kind : uint8_t {
    pass,            // every rule ran; forward the message
    redirect,        // answer `location` with rule->code
    deny,            // answer rule->status (the rule's body, or the error page)
    return_response, // answer the rule's response
    rewrite_failed,  // a rewrite did not fit: HAProxy's strict mode answers 500
  };
  Kind kind = Kind::pass;
  const HttpRule* rule = nullptr;
  std::string_view location;  // redirect: in the runner's arena
};

class HttpRuleRunner {
 public:
  static constexpr std::size_t kArenaBytes = 16384;

  // A new message: values written for the previous one are forgotten.
  void begin() { used_ = 0; }

  // Runs `set`'s request rules in order, hit counters at hits[0..]. Sets
  // *disable_l7_retry when such a rule applies. `facts` must describe
  // `head` (its fields and target); it is kept in step with the rewrites.
  RuleVerdict run_request(const HttpRuleSet& set, dataplane::Counter* hits, dataplane::HttpRequestHead& head,
                          MessageFacts& facts, const FormatContext& format, bool* disable_l7_retry);
  // The response rules (hit counters at hits[set.response_base()..]).
  RuleVerdict run_response(const HttpRuleSet& set, dataplane::Counter* hits, dataplane::HttpResponseHead& head,
                           MessageFacts& facts, const FormatContext& format);
  // The first use_backend rule that applies: its backend, or -1.
  int choose_backend(const HttpRuleSet& set, dataplane::Counter* hits, const MessageFacts& facts);

  RegexScratch& scratch() { return scratch_; }
  std::size_t arena_used() const { return used_; }

 private:
  template <class Head>
  bool apply_header_action(const HttpRule& rule, Head& head, MessageFacts& facts, const FormatContext& format);
  bool rewrite_target(const HttpRule& rule, dataplane::HttpRequestHead& head, MessageFacts& facts,
                      const FormatContext& format);
  bool build_location(const HttpRule& rule, const MessageFacts& facts, const FormatContext& format,
                      std::string_view* out);
  // The rendering of `f`, placed in the arena; false when it is full.
  bool render(const LogFormat& f, const FormatContext& format, std::string_view* out);
  bool append(std::string_view s);
  bool replace_value(const HttpRule& rule, std::string_view value, const FormatContext& format,
                     std::string_view* out, bool* matched);

  RegexScratch scratch_;
  char arena_[kArenaBytes];
  std::size_t used_ = 0;
};

}  // namespace dplb::rules
