#include "conf/duration.h"

#include <array>
#include <limits>

namespace dplb::conf {
namespace {

struct Unit {
  std::string_view suffix;
  int64_t microseconds;
};

// Longest suffixes first so "ms" is not read as "m" followed by junk.
constexpr std::array<Unit, 6> kUnits{{
    {"us", 1},
    {"ms", 1000},
    {"s", 1000 * 1000},
    {"m", 60LL * 1000 * 1000},
    {"h", 3600LL * 1000 * 1000},
    {"d", 86400LL * 1000 * 1000},
}};

}  // namespace

std::optional<Duration> parse_duration(std::string_view text, std::string* error) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) {
    *error = "'" + std::string(text) + "' is not a duration (expected a number with a unit: us, ms, s, m, h, d)";
    return std::nullopt;
  }
  std::string_view suffix = text.substr(digits);
  int64_t scale = 0;
  if (suffix.empty()) {
    scale = 1000;
  } else {
    for (const auto& unit : kUnits) {
      if (suffix == unit.suffix) scale = unit.microseconds;
    }
  }
  if (scale == 0) {
    *error = "'" + std::string(text) + "' has an unknown unit '" + std::string(suffix) +
             "' (expected us, ms, s, m, h or d)";
    return std::nullopt;
  }
  int64_t value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    int digit = text[i] - '0';
    if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) {
      *error = "'" + std::string(text) + "' is too large";
      return std::nullopt;
    }
    value = value * 10 + digit;
  }
  if (value > std::numeric_limits<int64_t>::max() / scale) {
    *error = "'" + std::string(text) + "' is too large";
    return std::nullopt;
  }
  return Duration{value * scale};
}

std::string format_duration(Duration d) {
  if (d.microseconds == 0) return "0s";
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
    if (d.microseconds % it->microseconds == 0) {
      return std::to_string(d.microseconds / it->microseconds) + std::string(it->suffix);
    }
  }
  return std::to_string(d.microseconds) + "us";
}

}  // namespace dplb::conf
