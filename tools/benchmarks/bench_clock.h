#pragma once

// The clocks the in-memory benchmarks read their figures from.

#include <cstdint>

namespace dplb::bench {

// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID), in ns.
uint64_t cpu_ns();
// Monotonic wall-clock time, in ns.
uint64_t wall_ns();
// TSC cycles as ns, at the rate the EAL measured.
double tsc_to_ns(uint64_t cycles);

// Cycle counts and wall time include any time another process had this
// CPU: prints a warning when the thread ran for less than 95 % of `wall`.
void warn_if_shared(uint64_t cpu, uint64_t wall);

}  // namespace dplb::bench
