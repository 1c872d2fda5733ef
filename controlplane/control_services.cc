#include "controlplane/control_services.h"

#include <ctime>

#include "controlplane/logger.h"

namespace dplb::controlplane {

ControlServices::ControlServices(const conf::Config& config, const dataplane::PortSetup& ports,
                                 const dataplane::RouteTable& routes, dataplane::WorkerPool& workers,
                                 ProxyService& proxy)
    : workers_(workers),
      proxy_(proxy),
      neighbours_(config, ports, workers),
      pings_(config, routes, neighbours_, workers),
      tcp_(config, routes, workers),
      health_(config, workers, proxy, monotonic_ms()),
      access_log_(config, workers),
      vrrp_(config, ports.ports, routes, workers, proxy),
      tls_(config, workers) {}

void ControlServices::register_commands(CommandRegistry& registry) {
  neighbours_.register_commands(registry);
  pings_.register_commands(registry);
  tcp_.register_commands(registry);
  proxy_.register_commands(registry);
  health_.register_commands(registry);
  access_log_.register_commands(registry);
  vrrp_.register_commands(registry);
  tls_.register_commands(registry);
}

std::string ControlServices::open(int64_t now_ms) {
  // Before the workers run: their first pass takes the TLS contexts, before
  // any connection can reach a TLS bind.
  if (std::string e = tls_.load(std::time(nullptr), now_ms); !e.empty()) return e;
  tls_.start();
  if (std::string e = access_log_.open(); !e.empty()) return e;
  if (std::string e = vrrp_.open(); !e.empty()) return e;
  return neighbours_.start(now_ms);
}

void ControlServices::start(int64_t now_ms) {
  health_.start(now_ms);
  vrrp_.start();
}

void ControlServices::take_events(int64_t now_ms) {
  dataplane::ControlEvent events[64];
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    unsigned n;
    while ((n = workers_.channel(w).take_events(events, 64)) > 0) {
      for (unsigned i = 0; i < n; ++i) on_event(w, events[i], now_ms);
    }
  }
}

void ControlServices::on_event(std::size_t w, const dataplane::ControlEvent& e, int64_t now_ms) {
  using Kind = dataplane::ControlEvent::Kind;
  switch (e.kind) {
    case Kind::neighbour_seen: neighbours_.learn(e, now_ms); break;
    case Kind::echo_reply: pings_.on_reply(e); break;
    case Kind::resolve_request: neighbours_.resolve_requested(e, now_ms); break;
    case Kind::tcp_snapshot_done: tcp_.on_snapshot_done(w, e); break;
    case Kind::proxy_adopted: proxy_.on_adopted(w, e); break;
    case Kind::proxy_sessions_done: proxy_.on_sessions_done(w, e); break;
    case Kind::health_result: health_.on_result(w, e, now_ms); break;
    case Kind::vrrp_frame: vrrp_.on_frame(e); break;
    case Kind::tls_adopted: tls_.on_adopted(w, e); break;
  }
}

void ControlServices::tick(int64_t now_ms) {
  neighbours_.tick(now_ms);
  pings_.tick(now_ms);
  tcp_.tick(now_ms);
  proxy_.tick(now_ms);
  health_.tick(now_ms);
  vrrp_.tick();
  access_log_.tick(*proxy_.current());
  tls_.tick(now_ms);
}

void ControlServices::reload_tls() {
  if (tls_.empty()) {
    log_warning("SIGHUP: no frontend has TLS; nothing to reload");
    return;
  }
  if (std::string e = tls_.reload(std::time(nullptr)); !e.empty()) {
    log_error("SIGHUP: TLS reload refused, the running certificates and keys stay:\n" + e);
  } else {
    log_notice("SIGHUP: TLS certificates and ticket keys reloaded (contexts version " +
               std::to_string(tls_.version()) + ")");
  }
}

}  // namespace dplb::controlplane
