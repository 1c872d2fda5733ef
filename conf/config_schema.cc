#include "conf/config_schema.h"

#include <algorithm>
#include <array>
#include <climits>

#include "conf/error_file.h"
#include "conf/mac_address.h"
#include "conf/proxy_values.h"
#include "conf/vrrp_config.h"

namespace dplb::conf {
namespace {

std::string convert_prefix(const std::string& text, Ipv4Prefix& out) {
  auto prefix = parse_ipv4_prefix(text);
  if (!prefix) return "'" + text + "' is not an IPv4 address with a prefix length, like 10.99.1.2/24";
  if (prefix->length == 0) return "'" + text + "' has prefix length 0";
  out = *prefix;
  return "";
}

std::string convert_address(const std::string& text, std::optional<Ipv4Address>& out) {
  auto address = parse_ipv4(text);
  if (!address) return "'" + text + "' is not an IPv4 address, like 10.99.1.1";
  out = *address;
  return "";
}

std::string convert_device(const std::string& text, DeviceName& out) {
  std::string error;
  auto device = parse_device_name(text, &error);
  if (!device) return error;
  out = *device;
  return "";
}

std::string convert_name(const std::string& text, std::string& out) {
  if (text.empty() || text.size() > 32) return "a name must be 1 to 32 characters";
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.';
    if (!ok) return "'" + text + "' may only contain letters, digits, '_', '-' and '.'";
  }
  out = text;
  return "";
}

// sun_path holds 108 bytes including the terminating NUL.
std::string convert_socket_path(const std::string& text, std::string& out) {
  if (text.empty()) {
    out.clear();
    return "";
  }
  if (text.front() != '/') return "'" + text + "' must be an absolute path (or \"\" to disable the socket)";
  if (text.size() > 107) return "path is " + std::to_string(text.size()) + " bytes; a unix socket path holds at most 107";
  out = text;
  return "";
}

std::string convert_log_file(const std::string& text, std::string& out) {
  if (!text.empty() && text.front() != '/') return "'" + text + "' must be an absolute path (or \"\" for stderr)";
  out = text;
  return "";
}

std::string convert_access_log(const std::string& text, std::string& out) {
  if (!text.empty() && text != "stdout" && text.front() != '/') {
    std::string why = "'" + text + "' must be \"stdout\", an absolute path, or \"\" for no access log";
    if (!close_matches(text, {"stdout"}, 1).empty()) why += "; did you mean 'stdout'?";
    return why;
  }
  out = text;
  return "";
}

std::string convert_prompt(const std::string& text, std::string& out) {
  if (text.size() > 32) return "a prompt holds at most 32 characters";
  out = text;
  return "";
}

TableSchema<DataplaneConfig> dataplane_schema() {
  TableSchema<DataplaneConfig> s("[dataplane]", "dataplane");
  s.optional("workers", integer_list(&DataplaneConfig::workers, 0, kMaxLcore, false))
      .optional("control_lcore", integer_in(&DataplaneConfig::control_lcore, 0, kMaxLcore))
      .optional("hugepages", boolean(&DataplaneConfig::hugepages))
      .optional("memory_mb", integer_in(&DataplaneConfig::memory_mb, 64, 1048576))
      .optional("idle_sleep_us", integer_in(&DataplaneConfig::idle_sleep_us, 0, 100000))
      .optional("eal_args", string_list(&DataplaneConfig::eal_args))
      .optional("arp_timeout", duration_in(&DataplaneConfig::arp_timeout, Duration{1'000'000}, Duration{86'400'000'000}))
      .optional("arp_retry", duration_in(&DataplaneConfig::arp_retry, Duration{100'000}, Duration{60'000'000}))
      .optional("arp_probes", integer_in(&DataplaneConfig::arp_probes, 1, 10))
      .optional("arp_max_entries", integer_in(&DataplaneConfig::arp_max_entries, 16, 1'000'000));
  return s;
}

std::string convert_congestion(const std::string& text, CongestionControl& out) {
  return convert_enum<CongestionControl, 2>(text, out, {CongestionControl::cubic, CongestionControl::newreno},
                                            congestion_name);
}

// A range of ports written as [first, last], like net.ipv4.ip_local_port_range.
FieldSpec<TcpConfig> port_range(uint16_t TcpConfig::*first, uint16_t TcpConfig::*last, int64_t min, int64_t max) {
  return {"array of integers",
          "two ports [first, last], each " + std::to_string(min) + ".." + std::to_string(max) + ", first <= last",
          [=](const toml::node& node, const std::string& path, TcpConfig& out, Diagnostics& d) {
            const auto* array = node.as_array();
            if (array == nullptr) return report_type(d, node, path, "an array of two integers");
            std::vector<int64_t> values;
            for (const auto& element : *array) {
              const auto* value = element.as_integer();
              if (value == nullptr) return report_type(d, element, path, "an integer in the array");
              if (value->get() < min || value->get() > max) {
                return report_range(d, element, path, value->get(), min, max);
              }
              values.push_back(value->get());
            }
            if (values.size() != 2) {
              d.error(position_of(node), path + ": must list exactly two ports, the first and the last of the range " +
                                             "(got " + std::to_string(values.size()) + ")");
              return;
            }
            if (values[0] > values[1]) {
              d.error(position_of(node), path + ": the first port " + std::to_string(values[0]) +
                                             " is above the last port " + std::to_string(values[1]));
              return;
            }
            out.*first = static_cast<uint16_t>(values[0]);
            out.*last = static_cast<uint16_t>(values[1]);
          },
          {}};
}

constexpr Duration ms(int64_t n) { return Duration{n * 1000}; }
constexpr Duration seconds(int64_t n) { return Duration{n * 1'000'000}; }

TableSchema<TcpConfig> tcp_schema() {
  TableSchema<TcpConfig> s("[tcp]", "tcp");
  s.optional("max_connections", integer_in(&TcpConfig::max_connections, 16, 4194304))
      .optional("connection_buffer", integer_in(&TcpConfig::connection_buffer, 4096, 16777216))
      .optional("worker_buffer", integer_in(&TcpConfig::worker_buffer, 65536, 68719476736))
      .optional("syn_backlog", integer_in(&TcpConfig::syn_backlog, 1, 65535))
      .optional("syn_cookies", boolean(&TcpConfig::syn_cookies))
      .optional("congestion", string_as<TcpConfig, CongestionControl>(&TcpConfig::congestion, "string",
                                                                      "cubic, newreno", convert_congestion))
      .optional("min_rto", duration_in(&TcpConfig::min_rto, ms(1), seconds(10)))
      .optional("initial_rto", duration_in(&TcpConfig::initial_rto, ms(1), seconds(60)))
      .optional("max_rto", duration_in(&TcpConfig::max_rto, ms(100), seconds(600)))
      .optional("delayed_ack", duration_in(&TcpConfig::delayed_ack, Duration{0}, ms(500)))
      .optional("time_wait", duration_in(&TcpConfig::time_wait, Duration{0}, seconds(300)))
      .optional("fin_wait_2", duration_in(&TcpConfig::fin_wait_2, seconds(1), seconds(600)))
      .optional("syn_retries", integer_in(&TcpConfig::syn_retries, 1, 20))
      .optional("retries", integer_in(&TcpConfig::retries, 1, 30))
      .optional("keepalive", boolean(&TcpConfig::keepalive))
      .optional("keepalive_idle", duration_in(&TcpConfig::keepalive_idle, seconds(1), seconds(86400)))
      .optional("keepalive_interval", duration_in(&TcpConfig::keepalive_interval, seconds(1), seconds(3600)))
      .optional("keepalive_probes", integer_in(&TcpConfig::keepalive_probes, 1, 50))
      .optional("sack", boolean(&TcpConfig::sack))
      .optional("timestamps", boolean(&TcpConfig::timestamps))
      .optional("window_scaling", boolean(&TcpConfig::window_scaling))
      .optional("local_ports", port_range(&TcpConfig::local_port_first, &TcpConfig::local_port_last, 1024, 65535))
      .optional("challenge_ack_limit", integer_in(&TcpConfig::challenge_ack_limit, 1, 1'000'000));
  return s;
}

TableSchema<ConsoleConfig> console_schema() {
  TableSchema<ConsoleConfig> s("[console]", "console");
  s.optional("socket", string_as<ConsoleConfig, std::string>(&ConsoleConfig::socket, "string (path)",
                                                             "absolute path, at most 107 bytes, or \"\"",
                                                             convert_socket_path))
      .optional("prompt", string_as<ConsoleConfig, std::string>(&ConsoleConfig::prompt, "string", "at most 32 characters",
                                                                convert_prompt));
  return s;
}

TableSchema<LogConfig> log_schema() {
  TableSchema<LogConfig> s("[log]", "log");
  s.optional("level", one_of(&LogConfig::level, {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}))
      .optional("file", string_as<LogConfig, std::string>(&LogConfig::file, "string (path)",
                                                          "absolute path, or \"\" for standard error",
                                                          convert_log_file))
      .optional("access_log", string_as<LogConfig, std::string>(&LogConfig::access_log, "string (path)",
                                                                "\"stdout\", absolute path, or \"\" for none",
                                                                convert_access_log));
  return s;
}

TableSchema<PortConfig> port_schema() {
  TableSchema<PortConfig> s("[[port]]", "port");
  s.required("name", string_as<PortConfig, std::string>(&PortConfig::name, "string", "1-32 of [A-Za-z0-9_.-]",
                                                        convert_name))
      .required("device", string_as<PortConfig, DeviceName>(&PortConfig::device, "string",
                                                             "PCI address or DPDK vdev", convert_device))
      .required("address", string_as<PortConfig, Ipv4Prefix>(&PortConfig::address, "string (IPv4 prefix)",
                                                             "A.B.C.D/1..32", convert_prefix))
      .optional("gateway", string_as<PortConfig, std::optional<Ipv4Address>>(
                               &PortConfig::gateway, "string (IPv4 address)", "inside the port's subnet",
                               convert_address))
      .optional("mtu", integer_in(&PortConfig::mtu, 68, 9600))
      .optional("rx_descriptors", integer_in(&PortConfig::rx_descriptors, 64, 16384))
      .optional("tx_descriptors", integer_in(&PortConfig::tx_descriptors, 64, 16384));
  return s;
}

std::string convert_mac(const std::string& text, Mac& out) {
  auto mac = parse_mac(text);
  if (!mac) return "'" + text + "' is not a MAC address, like 02:99:02:00:00:0b";
  if ((*mac)[0] & 0x01) return "'" + text + "' is a multicast or broadcast address, not a host's";
  if (*mac == Mac{}) return "'" + text + "' is the all-zero address";
  out = *mac;
  return "";
}

std::string convert_host_address(const std::string& text, Ipv4Address& out) {
  auto address = parse_ipv4(text);
  if (!address) return "'" + text + "' is not an IPv4 address, like 10.99.2.11";
  out = *address;
  return "";
}

TableSchema<StaticArpConfig> static_arp_schema() {
  TableSchema<StaticArpConfig> s("[[arp]]", "arp");
  s.required("address", string_as<StaticArpConfig, Ipv4Address>(&StaticArpConfig::address, "string (IPv4 address)",
                                                                 "inside a port's subnet", convert_host_address))
      .required("mac", string_as<StaticArpConfig, Mac>(&StaticArpConfig::mac, "string (MAC address)",
                                                       "unicast, not all zeros", convert_mac))
      .optional("port", string_as<StaticArpConfig, std::string>(&StaticArpConfig::port, "string (port name)",
                                                                "a [[port]] name", convert_name));
  return s;
}

std::string convert_any_prefix(const std::string& text, Ipv4Prefix& out) {
  auto prefix = parse_ipv4_prefix(text);
  if (!prefix) return "'" + text + "' is not an IPv4 prefix, like 192.0.2.0/24 or 0.0.0.0/0";
  if (prefix->address != prefix->network()) {
    return "'" + text + "' has host bits set; did you mean " + Ipv4Prefix{prefix->network(), prefix->length}.to_string() +
           "?";
  }
  out = *prefix;
  return "";
}

TableSchema<RouteConfig> route_schema() {
  TableSchema<RouteConfig> s("[[route]]", "route");
  s.required("destination", string_as<RouteConfig, Ipv4Prefix>(&RouteConfig::destination, "string (IPv4 prefix)",
                                                               "network address/0..32", convert_any_prefix))
      .required("gateway", string_as<RouteConfig, Ipv4Address>(&RouteConfig::gateway, "string (IPv4 address)",
                                                               "inside a port's subnet", convert_host_address))
      .optional("port", string_as<RouteConfig, std::string>(&RouteConfig::port, "string (port name)",
                                                            "a [[port]] name whose subnet holds the gateway",
                                                            convert_name));
  return s;
}

// ---- HTTP proxy ----------------------------------------------------------

constexpr Duration minutes(int64_t n) { return Duration{n * 60'000'000}; }
constexpr Duration hours(int64_t n) { return Duration{n * 3'600'000'000}; }
constexpr Duration days(int64_t n) { return Duration{n * 86'400'000'000}; }

FieldSpec<FrontendConfig> bind_list() {
  return {"array of strings", "\"A.B.C.D:PORT\" or \"*:PORT\", port 1..65535; at least one",
          [](const toml::node& node, const std::string& path, FrontendConfig& out, Diagnostics& d) {
            const auto* array = node.as_array();
            if (array == nullptr) return report_type(d, node, path, "an array of strings, like [\"*:80\"]");
            if (array->empty()) {
              d.error(position_of(node), path + ": must list at least one address to listen on");
              return;
            }
            std::vector<Endpoint> binds;
            std::vector<SourcePosition> positions;
            bool good = true;
            for (const auto& element : *array) {
              const auto* text = element.as_string();
              if (text == nullptr) {
                report_type(d, element, path, "a string in the array");
                good = false;
                continue;
              }
              std::string error;
              auto endpoint = parse_endpoint(text->get(), true, &error);
              if (!endpoint) {
                d.error(position_of(element), path + ": " + error);
                good = false;
                continue;
              }
              binds.push_back(*endpoint);
              positions.push_back(position_of(element));
            }
            if (!good) return;
            out.bind = std::move(binds);
            out.bind_positions = std::move(positions);
          },
          {}};
}

std::optional<uint16_t> parse_status(std::string_view text) {
  if (text.size() != 3 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return static_cast<uint16_t>((text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0'));
}

// The files are read here, not when the proxy starts, so that `--check`
// catches a missing or broken page before it would have been served.
FieldSpec<FrontendConfig> errorfile_table() {
  return {"table (status = path)",
          "statuses " + error_file_statuses_text() + "; absolute paths of complete HTTP responses, at most " +
              std::to_string(kMaxErrorFileBytes) + " bytes",
          [](const toml::node& node, const std::string& path, FrontendConfig& out, Diagnostics& d) {
            const auto* table = node.as_table();
            if (table == nullptr) {
              return report_type(d, node, path,
                                 "a table of status = path, like { 503 = \"/etc/dplb/errors/503.http\" }");
            }
            std::map<uint16_t, ErrorFile> files;
            bool good = true;
            for (auto&& [key, value] : *table) {
              const std::string status_text(key.str());
              const auto status = parse_status(status_text);
              if (!status || !is_error_file_status(*status)) {
                d.error(position_of(key), path + ": " +
                                              (status ? "dplb never sends status " + status_text
                                                      : "'" + status_text + "' is not an HTTP status code") +
                                              "; errorfiles replace " + error_file_statuses_text());
                good = false;
                continue;
              }
              const std::string where = path + "." + status_text;
              const auto* file = value.as_string();
              if (file == nullptr) {
                report_type(d, value, where, "a string (the file's path)");
                good = false;
                continue;
              }
              const std::string& file_path = file->get();
              std::string problem;
              ErrorFile entry{file_path, {}};
              if (file_path.empty() || file_path.front() != '/') {
                problem = "'" + file_path + "' must be an absolute path";
              } else {
                problem = load_error_file(file_path, entry.contents);
              }
              if (!problem.empty()) {
                d.error(position_of(value), where + ": " + problem);
                good = false;
                continue;
              }
              files[*status] = std::move(entry);
            }
            if (good) out.errorfiles = std::move(files);
          },
          {}};
}

TableSchema<FrontendConfig> frontend_schema() {
  TableSchema<FrontendConfig> s("[[frontend]]", "frontend");
  s.required("name", string_as<FrontendConfig, std::string>(&FrontendConfig::name, "string",
                                                            "1-32 of [A-Za-z0-9_.-], unique", convert_name))
      .required("bind", bind_list())
      .required("default_backend", string_as<FrontendConfig, std::string>(&FrontendConfig::default_backend,
                                                                         "string (backend name)",
                                                                         "a [[backend]] name", convert_name))
      .optional("maxconn", integer_in(&FrontendConfig::maxconn, 1, 10'000'000))
      .optional("forwardfor", boolean(&FrontendConfig::forwardfor))
      .optional("timeout_client", duration_in(&FrontendConfig::timeout_client, ms(1), days(1)))
      .optional("timeout_http_request", duration_in(&FrontendConfig::timeout_http_request, ms(1), hours(1)))
      .optional("timeout_http_keep_alive", duration_in(&FrontendConfig::timeout_http_keep_alive, ms(1), hours(1)))
      .optional("errorfiles", errorfile_table())
      .optional("log", boolean(&FrontendConfig::log))
      .optional("dontlognull", boolean(&FrontendConfig::dontlognull));
  return s;
}

// Addresses that can never be a server's, whatever the routes say.
std::string special_address(Ipv4Address a) {
  const uint32_t v = a.value;
  if ((v >> 24) == 0) return "a 'this network' address (0.0.0.0/8)";
  if ((v >> 24) == 127) return "a loopback address";
  if ((v >> 28) == 0xe) return "a multicast address";
  if (v == 0xffffffffu) return "the broadcast address";
  if ((v >> 28) == 0xf) return "a reserved address (240.0.0.0/4)";
  return "";
}

std::string convert_server_address(const std::string& text, Endpoint& out) {
  std::string error;
  auto endpoint = parse_endpoint(text, false, &error);
  if (!endpoint) return error;
  const std::string kind = special_address(endpoint->address);
  if (!kind.empty()) return endpoint->address.to_string() + " is " + kind + ", not a server's";
  out = *endpoint;
  return "";
}

TableSchema<ServerConfig> server_schema() {
  TableSchema<ServerConfig> s("[[backend.server]]", "backend.server");
  s.required("name", string_as<ServerConfig, std::string>(&ServerConfig::name, "string",
                                                          "1-32 of [A-Za-z0-9_.-], unique in the backend",
                                                          convert_name))
      .required("address", string_as<ServerConfig, Endpoint>(&ServerConfig::address, "string (address:port)",
                                                             "A.B.C.D:1..65535, with a route to it",
                                                             convert_server_address))
      .optional("weight", integer_in(&ServerConfig::weight, 0, 256))
      .optional("maxconn", integer_in(&ServerConfig::maxconn, 0, 1'000'000))
      .optional("backup", boolean(&ServerConfig::backup))
      .optional("check", boolean(&ServerConfig::check))
      .optional("check_port", integer_in(&ServerConfig::check_port, 1, 65535))
      .optional("slowstart", duration_in(&ServerConfig::slowstart, Duration{0}, hours(1)))
      .hint("port", "did you mean 'check_port'? (HAProxy's `port`: where checks are sent)")
      .hint("health_check", "checks are set up per backend, in [backend.health_check]; write check = true here");
  // HAProxy writes the check's settings on each `server` line; dplb keeps
  // one set per backend, so say where they went.
  for (const char* key : {"inter", "interval", "fastinter", "downinter", "rise", "fall", "timeout", "type", "method",
                          "path", "uri", "host", "expect_status", "disable_on_404", "disable-on-404", "observe",
                          "error_limit", "error-limit", "on_error", "on-error"}) {
    s.hint(key, "health-check settings apply to every server of a backend: write it in [backend.health_check]");
  }
  return s;
}

FieldSpec<BackendConfig> balance_algorithm() {
  return {"string",
          "roundrobin, static-rr, leastconn, first, random, random(1..100), source, uri, hdr(NAME)",
          [](const toml::node& node, const std::string& path, BackendConfig& out, Diagnostics& d) {
            const auto* value = node.as_string();
            if (value == nullptr) return report_type(d, node, path, "a string");
            std::string problem = parse_balance(value->get(), out);
            if (!problem.empty()) d.error(position_of(node), path + ": " + problem);
          },
          {}};
}

std::string convert_hash_type(const std::string& text, HashType& out) {
  return convert_enum<HashType, 2>(text, out, {HashType::map_based, HashType::consistent}, hash_type_name);
}

std::string convert_http_reuse(const std::string& text, HttpReuse& out) {
  return convert_enum<HttpReuse, 3>(text, out, {HttpReuse::never, HttpReuse::safe, HttpReuse::always},
                                    http_reuse_name);
}

// ---- Health checks -------------------------------------------------------

std::string convert_check_type(const std::string& text, HealthCheckType& out) {
  std::string why = convert_enum<HealthCheckType, 2>(text, out, {HealthCheckType::tcp, HealthCheckType::http},
                                                     health_check_type_name);
  // HAProxy's "httpchk" and "tcp-check" are too far from the names for the
  // edit distance, but start with the one that was meant.
  if (!why.empty() && why.find("did you mean") == std::string::npos) {
    for (const char* name : {"http", "tcp"}) {
      if (text.rfind(name, 0) == 0) return why + "; did you mean '" + name + "'?";
    }
  }
  return why;
}

std::string convert_observe(const std::string& text, ObserveMode& out) {
  return convert_enum<ObserveMode, 3>(text, out, {ObserveMode::none, ObserveMode::layer4, ObserveMode::layer7},
                                      observe_mode_name);
}

std::string convert_on_error(const std::string& text, OnError& out) {
  return convert_enum<OnError, 4>(text, out,
                                  {OnError::fastinter, OnError::fail_check, OnError::sudden_death, OnError::mark_down},
                                  on_error_name);
}

std::string convert_check_method(const std::string& text, std::string& out) {
  std::string problem = check_http_method(text);
  if (problem.empty()) out = text;
  return problem;
}

std::string convert_check_path(const std::string& text, std::string& out) {
  std::string problem = check_http_path(text);
  if (problem.empty()) out = text;
  return problem;
}

// "" leaves the Host field out, as when the key is not written.
std::string convert_check_host(const std::string& text, std::string& out) {
  std::string problem = text.empty() ? "" : check_http_host(text);
  if (problem.empty()) out = text;
  return problem;
}

// One status or range: a string ("200", "200-399") or an integer (200).
std::optional<StatusRange> decode_status_range(const toml::node& node, const std::string& path, bool in_array,
                                               Diagnostics& d) {
  if (const auto* number = node.as_integer()) {
    if (number->get() < 100 || number->get() > 599) {
      report_range(d, node, path, number->get(), 100, 599);
      return std::nullopt;
    }
    const auto status = static_cast<uint16_t>(number->get());
    return StatusRange{status, status};
  }
  if (const auto* text = node.as_string()) {
    StatusRange range;
    std::string problem = parse_status_range(text->get(), range);
    if (problem.empty()) return range;
    d.error(position_of(node), path + ": " + problem);
    return std::nullopt;
  }
  report_type(d, node, path,
              in_array ? "a status (\"200\") or a range (\"200-399\") in the array"
                       : "a status (\"200\"), a range (\"200-399\") or an array of them");
  return std::nullopt;
}

FieldSpec<HealthCheckConfig> expect_status_list() {
  return {"string or array of strings",
          "\"NNN\" or \"NNN-MMM\", or an array of them; statuses 100..599, first <= last, no overlaps",
          [](const toml::node& node, const std::string& path, HealthCheckConfig& out, Diagnostics& d) {
            const auto* array = node.as_array();
            if (array == nullptr) {
              if (auto range = decode_status_range(node, path, false, d)) out.expect_status = {*range};
              return;
            }
            if (array->empty()) {
              d.error(position_of(node), path + ": must list at least one status or range");
              return;
            }
            std::vector<StatusRange> ranges;
            std::vector<const toml::node*> nodes;
            bool good = true;
            for (const auto& element : *array) {
              auto range = decode_status_range(element, path, true, d);
              if (!range) {
                good = false;
                continue;
              }
              ranges.push_back(*range);
              nodes.push_back(&element);
            }
            if (!good) return;
            // An overlap is harmless to the check but is always a slip: one
            // of the two entries does not say what its writer meant.
            for (std::size_t i = 0; i < ranges.size(); ++i) {
              for (std::size_t j = 0; j < i; ++j) {
                if (ranges[i].first > ranges[j].last || ranges[j].first > ranges[i].last) continue;
                const std::string shown = "'" + format_status_range(ranges[i]) + "'";
                const bool same = ranges[i].first == ranges[j].first && ranges[i].last == ranges[j].last;
                d.error(position_of(*nodes[i]),
                        path + ": " + shown +
                            (same ? " is listed twice" : " overlaps '" + format_status_range(ranges[j]) + "'"));
                good = false;
                break;
              }
            }
            if (good) out.expect_status = std::move(ranges);
          },
          {}};
}

TableSchema<HealthCheckConfig> health_check_schema() {
  using H = HealthCheckConfig;
  TableSchema<H> s("[backend.health_check]", "backend.health_check");
  s.optional("type", string_as<H, HealthCheckType>(&H::type, "string", "tcp, http", convert_check_type))
      .optional("interval", duration_in(&H::interval, ms(100), hours(1)))
      .optional("fastinter", duration_in(&H::fastinter, ms(100), hours(1)))
      .optional("downinter", duration_in(&H::downinter, ms(100), hours(1)))
      .optional("rise", integer_in(&H::rise, 1, 100))
      .optional("fall", integer_in(&H::fall, 1, 100))
      .optional("timeout", duration_in(&H::timeout, ms(1), hours(1)))
      .optional("method", string_as<H, std::string>(&H::method, "string",
                                                    "an HTTP method (a token), at most " +
                                                        std::to_string(kMaxCheckMethodBytes) +
                                                        " characters, not CONNECT",
                                                    convert_check_method))
      .optional("path", string_as<H, std::string>(&H::path, "string",
                                                  "starts with '/'; printable ASCII without spaces, '#' or "
                                                  "\"<>\\^`{|}; at most " +
                                                      std::to_string(kMaxCheckPathBytes) + " bytes",
                                                  convert_check_path))
      .optional("host", string_as<H, std::string>(&H::host, "string",
                                                  "host name, IPv4 address or [IPv6], optional :PORT; or \"\"",
                                                  convert_check_host))
      .optional("expect_status", expect_status_list())
      .optional("disable_on_404", boolean(&H::disable_on_404))
      .optional("observe", string_as<H, ObserveMode>(&H::observe, "string", "none, layer4, layer7", convert_observe))
      .optional("error_limit", integer_in(&H::error_limit, 1, 1000))
      .optional("on_error", string_as<H, OnError>(&H::on_error, "string",
                                                  "fastinter, fail-check, sudden-death, mark-down", convert_on_error))
      .hint("uri", "did you mean 'path'?")
      .hint("url", "did you mean 'path'?")
      .hint("status", "did you mean 'expect_status'?")
      .hint("timeout_check", "did you mean 'timeout'?")
      .hint("check_timeout", "did you mean 'timeout'?")
      .hint("port", "the port checks go to is set per server: write check_port in [[backend.server]]")
      .hint("check_port", "the port checks go to is set per server: write it in [[backend.server]]")
      .hint("slowstart", "slowstart is set per server: write it in [[backend.server]]");
  return s;
}

constexpr std::array<const char*, 5> kHttpOnlyCheckKeys = {"method", "path", "host", "expect_status",
                                                          "disable_on_404"};

// Runs here, with the table at hand, because only the table tells a `type`
// that was refused (and already reported) from one left out, which is tcp.
void check_http_only_keys(const toml::table& table, const HealthCheckConfig& check, Diagnostics& d) {
  const bool type_written = table.contains("type");
  if (check.type != HealthCheckType::tcp || (type_written && !check.positions.count("type"))) return;
  for (const std::string key : kHttpOnlyCheckKeys) {
    auto it = check.positions.find(key);
    if (it == check.positions.end()) continue;
    d.error(it->second, "backend.health_check." + key + ": applies to http checks only, and type is \"tcp\"" +
                            (type_written ? "" : " (the default)") + "; set type = \"http\" or remove " + key);
  }
}

FieldSpec<BackendConfig> health_check_table() {
  FieldSpec<BackendConfig> spec = table(&BackendConfig::health_check, health_check_schema());
  spec.decode = [decode = spec.decode](const toml::node& node, const std::string& path, BackendConfig& out,
                                       Diagnostics& d) {
    decode(node, path, out, d);
    if (const auto* table = node.as_table()) check_http_only_keys(*table, out.health_check, d);
  };
  return spec;
}

TableSchema<BackendConfig> backend_schema() {
  TableSchema<BackendConfig> s("[[backend]]", "backend");
  s.required("name", string_as<BackendConfig, std::string>(&BackendConfig::name, "string",
                                                           "1-32 of [A-Za-z0-9_.-], unique", convert_name))
      .optional("balance", balance_algorithm())
      .optional("hash_type", string_as<BackendConfig, HashType>(&BackendConfig::hash_type, "string",
                                                                "map-based, consistent", convert_hash_type))
      .optional("timeout_connect", duration_in(&BackendConfig::timeout_connect, ms(1), hours(1)))
      .optional("timeout_server", duration_in(&BackendConfig::timeout_server, ms(1), days(1)))
      .optional("timeout_queue", duration_in(&BackendConfig::timeout_queue, ms(1), hours(1)))
      .optional("timeout_tunnel", duration_in(&BackendConfig::timeout_tunnel, ms(1), days(7)))
      .optional("http_reuse", string_as<BackendConfig, HttpReuse>(&BackendConfig::http_reuse, "string",
                                                                  "never, safe, always", convert_http_reuse))
      .optional("retries", integer_in(&BackendConfig::retries, 0, 100))
      .optional("redispatch", boolean(&BackendConfig::redispatch))
      .optional("health_check", health_check_table())
      .optional("server", table_array(&BackendConfig::servers, server_schema()));
  return s;
}

// TOML lets a [[backend.server]] or [backend.health_check] written before
// any [[backend]] create a plain [backend] table; say what went wrong rather
// than "got a table".
FieldSpec<Config> backend_list() {
  FieldSpec<Config> spec = table_array(&Config::backends, backend_schema());
  spec.decode = [decode = spec.decode](const toml::node& node, const std::string& path, Config& out,
                                       Diagnostics& d) {
    const auto* table = node.as_table();
    if (table != nullptr && (table->contains("server") || table->contains("health_check"))) {
      if (table->contains("server")) {
        d.error(position_of(node),
                "backend.server: a [[backend.server]] table must follow the [[backend]] it belongs to");
      }
      if (table->contains("health_check")) {
        d.error(position_of(node),
                "backend.health_check: a [backend.health_check] table must follow the [[backend]] it belongs to");
      }
      return;
    }
    decode(node, path, out, d);
  };
  return spec;
}

TableSchema<Config> build_config_schema() {
  TableSchema<Config> s("", "");
  s.optional("dataplane", table(&Config::dataplane, dataplane_schema()))
      .optional("console", table(&Config::console, console_schema()))
      .optional("log", table(&Config::log, log_schema()))
      .optional("tcp", table(&Config::tcp, tcp_schema()))
      .optional("port", table_array(&Config::ports, port_schema()))
      .optional("arp", table_array(&Config::static_arp, static_arp_schema()))
      .optional("route", table_array(&Config::routes, route_schema()))
      .optional("frontend", table_array(&Config::frontends, frontend_schema()))
      .optional("backend", backend_list())
      .optional("vrrp", vrrp_list())
      .hint("vrrp_instance", "a VRRP instance is written [[vrrp]]");
  return s;
}

}  // namespace

const TableSchema<Config>& config_schema() {
  static const TableSchema<Config> schema = build_config_schema();
  return schema;
}

std::vector<KeyDoc> config_key_docs() { return config_schema().docs(); }

}  // namespace dplb::conf
