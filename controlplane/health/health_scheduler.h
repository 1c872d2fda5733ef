#pragma once

// Health checking of every server of every backend: when each server is
// probed, what its probes and live traffic did to it, what operators asked,
// and what the workers must be told (the per-server weights and usability
// build_proxy_snapshot takes). Pure logic on the caller's clock: the prober
// that opens connections and the console that parses commands sit on top.
//
// Scheduling follows HAProxy: the first checks are spread evenly over the
// check interval (a thousand servers are not probed in the same
// millisecond), each later check is due one interval (inter, fastinter or
// downinter, by the server's state after the last result) after the slot
// the previous probe was due in, so the spread survives. A server has at
// most one probe in flight. The prober must report every probe it was
// given, a timeout included, by its deadline; a probe still unanswered a
// grace period later is forgotten without a verdict (the prober or the
// event ring lost it, which says nothing about the server) and the next
// one is scheduled.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conf/config.h"
#include "controlplane/health/check_result.h"
#include "controlplane/health/health_event.h"
#include "controlplane/health/server_health.h"
#include "dataplane/proxy/proxy_snapshot.h"

namespace dplb::controlplane {

struct ServerId {
  uint32_t backend = 0;  // index in Config::backends
  uint32_t server = 0;   // index in that backend's servers
  bool operator==(const ServerId&) const = default;
};

// One check to run now: connect to the server (its check_port), and for
// HTTP checks send the backend's request; report by `deadline_ms`.
struct Probe {
  ServerId server;
  uint32_t sequence = 0;  // echoed back to complete(), so a late answer to an abandoned probe is ignored
  int64_t start_ms = 0;
  int64_t deadline_ms = 0;
};

// Operator commands answer with an error for the console, or the log lines.
struct HealthCommandResult {
  std::string error;  // empty: done
  std::vector<HealthEvent> events;
};

// Usable servers of a backend with weight > 0, as the log lines count them.
struct BackendCensus {
  uint32_t active = 0;
  uint32_t backup = 0;
};

class HealthScheduler {
 public:
  // How long after its deadline a probe is given up as lost.
  static constexpr int64_t kLostProbeGraceMs = 1000;
  // Slowstart weights are republished at most this often per server.
  static constexpr int64_t kRampStepMs = 1000;

  HealthScheduler(const std::vector<conf::BackendConfig>& backends, int64_t now_ms);

  // Schedules the first check of every checked server, spread over its
  // interval in configuration order across all backends.
  void start(int64_t now_ms);
  // The probes to start now; each server's next check waits for its result.
  std::vector<Probe> due(int64_t now_ms);
  // A probe's verdict. Unknown or stale probes are ignored.
  std::vector<HealthEvent> complete(ServerId id, uint32_t sequence, const CheckOutcome& outcome, int64_t now_ms);
  // What a worker saw on live traffic to the server.
  std::vector<HealthEvent> observe(ServerId id, Observation what, int64_t now_ms);
  // Moves slowstart ramps on; call it at least every second (the control
  // loop's tick).
  void tick(int64_t now_ms);
  // When due() or tick() next has work: the earliest check, lost-probe
  // expiry, or slowstart step. Empty when nothing is pending.
  std::optional<int64_t> next_event_ms() const;

  // `set server B/S state ready|drain|maint`, `set server B/S weight N`,
  // `enable|disable health B/S`.
  HealthCommandResult set_admin(ServerId id, AdminState state, int64_t now_ms);
  HealthCommandResult set_weight(ServerId id, uint32_t weight, int64_t now_ms);
  HealthCommandResult enable_checks(ServerId id, int64_t now_ms);
  HealthCommandResult disable_checks(ServerId id, int64_t now_ms);

  // Weights and usability as last published, by backend then server.
  std::vector<std::vector<dataplane::ServerRuntimeState>> runtime_states() const;
  // Bumped whenever runtime_states() changes: publish a new snapshot when it
  // differs from the version last published.
  uint64_t version() const { return version_; }

  std::optional<ServerId> find(std::string_view backend, std::string_view server) const;
  std::size_t backend_count() const { return backend_first_.size(); }
  std::size_t server_count(uint32_t backend) const;
  bool valid(ServerId id) const;
  // The accessors below take valid ids only (find() or valid() first).
  const ServerHealth& server(ServerId id) const { return entries_[flat(id)].health; }
  bool in_flight(ServerId id) const { return entries_[flat(id)].in_flight; }
  std::optional<int64_t> next_check_ms(ServerId id) const;
  BackendCensus census(uint32_t backend) const;
  uint64_t lost_probes() const { return lost_probes_; }

 private:
  static constexpr int64_t kNoTimer = INT64_MAX;

  struct Entry {
    ServerHealth health;
    ServerId id;
    int64_t timer = kNoTimer;  // next check, or lost-probe expiry while in flight
    bool in_flight = false;
    uint32_t sequence = 0;
    int64_t slot_ms = 0;       // when the probe in flight was due
    dataplane::ServerRuntimeState published;
    int64_t published_ms = 0;
    bool ramping = false;      // on ramping_
  };

  std::size_t flat(ServerId id) const { return backend_first_[id.backend] + id.server; }
  void set_timer(Entry& e, int64_t at);
  void cancel_probe(Entry& e);
  void schedule_after(Entry& e, int64_t slot_ms, int64_t now_ms);
  // Republishes the server's runtime state and finishes the log lines.
  void settle(Entry& e, std::optional<HealthEvent> event, int64_t now_ms, std::vector<HealthEvent>& out);
  bool publish(Entry& e, int64_t now_ms);

  std::vector<Entry> entries_;
  std::vector<std::size_t> backend_first_;
  std::vector<std::string> backend_names_;
  std::vector<bool> backend_available_;
  std::set<std::pair<int64_t, std::size_t>> timers_;
  std::vector<std::size_t> ramping_;
  uint64_t version_ = 0;
  uint64_t lost_probes_ = 0;
  bool started_ = false;
};

}  // namespace dplb::controlplane
