#include "dataplane/port/eal_runtime.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <sched.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "conf/device_name.h"
#include "conf/vdev_arguments.h"
#include "dataplane/port/xdp_attachment.h"

namespace dplb::dataplane {
namespace {

bool has_argument(const std::vector<std::string>& argv, std::initializer_list<const char*> names) {
  for (const auto& a : argv) {
    for (const char* n : names) {
      if (a == n || a.rfind(std::string(n) + "=", 0) == 0) return true;
    }
  }
  return false;
}

uint64_t free_hugepages() {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/kernel/mm/hugepages", ec)) {
    std::ifstream in(entry.path() / "free_hugepages");
    uint64_t n = 0;
    if (in >> n) total += n;
  }
  return total;
}

// True when the only core option in the final argv is the "-l LIST" that
// build_eal_arguments derived from [dataplane].
bool core_list_is_derived(const conf::Config& config, const std::vector<std::string>& argv) {
  std::vector<uint32_t> cores = config.dataplane.workers;
  cores.push_back(config.dataplane.control_lcore);
  std::sort(cores.begin(), cores.end());
  std::string derived;
  for (uint32_t c : cores) derived += (derived.empty() ? "" : ",") + std::to_string(c);
  int core_options = 0;
  bool derived_seen = false;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    bool is_core_option = a == "-l" || a == "-c" || a == "--lcores" || a.rfind("--lcores=", 0) == 0 ||
                          (a.size() > 2 && (a.rfind("-l", 0) == 0 || a.rfind("-c", 0) == 0) && a[2] != '-');
    if (!is_core_option) continue;
    ++core_options;
    if (a == "-l" && i + 1 < argv.size() && argv[i + 1] == derived) derived_seen = true;
  }
  return core_options == 1 && derived_seen;
}

std::string cpu_set_text(const cpu_set_t& set) {
  std::string out;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) out += (out.empty() ? "" : ",") + std::to_string(cpu);
  }
  return out;
}

// DPDK's net_af_xdp detaches whatever XDP program its interface has when the
// port closes, and EAL closes every vdev at cleanup, even after a failed
// boot. So an interface running someone else's program is refused before EAL
// starts, or that program would be gone. The default program libxdp loads
// for AF_XDP sockets (xsk_def_prog) is taken over: that is what a dplb that
// was killed leaves behind.
std::string check_af_xdp_interfaces(const conf::Config& config, const std::vector<std::string>& eal_argv) {
  for (std::size_t i = 0; i + 1 < eal_argv.size(); ++i) {
    if (eal_argv[i] != "--vdev") continue;
    std::string error;
    const auto device = conf::parse_device_name(eal_argv[i + 1], &error);
    if (!device || conf::vdev_driver(*device) != "net_af_xdp") continue;
    const std::string iface = conf::vdev_interface(*device);
    if (iface.empty()) continue;
    std::string label = device->text;
    for (const auto& port : config.ports) {
      if (port.device.name == device->name) label = "port '" + port.name + "' (" + device->text + ")";
    }
    const XdpAttachment xdp = query_xdp_attachment(iface);
    if (!xdp.queried) {
      return label + ": " + xdp.error + "; net_af_xdp needs an existing kernel interface (iface=)";
    }
    if (xdp.program_id == 0) continue;
    auto args = conf::split_vdev_arguments(device->args, &error);
    const bool own_program = args && args->get("xdp_prog");
    if (!own_program && xdp.program_name == "xsk_def_prog") continue;
    return label + ": interface '" + iface + "' already runs " + describe(xdp) +
           ", which net_af_xdp would replace and then remove; dplb leaves it alone and does not start. "
           "Remove it first if nothing needs it (ip link set dev " + iface + " xdp off)";
  }
  return "";
}

}  // namespace

std::string check_eal_preconditions(const conf::Config& config, const std::vector<std::string>& eal_argv) {
  const auto& dp = config.dataplane;
  // Only when the lcore list is still the configuration's: an override in
  // eal_args or on the command line may map lcores to other CPUs (--lcores 1@3).
  if (core_list_is_derived(config, eal_argv)) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
      std::vector<uint32_t> lcores = dp.workers;
      lcores.push_back(dp.control_lcore);
      for (uint32_t lcore : lcores) {
        if (!CPU_ISSET(static_cast<int>(lcore), &allowed)) {
          return "lcore " + std::to_string(lcore) +
                 " from [dataplane] is not a CPU this process may run on (available: " + cpu_set_text(allowed) +
                 "); change dataplane.workers or dataplane.control_lcore";
        }
      }
    }
  }
  if (!has_argument(eal_argv, {"--no-huge"}) && free_hugepages() == 0) {
    return "no free hugepages on this host; reserve some (for example: echo 512 > "
           "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages) or set dataplane.hugepages = false";
  }
  return check_af_xdp_interfaces(config, eal_argv);
}

bool init_eal(std::vector<std::string>& eal_argv, std::string* error) {
  // EAL keeps pointers into argv, so they point at strings the caller keeps.
  static std::vector<char*> pointers;
  pointers.clear();
  for (auto& a : eal_argv) pointers.push_back(a.data());
  pointers.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(eal_argv.size()), pointers.data()) < 0) {
    *error = std::string("DPDK EAL initialisation failed: ") + rte_strerror(rte_errno) +
             " (the EAL messages above say which option or resource)";
    return false;
  }
  return true;
}

void cleanup_eal() { rte_eal_cleanup(); }

}  // namespace dplb::dataplane
