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

}  // namespace dplb::conf
