// CPU per proxied HTTP request, in memory: no NIC, no kernel. Three
// TcpStacks on this one thread, joined by in-memory wires on a virtual
// clock (tools/benchmarks/in_memory_wire.h, as tcp_bench.cc):
//
//   clients  10.99.1.100      wrk-like HTTP/1.1 clients, C connections
//   proxy    10.99.1.2 (front), 10.99.2.2 (back)   dataplane::HttpProxy on
//            the stack, its snapshot built by build_proxy_snapshot() from a
//            conf::Config filled in below (the lab's: one frontend on
//            10.99.1.2:80, roundrobin over 10.99.2.11-13:80, http_reuse safe)
//   servers  10.99.2.11-13    nginx-like servers (one stack answers all three)
//
// and, as a baseline, the same clients talking to the same servers directly.
// Two modes, as tools/bench http runs wrk: keep-alive (every client
// connection carries request after request) and close (every request on a
// new client connection, "Connection: close"). In close mode every request
// is its client connection's first, which http_reuse safe never sends over
// a shared server connection (HAProxy's rule): one server connection per
// request, which the proxy resets when it gives it up (no TIME_WAIT).
//
// Figures per mode:
//   whole      CPU time of this thread (CLOCK_THREAD_CPUTIME_ID) per request:
//              clients, proxy, servers, wires and parsing together;
//   proxy      TSC time inside the proxy stack's receive() and poll() calls
//              and HttpProxy::poll() (the proxy's callbacks run inside the
//              stack's calls), per request; its frame parsing
//              (parse_tcp_segment, checksum verified in software) apart;
//   baseline   the whole figure without the proxy in between;
//   added      whole minus baseline: what putting the proxy in between cost
//              (its stack, the proxy, one more wire hop, the parsing).
//
// Arguments (all optional): --requests=N (keep-alive, default 400000)
// --close-requests=N (default 100000) --connections=C (default 32)
// --warmup=N (default 5000) --mode=keepalive|close --no-baseline
// --rules: keep-alive with the frontend's 20 HTTP rules (http_rules_bench.h)
// --with-rules: the modes' proxy runs with those rules (one variant alone, to profile)
// against none, and each rule's own cost (--rule-iterations=N evaluations
// each, default 200000; 0 skips them)

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "conf/config.h"
#include "dataplane/proxy/http_proxy.h"
#include "dataplane/proxy/proxy_counters.h"
#include "dataplane/proxy/proxy_snapshot.h"
#include "dataplane/tcp/tcp_settings_from_config.h"
#include "dataplane/tcp/tcp_stack.h"
#include "tools/benchmarks/bench_clock.h"
#include "tools/benchmarks/bench_eal.h"
#include "tools/benchmarks/bench_tcp_stack.h"
#include "tools/benchmarks/http_rules_bench.h"
#include "tools/benchmarks/in_memory_wire.h"
#include "tools/benchmarks/received_burst.h"
#include "tools/benchmarks/virtual_clock.h"

namespace {

using namespace dplb::dataplane;
using dplb::bench::cpu_ns;
using dplb::bench::InMemoryWire;
using dplb::bench::ipv4;
using dplb::bench::kClientAddress;
using dplb::bench::kMss;
using dplb::bench::kTimeWaitMs;
using dplb::bench::tsc_to_ns;
using dplb::bench::wall_ns;
using dplb::bench::warn_if_shared;

constexpr uint32_t kProxyFront = ipv4(10, 99, 1, 2);
constexpr uint32_t kProxyBack = ipv4(10, 99, 2, 2);
constexpr uint32_t kServerAddress[3] = {ipv4(10, 99, 2, 11), ipv4(10, 99, 2, 12), ipv4(10, 99, 2, 13)};
constexpr uint32_t kFrontNet = ipv4(10, 99, 1, 0);
constexpr uint32_t kBackNet = ipv4(10, 99, 2, 0);
constexpr uint64_t kOneWayNs = 20'000;     // 40 us virtual round trip on every link

// A host: its stack, its routes (a /24 each: our address there and the
// wire towards it) and the TSC time spent inside its stack.
class Node final : public TcpPacketSink {
 public:
  struct Route {
    uint32_t network;  // /24
    uint32_t local_address;
    InMemoryWire* wire;
  };

  Node(rte_mempool* pool, const TcpSettings& settings, uint64_t seed)
      : stack_(std::make_unique<TcpStack>(settings, *this, pool, counters_, dplb::bench::bench_stack_identity(seed),
                                          1'000'000)) {}

  TcpStack& stack() { return *stack_; }
  TcpCounters& counters() { return counters_; }
  const TcpCounters& counters() const { return counters_; }
  const dplb::bench::ParseTally& parse() const { return parse_; }
  void add_route(uint32_t network, uint32_t local_address, InMemoryWire* wire) {
    routes_.push_back({network, local_address, wire});
  }
  void add_input(InMemoryWire* wire) { inputs_.push_back(wire); }
  void set_proxy(HttpProxy* proxy) { proxy_ = proxy; }
  // Tells the applications their connections are gone and frees the stack.
  void destroy_stack() {
    if (stack_) stack_->abort_all();
    stack_.reset();
  }

  void send(rte_mbuf* packet, uint32_t destination) override {
    for (const Route& r : routes_) {
      if ((destination & 0xffffff00u) == r.network) {
        r.wire->put(packet);
        return;
      }
    }
    rte_pktmbuf_free(packet);
  }
  std::optional<TcpRoute> route(uint32_t destination) override {
    for (const Route& r : routes_) {
      if ((destination & 0xffffff00u) == r.network) return TcpRoute{r.local_address, kMss};
    }
    return std::nullopt;
  }

  // One worker pass: a burst of up to 32 due frames from each input (parse
  // all, then receive() each), then the proxy's poll() and the stack's
  // poll(). Repeats while frames are due; polls once even when none are.
  void run_passes(uint64_t now_ns) {
    bool first = true;
    for (;;) {
      bool any = false;
      uint64_t cycles = 0;
      for (InMemoryWire* in : inputs_) {
        const uint64_t t0 = dplb::bench::read_burst(*in, now_ns, burst_, parse_);
        if (burst_.count > 0) any = true;
        for (uint32_t i = 0; i < burst_.count; ++i) stack_->receive(burst_.frames[i], burst_.segments[i]);
        cycles += rte_rdtsc() - t0;
      }
      if (!any && !first) break;
      const uint64_t t0 = rte_rdtsc();
      if (proxy_ != nullptr) proxy_->poll(now_ns / 1000);
      stack_->poll(now_ns / 1000);
      this->cycles += cycles + rte_rdtsc() - t0;
      ++passes;
      first = false;
      if (!any) break;
    }
  }

  uint64_t cycles = 0;
  uint64_t passes = 0;

 private:
  TcpCounters counters_;
  std::unique_ptr<TcpStack> stack_;
  std::vector<Route> routes_;
  std::vector<InMemoryWire*> inputs_;
  HttpProxy* proxy_ = nullptr;
  dplb::bench::ReceivedBurst burst_;
  dplb::bench::ParseTally parse_;
};

// ---------------------------------------------------------------------------
// HTTP peers. Heads are found by their CRLF CRLF and searched for the few
// fields that matter; enough for the messages these two exchange.

struct HeadScanner {
  char data[2048];
  uint32_t length = 0;
  bool done = false;

  // Takes head bytes from p; returns how many it took (the rest is body).
  // Heads longer than the buffer are not expected here.
  uint32_t feed(const char* p, uint32_t n) {
    const uint32_t old = length;
    const uint32_t take = std::min<uint32_t>(n, sizeof(data) - length);
    std::memcpy(data + length, p, take);
    length += take;
    const uint32_t from = old >= 3 ? old - 3 : 0;
    const void* end = memmem(data + from, length - from, "\r\n\r\n", 4);
    if (end == nullptr) return take;
    done = true;
    length = static_cast<uint32_t>(static_cast<const char*>(end) - data) + 4;
    return length - old;
  }
  void reset() {
    length = 0;
    done = false;
  }
  // Case-insensitive search for a header line "name: value" (name given in
  // lower case, with the colon); returns the value's start or null.
  const char* field(const char* name) const {
    const std::size_t n = std::strlen(name);
    for (uint32_t i = 0; i + n + 2 <= length; ++i) {
      if (data[i] != '\n') continue;
      uint32_t k = 0;
      while (k < n && (data[i + 1 + k] | 0x20) == (name[k] | 0x20)) ++k;
      if (k == n) {
        uint32_t v = i + 1 + static_cast<uint32_t>(n);
        while (v < length && data[v] == ' ') ++v;
        return data + v;
      }
    }
    return nullptr;
  }
  bool says_close() const {
    const char* v = field("connection:");
    return v != nullptr && (std::strncmp(v, "close", 5) == 0 || std::strncmp(v, "Close", 5) == 0);
  }
};

// Visits the bytes of a chain segment by segment, then frees it.
template <class F>
void consume_chain(rte_mbuf* chain, F&& f) {
  for (rte_mbuf* m = chain; m != nullptr; m = m->next) f(rte_pktmbuf_mtod(m, const char*), m->data_len);
  rte_pktmbuf_free(chain);
}

// wrk's request, plus "Connection: close" in close mode.
const char kRequestKeepAlive[] = "GET / HTTP/1.1\r\nHost: 10.99.1.2\r\n\r\n";
const char kRequestClose[] = "GET / HTTP/1.1\r\nHost: 10.99.1.2\r\nConnection: close\r\n\r\n";

// What nginx answers for `return 200 "server1\n"` in the lab.
std::string server_response(int i, bool close) {
  const std::string body = "server" + std::to_string(i) + "\n";
  return "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 23 Nov 2026 10:00:00 GMT\r\n"
         "Content-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: " + (close ? "close" : "keep-alive") + "\r\n\r\n" + body;
}

// Like wrk: `concurrency` connections, each sending its next request when
// the previous response is complete; in close mode each request on a new
// connection. Stops starting requests at `target`.
class HttpClient final : public TcpApplication {
 public:
  HttpClient(TcpStack& stack, uint32_t concurrency, bool close_mode, bool direct)
      : stack_(stack), concurrency_(concurrency), close_mode_(close_mode), direct_(direct) {}

  uint64_t target = 0;
  uint64_t started = 0;
  uint64_t completed = 0;
  uint64_t ok = 0;
  uint64_t errors = 0;
  uint64_t connects = 0;
  uint64_t connect_failures = 0;

  void start() {
    while (open_ < concurrency_ && started < target) open_connection();
  }
  uint32_t open() const { return open_; }

  void on_connected(TcpConnection& c) override { send_request(c); }
  void on_readable(TcpConnection& c) override {
    State& s = *static_cast<State*>(c.user_data);
    bool complete = false;
    uint32_t n = 0;
    while (rte_mbuf* chain = c.read(UINT32_MAX, &n)) {
      consume_chain(chain, [&](const char* p, uint32_t len) {
        while (len > 0) {
          if (!s.head.done) {
            const uint32_t used = s.head.feed(p, len);
            p += used;
            len -= used;
            if (s.head.done) {
              s.status = s.head.length >= 12 ? std::atoi(s.head.data + 9) : 0;
              const char* cl = s.head.field("content-length:");
              s.body_left = cl != nullptr ? std::strtoull(cl, nullptr, 10) : 0;
              s.server_close = s.head.says_close();
              if (s.body_left == 0) complete = true;
            }
          } else {
            const uint32_t take = static_cast<uint32_t>(std::min<uint64_t>(len, s.body_left));
            s.body_left -= take;
            p += take;
            len -= take;
            if (s.body_left == 0) complete = true;
            if (take == 0) len = 0;  // bytes past the response: none expected
          }
        }
      });
    }
    if (complete) {
      ++completed;
      if (s.status == 200) {
        ++ok;
      } else {
        ++errors;
      }
      s.in_flight = false;
      if (close_mode_ || s.server_close || started >= target) {
        finish(c);
        start();
      } else {
        send_request(c);
      }
      return;
    }
    if (c.end_of_stream()) {  // closed before the response was complete
      ++errors;
      finish(c);
      start();
    }
  }
  void on_closed(TcpConnection& c, TcpCloseReason) override {
    State* s = static_cast<State*>(c.user_data);
    if (s->in_flight) ++errors;
    release(s);
    --open_;
    start();
  }

 private:
  struct State {
    HeadScanner head;
    uint64_t body_left = 0;
    int status = 0;
    bool server_close = false;
    bool in_flight = false;
    State* next_free = nullptr;
  };

  void open_connection() {
    uint32_t address = kProxyFront;
    if (direct_) address = kServerAddress[next_server_++ % 3];
    TcpConnection* c = stack_.connect(address, 80, this, stack_.settings().defaults);
    ++connects;
    if (c == nullptr) {
      ++connect_failures;
      ++started;  // counted as an error so the run ends
      ++errors;
      ++completed;
      return;
    }
    c->user_data = take();
    ++open_;
  }
  void send_request(TcpConnection& c) {
    State& s = *static_cast<State*>(c.user_data);
    s.head.reset();
    s.body_left = 0;
    s.status = 0;
    s.server_close = false;
    s.in_flight = true;
    ++started;
    if (close_mode_) {
      c.write_copy(kRequestClose, sizeof(kRequestClose) - 1);
    } else {
      c.write_copy(kRequestKeepAlive, sizeof(kRequestKeepAlive) - 1);
    }
  }
  void finish(TcpConnection& c) {
    release(static_cast<State*>(c.user_data));
    c.user_data = nullptr;
    c.close();
    --open_;
  }
  State* take() {
    if (free_ == nullptr) {
      states_.push_back(std::make_unique<State>());
      return states_.back().get();
    }
    State* s = free_;
    free_ = s->next_free;
    return s;
  }
  void release(State* s) {
    s->next_free = free_;
    free_ = s;
  }

  TcpStack& stack_;
  uint32_t concurrency_;
  bool close_mode_;
  bool direct_;
  uint32_t open_ = 0;
  uint32_t next_server_ = 0;
  std::vector<std::unique_ptr<State>> states_;
  State* free_ = nullptr;
};

// nginx-like: answers each request head with the lab's response of the
// server the connection was addressed to; closes after answering when the
// request said "Connection: close", and when the client closes.
class HttpServer final : public TcpApplication {
 public:
  HttpServer() {
    for (int i = 0; i < 3; ++i) {
      keep_alive_[i] = server_response(i + 1, false);
      close_[i] = server_response(i + 1, true);
    }
  }
  uint64_t requests = 0;
  uint64_t accepted = 0;

  void on_accepted(TcpConnection& c) override {
    ++accepted;
    State* s = take();
    s->head.reset();
    s->server = 0;
    for (int i = 0; i < 3; ++i) {
      if (c.tuple().local_address == kServerAddress[i]) s->server = i;
    }
    c.user_data = s;
    on_readable(c);
  }
  void on_readable(TcpConnection& c) override {
    State& s = *static_cast<State*>(c.user_data);
    bool close_after = false;
    uint32_t answers = 0;
    uint32_t n = 0;
    while (rte_mbuf* chain = c.read(UINT32_MAX, &n)) {
      consume_chain(chain, [&](const char* p, uint32_t len) {
        while (len > 0) {
          const uint32_t used = s.head.feed(p, len);
          p += used;
          len -= used;
          if (s.head.done) {
            close_after = close_after || s.head.says_close();
            ++answers;
            s.head.reset();
          }
        }
      });
    }
    for (uint32_t i = 0; i < answers; ++i) {
      const std::string& r = close_after && i + 1 == answers ? close_[s.server] : keep_alive_[s.server];
      c.write_copy(r.data(), static_cast<uint32_t>(r.size()));
      ++requests;
    }
    if (close_after || c.end_of_stream()) {
      release(&s);
      c.user_data = nullptr;
      c.close();
    }
  }
  void on_closed(TcpConnection& c, TcpCloseReason) override {
    if (c.user_data != nullptr) release(static_cast<State*>(c.user_data));
  }

 private:
  struct State {
    HeadScanner head;
    int server = 0;
    State* next_free = nullptr;
  };
  State* take() {
    if (free_ == nullptr) {
      states_.push_back(std::make_unique<State>());
      return states_.back().get();
    }
    State* s = free_;
    free_ = s->next_free;
    return s;
  }
  void release(State* s) {
    s->next_free = free_;
    free_ = s;
  }
  std::string keep_alive_[3];
  std::string close_[3];
  std::vector<std::unique_ptr<State>> states_;
  State* free_ = nullptr;
};

// ---------------------------------------------------------------------------

// The lab's proxy configuration, as tests/integration/test_http.py writes it
// (without forwardfor, as tools/bench http runs both load balancers).
dplb::conf::Config proxy_config(bool with_rules) {
  dplb::conf::Config config;
  config.tcp.time_wait = dplb::conf::Duration{kTimeWaitMs * 1000};
  dplb::conf::FrontendConfig f;
  f.name = "http_front";
  f.bind.push_back({dplb::conf::Ipv4Address{kProxyFront}, 80});
  f.default_backend = "web_servers";
  f.timeout_client = dplb::conf::Duration{30'000'000};
  if (with_rules) f.rules.compiled = dplb::bench::twenty_rules();
  config.frontends.push_back(f);
  dplb::conf::BackendConfig b;
  b.name = "web_servers";
  b.balance = dplb::conf::BalanceAlgorithm::roundrobin;
  b.http_reuse = dplb::conf::HttpReuse::safe;
  for (int i = 0; i < 3; ++i) {
    dplb::conf::ServerConfig s;
    s.name = "server" + std::to_string(i + 1);
    s.address = {dplb::conf::Ipv4Address{kServerAddress[i]}, 80};
    b.servers.push_back(s);
  }
  config.backends.push_back(b);
  return config;
}

struct Result {
  bool ok = false;
  uint64_t requests = 0;  // completed in the measured part
  uint64_t errors = 0;
  uint64_t cpu_ns = 0;
  uint64_t wall_ns = 0;
  uint64_t proxy_cycles = 0;
  uint64_t proxy_parse_cycles = 0;
  uint64_t proxy_frames_in = 0;
  uint64_t proxy_segments_out = 0;
  uint64_t proxy_passes = 0;
  uint64_t client_connections = 0;
  uint64_t server_connections = 0;  // opened by the proxy (or by the clients, direct)
  uint64_t server_reused = 0;
  uint64_t virtual_ns = 0;
  long mbufs_leaked = 0;
};

// The hosts and links of one run: clients and servers joined directly or
// through the proxy, on one virtual clock.
class Lab {
 public:
  Lab(rte_mempool* pool, bool with_proxy, const dplb::conf::Config& config, const ProxySnapshot& snapshot,
      ProxyCounters& proxy_counters)
      : pool_(pool),
        client_(pool, dplb::bench::bench_tcp_settings(), 11),
        server_(pool, dplb::bench::bench_tcp_settings(), 13) {
    if (with_proxy) {
      proxy_ = std::make_unique<Node>(pool, tcp_settings_from(config.tcp), 12);
      wire_through_proxy(snapshot, proxy_counters);
    } else {
      wire_direct();
    }
    nodes_ = {&client_, &server_};
    if (proxy_) nodes_.push_back(proxy_.get());
  }

  // Starts the proxy (if any) and the servers' listener; false if the
  // proxy could not listen.
  bool start(HttpServer& server_app) {
    if (proxy_app_ && !proxy_app_->start()) {
      std::fprintf(stderr, "http_proxy_bench: the proxy could not listen\n");
      return false;
    }
    server_.stack().listen(80, &server_app, server_.stack().settings().defaults);
    return true;
  }

  Node& client() { return client_; }
  const Node* proxy() const { return proxy_.get(); }
  uint64_t now_ns() const { return clock_.now_ns(); }
  uint64_t bad_frames() const {
    uint64_t bad = 0;
    for (const Node* n : nodes_) bad += n->parse().bad_frames;
    return bad;
  }

  template <class Done>
  bool run_until(Done&& done, uint64_t limit_ns) {
    return clock_.run_until(
        [this] {
          for (Node* n : nodes_) n->run_passes(clock_.now_ns());
          for (auto& w : wires_) w->transmit(clock_.now_ns());
        },
        done,
        [this] {
          uint64_t next = UINT64_MAX;
          for (auto& w : wires_) next = std::min(next, w->next_arrival_ns());
          return next;
        },
        limit_ns);
  }

  // Stacks first (they tell their applications), then the proxy.
  void tear_down() {
    client_.destroy_stack();
    server_.destroy_stack();
    if (proxy_) proxy_->destroy_stack();
    proxy_app_.reset();
  }

 private:
  InMemoryWire* wire_to(Node* to) {
    wires_.push_back(std::make_unique<InMemoryWire>(pool_, kOneWayNs, "http_proxy_bench"));
    to->add_input(wires_.back().get());
    return wires_.back().get();
  }
  void wire_through_proxy(const ProxySnapshot& snapshot, ProxyCounters& proxy_counters) {
    InMemoryWire* to_proxy_front = wire_to(proxy_.get());
    InMemoryWire* to_client = wire_to(&client_);
    InMemoryWire* to_proxy_back = wire_to(proxy_.get());
    InMemoryWire* to_server = wire_to(&server_);
    client_.add_route(kFrontNet, kClientAddress, to_proxy_front);
    proxy_->add_route(kFrontNet, kProxyFront, to_client);
    proxy_->add_route(kBackNet, kProxyBack, to_server);
    server_.add_route(kBackNet, kServerAddress[0], to_proxy_back);
    proxy_app_ = std::make_unique<HttpProxy>(proxy_->stack(), pool_, &snapshot, proxy_counters, nullptr, 12345);
    proxy_->set_proxy(proxy_app_.get());
  }
  void wire_direct() {
    InMemoryWire* to_server = wire_to(&server_);
    InMemoryWire* to_client = wire_to(&client_);
    client_.add_route(kBackNet, kClientAddress, to_server);
    server_.add_route(kFrontNet, kServerAddress[0], to_client);
  }

  rte_mempool* pool_;
  dplb::bench::VirtualClock clock_;
  Node client_;
  Node server_;
  std::unique_ptr<Node> proxy_;
  std::unique_ptr<HttpProxy> proxy_app_;
  std::vector<std::unique_ptr<InMemoryWire>> wires_;  // freed before the proxy, as they hold its frames
  std::vector<Node*> nodes_;
};

// The running totals a run's figures are differences of.
struct Mark {
  uint64_t completed, errors, cpu, wall, cycles, parse, frames, segments_out, passes, connects, server_conns, reused,
      now;
};

Mark mark(const Lab& lab, const HttpClient& client_app, const HttpServer& server_app,
          const ProxyCounters& proxy_counters) {
  Mark m{};
  m.completed = client_app.completed;
  m.errors = client_app.errors;
  m.cpu = cpu_ns();
  m.wall = wall_ns();
  if (const Node* proxy = lab.proxy()) {
    m.cycles = proxy->cycles;
    m.parse = proxy->parse().cycles;
    m.frames = proxy->parse().frames;
    m.segments_out = proxy->counters().segments_out.get();
    m.passes = proxy->passes;
    for (const ServerCounters& sc : proxy_counters.servers[0]) {
      m.server_conns += sc.connections.get();
      m.reused += sc.reused.get();
    }
  } else {
    m.server_conns = server_app.accepted;
  }
  m.connects = client_app.connects;
  m.now = lab.now_ns();
  return m;
}

// What happened between marks `a` and `b`.
Result measured(const Mark& a, const Mark& b) {
  Result r;
  r.requests = b.completed - a.completed;
  r.errors = b.errors - a.errors;
  r.cpu_ns = b.cpu - a.cpu;
  r.wall_ns = b.wall - a.wall;
  r.proxy_cycles = b.cycles - a.cycles;
  r.proxy_parse_cycles = b.parse - a.parse;
  r.proxy_frames_in = b.frames - a.frames;
  r.proxy_segments_out = b.segments_out - a.segments_out;
  r.proxy_passes = b.passes - a.passes;
  r.client_connections = b.connects - a.connects;
  r.server_connections = b.server_conns - a.server_conns;
  r.server_reused = b.reused - a.reused;
  r.virtual_ns = b.now - a.now;
  return r;
}

void report_failures(bool finished, const HttpClient& client_app, uint64_t bad, uint64_t expected) {
  if (!finished) {
    std::fprintf(stderr, "http_proxy_bench: the run did not finish (%llu of %llu requests)\n",
                 static_cast<unsigned long long>(client_app.completed), static_cast<unsigned long long>(expected));
  }
  if (client_app.errors != 0 || client_app.connect_failures != 0 || bad != 0) {
    std::fprintf(stderr, "http_proxy_bench: %llu errors, %llu failed connects, %llu bad frames\n",
                 static_cast<unsigned long long>(client_app.errors),
                 static_cast<unsigned long long>(client_app.connect_failures), static_cast<unsigned long long>(bad));
  }
}

// One run: warm-up, then `requests` measured, then everything torn down.
// The warm-up and the measured part are one run: the measured part
// continues on the same connections and pools.
Result run(rte_mempool* pool, bool with_proxy, bool close_mode, uint32_t concurrency, uint64_t warmup,
           uint64_t requests, bool with_rules = false) {
  Result r;
  const unsigned free_before = rte_mempool_avail_count(pool);
  const dplb::conf::Config config = proxy_config(with_rules);
  const std::unique_ptr<const ProxySnapshot> snapshot = build_proxy_snapshot(config, 1, 1);
  ProxyCounters proxy_counters;
  proxy_counters.size_for(snapshot->frontends.size(), {snapshot->backends[0].servers.size()});
  HttpServer server_app;
  {
    Lab lab(pool, with_proxy, config, *snapshot, proxy_counters);
    if (!lab.start(server_app)) return r;
    HttpClient client_app(lab.client().stack(), concurrency, close_mode, !with_proxy);
    client_app.target = warmup + requests;
    client_app.start();
    bool finished = lab.run_until([&] { return client_app.completed >= warmup; }, 600ull * 1'000'000'000);
    const Mark a = mark(lab, client_app, server_app, proxy_counters);
    finished = finished && lab.run_until([&] { return client_app.completed >= warmup + requests; },
                                         3600ull * 1'000'000'000);
    const Mark b = mark(lab, client_app, server_app, proxy_counters);
    r = measured(a, b);
    const uint64_t bad = lab.bad_frames();
    r.ok = finished && client_app.errors == 0 && bad == 0;
    report_failures(finished, client_app, bad, warmup + requests);
    lab.tear_down();
  }
  r.mbufs_leaked = static_cast<long>(free_before) - static_cast<long>(rte_mempool_avail_count(pool));
  return r;
}

struct Options {
  uint64_t requests = 400'000;
  uint64_t close_requests = 100'000;
  uint64_t warmup = 5'000;
  uint32_t connections = 32;
  std::string mode = "keepalive,close";
  bool baseline = true;
  bool rules = false;
  bool with_rules = false;  // the modes' runs with the 20 rules (to profile them)
  uint64_t rule_iterations = 200'000;  // per rule, for the figures of each rule alone
};

// Fills `o` from the command line; false (usage or complaint printed) when
// an argument is unknown or a count is zero.
bool parse_options(int argc, char** argv, Options& o) {
  using dplb::bench::option_value;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (const char* v = option_value(a, "--requests=")) o.requests = std::stoull(v);
    else if (const char* v = option_value(a, "--close-requests=")) o.close_requests = std::stoull(v);
    else if (const char* v = option_value(a, "--warmup=")) o.warmup = std::stoull(v);
    else if (const char* v = option_value(a, "--connections=")) o.connections = static_cast<uint32_t>(std::stoul(v));
    else if (const char* v = option_value(a, "--mode=")) o.mode = v;
    else if (a == "--no-baseline") o.baseline = false;
    else if (a == "--rules") o.rules = true;
    else if (a == "--with-rules") o.with_rules = true;
    else if (const char* v = option_value(a, "--rule-iterations=")) o.rule_iterations = std::stoull(v);
    else {
      std::fprintf(stderr,
                   "usage: http_proxy_bench [--requests=N] [--close-requests=N] [--warmup=N] [--connections=C]\n"
                   "                        [--mode=keepalive|close] [--no-baseline] [--rules]\n"
                   "                        [--rule-iterations=N] [--with-rules]\n");
      return false;
    }
  }
  if (o.connections == 0 || o.requests == 0 || o.close_requests == 0) {
    std::fprintf(stderr, "http_proxy_bench: --connections and the request counts must be positive\n");
    return false;
  }
  return true;
}

// Runs one mode with the proxy and (unless --no-baseline) without, and
// prints its figures; false if a run failed.
bool report_mode(rte_mempool* pool, const Options& o, bool close_mode) {
  const char* name = close_mode ? "close" : "keepalive";
  const uint64_t n = close_mode ? o.close_requests : o.requests;
  const char* label = close_mode ? "new connection per request" : "keep-alive";
  const Result p = run(pool, true, close_mode, o.connections, o.warmup, n, o.with_rules);
  Result d;
  if (o.baseline) d = run(pool, false, close_mode, o.connections, o.warmup, n);
  bool ok = true;
  if (!p.ok || (o.baseline && !d.ok) || p.mbufs_leaked != 0 || d.mbufs_leaked != 0) {
    std::fprintf(stderr, "http_proxy_bench: %s run failed (leaked mbufs: %ld with proxy, %ld direct)\n", name,
                 p.mbufs_leaked, d.mbufs_leaked);
    ok = false;
  }
  const double req = static_cast<double>(p.requests);
  const double whole_us = static_cast<double>(p.cpu_ns) / 1e3 / req;
  const double proxy_us = tsc_to_ns(p.proxy_cycles) / 1e3 / req;
  const double parse_us = tsc_to_ns(p.proxy_parse_cycles) / 1e3 / req;
  std::printf("http %s, whole (clients, proxy, servers, wires): %.2f us CPU per request (%.0f k requests per CPU second)\n",
              label, whole_us, 1e3 / whole_us);
  std::printf("http %s, proxy stack + HttpProxy alone: %.2f us per request (%.0f k/s); its frame parsing: %.2f us more\n",
              label, proxy_us, 1e3 / proxy_us, parse_us);
  if (o.baseline) {
    const double base_us = static_cast<double>(d.cpu_ns) / 1e3 / static_cast<double>(d.requests);
    std::printf("http %s, baseline (clients and servers direct): %.2f us CPU per request; added by the proxy: %.2f us\n",
                label, base_us, whole_us - base_us);
    warn_if_shared(d.cpu_ns, d.wall_ns);
  }
  std::printf("#   %llu requests, %llu errors; at the proxy per request: %.2f frames in, %.2f segments out, %.2f passes;\n"
              "#   client connections %llu, server connections opened %llu, requests over reused ones %llu;\n"
              "#   %.3f s CPU, %.3f s virtual\n",
              static_cast<unsigned long long>(p.requests), static_cast<unsigned long long>(p.errors),
              static_cast<double>(p.proxy_frames_in) / req, static_cast<double>(p.proxy_segments_out) / req,
              static_cast<double>(p.proxy_passes) / req, static_cast<unsigned long long>(p.client_connections),
              static_cast<unsigned long long>(p.server_connections), static_cast<unsigned long long>(p.server_reused),
              static_cast<double>(p.cpu_ns) / 1e9, static_cast<double>(p.virtual_ns) / 1e9);
  warn_if_shared(p.cpu_ns, p.wall_ns);
  return ok;
}

// The cost of a frontend's 20 rules: the proxy alone per keep-alive
// request without rules and with them, in alternating runs (the median of
// three each, so one disturbed run does not decide), then each rule alone.
bool report_rules(rte_mempool* pool, const Options& o) {
  std::vector<double> none, twenty;
  for (int round = 0; round < 3; ++round) {
    for (const bool with_rules : {false, true}) {
      const Result r = run(pool, true, false, o.connections, o.warmup, o.requests, with_rules);
      if (!r.ok || r.mbufs_leaked != 0) {
        std::fprintf(stderr, "http_proxy_bench: rules run failed (leaked mbufs: %ld)\n", r.mbufs_leaked);
        return false;
      }
      (with_rules ? twenty : none).push_back(tsc_to_ns(r.proxy_cycles) / static_cast<double>(r.requests));
    }
  }
  std::sort(none.begin(), none.end());
  std::sort(twenty.begin(), twenty.end());
  std::printf("http keep-alive, proxy stack + HttpProxy alone: %.0f ns per request without rules, %.0f ns with 20"
              " (median of 3 runs each)\n", none[1], twenty[1]);
  std::printf("rules, 20 in the frontend: %.0f ns per request over none (goal: at most 150)\n", twenty[1] - none[1]);
  if (o.rule_iterations > 0) dplb::bench::print_per_rule_figures(o.rule_iterations);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_options(argc, argv, o)) return 2;
  rte_mempool* pool = dplb::bench::start_bench_eal("http_proxy_bench", "http_bench");
  if (pool == nullptr) return 1;
  std::printf("# dplb HTTP proxy benchmark: one thread; clients, proxy and servers on in-memory wires; tsc %llu Hz\n",
              static_cast<unsigned long long>(rte_get_tsc_hz()));
  std::printf("# %u client connections, 40 us virtual round trip per link, wrk's GET / and nginx's 8-byte answer\n",
              o.connections);
  bool ok = true;
  if (o.rules) {
    ok = report_rules(pool, o);
    dplb::bench::stop_bench_eal(pool);
    return ok ? 0 : 1;
  }
  for (const bool close_mode : {false, true}) {
    if (o.mode.find(close_mode ? "close" : "keepalive") == std::string::npos) continue;
    ok = report_mode(pool, o, close_mode) && ok;
  }
  dplb::bench::stop_bench_eal(pool);
  return ok ? 0 : 1;
}
