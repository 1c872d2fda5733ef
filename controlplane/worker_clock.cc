#include "controlplane/worker_clock.h"

#include <rte_cycles.h>
#include <time.h>

namespace dplb::controlplane {
namespace {

uint64_t tsc_to_us(uint64_t tsc, uint64_t hz) { return tsc / hz * 1'000'000 + tsc % hz * 1'000'000 / hz; }

}  // namespace

uint64_t worker_clock_us() { return tsc_to_us(rte_rdtsc(), rte_get_tsc_hz()); }

int64_t wall_clock_us() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

int64_t worker_to_wall_offset_us() {
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t before = rte_rdtsc();
  const int64_t wall = wall_clock_us();
  const uint64_t after = rte_rdtsc();
  const uint64_t midpoint = before + (after - before) / 2;
  return wall - static_cast<int64_t>(tsc_to_us(midpoint, hz));
}

}  // namespace dplb::controlplane
