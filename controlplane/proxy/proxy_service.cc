#include "controlplane/proxy/proxy_service.h"

#include <algorithm>
#include <cstdio>

#include "conf/did_you_mean.h"
#include "conf/ipv4_address.h"
#include "controlplane/control_loop.h"
#include "controlplane/logger.h"
#include "controlplane/proxy/proxy_report.h"
#include "controlplane/proxy/rules_report.h"
#include "controlplane/worker_clock.h"

namespace dplb::controlplane {

namespace {

bool parse_limit(const std::string& text, uint32_t max, uint32_t* out) {
  if (text.empty() || text.size() > 9) return false;
  uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0 || v > max) return false;
  *out = v;
  return true;
}

std::string endpoint(uint32_t address, uint16_t port) {
  return conf::Ipv4Address{address}.to_string() + ":" + std::to_string(port);
}

}  // namespace

struct ProxyService::SessionListing {
  uint32_t request = 0;
  uint32_t limit = 0;
  int64_t deadline_ms = 0;
  std::size_t waiting = 0;
  std::vector<std::vector<dataplane::ProxySessionInfo>> per_worker;
  std::vector<bool> answered;
  CommandDone done;
};

SnapshotHistory ProxyService::make_history(std::unique_ptr<const dataplane::ProxySnapshot> first) {
  // Every worker reading the snapshot acknowledges versions; the snapshot says how many there are.
  const std::size_t workers = first->workers;
  return SnapshotHistory(std::move(first), workers);
}

ProxyService::ProxyService(const conf::Config& config, std::unique_ptr<const dataplane::ProxySnapshot> first)
    : config_(config),
      history_(make_history(std::move(first))),
      posted_(history_.workers(), history_.current_version()) {}

ProxyService::~ProxyService() {
  // The service outlives the pool, so lent buffers are free to go. The
  // pending replies are dropped, not sent: the console and the control
  // socket their callbacks point into are gone by now.
  for (auto& l : listings_) l->done = nullptr;
}

void ProxyService::attach(dataplane::WorkerPool& workers) {
  workers_ = &workers;
  posted_.resize(workers.size(), 0);  // a worker the first snapshot did not count is told at once
}

std::string ProxyService::publish(std::unique_ptr<const dataplane::ProxySnapshot> next) {
  if (next == nullptr) return "no snapshot";
  const dataplane::ProxySnapshot& now = history_.current();
  if (next->version <= now.version) {
    return "snapshot version " + std::to_string(next->version) + " is not newer than the current version " +
           std::to_string(now.version);
  }
  // Workers index frontends, backends and servers by position; a snapshot
  // with another shape would make them read past the end of a vector.
  bool same_shape = next->frontends.size() == now.frontends.size() && next->backends.size() == now.backends.size();
  for (std::size_t b = 0; same_shape && b < now.backends.size(); ++b) {
    same_shape = next->backends[b].servers.size() == now.backends[b].servers.size();
  }
  if (!same_shape) {
    return "snapshot version " + std::to_string(next->version) + " has other frontends, backends or servers";
  }
  history_.publish(std::move(next));
  published_ms_ = monotonic_ms();
  post_pending();
  return "";
}

void ProxyService::post_pending() {
  if (workers_ == nullptr) return;
  const uint64_t version = history_.current_version();
  dataplane::ControlCommand c;
  c.kind = dataplane::ControlCommand::Kind::proxy_snapshot;
  c.buffer = const_cast<dataplane::ProxySnapshot*>(&history_.current());
  c.service_bytes = version;
  for (std::size_t w = 0; w < workers_->size() && w < posted_.size(); ++w) {
    if (posted_[w] >= version) continue;
    // A full ring keeps posted_[w] behind; the next tick tries again.
    if (workers_->channel(w).post_command(c)) posted_[w] = version;
  }
}

std::size_t ProxyService::pending_posts() const {
  const uint64_t version = history_.current_version();
  return static_cast<std::size_t>(
      std::count_if(posted_.begin(), posted_.end(), [version](uint64_t v) { return v < version; }));
}

void ProxyService::on_adopted(std::size_t worker, const dataplane::ControlEvent& event) {
  history_.adopted(worker, event.count);
  // How long a server-table change took to reach every worker: the figure
  // behind "no request goes to a server whose DOWN was published".
  const uint64_t version = history_.current_version();
  if (version > 1 && version != measured_version_ && history_.oldest_needed() >= version) {
    measured_version_ = version;
    last_spread_ms_ = monotonic_ms() - published_ms_;
    max_spread_ms_ = std::max(max_spread_ms_, last_spread_ms_);
    log_info("server table version " + std::to_string(version) + " reached every worker in " +
             std::to_string(last_spread_ms_) + " ms");
  }
}

ProxyView ProxyService::view() const {
  ProxyView v{config_, history_.current(), {}, 0};
  if (workers_ != nullptr) {
    for (std::size_t w = 0; w < workers_->size(); ++w) v.workers.push_back(&workers_->proxy_counters(w));
    v.now_us = worker_clock_us();
  }
  if (health_source_) v.health = health_source_();
  return v;
}

void ProxyService::register_commands(CommandRegistry& registry) {
  registry.add({{"show", "frontends"}, "",
                "per frontend: binds, backend, sessions, requests, responses by class, errors, bytes", 0, 0,
                [this](const CommandArgs&, CommandReply& r) { r.text += report_frontends(view()); }});
  registry.add({{"show", "backends"}, "",
                "per backend: algorithm, usable servers, requests, queue, errors, retries, responses, bytes", 0, 0,
                [this](const CommandArgs&, CommandReply& r) { r.text += report_backends(view()); }});
  registry.add({{"show", "servers"}, "[BACKEND]",
                "per server: address, state, weight, in-flight, queue, connections, errors, responses", 0, 1,
                [this](const CommandArgs& a, CommandReply& r) { show_servers(a, r); }});
  registry.add({{"show", "stat"}, "", "HAProxy's show stat CSV: frontends, servers and backends", 0, 0,
                [this](const CommandArgs&, CommandReply& r) { r.text += report_stat_csv(view()); }});
  registry.add({{"show", "acl"}, "[FRONTEND|BACKEND]", "the named ACLs of each frontend and backend, as written", 0,
                1, [this](const CommandArgs& a, CommandReply& r) {
                  std::string problem;
                  std::string text = report_acls(view(), a.empty() ? "" : a[0], &problem);
                  if (!problem.empty()) return r.fail(problem);
                  r.text += text;
                }});
  registry.add({{"show", "rules"}, "[FRONTEND|BACKEND]",
                "http-request, http-response and use_backend rules in order, with hits summed over workers", 0, 1,
                [this](const CommandArgs& a, CommandReply& r) {
                  std::string problem;
                  std::string text = report_rules(view(), a.empty() ? "" : a[0], &problem);
                  if (!problem.empty()) return r.fail(problem);
                  r.text += text;
                }});
  CommandSpec sessions{{"show", "sess"}, "[limit N]",
                       "every worker's proxy sessions: client, frontend, server, phase, age (default limit 100)", 0,
                       2, nullptr};
  sessions.run_async = [this](const CommandArgs& args, CommandDone done) {
    uint32_t limit = kDefaultSessionLimit;
    if (!args.empty()) {
      std::string problem;
      if (args[0] != "limit") {
        problem = "unknown option '" + args[0] + "'; usage: show sess [limit N]";
      } else if (args.size() != 2) {
        problem = "'limit' needs a value; usage: show sess [limit N]";
      } else if (!parse_limit(args[1], kMaxSessionLimit, &limit)) {
        problem = "'" + args[1] + "' is not a limit: N in 1.." + std::to_string(kMaxSessionLimit);
      }
      if (!problem.empty()) {
        CommandReply r;
        r.fail(problem);
        return done(std::move(r));
      }
    }
    start_listing(limit, std::move(done));
  };
  registry.add(std::move(sessions));
}

void ProxyService::show_servers(const CommandArgs& args, CommandReply& reply) const {
  const auto& backends = history_.current().backends;
  int index = -1;
  if (!args.empty()) {
    for (std::size_t b = 0; b < backends.size(); ++b) {
      if (backends[b].name == args[0]) index = static_cast<int>(b);
    }
    if (index < 0) {
      std::vector<std::string> names;
      for (const auto& b : backends) names.push_back(b.name);
      const auto close = conf::close_matches(args[0], names);
      std::string message = "no backend '" + args[0] + "'";
      if (!close.empty()) {
        message += "; did you mean: ";
        for (std::size_t i = 0; i < close.size(); ++i) message += (i ? ", " : "") + close[i];
      } else if (names.empty()) {
        message += "; no backend is configured";
      } else {
        message += "; backends:";
        for (std::size_t i = 0; i < names.size(); ++i) message += (i ? ", " : " ") + names[i];
      }
      return reply.fail(message);
    }
  }
  reply.text += report_servers(view(), index);
}

void ProxyService::start_listing(uint32_t limit, CommandDone done) {
  if (workers_ == nullptr) {
    CommandReply r;
    r.fail("the workers are not running");
    return done(std::move(r));
  }
  auto l = std::make_unique<SessionListing>();
  l->request = next_request_++;
  l->limit = limit;
  l->deadline_ms = now_ms_ + kSessionsTimeoutMs;
  l->per_worker.resize(workers_->size());
  l->answered.assign(workers_->size(), false);
  l->done = std::move(done);
  for (std::size_t w = 0; w < workers_->size(); ++w) {
    l->per_worker[w].resize(limit);
    dataplane::ControlCommand c;
    c.kind = dataplane::ControlCommand::Kind::proxy_sessions;
    c.request = l->request;
    c.buffer = l->per_worker[w].data();
    c.capacity = limit;
    if (workers_->channel(w).post_command(c)) {
      ++l->waiting;
    } else {
      l->per_worker[w].clear();
      l->answered[w] = true;
    }
  }
  if (l->waiting == 0) {
    finish_listing(*l);
    return;
  }
  listings_.push_back(std::move(l));
}

void ProxyService::on_sessions_done(std::size_t worker, const dataplane::ControlEvent& event) {
  for (auto it = listings_.begin(); it != listings_.end(); ++it) {
    SessionListing& l = **it;
    if (l.request != event.ipv4 || worker >= l.answered.size() || l.answered[worker]) continue;
    l.answered[worker] = true;
    l.per_worker[worker].resize(std::min<std::size_t>(event.count, l.per_worker[worker].size()));
    if (--l.waiting == 0) {
      finish_listing(l);
      listings_.erase(it);
    }
    return;
  }
}

void ProxyService::finish_listing(SessionListing& l) {
  if (!l.done) return;  // answered at the deadline; the buffers waited for the late worker
  const dataplane::ProxySnapshot& s = history_.current();
  auto frontend = [&](uint16_t f) { return f < s.frontends.size() ? s.frontends[f].name : std::string("?"); };
  auto target = [&](uint16_t b, uint16_t srv) {
    if (b >= s.backends.size()) return std::string("-");
    const auto& be = s.backends[b];
    return be.name + "/" + (srv < be.servers.size() ? be.servers[srv].name : std::string("-"));
  };
  CommandReply r;
  char line[512];
  std::snprintf(line, sizeof(line), "%-6s %-21s %-16s %-28s %-10s %9s %9s %8s %12s %12s", "worker", "client",
                "frontend", "backend/server", "phase", "age-s", "idle-s", "requests", "bytes-in", "bytes-out");
  r.line(line);
  std::size_t shown = 0;
  bool missing = false;
  for (std::size_t w = 0; w < l.per_worker.size(); ++w) {
    if (!l.answered[w]) {
      missing = true;
      continue;
    }
    for (const auto& i : l.per_worker[w]) {
      std::snprintf(line, sizeof(line), "%-6zu %-21s %-16s %-28s %-10s %9.1f %9.1f %8u %12llu %12llu", w,
                    endpoint(i.client_address, i.client_port).c_str(), frontend(i.frontend).c_str(),
                    target(i.backend, i.server).c_str(), dataplane::proxy_phase_name(i.phase),
                    static_cast<double>(i.age_ms) / 1000.0, static_cast<double>(i.idle_ms) / 1000.0, i.requests,
                    static_cast<unsigned long long>(i.bytes_in), static_cast<unsigned long long>(i.bytes_out));
      r.line(line);
      ++shown;
    }
  }
  r.line(std::to_string(shown) + " session(s) shown (limit " + std::to_string(l.limit) + " per worker)");
  if (missing) r.line("note: a worker did not answer within 2 s; its sessions are missing");
  CommandDone done = std::move(l.done);
  l.done = nullptr;
  done(std::move(r));
}

void ProxyService::tick(int64_t now_ms) {
  now_ms_ = now_ms;
  if (pending_posts() > 0) post_pending();
  for (auto it = listings_.begin(); it != listings_.end();) {
    SessionListing& l = **it;
    if (l.deadline_ms > now_ms) {
      ++it;
      continue;
    }
    // A late worker may still write into its buffer: the reply goes now,
    // the buffers only once every worker has answered.
    if (l.done) finish_listing(l);
    if (l.waiting == 0) {
      it = listings_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace dplb::controlplane
