#pragma once

// Everything a worker's proxy reads about frontends, backends and servers:
// built by the control plane, immutable once published, shared read-only by
// every worker (RCU style). A new version (a server's weight or state
// changed) is published by pointer over each worker's command ring; a
// worker adopts it between two passes and acknowledges, and the control
// plane frees an old version only when every worker has moved past it.
// Versions keep the same frontends, backends and servers in the same order
// (indexes are stable); only weights and states change. A reload that
// changes the set is a restart for now.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/config.h"
#include "dataplane/balancing/backend_table.h"
#include "dataplane/http/http_request_head.h"
#include "dataplane/proxy/proxy_counters.h"
#include "dataplane/rules/http_rule.h"

namespace dplb::dataplane {

struct ProxyServer {
  std::string name;
  uint32_t address = 0;  // host order
  uint16_t port = 0;
  uint32_t maxconn = 0;  // as configured, all workers together
  bool backup = false;
  bool tls = false;  // re-encrypted: the worker's TlsWorkerContexts has its client context
  std::string sni;   // the server name sent in the ClientHello and checked in its certificate; "": none
};

struct ProxyBackend {
  std::string name;
  std::vector<ProxyServer> servers;
  BackendTable table;  // weights and states of this version
  conf::BalanceAlgorithm balance = conf::BalanceAlgorithm::roundrobin;
  std::string hash_header;
  uint32_t timeout_connect_ms = 5000;
  uint32_t timeout_server_ms = 50000;
  uint32_t timeout_queue_ms = 5000;
  uint32_t timeout_tunnel_ms = 0;  // 0: max(timeout_client, timeout_server)
  conf::HttpReuse reuse = conf::HttpReuse::safe;
  uint32_t retries = 3;
  bool redispatch = true;
  int32_t redispatch_interval = -1;  // which connection retries redispatch (HAProxy's interval)
  conf::RetryOn retry_on;
  uint32_t retry_buffer = 16384;
  uint32_t timeout_per_try_ms = 0;  // 0: timeout_server
  conf::RetryBudget retry_budget;
  uint32_t retry_backoff_base_us = 0;  // 0: Layer-7 retries at once
  uint32_t retry_backoff_max_us = 250000;
  conf::RetryNonIdempotent retry_non_idempotent = conf::RetryNonIdempotent::never;
  std::string idempotency_key_header;
  // http_request / http_response rules, compiled when the configuration
  // loaded and shared by every version; null: none.
  std::shared_ptr<const rules::HttpRuleSet> rules;

  ProxyBackend(const BalancerSettings& s, std::vector<BalancerServer> servers_for_table)
      : table(s, std::move(servers_for_table)) {}
};

struct ProxyFrontend {
  std::string name;
  std::vector<conf::Endpoint> bind;
  std::vector<bool> bind_tls;  // per bind: TLS terminated there
  uint32_t backend = 0;
  uint32_t maxconn = 0;  // this worker's share
  bool forwardfor = false;
  uint32_t timeout_client_ms = 50000;
  uint32_t timeout_http_request_ms = 50000;
  uint32_t timeout_http_keep_alive_ms = 50000;
  uint32_t timeout_handshake_ms = 50000;  // TLS binds
  std::string client_cert_header;         // client certificates verified: the subject goes to servers in it
  bool log = true;
  bool dontlognull = false;
  bool httpslog = false;  // log_format = "httpslog": the TLS fields after the request
  std::map<uint16_t, std::string> error_pages;  // every status dplb emits: errorfile or built-in
  // acl, http_request, http_response and use_backend rules (null: none),
  // shared by every version like the backends' rules.
  std::shared_ptr<const rules::HttpRuleSet> rules;

  const std::string& error_page(uint16_t status) const;
};

// Per server, what the control plane decided at run time (health checks and
// operator commands come later; boot uses the configuration's weights).
struct ServerRuntimeState {
  uint16_t weight = 1;
  bool usable = true;
};

struct ProxySnapshot {
  uint64_t version = 0;
  std::vector<ProxyFrontend> frontends;
  std::vector<ProxyBackend> backends;
  HttpLimits limits;
  bool access_log = false;
  uint32_t workers = 1;
  int64_t wall_offset_us = 0;  // wall clock minus the workers' clock, for %Ts in rule values

  // The frontend bound to local address:port (a specific address wins over
  // a wildcard), or -1.
  int frontend_for(uint32_t local_address, uint16_t port) const;
  // Whether frontend `fe` terminates TLS on the bind that took this
  // connection (the same address-over-wildcard rule as frontend_for).
  bool is_tls_bind(int fe, uint32_t local_address, uint16_t port) const;
  // Every TCP port some frontend listens on, once each.
  std::vector<uint16_t> listen_ports() const;
};

// `states` (by backend, then server) overrides weights and usability; when
// absent the configuration's weights apply and every server is usable.
std::unique_ptr<const ProxySnapshot> build_proxy_snapshot(
    const conf::Config& config, uint64_t version, uint32_t workers,
    const std::vector<std::vector<ServerRuntimeState>>* states = nullptr, int64_t wall_offset_us = 0);

// Gives `counters` a hit counter per rule of each frontend and backend.
void size_rule_hits(const ProxySnapshot& snapshot, ProxyCounters& counters);

// A limit shared by `workers` workers, each enforcing its part (rounded up,
// so the sum is never below the limit); 0 stays unlimited.
inline uint32_t per_worker_share(uint32_t limit, uint32_t workers) {
  if (limit == 0 || workers <= 1) return limit;
  return (limit + workers - 1) / workers;
}

}  // namespace dplb::dataplane
