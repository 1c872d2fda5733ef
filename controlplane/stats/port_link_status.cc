#include "controlplane/stats/port_link_status.h"

#include <fstream>

#include <rte_ethdev.h>

namespace dplb::controlplane {

std::string kernel_interface_of(const dataplane::PortRuntime& port) {
  if (port.driver != "net_af_packet") return "";
  // vdev arguments are comma-separated key=value pairs.
  const std::string& args = port.config.device.args;
  std::size_t at = 0;
  while (at <= args.size()) {
    std::size_t end = args.find(',', at);
    if (end == std::string::npos) end = args.size();
    const std::string item = args.substr(at, end - at);
    if (item.rfind("iface=", 0) == 0) return item.substr(6);
    at = end + 1;
  }
  return "";
}

PortLinkStatus port_link_status(const dataplane::PortRuntime& port) {
  PortLinkStatus status;
  if (const std::string iface = kernel_interface_of(port); !iface.empty()) {
    std::ifstream carrier("/sys/class/net/" + iface + "/carrier");
    int value = -1;
    // Reading carrier of an interface that is administratively down fails
    // (EINVAL): that is a link down too.
    if (!(carrier >> value)) value = 0;
    status.known = true;
    status.up = value == 1;
    status.text = std::string(status.up ? "carrier up" : "carrier lost") + " (kernel interface " + iface + ")";
    return status;
  }
  rte_eth_link link{};
  if (rte_eth_link_get_nowait(port.ethdev, &link) != 0) return status;
  char text[RTE_ETH_LINK_MAX_STR_LEN];
  rte_eth_link_to_str(text, sizeof(text), &link);
  status.known = true;
  status.up = link.link_status != 0;
  status.text = text;
  return status;
}

}  // namespace dplb::controlplane
