// The VRRP advertisement codec: frames byte for byte as keepalived sends
// them, the checks on received packets with one drop reason per hostile
// packet, the per-instance checks, and bounds under random input.
//
// Expected bytes were computed independently with a few lines of Python
// (struct.pack and a one's-complement sum), not with this library; the
// v2 VRRP checksum 0x9c56 was also summed by hand.

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "vrrp/vrrp_accept.h"
#include "vrrp/vrrp_advert.h"
#include "vrrp/vrrp_settings.h"

namespace dplb::vrrp {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint32_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return static_cast<uint32_t>(a) << 24 | static_cast<uint32_t>(b) << 16 |
         static_cast<uint32_t>(c) << 8 | d;
}

constexpr uint32_t kLb1 = ipv4(10, 99, 1, 2);
constexpr uint32_t kLb2 = ipv4(10, 99, 1, 3);
constexpr uint32_t kVip = ipv4(10, 99, 1, 10);
const MacAddress kLb1Mac = {0x02, 0x00, 0x0a, 0x63, 0x01, 0x02};

// The test's own checksum, so library bugs cannot cancel out.
uint16_t reference_sum(const uint8_t* p, std::size_t n) {
  uint64_t s = 0;
  for (std::size_t i = 0; i < n; i += 2) s += (p[i] << 8) | (i + 1 < n ? p[i + 1] : 0);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

void fix_ip_checksum(Bytes& p) {
  p[10] = p[11] = 0;
  const uint16_t c = reference_sum(p.data(), 20);
  p[10] = static_cast<uint8_t>(c >> 8);
  p[11] = static_cast<uint8_t>(c);
}

// v2 (and v3 message-only) checksum over the VRRP message.
void fix_vrrp_checksum(Bytes& p) {
  p[26] = p[27] = 0;
  const uint16_t c = reference_sum(p.data() + 20, p.size() - 20);
  p[26] = static_cast<uint8_t>(c >> 8);
  p[27] = static_cast<uint8_t>(c);
}

VrrpAdvert reference_v2_advert() {
  // keepalived-lb1.conf: vrid 101, priority 101, advert_int 1, PASS 12345678.
  VrrpAdvert a;
  a.version = 2;
  a.vrid = 101;
  a.priority = 101;
  a.interval_cs = 100;
  a.auth_type = kVrrpAuthPass;
  a.auth_data = vrrp_auth_pass_bytes("12345678");
  a.address_count = 1;
  a.addresses[0] = kVip;
  return a;
}

VrrpAdvert reference_v3_advert() {
  VrrpAdvert a = reference_v2_advert();
  a.version = 3;
  a.auth_type = kVrrpAuthNone;
  a.auth_data = {};
  return a;
}

const Bytes kV2Frame = {
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x02, 0x00, 0x0a, 0x63, 0x01, 0x02, 0x08, 0x00,  // Ethernet
    0x45, 0xc0, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0xcf, 0x2d,              // IPv4
    0x0a, 0x63, 0x01, 0x02, 0xe0, 0x00, 0x00, 0x12,                                      //
    0x21, 0x65, 0x65, 0x01, 0x01, 0x01, 0x9c, 0x56,                                      // VRRPv2
    0x0a, 0x63, 0x01, 0x0a,                                                              // VIP
    0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38,                                      // "12345678"
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00};                                                 // padding

const Bytes kV3PseudoFrame = {
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x02, 0x00, 0x0a, 0x63, 0x01, 0x02, 0x08, 0x00,
    0x45, 0xc0, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0xcf, 0x35,
    0x0a, 0x63, 0x01, 0x02, 0xe0, 0x00, 0x00, 0x12,
    0x31, 0x65, 0x65, 0x01, 0x00, 0x64, 0x71, 0xd4,  // v3, 100 cs, checksum with pseudo-header
    0x0a, 0x63, 0x01, 0x0a,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

const Bytes kV3MessageOnlyFrame = {
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x02, 0x00, 0x0a, 0x63, 0x01, 0x02, 0x08, 0x00,
    0x45, 0xc0, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0xcf, 0x35,
    0x0a, 0x63, 0x01, 0x02, 0xe0, 0x00, 0x00, 0x12,
    0x31, 0x65, 0x65, 0x01, 0x00, 0x64, 0x5d, 0xc8,  // checksum over the message only
    0x0a, 0x63, 0x01, 0x0a,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

struct FrameRow {
  const char* name;
  VrrpAdvert advert;
  V3Checksum form;
  const Bytes* expected;
};

TEST(VrrpAdvert, FramesMatchKeepalivedByteForByte) {
  const FrameRow rows[] = {
      {"v2 PASS, reference config", reference_v2_advert(), V3Checksum::pseudo_header, &kV2Frame},
      {"v3 pseudo-header checksum", reference_v3_advert(), V3Checksum::pseudo_header,
       &kV3PseudoFrame},
      {"v3 message-only checksum", reference_v3_advert(), V3Checksum::message_only,
       &kV3MessageOnlyFrame},
  };
  for (const FrameRow& row : rows) {
    SCOPED_TRACE(row.name);
    VrrpFrameAddressing addressing;
    addressing.source_mac = kLb1Mac;
    addressing.source = kLb1;
    uint8_t out[kVrrpMaxFrameLength + 64];
    std::memset(out, 0xaa, sizeof(out));
    const std::size_t n = build_vrrp_frame(row.advert, addressing, 1, row.form, out, sizeof(out));
    ASSERT_EQ(n, row.expected->size());
    EXPECT_EQ(Bytes(out, out + n), *row.expected);
  }
}

TEST(VrrpAdvert, IpPacketsMatchReference) {
  VrrpAdvert multi;
  multi.version = 3;
  multi.vrid = 7;
  multi.priority = 200;
  multi.interval_cs = 10;
  multi.address_count = 3;
  multi.addresses[0] = ipv4(192, 168, 7, 1);
  multi.addresses[1] = ipv4(192, 168, 7, 2);
  multi.addresses[2] = ipv4(10, 0, 0, 1);
  const Bytes expected_multi = {
      0x45, 0xc0, 0x00, 0x28, 0x12, 0x34, 0x00, 0x00, 0xff, 0x70, 0x00, 0xa3, 0xc0, 0xa8,
      0x07, 0x14, 0xe0, 0x00, 0x00, 0x12, 0x31, 0x07, 0xc8, 0x03, 0x00, 0x0a, 0xc5, 0x41,
      0xc0, 0xa8, 0x07, 0x01, 0xc0, 0xa8, 0x07, 0x02, 0x0a, 0x00, 0x00, 0x01};

  // A v2 priority-0 advert without authentication: the auth field is zero
  // even if the caller left bytes in auth_data.
  VrrpAdvert stop;
  stop.version = 2;
  stop.vrid = 50;
  stop.priority = 0;
  stop.interval_cs = 300;
  stop.auth_data = vrrp_auth_pass_bytes("ignored!");
  stop.address_count = 2;
  stop.addresses[0] = ipv4(10, 0, 0, 1);
  stop.addresses[1] = ipv4(10, 0, 0, 2);
  const Bytes expected_stop = {
      0x45, 0xc0, 0x00, 0x2c, 0x00, 0x09, 0x00, 0x00, 0xff, 0x70, 0xd0, 0x81, 0x0a, 0x00, 0x00,
      0x05, 0xe0, 0x00, 0x00, 0x12, 0x21, 0x32, 0x00, 0x02, 0x00, 0x03, 0xca, 0xc5, 0x0a, 0x00,
      0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

  uint8_t out[128];
  std::size_t n = encode_vrrp_ipv4_packet(multi, ipv4(192, 168, 7, 20), kVrrpMulticastGroup,
                                          0x1234, V3Checksum::pseudo_header, out, sizeof(out));
  EXPECT_EQ(Bytes(out, out + n), expected_multi);
  n = encode_vrrp_ipv4_packet(stop, ipv4(10, 0, 0, 5), kVrrpMulticastGroup, 9,
                              V3Checksum::pseudo_header, out, sizeof(out));
  EXPECT_EQ(Bytes(out, out + n), expected_stop);
}

TEST(VrrpAdvert, EncodeRefusesWhatCannotBeSent) {
  uint8_t out[kVrrpMaxFrameLength];
  VrrpFrameAddressing addressing;
  addressing.source = kLb1;
  auto frame_len = [&](const VrrpAdvert& a, std::size_t cap = sizeof(out)) {
    return build_vrrp_frame(a, addressing, 1, V3Checksum::pseudo_header, out, cap);
  };
  VrrpAdvert a = reference_v2_advert();
  EXPECT_EQ(frame_len(a, 59), 0u) << "54 bytes of frame but 60 with padding";
  EXPECT_EQ(frame_len(a, 60), 60u);
  a.interval_cs = 150;  // v2 carries whole seconds only
  EXPECT_EQ(frame_len(a), 0u);
  a = reference_v3_advert();
  a.interval_cs = 0;
  EXPECT_EQ(frame_len(a), 0u);
  a.interval_cs = 4096;
  EXPECT_EQ(frame_len(a), 0u);
  a = reference_v2_advert();
  a.version = 4;
  EXPECT_EQ(frame_len(a), 0u);
  a = reference_v2_advert();
  a.address_count = kVrrpMaxAddresses + 1;
  EXPECT_EQ(frame_len(a), 0u);
  a.address_count = kVrrpMaxAddresses;
  EXPECT_EQ(frame_len(a), kVrrpMaxFrameLength);
}

TEST(VrrpAdvert, UnicastDestinationUsesTheGivenMac) {
  VrrpFrameAddressing addressing;
  addressing.source_mac = kLb1Mac;
  addressing.destination_mac = {0x02, 0x00, 0x0a, 0x63, 0x01, 0x03};
  addressing.source = kLb1;
  addressing.destination = kLb2;
  uint8_t out[kVrrpMaxFrameLength];
  const std::size_t n = build_vrrp_frame(reference_v3_advert(), addressing, 7,
                                         V3Checksum::pseudo_header, out, sizeof(out));
  ASSERT_EQ(n, 60u);
  EXPECT_EQ(Bytes(out, out + 6), Bytes(addressing.destination_mac.begin(),
                                       addressing.destination_mac.end()));
  // The pseudo-header carries the real destination, so it still verifies.
  const VrrpParseResult r = parse_vrrp_ipv4_packet(out + kEthernetHeaderLength, n - 14);
  ASSERT_TRUE(r.ok) << vrrp_drop_name(r.drop);
  EXPECT_EQ(r.packet.destination, kLb2);
}

Bytes ip_of(const Bytes& frame) { return Bytes(frame.begin() + 14, frame.end()); }

TEST(VrrpAdvert, ParsesTheReferenceAdverts) {
  // The frames above include Ethernet padding after the IP total length,
  // as received frames do; the parser must ignore it.
  const VrrpParseResult v2 = parse_vrrp_ipv4_packet(ip_of(kV2Frame).data(), 46);
  ASSERT_TRUE(v2.ok) << vrrp_drop_name(v2.drop);
  EXPECT_EQ(v2.packet.source, kLb1);
  EXPECT_EQ(v2.packet.destination, kVrrpMulticastGroup);
  const VrrpAdvert& a = v2.packet.advert;
  EXPECT_EQ(a.version, 2);
  EXPECT_EQ(a.vrid, 101);
  EXPECT_EQ(a.priority, 101);
  EXPECT_EQ(a.interval_cs, 100);
  EXPECT_EQ(a.auth_type, kVrrpAuthPass);
  EXPECT_EQ(a.auth_data, vrrp_auth_pass_bytes("12345678"));
  ASSERT_EQ(a.address_list().size(), 1u);
  EXPECT_EQ(a.address_list()[0], kVip);

  const VrrpParseResult ph = parse_vrrp_ipv4_packet(ip_of(kV3PseudoFrame).data(), 46);
  ASSERT_TRUE(ph.ok) << vrrp_drop_name(ph.drop);
  EXPECT_EQ(ph.packet.checksum_form, V3Checksum::pseudo_header);
  EXPECT_EQ(ph.packet.advert.interval_cs, 100);
  const VrrpParseResult mo = parse_vrrp_ipv4_packet(ip_of(kV3MessageOnlyFrame).data(), 46);
  ASSERT_TRUE(mo.ok) << vrrp_drop_name(mo.drop);
  EXPECT_EQ(mo.packet.checksum_form, V3Checksum::message_only);
}

TEST(VrrpAdvert, V3ReservedBitsAreIgnored) {
  Bytes p = ip_of(kV3MessageOnlyFrame);
  p.resize(32);
  p[24] |= 0xf0;  // reserved nibble of the interval field
  fix_vrrp_checksum(p);
  const VrrpParseResult r = parse_vrrp_ipv4_packet(p.data(), p.size());
  ASSERT_TRUE(r.ok) << vrrp_drop_name(r.drop);
  EXPECT_EQ(r.packet.advert.interval_cs, 100);
}

struct HostileRow {
  const char* name;
  Bytes packet;
  VrrpDrop drop;
};

// Each row is the reference v2 advert (IP part) with one thing wrong, the
// other checksums repaired so the intended check is the one that fires.
std::vector<HostileRow> hostile_rows() {
  const Bytes good = [] {
    Bytes p = ip_of(kV2Frame);
    p.resize(40);
    return p;
  }();
  std::vector<HostileRow> rows;
  auto row = [&](const char* name, VrrpDrop drop, auto mutate) {
    Bytes p = good;
    mutate(p);
    rows.push_back({name, std::move(p), drop});
  };
  row("empty", VrrpDrop::truncated, [](Bytes& p) { p.clear(); });
  row("half an IP header", VrrpDrop::truncated, [](Bytes& p) { p.resize(10); });
  row("total length beyond the data", VrrpDrop::truncated, [](Bytes& p) { p.resize(39); });
  row("IP header only", VrrpDrop::truncated, [](Bytes& p) {
    p.resize(24);
    p[3] = 24;
    fix_ip_checksum(p);
  });
  row("IPv6 version nibble", VrrpDrop::bad_ip_header, [](Bytes& p) {
    p[0] = 0x65;
    fix_ip_checksum(p);
  });
  row("IHL 4", VrrpDrop::bad_ip_header, [](Bytes& p) { p[0] = 0x44; });
  row("IHL beyond the total length", VrrpDrop::bad_ip_header, [](Bytes& p) { p[0] = 0x4f; });
  row("total length under IHL", VrrpDrop::bad_ip_header, [](Bytes& p) {
    p[3] = 12;
    fix_ip_checksum(p);
  });
  row("bad IP checksum", VrrpDrop::bad_ip_header, [](Bytes& p) { p[11] ^= 1; });
  row("fragment", VrrpDrop::bad_ip_header, [](Bytes& p) {
    p[6] = 0x20;  // MF
    fix_ip_checksum(p);
  });
  row("UDP", VrrpDrop::not_vrrp, [](Bytes& p) {
    p[9] = 17;
    fix_ip_checksum(p);
  });
  row("TTL 254", VrrpDrop::ttl_not_255, [](Bytes& p) {
    p[8] = 254;
    fix_ip_checksum(p);
  });
  row("TTL 1", VrrpDrop::ttl_not_255, [](Bytes& p) {
    p[8] = 1;
    fix_ip_checksum(p);
  });
  row("VRRP version 1", VrrpDrop::bad_version, [](Bytes& p) {
    p[20] = 0x11;
    fix_vrrp_checksum(p);
  });
  row("VRRP version 4", VrrpDrop::bad_version, [](Bytes& p) {
    p[20] = 0x41;
    fix_vrrp_checksum(p);
  });
  row("VRRP type 2", VrrpDrop::bad_type, [](Bytes& p) {
    p[20] = 0x22;
    fix_vrrp_checksum(p);
  });
  row("count larger than the message", VrrpDrop::bad_length, [](Bytes& p) {
    p[23] = 2;
    fix_vrrp_checksum(p);
  });
  row("count smaller than the message", VrrpDrop::bad_length, [](Bytes& p) {
    p[23] = 0;
    fix_vrrp_checksum(p);
  });
  row("count 255 in a short packet", VrrpDrop::bad_length, [](Bytes& p) {
    p[23] = 255;
    fix_vrrp_checksum(p);
  });
  row("VRRP header cut short", VrrpDrop::truncated, [](Bytes& p) {
    p.resize(26);
    p[3] = 26;
    fix_ip_checksum(p);
  });
  row("more addresses than kept", VrrpDrop::too_many_addresses, [](Bytes& p) {
    const std::size_t n = kVrrpMaxAddresses + 1;
    p.resize(20 + 8 + 4 * n + 8, 0);
    p[2] = static_cast<uint8_t>(p.size() >> 8);
    p[3] = static_cast<uint8_t>(p.size());
    p[23] = static_cast<uint8_t>(n);
    fix_ip_checksum(p);
    fix_vrrp_checksum(p);
  });
  row("bad v2 checksum", VrrpDrop::bad_checksum, [](Bytes& p) { p[27] ^= 0x01; });
  row("priority changed, checksum not", VrrpDrop::bad_checksum, [](Bytes& p) { p[22] = 254; });
  return rows;
}

TEST(VrrpAdvert, HostilePacketsEachMapToOneDropReason) {
  for (const HostileRow& row : hostile_rows()) {
    SCOPED_TRACE(row.name);
    const VrrpParseResult r = parse_vrrp_ipv4_packet(row.packet.data(), row.packet.size());
    ASSERT_FALSE(r.ok);
    EXPECT_STREQ(vrrp_drop_name(r.drop), vrrp_drop_name(row.drop));
  }
}

TEST(VrrpAdvert, V3ChecksumMustVerifyInOneForm) {
  Bytes p = ip_of(kV3PseudoFrame);
  p.resize(32);
  p[27] ^= 0x40;
  VrrpParseResult r = parse_vrrp_ipv4_packet(p.data(), p.size());
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.drop, VrrpDrop::bad_checksum);

  // The pseudo-header binds the checksum to the addresses: the same VRRP
  // message from another source no longer verifies with it.
  p = ip_of(kV3PseudoFrame);
  p.resize(32);
  p[15] = 9;
  fix_ip_checksum(p);
  r = parse_vrrp_ipv4_packet(p.data(), p.size());
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.drop, VrrpDrop::bad_checksum);

  p = ip_of(kV3PseudoFrame);
  p.resize(32);
  p[25] = 0;  // interval 0 cs, checksum repaired (message-only form)
  p[24] = 0;
  fix_vrrp_checksum(p);
  r = parse_vrrp_ipv4_packet(p.data(), p.size());
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.drop, VrrpDrop::bad_interval);
}

TEST(VrrpAdvert, DropNamesAreDistinct) {
  for (std::size_t i = 0; i < kVrrpDropCount; ++i) {
    for (std::size_t j = i + 1; j < kVrrpDropCount; ++j) {
      EXPECT_STRNE(vrrp_drop_name(static_cast<VrrpDrop>(i)), vrrp_drop_name(static_cast<VrrpDrop>(j)));
    }
    EXPECT_STRNE(vrrp_drop_name(static_cast<VrrpDrop>(i)), "unknown");
  }
}

// ---- per-instance checks ----

VrrpInstanceSettings lb2_settings() {
  VrrpInstanceSettings s;
  s.name = "VI_1";
  s.vrid = 101;
  s.priority = 50;
  s.version = 2;
  s.advert_interval_cs = 100;
  s.primary_address = kLb2;
  s.virtual_addresses = {kVip};
  s.auth_pass = true;
  s.auth_data = vrrp_auth_pass_bytes("12345678");
  return s;
}

VrrpPacket reference_packet() {
  const VrrpParseResult r = parse_vrrp_ipv4_packet(ip_of(kV2Frame).data(), 40);
  EXPECT_TRUE(r.ok);
  return r.packet;
}

struct InstanceRow {
  const char* name;
  void (*mutate)(VrrpPacket&, VrrpInstanceSettings&);
  std::optional<VrrpDrop> drop;
};

TEST(VrrpAdvert, InstanceChecks) {
  const InstanceRow rows[] = {
      {"accepted", [](VrrpPacket&, VrrpInstanceSettings&) {}, std::nullopt},
      {"other VRID", [](VrrpPacket& p, VrrpInstanceSettings&) { p.advert.vrid = 102; },
       VrrpDrop::vrid_unknown},
      {"our own advert", [](VrrpPacket& p, VrrpInstanceSettings&) { p.source = kLb2; },
       VrrpDrop::own_advert},
      {"v3 advert to a v2 instance",
       [](VrrpPacket& p, VrrpInstanceSettings&) { p.advert.version = 3; },
       VrrpDrop::version_mismatch},
      {"v2 advert to a v3 instance",
       [](VrrpPacket&, VrrpInstanceSettings& s) {
         s.version = 3;
         s.auth_pass = false;
       },
       VrrpDrop::version_mismatch},
      {"no authentication, we want PASS",
       [](VrrpPacket& p, VrrpInstanceSettings&) { p.advert.auth_type = kVrrpAuthNone; },
       VrrpDrop::auth_type_mismatch},
      {"PASS, we want none", [](VrrpPacket&, VrrpInstanceSettings& s) { s.auth_pass = false; },
       VrrpDrop::auth_type_mismatch},
      {"IPsec AH", [](VrrpPacket& p, VrrpInstanceSettings&) { p.advert.auth_type = kVrrpAuthAh; },
       VrrpDrop::auth_type_mismatch},
      {"wrong password",
       [](VrrpPacket& p, VrrpInstanceSettings&) { p.advert.auth_data = vrrp_auth_pass_bytes("1234567"); },
       VrrpDrop::auth_mismatch},
      {"password longer than 8 matches its first 8",
       [](VrrpPacket&, VrrpInstanceSettings& s) { s.auth_data = vrrp_auth_pass_bytes("12345678-and-more"); },
       std::nullopt},
      {"v2 interval 2 s, ours 1 s",
       [](VrrpPacket& p, VrrpInstanceSettings&) { p.advert.interval_cs = 200; },
       VrrpDrop::interval_mismatch},
      {"v3 interval differs: adopted, not dropped",
       [](VrrpPacket& p, VrrpInstanceSettings& s) {
         p.advert.version = 3;
         p.advert.auth_type = 0;
         p.advert.interval_cs = 10;
         s.version = 3;
         s.auth_pass = false;
       },
       std::nullopt},
      {"another VIP", [](VrrpPacket& p, VrrpInstanceSettings&) { p.advert.addresses[0] = kLb1; },
       VrrpDrop::address_list_mismatch},
      {"an extra VIP",
       [](VrrpPacket& p, VrrpInstanceSettings&) {
         p.advert.address_count = 2;
         p.advert.addresses[1] = ipv4(10, 99, 1, 11);
       },
       VrrpDrop::address_list_mismatch},
      {"address list in another order",
       [](VrrpPacket& p, VrrpInstanceSettings& s) {
         s.virtual_addresses = {ipv4(10, 99, 1, 11), kVip};
         p.advert.address_count = 2;
         p.advert.addresses[0] = kVip;
         p.advert.addresses[1] = ipv4(10, 99, 1, 11);
       },
       std::nullopt},
      {"mismatched list from the address owner is processed (RFC 3768 7.1)",
       [](VrrpPacket& p, VrrpInstanceSettings&) {
         p.advert.addresses[0] = kLb1;
         p.advert.priority = 255;
       },
       std::nullopt},
  };
  for (const InstanceRow& row : rows) {
    SCOPED_TRACE(row.name);
    VrrpPacket p = reference_packet();
    VrrpInstanceSettings s = lb2_settings();
    row.mutate(p, s);
    const std::optional<VrrpDrop> got = check_advert_for_instance(p, s);
    ASSERT_EQ(got.has_value(), row.drop.has_value()) << (got ? vrrp_drop_name(*got) : "accepted");
    if (got) {
      EXPECT_STREQ(vrrp_drop_name(*got), vrrp_drop_name(*row.drop));
    }
  }
}

TEST(VrrpAdvert, AuthPassIsZeroPaddedAndTruncated) {
  const std::array<uint8_t, 8> short_pw = {'a', 'b', 'c', 0, 0, 0, 0, 0};
  EXPECT_EQ(vrrp_auth_pass_bytes("abc"), short_pw);
  EXPECT_EQ(vrrp_auth_pass_bytes("123456789"), vrrp_auth_pass_bytes("12345678"));
}

// ---- robustness ----

TEST(VrrpAdvert, EveryPrefixOfValidPacketsIsRejectedSafely) {
  for (const Bytes* frame : {&kV2Frame, &kV3PseudoFrame, &kV3MessageOnlyFrame}) {
    Bytes ip = ip_of(*frame);
    const std::size_t full = (static_cast<std::size_t>(ip[2]) << 8) | ip[3];
    for (std::size_t n = 0; n <= ip.size(); ++n) {
      // A heap copy of exactly n bytes so ASan sees any overread.
      std::vector<uint8_t> copy(ip.begin(), ip.begin() + static_cast<std::ptrdiff_t>(n));
      const VrrpParseResult r = parse_vrrp_ipv4_packet(copy.empty() ? nullptr : copy.data(), n);
      EXPECT_EQ(r.ok, n >= full) << "prefix " << n;
      if (!r.ok) {
        EXPECT_EQ(r.drop, VrrpDrop::truncated) << "prefix " << n;
      }
    }
  }
}

TEST(VrrpAdvert, RandomInputNeverCrashes) {
  std::mt19937 rng(20240517);
  std::uniform_int_distribution<int> byte(0, 255);
  Bytes base = ip_of(kV2Frame);
  base.resize(40);
  std::size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes p;
    if (i % 2 == 0) {
      // Pure noise with a plausible start, so the deeper checks are reached.
      p.resize(static_cast<std::size_t>(byte(rng)) % 80);
      for (uint8_t& b : p) b = static_cast<uint8_t>(byte(rng));
      if (p.size() > 9) {
        p[0] = 0x45;
        p[9] = kVrrpIpProtocol;
      }
    } else {
      // The reference advert with a few random bytes changed and a random cut.
      p = base;
      for (int k = 0; k < 3; ++k) {
        p[static_cast<std::size_t>(byte(rng)) % p.size()] = static_cast<uint8_t>(byte(rng));
      }
      p.resize(static_cast<std::size_t>(byte(rng)) % (p.size() + 1));
    }
    std::vector<uint8_t> exact(p);  // exact-size heap buffer for ASan
    const VrrpParseResult r = parse_vrrp_ipv4_packet(exact.empty() ? nullptr : exact.data(), exact.size());
    if (r.ok) {
      ++accepted;
      EXPECT_LE(r.packet.advert.address_count, kVrrpMaxAddresses);
    } else {
      EXPECT_LT(static_cast<std::size_t>(r.drop), kVrrpDropCount);
    }
  }
  // Mutations that hit padding or are undone by chance still parse; most not.
  EXPECT_LT(accepted, 20000u);
}

}  // namespace
}  // namespace dplb::vrrp
