#include "controlplane/neighbour/ping_service.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "conf/ipv4_address.h"
#include "dataplane/port/flow_redirect.h"
#include "dataplane/net/icmp/icmp_echo_request.h"

namespace dplb::controlplane {

struct PingService::Session {
  PingOptions options;
  CommandDone done;
  dataplane::NextHop hop;
  int64_t started_ms = 0;
  int64_t next_send_ms = 0;
  int64_t last_send_ms = 0;
  uint16_t id_base = 0;  // worker w uses id_base + w, an identifier it owns
  uint32_t sent = 0;
  uint32_t received = 0;
  std::vector<bool> answered;
  double rtt_min = std::numeric_limits<double>::max();
  double rtt_max = 0;
  double rtt_sum = 0;
  CommandReply reply;
  bool finished = false;
};

PingService::PingService(const conf::Config& config, const dataplane::RouteTable& routes,
                         NeighbourService& neighbours, dataplane::WorkerPool& workers)
    : config_(config), routes_(routes), neighbours_(neighbours), workers_(workers) {}

PingService::~PingService() = default;

namespace {

std::string ip_text(uint32_t ipv4) { return conf::Ipv4Address{ipv4}.to_string(); }

bool parse_number(const std::string& text, uint64_t max, uint64_t* out) {
  if (text.empty() || text.size() > 9) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > max) return false;
  *out = value;
  return true;
}

std::string fixed3(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f", v);
  return text;
}

}  // namespace

void PingService::register_commands(CommandRegistry& registry) {
  CommandSpec spec{{"ping"}, "ADDRESS [count N] [size BYTES] [interval MS]",
                   "send ICMP echo requests from the appliance and report the replies", 1, 7, nullptr};
  spec.run_async = [this](const CommandArgs& args, CommandDone done) {
    CommandReply reply;
    PingOptions options;
    auto address = conf::parse_ipv4(args[0]);
    if (!address) {
      reply.fail("'" + args[0] + "' is not an IPv4 address");
      return done(std::move(reply));
    }
    options.target = address->value;
    if (args.size() % 2 == 0) {
      reply.fail("options come in pairs: count N, size BYTES, interval MS");
      return done(std::move(reply));
    }
    for (std::size_t i = 1; i + 1 < args.size(); i += 2) {
      uint64_t value = 0;
      const std::string& key = args[i];
      const std::string& text = args[i + 1];
      if (key == "count" && parse_number(text, 1000, &value) && value >= 1) {
        options.count = static_cast<uint32_t>(value);
      } else if (key == "size" && parse_number(text, 9000, &value) && value >= dataplane::kEchoTimestampBytes) {
        options.data_bytes = static_cast<uint32_t>(value);
      } else if (key == "interval" && parse_number(text, 10000, &value) && value >= 10) {
        options.interval_ms = static_cast<int64_t>(value);
      } else {
        reply.fail("bad option '" + key + " " + text +
                   "': count is 1..1000, size 8..9000 bytes of data, interval 10..10000 ms");
        return done(std::move(reply));
      }
    }
    if (static_cast<int64_t>(options.count - 1) * options.interval_ms > kMaxDurationMs) {
      reply.fail("count x interval exceeds " + std::to_string(kMaxDurationMs / 1000) + " s");
      return done(std::move(reply));
    }
    start(options, std::move(done));
  };
  registry.add(std::move(spec));
}

void PingService::start(const PingOptions& options, CommandDone done) {
  CommandReply reply;
  auto hop = routes_.lookup(options.target);
  if (!hop) {
    reply.fail("no route to " + ip_text(options.target));
    return done(std::move(reply));
  }
  const auto& port = config_.ports[hop->port];
  if (options.target == port.address.address.value) {
    reply.fail(ip_text(options.target) + " is port '" + port.name + "' own address");
    return done(std::move(reply));
  }
  if (options.data_bytes + 28 > port.mtu) {
    reply.fail("size " + std::to_string(options.data_bytes) + " does not fit port '" + port.name + "' mtu " +
               std::to_string(port.mtu) + " (at most " + std::to_string(port.mtu - 28) + ")");
    return done(std::move(reply));
  }
  const uint32_t workers = static_cast<uint32_t>(workers_.size());
  auto s = std::make_unique<Session>();
  s->options = options;
  s->done = std::move(done);
  s->hop = *hop;
  s->started_ms = now_ms_;
  s->next_send_ms = now_ms_;
  // Sessions take consecutive blocks of `workers` identifiers, so identifier
  // id_base + w is owned by worker w.
  s->id_base = static_cast<uint16_t>((next_session_++ * workers) % (65536 / workers * workers));
  s->answered.assign(options.count, false);
  s->reply.line("PING " + ip_text(options.target) + ": " + std::to_string(options.data_bytes) + " data bytes from " +
                port.address.address.to_string() + " port " + port.name +
                (hop->neighbour != options.target ? " via " + ip_text(hop->neighbour) : ""));
  sessions_.push_back(std::move(s));
  tick(now_ms_);
}

void PingService::on_reply(const dataplane::ControlEvent& e) {
  const uint32_t workers = static_cast<uint32_t>(workers_.size());
  for (auto& s : sessions_) {
    if (s->finished || e.echo_id < s->id_base || e.echo_id >= s->id_base + workers) continue;
    if (e.ipv4 != s->options.target || e.echo_sequence == 0 || e.echo_sequence > s->options.count) continue;
    const uint32_t index = e.echo_sequence - 1u;
    const double ms = e.rtt_ns / 1e6;
    const bool duplicate = s->answered[index];
    s->reply.line(std::to_string(e.echo_bytes) + " bytes from " + ip_text(e.ipv4) + ": icmp_seq=" +
                  std::to_string(e.echo_sequence) + " ttl=" + std::to_string(e.ttl) + " time=" + fixed3(ms) +
                  " ms worker=" + std::to_string(dataplane::owner_of_local_id(e.echo_id, workers)) +
                  (duplicate ? " (DUP!)" : ""));
    if (duplicate) continue;
    s->answered[index] = true;
    ++s->received;
    s->rtt_min = std::min(s->rtt_min, ms);
    s->rtt_max = std::max(s->rtt_max, ms);
    s->rtt_sum += ms;
  }
}

void PingService::finish(Session& s) {
  s.finished = true;
  const uint32_t lost = s.sent - s.received;
  s.reply.line("--- " + ip_text(s.options.target) + " ping statistics ---");
  s.reply.line(std::to_string(s.sent) + " packets transmitted, " + std::to_string(s.received) + " received, " +
               std::to_string(s.sent ? lost * 100 / s.sent : 0) + "% packet loss");
  if (s.received > 0) {
    s.reply.line("rtt min/avg/max = " + fixed3(s.rtt_min) + "/" + fixed3(s.rtt_sum / s.received) + "/" +
                 fixed3(s.rtt_max) + " ms");
  } else {
    s.reply.ok = false;  // like ping(8): no answer is a failure
    if (!neighbours_.resolved(s.hop.neighbour)) {
      s.reply.line("error: " + ip_text(s.hop.neighbour) + " did not answer ARP on port '" +
                   config_.ports[s.hop.port].name + "' (host unreachable)");
    }
  }
  CommandDone done = std::move(s.done);
  done(std::move(s.reply));
}

void PingService::tick(int64_t now_ms) {
  now_ms_ = now_ms;
  const uint32_t workers = static_cast<uint32_t>(workers_.size());
  for (auto& s : sessions_) {
    if (s->finished) continue;
    while (s->sent < s->options.count && now_ms >= s->next_send_ms) {
      const uint32_t worker = s->sent % workers;
      dataplane::ControlCommand c;
      c.kind = dataplane::ControlCommand::Kind::send_echo;
      c.port = static_cast<uint8_t>(s->hop.port);
      c.echo_id = static_cast<uint16_t>(s->id_base + worker);
      c.echo_sequence = static_cast<uint16_t>(s->sent + 1);
      c.echo_data_bytes = static_cast<uint16_t>(s->options.data_bytes);
      c.ipv4 = s->options.target;
      c.next_hop = s->hop.neighbour;
      workers_.channel(worker).post_command(c);
      ++s->sent;
      s->last_send_ms = now_ms;
      s->next_send_ms += s->options.interval_ms;
    }
    // The first request may wait for ARP (up to the table's retries) in the worker.
    const int64_t wait_ms = std::max<int64_t>(s->received == 0 ? kResolveTimeoutMs : 1000, s->options.interval_ms);
    if (s->sent == s->options.count && (s->received == s->sent || now_ms - s->last_send_ms >= wait_ms)) finish(*s);
  }
  std::erase_if(sessions_, [](const std::unique_ptr<Session>& s) { return s->finished; });
}

}  // namespace dplb::controlplane
