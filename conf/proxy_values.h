#pragma once

// The value syntaxes of the proxy tables ([[frontend]], [[backend]],
// [[backend.server]], [backend.health_check]) that are more than a number or
// a name: parsed here for the loader, and formatted back for `show config`,
// so both always agree.

#include <cstddef>
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

// ---- Health checks ---------------------------------------------------------

// The probe is one request written from these values, so each is held to
// what a strict server accepts on a request line or in a Host field.
inline constexpr std::size_t kMaxCheckMethodBytes = 32;
inline constexpr std::size_t kMaxCheckPathBytes = 1024;
inline constexpr std::size_t kMaxCheckHostBytes = 255;

const char* health_check_type_name(HealthCheckType type);
const char* observe_mode_name(ObserveMode mode);
const char* on_error_name(OnError action);

// Each returns "" when `text` is acceptable, otherwise why not, quoting it.
// A method: an RFC 9110 token, not CONNECT.
std::string check_http_method(std::string_view text);
// A request target in origin form: "/health", "/status?full=1".
std::string check_http_path(std::string_view text);
// A Host field value: a name, an IPv4 address or a bracketed IPv6 literal,
// with an optional ":PORT".
std::string check_http_host(std::string_view text);

// "200" or "200-399"; each status 100..599, the first not above the last.
std::string parse_status_range(std::string_view text, StatusRange& out);
// "200" when the range holds one status, else "200-399".
std::string format_status_range(const StatusRange& range);

}  // namespace dplb::conf
