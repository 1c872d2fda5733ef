#include "controlplane/health/health_event.h"

#include <algorithm>

namespace dplb::controlplane {
namespace {

// Probe info comes from the network (a server's reason phrase): keep a
// hostile or broken server from splitting or flooding log lines.
constexpr std::size_t kMaxInfo = 200;

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), kMaxInfo));
  for (char c : text.substr(0, kMaxInfo)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f || c == '"' ? '?' : c);
  }
  return out;
}

}  // namespace

bool health_event_has_census(HealthEventKind kind) {
  switch (kind) {
    case HealthEventKind::down:
    case HealthEventKind::up:
    case HealthEventKind::stopping:
    case HealthEventKind::maint_on:
    case HealthEventKind::maint_off:
    case HealthEventKind::drain_on:
    case HealthEventKind::drain_off:
      return true;
    case HealthEventKind::check_progress:
    case HealthEventKind::checks_disabled:
    case HealthEventKind::checks_enabled:
    case HealthEventKind::backend_down:
      return false;
  }
  return false;
}

std::string health_subject(std::string_view backend, std::string_view server, bool backup) {
  std::string s = backup ? "backup server " : "server ";
  s.append(backend);
  s.push_back('/');
  s.append(server);
  return s;
}

std::string health_reason(const CheckOutcome& outcome) {
  std::string s = "reason: ";
  s += check_result_description(outcome.result);
  if (check_result_has_code(outcome.result) && outcome.http_status != 0) {
    s += ", code: " + std::to_string(outcome.http_status);
  }
  if (!outcome.info.empty()) s += ", info: \"" + printable(outcome.info) + "\"";
  if (outcome.duration_ms >= 0) s += ", check duration: " + std::to_string(outcome.duration_ms) + "ms";
  return s;
}

std::string health_census(uint32_t active, uint32_t backup, bool usable) {
  std::string s = " " + std::to_string(active) + " active and " + std::to_string(backup) +
                  " backup servers " + (usable ? "online." : "left.");
  if (active == 0 && backup > 0) s += " Running on backup.";
  return s;
}

}  // namespace dplb::controlplane
