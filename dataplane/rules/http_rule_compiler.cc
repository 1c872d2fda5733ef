// Compiling HTTP rules (HAProxy's http-request / http-response / use_backend
// lines) into an HttpRuleSet: conditions through the set's AclTable, values
// as log-format, replace-header's regex by PCRE2, and deny/return answers
// built once.

#include <array>

#include "conf/did_you_mean.h"
#include "dataplane/http/http_error_page.h"
#include "dataplane/rules/http_rule.h"

namespace dplb::rules {
namespace {

struct ActionName {
  const char* name;
  HttpRuleAction action;
};

constexpr std::array<ActionName, 10> kActions{{
    {"redirect", HttpRuleAction::redirect},
    {"deny", HttpRuleAction::deny},
    {"return", HttpRuleAction::return_response},
    {"set-header", HttpRuleAction::set_header},
    {"add-header", HttpRuleAction::add_header},
    {"del-header", HttpRuleAction::del_header},
    {"replace-header", HttpRuleAction::replace_header},
    {"set-path", HttpRuleAction::set_path},
    {"set-query", HttpRuleAction::set_query},
    {"disable-l7-retry", HttpRuleAction::disable_l7_retry},
}};

bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}

// Fields whose meaning dplb manages itself: bodies are forwarded as the
// client or server framed them, so a rule changing the framing fields
// would desynchronise the next hop (request smuggling); the hop-by-hop
// fields are rewritten by the head writer for each hop anyway.
bool managed_field(std::string_view name) {
  const std::string n = lowercase(name);
  for (const char* m : {"content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection", "te",
                        "upgrade", "trailer"}) {
    if (n == m) return true;
  }
  return false;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string condition_suffix(const HttpRuleSpec& spec) {
  if (spec.condition.empty()) return "";
  return std::string(spec.unless ? " unless " : " if ") + spec.condition;
}

std::string build_head(uint16_t status, std::string_view content_type, std::size_t body_length) {
  std::string_view reason = dataplane::http_reason_phrase(status);
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason.empty() ? "Unknown" : reason) +
                     "\r\ncontent-length: " + std::to_string(body_length) + "\r\n";
  if (!content_type.empty()) head += "content-type: " + std::string(content_type) + "\r\n";
  head += "cache-control: no-cache\r\n";
  return head;
}

using Failure = std::optional<std::pair<RuleField, RuleError>>;

Failure fail(RuleField field, std::string message, std::size_t column = 1) {
  return std::make_pair(field, RuleError{column, std::move(message)});
}

Failure check_header_name(const HttpRuleSpec& spec) {
  if (spec.name.empty()) return fail(RuleField::name, "a header action needs the field's name");
  for (std::size_t i = 0; i < spec.name.size(); ++i) {
    if (!token_char(spec.name[i])) {
      return fail(RuleField::name, "'" + spec.name + "' is not a valid field name (RFC 9110 5.1)", i + 1);
    }
  }
  if (managed_field(spec.name)) {
    return fail(RuleField::name, "'" + spec.name + "' is managed by dplb (framing and hop-by-hop fields); a rule "
                                 "may not change it");
  }
  return std::nullopt;
}

}  // namespace

const char* http_rule_action_name(HttpRuleAction a) {
  for (const auto& n : kActions) {
    if (n.action == a) return n.name;
  }
  return "?";
}

std::optional<HttpRuleAction> http_rule_action_named(std::string_view name) {
  for (const auto& n : kActions) {
    if (name == n.name) return n.action;
  }
  return std::nullopt;
}

const char* redirect_kind_name(RedirectKind k) {
  switch (k) {
    case RedirectKind::location: return "location";
    case RedirectKind::prefix: return "prefix";
    case RedirectKind::scheme: return "scheme";
  }
  return "?";
}

std::optional<std::pair<RuleField, RuleError>> compile_http_rule(const HttpRuleSpec& spec, RuleContext context,
                                                                 HttpRuleSet* set, HttpRule* out) {
  const bool response = context == RuleContext::response;
  out->action = spec.action;
  const char* action = http_rule_action_name(spec.action);
  switch (spec.action) {
    case HttpRuleAction::redirect: {
      if (response && spec.redirect != RedirectKind::location) {
        return fail(RuleField::redirect_to, "a response rule can only redirect to a location (HAProxy's "
                                            "http-response redirect)");
      }
      if (spec.redirect_to.empty()) {
        return fail(RuleField::redirect_to, std::string("redirect ") + redirect_kind_name(spec.redirect) +
                                                " needs a value");
      }
      if (spec.code != 301 && spec.code != 302 && spec.code != 303 && spec.code != 307 && spec.code != 308) {
        return fail(RuleField::code, "redirect code " + std::to_string(spec.code) +
                                         " is not one of 301, 302, 303, 307, 308");
      }
      if (spec.redirect == RedirectKind::scheme) {
        for (std::size_t i = 0; i < spec.redirect_to.size(); ++i) {
          const char c = spec.redirect_to[i];
          const bool ok = std::isalpha(static_cast<unsigned char>(c)) ||
                          (i > 0 && (std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.'));
          if (!ok && c != '%') {
            return fail(RuleField::redirect_to, "'" + spec.redirect_to + "' is not a URI scheme (RFC 3986 3.1)",
                        i + 1);
          }
        }
      }
      if (auto e = LogFormat::compile(spec.redirect_to, context, &out->redirect_to)) {
        return std::make_pair(RuleField::redirect_to, *e);
      }
      out->redirect = spec.redirect;
      out->code = spec.code;
      out->drop_query = spec.drop_query;
      out->text = std::string("redirect ") + redirect_kind_name(spec.redirect) + " " + spec.redirect_to + " code " +
                  std::to_string(spec.code) + (spec.drop_query ? " drop-query" : "");
      break;
    }
    case HttpRuleAction::deny:
    case HttpRuleAction::return_response: {
      const bool deny = spec.action == HttpRuleAction::deny;
      const uint16_t status = spec.status != 0 ? spec.status : deny ? (response ? 502 : 403) : 200;
      if (status < 200 || status > 599) {
        return fail(RuleField::status, std::string(action) + " status " + std::to_string(status) +
                                           " is outside 200..599");
      }
      if (spec.has_body && spec.content_type.empty()) {
        return fail(RuleField::action, std::string(action) + " with a body needs content_type, as in HAProxy");
      }
      if (!spec.has_body && !spec.content_type.empty()) {
        return fail(RuleField::action, std::string(action) + ": content_type without a body (body or file)");
      }
      out->status = status;
      if (spec.has_body || !deny) {
        out->head = build_head(status, spec.content_type, spec.body.size());
        out->body = spec.body;
      }
      out->text = std::string(action) + (deny ? " deny_status " : " status ") + std::to_string(status);
      if (spec.has_body) out->text += " content-type " + quoted(spec.content_type) + " (" +
                                      std::to_string(spec.body.size()) + " bytes)";
      break;
    }
    case HttpRuleAction::set_header:
    case HttpRuleAction::add_header:
    case HttpRuleAction::del_header:
    case HttpRuleAction::replace_header: {
      if (auto e = check_header_name(spec)) return e;
      out->name = spec.name;
      out->text = std::string(action) + " " + spec.name;
      if (spec.action == HttpRuleAction::replace_header) {
        if (spec.match.empty()) return fail(RuleField::match, "replace-header needs match (a regular expression)");
        std::string problem;
        std::size_t offset = 0;
        out->match = compile_regex(spec.match, false, &problem, &offset);
        if (out->match == nullptr) return fail(RuleField::match, problem, offset + 1);
        out->text += " " + quoted(spec.match);
      }
      if (spec.action != HttpRuleAction::del_header) {
        if (auto e = LogFormat::compile(spec.value, context, &out->value)) {
          return std::make_pair(RuleField::value, *e);
        }
        out->text += " " + quoted(spec.value);
      }
      break;
    }
    case HttpRuleAction::set_path:
    case HttpRuleAction::set_query:
    case HttpRuleAction::disable_l7_retry:
      if (response) {
        return fail(RuleField::action, std::string("'") + action + "' acts on the request; it has no meaning in an "
                                       "http_response rule");
      }
      out->text = action;
      if (spec.action != HttpRuleAction::disable_l7_retry) {
        if (spec.action == HttpRuleAction::set_path && spec.value.empty()) {
          return fail(RuleField::value, "set-path needs a value (the new path)");
        }
        if (auto e = LogFormat::compile(spec.value, context, &out->value)) {
          return std::make_pair(RuleField::value, *e);
        }
        if (spec.action == HttpRuleAction::set_path && out->value.constant() && spec.value.front() != '/') {
          return fail(RuleField::value, "a path must start with '/'");
        }
        out->text += " " + quoted(spec.value);
      }
      break;
  }
  if (!spec.condition.empty()) {
    if (auto e = set->acls.compile(spec.condition, spec.unless, context, &out->condition)) {
      return std::make_pair(RuleField::condition, *e);
    }
  }
  out->text += condition_suffix(spec);
  return std::nullopt;
}

std::optional<RuleError> compile_use_backend(const UseBackendSpec& spec, HttpRuleSet* set, UseBackendRule* out) {
  out->backend = spec.backend_index;
  out->backend_name = spec.backend;
  if (!spec.condition.empty()) {
    if (auto e = set->acls.compile(spec.condition, spec.unless, RuleContext::request, &out->condition)) return e;
  }
  out->text = "use_backend " + spec.backend +
              (spec.condition.empty() ? "" : std::string(spec.unless ? " unless " : " if ") + spec.condition);
  return std::nullopt;
}

}  // namespace dplb::rules
