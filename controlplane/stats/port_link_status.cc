#include "controlplane/stats/port_link_status.h"

#include <fstream>

#include <rte_ethdev.h>

#include "conf/vdev_arguments.h"

namespace dplb::controlplane {

std::string kernel_interface_of(const dataplane::PortRuntime& port) { return conf::vdev_interface(port.config.device); }

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
