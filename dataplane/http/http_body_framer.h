#pragma once

// Finds where a message body ends while the bytes stream past, without
// copying or rewriting them: a fixed length, chunked transfer coding (RFC
// 9112 section 7.1, validated strictly, trailers included), or "until the
// connection closes". The proxy feeds it each contiguous piece of received
// data (one mbuf segment at a time) and forwards exactly the bytes it
// says belong to the message; anything after is the next message.

#include <cstdint>

namespace dplb::dataplane {

class HttpBodyFramer {
 public:
  struct Step {
    uint32_t consumed = 0;    // bytes of `data` that belong to this message
    bool done = false;        // the message ended within them
    uint16_t error = 0;       // 400 (request) / 502 (response) worth: bad chunk framing; consumed is meaningless
    const char* reason = "";  // error: for the log
  };

  void expect_none();                  // no body: done at once
  void expect_length(uint64_t length);
  void expect_chunked();
  void expect_until_close();           // never done; the connection's end ends it

  Step consume(const uint8_t* data, uint32_t length);
  bool done() const;
  // Payload bytes so far (chunk framing and trailers excluded).
  uint64_t payload_bytes() const { return payload_; }

 private:
  enum class Mode : uint8_t { none, length, chunked, until_close };
  enum class Chunk : uint8_t { size, size_ext, size_lf, data, data_cr, data_lf, trailer_line_start, trailer_line,
                               trailer_lf, final_lf, finished };
  Mode mode_ = Mode::none;
  Chunk chunk_ = Chunk::size;
  uint64_t remaining_ = 0;
  uint64_t payload_ = 0;
  uint32_t line_bytes_ = 0;   // bytes of the current size line or trailer section, bounded
  uint32_t size_digits_ = 0;
  bool done_ = true;
};

}  // namespace dplb::dataplane
