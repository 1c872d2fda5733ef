#include "controlplane/vrrp/notify_runner.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include "controlplane/control_loop.h"
#include "controlplane/logger.h"

extern char** environ;

namespace dplb::controlplane {

namespace {

std::string command_line(const std::string& program, const std::vector<std::string>& arguments) {
  std::string text = program;
  for (const std::string& a : arguments) text += " " + a;
  return text;
}

}  // namespace

NotifyRunner::~NotifyRunner() {
  // Never leave a zombie or an orphan that the next dplb would not know of.
  for (Lane& lane : lanes_) {
    if (lane.pid > 0) {
      kill(-lane.pid, SIGKILL);
      waitpid(lane.pid, nullptr, 0);
      lane.pid = -1;
    }
  }
}

void NotifyRunner::run(std::size_t lane_index, const std::string& program, std::vector<std::string> arguments,
                       int64_t now_ms) {
  if (lanes_.size() <= lane_index) lanes_.resize(lane_index + 1);
  Lane& lane = lanes_[lane_index];
  if (lane.queued.size() >= kMaxQueued) {
    ++counters_.dropped;
    log_warning("notify: " + command_line(lane.queued.front().program, lane.queued.front().arguments) +
                " not run: " + std::to_string(kMaxQueued) + " notifications already wait behind '" + lane.what +
                "'");
    lane.queued.pop_front();
  }
  lane.queued.push_back(Job{program, std::move(arguments)});
  if (lane.pid < 0) start_next(lane, now_ms);
}

void NotifyRunner::start_next(Lane& lane, int64_t now_ms) {
  while (lane.pid < 0 && !lane.queued.empty()) {
    Job job = std::move(lane.queued.front());
    lane.queued.pop_front();
    lane.what = command_line(job.program, job.arguments);

    std::vector<char*> argv;
    argv.push_back(job.program.data());
    for (std::string& a : job.arguments) argv.push_back(a.data());
    argv.push_back(nullptr);

    // The appliance blocks SIGINT/SIGTERM in every thread so that only the
    // control loop sees them; a script must start with a clean mask and
    // default dispositions, or `kill` and Ctrl-C would not reach it.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&attr, &empty);
    sigset_t defaults;
    sigfillset(&defaults);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);  // its own group: a timeout kills its children too
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&files, 2, "/dev/null", O_WRONLY, 0);

    pid_t pid = -1;
    const int error = posix_spawn(&pid, job.program.c_str(), &files, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attr);
    if (error != 0) {
      ++counters_.failed;
      log_error("notify: cannot run " + lane.what + ": " + std::strerror(error));
      continue;
    }
    ++counters_.started;
    lane.pid = pid;
    lane.started_ms = now_ms;
    log_info("notify: started " + lane.what + " (pid " + std::to_string(pid) + ")");
  }
}

void NotifyRunner::reap(Lane& lane, int64_t now_ms, bool block) {
  if (lane.pid < 0) return;
  int status = 0;
  const pid_t done = waitpid(lane.pid, &status, block ? 0 : WNOHANG);
  if (done == 0) {
    if (now_ms - lane.started_ms < timeout_ms_) return;
    ++counters_.timed_out;
    log_warning("notify: " + lane.what + " still running after " + std::to_string(timeout_ms_ / 1000) +
                " s, killed");
    kill(-lane.pid, SIGKILL);
    waitpid(lane.pid, &status, 0);
    lane.pid = -1;
    return;
  }
  lane.pid = -1;
  if (done < 0) {  // not our child any more (cannot happen unless someone reaped it): nothing to report
    ++counters_.failed;
    log_warning("notify: lost track of " + lane.what + ": " + std::strerror(errno));
    return;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    ++counters_.succeeded;
    return;
  }
  ++counters_.failed;
  log_warning("notify: " + lane.what +
              (WIFEXITED(status) ? " exited with status " + std::to_string(WEXITSTATUS(status))
                                 : " killed by signal " + std::to_string(WTERMSIG(status))));
}

void NotifyRunner::tick(int64_t now_ms) {
  for (Lane& lane : lanes_) {
    reap(lane, now_ms, false);
    start_next(lane, now_ms);
  }
}

void NotifyRunner::drain(int64_t grace_ms) {
  const int64_t until = monotonic_ms() + grace_ms;
  for (;;) {
    const int64_t now = monotonic_ms();
    tick(now);
    if (running() == 0) return;
    if (now >= until) break;
    timespec pause{0, 10'000'000};
    nanosleep(&pause, nullptr);
  }
  for (Lane& lane : lanes_) {
    if (lane.pid < 0) continue;
    log_warning("notify: " + lane.what + " still running at shutdown, killed");
    ++counters_.timed_out;
    kill(-lane.pid, SIGKILL);
    waitpid(lane.pid, nullptr, 0);
    lane.pid = -1;
  }
}

std::size_t NotifyRunner::running() const {
  std::size_t n = 0;
  for (const Lane& lane : lanes_) n += lane.pid > 0 ? 1 : 0;
  return n;
}

}  // namespace dplb::controlplane
