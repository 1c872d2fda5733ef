#include "vrrp/vrrp_checksum.h"

namespace dplb::vrrp {

uint32_t checksum_add(uint32_t sum, const uint8_t* data, std::size_t length) {
  std::size_t i = 0;
  for (; i + 1 < length; i += 2) {
    sum += static_cast<uint32_t>(data[i]) << 8 | data[i + 1];
    // Fold early so arbitrarily long inputs cannot overflow the accumulator.
    sum = (sum & 0xffff) + (sum >> 16);
  }
  if (i < length) sum += static_cast<uint32_t>(data[i]) << 8;
  return sum;
}

uint16_t checksum_finish(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

uint32_t checksum_add_ipv4_pseudo_header(uint32_t sum, uint32_t source, uint32_t destination,
                                         uint8_t protocol, uint16_t length) {
  const uint8_t pseudo[12] = {
      static_cast<uint8_t>(source >> 24),      static_cast<uint8_t>(source >> 16),
      static_cast<uint8_t>(source >> 8),       static_cast<uint8_t>(source),
      static_cast<uint8_t>(destination >> 24), static_cast<uint8_t>(destination >> 16),
      static_cast<uint8_t>(destination >> 8),  static_cast<uint8_t>(destination),
      0,                                       protocol,
      static_cast<uint8_t>(length >> 8),       static_cast<uint8_t>(length),
  };
  return checksum_add(sum, pseudo, sizeof(pseudo));
}

}  // namespace dplb::vrrp
