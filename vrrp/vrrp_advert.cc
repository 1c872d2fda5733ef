#include "vrrp/vrrp_advert.h"

#include <algorithm>
#include <cstring>

#include "vrrp/vrrp_checksum.h"

namespace dplb::vrrp {
namespace {

void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

uint32_t get32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

std::size_t message_length(uint8_t version, std::size_t count) {
  return kVrrpHeaderLength + 4 * count + (version == 2 ? kVrrpAuthLength : 0);
}

bool encodable(const VrrpAdvert& a) {
  if (a.address_count > kVrrpMaxAddresses) return false;
  if (a.version == 2) {
    // The v2 field is whole seconds in one byte.
    return a.interval_cs % 100 == 0 && a.interval_cs >= 100 && a.interval_cs <= 255 * 100;
  }
  if (a.version == 3) return a.interval_cs >= 1 && a.interval_cs <= 0x0fff;
  return false;
}

uint16_t v3_checksum(const uint8_t* message, std::size_t length, uint32_t source,
                     uint32_t destination, V3Checksum form) {
  uint32_t sum = 0;
  if (form == V3Checksum::pseudo_header) {
    sum = checksum_add_ipv4_pseudo_header(sum, source, destination, kVrrpIpProtocol,
                                          static_cast<uint16_t>(length));
  }
  return checksum_finish(checksum_add(sum, message, length));
}

}  // namespace

std::size_t vrrp_message_length(const VrrpAdvert& advert) {
  return message_length(advert.version, advert.address_count);
}

std::size_t encode_vrrp_ipv4_packet(const VrrpAdvert& advert, uint32_t source, uint32_t destination,
                                    uint16_t ip_id, V3Checksum v3_form, uint8_t* out,
                                    std::size_t capacity) {
  if (!encodable(advert)) return 0;
  const std::size_t vrrp_len = vrrp_message_length(advert);
  const std::size_t total = kIpv4HeaderLength + vrrp_len;
  if (out == nullptr || capacity < total) return 0;

  uint8_t* ip = out;
  ip[0] = 0x45;
  ip[1] = 0xc0;  // precedence "internetwork control", as keepalived sets it
  put16(ip + 2, static_cast<uint16_t>(total));
  put16(ip + 4, ip_id);
  put16(ip + 6, 0);  // keepalived leaves the flags clear (no DF)
  ip[8] = kVrrpTtl;
  ip[9] = kVrrpIpProtocol;
  put16(ip + 10, 0);
  put32(ip + 12, source);
  put32(ip + 16, destination);
  put16(ip + 10, checksum_finish(checksum_add(0, ip, kIpv4HeaderLength)));

  uint8_t* v = ip + kIpv4HeaderLength;
  v[0] = static_cast<uint8_t>(advert.version << 4 | kVrrpTypeAdvertisement);
  v[1] = advert.vrid;
  v[2] = advert.priority;
  v[3] = advert.address_count;
  if (advert.version == 2) {
    v[4] = advert.auth_type;
    v[5] = static_cast<uint8_t>(advert.interval_cs / 100);
  } else {
    put16(v + 4, static_cast<uint16_t>(advert.interval_cs & 0x0fff));  // reserved bits zero
  }
  put16(v + 6, 0);
  for (std::size_t i = 0; i < advert.address_count; ++i) {
    put32(v + kVrrpHeaderLength + 4 * i, advert.addresses[i]);
  }
  if (advert.version == 2) {
    // keepalived sends the PASS bytes for PASS; with no authentication RFC
    // 3768 5.3.10 wants the field zero, whatever the caller left in it.
    uint8_t* auth = v + kVrrpHeaderLength + 4 * advert.address_count;
    if (advert.auth_type == kVrrpAuthPass) {
      std::memcpy(auth, advert.auth_data.data(), kVrrpAuthLength);
    } else {
      std::memset(auth, 0, kVrrpAuthLength);
    }
    put16(v + 6, checksum_finish(checksum_add(0, v, vrrp_len)));
  } else {
    put16(v + 6, v3_checksum(v, vrrp_len, source, destination, v3_form));
  }
  return total;
}

std::size_t build_vrrp_frame(const VrrpAdvert& advert, const VrrpFrameAddressing& addressing,
                             uint16_t ip_id, V3Checksum v3_form, uint8_t* out,
                             std::size_t capacity) {
  if (out == nullptr || capacity < kEthernetHeaderLength) return 0;
  const std::size_t ip_len =
      encode_vrrp_ipv4_packet(advert, addressing.source, addressing.destination, ip_id, v3_form,
                              out + kEthernetHeaderLength, capacity - kEthernetHeaderLength);
  if (ip_len == 0) return 0;
  const std::size_t frame_len = std::max(kEthernetHeaderLength + ip_len, kEthernetMinFrame);
  if (capacity < frame_len) return 0;

  const uint32_t dst = addressing.destination;
  if ((dst >> 28) == 0xe) {
    const uint8_t mac[6] = {0x01, 0x00, 0x5e, static_cast<uint8_t>((dst >> 16) & 0x7f),
                            static_cast<uint8_t>(dst >> 8), static_cast<uint8_t>(dst)};
    std::memcpy(out, mac, 6);
  } else {
    std::memcpy(out, addressing.destination_mac.data(), 6);
  }
  std::memcpy(out + 6, addressing.source_mac.data(), 6);
  put16(out + 12, 0x0800);
  std::memset(out + kEthernetHeaderLength + ip_len, 0, frame_len - kEthernetHeaderLength - ip_len);
  return frame_len;
}

VrrpParseResult parse_vrrp_ipv4_packet(const uint8_t* ip, std::size_t length) {
  VrrpParseResult r;
  auto drop = [&r](VrrpDrop d) {
    r.ok = false;
    r.drop = d;
    return r;
  };
  if (ip == nullptr || length < kIpv4HeaderLength) return drop(VrrpDrop::truncated);
  if ((ip[0] >> 4) != 4) return drop(VrrpDrop::bad_ip_header);
  const std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
  if (ihl < kIpv4HeaderLength) return drop(VrrpDrop::bad_ip_header);
  const std::size_t total = get16(ip + 2);
  if (total < ihl) return drop(VrrpDrop::bad_ip_header);
  if (ihl > length || total > length) return drop(VrrpDrop::truncated);
  if (checksum_finish(checksum_add(0, ip, ihl)) != 0) return drop(VrrpDrop::bad_ip_header);
  // MF set or a non-zero offset: adverts are tiny and never fragmented.
  if ((get16(ip + 6) & 0x3fff) != 0) return drop(VrrpDrop::bad_ip_header);
  if (ip[9] != kVrrpIpProtocol) return drop(VrrpDrop::not_vrrp);
  if (ip[8] != kVrrpTtl) return drop(VrrpDrop::ttl_not_255);

  const uint8_t* v = ip + ihl;
  const std::size_t vrrp_len = total - ihl;
  if (vrrp_len < kVrrpHeaderLength) return drop(VrrpDrop::truncated);
  const uint8_t version = v[0] >> 4;
  if (version != 2 && version != 3) return drop(VrrpDrop::bad_version);
  if ((v[0] & 0x0f) != kVrrpTypeAdvertisement) return drop(VrrpDrop::bad_type);
  const uint8_t count = v[3];
  // Like keepalived, the message must be exactly what the count implies: a
  // longer one could hide data, a shorter one would be read past its end.
  if (vrrp_len != message_length(version, count)) return drop(VrrpDrop::bad_length);
  if (count > kVrrpMaxAddresses) return drop(VrrpDrop::too_many_addresses);

  const uint32_t source = get32(ip + 12);
  const uint32_t destination = get32(ip + 16);
  V3Checksum form = V3Checksum::pseudo_header;
  if (version == 2) {
    if (checksum_finish(checksum_add(0, v, vrrp_len)) != 0) return drop(VrrpDrop::bad_checksum);
  } else {
    // A correct checksum makes the complemented sum over everything zero.
    const uint32_t message_sum = checksum_add(0, v, vrrp_len);
    const uint32_t with_pseudo = checksum_add_ipv4_pseudo_header(
        message_sum, source, destination, kVrrpIpProtocol, static_cast<uint16_t>(vrrp_len));
    if (checksum_finish(with_pseudo) == 0) {
      form = V3Checksum::pseudo_header;
    } else if (checksum_finish(message_sum) == 0) {
      form = V3Checksum::message_only;
    } else {
      return drop(VrrpDrop::bad_checksum);
    }
  }

  VrrpAdvert& a = r.packet.advert;
  a.version = version;
  a.vrid = v[1];
  a.priority = v[2];
  a.address_count = count;
  if (version == 2) {
    a.auth_type = v[4];
    a.interval_cs = static_cast<uint16_t>(v[5] * 100);
  } else {
    a.auth_type = kVrrpAuthNone;
    a.interval_cs = get16(v + 4) & 0x0fff;  // the top 4 bits are reserved: ignored on receipt
    if (a.interval_cs == 0) return drop(VrrpDrop::bad_interval);
  }
  for (std::size_t i = 0; i < count; ++i) a.addresses[i] = get32(v + kVrrpHeaderLength + 4 * i);
  if (version == 2) {
    std::memcpy(a.auth_data.data(), v + kVrrpHeaderLength + 4 * count, kVrrpAuthLength);
  }
  r.packet.source = source;
  r.packet.destination = destination;
  r.packet.checksum_form = form;
  r.ok = true;
  return r;
}

}  // namespace dplb::vrrp
