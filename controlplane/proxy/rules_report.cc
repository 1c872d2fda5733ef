#include "controlplane/proxy/rules_report.h"

#include <cstdio>
#include <vector>

#include "conf/did_you_mean.h"
#include "controlplane/proxy/proxy_totals.h"

namespace dplb::controlplane {
namespace {

struct ProxyRef {
  bool frontend = true;
  std::size_t index = 0;
  std::string name;
  const conf::HttpRulesConfig* config = nullptr;  // null when the configuration does not know it
  const rules::HttpRuleSet* rules = nullptr;
};

std::vector<ProxyRef> proxies(const ProxyView& v) {
  std::vector<ProxyRef> out;
  for (std::size_t f = 0; f < v.snapshot.frontends.size(); ++f) {
    const auto& fe = v.snapshot.frontends[f];
    out.push_back({true, f, fe.name, f < v.config.frontends.size() ? &v.config.frontends[f].rules : nullptr,
                   fe.rules.get()});
  }
  for (std::size_t b = 0; b < v.snapshot.backends.size(); ++b) {
    const auto& be = v.snapshot.backends[b];
    out.push_back({false, b, be.name, b < v.config.backends.size() ? &v.config.backends[b].rules : nullptr,
                   be.rules.get()});
  }
  return out;
}

// The proxies `name` selects (a frontend and a backend may share a name,
// as in HAProxy's `listen`), or none with `*problem` said.
std::vector<ProxyRef> select(const ProxyView& v, const std::string& name, std::string* problem) {
  std::vector<ProxyRef> all = proxies(v);
  if (name.empty()) return all;
  std::vector<ProxyRef> chosen;
  std::vector<std::string> names;
  for (auto& p : all) {
    names.push_back(p.name);
    if (p.name == name) chosen.push_back(p);
  }
  if (chosen.empty()) {
    *problem = "no frontend or backend '" + name + "'";
    const auto close = conf::close_matches(name, names);
    if (!close.empty()) {
      *problem += "; did you mean: ";
      for (std::size_t i = 0; i < close.size(); ++i) *problem += (i ? ", " : "") + close[i];
    }
  }
  return chosen;
}

std::string heading(const ProxyRef& p) { return std::string(p.frontend ? "frontend " : "backend ") + p.name; }

void append_rule(std::string& out, std::size_t number, const char* list, uint64_t hits, const std::string& text) {
  char line[96];
  std::snprintf(line, sizeof(line), "  %3zu  %-13s %12llu  ", number, list, static_cast<unsigned long long>(hits));
  out += line;
  out += text;
  out += "\n";
}

}  // namespace

std::string report_acls(const ProxyView& v, const std::string& name, std::string* problem) {
  const std::vector<ProxyRef> chosen = select(v, name, problem);
  if (chosen.empty() && !name.empty()) return "";
  std::string out;
  for (const auto& p : chosen) {
    if (p.config == nullptr || p.config->acls.empty()) {
      if (!name.empty()) out += heading(p) + ": no named acl\n";
      continue;
    }
    out += heading(p) + "\n";
    for (const auto& a : p.config->acls) {
      char line[64];
      std::snprintf(line, sizeof(line), "  line %-5u %-20s ", a.where.line, a.name.c_str());
      out += line;
      out += a.text + "\n";
    }
  }
  out += "predefined: METH_GET METH_POST METH_CONNECT METH_OPTIONS HTTP_1.0 HTTP_1.1 LOCALHOST TRUE FALSE"
         " (and HAProxy's other predefined ACLs, docs/config.md)\n";
  return out;
}

std::string report_rules(const ProxyView& v, const std::string& name, std::string* problem) {
  const std::vector<ProxyRef> chosen = select(v, name, problem);
  if (chosen.empty() && !name.empty()) return "";
  std::string out;
  for (const auto& p : chosen) {
    if (p.rules == nullptr || p.rules->empty()) {
      if (!name.empty()) out += heading(p) + ": no rule\n";
      continue;
    }
    const rules::HttpRuleSet& set = *p.rules;
    const std::vector<uint64_t> hits = p.frontend ? frontend_rule_hits(v.workers, p.index, set.rule_count())
                                                  : backend_rule_hits(v.workers, p.index, set.rule_count());
    out += heading(p) + "\n";
    char line[96];
    std::snprintf(line, sizeof(line), "  %3s  %-13s %12s  %s\n", "#", "list", "hits", "rule");
    out += line;
    for (std::size_t i = 0; i < set.request.size(); ++i) {
      append_rule(out, i, "http-request", hits[i], set.request[i].text);
    }
    for (std::size_t i = 0; i < set.response.size(); ++i) {
      append_rule(out, i, "http-response", hits[set.response_base() + i], set.response[i].text);
    }
    for (std::size_t i = 0; i < set.use_backend.size(); ++i) {
      append_rule(out, i, "use_backend", hits[set.use_backend_base() + i], set.use_backend[i].text);
    }
  }
  if (out.empty()) out = "no http_request, http_response or use_backend rule is configured\n";
  return out;
}

}  // namespace dplb::controlplane
