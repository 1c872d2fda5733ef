#pragma once

// The log lines health checking writes, worded like HAProxy's so existing
// log filters and operators' reflexes keep working:
//
//   server web/s2 is DOWN, reason: Layer4 connection problem, info: "Connection refused",
//     check duration: 1ms. 2 active and 0 backup servers left.
//
// ServerHealth knows one server and writes up to the first period; the
// backend's census (the second sentence) needs every server of the backend,
// so HealthScheduler appends it. The session and queue figures HAProxy adds
// are left out: the control plane does not know them when it decides.

#include <cstdint>
#include <string>
#include <string_view>

#include "controlplane/health/check_result.h"
#include "controlplane/logger.h"

namespace dplb::controlplane {

enum class HealthEventKind : uint8_t {
  down,             // checks or observation took the server down
  up,               // checks brought it back (from DOWN or NOLB)
  stopping,         // disable_on_404: soft-stopped (NOLB)
  check_progress,   // the health counter moved, the state did not ("UP 2/3")
  maint_on,
  maint_off,
  drain_on,
  drain_off,
  checks_disabled,
  checks_enabled,
  backend_down,     // the backend has no usable server left
};

struct HealthEvent {
  HealthEventKind kind = HealthEventKind::check_progress;
  LogLevel level = LogLevel::info;
  std::string message;
};

// Whether the event moves the server in or out of rotation, so the line
// ends with how many servers the backend has left.
bool health_event_has_census(HealthEventKind kind);

// "server web/s2" or "backup server web/s3".
std::string health_subject(std::string_view backend, std::string_view server, bool backup);

// "reason: Layer7 wrong status, code: 503, info: \"...\", check duration: 2ms"
// (code only for results with an HTTP answer, info only when there is some,
// duration only for timed probes).
std::string health_reason(const CheckOutcome& outcome);

// " 2 active and 0 backup servers left." ("online" when `usable`), plus
// " Running on backup." when only backups remain.
std::string health_census(uint32_t active, uint32_t backup, bool usable);

}  // namespace dplb::controlplane
