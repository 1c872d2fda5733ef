#pragma once

// How much memory this process holds, for per-connection memory figures.

#include <cstdint>

namespace dplb::bench {

// Resident set size, from /proc/self/statm (0 if it cannot be read).
uint64_t rss_bytes();

// Bytes the C++ heap has handed out (glibc: brk arena plus mmapped
// blocks), which, unlike RSS, does not depend on what the allocator kept
// resident.
uint64_t heap_bytes();

}  // namespace dplb::bench
