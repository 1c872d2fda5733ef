#pragma once

// What one health check (or the passive observation of traffic) concluded,
// with HAProxy's status codes and wording so operators' scripts and habits
// carry over: the codes appear in `show stat`'s check_status column, the
// descriptions in the "is UP/DOWN, reason: ..." log lines.

#include <cstdint>
#include <string>
#include <vector>

#include "conf/config.h"

namespace dplb::controlplane {

enum class CheckResult : uint8_t {
  init,    // no check has completed yet
  l4ok,    // connection established (TCP checks stop there)
  l4tout,  // no answer to the connection attempt before the deadline
  l4con,   // connection refused, reset or unreachable
  l7ok,    // HTTP answer with an expected status
  l7okc,   // HTTP 404 under disable_on_404: passed, but the server is soft-stopped
  l7sts,   // HTTP answer with an unexpected status
  l7tout,  // connected, but no complete HTTP answer before the deadline
  l7rsp,   // connected, but the answer is not valid HTTP
  l6ok,    // TLS handshake done (check_ssl with a TCP check stops there)
  l6tout,  // connected, but the TLS handshake did not finish before the deadline
  l6rsp,   // the TLS handshake failed (certificate, protocol, the server closed)
  hana,    // not a probe: too many consecutive errors seen on live traffic
};

inline const char* check_result_code(CheckResult r) {
  switch (r) {
    case CheckResult::init: return "INI";
    case CheckResult::l4ok: return "L4OK";
    case CheckResult::l4tout: return "L4TOUT";
    case CheckResult::l4con: return "L4CON";
    case CheckResult::l7ok: return "L7OK";
    case CheckResult::l7okc: return "L7OKC";
    case CheckResult::l7sts: return "L7STS";
    case CheckResult::l7tout: return "L7TOUT";
    case CheckResult::l7rsp: return "L7RSP";
    case CheckResult::l6ok: return "L6OK";
    case CheckResult::l6tout: return "L6TOUT";
    case CheckResult::l6rsp: return "L6RSP";
    case CheckResult::hana: return "HANA";
  }
  return "UNK";
}

inline const char* check_result_description(CheckResult r) {
  switch (r) {
    case CheckResult::init: return "Initializing";
    case CheckResult::l4ok: return "Layer4 check passed";
    case CheckResult::l4tout: return "Layer4 timeout";
    case CheckResult::l4con: return "Layer4 connection problem";
    case CheckResult::l7ok: return "Layer7 check passed";
    case CheckResult::l7okc: return "Layer7 check conditionally passed";
    case CheckResult::l7sts: return "Layer7 wrong status";
    case CheckResult::l7tout: return "Layer7 timeout";
    case CheckResult::l7rsp: return "Layer7 invalid response";
    case CheckResult::l6ok: return "Layer6 check passed";
    case CheckResult::l6tout: return "Layer6 timeout";
    case CheckResult::l6rsp: return "Layer6 invalid response";
    case CheckResult::hana: return "Health analyze";
  }
  return "Unknown";
}

inline bool check_passed(CheckResult r) {
  return r == CheckResult::l4ok || r == CheckResult::l6ok || r == CheckResult::l7ok || r == CheckResult::l7okc;
}

// HAProxy prints the HTTP code only for results that carry an answer.
inline bool check_result_has_code(CheckResult r) {
  return r == CheckResult::l7ok || r == CheckResult::l7okc || r == CheckResult::l7sts;
}

struct CheckOutcome {
  CheckResult result = CheckResult::init;
  uint16_t http_status = 0;  // 0: no HTTP answer
  std::string info;          // e.g. "Connection refused", the reason phrase
  int64_t duration_ms = -1;  // -1: not a timed probe (observation, no check yet)
};

// The verdict on an HTTP answer against `http-check expect status` ranges.
// disable_on_404 is not applied here: whether a 404 soft-stops depends on
// the server's state, which ServerHealth knows.
inline CheckResult classify_http_status(uint16_t status, const std::vector<conf::StatusRange>& expect) {
  for (const auto& range : expect) {
    if (status >= range.first && status <= range.last) return CheckResult::l7ok;
  }
  return CheckResult::l7sts;
}

}  // namespace dplb::controlplane
