#pragma once

// Finds where a message body ends while the bytes stream past, without
// copying or rewriting them: a fixed length, chunked transfer coding (RFC
// 9112 section 7.1, validated strictly, trailers included), or "until the
// connection closes". The proxy feeds it each contiguous piece of received
// data (one mbuf segment at a time) and forwards exactly the bytes it
// says belong to the message; anything after is the next message.
//
// Chunked framing accepts only CRLF line ends. RFC 9112 2.2's tolerance of
// a bare LF covers the start line and fields, not chunk lines, and
// implementations disagree about a bare LF (or a CR or LF inside an
// extension) there: since dplb forwards the chunks as received, any reading
// but the strictest could end the body somewhere the server does not. For
// the same reason: a chunk size is 1 to 16 hex digits and nothing else
// (no sign, no `0x`, no whitespace except BWS before a `;`); extensions
// follow 7.1.1's grammar exactly; a size line is at most 4096 bytes and the
// trailer section at most 16384; trailer fields follow the header field
// rules (token name, colon, no controls, no obs-fold).

#include <cstdint>

namespace dplb::dataplane {

class HttpBodyFramer {
 public:
  struct Step {
    uint32_t consumed = 0;    // bytes of `data` that belong to this message
    bool done = false;        // the message ended within them
    uint16_t error = 0;       // 400 on bad chunk framing (the caller answers 502 for a response); consumed is meaningless
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
  // Where in RFC 9112 7.1's grammar the next byte of a chunked body falls.
  enum class Chunk : uint8_t {
    size,             // chunk-size: 1*HEXDIG
    size_ws,          // BWS after the size, which only a ';' may follow
    ext_name_start,   // after ';': BWS, then chunk-ext-name
    ext_name,
    ext_after_name,   // BWS after a name: '=' or ';' must follow
    ext_value_start,  // after '=': BWS, then a token or a quoted-string
    ext_token,
    ext_quoted,
    ext_quoted_pair,  // after a backslash inside a quoted-string
    ext_quoted_end,   // after the closing quote: ';', BWS or CR
    ext_after_value,  // BWS after a value: ';' must follow
    size_lf,          // CR seen at the end of the size line
    data,
    data_cr,
    data_lf,
    trailer_start,    // a trailer field line or the final CRLF
    trailer_name,
    trailer_value,
    trailer_lf,
    final_lf,
    finished,
    failed,
  };
  Step fail(const char* reason);
  // One byte of a size line, of the CRLF after data or of the trailer
  // section (everything but chunk data); false when it failed.
  bool chunk_byte(uint8_t c);
  bool extension_byte(uint8_t c);  // chunk-ext (RFC 9112 7.1.1)
  bool extension_end(uint8_t c, Chunk ws_state);  // after a name or value: ';', BWS or CR
  bool trailer_byte(uint8_t c);    // trailer-section and the last CRLF (RFC 9112 7.1.2)
  bool reject(const char* reason);  // fail() for the byte functions: always false

  Mode mode_ = Mode::none;
  Chunk chunk_ = Chunk::size;
  uint64_t remaining_ = 0;    // length mode: body bytes left; chunked: bytes left of the chunk's data
  uint64_t payload_ = 0;
  uint32_t line_bytes_ = 0;   // bytes of the current size line or of the trailer section, bounded
  uint32_t size_digits_ = 0;
  bool done_ = true;
  const char* error_ = nullptr;
};

}  // namespace dplb::dataplane
