#include "controlplane/console/command_line.h"

#include <algorithm>

namespace dplb::controlplane {
namespace {

void parse_ctl(const std::vector<std::string>& args, CommandLine& cl) {
  cl.mode = CommandLine::Mode::ctl;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "-s" || a == "-c") && i + 1 < args.size()) {
      (a == "-s" ? cl.socket_path : cl.config_path) = args[++i];
    } else if (a == "-s" || a == "-c") {
      cl.error = "ctl: " + a + " needs a value";
      return;
    } else if (a == "--") {
      ++i;
      break;
    } else {
      break;
    }
  }
  cl.ctl_words.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  if (cl.ctl_words.empty()) cl.error = "ctl: no command given (try: dplb ctl help)";
}

void parse_own(const std::vector<std::string>& args, CommandLine& cl) {
  bool check = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-c" || a == "--config") {
      if (i + 1 == args.size()) {
        cl.error = a + " needs a file";
        return;
      }
      cl.config_path = args[++i];
    } else if (a == "--check") {
      check = true;
    } else if (a == "-i" || a == "--interactive") {
      cl.interactive = true;
    } else if (a == "-h" || a == "--help") {
      cl.mode = CommandLine::Mode::help;
      return;
    } else if (a == "-v" || a == "--version") {
      cl.mode = CommandLine::Mode::version;
      return;
    } else {
      cl.error = "unknown option '" + a + "' (EAL options go before '--')";
      return;
    }
  }
  if (cl.config_path.empty()) {
    cl.error = "no configuration file given (-c FILE)";
    return;
  }
  if (check && cl.interactive) {
    cl.error = "--check and -i do not go together";
    return;
  }
  if (check) cl.mode = CommandLine::Mode::check;
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& argv) {
  CommandLine cl;
  std::vector<std::string> args(argv.begin() + (argv.empty() ? 0 : 1), argv.end());
  if (!args.empty() && args[0] == "ctl") {
    parse_ctl({args.begin() + 1, args.end()}, cl);
    return cl;
  }
  auto separator = std::find(args.begin(), args.end(), "--");
  if (separator != args.end()) {
    cl.eal_args.assign(args.begin(), separator);
    args.erase(args.begin(), separator + 1);
  }
  parse_own(args, cl);
  if (cl.mode == CommandLine::Mode::check && !cl.eal_args.empty()) {
    cl.eal_args.clear();  // --check never initialises DPDK, so EAL options are moot
  }
  return cl;
}

std::string usage_text() {
  return "usage:\n"
         "  dplb -c FILE [-i]                  run the appliance (-i: interactive console)\n"
         "  dplb -c FILE --check               validate the configuration and exit\n"
         "  dplb [EAL options] -- -c FILE [-i] run with EAL options overriding the file's\n"
         "  dplb ctl [-s SOCKET | -c FILE] COMMAND...\n"
         "                                     send one console command to a running instance\n"
         "  dplb --version | --help\n";
}

}  // namespace dplb::controlplane
