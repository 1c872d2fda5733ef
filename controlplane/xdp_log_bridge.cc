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

int from_libbpf(enum libbpf_print_level level, const char* format, va_list ap) {
  // Debug output (every relocation, every map) only when dplb logs debug.
  const LogLevel ours = level == LIBBPF_WARN ? LogLevel::warning
                        : level == LIBBPF_INFO ? LogLevel::info
                                               : LogLevel::debug;
  emit(ours, "libbpf: ", format, ap);
  return 0;
}

int from_libxdp(enum libxdp_print_level level, const char* format, va_list ap) {
  const LogLevel ours = level == LIBXDP_WARN ? LogLevel::warning
                        : level == LIBXDP_INFO ? LogLevel::info
                                               : LogLevel::debug;
  emit(ours, "libxdp: ", format, ap);
  return 0;
}

}  // namespace

void route_xdp_libraries_log_to_logger() {
  libbpf_set_print(from_libbpf);
  libxdp_set_print(from_libxdp);
}

}  // namespace dplb::controlplane
