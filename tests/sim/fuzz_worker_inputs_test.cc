// The committed inputs of the fuzz targets that need EAL's memory (mbufs),
// replayed in the ordinary build; the other targets' inputs run in the unit
// suite (tests/unit/fuzz/fuzz_inputs_test.cc).

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

int dplb_fuzz_worker_frames(const uint8_t* data, std::size_t size);
int dplb_fuzz_tcp_connection(const uint8_t* data, std::size_t size);
int dplb_fuzz_tls_stream(const uint8_t* data, std::size_t size);

namespace {

struct Target {
  const char* name;
  int (*run)(const uint8_t*, std::size_t);
};

class FuzzInputsWithMbufs : public testing::TestWithParam<Target> {};

TEST_P(FuzzInputsWithMbufs, CommittedInputsKeepEveryInvariant) {
  namespace fs = std::filesystem;
  std::size_t inputs = 0;
  for (const char* kind : {"corpus", "regressions"}) {
    const fs::path dir = fs::path(DPLB_SOURCE_ROOT) / "tests/fuzz" / kind / GetParam().name;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      try {
        GetParam().run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      } catch (const std::exception& e) {
        ADD_FAILURE() << entry.path() << ": " << e.what();
      }
      ++inputs;
    }
  }
  EXPECT_GT(inputs, 0u);
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzInputsWithMbufs,
                         testing::Values(Target{"worker_frames", dplb_fuzz_worker_frames},
                                         Target{"tcp_connection", dplb_fuzz_tcp_connection},
                                         Target{"tls_stream", dplb_fuzz_tls_stream}),
                         [](const testing::TestParamInfo<Target>& info) { return std::string(info.param.name); });

}  // namespace
