// Checking and compiling each frontend's and backend's HTTP rules once the
// whole file is read (use_backend needs every backend's name): which keys
// go with which action, then the rule compiler, whose mistakes are placed
// at the column of the condition or value they are about.

#include "conf/config_rules.h"

#include <set>

#include "conf/did_you_mean.h"

namespace dplb::conf {
namespace {

SourcePosition at(const KeyPositions& positions, const std::string& key, SourcePosition fallback) {
  auto it = positions.find(key);
  return it == positions.end() ? fallback : it->second;
}

// The column of character `column` (1-based) of a one-line TOML string that
// starts, with its quote, at `p`.
SourcePosition inside(SourcePosition p, std::size_t column) {
  if (p.line == 0) return p;
  return {p.line, static_cast<uint32_t>(p.column + column)};
}

struct ActionKeys {
  rules::HttpRuleAction action;
  std::set<std::string> keys;  // beyond action, if, unless
};

const std::vector<ActionKeys>& action_keys() {
  using A = rules::HttpRuleAction;
  static const std::vector<ActionKeys> table = {
      {A::redirect, {"scheme", "location", "prefix", "code", "drop_query"}},
      {A::deny, {"status", "content_type", "body", "file"}},
      {A::return_response, {"status", "content_type", "body", "file"}},
      {A::set_header, {"name", "value"}},
      {A::add_header, {"name", "value"}},
      {A::del_header, {"name"}},
      {A::replace_header, {"name", "match", "value"}},
      {A::set_path, {"value"}},
      {A::set_query, {"value"}},
      {A::disable_l7_retry, {}},
  };
  return table;
}

std::string key_list(const std::set<std::string>& keys) {
  if (keys.empty()) return "none";
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

// Keys that make no sense with the rule's action, and the ones it needs.
bool check_keys(const HttpRuleConfig& rule, const std::string& path, Diagnostics& d) {
  const char* action = rules::http_rule_action_name(rule.spec.action);
  const std::set<std::string>* allowed = nullptr;
  for (const auto& entry : action_keys()) {
    if (entry.action == rule.spec.action) allowed = &entry.keys;
  }
  bool good = true;
  for (const auto& [key, where] : rule.positions) {
    if (key == "action" || key == "if" || key == "unless" || allowed->count(key)) continue;
    d.error(where, path + "." + key + ": has no meaning for action '" + action + "' (its keys: " +
                       key_list(*allowed) + ")");
    good = false;
  }
  if (rule.positions.count("if") && rule.positions.count("unless")) {
    d.error(rule.positions.at("unless"), path + ": a rule has either if or unless, not both");
    good = false;
  }
  auto need = [&](const char* key) {
    if (rule.positions.count(key)) return;
    d.error(rule.where, path + ": action '" + std::string(action) + "' needs " + key);
    good = false;
  };
  switch (rule.spec.action) {
    case rules::HttpRuleAction::redirect: {
      int written = 0;
      for (const char* k : {"scheme", "location", "prefix"}) written += rule.positions.count(k) ? 1 : 0;
      if (written != 1) {
        d.error(rule.where, path + ": a redirect takes exactly one of scheme, location, prefix");
        good = false;
      }
      break;
    }
    case rules::HttpRuleAction::deny:
    case rules::HttpRuleAction::return_response:
      if (rule.positions.count("body") && rule.positions.count("file")) {
        d.error(rule.positions.at("file"), path + ": body and file are two ways to give the same thing; keep one");
        good = false;
      }
      break;
    case rules::HttpRuleAction::set_header:
    case rules::HttpRuleAction::add_header:
      need("name");
      need("value");
      break;
    case rules::HttpRuleAction::del_header:
      need("name");
      break;
    case rules::HttpRuleAction::replace_header:
      need("name");
      need("match");
      need("value");
      break;
    case rules::HttpRuleAction::set_path:
    case rules::HttpRuleAction::set_query:
      need("value");
      break;
    case rules::HttpRuleAction::disable_l7_retry:
      break;
  }
  return good;
}

std::string field_key(rules::RuleField field, const HttpRuleConfig& rule) {
  switch (field) {
    case rules::RuleField::condition: return rule.spec.unless ? "unless" : "if";
    case rules::RuleField::value: return "value";
    case rules::RuleField::redirect_to: return rules::redirect_kind_name(rule.spec.redirect);
    case rules::RuleField::match: return "match";
    case rules::RuleField::name: return "name";
    case rules::RuleField::status: return "status";
    case rules::RuleField::code: return "code";
    case rules::RuleField::action: return "action";
  }
  return "action";
}

void compile_list(const std::vector<HttpRuleConfig>& list, rules::RuleContext context, const std::string& path,
                  rules::HttpRuleSet& set, std::vector<rules::HttpRule>& out, Diagnostics& d) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    const HttpRuleConfig& rule = list[i];
    const std::string where = path + "[" + std::to_string(i) + "]";
    if (!rule.action_known || !check_keys(rule, where, d)) continue;
    rules::HttpRule compiled;
    if (auto e = rules::compile_http_rule(rule.spec, context, &set, &compiled)) {
      const std::string key = field_key(e->first, rule);
      const bool in_text = e->first == rules::RuleField::condition || e->first == rules::RuleField::value ||
                           e->first == rules::RuleField::redirect_to || e->first == rules::RuleField::match ||
                           e->first == rules::RuleField::name;
      const SourcePosition p = at(rule.positions, key, rule.where);
      d.error(in_text ? inside(p, e->second.column) : p,
              where + "." + key + ": " + e->second.message +
                  (in_text && e->first != rules::RuleField::name ? " (column " + std::to_string(e->second.column) +
                                                                       " of the text)"
                                                                 : ""));
      continue;
    }
    out.push_back(std::move(compiled));
  }
}

template <class Proxy>
std::shared_ptr<rules::HttpRuleSet> compile_common(const Proxy& proxy, const std::string& section, Diagnostics& d,
                                                   bool* good) {
  auto set = std::make_shared<rules::HttpRuleSet>();
  const std::size_t errors = d.error_count();
  for (const AclLine& line : proxy.rules.acls) {
    if (auto e = set->acls.define(line.name, line.text)) {
      // define() reports the name's column as 0 and the text's from 1.
      d.error(e->column == 0 ? line.where : inside(line.where, e->column),
              section + ".acl." + line.name + ": " + e->message);
    }
  }
  compile_list(proxy.rules.http_request, rules::RuleContext::request, section + ".http_request", *set, set->request,
               d);
  compile_list(proxy.rules.http_response, rules::RuleContext::response, section + ".http_response", *set,
               set->response, d);
  *good = d.error_count() == errors;
  return set;
}

}  // namespace

void compile_http_rules(Config& config, Diagnostics& d) {
  std::vector<std::string> backend_names;
  for (const auto& b : config.backends) backend_names.push_back(b.name);
  for (auto& b : config.backends) {
    bool good = false;
    auto set = compile_common(b, "backend", d, &good);
    if (good && !set->empty()) b.rules.compiled = std::move(set);
  }
  for (auto& f : config.frontends) {
    bool good = false;
    auto set = compile_common(f, "frontend", d, &good);
    const std::size_t errors = d.error_count();
    for (std::size_t i = 0; i < f.use_backend.size(); ++i) {
      const UseBackendConfig& u = f.use_backend[i];
      const std::string where = "frontend.use_backend[" + std::to_string(i) + "]";
      rules::UseBackendSpec spec{u.backend, 0, u.condition, u.unless};
      bool found = false;
      for (std::size_t b = 0; b < backend_names.size(); ++b) {
        if (backend_names[b] == u.backend) {
          spec.backend_index = static_cast<uint32_t>(b);
          found = true;
        }
      }
      if (!found) {
        std::string message = where + ".backend: no [[backend]] is named '" + u.backend + "'";
        auto close = close_matches(u.backend, backend_names, 1);
        if (!close.empty()) message += "; did you mean '" + close.front() + "'?";
        d.error(at(u.positions, "backend", u.where), message);
        continue;
      }
      rules::UseBackendRule rule;
      if (auto e = rules::compile_use_backend(spec, set.get(), &rule)) {
        const std::string key = u.unless ? "unless" : "if";
        d.error(inside(at(u.positions, key, u.where), e->column),
                where + "." + key + ": " + e->message + " (column " + std::to_string(e->column) + " of the text)");
        continue;
      }
      set->use_backend.push_back(std::move(rule));
    }
    good = good && d.error_count() == errors;
    if (good && !set->empty()) f.rules.compiled = std::move(set);
  }
}

}  // namespace dplb::conf
