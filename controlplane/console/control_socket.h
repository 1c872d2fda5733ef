#pragma once

#include <poll.h>

#include <cstdint>
#include <string>
#include <vector>

#include "controlplane/console/command_registry.h"

namespace dplb::controlplane {

// The control socket behind `dplb ctl`: a unix stream socket, one command per
// connection. The client sends one line; the server answers with a status
// line ("0" success, "1" failure), then the reply text, then closes.
// Non-blocking throughout so a stuck client cannot stall the control thread.
class ControlSocket {
 public:
  static constexpr std::size_t kMaxRequest = 4096;
  static constexpr int kClientTimeoutSeconds = 10;
  static constexpr std::size_t kMaxClients = 64;

  explicit ControlSocket(const CommandRegistry& registry) : registry_(registry) {}
  ~ControlSocket();

  // Creates the parent directory if needed and refuses a path another live
  // instance listens on. Returns an error line or "".
  std::string open(const std::string& path);

  // The same refusal, checked before anything else boots, so a second
  // instance fails before it touches EAL or the ports.
  static std::string check_available(const std::string& path);
  void close();

  void collect(std::vector<pollfd>& fds) const;
  void process(const std::vector<pollfd>& fds, int64_t now_seconds);

  uint64_t commands() const { return commands_; }
  uint64_t rejected() const { return rejected_; }

 private:
  struct Client {
    uint64_t id = 0;
    int fd = -1;
    std::string in;
    std::string out;
    std::size_t written = 0;
    int64_t since = 0;
    bool running = false;  // its command runs in the background
  };

  void accept_clients(int64_t now_seconds);
  void read_request(Client& c);
  void answer(Client& c, bool ok, const std::string& text);
  bool flush(Client& c);

  const CommandRegistry& registry_;
  std::string path_;
  int listen_fd_ = -1;
  std::vector<Client> clients_;
  uint64_t next_client_id_ = 1;
  int64_t now_seconds_ = 0;  // of the last process() call; the loop's monotonic clock
  uint64_t commands_ = 0;
  uint64_t rejected_ = 0;
};

}  // namespace dplb::controlplane
