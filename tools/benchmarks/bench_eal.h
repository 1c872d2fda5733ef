#pragma once

// The EAL and mbuf pool an in-memory benchmark runs on: one lcore, no
// hugepages, no PCI devices, so it runs anywhere without setup.

#include <rte_mempool.h>

#include <cstring>
#include <string>

namespace dplb::bench {

// Starts the EAL for `program` and creates its mbuf pool. Prints why and
// returns null when either fails.
rte_mempool* start_bench_eal(const char* program, const char* pool_name);
// Frees the pool and shuts the EAL down.
void stop_bench_eal(rte_mempool* pool);

// The value of a "--key=value" argument when `arg` starts with `key`
// (given with its '='), else null.
inline const char* option_value(const std::string& arg, const char* key) {
  const std::size_t n = std::strlen(key);
  return arg.compare(0, n, key) == 0 ? arg.c_str() + n : nullptr;
}

}  // namespace dplb::bench
