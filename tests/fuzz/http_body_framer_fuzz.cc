// The body framer, every framing, with the body split at points the input
// chooses: fed whole or in pieces it must agree (bytes of the message, end,
// error) and never claim more than it was given.
//
// Input: byte 0 picks the framing (length, chunked, until close), bytes 1-2
// a declared length, byte 3 how many split points follow (each one byte);
// the rest is the body.
#include <algorithm>
#include <vector>

#include "dataplane/http/http_body_framer.h"
#include "tests/fuzz/fuzz_target.h"

using dplb::dataplane::HttpBodyFramer;

namespace {

struct Outcome {
  uint64_t consumed = 0;
  bool done = false;
  uint16_t error = 0;
  uint64_t payload = 0;
};

HttpBodyFramer framer_for(uint8_t mode, uint64_t length) {
  HttpBodyFramer f;
  switch (mode % 3) {
    case 0: f.expect_length(length); break;
    case 1: f.expect_chunked(); break;
    default: f.expect_until_close(); break;
  }
  return f;
}

Outcome feed(HttpBodyFramer f, const uint8_t* body, std::size_t size, const std::vector<std::size_t>& cuts) {
  Outcome o;
  std::size_t at = 0;
  for (std::size_t i = 0; i <= cuts.size() && !o.done && o.error == 0; ++i) {
    const std::size_t end = i < cuts.size() ? cuts[i] : size;
    if (end < at) continue;
    const auto step = f.consume(body + at, static_cast<uint32_t>(end - at));
    if (step.error != 0) {
      o.error = step.error;
      break;
    }
    FUZZ_CHECK(step.consumed <= end - at);
    // A piece is taken whole unless the message ends inside it.
    FUZZ_CHECK(step.done || step.consumed == end - at);
    o.consumed += step.consumed;
    o.done = step.done;
    at = end;
  }
  o.payload = f.payload_bytes();
  return o;
}

}  // namespace

DPLB_FUZZ_TARGET(http_body_framer) {
  if (size < 4) return 0;
  const uint8_t mode = data[0];
  const uint64_t length = uint64_t{data[1]} << 8 | data[2];
  const std::size_t ncuts = std::min<std::size_t>(data[3], size - 4);
  const uint8_t* cut_bytes = data + 4;
  const uint8_t* body = data + 4 + ncuts;
  const std::size_t body_size = size - 4 - ncuts;
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i < ncuts && body_size > 0; ++i) cuts.push_back(cut_bytes[i] % (body_size + 1));
  std::sort(cuts.begin(), cuts.end());
  const Outcome whole = feed(framer_for(mode, length), body, body_size, {});
  const Outcome split = feed(framer_for(mode, length), body, body_size, cuts);
  FUZZ_CHECK(whole.error == split.error);
  if (whole.error == 0) {
    FUZZ_CHECK(whole.done == split.done);
    FUZZ_CHECK(whole.consumed == split.consumed);
    FUZZ_CHECK(whole.payload == split.payload);
    FUZZ_CHECK(whole.payload <= whole.consumed);
    if (mode % 3 == 0) FUZZ_CHECK(whole.done == (body_size >= length));
  }
  return 0;
}
