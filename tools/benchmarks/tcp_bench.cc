// Figures for one worker's TCP stack, in memory: no NIC, no kernel. Two
// TcpStacks (a client and a server) on this one thread are joined by a lean
// in-memory wire on a virtual clock; see in_memory_wire.h for what it does per
// frame and why it is not tests/sim/tcp_sim.h.
//
//   idle        (run first, before other runs leave freed memory resident)
//               memory an established idle connection costs: the stack's
//               own figure, RSS and heap growth, mbufs held, and the size
//               of each member type of TcpConnection.
//   segments    CPU time inside the receiving stack only (its receive() and
//               poll() calls, application callbacks included) while a bulk
//               transfer runs into it: ns/segment and segments/s; once with
//               an application reading in its callback, once reading once
//               per burst.
//   bulk        wall-clock goodput of a bulk transfer, both stacks, the
//               wire and both applications on this core, clean and lossy.
//   connections connect, 100-byte request, 100-byte response, close, both
//               ways down to CLOSED (TIME_WAIT expiry included), per second
//               of CPU.
//
// Arguments (all optional): --segments=N --bulk-mb=N --loss=PERCENT
// --connections=N --concurrency=N --idle=N --only=segments,bulk,connections,idle

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "dataplane/tcp/tcp_stack.h"
#include "tools/benchmarks/bench_clock.h"
#include "tools/benchmarks/bench_eal.h"
#include "tools/benchmarks/bench_tcp_stack.h"
#include "tools/benchmarks/in_memory_wire.h"
#include "tools/benchmarks/process_memory.h"
#include "tools/benchmarks/received_burst.h"
#include "tools/benchmarks/virtual_clock.h"

namespace {

using namespace dplb::dataplane;
using dplb::bench::cpu_ns;
using dplb::bench::heap_bytes;
using dplb::bench::kClientAddress;
using dplb::bench::kMss;
using dplb::bench::rss_bytes;
using dplb::bench::tsc_to_ns;
using dplb::bench::wall_ns;
using dplb::bench::warn_if_shared;

constexpr uint32_t kServerAddress = dplb::bench::ipv4(10, 99, 1, 10);

// One end: its outgoing wire (this end's TcpPacketSink feeds it), its
// stack, its counters, and the cycles spent inside its stack (receive()
// and poll(), callbacks into its application included).
struct Side final : TcpPacketSink {
  Side(rte_mempool* pool, const TcpSettings& settings, uint32_t address, uint64_t delay_ns, double loss,
       uint64_t seed)
      : out(pool, delay_ns, "tcp_bench", loss, seed),
        address(address),
        stack(settings, *this, pool, counters, dplb::bench::bench_stack_identity(seed), 0) {}

  void send(rte_mbuf* packet, uint32_t) override { out.put(packet); }
  std::optional<TcpRoute> route(uint32_t) override { return TcpRoute{address, kMss}; }

  dplb::bench::InMemoryWire out;
  uint32_t address;
  TcpCounters counters;
  TcpStack stack;
  uint64_t cycles = 0;
  uint64_t bursts = 0;
  // Called after each receive burst, before the stack's poll(), inside the
  // timed region: an application that reads once per burst hangs off it.
  std::function<void()> after_burst;
};

// Both ends on one virtual clock, stepped like tests/sim/tcp_sim.h: deliver
// what has arrived (bursts of up to 32: parse all, then receive() each and
// poll() once, as a worker does), poll both stacks, put what they sent on
// the wires, then jump to the next arrival or the next 1 ms tick.
class Pair {
 public:
  Pair(rte_mempool* pool, const TcpSettings& client, const TcpSettings& server, uint64_t delay_ns, double loss,
       uint64_t seed)
      : client_(pool, client, kClientAddress, delay_ns, loss, seed * 2 + 1),
        server_(pool, server, kServerAddress, delay_ns, loss, seed * 2 + 2) {}

  TcpStack& client() { return client_.stack; }
  TcpStack& server() { return server_.stack; }
  Side& client_side() { return client_; }
  Side& server_side() { return server_; }
  uint64_t now_ns() const { return clock_.now_ns(); }
  uint64_t parse_cycles() const { return parse_.cycles; }
  uint64_t parsed() const { return parse_.frames; }
  uint64_t bad_frames() const { return parse_.bad_frames; }

  void step() {
    deliver(client_.out, server_);
    deliver(server_.out, client_);
    timed_poll(client_);
    timed_poll(server_);
    client_.out.transmit(now_ns());
    server_.out.transmit(now_ns());
  }

  template <class Done>
  bool run_until(Done&& done, uint64_t limit_ns) {
    return clock_.run_until([this] { step(); }, done,
                            [this] { return std::min(client_.out.next_arrival_ns(), server_.out.next_arrival_ns()); },
                            limit_ns);
  }

  bool wires_empty() const { return client_.out.empty() && server_.out.empty(); }

 private:
  void deliver(dplb::bench::InMemoryWire& in, Side& to) {
    const uint64_t now = now_ns();
    while (in.due(now)) {
      const uint64_t t0 = dplb::bench::read_burst(in, now, burst_, parse_);
      for (uint32_t i = 0; i < burst_.count; ++i) to.stack.receive(burst_.frames[i], burst_.segments[i]);
      if (to.after_burst) to.after_burst();
      to.stack.poll(now / 1000);
      to.cycles += rte_rdtsc() - t0;
      ++to.bursts;
    }
  }
  void timed_poll(Side& s) {
    const uint64_t t0 = rte_rdtsc();
    s.stack.poll(now_ns() / 1000);
    s.cycles += rte_rdtsc() - t0;
  }

  dplb::bench::VirtualClock clock_;
  Side client_;
  Side server_;
  dplb::bench::ReceivedBurst burst_;
  dplb::bench::ParseTally parse_;
};

// ---------------------------------------------------------------------------
// Bulk transfer: the client writes `total` bytes (write_copy from a buffer,
// as an application copying its data in), then half-closes; the server
// reads every byte (and frees it), closes at end of stream.

alignas(64) uint8_t g_pattern[65536];

struct BulkSender final : TcpApplication {
  uint64_t total = 0;
  uint64_t sent = 0;
  bool shut = false;
  bool done = false;
  bool failed = false;

  void pump(TcpConnection& c) {
    while (sent < total) {
      const uint32_t space = c.send_space();
      if (space == 0) {
        c.want_writable();
        break;
      }
      const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>({total - sent, space, sizeof(g_pattern)}));
      const uint32_t queued = c.write_copy(g_pattern, n);
      sent += queued;
      if (queued < n) {
        c.want_writable();
        break;
      }
    }
    if (sent == total && !shut) {
      shut = true;
      c.shutdown_write();
    }
  }
  void on_connected(TcpConnection& c) override { pump(c); }
  void on_writable(TcpConnection& c) override { pump(c); }
  void on_readable(TcpConnection& c) override {
    uint32_t n = 0;
    while (rte_mbuf* m = c.read(UINT32_MAX, &n)) rte_pktmbuf_free(m);
    if (c.end_of_stream() && shut && !done) {
      done = true;
      c.close();
    }
  }
  void on_closed(TcpConnection&, TcpCloseReason) override { failed = true; }
};

// Reads in its callback (eager), or, when `per_burst`, only notes the
// connection and reads once after the burst (flush()).
struct BulkReceiver final : TcpApplication {
  uint64_t received = 0;
  bool eof = false;
  bool failed = false;
  bool per_burst = false;
  TcpConnection* readable = nullptr;

  void flush() {
    if (readable != nullptr) {
      TcpConnection* c = readable;
      readable = nullptr;
      drain(*c);
    }
  }

  void drain(TcpConnection& c) {
    uint32_t n = 0;
    while (rte_mbuf* m = c.read(UINT32_MAX, &n)) {
      received += n;
      rte_pktmbuf_free(m);
    }
    if (c.end_of_stream() && !eof) {
      eof = true;
      c.close();
    }
  }
  void on_accepted(TcpConnection& c) override { on_readable(c); }
  void on_readable(TcpConnection& c) override {
    if (per_burst) {
      readable = &c;
    } else {
      drain(c);
    }
  }
  void on_closed(TcpConnection&, TcpCloseReason) override {
    failed = true;
    readable = nullptr;
  }
};

TcpSettings bench_settings() {
  TcpSettings s = dplb::bench::bench_tcp_settings();
  s.max_connections = 1024;
  return s;
}

struct BulkResult {
  bool ok = false;
  uint64_t bytes = 0;
  uint64_t wall = 0;  // ns
  uint64_t cpu = 0;   // ns
  uint64_t server_cycles = 0;
  uint64_t server_in = 0;
  uint64_t server_out = 0;
  uint64_t server_bursts = 0;
  uint64_t parse_cycles = 0;
  uint64_t parsed = 0;
  uint64_t retransmits = 0;
  uint64_t fast_retransmits = 0;
  uint64_t rto = 0;
  uint64_t frames_lost = 0;
  uint64_t virtual_ns = 0;
};

BulkResult bulk(rte_mempool* pool, uint64_t bytes, double loss, uint64_t seed, bool read_per_burst = false) {
  const TcpSettings settings = bench_settings();
  const unsigned free_before = rte_mempool_avail_count(pool);
  BulkResult r;
  BulkSender sender;  // outlive the stacks, which may call them as they go
  BulkReceiver receiver;
  {
    Pair pair(pool, settings, settings, 50'000, loss, seed);  // 100 us virtual round trip
    sender.total = bytes;
    receiver.per_burst = read_per_burst;
    if (read_per_burst) pair.server_side().after_burst = [&receiver] { receiver.flush(); };
    pair.server().listen(80, &receiver, settings.defaults);
    const uint64_t w0 = wall_ns();
    const uint64_t c0 = cpu_ns();
    if (pair.client().connect(kServerAddress, 80, &sender, settings.defaults) == nullptr) return r;
    const bool finished = pair.run_until(
        [&] { return receiver.eof || sender.failed || receiver.failed; }, 36'000ull * 1'000'000'000);
    r.wall = wall_ns() - w0;
    r.cpu = cpu_ns() - c0;
    r.ok = finished && receiver.received == bytes && !sender.failed && !receiver.failed && pair.bad_frames() == 0;
    r.bytes = receiver.received;
    r.virtual_ns = pair.now_ns() - 1'000'000'000;
    const Side& s = pair.server_side();
    r.server_cycles = s.cycles;
    r.server_in = s.counters.segments_in.get();
    r.server_out = s.counters.segments_out.get();
    r.server_bursts = s.bursts;
    r.parse_cycles = pair.parse_cycles();
    r.parsed = pair.parsed();
    const TcpCounters& cc = pair.client_side().counters;
    r.retransmits = cc.retransmits.get();
    r.fast_retransmits = cc.fast_retransmits.get();
    r.rto = cc.rto_expiries.get();
    r.frames_lost = pair.client_side().out.lost() + pair.server_side().out.lost();
    // Let the close finish so nothing is left holding mbufs.
    pair.run_until([&] { return pair.client().connections() == 0 && pair.server().connections() == 0; },
                   600ull * 1'000'000'000);
  }
  if (rte_mempool_avail_count(pool) != free_before) {
    std::fprintf(stderr, "tcp_bench: bulk transfer leaked %d mbufs\n",
                 static_cast<int>(free_before) - static_cast<int>(rte_mempool_avail_count(pool)));
    r.ok = false;
  }
  return r;
}

// ---------------------------------------------------------------------------
// Short connections: connect, write 100 bytes, read the 100-byte answer,
// close; the server answers, closes at end of stream. The client ends in
// TIME_WAIT (10 ms of virtual time).

uint8_t g_message[100];

struct RpcClient final : TcpApplication {
  TcpStack* stack = nullptr;
  uint64_t target = 0;
  uint32_t concurrency = 0;
  uint64_t started = 0;
  uint64_t completed = 0;
  uint64_t failures = 0;
  uint64_t connect_refused = 0;

  void start_more() {
    while (started < target && started - completed - failures < concurrency) {
      TcpConnection* c = stack->connect(kServerAddress, 80, this, stack->settings().defaults);
      if (c == nullptr) {
        ++connect_refused;
        return;
      }
      c->user_data = nullptr;
      ++started;
    }
  }
  void on_connected(TcpConnection& c) override { c.write_copy(g_message, sizeof(g_message)); }
  void on_readable(TcpConnection& c) override {
    uint32_t n = 0;
    auto got = reinterpret_cast<uintptr_t>(c.user_data);
    while (rte_mbuf* m = c.read(UINT32_MAX, &n)) {
      got += n;
      rte_pktmbuf_free(m);
    }
    c.user_data = reinterpret_cast<void*>(got);
    if (got >= sizeof(g_message)) {
      ++completed;
      c.close();
    }
  }
  void on_closed(TcpConnection&, TcpCloseReason) override { ++failures; }
};

struct RpcServer final : TcpApplication {
  uint64_t failures = 0;
  void on_accepted(TcpConnection& c) override {
    c.user_data = nullptr;
    on_readable(c);
  }
  void on_readable(TcpConnection& c) override {
    uint32_t n = 0;
    auto got = reinterpret_cast<uintptr_t>(c.user_data);
    const uintptr_t before = got;
    while (rte_mbuf* m = c.read(UINT32_MAX, &n)) {
      got += n;
      rte_pktmbuf_free(m);
    }
    c.user_data = reinterpret_cast<void*>(got);
    if (before < sizeof(g_message) && got >= sizeof(g_message)) c.write_copy(g_message, sizeof(g_message));
    if (c.end_of_stream()) c.close();
  }
  void on_closed(TcpConnection&, TcpCloseReason) override { ++failures; }
};

struct ConnectionResult {
  bool ok = false;
  uint64_t completed = 0;
  uint64_t cpu = 0;
  uint64_t wall = 0;
  uint64_t client_cycles = 0;
  uint64_t server_cycles = 0;
  uint64_t segments = 0;  // both directions
  uint32_t peak_connections = 0;
};

ConnectionResult connections(rte_mempool* pool, uint64_t count, uint32_t concurrency, uint64_t seed) {
  TcpSettings settings = bench_settings();
  settings.max_connections = 65536;
  settings.time_wait_ms = 10;
  const unsigned free_before = rte_mempool_avail_count(pool);
  ConnectionResult r;
  RpcClient client;  // outlive the stacks
  RpcServer server;
  {
    Pair pair(pool, settings, settings, 20'000, 0.0, seed);  // 40 us virtual round trip
    client.stack = &pair.client();
    client.target = count;
    client.concurrency = concurrency;
    pair.server().listen(80, &server, settings.defaults);
    const uint64_t w0 = wall_ns();
    const uint64_t c0 = cpu_ns();
    client.start_more();
    const bool finished = pair.run_until(
        [&] {
          client.start_more();
          r.peak_connections = std::max(r.peak_connections, pair.client().connections());
          return client.completed + client.failures >= count && pair.client().connections() == 0 &&
                 pair.server().connections() == 0 && pair.wires_empty();
        },
        36'000ull * 1'000'000'000);
    r.cpu = cpu_ns() - c0;
    r.wall = wall_ns() - w0;
    r.completed = client.completed;
    r.client_cycles = pair.client_side().cycles;
    r.server_cycles = pair.server_side().cycles;
    r.segments = pair.client_side().counters.segments_in.get() + pair.server_side().counters.segments_in.get();
    r.ok = finished && client.completed == count && client.failures == 0 && server.failures == 0 &&
           pair.bad_frames() == 0;
    if (client.connect_refused != 0 || client.failures != 0 || server.failures != 0) {
      std::fprintf(stderr, "tcp_bench: connections: %llu connect refusals, %llu client / %llu server failures\n",
                   static_cast<unsigned long long>(client.connect_refused),
                   static_cast<unsigned long long>(client.failures), static_cast<unsigned long long>(server.failures));
    }
  }
  if (rte_mempool_avail_count(pool) != free_before) {
    std::fprintf(stderr, "tcp_bench: connections leaked mbufs\n");
    r.ok = false;
  }
  return r;
}

// ---------------------------------------------------------------------------
// Idle connections: N established connections on each stack, nothing sent.

struct IdleApp final : TcpApplication {
  uint64_t accepted = 0;
  uint64_t connected = 0;
  uint64_t failures = 0;
  void on_accepted(TcpConnection&) override { ++accepted; }
  void on_connected(TcpConnection&) override { ++connected; }
  void on_closed(TcpConnection&, TcpCloseReason) override { ++failures; }
};

struct IdleResult {
  bool ok = false;
  uint32_t connections = 0;
  std::size_t stack_bytes = 0;        // TcpStack::bytes_per_connection()
  uint64_t rss_before = 0;            // before the stacks exist
  uint64_t rss_constructed = 0;       // stacks built, no connection yet
  uint64_t rss_open = 0;              // N idle connections on each stack
  uint64_t heap_before = 0;
  uint64_t heap_constructed = 0;
  uint64_t heap_open = 0;
  long mbufs_held = 0;
  std::size_t armed_timers = 0;       // on the server stack, once idle
  uint64_t buffered = 0;
};

// One listening port per 20000 connections: one client address has 28232
// local ports.
constexpr uint32_t kIdlePerPort = 20000;

// Opens `count` connections from the client to the server's ports from
// 8000 on, in batches well under the SYN backlog so that no SYN cookie is
// used; false if one could not be opened or established.
bool open_idle(Pair& pair, uint32_t count, const TcpConnectionOptions& options, IdleApp& client_app,
               IdleApp& server_app, std::vector<TcpConnection*>& handles) {
  uint32_t opened = 0;
  while (opened < count) {
    const uint32_t batch = std::min<uint32_t>(256, count - opened);
    for (uint32_t i = 0; i < batch; ++i, ++opened) {
      TcpConnection* c = pair.client().connect(kServerAddress, static_cast<uint16_t>(8000 + opened / kIdlePerPort),
                                               &client_app, options);
      if (c == nullptr) return false;
      handles.push_back(c);
    }
    const bool settled = pair.run_until(
        [&] { return client_app.connected == opened && server_app.accepted == opened && pair.wires_empty(); },
        60ull * 1'000'000'000);
    if (!settled) return false;
  }
  return true;
}

IdleResult idle(rte_mempool* pool, uint32_t count, uint64_t seed) {
  TcpSettings settings = bench_settings();
  settings.max_connections = count;
  IdleResult r;
  r.connections = count;
  const uint32_t ports = (count + kIdlePerPort - 1) / kIdlePerPort;
  if (ports > 64) {
    std::fprintf(stderr, "tcp_bench: at most %u idle connections\n", 64 * kIdlePerPort);
    return r;
  }
  std::vector<TcpConnection*> handles;
  handles.reserve(count);
  IdleApp client_app;
  IdleApp server_app;
  r.rss_before = rss_bytes();
  r.heap_before = heap_bytes();
  {
    Pair pair(pool, settings, settings, 20'000, 0.0, seed);
    r.rss_constructed = rss_bytes();
    r.heap_constructed = heap_bytes();
    for (uint32_t p = 0; p < ports; ++p) pair.server().listen(static_cast<uint16_t>(8000 + p), &server_app, settings.defaults);
    const unsigned free_before = rte_mempool_avail_count(pool);
    const bool ok = open_idle(pair, count, settings.defaults, client_app, server_app, handles);
    // Let anything pending (timers, ACKs) settle.
    pair.run_until([] { return false; }, 200'000'000);
    r.rss_open = rss_bytes();
    r.heap_open = heap_bytes();
    r.mbufs_held = static_cast<long>(free_before) - static_cast<long>(rte_mempool_avail_count(pool));
    r.stack_bytes = pair.server().bytes_per_connection();
    r.armed_timers = pair.server().armed_timers() + pair.client().armed_timers();
    r.buffered = pair.server().buffered_bytes() + pair.client().buffered_bytes();
    r.ok = ok && pair.server().connections() == count && pair.client().connections() == count &&
           client_app.failures == 0 && server_app.failures == 0;
    for (TcpConnection* c : handles) c->abort();
  }
  return r;
}

struct Options {
  uint64_t segments = 1'000'000;
  uint64_t bulk_mb = 200;
  double loss_percent = 1.0;
  uint64_t connections = 200'000;
  uint32_t concurrency = 64;
  uint32_t idle = 10'000;
  std::string only = "segments,bulk,connections,idle";
};

bool wanted(const Options& o, const char* what) { return o.only.find(what) != std::string::npos; }

// Member types of TcpConnection (its members are private; their types are
// not). The 4 reassembly nodes per slot mirror kReassemblyNodesPerConnection
// in dataplane/tcp/tcp_stack.cc.
void print_sizes() {
  struct Row {
    const char* name;
    std::size_t bytes;
    std::size_t times;
  };
  const Row rows[] = {
      {"TcpSendQueue", sizeof(TcpSendQueue), 1},
      {"TcpReceiveQueue", sizeof(TcpReceiveQueue), 1},
      {"SackScoreboard", sizeof(SackScoreboard), 1},
      {"CongestionControl", sizeof(CongestionControl), 1},
      {"RttEstimator", sizeof(RttEstimator), 1},
      {"TcpTimer", sizeof(TcpTimer), 3},
      {"FourTuple", sizeof(FourTuple), 1},
      {"TcpConnectionOptions", sizeof(TcpConnectionOptions), 1},
  };
  std::size_t members = 0;
  std::printf("# sizeof(TcpConnection) = %zu bytes, of which:\n", sizeof(TcpConnection));
  for (const Row& row : rows) {
    std::printf("#   %-22s %4zu x %zu = %4zu\n", row.name, row.bytes, row.times, row.bytes * row.times);
    members += row.bytes * row.times;
  }
  std::printf("#   %-22s %13zu  (flags, sequence variables, pointers, padding)\n", "the rest",
              sizeof(TcpConnection) - members);
  std::printf("# per connection slot, outside the object: 4-tuple table (bit_ceil(2 x max) entries of 8),\n"
              "#   reassembly pool %zu (4 nodes of %zu, preallocated per max_connections up to 2^18 nodes)\n",
              4 * sizeof(ReassemblyNode), sizeof(ReassemblyNode));
}

// Fills `o` from the command line; false (usage printed) on an unknown argument.
bool parse_options(int argc, char** argv, Options& o) {
  using dplb::bench::option_value;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (const char* v = option_value(a, "--segments=")) o.segments = std::stoull(v);
    else if (const char* v = option_value(a, "--bulk-mb=")) o.bulk_mb = std::stoull(v);
    else if (const char* v = option_value(a, "--loss=")) o.loss_percent = std::stod(v);
    else if (const char* v = option_value(a, "--connections=")) o.connections = std::stoull(v);
    else if (const char* v = option_value(a, "--concurrency=")) o.concurrency = static_cast<uint32_t>(std::stoul(v));
    else if (const char* v = option_value(a, "--idle=")) o.idle = static_cast<uint32_t>(std::stoul(v));
    else if (const char* v = option_value(a, "--only=")) o.only = v;
    else {
      std::fprintf(stderr,
                   "usage: tcp_bench [--segments=N] [--bulk-mb=N] [--loss=PERCENT] [--connections=N]\n"
                   "                 [--concurrency=N] [--idle=N] [--only=segments,bulk,connections,idle]\n");
      return false;
    }
  }
  return true;
}

// Each report_* runs one part and prints its figures; false if a run failed.

bool report_idle(rte_mempool* pool, const Options& o) {
  const IdleResult r = idle(pool, o.idle, 6);
  if (!r.ok) std::fprintf(stderr, "tcp_bench: could not open %u idle connections\n", o.idle);
  const double n2 = 2.0 * static_cast<double>(r.connections);  // both stacks hold N
  const double rss_pre = static_cast<double>(r.rss_constructed - r.rss_before) / n2;
  const double rss_open = static_cast<double>(r.rss_open - r.rss_constructed) / n2;
  const double heap_pre = static_cast<double>(r.heap_constructed - r.heap_before) / n2;
  const double heap_open = static_cast<double>(r.heap_open - r.heap_constructed) / n2;
  std::printf("tcp idle connections: %u on each stack (max_connections = %u), %ld mbufs held, %zu timers armed, "
              "%llu bytes buffered\n",
              r.connections, r.connections, r.mbufs_held, r.armed_timers, static_cast<unsigned long long>(r.buffered));
  std::printf("tcp idle connection, TcpStack::bytes_per_connection(): %zu bytes (sizeof(TcpConnection) %zu + its share of the table and reassembly pool)\n",
              r.stack_bytes, sizeof(TcpConnection));
  std::printf("tcp idle connection, RSS growth: %.0f bytes (%.0f opening it + %.0f its share of what the stack\n"
              "#   preallocates per max_connections slot); heap: %.0f bytes (%.0f + %.0f)\n",
              rss_open + rss_pre, rss_open, rss_pre, heap_open + heap_pre, heap_open, heap_pre);
  const double worst = std::max({static_cast<double>(r.stack_bytes), rss_open + rss_pre, heap_open + heap_pre});
  std::printf("idle connection: %.0f bytes (target < 1024)%s\n", worst, worst < 1024 ? "" : "  OVER TARGET");
  print_sizes();
  return r.ok;
}

bool report_segments(rte_mempool* pool, const Options& o) {
  const uint32_t payload = kMss - 12;  // timestamps on every segment
  bool ok = true;
  bulk(pool, 20ull * payload * 1000, 0.0, 1);  // warm-up: pool, caches, branch predictors
  for (const bool per_burst : {false, true}) {
    const BulkResult r = bulk(pool, o.segments * payload, 0.0, 2, per_burst);
    if (!r.ok) {
      std::fprintf(stderr, "tcp_bench: segments run did not complete\n");
      ok = false;
    }
    const double ns = tsc_to_ns(r.server_cycles) / static_cast<double>(r.server_in);
    std::printf("tcp segments%s: %.2f M/s (%.0f ns/segment)\n",
                per_burst ? ", application reads once per burst" : "", 1e3 / ns, ns);
    std::printf("#   %llu segments of %u bytes in, %llu ACKs out (%.2f segments per ACK), %.1f segments per burst\n",
                static_cast<unsigned long long>(r.server_in), payload, static_cast<unsigned long long>(r.server_out),
                static_cast<double>(r.server_in) / static_cast<double>(r.server_out),
                static_cast<double>(r.server_in) / static_cast<double>(r.server_bursts));
    warn_if_shared(r.cpu, r.wall);
    if (!per_burst) {
      std::printf("#   parsing before receive() (checksum included; not in the figure): %.0f ns/segment\n",
                  tsc_to_ns(r.parse_cycles) / static_cast<double>(r.parsed));
    }
  }
  return ok;
}

bool report_bulk(rte_mempool* pool, const Options& o) {
  const uint64_t bytes = o.bulk_mb * 1'000'000;
  bool ok = true;
  for (const double loss : {0.0, o.loss_percent / 100.0}) {
    const BulkResult r = bulk(pool, bytes, loss, 3);
    if (!r.ok) {
      std::fprintf(stderr, "tcp_bench: bulk transfer (loss %g%%) did not complete\n", loss * 100);
      ok = false;
    }
    const double seconds = static_cast<double>(r.wall) / 1e9;
    const double rate = static_cast<double>(r.bytes) / seconds;
    char label[32];
    if (loss == 0) {
      std::snprintf(label, sizeof(label), "clean");
    } else {
      std::snprintf(label, sizeof(label), "%g%% loss", loss * 100);
    }
    std::printf("tcp bulk %llu MB, %s: %.0f MB/s (%.2f Gbit/s), %.3f s wall, %.3f s CPU\n",
                static_cast<unsigned long long>(o.bulk_mb), label, rate / 1e6, rate * 8 / 1e9, seconds,
                static_cast<double>(r.cpu) / 1e9);
    if (loss > 0) {
      std::printf("#   %llu frames lost on the wires, %llu segments sent again, %llu recoveries, %llu RTO expiries,\n"
                  "#   %.2f s of virtual time at a 100 us round trip\n",
                  static_cast<unsigned long long>(r.frames_lost), static_cast<unsigned long long>(r.retransmits),
                  static_cast<unsigned long long>(r.fast_retransmits), static_cast<unsigned long long>(r.rto),
                  static_cast<double>(r.virtual_ns) / 1e9);
    }
    warn_if_shared(r.cpu, r.wall);
  }
  return ok;
}

bool report_connections(rte_mempool* pool, const Options& o) {
  connections(pool, std::min<uint64_t>(o.connections, 2000), o.concurrency, 4);  // warm-up
  const ConnectionResult r = connections(pool, o.connections, o.concurrency, 5);
  if (!r.ok) std::fprintf(stderr, "tcp_bench: connections run did not complete\n");
  const double cpu_s = static_cast<double>(r.cpu) / 1e9;
  const double n = static_cast<double>(r.completed);
  std::printf("tcp connections: %.0f k/s per CPU second (%.2f us each: client and server stack, wire and both\n"
              "#   applications on one core; %u in flight, %.1f segments each)\n",
              n / cpu_s / 1e3, cpu_s * 1e6 / n, o.concurrency, static_cast<double>(r.segments) / n);
  std::printf("tcp connections, server stack alone: %.0f k/s (%.2f us each)\n",
              n / (tsc_to_ns(r.server_cycles) / 1e9) / 1e3, tsc_to_ns(r.server_cycles) / 1e3 / n);
  std::printf("tcp connections, client stack alone: %.0f k/s (%.2f us each)\n",
              n / (tsc_to_ns(r.client_cycles) / 1e9) / 1e3, tsc_to_ns(r.client_cycles) / 1e3 / n);
  std::printf("#   %llu completed, %.3f s CPU, %.3f s wall, at most %u connections open on the client\n",
              static_cast<unsigned long long>(r.completed), cpu_s, static_cast<double>(r.wall) / 1e9,
              r.peak_connections);
  warn_if_shared(r.cpu, r.wall);
  return r.ok;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_options(argc, argv, o)) return 2;
  rte_mempool* pool = dplb::bench::start_bench_eal("tcp_bench", "tcp_bench");
  if (pool == nullptr) return 1;
  for (std::size_t i = 0; i < sizeof(g_pattern); ++i) g_pattern[i] = static_cast<uint8_t>(i * 131 % 251);
  std::memset(g_message, 'x', sizeof(g_message));
  std::printf("# dplb TCP benchmark: one thread, two stacks over an in-memory wire, tsc %llu Hz\n",
              static_cast<unsigned long long>(rte_get_tsc_hz()));
  bool ok = true;
  // Idle first: the other runs free memory the allocator keeps resident,
  // which would hide RSS growth here.
  if (wanted(o, "idle")) ok = report_idle(pool, o) && ok;
  if (wanted(o, "segments")) ok = report_segments(pool, o) && ok;
  if (wanted(o, "bulk")) ok = report_bulk(pool, o) && ok;
  if (wanted(o, "connections")) ok = report_connections(pool, o) && ok;
  dplb::bench::stop_bench_eal(pool);
  return ok ? 0 : 1;
}
