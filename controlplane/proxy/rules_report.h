#pragma once

// What `show acl` and `show rules` print: the named ACLs of each frontend
// and backend as the configuration wrote them, and the compiled rules the
// workers run, each with how often it applied (summed over workers).

#include <string>

#include "controlplane/proxy/proxy_report.h"

namespace dplb::controlplane {

// `proxy` empty: every frontend and backend. Returns "" with `*problem`
// set when no frontend or backend has that name.
std::string report_acls(const ProxyView& view, const std::string& proxy, std::string* problem);
std::string report_rules(const ProxyView& view, const std::string& proxy, std::string* problem);

}  // namespace dplb::controlplane
