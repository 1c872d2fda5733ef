#include "dataplane/port/eal_arguments.h"

#include <algorithm>
#include <set>

namespace dplb::dataplane {
namespace {

// One EAL option with its value, as it was written (one or two argv words).
struct Option {
  std::vector<std::string> words;
  std::string kind;
};

struct OptionKind {
  const char* name;
  bool takes_value;
  const char* kind;  // options of one kind override each other
};

constexpr OptionKind kOptions[] = {
    {"-l", true, "cores"},          {"-c", true, "cores"},
    {"--lcores", true, "cores"},    {"--main-lcore", true, "main-lcore"},
    {"-m", true, "memory"},         {"--socket-mem", true, "memory"},
    {"--no-huge", false, "memory-mode"}, {"--in-memory", false, "memory-mode"},
    {"--no-shconf", false, "memory-mode"}, {"--vdev", true, "devices"},
    {"-a", true, "devices"},        {"--allow", true, "devices"},
    {"-b", true, "devices"},        {"--block", true, "devices"},
    {"--no-pci", false, "devices"}, {"--log-level", true, "log-level"},
    {"--telemetry", false, "telemetry"}, {"--no-telemetry", false, "telemetry"},
    {"--file-prefix", true, "file-prefix"}, {"--huge-dir", true, "huge-dir"},
    {"-n", true, "channels"},       {"-r", true, "ranks"},
    {"-d", true, "driver"},         {"--iova-mode", true, "iova-mode"},
    {"--proc-type", true, "proc-type"}, {"--syslog", true, "syslog"},
    {"-s", true, "service-cores"},  {"-S", true, "service-cores"},
    {"--base-virtaddr", true, "base-virtaddr"}, {"--socket-limit", true, "socket-limit"},
    {"--vfio-intr", true, "vfio-intr"}, {"--vfio-vf-token", true, "vfio-vf-token"},
    {"--trace", true, "trace"},     {"--trace-dir", true, "trace-dir"},
    {"--trace-bufsz", true, "trace-bufsz"}, {"--trace-mode", true, "trace-mode"},
};

const OptionKind* lookup(const std::string& word, bool* attached_value) {
  *attached_value = false;
  std::string name = word.substr(0, word.find('='));
  for (const auto& option : kOptions) {
    if (name == option.name) {
      *attached_value = name.size() != word.size();
      return &option;
    }
    // Short options may carry their value glued on: "-l0,1".
    std::string_view short_name = option.name;
    if (short_name.size() == 2 && word.size() > 2 && word[1] != '-' && word.compare(0, 2, short_name) == 0) {
      *attached_value = true;
      return &option;
    }
  }
  return nullptr;
}

std::vector<Option> split_options(const std::vector<std::string>& words) {
  std::vector<Option> out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    bool attached = false;
    const OptionKind* kind = lookup(words[i], &attached);
    Option option{{words[i]}, kind ? kind->kind : words[i]};
    if (kind && kind->takes_value && !attached && i + 1 < words.size()) option.words.push_back(words[++i]);
    out.push_back(std::move(option));
  }
  return out;
}

std::string lcore_list(const conf::DataplaneConfig& dp) {
  std::vector<uint32_t> cores = dp.workers;
  cores.push_back(dp.control_lcore);
  std::sort(cores.begin(), cores.end());
  std::string out;
  for (uint32_t c : cores) out += (out.empty() ? "" : ",") + std::to_string(c);
  return out;
}

std::vector<std::string> from_config(const conf::Config& config) {
  const auto& dp = config.dataplane;
  std::vector<std::string> args = {"-l", lcore_list(dp), "--main-lcore", std::to_string(dp.control_lcore), "-m",
                                   std::to_string(dp.memory_mb)};
  // --in-memory keeps no hugepage files or runtime directory behind, but EAL
  // refuses it with --no-huge (legacy memory); --no-shconf does the same there.
  if (dp.hugepages) {
    args.push_back("--in-memory");
  } else {
    args.insert(args.end(), {"--no-huge", "--no-shconf"});
  }
  bool any_pci = false;
  for (const auto& port : config.ports) {
    if (port.device.kind == conf::DeviceName::Kind::pci) {
      args.insert(args.end(), {"-a", port.device.name});
      any_pci = true;
    } else {
      args.insert(args.end(), {"--vdev", port.device.text});
    }
  }
  if (!any_pci) args.push_back("--no-pci");
  // The control socket is dplb's telemetry; DPDK's own would clash between
  // two instances on one host.
  args.push_back("--no-telemetry");
  args.push_back("--log-level=notice");
  return args;
}

void merge(std::vector<Option>& base, const std::vector<Option>& overrides) {
  std::set<std::string> kinds;
  for (const auto& o : overrides) kinds.insert(o.kind);
  std::erase_if(base, [&](const Option& o) { return kinds.count(o.kind) > 0; });
  base.insert(base.end(), overrides.begin(), overrides.end());
}

}  // namespace

std::vector<std::string> build_eal_arguments(const std::string& program, const conf::Config& config,
                                             const std::vector<std::string>& command_line) {
  std::vector<Option> options = split_options(from_config(config));
  merge(options, split_options(config.dataplane.eal_args));
  merge(options, split_options(command_line));
  std::vector<std::string> argv = {program};
  for (const auto& option : options) argv.insert(argv.end(), option.words.begin(), option.words.end());
  return argv;
}

}  // namespace dplb::dataplane
