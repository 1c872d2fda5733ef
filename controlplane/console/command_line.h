#pragma once

#include <string>
#include <vector>

namespace dplb::controlplane {

// The command line is a contract other tools rely on:
//   dplb -c FILE [-i]                 run (with the terminal console)
//   dplb -c FILE --check              validate only, no DPDK
//   dplb [EAL options] -- -c FILE     EAL options override the file's
//   dplb ctl [-s SOCKET | -c FILE] COMMAND...
struct CommandLine {
  enum class Mode { run, check, ctl, help, version };

  Mode mode = Mode::run;
  std::string config_path;
  bool interactive = false;
  std::vector<std::string> eal_args;
  std::string socket_path;  // ctl: explicit -s
  std::vector<std::string> ctl_words;
  std::string error;  // set when the command line is unusable
};

CommandLine parse_command_line(const std::vector<std::string>& argv);
std::string usage_text();

inline constexpr const char* kDefaultSocket = "/run/dplb/dplb.sock";

}  // namespace dplb::controlplane
