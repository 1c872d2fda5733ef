#include "dataplane/port/kernel_multicast.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dplb::dataplane {
namespace {

std::string change(const std::string& interface, const MacAddress& group, unsigned long request) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  ifreq r{};
  std::strncpy(r.ifr_name, interface.c_str(), IFNAMSIZ - 1);
  r.ifr_hwaddr.sa_family = AF_UNSPEC;
  std::memcpy(r.ifr_hwaddr.sa_data, group.data(), group.size());
  const int rc = ::ioctl(fd, request, &r);
  const int error = errno;
  ::close(fd);
  return rc == 0 ? "" : std::strerror(error);
}

}  // namespace

std::string join_kernel_multicast(const std::string& interface, const MacAddress& group) {
  return change(interface, group, SIOCADDMULTI);
}

std::string leave_kernel_multicast(const std::string& interface, const MacAddress& group) {
  return change(interface, group, SIOCDELMULTI);
}

}  // namespace dplb::dataplane
