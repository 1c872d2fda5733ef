// Tests that handle real mbufs need EAL's memory; no devices, no hugepages,
// no files left behind, one lcore.

#include <gtest/gtest.h>
#include <rte_eal.h>

#include <cstdio>

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  const char* eal_argv[] = {"dplb-tests", "-l", "0", "--no-huge", "--no-shconf", "--no-pci", "-m", "512",
                            "--no-telemetry", "--log-level=error"};
  if (rte_eal_init(static_cast<int>(std::size(eal_argv)), const_cast<char**>(eal_argv)) < 0) {
    std::fprintf(stderr, "EAL initialisation failed; these tests need it for mbufs\n");
    return 1;
  }
  int status = RUN_ALL_TESTS();
  rte_eal_cleanup();
  return status;
}
