#pragma once

// The schema of each top-level section, one source file per group of
// sections, assembled by config_schema.cc; and the converters and duration
// units more than one of those files needs.

#include <string>

#include "conf/config.h"
#include "conf/schema.h"

namespace dplb::conf {

TableSchema<DataplaneConfig> dataplane_schema();
TableSchema<ConsoleConfig> console_schema();
TableSchema<LogConfig> log_schema();
TableSchema<TcpConfig> tcp_schema();
TableSchema<PortConfig> port_schema();
TableSchema<StaticArpConfig> static_arp_schema();
TableSchema<RouteConfig> route_schema();
TableSchema<FrontendConfig> frontend_schema();
// [[backend]] with its [[backend.server]] and [backend.health_check].
FieldSpec<Config> backend_list();
FieldSpec<BackendConfig> health_check_table();
// [frontend.tls] and a server's `tls` table (config_schema_tls.cc).
FieldSpec<FrontendConfig> frontend_tls_table();
FieldSpec<ServerConfig> server_tls_table();
// acl, http_request, http_response (and a frontend's use_backend): config_schema_rules.cc.
void add_http_rule_keys(TableSchema<FrontendConfig>& s);
void add_http_rule_keys(TableSchema<BackendConfig>& s);

// A [[port]], [[frontend]], [[backend]] or server name.
std::string convert_name(const std::string& text, std::string& out);
// A neighbour's or gateway's address.
std::string convert_host_address(const std::string& text, Ipv4Address& out);

constexpr Duration ms(int64_t n) { return Duration{n * 1000}; }
constexpr Duration seconds(int64_t n) { return Duration{n * 1'000'000}; }
constexpr Duration hours(int64_t n) { return Duration{n * 3'600'000'000}; }
constexpr Duration days(int64_t n) { return Duration{n * 86'400'000'000}; }

}  // namespace dplb::conf
