// The committed inputs of the fuzz targets that need EAL's memory (mbufs),
// replayed in the ordinary build; the other targets' inputs run in the unit
// suite (tests/unit/fuzz/fuzz_inputs_test.cc).

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

int dplb_fuzz_worker_frames(const uint8_t* data, std::size_t size);

namespace {

TEST(FuzzInputs, WorkerFramesCommittedInputsKeepEveryInvariant) {
  namespace fs = std::filesystem;
  std::size_t inputs = 0;
  for (const char* kind : {"corpus", "regressions"}) {
    const fs::path dir = fs::path(DPLB_SOURCE_ROOT) / "tests/fuzz" / kind / "worker_frames";
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      try {
        dplb_fuzz_worker_frames(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      } catch (const std::exception& e) {
        ADD_FAILURE() << entry.path() << ": " << e.what();
      }
      ++inputs;
    }
  }
  EXPECT_GT(inputs, 0u);
}

}  // namespace
