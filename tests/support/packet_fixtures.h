#pragma once

// Whole frames for fixtures, with checksums computed here, independently of
// the code under test.

#include <cstdint>
#include <vector>

#include "tests/support/frame_builder.h"

namespace dplb::testing {

inline uint16_t internet_checksum(const uint8_t* data, std::size_t length) {
  uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < length; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (length & 1) sum += static_cast<uint32_t>(data[length - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

inline uint32_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d;
}

inline Bytes arp_frame(const MacAddress& eth_dst, const MacAddress& eth_src, uint16_t op, const MacAddress& sha,
                       uint32_t spa, const MacAddress& tha, uint32_t tpa) {
  return FrameBuilder()
      .ethernet(eth_dst, eth_src, 0x0806)
      .u16(1)
      .u16(0x0800)
      .u8(6)
      .u8(4)
      .u16(op)
      .append(sha)
      .u32(spa)
      .append(tha)
      .u32(tpa)
      .build();
}

struct Ipv4Fields {
  uint32_t source = 0;
  uint32_t destination = 0;
  uint8_t protocol = 1;
  uint8_t ttl = 64;
  uint16_t id = 0x1234;
  uint16_t flags_fragment = 0x4000;  // DF
  Bytes options;                     // multiple of 4 bytes
  bool corrupt_checksum = false;
  int total_length_delta = 0;  // lie about the length
};

// An IPv4 datagram carrying `payload` inside an Ethernet frame.
inline Bytes ipv4_frame(const MacAddress& eth_dst, const MacAddress& eth_src, const Ipv4Fields& f,
                        const Bytes& payload) {
  const std::size_t header_length = 20 + f.options.size();
  Bytes header = FrameBuilder()
                     .u8(static_cast<uint8_t>(0x40 | header_length / 4))
                     .u8(0)
                     .u16(static_cast<uint16_t>(header_length + payload.size() + f.total_length_delta))
                     .u16(f.id)
                     .u16(f.flags_fragment)
                     .u8(f.ttl)
                     .u8(f.protocol)
                     .u16(0)
                     .u32(f.source)
                     .u32(f.destination)
                     .append(f.options)
                     .build();
  uint16_t checksum = internet_checksum(header.data(), header.size());
  if (f.corrupt_checksum) checksum ^= 0x0101;
  header[10] = static_cast<uint8_t>(checksum >> 8);
  header[11] = static_cast<uint8_t>(checksum);
  return FrameBuilder().ethernet(eth_dst, eth_src, 0x0800).append(header).append(payload).build();
}

inline Bytes icmp_message(uint8_t type, uint8_t code, uint16_t id, uint16_t sequence, std::size_t data_size,
                          bool corrupt_checksum = false) {
  Bytes m = FrameBuilder().u8(type).u8(code).u16(0).u16(id).u16(sequence).build();
  for (std::size_t i = 0; i < data_size; ++i) m.push_back(static_cast<uint8_t>(i * 7 + 3));
  uint16_t checksum = internet_checksum(m.data(), m.size());
  if (corrupt_checksum) checksum ^= 0x00ff;
  m[2] = static_cast<uint8_t>(checksum >> 8);
  m[3] = static_cast<uint8_t>(checksum);
  return m;
}

struct TcpFields {
  uint16_t source_port = 40000;
  uint16_t destination_port = 80;
  uint32_t sequence = 1000;
  uint32_t acknowledgement = 0;
  uint8_t flags = 0x02;  // SYN
  uint16_t window = 64240;
  Bytes options;  // multiple of 4 bytes
  int data_offset_words = -1;  // -1: computed; anything else: a lie
  bool corrupt_checksum = false;
};

// A TCP segment with its checksum over the IPv4 pseudo-header.
inline Bytes tcp_segment(uint32_t source, uint32_t destination, const TcpFields& f, const Bytes& payload) {
  const std::size_t header_length = 20 + f.options.size();
  const uint8_t words = static_cast<uint8_t>(f.data_offset_words >= 0 ? f.data_offset_words : header_length / 4);
  Bytes segment = FrameBuilder()
                      .u16(f.source_port)
                      .u16(f.destination_port)
                      .u32(f.sequence)
                      .u32(f.acknowledgement)
                      .u8(static_cast<uint8_t>(words << 4))
                      .u8(f.flags)
                      .u16(f.window)
                      .u16(0)
                      .u16(0)
                      .append(f.options)
                      .append(payload)
                      .build();
  Bytes pseudo = FrameBuilder().u32(source).u32(destination).u8(0).u8(6).u16(static_cast<uint16_t>(segment.size())).build();
  pseudo.insert(pseudo.end(), segment.begin(), segment.end());
  uint16_t checksum = internet_checksum(pseudo.data(), pseudo.size());
  if (f.corrupt_checksum) checksum ^= 0x0f0f;
  segment[16] = static_cast<uint8_t>(checksum >> 8);
  segment[17] = static_cast<uint8_t>(checksum);
  return segment;
}

}  // namespace dplb::testing
