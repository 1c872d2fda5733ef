#pragma once

// For targets that need mbufs: DPDK's EAL started once, before the first
// input, with heap memory only (no hugepages, no PCI, one lcore), as
// libFuzzer's LLVMFuzzerInitialize. Replayed in the simulation suite,
// whose main has already started EAL, this expands to nothing.

#ifdef DPLB_FUZZ_ENTRY
#include <rte_eal.h>

#include <cstdlib>
#include <iterator>

#define DPLB_FUZZ_INITIALIZE_EAL()                                                                          \
  extern "C" int LLVMFuzzerInitialize(int*, char***) {                                                      \
    const char* eal_argv[] = {"dplb-fuzz", "-l", "0", "--no-huge", "--no-shconf", "--no-pci", "-m", "256",  \
                              "--no-telemetry", "--log-level=error"};                                       \
    if (rte_eal_init(static_cast<int>(std::size(eal_argv)), const_cast<char**>(eal_argv)) < 0) std::abort(); \
    return 0;                                                                                               \
  }
#else
#define DPLB_FUZZ_INITIALIZE_EAL()
#endif
