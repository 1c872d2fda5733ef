// Finding a body's end as the bytes stream past: fixed lengths, chunked
// (extensions, trailers, and every way of getting the grammar wrong),
// until-close and none. Each valid message is also fed in every split that
// matters (one byte at a time, every two-piece split, random splits) and
// followed by the start of the next message, which must stay unconsumed.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "dataplane/http/http_body_framer.h"

namespace dplb::dataplane {
namespace {

enum class Mode { none, length, chunked, until_close };

HttpBodyFramer make(Mode mode, uint64_t length = 0) {
  HttpBodyFramer f;
  switch (mode) {
    case Mode::none: f.expect_none(); break;
    case Mode::length: f.expect_length(length); break;
    case Mode::chunked: f.expect_chunked(); break;
    case Mode::until_close: f.expect_until_close(); break;
  }
  return f;
}

struct Outcome {
  uint64_t consumed = 0;
  bool done = false;
  uint16_t error = 0;
  uint64_t payload = 0;
};

// Feeds `bytes` cut at `cuts` (increasing offsets) and stops, as the proxy
// does, at the end of the message or at an error.
Outcome feed(HttpBodyFramer framer, const std::string& bytes, const std::vector<std::size_t>& cuts) {
  Outcome out;
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t end = i < cuts.size() ? cuts[i] : bytes.size();
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data()) + begin;
    const HttpBodyFramer::Step step = framer.consume(data, static_cast<uint32_t>(end - begin));
    if (step.error != 0) {
      out.error = step.error;
      EXPECT_STRNE(step.reason, "");
      return out;
    }
    EXPECT_LE(step.consumed, end - begin);
    // A piece is only partly consumed when the message ended within it.
    if (step.consumed < end - begin) {
      EXPECT_TRUE(step.done);
    }
    out.consumed += step.consumed;
    EXPECT_EQ(step.done, framer.done());
    if (step.done) {
      out.done = true;
      break;
    }
    begin = end;
  }
  out.payload = framer.payload_bytes();
  return out;
}

Outcome feed_whole(HttpBodyFramer framer, const std::string& bytes) { return feed(framer, bytes, {}); }

std::vector<std::size_t> every_byte(std::size_t n) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < n; ++i) cuts.push_back(i);
  return cuts;
}

const std::string kNext = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";

struct Valid {
  const char* name;
  Mode mode;
  uint64_t length;
  std::string message;  // exactly the body
  uint64_t payload;
};

const std::vector<Valid>& valid_bodies() {
  static const std::vector<Valid> cases = {
      {"length", Mode::length, 10, "0123456789", 10},
      {"zero length", Mode::length, 0, "", 0},
      {"none", Mode::none, 0, "", 0},
      {"one chunk", Mode::chunked, 0, "5\r\nhello\r\n0\r\n\r\n", 5},
      {"no chunk at all", Mode::chunked, 0, "0\r\n\r\n", 0},
      {"several chunks, upper and lower hex", Mode::chunked, 0,
       "4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\na\r\n0123456789\r\n0\r\n\r\n", 33},
      {"leading zeros", Mode::chunked, 0, "0003\r\nabc\r\n000\r\n\r\n", 3},
      {"sixteen digits", Mode::chunked, 0, "0000000000000003\r\nabc\r\n0000000000000000\r\n\r\n", 3},
      {"extensions", Mode::chunked, 0,
       "3;name=value\r\nabc\r\n3;a;b=c;quoted=\"x y\\\"z;\"\r\ndef\r\n0;last=1\r\n\r\n", 6},
      {"extensions with BWS", Mode::chunked, 0, "3 ;\ta = b ; c\r\nabc\r\n0 ; x=\"y\"\r\n\r\n", 3},
      {"trailers", Mode::chunked, 0, "3\r\nabc\r\n0\r\nExpires: never\r\nX-Checksum:\t1234 \xe9\r\nEmpty:\r\n\r\n",
       3},
      {"chunk data containing CRLFs and digits", Mode::chunked, 0, "8\r\n\r\n0\r\n\r\nX\r\n0\r\n\r\n", 8},
  };
  return cases;
}

TEST(HttpBodyFramer, ValidBodiesInOnePiece) {
  for (const auto& c : valid_bodies()) {
    const Outcome o = feed_whole(make(c.mode, c.length), c.message);
    EXPECT_EQ(o.error, 0) << c.name;
    EXPECT_TRUE(o.done) << c.name;
    EXPECT_EQ(o.consumed, c.message.size()) << c.name;
    EXPECT_EQ(o.payload, c.payload) << c.name;
  }
}

TEST(HttpBodyFramer, EverySplitGivesTheSameResult) {
  std::mt19937 random(20240611);
  for (const auto& c : valid_bodies()) {
    const std::string bytes = c.message + kNext;
    std::vector<std::vector<std::size_t>> splits = {{}, every_byte(bytes.size())};
    for (std::size_t cut = 1; cut < bytes.size(); ++cut) splits.push_back({cut});
    for (int round = 0; round < 50; ++round) {
      std::vector<std::size_t> cuts;
      for (std::size_t at = 0; at < bytes.size();) {
        at += 1 + random() % 7;
        if (at < bytes.size()) cuts.push_back(at);
      }
      splits.push_back(cuts);
    }
    for (const auto& cuts : splits) {
      const Outcome o = feed(make(c.mode, c.length), bytes, cuts);
      ASSERT_EQ(o.error, 0) << c.name << " in " << cuts.size() + 1 << " pieces";
      ASSERT_TRUE(o.done) << c.name << " in " << cuts.size() + 1 << " pieces";
      // Never a byte of the next message.
      ASSERT_EQ(o.consumed, c.message.size()) << c.name << " in " << cuts.size() + 1 << " pieces";
    }
  }
}

TEST(HttpBodyFramer, IncompleteBodyIsNotDone) {
  for (const auto& c : valid_bodies()) {
    for (std::size_t n = 0; n < c.message.size(); ++n) {
      const Outcome o = feed(make(c.mode, c.length), c.message.substr(0, n), every_byte(n));
      EXPECT_EQ(o.error, 0) << c.name << " " << n;
      EXPECT_FALSE(o.done) << c.name << " " << n;
      EXPECT_EQ(o.consumed, n) << c.name << " " << n;
    }
  }
}

TEST(HttpBodyFramer, LengthAcrossPieces) {
  HttpBodyFramer f;
  f.expect_length(10);
  EXPECT_FALSE(f.done());
  const std::string data = "0123456789NEXT";
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  HttpBodyFramer::Step s = f.consume(p, 4);
  EXPECT_EQ(s.consumed, 4u);
  EXPECT_FALSE(s.done);
  s = f.consume(p + 4, 10);
  EXPECT_EQ(s.consumed, 6u);
  EXPECT_TRUE(s.done);
  EXPECT_EQ(f.payload_bytes(), 10u);
  // Done stays done and takes nothing more.
  s = f.consume(p + 10, 4);
  EXPECT_EQ(s.consumed, 0u);
  EXPECT_TRUE(s.done);
}

TEST(HttpBodyFramer, HugeLengthsAndChunksAreSkippedNotRead) {
  // A 2^64-1 byte chunk: the framer counts it down without looking at it.
  HttpBodyFramer f;
  f.expect_chunked();
  const std::string line = "ffffffffffffffff\r\n";
  HttpBodyFramer::Step s = f.consume(reinterpret_cast<const uint8_t*>(line.data()), static_cast<uint32_t>(line.size()));
  EXPECT_EQ(s.consumed, line.size());
  const std::vector<uint8_t> block(1 << 20, 'x');
  for (int i = 0; i < 64; ++i) {
    s = f.consume(block.data(), static_cast<uint32_t>(block.size()));
    ASSERT_EQ(s.consumed, block.size());
    ASSERT_FALSE(s.done);
  }
  EXPECT_EQ(f.payload_bytes(), 64u << 20);

  HttpBodyFramer g;
  g.expect_length(UINT64_MAX);
  s = g.consume(block.data(), static_cast<uint32_t>(block.size()));
  EXPECT_EQ(s.consumed, block.size());
  EXPECT_FALSE(s.done);
}

TEST(HttpBodyFramer, UntilCloseAndNone) {
  const std::string data = "anything at all, even 0\r\n\r\n";
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  HttpBodyFramer f;
  f.expect_until_close();
  EXPECT_FALSE(f.done());
  for (int i = 0; i < 3; ++i) {
    const HttpBodyFramer::Step s = f.consume(p, static_cast<uint32_t>(data.size()));
    EXPECT_EQ(s.consumed, data.size());
    EXPECT_FALSE(s.done);
  }
  EXPECT_EQ(f.payload_bytes(), 3 * data.size());

  HttpBodyFramer n;
  n.expect_none();
  EXPECT_TRUE(n.done());
  const HttpBodyFramer::Step s = n.consume(p, static_cast<uint32_t>(data.size()));
  EXPECT_EQ(s.consumed, 0u);
  EXPECT_TRUE(s.done);
  EXPECT_EQ(s.error, 0);
}

TEST(HttpBodyFramer, ReusedForTheNextMessage) {
  HttpBodyFramer f;
  const std::string a = "3\r\nabc\r\n0\r\n\r\n";
  const auto* p = reinterpret_cast<const uint8_t*>(a.data());
  const auto n = static_cast<uint32_t>(a.size());
  for (int round = 0; round < 2; ++round) {
    f.expect_chunked();
    HttpBodyFramer::Step s = f.consume(p, n);
    EXPECT_TRUE(s.done);
    EXPECT_EQ(s.consumed, a.size());
    EXPECT_EQ(f.payload_bytes(), 3u);
    s = f.consume(p, n);
    EXPECT_TRUE(s.done);
    EXPECT_EQ(s.consumed, 0u);
  }
  f.expect_length(2);
  EXPECT_FALSE(f.done());
  EXPECT_EQ(f.payload_bytes(), 0u);
}

struct Invalid {
  const char* name;
  std::string bytes;
};

TEST(HttpBodyFramer, InvalidChunkedFramingIsAnError) {
  const std::string many_trailers = [] {
    std::string t = "0\r\n";
    while (t.size() < 17000) t += "X-Pad: " + std::string(100, 'p') + "\r\n";
    return t + "\r\n";
  }();
  const Invalid cases[] = {
      // chunk-size.
      {"empty size", "\r\nabc\r\n0\r\n\r\n"},
      {"non-hex size", "g\r\n"},
      {"non-hex after digits", "5g\r\nhello\r\n"},
      {"17 digits of zeros", "00000000000000005\r\nhello\r\n"},
      {"overflow", "10000000000000000\r\n"},
      {"negative", "-1\r\n"},
      {"plus sign", "+5\r\nhello\r\n"},
      {"leading space", " 5\r\nhello\r\n"},
      {"trailing space", "5 \r\nhello\r\n0\r\n\r\n"},
      {"trailing tab", "5\t\r\nhello\r\n0\r\n\r\n"},
      {"0x prefix", "0x5\r\nhello\r\n"},
      {"last chunk with a space", "5\r\nhello\r\n0 \r\n\r\n"},
      // Line ends.
      {"bare LF after the size", "5\nhello\r\n0\r\n\r\n"},
      {"bare CR after the size", "5\rhello\r\n0\r\n\r\n"},
      {"bare LF after the last chunk", "5\r\nhello\r\n0\n\r\n"},
      {"bare LF at the very end", "5\r\nhello\r\n0\r\n\n"},
      {"bare CR at the very end", "5\r\nhello\r\n0\r\n\rX"},
      // After chunk data.
      {"data longer than the size", "5\r\nhelloX\r\n0\r\n\r\n"},
      {"bare LF after data", "5\r\nhello\n0\r\n\r\n"},
      {"CR then not LF after data", "5\r\nhello\rX0\r\n\r\n"},
      {"nothing but the next size after data", "5\r\nhello0\r\n\r\n"},
      // Extensions.
      {"semicolon without a name", "5;\r\nhello\r\n"},
      {"empty name", "5;=x\r\nhello\r\n"},
      {"empty value", "5;a=\r\nhello\r\n"},
      {"two values", "5;a=b c\r\nhello\r\n"},
      {"BWS before the line end", "5;a=b \r\nhello\r\n"},
      {"BWS after a bare name before the line end", "5;a \r\nhello\r\n"},
      {"non-token name", "5;a(b)=c\r\nhello\r\n"},
      {"unterminated quoted string", "5;a=\"xyz\r\nhello\r\n"},
      {"LF inside a quoted string", "5;a=\"x\ny\"\r\nhello\r\n"},
      {"CR inside a quoted string", "5;a=\"x\ry\"\r\nhello\r\n"},
      {"escaped LF inside a quoted string", "5;a=\"x\\\ny\"\r\nhello\r\n"},
      {"text after the closing quote", "5;a=\"x\"y\r\nhello\r\n"},
      {"NUL in an extension", std::string("5;a\0b\r\nhello\r\n", 14)},
      {"bare LF ending an extension", "5;a=b\nhello\r\n"},
      {"oversize extension", "5;a=" + std::string(5000, 'x') + "\r\nhello\r\n0\r\n\r\n"},
      {"oversize run of zeros and BWS", "0" + std::string(4100, ' ') + ";a\r\n\r\n"},
      // Trailers.
      {"bare CR in a trailer", "0\r\nX: a\rb\r\n\r\n"},
      {"bare LF ending a trailer", "0\r\nX: a\n\r\n"},
      {"NUL in a trailer", std::string("0\r\nX: a\0b\r\n\r\n", 13)},
      {"obs-fold in the trailers", "0\r\nX: a\r\n b\r\n\r\n"},
      {"trailer without a colon", "0\r\nNoColon\r\n\r\n"},
      {"space before a trailer's colon", "0\r\nX : a\r\n\r\n"},
      {"trailer with an empty name", "0\r\n: a\r\n\r\n"},
      {"oversize trailer section", many_trailers},
  };
  for (const auto& c : cases) {
    const Outcome whole = feed_whole(make(Mode::chunked), c.bytes);
    EXPECT_EQ(whole.error, 400) << c.name;
    const Outcome bytewise = feed(make(Mode::chunked), c.bytes, every_byte(c.bytes.size()));
    EXPECT_EQ(bytewise.error, 400) << c.name << " (byte by byte)";
  }
}

TEST(HttpBodyFramer, AnErrorIsSticky) {
  HttpBodyFramer f;
  f.expect_chunked();
  const std::string bad = "x\r\n";
  const std::string good = "0\r\n\r\n";
  HttpBodyFramer::Step s = f.consume(reinterpret_cast<const uint8_t*>(bad.data()), 3);
  EXPECT_EQ(s.error, 400);
  s = f.consume(reinterpret_cast<const uint8_t*>(good.data()), static_cast<uint32_t>(good.size()));
  EXPECT_EQ(s.error, 400);
  EXPECT_FALSE(f.done());
}

TEST(HttpBodyFramer, SizeLineAndTrailerLimitsAreInclusive) {
  // 4096 bytes of size line, CRLF included, is the most accepted.
  std::string line = "1;a=";
  line += std::string(4096 - line.size() - 2, 'x') + "\r\n";
  ASSERT_EQ(line.size(), 4096u);
  Outcome o = feed_whole(make(Mode::chunked), line + "z\r\n0\r\n\r\n");
  EXPECT_EQ(o.error, 0);
  EXPECT_TRUE(o.done);
  std::string longer = "1;a=" + std::string(4096 - 4 - 1, 'x') + "\r\n";
  o = feed_whole(make(Mode::chunked), longer + "z\r\n0\r\n\r\n");
  EXPECT_EQ(o.error, 400);

  // 16384 bytes of trailer section, final CRLF included.
  std::string trailers = "X: " + std::string(16384 - 3 - 4, 't') + "\r\n\r\n";
  ASSERT_EQ(trailers.size(), 16384u);
  o = feed_whole(make(Mode::chunked), "0\r\n" + trailers);
  EXPECT_EQ(o.error, 0);
  EXPECT_TRUE(o.done);
  o = feed_whole(make(Mode::chunked), "0\r\nX: t" + trailers.substr(3));
  EXPECT_EQ(o.error, 400);
}

}  // namespace
}  // namespace dplb::dataplane
