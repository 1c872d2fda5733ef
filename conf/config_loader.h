#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "conf/config.h"
#include "conf/diagnostics.h"

namespace dplb::conf {

struct LoadResult {
  std::optional<Config> config;  // set only when there are no errors (there may be warnings)
  Diagnostics diagnostics;
};

LoadResult load_config_file(const std::string& path);

// `name` stands for the file name in diagnostics.
LoadResult load_config_text(std::string_view text, const std::string& name);

}  // namespace dplb::conf
