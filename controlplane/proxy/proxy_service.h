#pragma once

// The control plane's side of the workers' HTTP proxy: it owns the published
// proxy snapshots (and frees each once no worker can read it), and serves
// `show frontends`, `show backends`, `show servers`, `show stat` (HAProxy's
// CSV) and `show sess` (each worker copies its live sessions into a buffer
// handed over through its control ring, as for `show tcp connections`).
//
// Lifetime: the workers read the snapshots through raw pointers, so the
// service is created before the WorkerPool (which gets current() for its
// first snapshot) and destroyed after it; attach() then connects it to the
// pool's command rings.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "conf/config.h"
#include "controlplane/console/command_registry.h"
#include "controlplane/proxy/proxy_report.h"
#include "controlplane/proxy/snapshot_history.h"
#include "dataplane/worker/control_channel.h"
#include "dataplane/proxy/proxy_session_info.h"
#include "dataplane/proxy/proxy_snapshot.h"
#include "dataplane/worker/worker_pool.h"

namespace dplb::controlplane {

struct ProxyView;

class ProxyService {
 public:
  static constexpr uint32_t kDefaultSessionLimit = 100;
  static constexpr uint32_t kMaxSessionLimit = 10000;
  static constexpr int64_t kSessionsTimeoutMs = 2000;

  // `first` is what every worker starts with; its `workers` says how many
  // workers acknowledge versions.
  ProxyService(const conf::Config& config, std::unique_ptr<const dataplane::ProxySnapshot> first);
  ~ProxyService();
  ProxyService(const ProxyService&) = delete;
  ProxyService& operator=(const ProxyService&) = delete;

  const dataplane::ProxySnapshot* current() const { return &history_.current(); }
  // The pool must have as many workers as the first snapshot's `workers`.
  void attach(dataplane::WorkerPool& workers);
  // Where show servers and show stat take the servers' check state from.
  void set_health_source(std::function<std::vector<std::vector<ServerCheckView>>()> source) {
    health_source_ = std::move(source);
  }
  void register_commands(CommandRegistry& registry);

  // Makes `next` (a newer version, same frontends, backends and servers)
  // current and tells every worker. A worker whose command ring is full is
  // told on a later tick; it may then skip straight to a still newer
  // version. Returns "" or why `next` was refused.
  std::string publish(std::unique_ptr<const dataplane::ProxySnapshot> next);

  void on_adopted(std::size_t worker, const dataplane::ControlEvent& event);
  void on_sessions_done(std::size_t worker, const dataplane::ControlEvent& event);
  void tick(int64_t now_ms);

  // Workers not yet told about the current version (their ring was full).
  std::size_t pending_posts() const;
  const SnapshotHistory& history() const { return history_; }

 private:
  struct SessionListing;

  static SnapshotHistory make_history(std::unique_ptr<const dataplane::ProxySnapshot> first);
  ProxyView view() const;
  void post_pending();
  void show_servers(const CommandArgs& args, CommandReply& reply) const;
  void start_listing(uint32_t limit, CommandDone done);
  void finish_listing(SessionListing& listing);

  const conf::Config& config_;
  SnapshotHistory history_;
  dataplane::WorkerPool* workers_ = nullptr;
  std::vector<uint64_t> posted_;  // per worker: the newest version its ring accepted
  std::vector<std::unique_ptr<SessionListing>> listings_;
  uint32_t next_request_ = 1;
  int64_t now_ms_ = 0;
  std::function<std::vector<std::vector<ServerCheckView>>()> health_source_;
  int64_t published_ms_ = 0;
  uint64_t measured_version_ = 0;
  int64_t last_spread_ms_ = 0;
  int64_t max_spread_ms_ = 0;
};

}  // namespace dplb::controlplane
