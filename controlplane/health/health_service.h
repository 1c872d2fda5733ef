#pragma once

// Health checks as the control plane runs them: the scheduler (controlplane/
// health/) decides which server to probe when; this service posts each probe
// to a worker (spread over the workers by server), turns the worker's
// outcome into HAProxy's check result, logs every state change, and
// publishes a new proxy snapshot whenever a server's usability or effective
// weight changed, so every worker stops sending to a DOWN server within one
// control tick. It also carries the operator commands (set server, enable /
// disable health) and what show servers / show stat print about checks.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "conf/config.h"
#include "controlplane/console/command_registry.h"
#include "controlplane/health/health_scheduler.h"
#include "controlplane/proxy/proxy_report.h"
#include "dataplane/worker/control_channel.h"

namespace dplb::dataplane {
class WorkerPool;
}

namespace dplb::controlplane {

class ProxyService;

class HealthService {
 public:
  HealthService(const conf::Config& config, dataplane::WorkerPool& workers, ProxyService& proxy, int64_t now_ms);

  void register_commands(CommandRegistry& registry);
  void start(int64_t now_ms);
  void on_result(std::size_t worker, const dataplane::ControlEvent& event, int64_t now_ms);
  void tick(int64_t now_ms);

  // Per backend, per server: what show servers and show stat print.
  std::vector<std::vector<ServerCheckView>> check_views(int64_t now_ms) const;
  uint64_t probes_sent() const { return probes_sent_; }
  uint64_t probes_not_posted() const { return probes_not_posted_; }

 private:
  struct Pending {
    ServerId server;
    uint32_t sequence = 0;
  };

  void log_events(const std::vector<HealthEvent>& events);
  void observe_traffic(int64_t now_ms);
  void publish_if_changed(int64_t now_ms);
  void set_server(const CommandArgs& args, CommandReply& reply);
  void health_switch(const CommandArgs& args, CommandReply& reply, bool enable);
  std::optional<ServerId> parse_server(std::string_view text, CommandReply& reply) const;

  const conf::Config& config_;
  dataplane::WorkerPool& workers_;
  ProxyService& proxy_;
  HealthScheduler scheduler_;
  std::vector<std::string> requests_;  // per backend: the HTTP check request ("" for TCP checks)
  std::unordered_map<uint32_t, Pending> pending_;
  // Passive observation: the workers' counters at the previous tick, per
  // backend and server.
  struct Observed {
    uint64_t sent = 0;
    uint64_t connect_errors = 0;
    uint64_t good = 0;
    uint64_t bad = 0;
  };
  std::vector<std::vector<Observed>> observed_;
  uint32_t next_id_ = 1;
  uint64_t published_version_ = 0;
  uint64_t snapshot_version_ = 1;
  uint64_t probes_sent_ = 0;
  uint64_t probes_not_posted_ = 0;
  int64_t now_ms_ = 0;
};

}  // namespace dplb::controlplane
