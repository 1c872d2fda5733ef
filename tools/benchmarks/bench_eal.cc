#include "tools/benchmarks/bench_eal.h"

#include <rte_eal.h>
#include <rte_mbuf.h>

#include <cstdio>
#include <iterator>

namespace dplb::bench {

rte_mempool* start_bench_eal(const char* program, const char* pool_name) {
  const char* eal_argv[] = {program, "-l", "0", "--no-huge", "--no-shconf", "--no-pci", "-m", "256",
                            "--no-telemetry", "--log-level=error"};
  if (rte_eal_init(static_cast<int>(std::size(eal_argv)), const_cast<char**>(eal_argv)) < 0) {
    std::fprintf(stderr, "EAL initialisation failed\n");
    return nullptr;
  }
  rte_mempool* pool = rte_pktmbuf_pool_create(pool_name, 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (pool == nullptr) std::fprintf(stderr, "mbuf pool creation failed\n");
  return pool;
}

void stop_bench_eal(rte_mempool* pool) {
  rte_mempool_free(pool);
  rte_eal_cleanup();
}

}  // namespace dplb::bench
