#pragma once

// The HTTP rules http_proxy_bench measures with --rules: a frontend of 20
// rules as a real site has them (path, host, header, CIDR conditions, one
// regex; most do not apply to the benchmark's GET /, as most rules do not
// apply to most requests), and each rule's own cost through HttpRuleRunner.

#include <memory>

#include "dataplane/rules/http_rule.h"

namespace dplb::bench {

// The 20 rules (request, response and use_backend), compiled; use_backend
// names backend 0. Exits the process on a compile error (a bug here).
std::shared_ptr<const rules::HttpRuleSet> twenty_rules();

// Times each rule of twenty_rules() alone on the benchmark's request (or
// its response), `iterations` times, and prints ns per evaluation.
void print_per_rule_figures(uint64_t iterations);

}  // namespace dplb::bench
