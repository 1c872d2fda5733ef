#pragma once

#include <vector>

#include "conf/config.h"
#include "conf/schema.h"

namespace dplb::conf {

// Highest lcore id the Debian DPDK build accepts (RTE_MAX_LCORE); kept here so
// `--check` needs no DPDK initialisation.
inline constexpr int64_t kMaxLcore = 127;

const TableSchema<Config>& config_schema();

// Every key the loader accepts, for docs/config.md and its coverage test.
std::vector<KeyDoc> config_key_docs();

}  // namespace dplb::conf
