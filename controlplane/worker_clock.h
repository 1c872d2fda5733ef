#pragma once

// The workers' clock as the control plane sees it. Workers stamp what they
// report (access-log records, last-session times) in microseconds derived
// from the TSC (Worker::now_us); turning those into dates or ages needs the
// same clock here, and its offset to CLOCK_REALTIME.

#include <cstdint>

namespace dplb::controlplane {

// Microseconds from the TSC, computed exactly as Worker::now_us does, so the
// two agree to the microsecond. Needs EAL (the TSC frequency).
uint64_t worker_clock_us();

// CLOCK_REALTIME in microseconds since the epoch.
int64_t wall_clock_us();

// wall_clock_us() - worker_clock_us(), both read together (the TSC is read
// on both sides of the system clock and the midpoint taken). It moves when
// NTP slews or steps the system clock, so callers sample it again often.
int64_t worker_to_wall_offset_us();

}  // namespace dplb::controlplane
