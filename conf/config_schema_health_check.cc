#include "conf/config_sections.h"

#include <array>

#include "conf/proxy_values.h"

namespace dplb::conf {
namespace {

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

}  // namespace

FieldSpec<BackendConfig> health_check_table() {
  FieldSpec<BackendConfig> spec = table(&BackendConfig::health_check, health_check_schema());
  spec.decode = [decode = spec.decode](const toml::node& node, const std::string& path, BackendConfig& out,
                                       Diagnostics& d) {
    decode(node, path, out, d);
    if (const auto* table = node.as_table()) check_http_only_keys(*table, out.health_check, d);
  };
  return spec;
}

}  // namespace dplb::conf
