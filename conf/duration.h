#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dplb::conf {

// A duration as operators write it in HAProxy: a number with a unit
// ("100us", "500ms", "5s", "2m", "1h", "1d"); a bare number means milliseconds.
// Kept in microseconds because VRRPv3 intervals and RTOs need sub-millisecond precision.
struct Duration {
  int64_t microseconds = 0;

  int64_t milliseconds() const { return microseconds / 1000; }
  bool operator==(const Duration&) const = default;
};

// Returns nullopt and sets *error on malformed input or overflow.
std::optional<Duration> parse_duration(std::string_view text, std::string* error);

// Shortest exact rendering: 1500000us -> "1500ms", 120s -> "2m".
std::string format_duration(Duration d);

}  // namespace dplb::conf
