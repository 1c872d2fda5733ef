#include "controlplane/control_loop.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "controlplane/logger.h"

namespace dplb::controlplane {
namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

int64_t monotonic_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

void block_stop_signals() {
  sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

ControlLoop::~ControlLoop() {
  if (signal_fd_ >= 0) ::close(signal_fd_);
}

std::string ControlLoop::open_signals() {
  sigset_t set = stop_signals();
  signal_fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) return std::string("signalfd: ") + std::strerror(errno);
  return "";
}

bool ControlLoop::run() {
  int64_t next_tick = monotonic_ms() + kTickMs;
  std::vector<pollfd> fds;
  while (!stop_) {
    fds.clear();
    fds.push_back({signal_fd_, POLLIN, 0});
    if (console_ != nullptr) fds.push_back({console_->busy() ? -1 : console_->fd(), POLLIN, 0});
    if (socket_ != nullptr) socket_->collect(fds);
    int64_t wait = next_tick - monotonic_ms();
    int ready = ::poll(fds.data(), fds.size(), static_cast<int>(wait < 0 ? 0 : wait));
    if (ready < 0 && errno != EINTR) {
      log_error(std::string("control loop: poll failed: ") + std::strerror(errno));
      return false;
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      if (::read(signal_fd_, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        if (info.ssi_signo == SIGHUP) {
          // A closed terminal or a reload habit must not kill a load balancer.
          if (hangup_) {
            log_notice("received SIGHUP: reloading TLS certificates and ticket keys (nothing else is reloaded)");
            hangup_();
          } else {
            log_warning("received SIGHUP: configuration reload is not available in this version; ignored");
          }
        } else {
          log_notice(std::string("received ") + strsignal(static_cast<int>(info.ssi_signo)) + ", stopping");
          stop_ = true;
        }
      }
    }
    if (console_ != nullptr && (fds[1].revents & (POLLIN | POLLHUP))) console_->on_readable();
    const int64_t now = monotonic_ms();
    if (socket_ != nullptr) socket_->process(fds, now / 1000);
    if (now >= next_tick) {
      tick_(now);
      next_tick = now + kTickMs;
    }
  }
  return true;
}

}  // namespace dplb::controlplane
