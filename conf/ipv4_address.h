#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dplb::conf {

// Host byte order; conversion to network order happens at the packet edge.
struct Ipv4Address {
  uint32_t value = 0;

  std::string to_string() const;
  bool operator==(const Ipv4Address&) const = default;
  auto operator<=>(const Ipv4Address&) const = default;
};

struct Ipv4Prefix {
  Ipv4Address address;
  uint8_t length = 32;

  uint32_t mask() const { return length == 0 ? 0 : ~uint32_t{0} << (32 - length); }
  Ipv4Address network() const { return {address.value & mask()}; }
  Ipv4Address broadcast() const { return {address.value | ~mask()}; }
  bool contains(Ipv4Address a) const { return (a.value & mask()) == network().value; }
  bool overlaps(const Ipv4Prefix& other) const;
  std::string to_string() const;
  bool operator==(const Ipv4Prefix&) const = default;
};

// Strict dotted quad: four decimal octets, no leading zeros (which some
// resolvers read as octal), nothing around it.
std::optional<Ipv4Address> parse_ipv4(std::string_view text);

// "A.B.C.D/LEN"; the length is required so a forgotten mask is an error, not /32.
std::optional<Ipv4Prefix> parse_ipv4_prefix(std::string_view text);

}  // namespace dplb::conf
