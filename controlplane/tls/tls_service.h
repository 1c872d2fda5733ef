#pragma once

// The control plane's side of TLS: it reads certificates and ticket keys,
// builds every worker's contexts, publishes them as versioned snapshots
// (freed once every worker has moved on, as the proxy's are), rotates
// random ticket keys every 12 hours, reloads on SIGHUP, and serves
// `show tls certs`, `show tls`, `tls cert update` and `tls ticket-keys reload`.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "conf/config.h"
#include "controlplane/console/command_registry.h"
#include "controlplane/tls/tls_context_builder.h"
#include "controlplane/versioned_history.h"
#include "dataplane/worker/control_channel.h"
#include "dataplane/worker/worker_pool.h"

namespace dplb::controlplane {

class TlsService {
 public:
  static constexpr int64_t kTicketRotationMs = 12 * 3600 * 1000;

  TlsService(const conf::Config& config, dataplane::WorkerPool& workers);

  bool empty() const { return !any_tls_; }
  // Reads every file and builds the first version: "" or every error (boot
  // fails on it, so nothing starts half-configured).
  std::string load(int64_t wall_seconds, int64_t now_ms);
  // Tells the workers (their first pass adopts it before any connection).
  void start();
  void on_adopted(std::size_t worker, const dataplane::ControlEvent& event);
  void tick(int64_t now_ms);
  void register_commands(CommandRegistry& registry);

  // Every certificate and ticket key file read again; on any error the
  // running version stays and the error is returned.
  std::string reload(int64_t wall_seconds);
  // `tls cert update NAME FILE`: NAME is a configured certificate path.
  std::string update_certificate(const std::string& name, const std::string& file, int64_t wall_seconds);
  std::string reload_ticket_keys();

  uint64_t version() const { return history_ ? history_->current_version() : 0; }
  std::string report_certificates(int64_t wall_seconds) const;
  std::string report_counters() const;
  std::string report_server_counters() const;

 private:
  std::string publish(tls::TlsMaterial material);
  void post_pending();

  const conf::Config& config_;
  dataplane::WorkerPool& workers_;
  bool any_tls_ = false;
  tls::TlsMaterial material_;
  // Per frontend and certificate: the file it now comes from (the
  // configured path until `tls cert update` names another).
  std::vector<std::vector<std::string>> sources_;
  std::unique_ptr<VersionedHistory<dataplane::TlsContextSnapshot>> history_;
  std::vector<uint64_t> posted_;
  int64_t next_rotation_ms_ = 0;
};

}  // namespace dplb::controlplane
