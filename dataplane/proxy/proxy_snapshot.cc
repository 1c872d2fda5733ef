#include "dataplane/proxy/proxy_snapshot.h"

#include <algorithm>

#include "dataplane/http/http_error_page.h"

namespace dplb::dataplane {
namespace {

constexpr uint16_t kEmittedStatuses[] = {400, 403, 408, 413, 414, 431, 500, 501, 502, 503, 504, 505};

uint32_t to_ms(conf::Duration d) {
  const uint64_t ms = (d.microseconds + 999) / 1000;
  return static_cast<uint32_t>(std::min<uint64_t>(ms, UINT32_MAX));
}

}  // namespace

const std::string& ProxyFrontend::error_page(uint16_t status) const {
  auto it = error_pages.find(status);
  if (it != error_pages.end()) return it->second;
  return error_pages.at(500);
}

int ProxySnapshot::frontend_for(uint32_t local_address, uint16_t port) const {
  int wildcard = -1;
  for (std::size_t i = 0; i < frontends.size(); ++i) {
    for (const auto& b : frontends[i].bind) {
      if (b.port != port) continue;
      if (b.address.value == local_address) return static_cast<int>(i);
      if (b.address.value == 0) wildcard = static_cast<int>(i);
    }
  }
  return wildcard;
}

bool ProxySnapshot::is_tls_bind(int fe, uint32_t local_address, uint16_t port) const {
  if (fe < 0 || static_cast<std::size_t>(fe) >= frontends.size()) return false;
  const ProxyFrontend& f = frontends[static_cast<std::size_t>(fe)];
  int wildcard = -1;
  for (std::size_t b = 0; b < f.bind.size(); ++b) {
    if (f.bind[b].port != port) continue;
    if (f.bind[b].address.value == local_address) return b < f.bind_tls.size() && f.bind_tls[b];
    if (f.bind[b].address.value == 0) wildcard = static_cast<int>(b);
  }
  return wildcard >= 0 && static_cast<std::size_t>(wildcard) < f.bind_tls.size() && f.bind_tls[wildcard];
}

std::vector<uint16_t> ProxySnapshot::listen_ports() const {
  std::vector<uint16_t> ports;
  for (const auto& f : frontends) {
    for (const auto& b : f.bind) {
      if (std::find(ports.begin(), ports.end(), b.port) == ports.end()) ports.push_back(b.port);
    }
  }
  return ports;
}

std::unique_ptr<const ProxySnapshot> build_proxy_snapshot(
    const conf::Config& config, uint64_t version, uint32_t workers,
    const std::vector<std::vector<ServerRuntimeState>>* states, int64_t wall_offset_us) {
  auto snapshot = std::make_unique<ProxySnapshot>();
  snapshot->version = version;
  snapshot->wall_offset_us = wall_offset_us;
  snapshot->workers = std::max<uint32_t>(workers, 1);
  snapshot->access_log = !config.log.access_log.empty();
  for (std::size_t b = 0; b < config.backends.size(); ++b) {
    const conf::BackendConfig& bc = config.backends[b];
    BalancerSettings settings{bc.balance, bc.random_draws, bc.hash_type};
    std::vector<BalancerServer> table_servers;
    std::vector<ProxyServer> servers;
    for (std::size_t s = 0; s < bc.servers.size(); ++s) {
      const conf::ServerConfig& sc = bc.servers[s];
      BalancerServer entry;
      entry.id = static_cast<uint32_t>(s);
      entry.weight = static_cast<uint16_t>(sc.weight);
      entry.backup = sc.backup;
      entry.maxconn = per_worker_share(sc.maxconn, snapshot->workers);
      if (states != nullptr && b < states->size() && s < (*states)[b].size()) {
        entry.weight = (*states)[b][s].weight;
        entry.usable = (*states)[b][s].usable;
      }
      table_servers.push_back(entry);
      servers.push_back(ProxyServer{sc.name, sc.address.address.value, sc.address.port, sc.maxconn, sc.backup,
                                    sc.tls.enabled, sc.tls.sni});
    }
    ProxyBackend backend(settings, std::move(table_servers));
    backend.name = bc.name;
    backend.servers = std::move(servers);
    backend.balance = bc.balance;
    backend.hash_header = bc.hash_header;
    backend.timeout_connect_ms = to_ms(bc.timeout_connect);
    backend.timeout_server_ms = to_ms(bc.timeout_server);
    backend.timeout_queue_ms = to_ms(bc.timeout_queue.value_or(bc.timeout_connect));
    backend.timeout_tunnel_ms = bc.timeout_tunnel ? to_ms(*bc.timeout_tunnel) : 0;
    backend.reuse = bc.http_reuse;
    backend.retries = bc.retries;
    backend.redispatch = bc.redispatch;
    backend.redispatch_interval = bc.redispatch_interval;
    backend.retry_on = bc.retry_on;
    backend.retry_buffer = static_cast<uint32_t>(bc.retry_buffer);
    backend.timeout_per_try_ms = to_ms(bc.timeout_per_try);
    backend.retry_budget = bc.retry_budget;
    backend.retry_backoff_base_us = static_cast<uint32_t>(bc.retry_backoff.base.microseconds);
    backend.retry_backoff_max_us = static_cast<uint32_t>(bc.retry_backoff.max.microseconds);
    backend.retry_non_idempotent = bc.retry_non_idempotent;
    backend.idempotency_key_header = bc.idempotency_key_header;
    backend.rules = bc.rules.compiled;
    snapshot->backends.push_back(std::move(backend));
  }
  for (const conf::FrontendConfig& fc : config.frontends) {
    ProxyFrontend f;
    f.name = fc.name;
    f.bind = fc.bind;
    f.bind_tls = fc.bind_tls;
    f.bind_tls.resize(f.bind.size(), false);
    for (std::size_t b = 0; b < config.backends.size(); ++b) {
      if (config.backends[b].name == fc.default_backend) f.backend = static_cast<uint32_t>(b);
    }
    f.maxconn = per_worker_share(fc.maxconn, snapshot->workers);
    f.forwardfor = fc.forwardfor;
    // HAProxy's inheritance: http-request defaults to client, keep-alive to http-request.
    f.timeout_client_ms = to_ms(fc.timeout_client);
    f.timeout_http_request_ms = fc.timeout_http_request ? to_ms(*fc.timeout_http_request) : f.timeout_client_ms;
    f.timeout_http_keep_alive_ms =
        fc.timeout_http_keep_alive ? to_ms(*fc.timeout_http_keep_alive) : f.timeout_http_request_ms;
    if (fc.tls && fc.tls->verify != conf::TlsVerify::none) f.client_cert_header = fc.tls->client_cert_header;
    f.timeout_handshake_ms =
        fc.tls && fc.tls->timeout_handshake ? to_ms(*fc.tls->timeout_handshake) : f.timeout_http_request_ms;
    f.log = fc.log;
    f.dontlognull = fc.dontlognull;
    for (uint16_t status : kEmittedStatuses) f.error_pages[status] = default_error_page(status);
    // A deny rule without a body answers its status's page; HAProxy's
    // errorfiles replace those too.
    auto deny_pages = [&f](const std::shared_ptr<const rules::HttpRuleSet>& set) {
      if (set == nullptr) return;
      for (const auto* list : {&set->request, &set->response}) {
        for (const rules::HttpRule& r : *list) {
          if (r.action == rules::HttpRuleAction::deny && r.head.empty() && !f.error_pages.count(r.status)) {
            f.error_pages[r.status] = default_error_page(r.status);
          }
        }
      }
    };
    deny_pages(fc.rules.compiled);
    for (const conf::BackendConfig& bc : config.backends) deny_pages(bc.rules.compiled);
    for (const auto& [status, file] : fc.errorfiles) f.error_pages[status] = file.contents;
    f.rules = fc.rules.compiled;
    snapshot->frontends.push_back(std::move(f));
  }
  return snapshot;
}

void size_rule_hits(const ProxySnapshot& snapshot, ProxyCounters& counters) {
  counters.frontend_rule_hits.clear();
  counters.backend_rule_hits.clear();
  for (const auto& f : snapshot.frontends) counters.frontend_rule_hits.emplace_back(f.rules ? f.rules->rule_count() : 0);
  for (const auto& b : snapshot.backends) counters.backend_rule_hits.emplace_back(b.rules ? b.rules->rule_count() : 0);
}

}  // namespace dplb::dataplane
