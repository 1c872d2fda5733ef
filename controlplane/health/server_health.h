#pragma once

// One server's health as HAProxy keeps it, on a clock the caller provides
// (milliseconds), so every rule is tested on a virtual clock.
//
// The health counter runs from 0 to rise+fall-1. The server is up while it
// is at least `rise`: a failed check takes one off, and falling under `rise`
// drops it to 0 (DOWN); a passed check adds one, and reaching `rise` jumps
// it to the top (UP). So from full health `fall` consecutive failures take
// the server down, and from 0 `rise` consecutive successes bring it up; a
// single success while going down, or a single failure while going up,
// restores the stable state. A server starts up one failure away from
// down (health = rise, HAProxy's default init-state), so a dead server
// leaves rotation on its first check.
//
// On top of that operational state sits the operator's admin state (ready,
// drain, maint) and the soft stop of disable_on_404 (NOLB). Transitions
// return the log line to write (without the backend census, which
// HealthScheduler appends).

#include <cstdint>
#include <optional>
#include <string>

#include "conf/config.h"
#include "controlplane/health/check_result.h"
#include "controlplane/health/health_event.h"

namespace dplb::controlplane {

enum class AdminState : uint8_t {
  ready,
  drain,  // no new traffic; established sessions finish
  maint,  // no traffic, no checks
};

const char* admin_state_name(AdminState s);

enum class OperState : uint8_t {
  down,
  up,
  stopping,  // NOLB: up, but a 404 asked for no new traffic
};

// What a worker saw on live traffic to a server, for `observe`. Which ones
// count depends on the mode, as in HAProxy: layer4 judges connections only;
// layer7 counts failed connections and bad answers as errors, and only good
// answers as successes.
enum class Observation : uint8_t {
  connected,
  connect_failed,
  http_ok,
  http_error,  // 5xx (but 501 and 505, which say nothing about health), invalid answer, read error
};

class ServerHealth {
 public:
  static constexpr uint32_t kMaxWeight = 256;

  ServerHealth(std::string backend, const conf::HealthCheckConfig& check, const conf::ServerConfig& server,
               int64_t now_ms);

  // A probe's verdict. Ignored while checks are not running (disabled, maint).
  std::optional<HealthEvent> report_check(const CheckOutcome& outcome, int64_t now_ms);
  // Live traffic; error_limit consecutive errors trigger on_error. Ignored
  // while checks are not running: nothing would bring the server back up.
  std::optional<HealthEvent> report_observed(Observation what, int64_t now_ms);

  // Operator commands. Leaving maint brings the server up at once (checked
  // servers one failure away from down) and starts slowstart.
  std::optional<HealthEvent> set_admin(AdminState state, int64_t now_ms);
  bool set_weight(uint32_t weight);  // false above kMaxWeight
  // Checks stop and the state stays as it is (HAProxy's `disable health`).
  std::optional<HealthEvent> disable_checks(int64_t now_ms);
  // Nothing when the server has no check configured or checks already run.
  std::optional<HealthEvent> enable_checks(int64_t now_ms);

  const std::string& backend() const { return backend_; }
  const std::string& name() const { return name_; }
  bool backup() const { return backup_; }

  bool checks_configured() const { return check_configured_; }
  bool checks_enabled() const { return check_configured_ && checks_enabled_; }
  bool checks_running() const { return checks_enabled() && admin_ != AdminState::maint; }

  OperState oper_state() const { return op_; }
  AdminState admin_state() const { return admin_; }
  bool is_up() const { return op_ != OperState::down; }
  bool is_nolb() const { return op_ == OperState::stopping; }
  bool usable_for_new_traffic() const { return op_ == OperState::up && admin_ == AdminState::ready; }

  uint32_t weight() const { return weight_; }
  uint32_t initial_weight() const { return initial_weight_; }
  // What new traffic sees: 0 when not usable; during slowstart
  // weight * elapsed / slowstart, at least 1 when weight > 0.
  uint16_t effective_weight(int64_t now_ms) const;
  bool in_slowstart(int64_t now_ms) const;

  // "UP", "UP 1/3", "DOWN", "DOWN 1/2", "NOLB", "NOLB 2/3", "DRAIN",
  // "DRAIN 2/3", "MAINT", "no check" (up without running checks).
  std::string state_text() const;

  uint32_t health() const { return health_; }
  uint32_t rise() const { return rise_; }
  uint32_t fall() const { return fall_; }
  const CheckOutcome& last_check() const { return last_check_; }
  uint64_t checks_failed() const { return chkfail_; }        // chkfail
  uint64_t down_transitions() const { return chkdown_; }     // chkdown
  uint64_t observe_trips() const { return observe_trips_; }  // error_limit reached
  uint32_t consecutive_errors() const { return consecutive_errors_; }
  int64_t last_change_ms() const { return last_change_ms_; }
  int64_t downtime_ms(int64_t now_ms) const;  // DOWN and MAINT time, the current stretch included

  // inter while stable, downinter while fully down, fastinter while the
  // counter is between the two or after on_error asked for a quick check.
  int64_t next_interval_ms() const;
  int64_t fastinter_ms() const { return fastinter_ms_; }
  int64_t timeout_ms() const { return timeout_ms_; }
  // Set when error_limit tripped: the next check should come within
  // fastinter. HAProxy forgets it once that check starts.
  bool fast_check_requested() const { return fast_check_; }
  void clear_fast_check() { fast_check_ = false; }

 private:
  uint32_t full_health() const { return rise_ + fall_ - 1; }
  std::optional<HealthEvent> fail(int64_t now_ms);
  std::optional<HealthEvent> pass(bool conditional, int64_t now_ms);
  HealthEvent go_down(int64_t now_ms);
  HealthEvent go_up(int64_t now_ms);
  HealthEvent go_stopping(int64_t now_ms);
  HealthEvent progress(bool passed) const;
  HealthEvent event(HealthEventKind kind, LogLevel level, std::string text) const;
  void changed(int64_t now_ms);

  std::string backend_;
  std::string name_;
  bool backup_ = false;

  bool check_configured_ = false;
  bool checks_enabled_ = true;
  uint32_t rise_ = 2;
  uint32_t fall_ = 3;
  int64_t inter_ms_ = 2000;
  int64_t fastinter_ms_ = 2000;
  int64_t downinter_ms_ = 2000;
  int64_t timeout_ms_ = 2000;
  bool disable_on_404_ = false;
  conf::ObserveMode observe_ = conf::ObserveMode::none;
  uint32_t error_limit_ = 10;
  conf::OnError on_error_ = conf::OnError::fail_check;

  uint32_t weight_ = 1;
  uint32_t initial_weight_ = 1;
  int64_t slowstart_ms_ = 0;
  std::optional<int64_t> ramp_start_ms_;

  OperState op_ = OperState::up;
  AdminState admin_ = AdminState::ready;
  uint32_t health_ = 0;
  bool fast_check_ = false;
  uint32_t consecutive_errors_ = 0;
  CheckOutcome last_check_;

  uint64_t chkfail_ = 0;
  uint64_t chkdown_ = 0;
  uint64_t observe_trips_ = 0;
  int64_t last_change_ms_ = 0;
  int64_t downtime_ms_ = 0;
  std::optional<int64_t> down_since_ms_;
};

}  // namespace dplb::controlplane
