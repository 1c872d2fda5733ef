#pragma once

// Runs keepalived-style notify scripts without ever making the election wait:
// a script is started with posix_spawn (the control thread pauses only for
// the exec, never for the script), reaped with waitpid(WNOHANG) on the
// control tick, and killed if it outlives its timeout. Scripts of one
// instance run one at a time, in the order of the transitions, so a script
// told MASTER has finished before the same instance's BACKUP script starts,
// as an operator writing "if MASTER then ... else ..." expects. A queue that
// grows past kMaxQueued drops its oldest waiting entry (counted and logged):
// only the latest states matter to a script catching up.

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <sys/types.h>

namespace dplb::controlplane {

struct NotifyCounters {
  uint64_t started = 0;
  uint64_t succeeded = 0;
  uint64_t failed = 0;       // non-zero exit, killed by a signal, or could not be started
  uint64_t timed_out = 0;    // killed after the timeout
  uint64_t dropped = 0;      // waited in a full queue and were superseded
};

class NotifyRunner {
 public:
  static constexpr std::size_t kMaxQueued = 16;

  explicit NotifyRunner(int64_t timeout_ms = 30'000) : timeout_ms_(timeout_ms) {}
  ~NotifyRunner();
  NotifyRunner(const NotifyRunner&) = delete;
  NotifyRunner& operator=(const NotifyRunner&) = delete;

  // Queues `program` with `arguments` on the lane `lane` (one per instance).
  void run(std::size_t lane, const std::string& program, std::vector<std::string> arguments, int64_t now_ms);

  // Reaps finished scripts, kills overdue ones, starts the next in each lane.
  void tick(int64_t now_ms);

  // At shutdown: gives running scripts up to `grace_ms` to finish (the
  // STOP notification is usually the last thing an operator's script sees),
  // then kills what is left. Queued ones still start first.
  void drain(int64_t grace_ms);

  const NotifyCounters& counters() const { return counters_; }
  std::size_t running() const;

 private:
  struct Job {
    std::string program;
    std::vector<std::string> arguments;
  };
  struct Lane {
    std::deque<Job> queued;
    pid_t pid = -1;
    int64_t started_ms = 0;
    std::string what;  // for log lines: the command line
  };

  void start_next(Lane& lane, int64_t now_ms);
  void reap(Lane& lane, int64_t now_ms, bool block);

  int64_t timeout_ms_;
  std::vector<Lane> lanes_;
  NotifyCounters counters_;
};

}  // namespace dplb::controlplane
