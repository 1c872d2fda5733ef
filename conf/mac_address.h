#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dplb::conf {

using Mac = std::array<uint8_t, 6>;

// "02:99:01:00:01:01" (colons or dashes, either case).
std::optional<Mac> parse_mac(std::string_view text);
std::string format_mac(const Mac& mac);

}  // namespace dplb::conf
