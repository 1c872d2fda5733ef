#pragma once

// One fuzz target: DPLB_FUZZ_TARGET(name) { ... } defines the function the
// target runs on each input. Built with -DDPLB_FUZZ_ENTRY (tools/fuzz) it
// is also libFuzzer's entry point; without, the unit suite calls it on the
// committed corpus and regression inputs (tests/unit/fuzz_regressions_test.cc).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace dplb::fuzz {

// An invariant the input broke: a crash for libFuzzer, an exception (a
// failed test) in the unit suite.
[[noreturn]] inline void invariant_failed(const char* what, const char* file, int line) {
#ifdef DPLB_FUZZ_ENTRY
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
  std::abort();
#else
  throw std::logic_error(std::string(file) + ":" + std::to_string(line) + ": invariant broken: " + what);
#endif
}

}  // namespace dplb::fuzz

#define FUZZ_CHECK(condition) \
  ((condition) ? (void)0 : ::dplb::fuzz::invariant_failed(#condition, __FILE__, __LINE__))

#ifdef DPLB_FUZZ_ENTRY
#define DPLB_FUZZ_ENTRY_FOR(name)                                                     \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) { \
    return dplb_fuzz_##name(data, size);                                             \
  }
#else
#define DPLB_FUZZ_ENTRY_FOR(name)
#endif

#define DPLB_FUZZ_TARGET(name)                                 \
  int dplb_fuzz_##name(const uint8_t* data, std::size_t size); \
  DPLB_FUZZ_ENTRY_FOR(name)                                    \
  int dplb_fuzz_##name(const uint8_t* data, std::size_t size)
