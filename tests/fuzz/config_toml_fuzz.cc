// The whole configuration loader and validator, through --check's code
// path, on arbitrary text: a positioned error or a configuration, never a
// crash; a configuration it accepts renders to text it accepts again, the
// same (show config's promise).
#include <cstdio>
#include <string>
#include <string_view>

#include "conf/config_loader.h"
#include "conf/config_render.h"
#include "tests/fuzz/fuzz_target.h"

DPLB_FUZZ_TARGET(config_toml) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  dplb::conf::LoadResult r = dplb::conf::load_config_text(text, "fuzz.toml");
  if (!r.config) {
    FUZZ_CHECK(!r.diagnostics.empty());
    return 0;
  }
  const std::string rendered = dplb::conf::render_config(*r.config);
  dplb::conf::LoadResult again = dplb::conf::load_config_text(rendered, "fuzz.toml");
  if (!again.config) {
    for (const auto& line : again.diagnostics.formatted()) std::fprintf(stderr, "%s\n", line.c_str());
    std::fprintf(stderr, "--- rendered ---\n%s", rendered.c_str());
  }
  FUZZ_CHECK(again.config.has_value());
  const std::string twice = dplb::conf::render_config(*again.config);
  if (twice != rendered) std::fprintf(stderr, "--- rendered ---\n%s--- rendered again ---\n%s", rendered.c_str(), twice.c_str());
  FUZZ_CHECK(twice == rendered);
  return 0;
}
