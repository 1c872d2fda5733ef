#pragma once

// SipHash-2-4 (Aumasson and Bernstein, 2012): the keyed hash behind
// initial sequence numbers (RFC 6528) and SYN cookies. Written here rather
// than taken from OpenSSL because EVP_MAC allocates a context per call,
// which a worker's per-SYN path must not do; checked against the reference
// test vectors.

#include <cstddef>
#include <cstdint>

namespace dplb::dataplane {

struct SipKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
};

uint64_t siphash24(const SipKey& key, const uint8_t* data, std::size_t length);

}  // namespace dplb::dataplane
