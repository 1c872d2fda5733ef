// The VRRP advert parser on arbitrary IPv4 packets; what it accepts encodes
// back to a packet it accepts again with the same advert.
#include <cstring>

#include "tests/fuzz/fuzz_target.h"
#include "vrrp/vrrp_advert.h"

using namespace dplb::vrrp;

DPLB_FUZZ_TARGET(vrrp_advert) {
  const VrrpParseResult r = parse_vrrp_ipv4_packet(data, size);
  if (!r.ok) return 0;
  const VrrpAdvert& a = r.packet.advert;
  FUZZ_CHECK(a.version == 2 || a.version == 3);
  FUZZ_CHECK(a.address_count <= kVrrpMaxAddresses);
  uint8_t out[kVrrpMaxFrameLength];
  const std::size_t n = encode_vrrp_ipv4_packet(a, r.packet.source, r.packet.destination, 1, r.packet.checksum_form,
                                                out, sizeof(out));
  if (n == 0) return 0;  // accepted on input but not something dplb sends (e.g. a v2 interval of 0)
  const VrrpParseResult again = parse_vrrp_ipv4_packet(out, n);
  FUZZ_CHECK(again.ok);
  const VrrpAdvert& b = again.packet.advert;
  FUZZ_CHECK(b.version == a.version && b.vrid == a.vrid && b.priority == a.priority);
  FUZZ_CHECK(b.interval_cs == a.interval_cs && b.address_count == a.address_count);
  FUZZ_CHECK(std::memcmp(b.addresses.data(), a.addresses.data(), a.address_count * sizeof(uint32_t)) == 0);
  return 0;
}
