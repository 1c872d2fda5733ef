#pragma once

// SYN cookies: when a listener's SYN backlog is full, the SYN-ACK's
// sequence number itself carries what the connection needs, so no state is
// kept until the client's ACK proves it can receive at its address. The
// layout follows the scheme Linux uses: a keyed hash of the 4-tuple plus the
// client's ISN, an 8-bit counter that advances every 64 s in the top bits,
// and a second hash plus an index into a table of 8 MSS values in the low
// 24 bits. Window scale and SACK-permitted travel in the low 5 bits of our
// TSval when the client sent timestamps (they come back in TSecr); without
// timestamps the connection goes without them, as on Linux.

#include <cstdint>
#include <optional>

#include "dataplane/tcp/tcp_isn.h"

namespace dplb::dataplane {

inline constexpr uint16_t kCookieMss[8] = {536, 1220, 1300, 1380, 1440, 1460, 4312, 8960};
inline constexpr uint64_t kCookiePeriodNs = 64ull * 1'000'000'000;
inline constexpr uint32_t kCookieMaxAgePeriods = 2;  // a cookie is good for 64 to 128 s

// The largest table entry not above `mss` (index 0 for anything smaller).
uint8_t cookie_mss_index(uint16_t mss);

// The sequence number of our SYN-ACK for a SYN with `client_isn`.
uint32_t make_syn_cookie(const SipKey& key, const FourTuple& tuple, uint32_t client_isn, uint64_t now_ns,
                         uint8_t mss_index);

// For the ACK that completes the handshake: `client_isn` is its sequence
// number minus 1, `cookie` its acknowledgement minus 1. Returns the MSS
// index when the cookie is ours, for this tuple, and young enough.
std::optional<uint8_t> check_syn_cookie(const SipKey& key, const FourTuple& tuple, uint32_t client_isn,
                                        uint32_t cookie, uint64_t now_ns);

struct CookieOptions {
  std::optional<uint8_t> window_scale;
  bool sack_permitted = false;
  bool operator==(const CookieOptions&) const = default;
};

// Our TSval with the options folded into its low 5 bits, and back from TSecr.
uint32_t encode_cookie_timestamp(uint32_t tsval, const CookieOptions& options);
CookieOptions decode_cookie_timestamp(uint32_t tsecr);

}  // namespace dplb::dataplane
