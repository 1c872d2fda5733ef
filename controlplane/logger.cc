#include "controlplane/logger.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace dplb::controlplane {
namespace {

constexpr std::array<std::string_view, 8> kLevelNames = {"emerg",   "alert",  "crit", "err",
                                                         "warning", "notice", "info", "debug"};

std::atomic<int> g_level{static_cast<int>(LogLevel::info)};
std::atomic<int> g_fd{STDERR_FILENO};

}  // namespace

std::string log_open(std::string_view level, const std::string& file) {
  for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
    if (kLevelNames[i] == level) g_level = static_cast<int>(i);
  }
  if (file.empty()) return "";
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return "cannot open log file " + file + ": " + std::string(std::strerror(errno));
  g_fd = fd;
  return "";
}

void log_close() {
  int fd = g_fd.exchange(STDERR_FILENO);
  if (fd != STDERR_FILENO) ::close(fd);
}

void log(LogLevel level, std::string_view message) {
  if (static_cast<int>(level) > g_level.load(std::memory_order_relaxed)) return;
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc;
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
  char prefix[96];
  std::snprintf(prefix, sizeof(prefix), "%s.%03dZ dplb[%d]: %s: ", stamp, static_cast<int>(millis),
                static_cast<int>(getpid()), kLevelNames[static_cast<int>(level)].data());
  std::string line = prefix;
  line.append(message);
  line.push_back('\n');
  ssize_t ignored = ::write(g_fd.load(), line.data(), line.size());
  (void)ignored;
}

}  // namespace dplb::controlplane
