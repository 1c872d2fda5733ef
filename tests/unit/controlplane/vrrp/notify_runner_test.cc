#include "controlplane/vrrp/notify_runner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

#include "controlplane/control_loop.h"

namespace dplb::controlplane {
namespace {

// A scratch directory with a notify script that appends its arguments (and
// then sleeps as long as its first argument asks) to a file.
class NotifyRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dplb-notify-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    script_ = dir_ + "/notify.sh";
    out_ = dir_ + "/calls";
    std::ofstream(script_) << "#!/bin/sh\nsleep \"$1\"\nshift\necho \"$@\" >> " << out_ << "\nexit \"${EXIT:-0}\"\n";
    chmod(script_.c_str(), 0755);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::string calls() const {
    std::ifstream in(out_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // Ticks until nothing runs or `limit_ms` passed.
  static void settle(NotifyRunner& runner, int limit_ms = 5000) {
    const int64_t until = monotonic_ms() + limit_ms;
    while (monotonic_ms() < until) {
      runner.tick(monotonic_ms());
      if (runner.running() == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  std::string dir_, script_, out_;
};

TEST_F(NotifyRunnerTest, RunsInOrderPerLaneWithoutWaiting) {
  NotifyRunner runner;
  const int64_t before = monotonic_ms();
  runner.run(0, script_, {"0.2", "INSTANCE", "VI_1", "MASTER", "101"}, monotonic_ms());
  runner.run(0, script_, {"0", "INSTANCE", "VI_1", "BACKUP", "101"}, monotonic_ms());
  // Queuing and starting the first script never waits for it.
  EXPECT_LT(monotonic_ms() - before, 150);
  EXPECT_EQ(runner.running(), 1u);
  settle(runner);
  EXPECT_EQ(calls(), "INSTANCE VI_1 MASTER 101\nINSTANCE VI_1 BACKUP 101\n");
  EXPECT_EQ(runner.counters().started, 2u);
  EXPECT_EQ(runner.counters().succeeded, 2u);
}

TEST_F(NotifyRunnerTest, FailuresAndMissingProgramsAreCounted) {
  NotifyRunner runner;
  runner.run(0, dir_ + "/missing.sh", {"x"}, monotonic_ms());
  EXPECT_EQ(runner.counters().failed, 1u);
  setenv("EXIT", "3", 1);
  runner.run(1, script_, {"0", "exit", "three"}, monotonic_ms());
  unsetenv("EXIT");
  settle(runner);
  EXPECT_EQ(runner.counters().failed, 2u);
  EXPECT_EQ(calls(), "exit three\n");
}

TEST_F(NotifyRunnerTest, OverdueScriptIsKilled) {
  NotifyRunner runner(100);
  runner.run(0, script_, {"10", "never"}, monotonic_ms());
  settle(runner, 3000);
  EXPECT_EQ(runner.running(), 0u);
  EXPECT_EQ(runner.counters().timed_out, 1u);
  EXPECT_EQ(calls(), "");
}

TEST_F(NotifyRunnerTest, FullQueueDropsTheOldestWaiting) {
  NotifyRunner runner;
  runner.run(0, script_, {"0.3", "first"}, monotonic_ms());
  for (int i = 0; i < static_cast<int>(NotifyRunner::kMaxQueued) + 2; ++i) {
    runner.run(0, script_, {"0", "n" + std::to_string(i)}, monotonic_ms());
  }
  EXPECT_EQ(runner.counters().dropped, 2u);
  settle(runner);
  const std::string text = calls();
  EXPECT_EQ(text.rfind("first\nn2\n", 0), 0u) << text;
  EXPECT_NE(text.find("n17\n"), std::string::npos);
}

TEST_F(NotifyRunnerTest, DrainLetsQueuedScriptsFinish) {
  NotifyRunner runner;
  runner.run(0, script_, {"0.1", "a"}, monotonic_ms());
  runner.run(0, script_, {"0", "STOP"}, monotonic_ms());
  runner.drain(3000);
  EXPECT_EQ(calls(), "a\nSTOP\n");
}

}  // namespace
}  // namespace dplb::controlplane
