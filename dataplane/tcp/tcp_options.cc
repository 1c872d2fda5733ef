#include "dataplane/tcp/tcp_options.h"

#include <algorithm>

namespace dplb::dataplane {
namespace {

enum Kind : uint8_t {
  kEnd = 0,
  kNop = 1,
  kMss = 2,
  kWindowScale = 3,
  kSackPermitted = 4,
  kSack = 5,
  kTimestamps = 8,
};

uint16_t read16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t read32(const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; }
void write16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void write32(uint8_t* p, uint32_t v) {
  write16(p, static_cast<uint16_t>(v >> 16));
  write16(p + 2, static_cast<uint16_t>(v));
}

}  // namespace

TcpOptionError parse_tcp_options(const uint8_t* p, std::size_t length, TcpOptions* out) {
  *out = TcpOptions{};
  std::size_t i = 0;
  while (i < length) {
    const uint8_t kind = p[i];
    if (kind == kEnd) break;
    if (kind == kNop) {
      ++i;
      continue;
    }
    if (i + 1 >= length) return TcpOptionError::truncated;
    const uint8_t size = p[i + 1];
    if (size < 2) return TcpOptionError::bad_length;
    if (i + size > length) return TcpOptionError::truncated;
    const uint8_t* body = p + i + 2;
    switch (kind) {
      case kMss:
        if (size != 4) return TcpOptionError::bad_length;
        out->mss = read16(body);
        break;
      case kWindowScale:
        if (size != 3) return TcpOptionError::bad_length;
        out->window_scale = std::min<uint8_t>(body[0], kMaxWindowScale);
        break;
      case kSackPermitted:
        if (size != 2) return TcpOptionError::bad_length;
        out->sack_permitted = true;
        break;
      case kTimestamps:
        if (size != 10) return TcpOptionError::bad_length;
        out->timestamps = TcpTimestamps{read32(body), read32(body + 4)};
        break;
      case kSack: {
        const std::size_t blocks = (size - 2u) / 8u;
        if ((size - 2u) % 8u != 0 || blocks == 0 || blocks > out->sack.size()) return TcpOptionError::bad_sack;
        out->sack_count = static_cast<uint8_t>(blocks);
        for (std::size_t b = 0; b < blocks; ++b) out->sack[b] = {read32(body + 8 * b), read32(body + 8 * b + 4)};
        break;
      }
      default:
        break;  // unknown: skipped by its length (RFC 9293 3.2)
    }
    i += size;
  }
  return TcpOptionError::none;
}

std::size_t write_tcp_options(const TcpOptions& o, uint8_t* out, std::size_t capacity) {
  uint8_t buffer[kMaxTcpOptionBytes + 8];
  std::size_t n = 0;
  auto put = [&](std::initializer_list<uint8_t> bytes) {
    for (uint8_t b : bytes) buffer[n++] = b;
  };
  if (o.mss) {
    put({kMss, 4, 0, 0});
    write16(buffer + n - 2, *o.mss);
  }
  if (o.timestamps) {
    if (o.sack_permitted) {
      put({kSackPermitted, 2});
    } else {
      put({kNop, kNop});
    }
    put({kTimestamps, 10, 0, 0, 0, 0, 0, 0, 0, 0});
    write32(buffer + n - 8, o.timestamps->value);
    write32(buffer + n - 4, o.timestamps->echo_reply);
  } else if (o.sack_permitted) {
    put({kNop, kNop, kSackPermitted, 2});
  }
  if (o.window_scale) put({kNop, kWindowScale, 3, std::min<uint8_t>(*o.window_scale, kMaxWindowScale)});
  if (o.sack_count > 0) {
    // Two NOPs keep the 8-byte blocks aligned; with timestamps (12 bytes)
    // only 3 blocks fit in the 40 bytes, as in RFC 2018's note.
    const std::size_t room = (kMaxTcpOptionBytes - n - 4) / 8;
    const std::size_t blocks = std::min<std::size_t>({o.sack_count, room, o.sack.size()});
    if (blocks > 0) {
      put({kNop, kNop, kSack, static_cast<uint8_t>(2 + 8 * blocks)});
      for (std::size_t b = 0; b < blocks; ++b) {
        n += 8;
        write32(buffer + n - 8, o.sack[b].left);
        write32(buffer + n - 4, o.sack[b].right);
      }
    }
  }
  while (n % 4 != 0) buffer[n++] = kNop;
  if (n > capacity || n > kMaxTcpOptionBytes) return 0;
  std::copy(buffer, buffer + n, out);
  return n;
}

}  // namespace dplb::dataplane
