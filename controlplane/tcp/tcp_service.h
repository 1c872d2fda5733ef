#pragma once

// The console's view of the workers' TCP stacks: `show tcp` (counters summed
// over workers), `show tcp connections` (each worker copies its connections
// into a buffer handed over through its control ring) and the diagnostic
// services (`tcp listen`, `tcp connect`, `tcp unlisten`, `show tcp services`).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "conf/config.h"
#include "controlplane/console/command_registry.h"
#include "dataplane/worker/control_channel.h"
#include "dataplane/net/ipv4/route_table.h"
#include "dataplane/tcp/tcp_connection_info.h"
#include "dataplane/tcp/tcp_diagnostic_service.h"
#include "dataplane/worker/worker_pool.h"

namespace dplb::controlplane {

class TcpService {
 public:
  static constexpr uint32_t kDefaultConnectionLimit = 100;
  static constexpr uint32_t kMaxConnectionLimit = 100000;
  static constexpr int64_t kSnapshotTimeoutMs = 2000;

  TcpService(const conf::Config& config, const dataplane::RouteTable& routes, dataplane::WorkerPool& workers);
  ~TcpService();

  void register_commands(CommandRegistry& registry);
  void on_snapshot_done(std::size_t worker, const dataplane::ControlEvent& event);
  void tick(int64_t now_ms);

 private:
  struct Service {
    bool listening = false;
    bool active = false;  // from tcp connect
    dataplane::DiagnosticKind kind = dataplane::DiagnosticKind::echo;
    uint16_t port = 0;
    uint32_t remote = 0;
    uint64_t bytes = 0;
  };
  struct Snapshot;

  std::string show_counters() const;
  std::string show_services() const;
  void listen(const CommandArgs& args, CommandReply& reply);
  void unlisten(const CommandArgs& args, CommandReply& reply);
  void connect(const CommandArgs& args, CommandReply& reply);
  void start_snapshot(uint32_t limit, CommandDone done);
  void finish_snapshot(Snapshot& s);
  bool post_to_all(const dataplane::ControlCommand& command, std::string* error);

  const conf::Config& config_;
  const dataplane::RouteTable& routes_;
  dataplane::WorkerPool& workers_;
  std::vector<Service> services_;
  std::vector<std::unique_ptr<Snapshot>> snapshots_;
  uint32_t next_request_ = 1;
  uint32_t next_connect_worker_ = 0;
  int64_t now_ms_ = 0;
};

}  // namespace dplb::controlplane
