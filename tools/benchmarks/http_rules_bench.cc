#include "tools/benchmarks/http_rules_bench.h"

#include <rte_cycles.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dataplane/http/http_head_parser.h"
#include "dataplane/http/http_response_head.h"
#include "dataplane/rules/http_rule_runner.h"
#include "tools/benchmarks/bench_clock.h"

namespace dplb::bench {
namespace {

using rules::HttpRuleAction;
using rules::HttpRuleSpec;
using rules::RuleContext;

struct RuleLine {
  RuleContext context;  // request rules run first, then response ones
  bool use_backend = false;
  HttpRuleSpec spec;
};

HttpRuleSpec spec(HttpRuleAction action, const std::string& condition) {
  HttpRuleSpec s;
  s.action = action;
  s.condition = condition;
  return s;
}

HttpRuleSpec header(HttpRuleAction action, const std::string& name, const std::string& value,
                    const std::string& condition) {
  HttpRuleSpec s = spec(action, condition);
  s.name = name;
  s.value = value;
  return s;
}

const std::vector<RuleLine>& lines() {
  static const std::vector<RuleLine> table = [] {
    using A = HttpRuleAction;
    const auto req = RuleContext::request;
    const auto resp = RuleContext::response;
    HttpRuleSpec to_https = spec(A::redirect, "{ hdr(host) -i old.example.com www.old.example.com }");
    to_https.redirect = rules::RedirectKind::scheme;
    to_https.redirect_to = "https";
    to_https.code = 301;
    HttpRuleSpec static_prefix = spec(A::redirect, "{ path_beg /static/ /assets/ }");
    static_prefix.redirect = rules::RedirectKind::prefix;
    static_prefix.redirect_to = "https://static.example.com";
    HttpRuleSpec health = spec(A::return_response, "{ path /lb-health }");
    health.status = 200;
    return std::vector<RuleLine>{
        {req, false, spec(A::deny, "{ path_beg /admin /internal } !{ src 10.0.0.0/8 192.168.0.0/16 }")},
        {req, false, spec(A::deny, "is_admin_host !is_office")},
        {req, false, to_https},
        {req, false, spec(A::deny, "{ path_reg ^/(wp-admin|wp-login\\.php|phpmyadmin|\\.git)(/|$) }")},
        {req, false, spec(A::deny, "blocked_networks")},
        {req, false, header(A::set_header, "X-Forwarded-Proto", "https", "{ ssl_fc }")},
        {req, false, header(A::del_header, "X-Debug", "", "{ hdr_cnt(x-debug) gt 0 }")},
        {req, false, spec(A::deny, "{ hdr_sub(user-agent) -i sqlmap nikto masscan }")},
        {req, false, health},
        {req, false, spec(A::deny, "METH_CONNECT || METH_TRACE")},
        {req, false, header(A::set_header, "X-Request-Start", "t=%Ts%ms", "")},
        {req, false, spec(A::deny, "{ url_param(debug) 1 true }")},
        {req, false, spec(A::deny, "{ path_end .php .asp .aspx .jsp }")},
        {req, false, spec(A::deny, "{ hdr(x-forwarded-for) -m found } { src 203.0.113.0/24 }")},
        {req, false, static_prefix},
        {resp, false, header(A::set_header, "Strict-Transport-Security", "max-age=63072000", "{ ssl_fc }")},
        {resp, false, header(A::del_header, "Server", "", "")},
        {resp, false, header(A::set_header, "X-Frame-Options", "DENY", "{ status 200:299 }")},
        {req, true, spec(A::deny, "is_api")},
        {req, true, spec(A::deny, "{ hdr(host) -i www.example.com } { path_dir docs }")},
    };
  }();
  return table;
}

void define_acls(rules::HttpRuleSet& set) {
  const std::pair<const char*, const char*> acls[] = {
      {"is_admin_host", "hdr(host) -i admin.example.com"},
      {"is_office", "src 10.1.0.0/16"},
      {"blocked_networks", "src 192.0.2.0/24 198.51.100.0/24 100.64.0.0/10"},
      {"is_api", "path_beg /api/ /v1/ /v2/"},
  };
  for (const auto& [name, text] : acls) {
    if (auto e = set.acls.define(name, text)) {
      std::fprintf(stderr, "http_rules_bench: acl %s: %s\n", name, e->message.c_str());
      std::exit(1);
    }
  }
}

void add(rules::HttpRuleSet& set, const RuleLine& line) {
  if (line.use_backend) {
    rules::UseBackendSpec u;
    u.backend = "web_servers";
    u.backend_index = 0;
    u.condition = line.spec.condition;
    rules::UseBackendRule out;
    if (auto e = rules::compile_use_backend(u, &set, &out)) {
      std::fprintf(stderr, "http_rules_bench: use_backend %s: %s\n", u.condition.c_str(), e->message.c_str());
      std::exit(1);
    }
    set.use_backend.push_back(std::move(out));
    return;
  }
  rules::HttpRule out;
  if (auto e = rules::compile_http_rule(line.spec, line.context, &set, &out)) {
    std::fprintf(stderr, "http_rules_bench: rule '%s': %s\n", line.spec.condition.c_str(),
                 e->second.message.c_str());
    std::exit(1);
  }
  (line.context == RuleContext::request ? set.request : set.response).push_back(std::move(out));
}

}  // namespace

std::shared_ptr<const rules::HttpRuleSet> twenty_rules() {
  auto set = std::make_shared<rules::HttpRuleSet>();
  define_acls(*set);
  for (const RuleLine& l : lines()) {
    if (l.context == RuleContext::request && !l.use_backend) add(*set, l);
  }
  for (const RuleLine& l : lines()) {
    if (l.context == RuleContext::response) add(*set, l);
  }
  for (const RuleLine& l : lines()) {
    if (l.use_backend) add(*set, l);
  }
  return set;
}

void print_per_rule_figures(uint64_t iterations) {
  static const char kRequest[] = "GET / HTTP/1.1\r\nHost: 10.99.1.2\r\n\r\n";
  static const char kResponse[] = "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 8\r\n\r\n";
  dataplane::HttpLimits limits;
  rules::HttpRuleRunner runner;
  std::vector<dataplane::Counter> hits(4);
  std::printf("# per rule, alone, on the benchmark's GET / (request rules) or its 200 (response rules),\n"
              "# HttpRuleRunner only, %llu evaluations each:\n",
              static_cast<unsigned long long>(iterations));
  // Timing an empty set first gives what the loop and the clock reads
  // cost; each rule's figure is its time beyond that.
  auto time_set = [&](const rules::HttpRuleSet& set, bool response, bool use_backend) {
    uint64_t cycles = 0;
    for (uint64_t i = 0; i < iterations; ++i) {
      // A fresh head each time: a rewrite changes it.
      dataplane::HttpRequestHead request;
      dataplane::HttpResponseHead reply;
      rules::MessageFacts m;
      m.src = 0x0a636401;  // 10.99.100.1
      m.dst = 0x0a630102;
      m.dst_port = 80;
      if (response) {
        dataplane::parse_response_head(kResponse, limits, dataplane::HttpResponseContext{}, &reply);
        m.fields = reply.fields.data();
        m.field_count = reply.field_count;
        m.status = reply.status;
      } else {
        dataplane::parse_request_head(kRequest, limits, &request);
        m.method = request.method;
        m.target = request.target;
        m.fields = request.fields.data();
        m.field_count = request.field_count;
      }
      rules::FormatContext format{&m, "http_front", "web_servers", 1'800'000'000'000'000};
      bool no_retry = false;
      runner.begin();
      const uint64_t start = rte_rdtsc();
      if (use_backend) {
        (void)runner.choose_backend(set, hits.data(), m);
      } else if (response) {
        (void)runner.run_response(set, hits.data(), reply, m, format);
      } else {
        (void)runner.run_request(set, hits.data(), request, m, format, &no_retry);
      }
      cycles += rte_rdtsc() - start;
    }
    return tsc_to_ns(cycles) / static_cast<double>(iterations);
  };
  rules::HttpRuleSet empty;
  const double overhead = time_set(empty, false, false);
  std::printf("# (loop and clock reads, subtracted below: %.1f ns)\n", overhead);
  double total_ns = 0;
  for (const RuleLine& l : lines()) {
    rules::HttpRuleSet set;
    define_acls(set);
    add(set, l);
    const bool response = l.context == RuleContext::response;
    const double ns = std::max(0.0, time_set(set, response, l.use_backend) - overhead);
    total_ns += ns;
    const rules::HttpRuleSet& s = set;
    const std::string& text = l.use_backend ? s.use_backend[0].text
                              : response    ? s.response[0].text
                                            : s.request[0].text;
    std::printf("rule %6.1f ns  %s\n", ns, text.c_str());
  }
  std::printf("rules, sum of the 20 alone: %.0f ns per request\n", total_ns);
  // The same 20 in one set, as the proxy runs them, but with the caches and
  // branch predictors the loop keeps warm: what is left of the figure in
  // the proxy is what the rest of a request's work evicts.
  const std::shared_ptr<const rules::HttpRuleSet> all = twenty_rules();
  const double together = time_set(*all, false, false) + time_set(*all, true, false) +
                          time_set(*all, false, true) - 3 * overhead;
  std::printf("rules, the 20 in one set through HttpRuleRunner alone: %.0f ns per request\n", together);
}

}  // namespace dplb::bench
