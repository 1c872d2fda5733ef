#pragma once

// Reading a TCP segment addressed to us out of a validated IPv4 frame:
// header bounds, checksum over the pseudo-header (unless the NIC already
// checked it), options, payload bounds and flag combinations no stack
// should accept. The result is a view into the frame, nothing is copied.

#include <cstdint>

#include "dataplane/tcp/tcp_options.h"

struct rte_mbuf;

namespace dplb::dataplane {

namespace tcp_flag {
inline constexpr uint8_t fin = 0x01;
inline constexpr uint8_t syn = 0x02;
inline constexpr uint8_t rst = 0x04;
inline constexpr uint8_t psh = 0x08;
inline constexpr uint8_t ack = 0x10;
inline constexpr uint8_t urg = 0x20;
inline constexpr uint8_t ece = 0x40;
inline constexpr uint8_t cwr = 0x80;
}  // namespace tcp_flag

struct TcpSegment {
  uint32_t source = 0;       // IPv4, host order
  uint32_t destination = 0;  // IPv4, host order
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  uint32_t sequence = 0;
  uint32_t acknowledgement = 0;
  uint8_t flags = 0;
  uint16_t window = 0;  // as sent, before scaling
  uint16_t urgent = 0;
  TcpOptions options;
  uint32_t payload_offset = 0;  // from the start of the frame
  uint32_t payload_length = 0;

  bool has(uint8_t flag) const { return (flags & flag) != 0; }
  // Sequence space the segment occupies: payload plus one each for SYN and FIN.
  uint32_t sequence_length() const {
    return payload_length + (has(tcp_flag::syn) ? 1u : 0u) + (has(tcp_flag::fin) ? 1u : 0u);
  }
};

enum class TcpSegmentError : uint8_t {
  none,
  truncated,     // shorter than its header, or the header runs past the datagram
  bad_offset,    // data offset below 5 words
  bad_checksum,
  bad_options,
  bad_flags,     // SYN with FIN or RST, or no flag at all
};

// `frame` holds Ethernet + a validated IPv4 header of `ip_header_length`
// bytes whose protocol is TCP, trimmed to the IP total length.
TcpSegmentError parse_tcp_segment(const rte_mbuf* frame, uint32_t ip_header_length, TcpSegment* out);

}  // namespace dplb::dataplane
