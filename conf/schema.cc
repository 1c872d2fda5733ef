#include "conf/schema.h"

namespace dplb::conf {

SourcePosition position_of(const toml::node& node) {
  return {node.source().begin.line, node.source().begin.column};
}

SourcePosition position_of(const toml::key& key) { return {key.source().begin.line, key.source().begin.column}; }

std::string describe_type(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    default: return "nothing";
  }
}

void report_type(Diagnostics& d, const toml::node& node, const std::string& path, const std::string& expected) {
  d.error(position_of(node), path + ": expected " + expected + ", got " + describe_type(node));
}

void report_range(Diagnostics& d, const toml::node& node, const std::string& path, int64_t value, int64_t min,
                  int64_t max) {
  d.error(position_of(node), path + ": " + std::to_string(value) + " is out of range " + std::to_string(min) + ".." +
                                 std::to_string(max));
}

std::optional<Duration> decode_duration(const toml::node& node, const std::string& path, Duration min, Duration max,
                                        Diagnostics& d) {
  std::optional<Duration> value;
  std::string error;
  if (const auto* i = node.as_integer()) {
    if (i->get() < 0 || i->get() > max.microseconds / 1000) {
      report_range(d, node, path, i->get(), min.microseconds / 1000, max.microseconds / 1000);
      return std::nullopt;
    }
    value = Duration{i->get() * 1000};
  } else if (const auto* s = node.as_string()) {
    value = parse_duration(s->get(), &error);
    if (!value) {
      d.error(position_of(node), path + ": " + error);
      return std::nullopt;
    }
  } else {
    report_type(d, node, path, "a duration (\"5s\") or milliseconds");
    return std::nullopt;
  }
  if (value->microseconds < min.microseconds || value->microseconds > max.microseconds) {
    d.error(position_of(node), path + ": " + format_duration(*value) + " is out of range " + format_duration(min) +
                                   ".." + format_duration(max));
    return std::nullopt;
  }
  return value;
}

}  // namespace dplb::conf
