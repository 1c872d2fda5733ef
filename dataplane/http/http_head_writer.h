#pragma once

// Writes a head as the proxy forwards it: the start line and every field
// the client or server sent, minus hop-by-hop fields (Connection and the
// fields it names, Keep-Alive, Proxy-Connection, TE, Upgrade unless the
// exchange upgrades; RFC 9110 7.6.1), plus the Connection field the next
// hop needs and, with `option forwardfor`, X-Forwarded-For (appended, as
// HAProxy does) and X-Forwarded-Proto / X-Forwarded-Port (replacing any the
// client sent: a client must not choose them). Transfer-Encoding and
// Content-Length pass unchanged, since bodies are forwarded as received.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/http/http_request_head.h"
#include "dataplane/http/http_response_head.h"

namespace dplb::dataplane {

struct RequestRewrite {
  bool keep_alive = true;      // we want to reuse the server connection afterwards
  bool forwardfor = false;
  uint32_t client_address = 0; // host order
  uint16_t frontend_port = 0;  // X-Forwarded-Port
  bool tls = false;            // X-Forwarded-Proto: https
  // The field carrying a verified client certificate's subject (frontends
  // that verify client certificates): any the client sent is dropped, so
  // only dplb's reaches the server; `client_cert_subject` empty: none added.
  std::string_view client_cert_header;
  std::string_view client_cert_subject;
};

struct ResponseRewrite {
  bool keep_alive = true;      // the client connection stays open afterwards
  uint8_t client_version_minor = 1;
};

// Return the length written, or 0 when `capacity` is too small.
std::size_t write_request_head(const HttpRequestHead& head, const RequestRewrite& rewrite, char* out,
                               std::size_t capacity);
std::size_t write_response_head(const HttpResponseHead& head, const ResponseRewrite& rewrite, char* out,
                                std::size_t capacity);

}  // namespace dplb::dataplane
