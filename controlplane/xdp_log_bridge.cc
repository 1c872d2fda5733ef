#include "controlplane/xdp_log_bridge.h"

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include <cstdarg>
#include <cstdio>
#include <string>

#include "controlplane/logger.h"

namespace dplb::controlplane {
namespace {

void emit(LogLevel level, const char* tag, const char* format, va_list ap) {
  char text[512];
  std::vsnprintf(text, sizeof(text), format, ap);
  std::string line = text;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (!line.empty()) log(level, std::string(tag) + line);
}

// Both libraries have three levels, warn, info and debug, in that order.
// Debug output (every relocation, every map) shows only when dplb logs debug.
LogLevel ours(int level) { return level == 0 ? LogLevel::warning : level == 1 ? LogLevel::info : LogLevel::debug; }

static_assert(LIBBPF_WARN == 0 && LIBBPF_INFO == 1 && LIBBPF_DEBUG == 2);
static_assert(LIBXDP_WARN == 0 && LIBXDP_INFO == 1 && LIBXDP_DEBUG == 2);

int from_libbpf(enum libbpf_print_level level, const char* format, va_list ap) {
  emit(ours(level), "libbpf: ", format, ap);
  return 0;
}

int from_libxdp(enum libxdp_print_level level, const char* format, va_list ap) {
  emit(ours(level), "libxdp: ", format, ap);
  return 0;
}

}  // namespace

void route_xdp_libraries_log_to_logger() {
  libbpf_set_print(from_libbpf);
  libxdp_set_print(from_libxdp);
}

}  // namespace dplb::controlplane
