#include "dataplane/tcp/tcp_settings_from_config.h"

namespace dplb::dataplane {

namespace {
uint32_t ms(const conf::Duration& d) { return static_cast<uint32_t>(d.milliseconds()); }
}  // namespace

TcpSettings tcp_settings_from(const conf::TcpConfig& t) {
  TcpSettings s;
  s.max_connections = t.max_connections;
  s.connection_buffer = t.connection_buffer;
  s.worker_buffer = t.worker_buffer;
  s.syn_backlog = t.syn_backlog;
  s.syn_cookies = t.syn_cookies;
  s.min_rto_ms = ms(t.min_rto);
  s.initial_rto_ms = ms(t.initial_rto);
  s.max_rto_ms = ms(t.max_rto);
  s.delayed_ack_ms = ms(t.delayed_ack);
  s.time_wait_ms = ms(t.time_wait);
  s.fin_wait_2_ms = ms(t.fin_wait_2);
  s.syn_retries = t.syn_retries;
  s.orphan_retries = t.orphan_retries;
  s.retries = t.retries;
  s.sack = t.sack;
  s.timestamps = t.timestamps;
  s.window_scaling = t.window_scaling;
  s.local_port_first = t.local_port_first;
  s.local_port_last = t.local_port_last;
  s.challenge_ack_limit = t.challenge_ack_limit;
  s.defaults.congestion =
      t.congestion == conf::CongestionControl::newreno ? CongestionAlgorithm::newreno : CongestionAlgorithm::cubic;
  s.defaults.keepalive.enabled = t.keepalive;
  s.defaults.keepalive.idle_ms = ms(t.keepalive_idle);
  s.defaults.keepalive.interval_ms = ms(t.keepalive_interval);
  s.defaults.keepalive.probes = t.keepalive_probes;
  return s;
}

}  // namespace dplb::dataplane
