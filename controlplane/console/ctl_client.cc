#include "controlplane/console/ctl_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace dplb::controlplane {
namespace {

// Long enough for the longest background command (ping is capped at 60 s).
constexpr int kReplyTimeoutMs = 75000;

// Joins the words into one console line. Spaces are kept as separators, so
// `dplb ctl "show ports"` and `dplb ctl show ports` mean the same (no name
// in dplb contains a space); quotes and backslashes are escaped.
std::string command_line(const std::vector<std::string>& words) {
  std::string line;
  for (const auto& w : words) {
    bool needs_quotes = w.empty();
    std::string word;
    for (char c : w) {
      if (c == '"' || c == '\\') word += '\\';
      word += c;
    }
    line += (line.empty() ? "" : " ") + (needs_quotes ? "\"" + word + "\"" : word);
  }
  return line + "\n";
}

}  // namespace

int run_ctl(const std::string& socket_path, const std::vector<std::string>& words) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    std::fprintf(stderr, "dplb ctl: socket path too long: %s\n", socket_path.c_str());
    return 2;
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::fprintf(stderr, "dplb ctl: cannot connect to %s: %s (is dplb running with this console.socket?)\n",
                 socket_path.c_str(), std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return 2;
  }
  std::string request = command_line(words);
  std::size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      std::fprintf(stderr, "dplb ctl: send failed: %s\n", std::strerror(errno));
      ::close(fd);
      return 2;
    }
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string reply;
  char buffer[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, kReplyTimeoutMs) <= 0) {
      std::fprintf(stderr, "dplb ctl: no reply from %s within %d s\n", socket_path.c_str(), kReplyTimeoutMs / 1000);
      ::close(fd);
      return 2;
    }
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  std::size_t newline = reply.find('\n');
  if (newline == std::string::npos || (reply[0] != '0' && reply[0] != '1')) {
    std::fprintf(stderr, "dplb ctl: malformed reply from %s\n", socket_path.c_str());
    return 2;
  }
  const bool ok = reply[0] == '0';
  std::string body = reply.substr(newline + 1);
  std::fputs(body.c_str(), ok ? stdout : stderr);
  return ok ? 0 : 1;
}

}  // namespace dplb::controlplane
