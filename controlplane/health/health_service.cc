#include "controlplane/health/health_service.h"

#include <algorithm>
#include <charconv>

#include "controlplane/logger.h"
#include "controlplane/proxy/proxy_service.h"
#include "dataplane/health/health_probe.h"
#include "dataplane/proxy/proxy_counters.h"
#include "dataplane/tls/tls_failure.h"
#include "dataplane/proxy/proxy_snapshot.h"
#include "dataplane/worker/worker_pool.h"

namespace dplb::controlplane {
namespace {

// What an HTTP check sends: HAProxy's httpchk shape, HTTP/1.0 unless a Host
// is configured (a Host needs HTTP/1.1), and always a close.
std::string check_request(const conf::HealthCheckConfig& hc) {
  if (hc.type != conf::HealthCheckType::http) return "";
  std::string r = hc.method + " " + hc.path;
  if (hc.host.empty()) {
    r += " HTTP/1.0\r\n";
  } else {
    r += " HTTP/1.1\r\nHost: " + hc.host + "\r\n";
  }
  r += "User-Agent: dplb-health-check\r\nConnection: close\r\n\r\n";
  return r;
}

CheckOutcome outcome_of(const dataplane::ControlEvent& e, const conf::HealthCheckConfig& hc) {
  CheckOutcome o;
  o.duration_ms = e.count / 1000;
  switch (static_cast<dataplane::ProbeOutcome>(e.port)) {
    case dataplane::ProbeOutcome::l4_ok:
      o.result = CheckResult::l4ok;
      break;
    case dataplane::ProbeOutcome::l4_timeout:
      o.result = CheckResult::l4tout;
      break;
    case dataplane::ProbeOutcome::l4_refused:
      o.result = CheckResult::l4con;
      o.info = "Connection refused";
      break;
    case dataplane::ProbeOutcome::l7_status:
      o.http_status = e.echo_id;
      o.result = classify_http_status(e.echo_id, hc.expect_status);
      break;
    case dataplane::ProbeOutcome::l7_timeout:
      o.result = CheckResult::l7tout;
      break;
    case dataplane::ProbeOutcome::l7_invalid:
      o.result = CheckResult::l7rsp;
      o.info = "not an HTTP response";
      break;
    case dataplane::ProbeOutcome::l6_ok:
      o.result = CheckResult::l6ok;
      break;
    case dataplane::ProbeOutcome::l6_timeout:
      o.result = CheckResult::l6tout;
      o.info = "TLS handshake timeout";
      break;
    case dataplane::ProbeOutcome::l6_failed:
      o.result = CheckResult::l6rsp;
      o.info = "TLS handshake failed: " +
               std::string(dataplane::tls_failure_name(static_cast<dataplane::TlsFailure>(
                   e.echo_id < dataplane::kTlsFailureCount ? e.echo_id : 0)));
      break;
  }
  return o;
}

LogLevel level_of(const HealthEvent& e) { return e.level; }

}  // namespace

HealthService::HealthService(const conf::Config& config, dataplane::WorkerPool& workers, ProxyService& proxy,
                             int64_t now_ms)
    : config_(config), workers_(workers), proxy_(proxy), scheduler_(config.backends, now_ms), now_ms_(now_ms) {
  for (const auto& b : config.backends) {
    requests_.push_back(check_request(b.health_check));
    observed_.emplace_back(b.servers.size());
  }
  published_version_ = scheduler_.version();
  proxy_.set_health_source([this] { return check_views(now_ms_); });
}

void HealthService::start(int64_t now_ms) {
  now_ms_ = now_ms;
  scheduler_.start(now_ms);
}

void HealthService::tick(int64_t now_ms) {
  now_ms_ = now_ms;
  scheduler_.tick(now_ms);
  for (const Probe& probe : scheduler_.due(now_ms)) {
    const conf::BackendConfig& b = config_.backends[probe.server.backend];
    const conf::ServerConfig& s = b.servers[probe.server.server];
    const uint32_t id = next_id_++;
    dataplane::ControlCommand c;
    c.kind = dataplane::ControlCommand::Kind::health_probe;
    c.ipv4 = s.address.address.value;
    c.tcp_port = s.check_port != 0 ? s.check_port : s.address.port;
    c.request = id;
    c.capacity = static_cast<uint32_t>(std::max<int64_t>(probe.deadline_ms - probe.start_ms, 1));
    const std::string& http = requests_[probe.server.backend];
    c.buffer = http.empty() ? nullptr : const_cast<char*>(http.data());
    c.service_bytes = http.size();
    if (s.tls.enabled && s.tls.check_ssl) {
      c.service_kind = dataplane::kProbeOverTls;
      c.echo_id = static_cast<uint16_t>(probe.server.backend);
      c.echo_sequence = static_cast<uint16_t>(probe.server.server);
    }
    // Servers are spread over the workers, so one worker's stack does not
    // carry every check.
    const std::size_t worker = (probe.server.backend * 31 + probe.server.server) % workers_.size();
    if (workers_.channel(worker).post_command(c)) {
      pending_[id] = Pending{probe.server, probe.sequence};
      ++probes_sent_;
    } else {
      // The scheduler gives the probe up after its deadline and tries again.
      ++probes_not_posted_;
    }
  }
  observe_traffic(now_ms);
  publish_if_changed(now_ms);
}

// HAProxy's `observe`: what the workers saw of each server since the last
// tick, from their counters. The order of successes and errors within one
// tick is not known, so errors count as consecutive only across ticks
// without a single success: a server failing every request is caught after
// error_limit errors, one failing some of them is not (a false positive
// would take a working server out).
void HealthService::observe_traffic(int64_t now_ms) {
  for (uint32_t b = 0; b < config_.backends.size(); ++b) {
    const conf::HealthCheckConfig& hc = config_.backends[b].health_check;
    if (hc.observe == conf::ObserveMode::none) continue;
    for (uint32_t s = 0; s < config_.backends[b].servers.size(); ++s) {
      Observed now;
      for (std::size_t w = 0; w < workers_.size(); ++w) {
        const dataplane::ServerCounters& c = workers_.proxy_counters(w).servers[b][s];
        now.sent += c.total.get();
        now.connect_errors += c.connect_errors.get();
        for (std::size_t k = 0; k < 4; ++k) now.good += c.responses[k].get();
        now.bad += c.responses[4].get() + c.response_errors.get() + c.server_aborts.get();
      }
      Observed& before = observed_[b][s];
      const ServerId id{b, s};
      const uint64_t errors = hc.observe == conf::ObserveMode::layer4
                                  ? now.connect_errors - before.connect_errors
                                  : (now.connect_errors - before.connect_errors) + (now.bad - before.bad);
      const uint64_t successes = hc.observe == conf::ObserveMode::layer4 ? now.sent - before.sent : now.good - before.good;
      const Observation failure = hc.observe == conf::ObserveMode::layer4 || now.bad == before.bad
                                      ? Observation::connect_failed
                                      : Observation::http_error;
      const Observation success = hc.observe == conf::ObserveMode::layer4 ? Observation::connected : Observation::http_ok;
      before = now;
      if (!config_.backends[b].servers[s].check) continue;
      const uint64_t feed = std::min<uint64_t>(errors, hc.error_limit);
      for (uint64_t i = 0; i < feed; ++i) log_events(scheduler_.observe(id, failure, now_ms));
      if (successes > 0) log_events(scheduler_.observe(id, success, now_ms));
    }
  }
}

void HealthService::on_result(std::size_t, const dataplane::ControlEvent& event, int64_t now_ms) {
  now_ms_ = now_ms;
  auto it = pending_.find(event.ipv4);
  if (it == pending_.end()) return;
  const Pending p = it->second;
  pending_.erase(it);
  const CheckOutcome outcome = outcome_of(event, config_.backends[p.server.backend].health_check);
  log_events(scheduler_.complete(p.server, p.sequence, outcome, now_ms));
  publish_if_changed(now_ms);
}

void HealthService::log_events(const std::vector<HealthEvent>& events) {
  for (const HealthEvent& e : events) log(level_of(e), e.message);
}

void HealthService::publish_if_changed(int64_t) {
  if (scheduler_.version() == published_version_) return;
  const auto states = scheduler_.runtime_states();
  const uint64_t version = proxy_.current()->version + 1;
  std::string error = proxy_.publish(
      dataplane::build_proxy_snapshot(config_, version, static_cast<uint32_t>(workers_.size()), &states,
                                      proxy_.current()->wall_offset_us));
  if (!error.empty()) {
    log_error("health: cannot publish server states: " + error);
    return;
  }
  published_version_ = scheduler_.version();
}

std::vector<std::vector<ServerCheckView>> HealthService::check_views(int64_t now_ms) const {
  std::vector<std::vector<ServerCheckView>> out(scheduler_.backend_count());
  for (uint32_t b = 0; b < scheduler_.backend_count(); ++b) {
    for (uint32_t s = 0; s < scheduler_.server_count(b); ++s) {
      const ServerHealth& h = scheduler_.server(ServerId{b, s});
      ServerCheckView v;
      v.state = h.state_text();
      v.checked = h.checks_enabled();
      const CheckOutcome& last = h.last_check();
      if (last.result != CheckResult::init) v.check_status = check_result_code(last.result);
      v.check_code = last.http_status;
      v.check_duration_ms = last.duration_ms;
      v.check_info = last.info;
      v.chkfail = h.checks_failed();
      v.chkdown = h.down_transitions();
      v.lastchg_s = (now_ms - h.last_change_ms()) / 1000;
      v.downtime_s = h.downtime_ms(now_ms) / 1000;
      v.weight = h.weight();
      v.effective_weight = h.effective_weight(now_ms);
      out[b].push_back(std::move(v));
    }
  }
  return out;
}

std::optional<ServerId> HealthService::parse_server(std::string_view text, CommandReply& reply) const {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    reply.fail("'" + std::string(text) + "' is not BACKEND/SERVER");
    return std::nullopt;
  }
  auto id = scheduler_.find(text.substr(0, slash), text.substr(slash + 1));
  if (!id) reply.fail("no server '" + std::string(text) + "' (see show servers)");
  return id;
}

void HealthService::set_server(const CommandArgs& args, CommandReply& reply) {
  auto id = parse_server(args[0], reply);
  if (!id) return;
  HealthCommandResult result;
  if (args[1] == "state") {
    if (args[2] == "ready") {
      result = scheduler_.set_admin(*id, AdminState::ready, now_ms_);
    } else if (args[2] == "drain") {
      result = scheduler_.set_admin(*id, AdminState::drain, now_ms_);
    } else if (args[2] == "maint") {
      result = scheduler_.set_admin(*id, AdminState::maint, now_ms_);
    } else {
      reply.fail("state '" + std::string(args[2]) + "' is not one of ready, drain, maint");
      return;
    }
  } else if (args[1] == "weight") {
    uint32_t weight = 0;
    const std::string_view w = args[2];
    auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), weight);
    if (ec != std::errc() || end != w.data() + w.size() || weight > 256) {
      reply.fail("weight '" + std::string(w) + "' is not an integer 0..256");
      return;
    }
    result = scheduler_.set_weight(*id, weight, now_ms_);
  } else {
    reply.fail("'" + std::string(args[1]) + "' is not one of state, weight");
    return;
  }
  if (!result.error.empty()) {
    reply.fail(result.error);
    return;
  }
  log_events(result.events);
  publish_if_changed(now_ms_);
  reply.text = "server " + std::string(args[0]) + ": " + scheduler_.server(*id).state_text() + "\n";
}

void HealthService::health_switch(const CommandArgs& args, CommandReply& reply, bool enable) {
  auto id = parse_server(args[0], reply);
  if (!id) return;
  HealthCommandResult result = enable ? scheduler_.enable_checks(*id, now_ms_) : scheduler_.disable_checks(*id, now_ms_);
  if (!result.error.empty()) {
    reply.fail(result.error);
    return;
  }
  log_events(result.events);
  publish_if_changed(now_ms_);
  reply.text = "server " + std::string(args[0]) + ": checks " + (enable ? "enabled" : "disabled") + ", " +
               scheduler_.server(*id).state_text() + "\n";
}

void HealthService::register_commands(CommandRegistry& registry) {
  registry.add({{"set", "server"}, "BACKEND/SERVER WHAT VALUE",
                "WHAT is state (VALUE ready, drain or maint: an operator state) or weight (VALUE 0..256)",
                3, 3, [this](const CommandArgs& a, CommandReply& r) { set_server(a, r); }});
  registry.add({{"enable", "health"}, "BACKEND/SERVER", "resume a server's health checks", 1, 1,
                [this](const CommandArgs& a, CommandReply& r) { health_switch(a, r, true); }});
  registry.add({{"disable", "health"}, "BACKEND/SERVER",
                "stop a server's health checks; it keeps the state it has", 1, 1,
                [this](const CommandArgs& a, CommandReply& r) { health_switch(a, r, false); }});
}

}  // namespace dplb::controlplane
