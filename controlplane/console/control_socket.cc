#include "controlplane/console/control_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace dplb::controlplane {
namespace {

bool fill_address(const std::string& path, sockaddr_un* addr) {
  std::memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr->sun_path)) return false;
  std::memcpy(addr->sun_path, path.c_str(), path.size() + 1);
  return true;
}

bool someone_listens(const std::string& path) {
  sockaddr_un addr;
  if (!fill_address(path, &addr)) return false;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return live;
}

}  // namespace

ControlSocket::~ControlSocket() { close(); }

std::string ControlSocket::check_available(const std::string& path) {
  if (someone_listens(path)) {
    return "console.socket: " + path + " is in use by another running instance; give each instance its own socket";
  }
  struct stat existing;
  if (::lstat(path.c_str(), &existing) == 0 && !S_ISSOCK(existing.st_mode)) {
    return "console.socket: " + path + " exists and is not a socket; refusing to replace it";
  }
  return "";
}

std::string ControlSocket::open(const std::string& path) {
  sockaddr_un addr;
  if (!fill_address(path, &addr)) return "console.socket: path too long: " + path;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return "console.socket: cannot create " + std::filesystem::path(path).parent_path().string() + ": " + ec.message();
  if (someone_listens(path)) {
    return "console.socket: " + path + " is in use by another running instance; give each instance its own socket";
  }
  struct stat existing;
  if (::lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) return "console.socket: " + path + " exists and is not a socket; refusing to replace it";
    ::unlink(path.c_str());  // a stale socket left by a killed instance
  }
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return std::string("console.socket: socket(): ") + std::strerror(errno);
  mode_t old = ::umask(0117);  // owner and group may use it, as HAProxy's "mode 660"
  int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::umask(old);
  if (rc != 0 || ::listen(listen_fd_, 16) != 0) {
    std::string why = std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    return "console.socket: cannot listen on " + path + ": " + why;
  }
  path_ = path;
  return "";
}

void ControlSocket::close() {
  for (auto& c : clients_) ::close(c.fd);
  clients_.clear();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(path_.c_str());
    listen_fd_ = -1;
  }
}

void ControlSocket::collect(std::vector<pollfd>& fds) const {
  if (listen_fd_ >= 0) fds.push_back({listen_fd_, POLLIN, 0});
  for (const auto& c : clients_) {
    if (c.running) continue;  // nothing to read or write until its command finishes
    fds.push_back({c.fd, static_cast<short>(c.out.empty() ? POLLIN : POLLOUT), 0});
  }
}

void ControlSocket::process(const std::vector<pollfd>& fds, int64_t now_seconds) {
  now_seconds_ = now_seconds;
  for (const auto& p : fds) {
    if (p.revents == 0) continue;
    if (p.fd == listen_fd_) {
      accept_clients(now_seconds);
      continue;
    }
    for (auto& c : clients_) {
      if (c.fd != p.fd) continue;
      if (c.out.empty()) {
        read_request(c);
      } else if (flush(c)) {
        ::close(c.fd);
        c.fd = -1;
      }
    }
  }
  for (auto& c : clients_) {
    // The timeout guards the request and the reply, not a command that takes time.
    if (c.fd >= 0 && !c.running && now_seconds - c.since > kClientTimeoutSeconds) {
      ++rejected_;
      ::close(c.fd);
      c.fd = -1;
    }
  }
  std::erase_if(clients_, [](const Client& c) { return c.fd < 0; });
}

void ControlSocket::accept_clients(int64_t now_seconds) {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (clients_.size() >= kMaxClients) {
      ++rejected_;
      ::close(fd);
      continue;
    }
    clients_.push_back({next_client_id_++, fd, {}, {}, 0, now_seconds, false});
  }
}

void ControlSocket::read_request(Client& c) {
  char buffer[1024];
  ssize_t n = ::read(c.fd, buffer, sizeof(buffer));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n > 0) c.in.append(buffer, static_cast<std::size_t>(n));
  std::size_t newline = c.in.find('\n');
  if (newline == std::string::npos && c.in.size() > kMaxRequest) {
    ++rejected_;
    return answer(c, false, "error: request longer than " + std::to_string(kMaxRequest) + " bytes\n");
  }
  if (newline == std::string::npos && n > 0) return;
  if (newline == std::string::npos && c.in.empty()) {  // closed without asking anything
    ::close(c.fd);
    c.fd = -1;
    return;
  }
  ++commands_;
  c.running = true;
  const uint64_t id = c.id;
  registry_.execute_async(std::string_view(c.in).substr(0, newline), [this, id](CommandReply reply) {
    for (auto& client : clients_) {
      if (client.id != id || client.fd < 0) continue;
      client.running = false;
      client.since = now_seconds_;
      answer(client, reply.ok, reply.text);
    }
  });
}

void ControlSocket::answer(Client& c, bool ok, const std::string& text) {
  c.out = std::string(ok ? "0\n" : "1\n") + text;
  c.written = 0;
  if (flush(c)) {
    ::close(c.fd);
    c.fd = -1;
  }
}

bool ControlSocket::flush(Client& c) {
  while (c.written < c.out.size()) {
    ssize_t n = ::send(c.fd, c.out.data() + c.written, c.out.size() - c.written, MSG_NOSIGNAL);
    if (n < 0) return !(errno == EAGAIN || errno == EINTR);  // peer gone: done with it
    c.written += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace dplb::controlplane
