#pragma once

// The VRRP advertisement on the wire: encoding of VRRPv2 (RFC 3768) and
// VRRPv3 (RFC 5798 / RFC 9568) IPv4 packets and Ethernet frames the way
// keepalived sends them, and decoding with the packet-level checks every
// advert must pass before it is routed to an instance by its VRID.
//
// All addresses in this API are IPv4 addresses in host byte order; MACs are
// six bytes in wire order. Nothing here allocates or does I/O.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "vrrp/vrrp_drop.h"

namespace dplb::vrrp {

inline constexpr uint8_t kVrrpIpProtocol = 112;        // RFC 3768 5.2.4
inline constexpr uint8_t kVrrpTtl = 255;               // RFC 3768 5.2.3
inline constexpr uint32_t kVrrpMulticastGroup = 0xe0000012;  // 224.0.0.18
inline constexpr uint8_t kVrrpTypeAdvertisement = 1;
inline constexpr uint8_t kVrrpPriorityOwner = 255;
inline constexpr uint8_t kVrrpPriorityStop = 0;  // "I am leaving": backups take over after skew time
inline constexpr std::size_t kVrrpAuthLength = 8;
inline constexpr uint8_t kVrrpAuthNone = 0;
inline constexpr uint8_t kVrrpAuthPass = 1;
inline constexpr uint8_t kVrrpAuthAh = 2;  // recognised on receive, never produced

// The count field is 8 bits (up to 255 addresses); keepalived moves addresses
// past what fits a packet to "excluded" VIPs. We keep a fixed array so the
// codec never allocates: 32 is far beyond any sane virtual router.
inline constexpr std::size_t kVrrpMaxAddresses = 32;

inline constexpr std::size_t kIpv4HeaderLength = 20;
inline constexpr std::size_t kEthernetHeaderLength = 14;
inline constexpr std::size_t kEthernetMinFrame = 60;  // without FCS
inline constexpr std::size_t kVrrpHeaderLength = 8;

using MacAddress = std::array<uint8_t, 6>;

// How the VRRPv3 checksum covers IPv4 (v2 always sums the VRRP message only).
//  - pseudo_header: the 12-byte IPv4 pseudo-header (source, destination, 0,
//    112, VRRP length) precedes the message. This is keepalived's default and
//    Wireshark's reading of RFC 5798 5.2.8, whose text only cites the IPv6
//    pseudo-header of RFC 2460.
//  - message_only: no pseudo-header, as in VRRPv2. keepalived calls this
//    `v3_checksum_as_v2`, FRR `no ... checksum-with-ipv4-pseudoheader`; Cisco
//    computes it so, and the keepalived (#2324) and FRR (#14024) trackers
//    report that the RFC 5798 revision published as RFC 9568 settles IPv4 on
//    this form. Receivers here accept either form, whatever they send.
enum class V3Checksum : uint8_t { pseudo_header, message_only };

struct VrrpAdvert {
  uint8_t version = 2;  // 2 or 3
  uint8_t vrid = 0;
  uint8_t priority = 0;
  // v3: Max Adver Int in centiseconds (12 bits). v2: the one-byte Adver Int
  // in seconds, times 100, so both versions compare in the same unit.
  uint16_t interval_cs = 100;
  uint8_t auth_type = kVrrpAuthNone;  // v2 only; v3 has no authentication
  std::array<uint8_t, kVrrpAuthLength> auth_data{};  // v2 PASS: the 8 bytes, zero-padded
  uint8_t address_count = 0;
  std::array<uint32_t, kVrrpMaxAddresses> addresses{};

  std::span<const uint32_t> address_list() const { return {addresses.data(), address_count}; }
};

// The VRRP message length (header, addresses, v2 authentication data).
std::size_t vrrp_message_length(const VrrpAdvert& advert);

// Writes the IPv4 packet keepalived puts on the wire: IHL 5, TOS 0xc0
// (network control), the given ID (keepalived counts from 1 per instance),
// no DF, TTL 255, protocol 112, header checksum, then the VRRP message with
// its checksum. `v3_form` is ignored for v2. Returns the bytes written, or 0
// if the advert is not encodable (version, count, v2 interval not whole
// seconds in 1..255, v3 interval 0 or over 4095) or `capacity` is too small.
std::size_t encode_vrrp_ipv4_packet(const VrrpAdvert& advert, uint32_t source, uint32_t destination,
                                    uint16_t ip_id, V3Checksum v3_form, uint8_t* out,
                                    std::size_t capacity);

struct VrrpFrameAddressing {
  MacAddress source_mac{};  // keepalived without use_vmac sends from the port's own MAC
  // Used only when `destination` is not multicast (unicast peers); multicast
  // destinations map to 01:00:5e + the low 23 bits of the group (RFC 1112).
  MacAddress destination_mac{};
  uint32_t source = 0;  // our primary address
  uint32_t destination = kVrrpMulticastGroup;
};

// The whole Ethernet frame (EtherType 0x0800) around encode_vrrp_ipv4_packet,
// zero-padded to the 60-byte Ethernet minimum because not every PMD pads
// short frames. Returns the frame length or 0 as above.
std::size_t build_vrrp_frame(const VrrpAdvert& advert, const VrrpFrameAddressing& addressing,
                             uint16_t ip_id, V3Checksum v3_form, uint8_t* out,
                             std::size_t capacity);

// A buffer size that fits any frame build_vrrp_frame produces.
inline constexpr std::size_t kVrrpMaxFrameLength =
    kEthernetHeaderLength + kIpv4HeaderLength + kVrrpHeaderLength + 4 * kVrrpMaxAddresses +
    kVrrpAuthLength;

// A received advert that passed the packet checks.
struct VrrpPacket {
  VrrpAdvert advert;
  uint32_t source = 0;
  uint32_t destination = 0;
  V3Checksum checksum_form = V3Checksum::pseudo_header;  // v3: the form that verified
};

struct VrrpParseResult {
  bool ok = false;
  VrrpDrop drop = VrrpDrop::truncated;  // meaningful when !ok
  VrrpPacket packet;                     // meaningful when ok
};

// Decodes an IPv4 packet (starting at the IP header; bytes past the IP total
// length, such as Ethernet padding, are ignored) and applies the checks that
// need no instance: IPv4 header sanity and checksum, no fragments, protocol
// 112, TTL 255, version 2 or 3, type ADVERTISEMENT, the length implied by the
// address count, and the checksum (v3 accepted in either V3Checksum form).
// Reads only inside [ip_packet, ip_packet + length).
VrrpParseResult parse_vrrp_ipv4_packet(const uint8_t* ip_packet, std::size_t length);

}  // namespace dplb::vrrp
