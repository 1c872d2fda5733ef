// Health checking's state machine and scheduler on a virtual clock:
// HAProxy's rise/fall counter, its state texts and log lines, intervals,
// spread, slowstart, operator states, disable_on_404 and observe.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "controlplane/health/health_scheduler.h"
#include "controlplane/health/server_health.h"

namespace dplb::controlplane {
namespace {

constexpr int64_t kInter = 2000;
constexpr int64_t kFast = 500;
constexpr int64_t kDownInter = 5000;

conf::Duration ms(int64_t v) { return conf::Duration{v * 1000}; }

conf::HealthCheckConfig check_config(uint32_t rise = 2, uint32_t fall = 3) {
  conf::HealthCheckConfig c;
  c.rise = rise;
  c.fall = fall;
  c.interval = ms(kInter);
  c.fastinter = ms(kFast);
  c.downinter = ms(kDownInter);
  c.timeout = ms(1000);
  return c;
}

conf::ServerConfig server_config(const std::string& name, uint32_t weight = 1, bool backup = false) {
  conf::ServerConfig s;
  s.name = name;
  s.weight = weight;
  s.backup = backup;
  s.check = true;
  return s;
}

CheckOutcome l4ok() { return {CheckResult::l4ok, 0, "", 1}; }
CheckOutcome refused() { return {CheckResult::l4con, 0, "Connection refused", 1}; }
CheckOutcome l4timeout() { return {CheckResult::l4tout, 0, "", 1000}; }
CheckOutcome http(uint16_t status, int64_t duration = 3) {
  return {classify_http_status(status, {{200, 399}}), status, "", duration};
}

ServerHealth make(uint32_t rise = 2, uint32_t fall = 3, conf::HealthCheckConfig c = check_config()) {
  c.rise = rise;
  c.fall = fall;
  return ServerHealth("web", c, server_config("s1"), 0);
}

// Brings a fresh server to health `h` by checks only.
void reach(ServerHealth& s, uint32_t h) {
  const uint32_t full = s.rise() + s.fall() - 1;
  s.report_check(l4ok(), 0);
  ASSERT_EQ(s.health(), full);
  if (h >= s.rise()) {
    while (s.health() > h) s.report_check(refused(), 0);
  } else {
    while (s.is_up()) s.report_check(refused(), 0);
    while (s.health() < h) s.report_check(l4ok(), 0);
  }
  ASSERT_EQ(s.health(), h);
}

// ---- the health counter -----------------------------------------------

TEST(ServerHealth, StartsUpOneFailureAwayFromDown) {
  ServerHealth s = make();
  EXPECT_TRUE(s.is_up());
  EXPECT_TRUE(s.usable_for_new_traffic());
  EXPECT_EQ(s.state_text(), "UP 1/3");
  EXPECT_EQ(s.last_check().result, CheckResult::init);
  auto e = s.report_check(refused(), 10);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, HealthEventKind::down);
  EXPECT_FALSE(s.is_up());
  EXPECT_EQ(s.state_text(), "DOWN");
}

TEST(ServerHealth, FirstSuccessMakesItFullyUp) {
  ServerHealth s = make();
  s.report_check(l4ok(), 10);
  EXPECT_EQ(s.state_text(), "UP");
  EXPECT_EQ(s.health(), 4u);
}

TEST(ServerHealth, RiseAndFallFromEveryStartingPoint) {
  for (uint32_t rise = 1; rise <= 4; ++rise) {
    for (uint32_t fall = 1; fall <= 4; ++fall) {
      for (uint32_t h = 0; h <= rise + fall - 1; ++h) {
        SCOPED_TRACE("rise " + std::to_string(rise) + " fall " + std::to_string(fall) + " health " +
                     std::to_string(h));
        {
          ServerHealth s = make(rise, fall);
          reach(s, h);
          // Up: the failures left before falling under rise; going up: one.
          const uint32_t failures_to_zero = h >= rise ? h - rise + 1 : (h > 0 ? 1 : 0);
          uint32_t n = 0;
          while (s.health() > 0) {
            s.report_check(refused(), 0);
            ++n;
          }
          EXPECT_EQ(n, failures_to_zero);
          EXPECT_FALSE(s.is_up());
        }
        {
          ServerHealth s = make(rise, fall);
          reach(s, h);
          // Down: the successes left to reach rise; going down: one.
          const uint32_t successes_to_full = h < rise ? rise - h : (h < rise + fall - 1 ? 1 : 0);
          uint32_t n = 0;
          while (s.health() < rise + fall - 1) {
            s.report_check(l4ok(), 0);
            ++n;
          }
          EXPECT_EQ(n, successes_to_full);
          EXPECT_TRUE(s.is_up());
        }
        {
          ServerHealth s = make(rise, fall);
          reach(s, h);
          const uint32_t full = rise + fall - 1;
          std::string text = h >= rise ? (h == full ? "UP" : "UP " + std::to_string(h - rise + 1) + "/" +
                                                                 std::to_string(fall))
                                       : (h == 0 ? "DOWN" : "DOWN " + std::to_string(h) + "/" + std::to_string(rise));
          EXPECT_EQ(s.state_text(), text);
        }
      }
    }
  }
}

TEST(ServerHealth, StateTextsWhileTransitioning) {
  ServerHealth s = make(2, 3);
  s.report_check(l4ok(), 0);
  EXPECT_EQ(s.state_text(), "UP");
  s.report_check(refused(), 0);
  EXPECT_EQ(s.state_text(), "UP 2/3");
  s.report_check(refused(), 0);
  EXPECT_EQ(s.state_text(), "UP 1/3");
  s.report_check(refused(), 0);
  EXPECT_EQ(s.state_text(), "DOWN");
  s.report_check(l4ok(), 0);
  EXPECT_EQ(s.state_text(), "DOWN 1/2");
  s.report_check(l4ok(), 0);
  EXPECT_EQ(s.state_text(), "UP");
}

TEST(ServerHealth, IntervalFollowsTheState) {
  ServerHealth s = make(2, 3);
  EXPECT_EQ(s.next_interval_ms(), kFast);  // one failure away from down
  s.report_check(l4ok(), 0);
  EXPECT_EQ(s.next_interval_ms(), kInter);
  s.report_check(refused(), 0);
  EXPECT_EQ(s.next_interval_ms(), kFast);  // going down
  s.report_check(refused(), 0);
  s.report_check(refused(), 0);
  EXPECT_EQ(s.next_interval_ms(), kDownInter);  // down
  s.report_check(l4ok(), 0);
  EXPECT_EQ(s.next_interval_ms(), kFast);  // going up
  s.report_check(l4ok(), 0);
  EXPECT_EQ(s.next_interval_ms(), kInter);
}

TEST(ServerHealth, UnsetIntervalsFallBackToInter) {
  conf::HealthCheckConfig c;
  c.interval = ms(3000);
  ServerHealth s("web", c, server_config("s1"), 0);
  EXPECT_EQ(s.next_interval_ms(), 3000);
  EXPECT_EQ(s.timeout_ms(), 3000);
  while (s.is_up()) s.report_check(refused(), 0);
  EXPECT_EQ(s.next_interval_ms(), 3000);
}

TEST(ServerHealth, ProgressAndTransitionMessages) {
  ServerHealth s = make(2, 3);
  s.report_check(l4ok(), 0);
  auto e = s.report_check(l4timeout(), 0);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, HealthEventKind::check_progress);
  EXPECT_EQ(e->level, LogLevel::info);
  EXPECT_EQ(e->message,
            "health check for server web/s1 failed, reason: Layer4 timeout, check duration: 1000ms, status: 2/3 UP.");
  s.report_check(refused(), 0);
  e = s.report_check(refused(), 0);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->level, LogLevel::alert);
  EXPECT_EQ(e->message,
            "server web/s1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", "
            "check duration: 1ms.");
  EXPECT_FALSE(s.report_check(refused(), 0));  // nothing moves any more
  e = s.report_check(http(200), 0);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message,
            "health check for server web/s1 succeeded, reason: Layer7 check passed, code: 200, "
            "check duration: 3ms, status: 1/2 DOWN.");
  e = s.report_check(http(200), 0);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, HealthEventKind::up);
  EXPECT_EQ(e->level, LogLevel::notice);
  EXPECT_EQ(e->message, "server web/s1 is UP, reason: Layer7 check passed, code: 200, check duration: 3ms.");
  EXPECT_FALSE(s.report_check(http(200), 0));  // stable: nothing to say
}

TEST(ServerHealth, WrongStatusAndInvalidAnswerTexts) {
  ServerHealth s = make(2, 3);
  s.report_check(l4ok(), 0);
  CheckOutcome bad = http(503, 2);
  bad.info = "Service \"Unavailable\"\r\n";
  auto e = s.report_check(bad, 0);
  ASSERT_TRUE(e);
  EXPECT_EQ(s.last_check().result, CheckResult::l7sts);
  EXPECT_EQ(e->message,
            "health check for server web/s1 failed, reason: Layer7 wrong status, code: 503, "
            "info: \"Service ?Unavailable???\", check duration: 2ms, status: 2/3 UP.");
  e = s.report_check({CheckResult::l7rsp, 0, "", 4}, 0);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("reason: Layer7 invalid response, check duration: 4ms"), std::string::npos);
  e = s.report_check({CheckResult::l7tout, 0, "", 1000}, 0);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "server web/s1 is DOWN, reason: Layer7 timeout, check duration: 1000ms.");
}

TEST(CheckResultHealth, CodesAndDescriptions) {
  EXPECT_STREQ(check_result_code(CheckResult::l4ok), "L4OK");
  EXPECT_STREQ(check_result_code(CheckResult::l4tout), "L4TOUT");
  EXPECT_STREQ(check_result_code(CheckResult::l4con), "L4CON");
  EXPECT_STREQ(check_result_code(CheckResult::l7ok), "L7OK");
  EXPECT_STREQ(check_result_code(CheckResult::l7okc), "L7OKC");
  EXPECT_STREQ(check_result_code(CheckResult::l7sts), "L7STS");
  EXPECT_STREQ(check_result_code(CheckResult::l7tout), "L7TOUT");
  EXPECT_STREQ(check_result_code(CheckResult::l7rsp), "L7RSP");
  EXPECT_STREQ(check_result_description(CheckResult::l4ok), "Layer4 check passed");
  EXPECT_STREQ(check_result_description(CheckResult::l4tout), "Layer4 timeout");
  EXPECT_STREQ(check_result_description(CheckResult::l4con), "Layer4 connection problem");
  EXPECT_STREQ(check_result_description(CheckResult::l7ok), "Layer7 check passed");
  EXPECT_STREQ(check_result_description(CheckResult::l7sts), "Layer7 wrong status");
  EXPECT_STREQ(check_result_description(CheckResult::l7tout), "Layer7 timeout");
  EXPECT_STREQ(check_result_description(CheckResult::l7rsp), "Layer7 invalid response");
  EXPECT_EQ(classify_http_status(200, {{200, 399}}), CheckResult::l7ok);
  EXPECT_EQ(classify_http_status(399, {{200, 399}}), CheckResult::l7ok);
  EXPECT_EQ(classify_http_status(404, {{200, 399}}), CheckResult::l7sts);
  EXPECT_EQ(classify_http_status(418, {{200, 204}, {418, 418}}), CheckResult::l7ok);
}

// ---- counters ----------------------------------------------------------

TEST(ServerHealth, ChkfailChkdownDowntimeAndLastChange) {
  ServerHealth s = make(2, 3);
  s.report_check(l4ok(), 1000);
  s.report_check(refused(), 2000);  // UP 2/3
  s.report_check(l4ok(), 3000);     // UP
  EXPECT_EQ(s.checks_failed(), 1u);
  EXPECT_EQ(s.down_transitions(), 0u);
  EXPECT_EQ(s.last_change_ms(), 0);  // counter moves are not state changes
  s.report_check(refused(), 4000);
  s.report_check(refused(), 5000);
  s.report_check(refused(), 6000);  // DOWN
  EXPECT_EQ(s.checks_failed(), 4u);
  EXPECT_EQ(s.down_transitions(), 1u);
  EXPECT_EQ(s.last_change_ms(), 6000);
  s.report_check(refused(), 7000);  // already fully down: not counted
  EXPECT_EQ(s.checks_failed(), 4u);
  EXPECT_EQ(s.downtime_ms(9000), 3000);  // the current stretch counts
  s.report_check(l4ok(), 10'000);        // DOWN 1/2
  s.report_check(refused(), 11'000);     // back to 0: counted, it moved the counter
  EXPECT_EQ(s.checks_failed(), 5u);
  s.report_check(l4ok(), 12'000);
  s.report_check(l4ok(), 13'000);  // UP
  EXPECT_EQ(s.downtime_ms(20'000), 7000);
  EXPECT_EQ(s.last_change_ms(), 13'000);
  s.set_admin(AdminState::maint, 30'000);  // maintenance is down time, not a check failure
  EXPECT_EQ(s.down_transitions(), 1u);
  EXPECT_EQ(s.downtime_ms(31'000), 8000);
  s.set_admin(AdminState::ready, 32'000);
  EXPECT_EQ(s.downtime_ms(40'000), 9000);
}

// ---- slowstart ---------------------------------------------------------

TEST(ServerHealth, SlowstartRampsLinearlyAfterComingBack) {
  conf::ServerConfig sc = server_config("s1", 10);
  sc.slowstart = ms(10'000);
  ServerHealth s("web", check_config(), sc, 0);
  EXPECT_EQ(s.effective_weight(0), 10);  // not at boot
  EXPECT_FALSE(s.in_slowstart(0));
  s.report_check(refused(), 1000);
  EXPECT_EQ(s.effective_weight(1000), 0);
  s.report_check(l4ok(), 2000);
  s.report_check(l4ok(), 3000);  // UP at 3000
  EXPECT_TRUE(s.in_slowstart(3000));
  EXPECT_EQ(s.effective_weight(3000), 1);  // at least 1
  EXPECT_EQ(s.effective_weight(3999), 1);
  EXPECT_EQ(s.effective_weight(5500), 2);
  EXPECT_EQ(s.effective_weight(8000), 5);
  EXPECT_EQ(s.effective_weight(12'999), 9);
  EXPECT_EQ(s.effective_weight(13'000), 10);
  EXPECT_FALSE(s.in_slowstart(13'000));
  EXPECT_EQ(s.effective_weight(100'000), 10);
}

TEST(ServerHealth, SlowstartAfterMaintenanceAndZeroWeight) {
  conf::ServerConfig sc = server_config("s1", 4);
  sc.slowstart = ms(4000);
  ServerHealth s("web", check_config(), sc, 0);
  s.set_admin(AdminState::maint, 0);
  EXPECT_EQ(s.effective_weight(100), 0);
  s.set_admin(AdminState::ready, 1000);
  EXPECT_EQ(s.effective_weight(1000), 1);
  EXPECT_EQ(s.effective_weight(3000), 2);
  EXPECT_EQ(s.effective_weight(5000), 4);
  EXPECT_TRUE(s.set_weight(0));
  EXPECT_EQ(s.effective_weight(5000), 0);
  EXPECT_FALSE(s.set_weight(257));
  EXPECT_EQ(s.weight(), 0u);
  EXPECT_EQ(s.initial_weight(), 4u);
}

// ---- operator states ---------------------------------------------------

TEST(ServerHealth, MaintenanceOverridesChecks) {
  ServerHealth s = make(2, 3);
  s.report_check(l4ok(), 0);
  auto e = s.set_admin(AdminState::maint, 1000);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "server web/s1 is going DOWN for maintenance.");
  EXPECT_EQ(s.state_text(), "MAINT");
  EXPECT_FALSE(s.usable_for_new_traffic());
  EXPECT_FALSE(s.checks_running());
  EXPECT_FALSE(s.report_check(l4ok(), 1100));  // stale results are ignored
  EXPECT_EQ(s.state_text(), "MAINT");
  EXPECT_FALSE(s.set_admin(AdminState::maint, 1200));  // no-op
  e = s.set_admin(AdminState::ready, 2000);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "server web/s1 is UP (leaving forced maintenance).");
  EXPECT_TRUE(s.usable_for_new_traffic());
  EXPECT_EQ(s.state_text(), "UP 1/3");  // on trust until the next check
  e = s.report_check(refused(), 2100);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, HealthEventKind::down);
}

TEST(ServerHealth, DrainKeepsCheckingButTakesNoNewTraffic) {
  ServerHealth s = make(2, 3);
  s.report_check(l4ok(), 0);
  auto e = s.set_admin(AdminState::drain, 1000);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "server web/s1 enters drain state.");
  EXPECT_TRUE(s.is_up());
  EXPECT_FALSE(s.usable_for_new_traffic());
  EXPECT_EQ(s.effective_weight(1000), 0);
  EXPECT_EQ(s.state_text(), "DRAIN");
  EXPECT_TRUE(s.checks_running());
  s.report_check(refused(), 1100);
  EXPECT_EQ(s.state_text(), "DRAIN 2/3");
  s.report_check(l4ok(), 1200);
  e = s.set_admin(AdminState::ready, 2000);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "server web/s1 is UP (leaving forced drain).");
  EXPECT_TRUE(s.usable_for_new_traffic());
  EXPECT_EQ(s.effective_weight(2000), 1);
  EXPECT_EQ(s.state_text(), "UP");

  s.set_admin(AdminState::drain, 3000);
  while (s.is_up()) s.report_check(refused(), 3100);
  EXPECT_EQ(s.state_text(), "DOWN");
  e = s.set_admin(AdminState::ready, 4000);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "server web/s1 is DOWN (leaving forced drain).");
}

TEST(ServerHealth, DisablingChecksKeepsTheState) {
  ServerHealth s = make(2, 3);
  while (s.is_up()) s.report_check(refused(), 0);
  auto e = s.disable_checks(1000);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "health checks of server web/s1 disabled, it stays DOWN.");
  EXPECT_FALSE(s.is_up());
  EXPECT_EQ(s.state_text(), "DOWN");
  EXPECT_FALSE(s.report_check(l4ok(), 1100));
  EXPECT_FALSE(s.is_up());
  e = s.enable_checks(2000);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "health checks of server web/s1 enabled.");
  s.report_check(l4ok(), 2100);
  EXPECT_EQ(s.state_text(), "DOWN 1/2");
  s.report_check(l4ok(), 2200);
  EXPECT_TRUE(s.is_up());
  s.disable_checks(3000);
  EXPECT_TRUE(s.usable_for_new_traffic());
  EXPECT_EQ(s.state_text(), "no check");
  EXPECT_FALSE(s.disable_checks(3100));  // already disabled
}

TEST(ServerHealth, UncheckedServerIsAlwaysUpUnlessInMaintenance) {
  conf::ServerConfig sc = server_config("s1", 3);
  sc.check = false;
  ServerHealth s("web", check_config(), sc, 0);
  EXPECT_EQ(s.state_text(), "no check");
  EXPECT_FALSE(s.checks_running());
  EXPECT_FALSE(s.enable_checks(0));
  EXPECT_FALSE(s.report_check(refused(), 0));
  EXPECT_FALSE(s.report_observed(Observation::connect_failed, 0));
  EXPECT_EQ(s.effective_weight(0), 3);
  s.set_admin(AdminState::maint, 10);
  EXPECT_EQ(s.state_text(), "MAINT");
  s.set_admin(AdminState::ready, 20);
  EXPECT_EQ(s.state_text(), "no check");
}

// ---- disable_on_404 ----------------------------------------------------

TEST(ServerHealth, DisableOn404SoftStopsAndComesBack) {
  conf::HealthCheckConfig c = check_config(2, 3);
  c.type = conf::HealthCheckType::http;
  c.disable_on_404 = true;
  ServerHealth s("web", c, server_config("s1"), 0);
  s.report_check(http(200), 0);
  auto e = s.report_check(http(404, 1), 1000);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, HealthEventKind::stopping);
  EXPECT_EQ(e->message,
            "server web/s1 is stopping, reason: Layer7 check conditionally passed, code: 404, check duration: 1ms.");
  EXPECT_EQ(s.last_check().result, CheckResult::l7okc);
  EXPECT_TRUE(s.is_up());
  EXPECT_TRUE(s.is_nolb());
  EXPECT_FALSE(s.usable_for_new_traffic());
  EXPECT_EQ(s.effective_weight(1000), 0);
  EXPECT_EQ(s.state_text(), "NOLB");
  EXPECT_FALSE(s.report_check(http(404), 1500));  // still NOLB, nothing new
  s.report_check(refused(), 1600);
  EXPECT_EQ(s.state_text(), "NOLB 2/3");
  e = s.report_check(http(200), 2000);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, HealthEventKind::up);
  EXPECT_TRUE(s.usable_for_new_traffic());
  EXPECT_EQ(s.state_text(), "UP");

  // Failing while soft-stopped is only a notice; once down, 404 does not help.
  s.report_check(http(404), 3000);
  s.report_check(refused(), 3100);
  s.report_check(refused(), 3200);
  e = s.report_check(refused(), 3300);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, HealthEventKind::down);
  EXPECT_EQ(e->level, LogLevel::notice);
  s.report_check(http(404), 4000);
  s.report_check(http(404), 5000);
  EXPECT_FALSE(s.is_up());
  EXPECT_EQ(s.last_check().result, CheckResult::l7sts);
}

TEST(ServerHealth, Without404OptionA404IsAWrongStatus) {
  conf::HealthCheckConfig c = check_config(2, 3);
  c.type = conf::HealthCheckType::http;
  ServerHealth s("web", c, server_config("s1"), 0);
  s.report_check(http(200), 0);
  s.report_check(http(404), 0);
  EXPECT_EQ(s.state_text(), "UP 2/3");
  EXPECT_EQ(s.last_check().result, CheckResult::l7sts);
}

// ---- observe -----------------------------------------------------------

ServerHealth observed(conf::OnError mode, conf::ObserveMode layer = conf::ObserveMode::layer4) {
  conf::HealthCheckConfig c = check_config(2, 3);
  c.observe = layer;
  c.error_limit = 3;
  c.on_error = mode;
  ServerHealth s("web", c, server_config("s1"), 0);
  s.report_check(l4ok(), 0);
  return s;
}

void errors(ServerHealth& s, int n, int64_t now = 0) {
  for (int i = 0; i < n; ++i) s.report_observed(Observation::connect_failed, now);
}

TEST(ServerHealth, ObserveFastinterOnlyAsksForAQuickCheck) {
  ServerHealth s = observed(conf::OnError::fastinter);
  errors(s, 2);
  EXPECT_FALSE(s.fast_check_requested());
  EXPECT_FALSE(s.report_observed(Observation::connect_failed, 0));
  EXPECT_TRUE(s.fast_check_requested());
  EXPECT_EQ(s.next_interval_ms(), kFast);
  EXPECT_EQ(s.state_text(), "UP");
  EXPECT_EQ(s.checks_failed(), 0u);
  EXPECT_EQ(s.observe_trips(), 1u);
  EXPECT_EQ(s.consecutive_errors(), 0u);
  s.clear_fast_check();
  EXPECT_EQ(s.next_interval_ms(), kInter);
}

TEST(ServerHealth, ObserveFailCheckCountsOneFailedCheck) {
  ServerHealth s = observed(conf::OnError::fail_check);
  errors(s, 2);
  EXPECT_EQ(s.state_text(), "UP");
  auto e = s.report_observed(Observation::connect_failed, 0);
  ASSERT_TRUE(e);
  EXPECT_EQ(s.state_text(), "UP 2/3");
  EXPECT_EQ(s.checks_failed(), 1u);
  EXPECT_EQ(s.last_check().result, CheckResult::hana);
  EXPECT_EQ(e->message,
            "health check for server web/s1 failed, reason: Health analyze, info: \"Detected 3 consecutive errors, "
            "last one was: connection failed\", status: 2/3 UP.");
}

TEST(ServerHealth, ObserveSuddenDeathLeavesOneCheckToLive) {
  ServerHealth s = observed(conf::OnError::sudden_death);
  errors(s, 3);
  EXPECT_EQ(s.state_text(), "UP 1/3");
  EXPECT_TRUE(s.is_up());
  auto e = s.report_check(refused(), 0);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, HealthEventKind::down);
}

TEST(ServerHealth, ObserveMarkDownTakesItDownAtOnce) {
  ServerHealth s = observed(conf::OnError::mark_down);
  auto before = s.report_observed(Observation::connect_failed, 0);
  EXPECT_FALSE(before);
  errors(s, 1);
  auto e = s.report_observed(Observation::connect_failed, 0);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, HealthEventKind::down);
  EXPECT_EQ(e->message,
            "server web/s1 is DOWN, reason: Health analyze, info: \"Detected 3 consecutive errors, last one was: "
            "connection failed\".");
  EXPECT_EQ(s.down_transitions(), 1u);
  EXPECT_EQ(s.state_text(), "DOWN");
  errors(s, 3);  // nothing more to take away
  EXPECT_EQ(s.down_transitions(), 1u);
  EXPECT_EQ(s.checks_failed(), 1u);
}

TEST(ServerHealth, ObserveSuccessResetsTheCount) {
  ServerHealth s = observed(conf::OnError::mark_down);
  errors(s, 2);
  s.report_observed(Observation::connected, 0);
  errors(s, 2);
  EXPECT_TRUE(s.is_up());
  EXPECT_EQ(s.consecutive_errors(), 2u);
  s.report_check(l4ok(), 0);  // a passed check clears it too
  EXPECT_EQ(s.consecutive_errors(), 0u);
}

TEST(ServerHealth, ObserveLayersJudgeDifferentEvents) {
  ServerHealth l4 = observed(conf::OnError::mark_down, conf::ObserveMode::layer4);
  for (int i = 0; i < 10; ++i) l4.report_observed(Observation::http_error, 0);
  EXPECT_TRUE(l4.is_up());  // an HTTP error says the connection worked

  ServerHealth l7 = observed(conf::OnError::mark_down, conf::ObserveMode::layer7);
  l7.report_observed(Observation::http_error, 0);
  l7.report_observed(Observation::connect_failed, 0);
  l7.report_observed(Observation::connected, 0);  // not a verdict on the answer
  EXPECT_EQ(l7.consecutive_errors(), 2u);
  l7.report_observed(Observation::http_ok, 0);
  EXPECT_EQ(l7.consecutive_errors(), 0u);
  for (int i = 0; i < 3; ++i) l7.report_observed(Observation::http_error, 0);
  EXPECT_FALSE(l7.is_up());
  EXPECT_NE(l7.last_check().info.find("last one was: error answer"), std::string::npos);

  ServerHealth none = observed(conf::OnError::mark_down, conf::ObserveMode::none);
  for (int i = 0; i < 10; ++i) none.report_observed(Observation::connect_failed, 0);
  EXPECT_TRUE(none.is_up());
}

// ---- the scheduler -----------------------------------------------------

conf::BackendConfig backend(const std::string& name, int active, int backup = 0,
                            conf::HealthCheckConfig c = check_config()) {
  conf::BackendConfig b;
  b.name = name;
  b.health_check = c;
  for (int i = 0; i < active + backup; ++i) {
    b.servers.push_back(server_config("server" + std::to_string(i + 1), 1, i >= active));
  }
  return b;
}

// Answers every probe due at `now`: `id`'s with `outcome` (returning its
// log lines), the others L4OK.
std::vector<HealthEvent> run_due(HealthScheduler& s, int64_t now, ServerId id, const CheckOutcome& outcome) {
  std::vector<HealthEvent> events;
  for (const Probe& p : s.due(now)) {
    auto e = s.complete(p.server, p.sequence, p.server == id ? outcome : l4ok(), now);
    if (p.server == id) events.insert(events.end(), e.begin(), e.end());
  }
  return events;
}

// Moves the clock to `id`'s next check and answers it.
std::vector<HealthEvent> next_check(HealthScheduler& s, int64_t& now, ServerId id, const CheckOutcome& outcome) {
  auto at = s.next_check_ms(id);
  EXPECT_TRUE(at);
  if (!at) return {};
  now = std::max(now, *at);
  return run_due(s, now, id, outcome);
}

TEST(HealthScheduler, FirstChecksAreSpreadOverTheInterval) {
  conf::HealthCheckConfig c = check_config(2, 1);  // fall 1: stable from the start, inter applies
  std::vector<conf::BackendConfig> backends;
  for (int b = 0; b < 4; ++b) backends.push_back(backend("b" + std::to_string(b), 250, 0, c));
  HealthScheduler s(backends, 0);
  s.start(100);
  std::map<int64_t, int> per_ms;
  for (uint32_t b = 0; b < 4; ++b) {
    for (uint32_t i = 0; i < 250; ++i) {
      auto at = s.next_check_ms({b, i});
      ASSERT_TRUE(at);
      EXPECT_GE(*at, 100);
      EXPECT_LT(*at, 100 + kInter);
      ++per_ms[*at];
    }
  }
  int worst = 0;
  for (const auto& [t, n] : per_ms) worst = std::max(worst, n);
  EXPECT_LE(worst, 1);
  std::size_t issued = 0;
  for (int64_t t = 100; t < 100 + kInter; t += 10) issued = std::max(issued, s.due(t).size());
  EXPECT_LE(issued, 5u);  // a 10 ms tick starts about five probes, never all of them
}

TEST(HealthScheduler, InFlightProbesAreNotReissued) {
  HealthScheduler s({backend("web", 1)}, 0);
  s.start(0);
  auto probes = s.due(0);
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].deadline_ms, 1000);
  EXPECT_TRUE(s.in_flight({0, 0}));
  for (int64_t t = 0; t < 1000 + HealthScheduler::kLostProbeGraceMs; t += 10) EXPECT_TRUE(s.due(t).empty());
  // Completing schedules the next check from the slot the probe was due in.
  s.complete({0, 0}, probes[0].sequence, l4ok(), 900);
  EXPECT_FALSE(s.in_flight({0, 0}));
  EXPECT_EQ(s.next_check_ms({0, 0}), kInter);
  // A second answer to the same probe is stale.
  EXPECT_TRUE(s.complete({0, 0}, probes[0].sequence, refused(), 950).empty());
  EXPECT_TRUE(s.server({0, 0}).is_up());
}

TEST(HealthScheduler, LostProbesAreForgottenWithoutAVerdict) {
  HealthScheduler s({backend("web", 1)}, 0);
  s.start(0);
  auto first = s.due(0);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(s.next_event_ms(), 2000);  // deadline 1000 + grace 1000
  auto again = s.due(2000);            // lost; the next free slot is 2000 itself, so it goes out at once
  EXPECT_EQ(s.lost_probes(), 1u);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_NE(again[0].sequence, first[0].sequence);
  EXPECT_TRUE(s.complete({0, 0}, first[0].sequence, refused(), 2001).empty());  // too late
  EXPECT_TRUE(s.server({0, 0}).is_up());
  EXPECT_EQ(s.server({0, 0}).checks_failed(), 0u);
}

TEST(HealthScheduler, NextCheckUsesInterFastinterDowninter) {
  HealthScheduler s({backend("web", 1)}, 0);
  s.start(0);
  const ServerId id{0, 0};
  int64_t now = 0;
  next_check(s, now, id, l4ok());  // due at 0, fully up
  EXPECT_EQ(s.next_check_ms(id), kInter);
  next_check(s, now, id, refused());  // 2000: going down
  EXPECT_EQ(s.next_check_ms(id), 2000 + kFast);
  next_check(s, now, id, refused());
  EXPECT_EQ(s.next_check_ms(id), 2500 + kFast);
  next_check(s, now, id, refused());  // 3000: down
  EXPECT_EQ(s.next_check_ms(id), 3000 + kDownInter);
  next_check(s, now, id, l4ok());  // going up
  EXPECT_EQ(s.next_check_ms(id), 8000 + kFast);
  // A probe that answers late still keeps the slot: next = slot + interval.
  auto probes = s.due(8500);
  ASSERT_EQ(probes.size(), 1u);
  s.complete(id, probes[0].sequence, l4ok(), 8800);
  EXPECT_EQ(s.next_check_ms(id), 8500 + kInter);
}

TEST(HealthScheduler, LogLinesCarryTheBackendCensus) {
  HealthScheduler s({backend("web_servers", 3)}, 0);
  s.start(0);
  const ServerId id{0, 1};
  int64_t now = 0;
  auto events = next_check(s, now, id, refused());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].message,
            "server web_servers/server2 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", "
            "check duration: 1ms. 2 active and 0 backup servers left.");
  events = next_check(s, now, id, http(200));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, HealthEventKind::check_progress);
  events = next_check(s, now, id, http(200));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].message,
            "server web_servers/server2 is UP, reason: Layer7 check passed, code: 200, check duration: 3ms. "
            "3 active and 0 backup servers online.");
}

TEST(HealthScheduler, BackupCountsAndBackendWithoutServers) {
  HealthScheduler s({backend("app", 2, 1)}, 0);
  s.start(0);
  int64_t now = 0;
  auto events = next_check(s, now, {0, 0}, refused());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].message.find("1 active and 1 backup servers left."), std::string::npos);
  events = next_check(s, now, {0, 1}, refused());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].message.find(". 0 active and 1 backup servers left. Running on backup."), std::string::npos);
  events = next_check(s, now, {0, 2}, refused());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].message,
            "backup server app/server3 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", "
            "check duration: 1ms. 0 active and 0 backup servers left.");
  EXPECT_EQ(events[1].kind, HealthEventKind::backend_down);
  EXPECT_EQ(events[1].level, LogLevel::emerg);
  EXPECT_EQ(events[1].message, "backend app has no server available!");
  EXPECT_EQ(s.census(0).active, 0u);
  EXPECT_EQ(s.census(0).backup, 0u);
}

TEST(HealthScheduler, RuntimeStatesAndVersion) {
  conf::BackendConfig b = backend("web", 2);
  b.servers[1].weight = 7;
  HealthScheduler s({b}, 0);
  EXPECT_EQ(s.version(), 0u);
  auto states = s.runtime_states();
  ASSERT_EQ(states.size(), 1u);
  ASSERT_EQ(states[0].size(), 2u);
  EXPECT_EQ(states[0][1].weight, 7);
  EXPECT_TRUE(states[0][1].usable);
  s.start(0);
  int64_t now = 0;
  next_check(s, now, {0, 1}, l4ok());  // UP 1/3 -> UP: nothing the workers see
  EXPECT_EQ(s.version(), 0u);
  next_check(s, now, {0, 1}, refused());  // UP 2/3: still nothing
  EXPECT_EQ(s.version(), 0u);
  next_check(s, now, {0, 1}, refused());
  next_check(s, now, {0, 1}, refused());  // DOWN
  EXPECT_EQ(s.version(), 1u);
  states = s.runtime_states();
  EXPECT_FALSE(states[0][1].usable);
  EXPECT_EQ(states[0][1].weight, 0);
  EXPECT_TRUE(states[0][0].usable);
  auto r = s.set_weight({0, 0}, 5, now);
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(s.version(), 2u);
  EXPECT_EQ(s.runtime_states()[0][0].weight, 5);
  EXPECT_FALSE(s.set_weight({0, 0}, 300, now).error.empty());
  EXPECT_EQ(s.version(), 2u);
}

TEST(HealthScheduler, SlowstartIsRepublishedAboutEverySecond) {
  conf::BackendConfig b = backend("web", 1);
  b.servers[0].weight = 100;
  b.servers[0].slowstart = ms(10'000);
  HealthScheduler s({b}, 0);
  s.start(0);
  const ServerId id{0, 0};
  int64_t now = 0;
  next_check(s, now, id, refused());  // DOWN at 0
  next_check(s, now, id, l4ok());
  next_check(s, now, id, l4ok());  // UP at 5500
  const int64_t up_at = now;
  ASSERT_EQ(up_at, kDownInter + kFast);
  EXPECT_EQ(s.runtime_states()[0][0].weight, 1);
  uint64_t version = s.version();
  int64_t last_bump = up_at;
  int bumps = 0;
  for (now = up_at; now <= up_at + 12'000; now += 10) {
    run_due(s, now, id, l4ok());
    s.tick(now);
    if (s.version() != version) {
      EXPECT_GE(now - last_bump, HealthScheduler::kRampStepMs);
      const uint16_t w = s.runtime_states()[0][0].weight;
      EXPECT_EQ(w, s.server(id).effective_weight(now));
      last_bump = now;
      version = s.version();
      ++bumps;
    }
    // Never more than a second behind the ramp.
    if (now < up_at + 10'000) {
      EXPECT_LE(now - last_bump, HealthScheduler::kRampStepMs + 10);
    }
  }
  EXPECT_EQ(bumps, 10);
  EXPECT_EQ(s.runtime_states()[0][0].weight, 100);
  EXPECT_EQ(s.next_event_ms(), s.next_check_ms(id));  // no ramp step pending any more
}

TEST(HealthScheduler, MaintenanceStopsChecksAndReadyChecksAtOnce) {
  HealthScheduler s({backend("web", 2)}, 0);
  s.start(0);
  const ServerId id{0, 0};
  auto probes = s.due(0);
  ASSERT_EQ(probes.size(), 1u);
  auto r = s.set_admin(id, AdminState::maint, 10);
  EXPECT_TRUE(r.error.empty());
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].message,
            "server web/server1 is going DOWN for maintenance. 1 active and 0 backup servers left.");
  EXPECT_FALSE(s.runtime_states()[0][0].usable);
  EXPECT_TRUE(s.complete(id, probes[0].sequence, refused(), 20).empty());  // abandoned probe
  for (int64_t t = 0; t < 60'000; t += 100) {
    for (const Probe& p : s.due(t)) {
      EXPECT_FALSE(p.server == id);
      s.complete(p.server, p.sequence, l4ok(), t);
    }
  }
  EXPECT_FALSE(s.next_check_ms(id));
  r = s.set_admin(id, AdminState::ready, 60'000);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].message,
            "server web/server1 is UP (leaving forced maintenance). 2 active and 0 backup servers online.");
  EXPECT_TRUE(s.runtime_states()[0][0].usable);
  EXPECT_EQ(s.next_check_ms(id), 60'000);
  EXPECT_EQ(s.server(id).state_text(), "UP 1/3");
}

TEST(HealthScheduler, DrainKeepsProbingWithWeightZero) {
  HealthScheduler s({backend("web", 2)}, 0);
  s.start(0);
  const ServerId id{0, 0};
  auto r = s.set_admin(id, AdminState::drain, 0);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].message, "server web/server1 enters drain state. 1 active and 0 backup servers left.");
  auto st = s.runtime_states()[0][0];
  EXPECT_FALSE(st.usable);
  EXPECT_EQ(st.weight, 0);
  int64_t now = 0;
  next_check(s, now, id, l4ok());
  EXPECT_EQ(s.server(id).state_text(), "DRAIN");
  r = s.set_admin(id, AdminState::ready, now);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].message,
            "server web/server1 is UP (leaving forced drain). 2 active and 0 backup servers online.");
  st = s.runtime_states()[0][0];
  EXPECT_TRUE(st.usable);
  EXPECT_EQ(st.weight, 1);
}

TEST(HealthScheduler, DisableAndEnableHealth) {
  conf::BackendConfig b = backend("web", 2);
  b.servers[1].check = false;
  HealthScheduler s({b}, 0);
  s.start(0);
  const ServerId id{0, 0};
  int64_t now = 0;
  next_check(s, now, id, refused());
  ASSERT_FALSE(s.server(id).is_up());
  auto r = s.disable_checks(id, now);
  EXPECT_TRUE(r.error.empty());
  EXPECT_FALSE(s.next_check_ms(id));
  for (int64_t t = now; t < now + 30'000; t += 100) EXPECT_TRUE(s.due(t).empty());
  EXPECT_FALSE(s.server(id).is_up());
  EXPECT_FALSE(s.runtime_states()[0][0].usable);
  now += 30'000;
  r = s.enable_checks(id, now);
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(s.next_check_ms(id), now);
  next_check(s, now, id, l4ok());
  next_check(s, now, id, l4ok());
  EXPECT_TRUE(s.server(id).is_up());
  EXPECT_FALSE(s.enable_checks({0, 1}, now).error.empty());  // no check configured
  EXPECT_FALSE(s.next_check_ms({0, 1}));
  EXPECT_EQ(s.server({0, 1}).state_text(), "no check");
  EXPECT_FALSE(s.set_admin({0, 9}, AdminState::maint, now).error.empty());
  EXPECT_FALSE(s.set_admin({3, 0}, AdminState::maint, now).error.empty());
}

TEST(HealthScheduler, ObserveBringsTheNextCheckForward) {
  conf::HealthCheckConfig c = check_config(2, 3);
  c.observe = conf::ObserveMode::layer4;
  c.error_limit = 2;
  c.on_error = conf::OnError::fastinter;
  HealthScheduler s({backend("web", 1, 0, c)}, 0);
  s.start(0);
  const ServerId id{0, 0};
  int64_t now = 0;
  next_check(s, now, id, l4ok());
  EXPECT_EQ(s.next_check_ms(id), kInter);
  s.observe(id, Observation::connect_failed, 100);
  EXPECT_EQ(s.next_check_ms(id), kInter);
  s.observe(id, Observation::connect_failed, 200);
  EXPECT_EQ(s.next_check_ms(id), 200 + kFast);
  next_check(s, now, id, l4ok());  // the quick check passes: back to inter
  EXPECT_EQ(s.next_check_ms(id), 700 + kInter);
}

TEST(HealthScheduler, ObserveMarkDownIsPublished) {
  conf::HealthCheckConfig c = check_config(2, 3);
  c.observe = conf::ObserveMode::layer7;
  c.error_limit = 2;
  c.on_error = conf::OnError::mark_down;
  HealthScheduler s({backend("web", 2, 0, c)}, 0);
  s.start(0);
  s.observe({0, 1}, Observation::http_error, 10);
  auto events = s.observe({0, 1}, Observation::http_error, 20);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].message,
            "server web/server2 is DOWN, reason: Health analyze, info: \"Detected 2 consecutive errors, last one "
            "was: error answer\". 1 active and 0 backup servers left.");
  EXPECT_FALSE(s.runtime_states()[0][1].usable);
  EXPECT_EQ(s.version(), 1u);
}

TEST(HealthScheduler, FindsServersByName) {
  HealthScheduler s({backend("a", 2), backend("b", 3)}, 0);
  EXPECT_EQ(s.find("b", "server3"), (ServerId{1, 2}));
  EXPECT_FALSE(s.find("b", "server4"));
  EXPECT_FALSE(s.find("c", "server1"));
  EXPECT_EQ(s.backend_count(), 2u);
  EXPECT_EQ(s.server_count(1), 3u);
  EXPECT_EQ(s.server_count(2), 0u);
}

}  // namespace
}  // namespace dplb::controlplane
