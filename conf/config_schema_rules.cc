// The HTTP rule keys of [[frontend]] and [[backend]]: `acl`,
// [[frontend.http_request]], [[frontend.http_response]],
// [[frontend.use_backend]] (and the backend's request and response lists).
// Each key is decoded here; which keys go with which action, and the
// conditions and values themselves, are checked by config_rules.cc once
// the whole file is read.

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "conf/config_sections.h"
#include "conf/error_file.h"

namespace dplb::conf {
namespace {

std::string convert_action(const std::string& text, rules::HttpRuleAction& out) {
  if (auto a = rules::http_rule_action_named(text)) {
    out = *a;
    return "";
  }
  std::vector<std::string> names;
  for (auto a : {rules::HttpRuleAction::redirect, rules::HttpRuleAction::deny, rules::HttpRuleAction::return_response,
                 rules::HttpRuleAction::set_header, rules::HttpRuleAction::add_header,
                 rules::HttpRuleAction::del_header, rules::HttpRuleAction::replace_header,
                 rules::HttpRuleAction::set_path, rules::HttpRuleAction::set_query,
                 rules::HttpRuleAction::disable_l7_retry}) {
    names.emplace_back(rules::http_rule_action_name(a));
  }
  std::string why = "unknown action '" + text + "'";
  auto close = close_matches(text, names, 1);
  if (!close.empty()) return why + "; did you mean '" + close.front() + "'?";
  why += "; the actions are ";
  for (std::size_t i = 0; i < names.size(); ++i) why += (i ? ", " : "") + names[i];
  return why;
}

template <class Member>
FieldSpec<HttpRuleConfig> spec_string(Member rules::HttpRuleSpec::*member, std::string range) {
  return {"string", std::move(range),
          [=](const toml::node& node, const std::string& path, HttpRuleConfig& out, Diagnostics& d) {
            const auto* value = node.as_string();
            if (value == nullptr) return report_type(d, node, path, "a string");
            out.spec.*member = value->get();
          },
          {}};
}

FieldSpec<HttpRuleConfig> redirect_target(rules::RedirectKind kind, std::string range) {
  return {"string", std::move(range),
          [=](const toml::node& node, const std::string& path, HttpRuleConfig& out, Diagnostics& d) {
            const auto* value = node.as_string();
            if (value == nullptr) return report_type(d, node, path, "a string");
            out.spec.redirect = kind;
            out.spec.redirect_to = value->get();
          },
          {}};
}

FieldSpec<HttpRuleConfig> condition(bool unless) {
  return {"string", "a condition in HAProxy's ACL syntax",
          [=](const toml::node& node, const std::string& path, HttpRuleConfig& out, Diagnostics& d) {
            const auto* value = node.as_string();
            if (value == nullptr) return report_type(d, node, path, "a string (a condition, like \"METH_POST\")");
            out.spec.condition = value->get();
            out.spec.unless = unless;
          },
          {}};
}

FieldSpec<HttpRuleConfig> body_file() {
  return {"string", "an absolute path; at most " + std::to_string(kMaxErrorFileBytes) + " bytes",
          [](const toml::node& node, const std::string& path, HttpRuleConfig& out, Diagnostics& d) {
            const auto* value = node.as_string();
            if (value == nullptr) return report_type(d, node, path, "a string (the file's path)");
            const std::string& file = value->get();
            if (file.empty() || file.front() != '/') {
              d.error(position_of(node), path + ": '" + file + "' must be an absolute path");
              return;
            }
            std::ifstream in(file, std::ios::binary);
            if (!in) {
              d.error(position_of(node), path + ": cannot read '" + file + "': " + std::strerror(errno));
              return;
            }
            std::ostringstream content;
            content << in.rdbuf();
            if (content.str().size() > kMaxErrorFileBytes) {
              d.error(position_of(node), path + ": '" + file + "' has " + std::to_string(content.str().size()) +
                                             " bytes, above the " + std::to_string(kMaxErrorFileBytes) +
                                             " a local answer may have (HAProxy's bufsize)");
              return;
            }
            out.file = file;
            out.spec.body = content.str();
            out.spec.has_body = true;
          },
          {}};
}

TableSchema<HttpRuleConfig> http_rule_schema(const std::string& header, const std::string& path) {
  TableSchema<HttpRuleConfig> s(header, path);
  s.required("action", {"string",
                        "redirect, deny, return, set-header, add-header, del-header, replace-header, set-path, "
                        "set-query, disable-l7-retry",
                        [](const toml::node& node, const std::string& p, HttpRuleConfig& out, Diagnostics& d) {
                          const auto* value = node.as_string();
                          if (value == nullptr) return report_type(d, node, p, "a string");
                          std::string problem = convert_action(value->get(), out.spec.action);
                          if (!problem.empty()) return d.error(position_of(node), p + ": " + problem);
                          out.action_known = true;
                        },
                        {}})
      .optional("scheme", redirect_target(rules::RedirectKind::scheme, "redirect: a URI scheme, like \"https\""))
      .optional("location", redirect_target(rules::RedirectKind::location, "redirect: a URL (log-format)"))
      .optional("prefix", redirect_target(rules::RedirectKind::prefix, "redirect: a URL prefix (log-format)"))
      .optional("code", {"integer", "301, 302, 303, 307, 308",
                         [](const toml::node& node, const std::string& p, HttpRuleConfig& out, Diagnostics& d) {
                           const auto* value = node.as_integer();
                           if (value == nullptr) return report_type(d, node, p, "an integer");
                           if (value->get() < 300 || value->get() > 308) {
                             return report_range(d, node, p, value->get(), 301, 308);
                           }
                           out.spec.code = static_cast<uint16_t>(value->get());
                         },
                         {}})
      .optional("drop_query", {"boolean", "true, false",
                               [](const toml::node& node, const std::string& p, HttpRuleConfig& out,
                                  Diagnostics& d) {
                                 const auto* value = node.as_boolean();
                                 if (value == nullptr) return report_type(d, node, p, "a boolean");
                                 out.spec.drop_query = value->get();
                               },
                               {}})
      .optional("status", {"integer", "200..599",
                           [](const toml::node& node, const std::string& p, HttpRuleConfig& out, Diagnostics& d) {
                             const auto* value = node.as_integer();
                             if (value == nullptr) return report_type(d, node, p, "an integer");
                             if (value->get() < 200 || value->get() > 599) {
                               return report_range(d, node, p, value->get(), 200, 599);
                             }
                             out.spec.status = static_cast<uint16_t>(value->get());
                           },
                           {}})
      .optional("content_type", spec_string(&rules::HttpRuleSpec::content_type, "deny, return: the body's type"))
      .optional("body", {"string", "deny, return: the body",
                         [](const toml::node& node, const std::string& p, HttpRuleConfig& out, Diagnostics& d) {
                           const auto* value = node.as_string();
                           if (value == nullptr) return report_type(d, node, p, "a string");
                           out.spec.body = value->get();
                           out.spec.has_body = true;
                         },
                         {}})
      .optional("file", body_file())
      .optional("name", spec_string(&rules::HttpRuleSpec::name, "header actions: a field name"))
      .optional("value", spec_string(&rules::HttpRuleSpec::value,
                                     "set-header, add-header, replace-header, set-path, set-query (log-format)"))
      .optional("match", spec_string(&rules::HttpRuleSpec::match, "replace-header: a PCRE2 regular expression"))
      .optional("if", condition(false))
      .optional("unless", condition(true))
      .hint("deny_status", "dplb calls it status")
      .hint("string", "dplb calls it body")
      .hint("hdr", "dplb calls it name");
  return s;
}

TableSchema<UseBackendConfig> use_backend_schema(const std::string& header, const std::string& path) {
  TableSchema<UseBackendConfig> s(header, path);
  s.required("backend", string_as<UseBackendConfig, std::string>(&UseBackendConfig::backend, "string (backend name)",
                                                                 "a [[backend]] name", convert_name))
      .optional("if", {"string", "a condition in HAProxy's ACL syntax",
                       [](const toml::node& node, const std::string& p, UseBackendConfig& out, Diagnostics& d) {
                         const auto* value = node.as_string();
                         if (value == nullptr) return report_type(d, node, p, "a string (a condition)");
                         out.condition = value->get();
                         out.unless = false;
                       },
                       {}})
      .optional("unless", {"string", "a condition in HAProxy's ACL syntax",
                           [](const toml::node& node, const std::string& p, UseBackendConfig& out, Diagnostics& d) {
                             const auto* value = node.as_string();
                             if (value == nullptr) return report_type(d, node, p, "a string (a condition)");
                             out.condition = value->get();
                             out.unless = true;
                           },
                           {}});
  return s;
}

template <class T>
FieldSpec<T> acl_table() {
  return {"table (name = condition text or array of them)",
          "names of [A-Za-z0-9_.:-]; each value `fetch [flags] patterns` as in an HAProxy acl line",
          [](const toml::node& node, const std::string& path, T& out, Diagnostics& d) {
            const auto* table = node.as_table();
            if (table == nullptr) {
              return report_type(d, node, path, "a table of name = \"fetch patterns\", like { is_api = "
                                                "\"path_beg /api\" }");
            }
            for (auto&& [key, value] : *table) {
              const std::string name(key.str());
              auto add = [&](const toml::node& line) {
                const auto* text = line.as_string();
                if (text == nullptr) {
                  report_type(d, line, path + "." + name, "a string (an ACL's fetch and patterns)");
                  return;
                }
                out.rules.acls.push_back({name, text->get(), position_of(line)});
              };
              if (const auto* lines = value.as_array()) {
                // Several lines for one name: it matches when any does.
                for (const auto& line : *lines) add(line);
              } else {
                add(value);
              }
            }
          },
          {}};
}

template <class T>
FieldSpec<T> rule_list(std::vector<HttpRuleConfig> HttpRulesConfig::*list, const std::string& header,
                       const std::string& path) {
  const TableSchema<HttpRuleConfig> schema = http_rule_schema(header, path);
  return {"array of tables", "",
          [=](const toml::node& node, const std::string& p, T& out, Diagnostics& d) {
            const auto* array = node.as_array();
            if (array == nullptr || !array->is_array_of_tables()) {
              return report_type(d, node, p, "an array of tables (" + header + ")");
            }
            for (const auto& element : *array) {
              HttpRuleConfig rule;
              rule.where = position_of(element);
              rule.action_known = false;  // until the action key decodes
              schema.decode(*element.as_table(), rule, d);
              (out.rules.*list).push_back(std::move(rule));
            }
          },
          [=] { return schema.docs(); }};
}

}  // namespace

void add_http_rule_keys(TableSchema<FrontendConfig>& s) {
  s.optional("acl", acl_table<FrontendConfig>())
      .optional("http_request", rule_list<FrontendConfig>(&HttpRulesConfig::http_request,
                                                          "[[frontend.http_request]]", "frontend.http_request"))
      .optional("http_response", rule_list<FrontendConfig>(&HttpRulesConfig::http_response,
                                                           "[[frontend.http_response]]", "frontend.http_response"))
      .optional("use_backend", table_array(&FrontendConfig::use_backend,
                                           use_backend_schema("[[frontend.use_backend]]", "frontend.use_backend")))
      .hint("http-request", "dplb calls it http_request ([[frontend.http_request]] tables)")
      .hint("http-response", "dplb calls it http_response ([[frontend.http_response]] tables)");
}

void add_http_rule_keys(TableSchema<BackendConfig>& s) {
  s.optional("acl", acl_table<BackendConfig>())
      .optional("http_request", rule_list<BackendConfig>(&HttpRulesConfig::http_request,
                                                         "[[backend.http_request]]", "backend.http_request"))
      .optional("http_response", rule_list<BackendConfig>(&HttpRulesConfig::http_response,
                                                          "[[backend.http_response]]", "backend.http_response"))
      .hint("use_backend", "use_backend rules belong to a [[frontend]] ([[frontend.use_backend]])")
      .hint("http-request", "dplb calls it http_request ([[backend.http_request]] tables)")
      .hint("http-response", "dplb calls it http_response ([[backend.http_response]] tables)");
}

}  // namespace dplb::conf
