#include "tools/benchmarks/bench_clock.h"

#include <rte_cycles.h>

#include <cstdio>
#include <ctime>

namespace dplb::bench {
namespace {

uint64_t clock_ns(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

uint64_t cpu_ns() { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }
uint64_t wall_ns() { return clock_ns(CLOCK_MONOTONIC); }

double tsc_to_ns(uint64_t cycles) { return static_cast<double>(cycles) * 1e9 / static_cast<double>(rte_get_tsc_hz()); }

void warn_if_shared(uint64_t cpu, uint64_t wall) {
  if (wall > 0 && static_cast<double>(cpu) < 0.95 * static_cast<double>(wall)) {
    std::printf("#   WARNING: this thread ran only %.0f %% of the wall-clock time (another process shared the CPU);\n"
                "#   the figures above are pessimistic, run again\n",
                100.0 * static_cast<double>(cpu) / static_cast<double>(wall));
  }
}

}  // namespace dplb::bench
