// Every committed fuzz input (seeds in tests/fuzz/corpus, inputs that once
// crashed a target in tests/fuzz/regressions) run through its target in
// the ordinary build, so a fixed bug stays fixed without clang or libFuzzer.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#define DPLB_FUZZ_DECLARE(name) int dplb_fuzz_##name(const uint8_t* data, std::size_t size);
DPLB_FUZZ_DECLARE(http_request_head)
DPLB_FUZZ_DECLARE(http_response_head)
DPLB_FUZZ_DECLARE(http_body_framer)
DPLB_FUZZ_DECLARE(http_head_round_trip)
DPLB_FUZZ_DECLARE(config_toml)
DPLB_FUZZ_DECLARE(console_command)
DPLB_FUZZ_DECLARE(vrrp_advert)
DPLB_FUZZ_DECLARE(tcp_options)
DPLB_FUZZ_DECLARE(acl_condition)

namespace {

struct Target {
  const char* name;
  int (*run)(const uint8_t*, std::size_t);
};

const Target kTargets[] = {
    {"http_request_head", dplb_fuzz_http_request_head},
    {"http_response_head", dplb_fuzz_http_response_head},
    {"http_body_framer", dplb_fuzz_http_body_framer},
    {"http_head_round_trip", dplb_fuzz_http_head_round_trip},
    {"config_toml", dplb_fuzz_config_toml},
    {"console_command", dplb_fuzz_console_command},
    {"vrrp_advert", dplb_fuzz_vrrp_advert},
    {"tcp_options", dplb_fuzz_tcp_options},
    {"acl_condition", dplb_fuzz_acl_condition},
};

class FuzzInputs : public testing::TestWithParam<Target> {};

TEST_P(FuzzInputs, CommittedInputsKeepEveryInvariant) {
  const Target& t = GetParam();
  namespace fs = std::filesystem;
  std::size_t inputs = 0;
  for (const char* kind : {"corpus", "regressions"}) {
    const fs::path dir = fs::path(DPLB_SOURCE_ROOT) / "tests/fuzz" / kind / t.name;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      try {
        t.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      } catch (const std::exception& e) {
        ADD_FAILURE() << entry.path() << ": " << e.what();
      }
      ++inputs;
    }
  }
  EXPECT_GT(inputs, 0u) << "no seed for " << t.name;
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzInputs, testing::ValuesIn(kTargets),
                         [](const testing::TestParamInfo<Target>& info) { return std::string(info.param.name); });

}  // namespace
