#include "dataplane/http/http_body_framer.h"

#include <algorithm>

#include "dataplane/http/http_field_parser.h"

namespace dplb::dataplane {

namespace {

// Bounds on what dplb reads byte by byte: enough for any real extension or
// trailer, small enough that a peer cannot keep a connection busy with them.
constexpr uint32_t kMaxSizeLine = 4096;        // chunk-size, extensions and CRLF
constexpr uint32_t kMaxTrailerSection = 16384; // trailer fields and the final CRLF
// 16 hex digits fill 64 bits; a 17th could only be leading zeros or overflow,
// and leading zeros that long serve no purpose but to confuse a parser.
constexpr uint32_t kMaxSizeDigits = 16;

int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_ws(uint8_t c) { return c == ' ' || c == '\t'; }
bool is_tchar(uint8_t c) { return http_internal::is_tchar(c); }

// qdtext (RFC 9110 5.6.4): anything but controls, DEL, '"' and '\'.
bool is_qdtext(uint8_t c) { return c == '\t' || c == ' ' || (c >= 0x21 && c != '"' && c != '\\' && c != 0x7f); }
// What may follow a backslash: HTAB, SP, VCHAR, obs-text; never CR or LF.
bool is_quoted_pair_char(uint8_t c) { return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f); }
// field-value octets as for header fields; the CR that ends the line is handled by the caller.
bool is_field_char(uint8_t c) { return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f); }

}  // namespace

void HttpBodyFramer::expect_none() {
  *this = HttpBodyFramer{};
  mode_ = Mode::none;
  done_ = true;
}

void HttpBodyFramer::expect_length(uint64_t length) {
  *this = HttpBodyFramer{};
  mode_ = Mode::length;
  remaining_ = length;
  done_ = length == 0;
}

void HttpBodyFramer::expect_chunked() {
  *this = HttpBodyFramer{};
  mode_ = Mode::chunked;
  chunk_ = Chunk::size;
  done_ = false;
}

void HttpBodyFramer::expect_until_close() {
  *this = HttpBodyFramer{};
  mode_ = Mode::until_close;
  done_ = false;
}

bool HttpBodyFramer::done() const { return done_; }

HttpBodyFramer::Step HttpBodyFramer::fail(const char* reason) {
  chunk_ = Chunk::failed;
  error_ = reason;
  done_ = false;
  Step step;
  step.error = 400;
  step.reason = reason;
  return step;
}

bool HttpBodyFramer::reject(const char* reason) {
  fail(reason);
  return false;
}

bool HttpBodyFramer::chunk_byte(uint8_t c) {
  if (chunk_ >= Chunk::trailer_start && chunk_ <= Chunk::final_lf) {
    if (++line_bytes_ > kMaxTrailerSection) return reject("trailer section too large");
    return trailer_byte(c);
  }
  if (chunk_ <= Chunk::size_lf) {
    if (++line_bytes_ > kMaxSizeLine) return reject("chunk size line too long");
  }
  if (chunk_ >= Chunk::ext_name_start && chunk_ <= Chunk::ext_after_value) return extension_byte(c);
  switch (chunk_) {
    case Chunk::size: {
      const int v = hex_value(c);
      if (v >= 0) {
        if (++size_digits_ > kMaxSizeDigits) return reject("chunk size too large");
        remaining_ = (remaining_ << 4) | static_cast<uint64_t>(v);
        return true;
      }
      if (size_digits_ == 0) return reject("invalid chunk size");
      if (c == ';') {
        chunk_ = Chunk::ext_name_start;
      } else if (c == '\r') {
        chunk_ = Chunk::size_lf;
      } else if (is_ws(c)) {
        chunk_ = Chunk::size_ws;
      } else {
        return reject(c == '\n' ? "bare LF in a chunk size line" : "invalid chunk size");
      }
      return true;
    }
    case Chunk::size_ws:
      // RFC 9112 7.1.1 allows BWS before a ';' only, not before the CRLF.
      if (c == ';') {
        chunk_ = Chunk::ext_name_start;
        return true;
      }
      if (is_ws(c)) return true;
      return reject("whitespace after the chunk size");
    case Chunk::size_lf:
      if (c != '\n') return reject("CR without LF in a chunk size line");
      if (remaining_ == 0) {
        chunk_ = Chunk::trailer_start;
        line_bytes_ = 0;
      } else {
        chunk_ = Chunk::data;
      }
      return true;
    case Chunk::data_cr:
      if (c != '\r') return reject("chunk data not followed by CRLF");
      chunk_ = Chunk::data_lf;
      return true;
    case Chunk::data_lf:
      if (c != '\n') return reject("chunk data not followed by CRLF");
      chunk_ = Chunk::size;
      line_bytes_ = 0;
      size_digits_ = 0;
      remaining_ = 0;
      return true;
    default:
      // data is taken whole by the caller; finished and failed take no more.
      return reject("internal framing state");
  }
}

bool HttpBodyFramer::extension_end(uint8_t c, Chunk ws_state) {
  if (c == ';') {
    chunk_ = Chunk::ext_name_start;
  } else if (c == '\r') {
    chunk_ = Chunk::size_lf;
  } else if (is_ws(c)) {
    chunk_ = ws_state;
  } else {
    return reject(c == '\n' ? "bare LF in a chunk size line" : "malformed chunk extension");
  }
  return true;
}

bool HttpBodyFramer::extension_byte(uint8_t c) {
  switch (chunk_) {
    case Chunk::ext_name_start:
      if (is_ws(c)) return true;
      if (is_tchar(c)) {
        chunk_ = Chunk::ext_name;
        return true;
      }
      return reject("malformed chunk extension name");
    case Chunk::ext_name:
      if (is_tchar(c)) return true;
      if (c == '=') {
        chunk_ = Chunk::ext_value_start;
        return true;
      }
      return extension_end(c, Chunk::ext_after_name);
    case Chunk::ext_after_name:
      if (is_ws(c)) return true;
      if (c == '=') {
        chunk_ = Chunk::ext_value_start;
        return true;
      }
      if (c == ';') {
        chunk_ = Chunk::ext_name_start;
        return true;
      }
      return reject("malformed chunk extension");
    case Chunk::ext_value_start:
      if (is_ws(c)) return true;
      if (c == '"') {
        chunk_ = Chunk::ext_quoted;
        return true;
      }
      if (is_tchar(c)) {
        chunk_ = Chunk::ext_token;
        return true;
      }
      return reject("malformed chunk extension value");
    case Chunk::ext_token:
      if (is_tchar(c)) return true;
      return extension_end(c, Chunk::ext_after_value);
    case Chunk::ext_quoted:
      if (c == '"') {
        chunk_ = Chunk::ext_quoted_end;
        return true;
      }
      if (c == '\\') {
        chunk_ = Chunk::ext_quoted_pair;
        return true;
      }
      if (is_qdtext(c)) return true;
      return reject("control character in a chunk extension");
    case Chunk::ext_quoted_end:
      return extension_end(c, Chunk::ext_after_value);
    case Chunk::ext_quoted_pair:
      if (!is_quoted_pair_char(c)) return reject("control character in a chunk extension");
      chunk_ = Chunk::ext_quoted;
      return true;
    case Chunk::ext_after_value:
      if (is_ws(c)) return true;
      if (c == ';') {
        chunk_ = Chunk::ext_name_start;
        return true;
      }
      return reject("malformed chunk extension");
    default:
      return reject("internal framing state");
  }
}

bool HttpBodyFramer::trailer_byte(uint8_t c) {
  switch (chunk_) {
    case Chunk::trailer_start:
      if (c == '\r') {
        chunk_ = Chunk::final_lf;
        return true;
      }
      if (is_tchar(c)) {
        chunk_ = Chunk::trailer_name;
        return true;
      }
      return reject(c == '\n' ? "bare LF in the trailer section" : "malformed trailer field");
    case Chunk::trailer_name:
      if (is_tchar(c)) return true;
      if (c == ':') {
        chunk_ = Chunk::trailer_value;
        return true;
      }
      return reject("malformed trailer field name");
    case Chunk::trailer_value:
      if (c == '\r') {
        chunk_ = Chunk::trailer_lf;
        return true;
      }
      if (is_field_char(c)) return true;
      return reject(c == '\n' ? "bare LF in the trailer section" : "control character in a trailer field");
    case Chunk::trailer_lf:
      if (c != '\n') return reject("bare CR in the trailer section");
      chunk_ = Chunk::trailer_start;
      return true;
    case Chunk::final_lf:
      if (c != '\n') return reject("bare CR at the end of the chunked body");
      chunk_ = Chunk::finished;
      return true;
    default:
      return reject("internal framing state");
  }
}

HttpBodyFramer::Step HttpBodyFramer::consume(const uint8_t* data, uint32_t length) {
  Step step;
  switch (mode_) {
    case Mode::none:
      step.done = true;
      return step;
    case Mode::until_close:
      payload_ += length;
      step.consumed = length;
      return step;
    case Mode::length: {
      const uint64_t n = std::min<uint64_t>(remaining_, length);
      remaining_ -= n;
      payload_ += n;
      done_ = remaining_ == 0;
      step.consumed = static_cast<uint32_t>(n);
      step.done = done_;
      return step;
    }
    case Mode::chunked:
      break;
  }
  if (chunk_ == Chunk::failed) return fail(error_);
  uint32_t i = 0;
  while (i < length && chunk_ != Chunk::finished) {
    if (chunk_ == Chunk::data) {
      // Chunk data is skipped, not read: its length is all that matters.
      const uint64_t n = std::min<uint64_t>(remaining_, length - i);
      i += static_cast<uint32_t>(n);
      remaining_ -= n;
      payload_ += n;
      if (remaining_ == 0) chunk_ = Chunk::data_cr;
      continue;
    }
    if (!chunk_byte(data[i])) return fail(error_);
    ++i;
  }
  done_ = chunk_ == Chunk::finished;
  step.consumed = i;
  step.done = done_;
  return step;
}

}  // namespace dplb::dataplane
