#pragma once

// The Internet checksum (RFC 1071) over byte buffers, kept here so the VRRP
// library needs nothing from DPDK. Sums are over big-endian 16-bit words, so
// results are host-order values to be stored big-endian.

#include <cstddef>
#include <cstdint>

namespace dplb::vrrp {

// Adds `length` bytes to a running 32-bit one's-complement sum. A trailing odd
// byte is padded with zero, as RFC 1071 says; only the last chunk may be odd.
uint32_t checksum_add(uint32_t sum, const uint8_t* data, std::size_t length);

// Folds a running sum to 16 bits and complements it: the value for the field.
uint16_t checksum_finish(uint32_t sum);

// The IPv4 pseudo-header of RFC 768 / RFC 9293 (source, destination, zero,
// protocol, length) added to a running sum.
uint32_t checksum_add_ipv4_pseudo_header(uint32_t sum, uint32_t source, uint32_t destination,
                                         uint8_t protocol, uint16_t length);

}  // namespace dplb::vrrp
