// An open-loop HTTP/1.1 load generator: requests leave at a fixed rate
// whatever the answers do, and each latency counts from the time its
// request was due, not from when a busy connection got round to sending it
// (so a stall shows as the latency of every request it delayed, as in wrk2;
// wrk itself only offers a closed loop, whose latency hides queueing).
//
//   rate_client HOST PORT PATH RATE CONNECTIONS SECONDS
//
// Keep-alive connections, one request in flight on each (no pipelining):
// request i goes to connection i mod CONNECTIONS and waits there behind the
// one before it if need be. Prints wrk's summary lines ("N requests in
// Xs", "Requests/sec:", the latency percentiles, "Socket errors:",
// "Non-2xx or 3xx responses:") so tools/bench http reads both alike.
// Tools for the lab only: nothing here is part of dplb.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

struct Counters {
  uint64_t completed = 0;
  uint64_t non2xx = 0;
  uint64_t connect_errors = 0;
  uint64_t read_errors = 0;
  uint64_t write_errors = 0;
  uint64_t timeouts = 0;
};

struct Connection {
  int fd = -1;
  bool connected = false;
  bool in_flight = false;
  int64_t sent_at = 0;
  std::deque<int64_t> due;  // when each waiting request was due, the one in flight first
  std::string input;
};

class RateClient {
 public:
  RateClient(const sockaddr_in& server, std::string request, int connections)
      : server_(server), request_(std::move(request)), connections_(connections) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
  }

  int run(double rate, double seconds) {
    for (auto& c : connections_) open(c);
    const int64_t start = now_ns();
    const int64_t end = start + static_cast<int64_t>(seconds * 1e9);
    const double interval_ns = 1e9 / rate;
    uint64_t issued = 0;
    // Requests due before `end` are issued; the answers of the last ones may
    // take up to the timeout after it.
    const int64_t drain_until = end + kTimeoutNs;
    while (true) {
      const int64_t now = now_ns();
      while (now < end) {
        const int64_t due = start + static_cast<int64_t>(static_cast<double>(issued) * interval_ns);
        if (due > now) break;
        Connection& c = connections_[issued % connections_.size()];
        c.due.push_back(due);
        ++issued;
        if (c.connected && !c.in_flight) send_next(c);
      }
      if (now >= end && outstanding() == 0) break;
      if (now >= drain_until) break;
      expire(now);
      const int64_t next_due = start + static_cast<int64_t>(static_cast<double>(issued) * interval_ns);
      int64_t wait_ns = (now < end ? std::min(next_due, end) : drain_until) - now;
      wait_ns = std::clamp<int64_t>(wait_ns, 0, 10'000'000);
      epoll_event events[64];
      // epoll_pwait2 takes a nanosecond timeout: epoll_wait's millisecond one
      // would make the client spin between requests at 1k/s and more, and
      // take CPU from the servers it shares a core with.
      const timespec timeout{static_cast<time_t>(wait_ns / 1'000'000'000), static_cast<long>(wait_ns % 1'000'000'000)};
      const int n = epoll_pwait2(epoll_, events, 64, &timeout, nullptr);
      for (int i = 0; i < n; ++i) ready(*static_cast<Connection*>(events[i].data.ptr), events[i].events);
    }
    const double elapsed = static_cast<double>(now_ns() - start) / 1e9;
    counters_.timeouts += outstanding();
    report(elapsed);
    return 0;
  }

 private:
  static constexpr int64_t kTimeoutNs = 5'000'000'000;

  uint64_t outstanding() const {
    uint64_t n = 0;
    for (const auto& c : connections_) n += c.due.size();
    return n;
  }

  void open(Connection& c) {
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c.connected = false;
    c.in_flight = false;
    c.input.clear();
    if (connect(c.fd, reinterpret_cast<const sockaddr*>(&server_), sizeof(server_)) != 0 && errno != EINPROGRESS) {
      ++counters_.connect_errors;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
    ev.data.ptr = &c;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
  }

  // A broken connection loses what waited on it (counted by `errors`), then
  // comes back for the requests still to come.
  void reopen(Connection& c, uint64_t& errors) {
    errors += c.due.size();
    c.due.clear();
    epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    open(c);
  }

  void reconnect(Connection& c) {
    epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    open(c);
  }

  void send_next(Connection& c) {
    if (c.due.empty()) return;
    const ssize_t n = send(c.fd, request_.data(), request_.size(), MSG_NOSIGNAL);
    if (n != static_cast<ssize_t>(request_.size())) {
      reopen(c, counters_.write_errors);
      return;
    }
    c.in_flight = true;
    c.sent_at = now_ns();
  }

  void ready(Connection& c, uint32_t events) {
    if (!c.connected && (events & EPOLLOUT)) {
      int error = 0;
      socklen_t length = sizeof(error);
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
      if (error != 0) {
        reopen(c, counters_.connect_errors);
        return;
      }
      c.connected = true;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.ptr = &c;
      epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
      send_next(c);
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) {
      char buffer[16384];
      while (true) {
        const ssize_t n = recv(c.fd, buffer, sizeof(buffer), 0);
        if (n > 0) {
          c.input.append(buffer, static_cast<std::size_t>(n));
          continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        while (complete_response(c)) {
        }
        if (n == 0 && !c.in_flight) {
          // The server closed an idle connection (Connection: close): not an
          // error; what waits on it goes out on the next one.
          reconnect(c);
          return;
        }
        reopen(c, counters_.read_errors);  // closed mid-response, or an error
        return;
      }
      while (complete_response(c)) {
      }
    }
  }

  // Takes one whole response off c.input if there is one.
  bool complete_response(Connection& c) {
    const std::size_t head_end = c.input.find("\r\n\r\n");
    if (head_end == std::string::npos || !c.in_flight) return false;
    std::size_t body = 0;
    std::string head = c.input.substr(0, head_end);
    for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (std::size_t at = head.find("\r\ncontent-length:"); at != std::string::npos) {
      body = std::strtoul(head.c_str() + at + 17, nullptr, 10);
    }
    if (c.input.size() < head_end + 4 + body) return false;
    const int status = head.size() > 12 ? std::atoi(head.c_str() + 9) : 0;
    if (status < 200 || status >= 400) ++counters_.non2xx;
    c.input.erase(0, head_end + 4 + body);
    const int64_t now = now_ns();
    latencies_us_.push_back(static_cast<uint32_t>(std::min<int64_t>((now - c.due.front()) / 1000, UINT32_MAX)));
    c.due.pop_front();
    ++counters_.completed;
    c.in_flight = false;
    send_next(c);
    return true;
  }

  void expire(int64_t now) {
    for (auto& c : connections_) {
      if (c.in_flight && now - c.sent_at > kTimeoutNs) reopen(c, counters_.timeouts);
    }
  }

  static std::string us_text(double us) {
    char text[32];
    if (us >= 1000) {
      std::snprintf(text, sizeof(text), "%.2fms", us / 1000);
    } else {
      std::snprintf(text, sizeof(text), "%.0fus", us);
    }
    return text;
  }

  void report(double elapsed) {
    std::sort(latencies_us_.begin(), latencies_us_.end());
    auto pct = [&](double p) {
      if (latencies_us_.empty()) return 0.0;
      const std::size_t i = std::min(latencies_us_.size() - 1,
                                     static_cast<std::size_t>(p / 100.0 * static_cast<double>(latencies_us_.size())));
      return static_cast<double>(latencies_us_[i]);
    };
    std::printf("  Latency Distribution (from when each request was due)\n");
    for (double p : {50.0, 75.0, 90.0, 99.0, 99.9}) {
      std::printf("  %5s%%  %8s\n", p == 99.9 ? "99.9" : std::to_string(static_cast<int>(p)).c_str(),
                  us_text(pct(p)).c_str());
    }
    std::printf("  %llu requests in %.2fs\n", static_cast<unsigned long long>(counters_.completed), elapsed);
    const Counters& k = counters_;
    if (k.connect_errors + k.read_errors + k.write_errors + k.timeouts) {
      std::printf("  Socket errors: connect %llu, read %llu, write %llu, timeout %llu\n",
                  static_cast<unsigned long long>(k.connect_errors), static_cast<unsigned long long>(k.read_errors),
                  static_cast<unsigned long long>(k.write_errors), static_cast<unsigned long long>(k.timeouts));
    }
    if (k.non2xx) std::printf("  Non-2xx or 3xx responses: %llu\n", static_cast<unsigned long long>(k.non2xx));
    std::printf("Requests/sec: %.2f\n", static_cast<double>(k.completed) / elapsed);
  }

  sockaddr_in server_;
  std::string request_;
  std::vector<Connection> connections_;
  int epoll_ = -1;
  Counters counters_;
  std::vector<uint32_t> latencies_us_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: rate_client HOST PORT PATH RATE CONNECTIONS SECONDS\n");
    return 2;
  }
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1) {
    std::fprintf(stderr, "rate_client: '%s' is not an IPv4 address\n", argv[1]);
    return 2;
  }
  const double rate = std::atof(argv[4]);
  const int connections = std::atoi(argv[5]);
  const double seconds = std::atof(argv[6]);
  if (rate <= 0 || connections <= 0 || seconds <= 0) {
    std::fprintf(stderr, "rate_client: RATE, CONNECTIONS and SECONDS must be positive\n");
    return 2;
  }
  const std::string request = std::string("GET ") + argv[3] + " HTTP/1.1\r\nHost: " + argv[1] + "\r\n\r\n";
  RateClient client(server, request, connections);
  return client.run(rate, seconds);
}
