#include "dataplane/http/http_head_writer.h"

#include <array>

#include <cstring>
#include <string_view>

#include "dataplane/http/http_field_parser.h"

namespace dplb::dataplane {

namespace {

// Appends into the caller's buffer; once something does not fit, nothing
// more is written and the result is 0.
class HeadOut {
 public:
  HeadOut(char* out, std::size_t capacity) : out_(out), capacity_(capacity) {}

  void put(std::string_view s) {
    if (overflow_ || capacity_ - length_ < s.size()) {
      overflow_ = true;
      return;
    }
    if (!s.empty()) std::memcpy(out_ + length_, s.data(), s.size());
    length_ += s.size();
  }
  void put_decimal(uint32_t v) {
    char digits[10];
    std::size_t n = 0;
    do {
      digits[sizeof digits - ++n] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    put(std::string_view(digits + sizeof digits - n, n));
  }
  void field(std::string_view name, std::string_view value) {
    put(name);
    put(": ");
    put(value);
    put("\r\n");
  }
  std::size_t finish() const { return overflow_ ? 0 : length_; }

 private:
  char* out_;
  std::size_t capacity_;
  std::size_t length_ = 0;
  bool overflow_ = false;
};

bool named_in_connection(const HttpHeaderField* fields, std::size_t count, std::string_view name) {
  for (std::size_t i = 0; i < count; ++i) {
    if (!http_token_equal(fields[i].name, "connection")) continue;
    bool found = false;
    http_internal::for_each_element(fields[i].value, [&](std::string_view option) {
      found = http_token_equal(option, name);
      return !found;
    });
    if (found) return true;
  }
  return false;
}

// RFC 9110 7.6.1 forbids naming end-to-end fields in Connection, but a
// client can still do it: dropping Content-Length or Transfer-Encoding
// would make the server read a different body than the one dplb framed
// (and Host a different destination), so such options are ignored.
bool must_keep(std::string_view name) {
  return http_token_equal(name, "content-length") || http_token_equal(name, "transfer-encoding") ||
         http_token_equal(name, "host");
}

// The options of a head's Connection fields, gathered once per head: asking
// named_in_connection for every field scanned every field again.
class ConnectionOptions {
 public:
  ConnectionOptions(const HttpHeaderField* fields, std::size_t count) : fields_(fields), count_(count) {
    for (std::size_t i = 0; i < count; ++i) {
      if (!http_token_equal(fields[i].name, "connection")) continue;
      http_internal::for_each_element(fields[i].value, [&](std::string_view option) {
        if (size_ < kMax) {
          options_[size_++] = option;
        } else {
          overflow_ = true;
        }
        return true;
      });
    }
  }
  bool names(std::string_view name) const {
    if (overflow_) return named_in_connection(fields_, count_, name);
    for (std::size_t i = 0; i < size_; ++i) {
      if (http_token_equal(options_[i], name)) return true;
    }
    return false;
  }

 private:
  static constexpr std::size_t kMax = 16;
  const HttpHeaderField* fields_;
  std::size_t count_;
  std::array<std::string_view, kMax> options_{};
  std::size_t size_ = 0;
  bool overflow_ = false;  // more options than kMax: ask the fields themselves
};

bool hop_by_hop(std::string_view name, const ConnectionOptions& options, bool upgrade) {
  if (http_token_equal(name, "connection") || http_token_equal(name, "keep-alive") ||
      http_token_equal(name, "proxy-connection") || http_token_equal(name, "te")) {
    return true;
  }
  if (http_token_equal(name, "upgrade")) return !upgrade;
  if (must_keep(name)) return false;
  return options.names(name);
}

void put_version(HeadOut& out, uint8_t minor) { out.put(minor == 0 ? "HTTP/1.0" : "HTTP/1.1"); }

}  // namespace

std::size_t write_request_head(const HttpRequestHead& head, const RequestRewrite& rewrite, char* out,
                               std::size_t capacity) {
  HeadOut w(out, capacity);
  w.put(head.method);
  w.put(" ");
  w.put(head.target);
  w.put(" ");
  put_version(w, head.version_minor);
  w.put("\r\n");
  const HttpHeaderField* fields = head.fields.data();
  const ConnectionOptions options(fields, head.field_count);
  for (std::size_t i = 0; i < head.field_count; ++i) {
    const HttpHeaderField& f = fields[i];
    if (hop_by_hop(f.name, options, head.upgrade)) continue;
    // These describe dplb's own frontend; a client must not get to choose them.
    if (rewrite.forwardfor &&
        (http_token_equal(f.name, "x-forwarded-proto") || http_token_equal(f.name, "x-forwarded-port"))) {
      continue;
    }
    if (!rewrite.client_cert_header.empty() && http_token_equal(f.name, rewrite.client_cert_header)) continue;
    w.field(f.name, f.value);
  }
  if (!rewrite.client_cert_subject.empty()) w.field(rewrite.client_cert_header, rewrite.client_cert_subject);
  // The server reads persistence from the version on the request line,
  // which is the client's (RFC 9112 9.3).
  if (head.upgrade) {
    w.field("Connection", "upgrade");
  } else if (head.version_minor == 1 && !rewrite.keep_alive) {
    w.field("Connection", "close");
  } else if (head.version_minor == 0 && rewrite.keep_alive) {
    w.field("Connection", "keep-alive");
  }
  if (rewrite.forwardfor) {
    // Appended as a field line of its own, after any the client sent, so
    // the last X-Forwarded-For is always dplb's.
    w.put("X-Forwarded-For: ");
    for (int shift = 24; shift >= 0; shift -= 8) {
      w.put_decimal((rewrite.client_address >> shift) & 0xff);
      if (shift != 0) w.put(".");
    }
    w.put("\r\n");
    w.field("X-Forwarded-Proto", rewrite.tls ? "https" : "http");
    w.put("X-Forwarded-Port: ");
    w.put_decimal(rewrite.frontend_port);
    w.put("\r\n");
  }
  w.put("\r\n");
  return w.finish();
}

std::size_t write_response_head(const HttpResponseHead& head, const ResponseRewrite& rewrite, char* out,
                                std::size_t capacity) {
  HeadOut w(out, capacity);
  put_version(w, head.version_minor);
  w.put(" ");
  w.put_decimal(head.status);
  w.put(" ");
  w.put(head.reason);
  w.put("\r\n");
  const HttpHeaderField* fields = head.fields.data();
  const ConnectionOptions options(fields, head.field_count);
  for (std::size_t i = 0; i < head.field_count; ++i) {
    const HttpHeaderField& f = fields[i];
    if (hop_by_hop(f.name, options, head.upgrade)) continue;
    w.field(f.name, f.value);
  }
  // The client reads persistence from the status line's version, which is
  // the server's (RFC 9112 9.3), while it may itself speak the other one:
  // say it explicitly whenever either side's default differs from what
  // dplb decided.
  const bool someone_1_1 = rewrite.client_version_minor == 1 || head.version_minor == 1;
  const bool someone_1_0 = rewrite.client_version_minor == 0 || head.version_minor == 0;
  if (head.upgrade) {
    w.field("Connection", "upgrade");
  } else if (!rewrite.keep_alive && someone_1_1) {
    w.field("Connection", "close");
  } else if (rewrite.keep_alive && someone_1_0) {
    w.field("Connection", "keep-alive");
  }
  w.put("\r\n");
  return w.finish();
}

}  // namespace dplb::dataplane
