#include "controlplane/health/server_health.h"

#include <algorithm>
#include <utility>

namespace dplb::controlplane {
namespace {

// Sub-millisecond settings would make the scheduler spin.
int64_t at_least_1ms(conf::Duration d) { return std::max<int64_t>(1, d.milliseconds()); }

const char* observation_text(Observation what) {
  switch (what) {
    case Observation::connected: return "connection established";
    case Observation::connect_failed: return "connection failed";
    case Observation::http_ok: return "valid answer";
    case Observation::http_error: return "error answer";
  }
  return "unknown";
}

enum class Verdict : uint8_t { ignore, ok, error };

Verdict judge(conf::ObserveMode mode, Observation what) {
  if (mode == conf::ObserveMode::none) return Verdict::ignore;
  const bool layer7 = mode == conf::ObserveMode::layer7;
  switch (what) {
    case Observation::connected: return layer7 ? Verdict::ignore : Verdict::ok;
    case Observation::connect_failed: return Verdict::error;
    case Observation::http_ok: return layer7 ? Verdict::ok : Verdict::ignore;
    case Observation::http_error: return layer7 ? Verdict::error : Verdict::ignore;
  }
  return Verdict::ignore;
}

}  // namespace

const char* admin_state_name(AdminState s) {
  switch (s) {
    case AdminState::ready: return "ready";
    case AdminState::drain: return "drain";
    case AdminState::maint: return "maint";
  }
  return "unknown";
}

ServerHealth::ServerHealth(std::string backend, const conf::HealthCheckConfig& check,
                           const conf::ServerConfig& server, int64_t now_ms)
    : backend_(std::move(backend)),
      name_(server.name),
      backup_(server.backup),
      check_configured_(server.check),
      rise_(std::max<uint32_t>(1, check.rise)),
      fall_(std::max<uint32_t>(1, check.fall)),
      inter_ms_(at_least_1ms(check.interval)),
      fastinter_ms_(at_least_1ms(check.fastinter.value_or(check.interval))),
      downinter_ms_(at_least_1ms(check.downinter.value_or(check.interval))),
      timeout_ms_(at_least_1ms(check.timeout.value_or(check.interval))),
      // Only an HTTP check sees a 404.
      disable_on_404_(check.disable_on_404 && check.type == conf::HealthCheckType::http),
      observe_(check.observe),
      error_limit_(std::max<uint32_t>(1, check.error_limit)),
      on_error_(check.on_error),
      weight_(std::min(server.weight, kMaxWeight)),
      initial_weight_(weight_),
      slowstart_ms_(std::max<int64_t>(0, server.slowstart.milliseconds())),
      health_(rise_),
      last_change_ms_(now_ms) {}

std::optional<HealthEvent> ServerHealth::report_check(const CheckOutcome& outcome, int64_t now_ms) {
  if (!checks_running()) return std::nullopt;
  CheckOutcome o = outcome;
  // A 404 soft-stops only a server that is up; a server that is down stays
  // down however politely it answers.
  const bool answered = o.result == CheckResult::l7ok || o.result == CheckResult::l7sts;
  if (disable_on_404_ && o.http_status == 404 && answered && op_ != OperState::down) {
    o.result = CheckResult::l7okc;
  }
  if (o.result == CheckResult::l7okc && op_ == OperState::down) o.result = CheckResult::l7sts;
  last_check_ = std::move(o);
  if (!check_passed(last_check_.result)) return fail(now_ms);
  return pass(last_check_.result == CheckResult::l7okc, now_ms);
}

std::optional<HealthEvent> ServerHealth::report_observed(Observation what, int64_t now_ms) {
  if (!checks_running()) return std::nullopt;  // nothing could bring the server back
  const Verdict v = judge(observe_, what);
  if (v == Verdict::ignore) return std::nullopt;
  if (v == Verdict::ok) {
    consecutive_errors_ = 0;
    return std::nullopt;
  }
  if (++consecutive_errors_ < error_limit_) return std::nullopt;

  const uint32_t seen = consecutive_errors_;
  consecutive_errors_ = 0;
  ++observe_trips_;
  fast_check_ = true;
  if (on_error_ == conf::OnError::fastinter) return std::nullopt;

  if (on_error_ == conf::OnError::sudden_death && health_ > rise_) health_ = rise_ + 1;
  if (on_error_ == conf::OnError::mark_down && health_ > 0) health_ = rise_;
  last_check_ = CheckOutcome{CheckResult::hana, 0,
                             "Detected " + std::to_string(seen) + " consecutive errors, last one was: " +
                                 observation_text(what),
                             -1};
  return fail(now_ms);
}

std::optional<HealthEvent> ServerHealth::fail(int64_t now_ms) {
  // Failures against a server already fully down change nothing and are not
  // counted, as HAProxy's chkfail.
  if (health_ == 0) return std::nullopt;
  ++chkfail_;
  --health_;
  if (health_ < rise_) health_ = 0;
  if (health_ == 0 && op_ != OperState::down) return go_down(now_ms);
  return progress(false);
}

std::optional<HealthEvent> ServerHealth::pass(bool conditional, int64_t now_ms) {
  const uint32_t before = health_;
  if (health_ < full_health()) {
    ++health_;
    if (health_ >= rise_) health_ = full_health();
  }
  consecutive_errors_ = 0;
  if (health_ >= rise_) {
    if (conditional && op_ != OperState::stopping) return go_stopping(now_ms);
    if (!conditional && op_ != OperState::up) return go_up(now_ms);
  }
  if (health_ != before) return progress(true);
  return std::nullopt;
}

HealthEvent ServerHealth::go_down(int64_t now_ms) {
  // HAProxy only notices a server that was already soft-stopped: the
  // operator asked for it to leave.
  const LogLevel level = op_ == OperState::stopping ? LogLevel::notice : LogLevel::alert;
  op_ = OperState::down;
  ramp_start_ms_.reset();
  ++chkdown_;
  changed(now_ms);
  return event(HealthEventKind::down, level, " is DOWN, " + health_reason(last_check_) + ".");
}

HealthEvent ServerHealth::go_up(int64_t now_ms) {
  op_ = OperState::up;
  if (slowstart_ms_ > 0) ramp_start_ms_ = now_ms;
  changed(now_ms);
  return event(HealthEventKind::up, LogLevel::notice, " is UP, " + health_reason(last_check_) + ".");
}

HealthEvent ServerHealth::go_stopping(int64_t now_ms) {
  op_ = OperState::stopping;
  ramp_start_ms_.reset();
  changed(now_ms);
  return event(HealthEventKind::stopping, LogLevel::notice, " is stopping, " + health_reason(last_check_) + ".");
}

HealthEvent ServerHealth::progress(bool passed) const {
  const bool upper = health_ >= rise_;
  const uint32_t n = upper ? health_ - rise_ + 1 : health_;
  const uint32_t m = upper ? fall_ : rise_;
  HealthEvent e;
  e.kind = HealthEventKind::check_progress;
  e.level = LogLevel::info;
  e.message = "health check for " + health_subject(backend_, name_, backup_) + (passed ? " succeeded, " : " failed, ") +
              health_reason(last_check_) + ", status: " + std::to_string(n) + "/" + std::to_string(m) +
              (upper ? " UP." : " DOWN.");
  return e;
}

HealthEvent ServerHealth::event(HealthEventKind kind, LogLevel level, std::string text) const {
  HealthEvent e;
  e.kind = kind;
  e.level = level;
  e.message = health_subject(backend_, name_, backup_) + text;
  return e;
}

void ServerHealth::changed(int64_t now_ms) {
  last_change_ms_ = now_ms;
  const bool down = op_ == OperState::down || admin_ == AdminState::maint;
  if (down && !down_since_ms_) down_since_ms_ = now_ms;
  if (!down && down_since_ms_) {
    downtime_ms_ += std::max<int64_t>(0, now_ms - *down_since_ms_);
    down_since_ms_.reset();
  }
}

std::optional<HealthEvent> ServerHealth::set_admin(AdminState state, int64_t now_ms) {
  if (state == admin_) return std::nullopt;
  const AdminState before = admin_;
  admin_ = state;
  if (state == AdminState::maint) {
    op_ = OperState::down;
    if (check_configured_) health_ = 0;
    consecutive_errors_ = 0;
    fast_check_ = false;
    ramp_start_ms_.reset();
    changed(now_ms);
    return event(HealthEventKind::maint_on, LogLevel::notice, " is going DOWN for maintenance.");
  }
  if (before == AdminState::maint) {
    // Back in service at once; a checked server's first check (due now)
    // takes it out again if it is still broken.
    op_ = OperState::up;
    if (check_configured_) health_ = rise_;
    if (slowstart_ms_ > 0) ramp_start_ms_ = now_ms;
    changed(now_ms);
    return event(HealthEventKind::maint_off, LogLevel::notice, " is UP (leaving forced maintenance).");
  }
  changed(now_ms);
  if (state == AdminState::drain) return event(HealthEventKind::drain_on, LogLevel::notice, " enters drain state.");
  return event(HealthEventKind::drain_off, LogLevel::notice,
               std::string(" is ") + (is_up() ? "UP" : "DOWN") + " (leaving forced drain).");
}

bool ServerHealth::set_weight(uint32_t weight) {
  if (weight > kMaxWeight) return false;
  weight_ = weight;
  return true;
}

std::optional<HealthEvent> ServerHealth::disable_checks(int64_t now_ms) {
  (void)now_ms;
  if (!checks_enabled()) return std::nullopt;
  checks_enabled_ = false;
  consecutive_errors_ = 0;
  fast_check_ = false;
  const char* kept = op_ == OperState::up ? "UP" : op_ == OperState::stopping ? "NOLB" : "DOWN";
  HealthEvent e;
  e.kind = HealthEventKind::checks_disabled;
  e.level = LogLevel::notice;
  e.message = "health checks of " + health_subject(backend_, name_, backup_) + " disabled, it stays " + kept + ".";
  return e;
}

std::optional<HealthEvent> ServerHealth::enable_checks(int64_t now_ms) {
  (void)now_ms;
  if (!check_configured_ || checks_enabled_) return std::nullopt;
  checks_enabled_ = true;
  HealthEvent e;
  e.kind = HealthEventKind::checks_enabled;
  e.level = LogLevel::notice;
  e.message = "health checks of " + health_subject(backend_, name_, backup_) + " enabled.";
  return e;
}

bool ServerHealth::in_slowstart(int64_t now_ms) const {
  return ramp_start_ms_ && now_ms - *ramp_start_ms_ < slowstart_ms_;
}

uint16_t ServerHealth::effective_weight(int64_t now_ms) const {
  if (!usable_for_new_traffic() || weight_ == 0) return 0;
  if (!in_slowstart(now_ms)) return static_cast<uint16_t>(weight_);
  const int64_t elapsed = std::max<int64_t>(0, now_ms - *ramp_start_ms_);
  const int64_t ramped = static_cast<int64_t>(weight_) * elapsed / slowstart_ms_;
  return static_cast<uint16_t>(std::clamp<int64_t>(ramped, 1, weight_));
}

std::string ServerHealth::state_text() const {
  if (admin_ == AdminState::maint) return "MAINT";
  const bool checking = checks_enabled();
  auto counted = [](const char* word, uint32_t n, uint32_t m) {
    return std::string(word) + " " + std::to_string(n) + "/" + std::to_string(m);
  };
  const bool going_down = checking && health_ < full_health();
  const uint32_t up_n = health_ >= rise_ ? health_ - rise_ + 1 : 0;
  switch (op_) {
    case OperState::up:
      if (admin_ == AdminState::drain) return going_down ? counted("DRAIN", up_n, fall_) : "DRAIN";
      if (!checking) return "no check";
      return going_down ? counted("UP", up_n, fall_) : "UP";
    case OperState::stopping:
      return going_down ? counted("NOLB", up_n, fall_) : "NOLB";
    case OperState::down:
      return checking && health_ > 0 ? counted("DOWN", health_, rise_) : "DOWN";
  }
  return "DOWN";
}

int64_t ServerHealth::downtime_ms(int64_t now_ms) const {
  return downtime_ms_ + (down_since_ms_ ? std::max<int64_t>(0, now_ms - *down_since_ms_) : 0);
}

int64_t ServerHealth::next_interval_ms() const {
  if (!fast_check_ && health_ == full_health()) return inter_ms_;
  if (op_ == OperState::down && health_ == 0) return downinter_ms_;
  return fastinter_ms_;
}

}  // namespace dplb::controlplane
