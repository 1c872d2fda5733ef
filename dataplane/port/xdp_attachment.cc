#include "dataplane/port/xdp_attachment.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

namespace dplb::dataplane {
namespace {

std::string mode_name(uint8_t attach_mode) {
  switch (attach_mode) {
    case XDP_ATTACHED_DRV: return "native";
    case XDP_ATTACHED_SKB: return "generic (skb)";
    case XDP_ATTACHED_HW: return "offloaded";
    case XDP_ATTACHED_MULTI: return "several";
    default: return "";
  }
}

std::string program_name(uint32_t id) {
  const int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0) return "";
  bpf_prog_info info{};
  uint32_t length = sizeof(info);
  std::string name;
  if (bpf_obj_get_info_by_fd(fd, &info, &length) == 0) name = info.name;
  ::close(fd);
  return name;
}

}  // namespace

XdpAttachment query_xdp_attachment(const std::string& interface) {
  XdpAttachment out;
  const unsigned index = if_nametoindex(interface.c_str());
  if (index == 0) {
    out.error = "interface '" + interface + "': " + std::strerror(errno);
    return out;
  }
  bpf_xdp_query_opts opts{};
  opts.sz = sizeof(opts);
  if (int rc = bpf_xdp_query(static_cast<int>(index), 0, &opts); rc != 0) {
    out.error = "cannot query the XDP program of '" + interface + "': " + std::strerror(-rc);
    return out;
  }
  out.queried = true;
  out.program_id = opts.prog_id != 0 ? opts.prog_id : (opts.drv_prog_id ? opts.drv_prog_id : opts.skb_prog_id);
  out.mode = mode_name(opts.attach_mode);
  if (out.program_id != 0) out.program_name = program_name(out.program_id);
  return out;
}

std::string describe(const XdpAttachment& a) {
  if (!a.queried) return a.error;
  if (a.program_id == 0) return "no XDP program";
  return "XDP program " + std::to_string(a.program_id) + (a.program_name.empty() ? "" : " (" + a.program_name + ")") +
         (a.mode.empty() ? "" : ", " + a.mode + " mode");
}

std::optional<bool> rx_vlan_offload(const std::string& interface) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  ethtool_value value{};
  value.cmd = ETHTOOL_GFLAGS;
  ifreq request{};
  std::strncpy(request.ifr_name, interface.c_str(), IFNAMSIZ - 1);
  request.ifr_data = reinterpret_cast<char*>(&value);
  const int rc = ::ioctl(fd, SIOCETHTOOL, &request);
  ::close(fd);
  if (rc != 0) return std::nullopt;
  return (value.data & ETH_FLAG_RXVLAN) != 0;
}

XskSockets count_xsk_sockets() {
  XskSockets out;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return out;
  const int own = ::dirfd(dir);
  while (dirent* entry = ::readdir(dir)) {
    const int fd = std::atoi(entry->d_name);
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9' || fd == own) continue;
    // Only an AF_XDP socket answers SOL_XDP options; anything else fails.
    xdp_options options{};
    socklen_t length = sizeof(options);
    if (::getsockopt(fd, SOL_XDP, XDP_OPTIONS, &options, &length) != 0) continue;
    ++out.total;
    if (options.flags & XDP_OPTIONS_ZEROCOPY) ++out.zero_copy;
  }
  ::closedir(dir);
  return out;
}

}  // namespace dplb::dataplane
