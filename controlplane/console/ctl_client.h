#pragma once

#include <string>
#include <vector>

namespace dplb::controlplane {

// `dplb ctl`: sends one command to a running instance and prints its reply.
// Exit status: 0 the command succeeded, 1 it failed, 2 no instance answered.
int run_ctl(const std::string& socket_path, const std::vector<std::string>& words);

}  // namespace dplb::controlplane
