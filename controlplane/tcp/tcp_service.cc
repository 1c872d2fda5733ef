#include "controlplane/tcp/tcp_service.h"

#include <algorithm>
#include <cstdio>

#include "conf/ipv4_address.h"
#include "dataplane/tcp/tcp_counters.h"

namespace dplb::controlplane {

namespace {

bool parse_u64(const std::string& text, uint64_t max, uint64_t* out) {
  if (text.empty() || text.size() > 12) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

bool parse_kind(const std::string& text, dataplane::DiagnosticKind* kind) {
  if (text == "echo") *kind = dataplane::DiagnosticKind::echo;
  else if (text == "discard") *kind = dataplane::DiagnosticKind::discard;
  else if (text == "source") *kind = dataplane::DiagnosticKind::source;
  else return false;
  return true;
}

const char* kind_name(dataplane::DiagnosticKind k) {
  switch (k) {
    case dataplane::DiagnosticKind::echo: return "echo";
    case dataplane::DiagnosticKind::discard: return "discard";
    case dataplane::DiagnosticKind::source: return "source";
  }
  return "?";
}

std::string endpoint(uint32_t address, uint16_t port) {
  return conf::Ipv4Address{address}.to_string() + ":" + std::to_string(port);
}

constexpr uint64_t kMaxSourceBytes = 1ull << 40;

}  // namespace

struct TcpService::Snapshot {
  uint32_t request = 0;
  uint32_t limit = 0;
  int64_t deadline_ms = 0;
  std::size_t waiting = 0;
  std::vector<std::vector<dataplane::TcpConnectionInfo>> per_worker;
  std::vector<bool> answered;
  CommandDone done;
};

TcpService::TcpService(const conf::Config& config, const dataplane::RouteTable& routes,
                       dataplane::WorkerPool& workers)
    : config_(config), routes_(routes), workers_(workers), services_(dataplane::kMaxTcpServices) {}

// Buffers handed to workers must outlive them; the pool stops first. A
// reply still pending is dropped, not sent: the control socket and the
// console it would go to are destroyed before this service.
TcpService::~TcpService() = default;

bool TcpService::post_to_all(const dataplane::ControlCommand& command, std::string* error) {
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    if (!workers_.channel(w).post_command(command)) {
      *error = "worker " + std::to_string(w) + "'s command ring is full; try again";
      return false;
    }
  }
  return true;
}

void TcpService::register_commands(CommandRegistry& registry) {
  registry.add({{"show", "tcp"}, "", "TCP counters of all workers: connections by state, retransmissions, SYN cookies, drops",
                0, 0, [this](const CommandArgs&, CommandReply& r) { r.text = show_counters(); }});
  registry.add({{"show", "tcp", "services"}, "", "the diagnostic TCP services and their counters", 0, 0,
                [this](const CommandArgs&, CommandReply& r) { r.text = show_services(); }});
  CommandSpec connections{{"show", "tcp", "connections"}, "[limit N]",
                          "every worker's TCP connections (default limit 100)", 0, 2, nullptr};
  connections.run_async = [this](const CommandArgs& args, CommandDone done) {
    uint64_t limit = kDefaultConnectionLimit;
    if (!args.empty()) {
      if (args.size() != 2 || args[0] != "limit" || !parse_u64(args[1], kMaxConnectionLimit, &limit) || limit == 0) {
        CommandReply r;
        r.fail("usage: show tcp connections [limit N], N in 1.." + std::to_string(kMaxConnectionLimit));
        return done(std::move(r));
      }
    }
    start_snapshot(static_cast<uint32_t>(limit), std::move(done));
  };
  registry.add(std::move(connections));
  registry.add({{"tcp", "listen"}, "PORT SERVICE [bytes N]",
                "run a diagnostic SERVICE (echo, discard, or source of N pattern bytes) on PORT of every worker", 2, 4,
                [this](const CommandArgs& a, CommandReply& r) { listen(a, r); }});
  registry.add({{"tcp", "unlisten"}, "PORT", "stop a diagnostic service from accepting connections", 1, 1,
                [this](const CommandArgs& a, CommandReply& r) { unlisten(a, r); }});
  registry.add({{"tcp", "connect"}, "ADDRESS PORT SERVICE [bytes N]",
                "open a TCP connection from one worker and run a diagnostic SERVICE (echo, discard, source) on it", 3, 5,
                [this](const CommandArgs& a, CommandReply& r) { connect(a, r); }});
}

std::string TcpService::show_counters() const {
  using dataplane::TcpCounters;
  std::vector<const TcpCounters*> per;
  for (std::size_t w = 0; w < workers_.size(); ++w) per.push_back(&workers_.counters(w).tcp);
  auto sum = [&](auto field) {
    uint64_t total = 0;
    for (const TcpCounters* c : per) total += field(*c).get();
    return total;
  };
  std::string out = "connections by state (all workers";
  if (per.size() > 1) {
    out += "; per worker";
    for (std::size_t w = 0; w < per.size(); ++w) out += " " + std::to_string(w);
  }
  out += ")\n";
  for (std::size_t s = 2; s < dataplane::kTcpStateCount; ++s) {  // no connection is ever closed or listening
    const auto state = static_cast<dataplane::TcpState>(s);
    uint64_t total = 0;
    std::string split;
    for (const TcpCounters* c : per) {
      const uint64_t v = c->in_state[s].get();
      total += v;
      split += " " + std::to_string(v);
    }
    out += "  " + std::string(dataplane::tcp_state_name(state)) + " " + std::to_string(total);
    if (per.size() > 1) out += "  (" + split.substr(1) + ")";
    out += "\n";
  }
  struct Row {
    const char* name;
    dataplane::Counter TcpCounters::*field;
  };
  static constexpr Row rows[] = {
      {"active-opens", &TcpCounters::active_opens},
      {"passive-opens", &TcpCounters::passive_opens},
      {"segments-in", &TcpCounters::segments_in},
      {"segments-out", &TcpCounters::segments_out},
      {"bytes-in", &TcpCounters::bytes_in},
      {"bytes-out", &TcpCounters::bytes_out},
      {"retransmits", &TcpCounters::retransmits},
      {"fast-retransmits", &TcpCounters::fast_retransmits},
      {"rto-expiries", &TcpCounters::rto_expiries},
      {"spurious-recoveries", &TcpCounters::spurious_recoveries},
      {"tail-loss-probes", &TcpCounters::tail_loss_probes},
      {"syn-retransmits", &TcpCounters::syn_retransmits},
      {"resets-sent", &TcpCounters::resets_sent},
      {"resets-received", &TcpCounters::resets_received},
      {"challenge-acks", &TcpCounters::challenge_acks},
      {"challenge-acks-limited", &TcpCounters::challenge_acks_limited},
      {"syn-cookies-sent", &TcpCounters::syn_cookies_sent},
      {"syn-cookies-validated", &TcpCounters::syn_cookies_validated},
      {"timeouts", &TcpCounters::timeouts},
      {"keepalive-probes", &TcpCounters::keepalive_probes},
      {"zero-window-probes", &TcpCounters::zero_window_probes},
      {"orphans-reset", &TcpCounters::orphans_reset},
      {"time-wait-reused", &TcpCounters::time_wait_reused},
      {"vip-resets", &TcpCounters::vip_resets},
      {"out-of-order", &TcpCounters::out_of_order},
      {"window-clamps", &TcpCounters::window_clamps},
  };
  out += "counters\n";
  for (const Row& row : rows) {
    out += "  " + std::string(row.name) + " " +
           std::to_string(sum([&](const TcpCounters& c) -> const dataplane::Counter& { return c.*(row.field); })) + "\n";
  }
  out += "drops\n";
  for (std::size_t r = 0; r < dataplane::kTcpDropReasonCount; ++r) {
    out += "  " + std::string(dataplane::tcp_drop_reason_name(static_cast<dataplane::TcpDropReason>(r))) + " " +
           std::to_string(sum([&](const TcpCounters& c) -> const dataplane::Counter& { return c.drops[r]; })) + "\n";
  }
  return out;
}

std::string TcpService::show_services() const {
  std::string out;
  for (std::size_t slot = 0; slot < services_.size(); ++slot) {
    const Service& s = services_[slot];
    if (!s.listening && !s.active && s.port == 0) continue;
    auto sum = [&](dataplane::Counter dataplane::TcpServiceCounters::*field) {
      uint64_t total = 0;
      for (std::size_t w = 0; w < workers_.size(); ++w) total += (workers_.counters(w).tcp_services[slot].*field).get();
      return std::to_string(total);
    };
    using C = dataplane::TcpServiceCounters;
    out += "service " + std::to_string(slot) + "  " +
           (s.active ? "connect " + endpoint(s.remote, s.port) : std::string("listen ") + std::to_string(s.port) +
                                                                    (s.listening ? "" : " (stopped)")) +
           "  " + kind_name(s.kind) +
           (s.kind == dataplane::DiagnosticKind::source ? " bytes " + std::to_string(s.bytes) : std::string()) + "\n";
    out += "  connections " + sum(&C::connections) + "  open " + sum(&C::open) + "  completed " + sum(&C::completed) +
           "  failed " + sum(&C::failed) + "  bytes-in " + sum(&C::bytes_in) + "  bytes-out " + sum(&C::bytes_out) +
           "  pattern-errors " + sum(&C::pattern_errors) + "\n";
  }
  if (out.empty()) out = "no diagnostic TCP services (see tcp listen, tcp connect)\n";
  return out;
}

void TcpService::listen(const CommandArgs& a, CommandReply& reply) {
  uint64_t port = 0;
  dataplane::DiagnosticKind kind;
  uint64_t bytes = 0;
  if (!parse_u64(a[0], 65535, &port) || port == 0) return reply.fail("'" + a[0] + "' is not a port (1..65535)");
  if (!parse_kind(a[1], &kind)) return reply.fail("'" + a[1] + "' is not a service: echo, discard or source");
  if (a.size() == 3 || (a.size() == 4 && (a[2] != "bytes" || !parse_u64(a[3], kMaxSourceBytes, &bytes)))) {
    return reply.fail("expected 'bytes N' with N up to " + std::to_string(kMaxSourceBytes));
  }
  if (kind == dataplane::DiagnosticKind::source && a.size() != 4) return reply.fail("source needs 'bytes N'");
  if (port >= config_.tcp.local_port_first && port <= config_.tcp.local_port_last) {
    return reply.fail("port " + a[0] + " is inside tcp.local_ports (" + std::to_string(config_.tcp.local_port_first) +
                      ".." + std::to_string(config_.tcp.local_port_last) + "), reserved for connections dplb opens");
  }
  for (const Service& s : services_) {
    if (s.listening && s.port == port) return reply.fail("port " + a[0] + " already has a service");
  }
  auto slot = std::find_if(services_.begin(), services_.end(),
                           [](const Service& s) { return !s.listening && !s.active && s.port == 0; });
  if (slot == services_.end()) {
    return reply.fail("all " + std::to_string(services_.size()) + " diagnostic service slots are used");
  }
  dataplane::ControlCommand c;
  c.kind = dataplane::ControlCommand::Kind::tcp_listen;
  c.tcp_port = static_cast<uint16_t>(port);
  c.service_kind = static_cast<uint8_t>(kind);
  c.service_slot = static_cast<uint8_t>(slot - services_.begin());
  c.service_bytes = bytes;
  std::string error;
  if (!post_to_all(c, &error)) return reply.fail(error);
  *slot = Service{true, false, kind, static_cast<uint16_t>(port), 0, bytes};
  reply.line("listening on port " + a[0] + " (" + kind_name(kind) + ") on " + std::to_string(workers_.size()) +
             " worker(s)");
}

void TcpService::unlisten(const CommandArgs& a, CommandReply& reply) {
  uint64_t port = 0;
  if (!parse_u64(a[0], 65535, &port) || port == 0) return reply.fail("'" + a[0] + "' is not a port (1..65535)");
  for (Service& s : services_) {
    if (!s.listening || s.port != port) continue;
    dataplane::ControlCommand c;
    c.kind = dataplane::ControlCommand::Kind::tcp_unlisten;
    c.tcp_port = static_cast<uint16_t>(port);
    std::string error;
    if (!post_to_all(c, &error)) return reply.fail(error);
    s.listening = false;  // the slot keeps its counters
    reply.line("port " + a[0] + " no longer accepts connections; open ones run to their end");
    return;
  }
  reply.fail("no service listens on port " + a[0]);
}

void TcpService::connect(const CommandArgs& a, CommandReply& reply) {
  const auto address = conf::parse_ipv4(a[0]);
  uint64_t port = 0;
  dataplane::DiagnosticKind kind;
  uint64_t bytes = 0;
  if (!address) return reply.fail("'" + a[0] + "' is not an IPv4 address");
  if (!parse_u64(a[1], 65535, &port) || port == 0) return reply.fail("'" + a[1] + "' is not a port (1..65535)");
  if (!parse_kind(a[2], &kind)) return reply.fail("'" + a[2] + "' is not a service: echo, discard or source");
  if (a.size() == 4 || (a.size() == 5 && (a[3] != "bytes" || !parse_u64(a[4], kMaxSourceBytes, &bytes)))) {
    return reply.fail("expected 'bytes N' with N up to " + std::to_string(kMaxSourceBytes));
  }
  if (kind == dataplane::DiagnosticKind::source && a.size() != 5) return reply.fail("source needs 'bytes N'");
  if (!routes_.lookup(address->value)) return reply.fail("no route to " + a[0]);
  // The same target and service share a slot, so repeated connects add up.
  auto slot = std::find_if(services_.begin(), services_.end(), [&](const Service& s) {
    return s.active && s.remote == address->value && s.port == port && s.kind == kind && s.bytes == bytes;
  });
  if (slot == services_.end()) {
    slot = std::find_if(services_.begin(), services_.end(),
                        [](const Service& s) { return !s.listening && !s.active && s.port == 0; });
  }
  if (slot == services_.end()) {
    return reply.fail("all " + std::to_string(services_.size()) + " diagnostic service slots are used");
  }
  dataplane::ControlCommand c;
  c.kind = dataplane::ControlCommand::Kind::tcp_connect;
  c.ipv4 = address->value;
  c.tcp_port = static_cast<uint16_t>(port);
  c.service_kind = static_cast<uint8_t>(kind);
  c.service_slot = static_cast<uint8_t>(slot - services_.begin());
  c.service_bytes = bytes;
  const uint32_t worker = next_connect_worker_++ % static_cast<uint32_t>(workers_.size());
  if (!workers_.channel(worker).post_command(c)) return reply.fail("worker's command ring is full; try again");
  *slot = Service{false, true, kind, static_cast<uint16_t>(port), address->value, bytes};
  reply.line("connecting to " + endpoint(address->value, static_cast<uint16_t>(port)) + " from worker " +
             std::to_string(worker) + " (" + kind_name(kind) + "), see show tcp services");
}

void TcpService::start_snapshot(uint32_t limit, CommandDone done) {
  auto s = std::make_unique<Snapshot>();
  s->request = next_request_++;
  s->limit = limit;
  s->deadline_ms = now_ms_ + kSnapshotTimeoutMs;
  s->per_worker.resize(workers_.size());
  s->answered.assign(workers_.size(), false);
  s->done = std::move(done);
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    s->per_worker[w].resize(limit);
    dataplane::ControlCommand c;
    c.kind = dataplane::ControlCommand::Kind::tcp_snapshot;
    c.request = s->request;
    c.buffer = s->per_worker[w].data();
    c.capacity = limit;
    if (workers_.channel(w).post_command(c)) {
      ++s->waiting;
    } else {
      s->per_worker[w].clear();
      s->answered[w] = true;
    }
  }
  if (s->waiting == 0) {
    finish_snapshot(*s);
    return;
  }
  snapshots_.push_back(std::move(s));
}

void TcpService::on_snapshot_done(std::size_t worker, const dataplane::ControlEvent& event) {
  for (auto it = snapshots_.begin(); it != snapshots_.end(); ++it) {
    Snapshot& s = **it;
    if (s.request != event.ipv4 || worker >= s.answered.size() || s.answered[worker]) continue;
    s.answered[worker] = true;
    s.per_worker[worker].resize(std::min<std::size_t>(event.count, s.per_worker[worker].size()));
    if (--s.waiting == 0) {
      finish_snapshot(s);
      snapshots_.erase(it);
    }
    return;
  }
}

void TcpService::finish_snapshot(Snapshot& s) {
  if (!s.done) return;  // answered already (timed out); only waiting for the buffers to be released
  CommandReply r;
  char line[256];
  std::snprintf(line, sizeof(line), "%-6s %-21s %-21s %-12s %7s %8s %8s %8s %8s %8s %5s %6s", "worker", "local",
                "remote", "state", "send-q", "recv-q", "cwnd", "peer-win", "srtt-us", "rto-ms", "mss", "rexmit");
  r.line(line);
  uint32_t shown = 0;
  bool missing = false;
  for (std::size_t w = 0; w < s.per_worker.size(); ++w) {
    if (!s.answered[w]) missing = true;
    if (!s.answered[w]) continue;
    for (const auto& i : s.per_worker[w]) {
      if (shown >= s.limit) break;
      std::snprintf(line, sizeof(line), "%-6zu %-21s %-21s %-12s %7u %8u %8u %8u %8u %8u %5u %6u", w,
                    endpoint(i.tuple.local_address, i.tuple.local_port).c_str(),
                    endpoint(i.tuple.remote_address, i.tuple.remote_port).c_str(),
                    std::string(dataplane::tcp_state_name(i.state)).c_str(), i.send_queued, i.readable, i.cwnd,
                    i.peer_window, i.srtt_us, i.rto_us / 1000, i.mss, i.retransmits);
      r.line(line);
      ++shown;
    }
  }
  r.line(std::to_string(shown) + " connection(s) shown (limit " + std::to_string(s.limit) + ")");
  if (missing) r.line("note: a worker did not answer in time; its connections are missing");
  CommandDone done = std::move(s.done);
  s.done = nullptr;
  done(std::move(r));
}

void TcpService::tick(int64_t now_ms) {
  now_ms_ = now_ms;
  for (auto it = snapshots_.begin(); it != snapshots_.end();) {
    if ((*it)->deadline_ms > now_ms) {
      ++it;
      continue;
    }
    // The buffer stays alive until every worker answered: a late worker may
    // still be writing into it. Only the reply goes now.
    Snapshot& s = **it;
    if (s.done) finish_snapshot(s);
    if (s.waiting == 0) {
      it = snapshots_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace dplb::controlplane
