#pragma once

// What a rule condition can look at: the message a rule runs on (a request
// head, or a response head with its request's), the connection's addresses
// and whether it came over TLS. Views only: the worker fills one on its
// stack from what it already parsed, nothing is copied or allocated.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/http/http_request_head.h"

namespace dplb::rules {

struct MessageFacts {
  // The request line; empty for a response, whose rules may not use the
  // fetches that read it (FetchScope::request): the request head is gone
  // by the time the response arrives.
  std::string_view method;
  std::string_view target;
  uint8_t version_minor = 1;
  // The fields of the message the rule runs on: the request's for
  // http_request rules, the response's for http_response rules.
  const dataplane::HttpHeaderField* fields = nullptr;
  std::size_t field_count = 0;
  uint16_t status = 0;  // responses only; 0 in request rules
  // The client connection, host order.
  uint32_t src = 0;
  uint16_t src_port = 0;
  uint32_t dst = 0;
  uint16_t dst_port = 0;
  bool tls = false;
  std::string_view sni;  // the ClientHello's server name, "" without one
};

}  // namespace dplb::rules
