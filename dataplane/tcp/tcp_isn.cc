#include "dataplane/tcp/tcp_isn.h"

namespace dplb::dataplane {

uint32_t hash_four_tuple(const SipKey& key, const FourTuple& t, uint32_t salt) {
  uint8_t bytes[16];
  auto put32 = [&bytes](int at, uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  put32(0, t.local_address);
  put32(4, t.remote_address);
  put32(8, uint32_t{t.local_port} << 16 | t.remote_port);
  put32(12, salt);
  return static_cast<uint32_t>(siphash24(key, bytes, sizeof(bytes)));
}

uint32_t initial_sequence_number(const SipKey& key, const FourTuple& t, uint64_t now_ns) {
  return static_cast<uint32_t>(now_ns / 4000) + hash_four_tuple(key, t, 0);
}

}  // namespace dplb::dataplane
