#pragma once

// The value syntaxes of the proxy tables ([[frontend]], [[backend]],
// [[backend.server]]) that are more than a number or a name: parsed here
// for the loader, and formatted back for `show config`, so both always agree.

#include <optional>
#include <string>
#include <string_view>

#include "conf/config.h"

namespace dplb::conf {

// RFC 9110 token (a header field name): 1 or more tchar.
bool is_http_token(std::string_view text);

// "A.B.C.D:PORT", port 1..65535. With `wildcard`, also "*:PORT" (address
// 0, as "0.0.0.0:PORT"). On failure returns nullopt and sets *error to a
// reason that quotes `text`.
std::optional<Endpoint> parse_endpoint(std::string_view text, bool wildcard, std::string* error);
// "10.99.1.2:80", or "*:80" for the wildcard address.
std::string format_endpoint(const Endpoint& e);

// HAProxy's `balance` value: "roundrobin", "static-rr", "leastconn",
// "first", "random", "random(N)", "source", "uri", "hdr(NAME)". Sets
// balance, random_draws and hash_header; returns "" or why `text` is refused.
std::string parse_balance(std::string_view text, BackendConfig& out);
// The value as it loads back ("random" is shown with its draws: "random(2)").
std::string format_balance(const BackendConfig& backend);

const char* hash_type_name(HashType type);
const char* http_reuse_name(HttpReuse reuse);

}  // namespace dplb::conf
