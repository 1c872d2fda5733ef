#pragma once

// A frontend's or backend's HTTP rules, compiled: HAProxy's `http-request`,
// `http-response` and `use_backend` lines with their conditions. The
// control plane compiles a set once, when the configuration loads, and
// every snapshot version shares it read-only; workers run it with
// HttpRuleRunner, without allocating.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/rules/acl_table.h"
#include "dataplane/rules/log_format.h"

namespace dplb::rules {

enum class HttpRuleAction : uint8_t {
  redirect,
  deny,
  return_response,  // `return`
  set_header,
  add_header,
  del_header,
  replace_header,
  set_path,
  set_query,
  disable_l7_retry,
};

const char* http_rule_action_name(HttpRuleAction a);
std::optional<HttpRuleAction> http_rule_action_named(std::string_view name);
// Whether the action ends the rule list (HAProxy's final actions).
inline bool final_action(HttpRuleAction a) {
  return a == HttpRuleAction::redirect || a == HttpRuleAction::deny || a == HttpRuleAction::return_response;
}

enum class RedirectKind : uint8_t { location, prefix, scheme };
const char* redirect_kind_name(RedirectKind k);

// One rule as the configuration wrote it (the compiler's input; conf fills
// it from TOML, a haproxy.cfg importer could fill it from a line).
struct HttpRuleSpec {
  HttpRuleAction action = HttpRuleAction::set_header;
  RedirectKind redirect = RedirectKind::location;
  std::string redirect_to;    // the location, prefix or scheme (log-format)
  uint16_t code = 302;        // redirect
  bool drop_query = false;    // redirect prefix/scheme: leave the query string out
  uint16_t status = 0;        // deny (403), return (200); http_response deny: 502
  std::string content_type;   // deny/return with a body
  std::string body;           // deny/return: the body (a file's contents were read by the loader)
  bool has_body = false;
  std::string name;           // header actions
  std::string value;          // set/add-header, replace-header's replacement, set-path, set-query (log-format)
  std::string match;          // replace-header: the regex
  std::string condition;      // `if` or `unless` text; "" for none
  bool unless = false;
};

struct UseBackendSpec {
  std::string backend;
  uint32_t backend_index = 0;  // resolved by the caller
  std::string condition;
  bool unless = false;
};

struct HttpRule {
  HttpRuleAction action = HttpRuleAction::set_header;
  Condition condition;
  RedirectKind redirect = RedirectKind::location;
  LogFormat redirect_to;
  uint16_t code = 302;
  bool drop_query = false;
  uint16_t status = 0;
  // deny/return with a body, or return without one: the response, built
  // once; `head` ends before the blank line so the worker can add the
  // Connection field it needs. Empty for a deny that sends the frontend's
  // error page (errorfile or built-in) for `status`.
  std::string head;
  std::string body;
  std::string name;  // as written; compared case-insensitively
  LogFormat value;
  std::unique_ptr<CompiledRegex> match;
  std::string text;  // the rule in HAProxy's words, for show rules
};

struct UseBackendRule {
  uint32_t backend = 0;
  std::string backend_name;
  Condition condition;
  std::string text;
};

// Which part of a spec a compile error is about, so the configuration
// loader can point at the right key.
enum class RuleField : uint8_t { action, condition, value, redirect_to, match, name, status, code };

struct RuleSetError {
  std::size_t index = 0;  // of the rule in its list
  RuleField field = RuleField::condition;
  RuleError error;
};

struct HttpRuleSet {
  AclTable acls;
  std::vector<HttpRule> request;
  std::vector<HttpRule> response;
  std::vector<UseBackendRule> use_backend;

  // Hit counters are per worker, indexed: request rules, then response
  // rules, then use_backend rules.
  std::size_t rule_count() const { return request.size() + response.size() + use_backend.size(); }
  std::size_t response_base() const { return request.size(); }
  std::size_t use_backend_base() const { return request.size() + response.size(); }
  bool empty() const { return rule_count() == 0; }
};

// Compiles one rule of `context`'s list into `set`; on a mistake, says
// which field and where.
std::optional<std::pair<RuleField, RuleError>> compile_http_rule(const HttpRuleSpec& spec, RuleContext context,
                                                                 HttpRuleSet* set, HttpRule* out);
std::optional<RuleError> compile_use_backend(const UseBackendSpec& spec, HttpRuleSet* set, UseBackendRule* out);

}  // namespace dplb::rules
