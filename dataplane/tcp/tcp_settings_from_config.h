#pragma once

#include "conf/config.h"
#include "dataplane/tcp/tcp_settings.h"

namespace dplb::dataplane {

// The [tcp] table as each worker's stack uses it.
TcpSettings tcp_settings_from(const conf::TcpConfig& tcp);

}  // namespace dplb::dataplane
