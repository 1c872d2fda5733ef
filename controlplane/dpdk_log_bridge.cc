#include "controlplane/dpdk_log_bridge.h"

#include <rte_log.h>

#include <cstdio>
#include <string>

#include "controlplane/logger.h"

namespace dplb::controlplane {
namespace {

LogLevel map_level(int dpdk_level) {
  switch (dpdk_level) {
    case RTE_LOG_EMERG: return LogLevel::emerg;
    case RTE_LOG_ALERT: return LogLevel::alert;
    case RTE_LOG_CRIT: return LogLevel::crit;
    case RTE_LOG_ERR: return LogLevel::err;
    case RTE_LOG_WARNING: return LogLevel::warning;
    case RTE_LOG_NOTICE: return LogLevel::notice;
    case RTE_LOG_INFO: return LogLevel::info;
    default: return LogLevel::debug;
  }
}

// DPDK may write one message in several pieces; lines are emitted whole.
// Only the control thread and EAL's own threads log through here, during
// boot and shutdown, never the workers' fast path.
std::string g_pending;

ssize_t write_to_logger(void*, const char* data, size_t size) {
  g_pending.append(data, size);
  std::size_t newline;
  while ((newline = g_pending.find('\n')) != std::string::npos) {
    std::string line = g_pending.substr(0, newline);
    g_pending.erase(0, newline + 1);
    if (!line.empty()) log(map_level(rte_log_cur_msg_loglevel()), "dpdk: " + line);
  }
  return static_cast<ssize_t>(size);
}

}  // namespace

void route_dpdk_log_to_logger() {
  cookie_io_functions_t functions{nullptr, write_to_logger, nullptr, nullptr};
  FILE* stream = fopencookie(nullptr, "w", functions);
  if (stream == nullptr) return;
  setvbuf(stream, nullptr, _IOLBF, 0);
  rte_openlog_stream(stream);
}

}  // namespace dplb::controlplane
