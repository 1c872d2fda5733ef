// TCP option parsing on arbitrary option bytes (up to the 40 a header can
// carry); options it accepts write back to bytes that parse the same, but
// for SACK blocks the writer has no room for.
#include <algorithm>

#include "dataplane/tcp/tcp_options.h"
#include "tests/fuzz/fuzz_target.h"

using namespace dplb::dataplane;

DPLB_FUZZ_TARGET(tcp_options) {
  const std::size_t n = std::min<std::size_t>(size, 40);
  TcpOptions parsed;
  if (parse_tcp_options(data, n, &parsed) != TcpOptionError::none) return 0;
  FUZZ_CHECK(parsed.sack_count <= parsed.sack.size());
  if (parsed.window_scale) FUZZ_CHECK(*parsed.window_scale <= 14);
  uint8_t out[40];
  const std::size_t written = write_tcp_options(parsed, out, sizeof(out));
  if (written == 0) return 0;  // more than fits: dplb never sends that combination
  FUZZ_CHECK(written <= sizeof(out) && written % 4 == 0);
  TcpOptions again;
  FUZZ_CHECK(parse_tcp_options(out, written, &again) == TcpOptionError::none);
  // The writer keeps only the SACK blocks that fit beside the other
  // options (3 with timestamps, RFC 2018), the first ones.
  FUZZ_CHECK(again.sack_count <= parsed.sack_count);
  for (std::size_t i = 0; i < again.sack_count; ++i) {
    FUZZ_CHECK(again.sack[i].left == parsed.sack[i].left && again.sack[i].right == parsed.sack[i].right);
  }
  TcpOptions trimmed = parsed;
  trimmed.sack_count = again.sack_count;
  for (std::size_t i = again.sack_count; i < trimmed.sack.size(); ++i) trimmed.sack[i] = again.sack[i];
  FUZZ_CHECK(again == trimmed);
  return 0;
}
