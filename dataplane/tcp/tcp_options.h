#pragma once

// TCP options as dplb reads and writes them: MSS (RFC 9293), window scale
// and timestamps (RFC 7323), SACK-permitted and SACK blocks (RFC 2018).
// Parsing never reads past the option space and reports malformed layouts
// instead of guessing; unknown options are skipped by their length.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace dplb::dataplane {

struct SackBlock {
  uint32_t left = 0;   // first sequence number of the block
  uint32_t right = 0;  // sequence number after the block
  bool operator==(const SackBlock&) const = default;
};

struct TcpTimestamps {
  uint32_t value = 0;
  uint32_t echo_reply = 0;
  bool operator==(const TcpTimestamps&) const = default;
};

struct TcpOptions {
  std::optional<uint16_t> mss;
  std::optional<uint8_t> window_scale;  // shift; values above 14 are read as 14 (RFC 7323 2.3)
  bool sack_permitted = false;
  std::optional<TcpTimestamps> timestamps;
  uint8_t sack_count = 0;
  std::array<SackBlock, 4> sack{};

  bool operator==(const TcpOptions&) const = default;
};

enum class TcpOptionError : uint8_t {
  none,
  truncated,     // an option runs past the end of the option space
  bad_length,    // a length byte below 2, or wrong for a known option
  bad_sack,      // a SACK option whose length is not 2 + 8n with n in 1..4
};

inline constexpr uint8_t kMaxWindowScale = 14;
inline constexpr std::size_t kMaxTcpOptionBytes = 40;

TcpOptionError parse_tcp_options(const uint8_t* options, std::size_t length, TcpOptions* out);

// Writes `options` in the layout Linux uses (so middleboxes see what they
// know): MSS; SACK-permitted folded with timestamps; window scale; SACK
// blocks; NOPs to 32-bit alignment. Returns the bytes written (a multiple
// of 4), or 0 if they do not fit in `capacity`.
std::size_t write_tcp_options(const TcpOptions& options, uint8_t* out, std::size_t capacity);

}  // namespace dplb::dataplane
