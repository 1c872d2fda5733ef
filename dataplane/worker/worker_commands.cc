// The control plane's commands to a worker, taken from its control ring at
// the start of every pass: frames to send, neighbours and VIPs, and the TCP,
// proxy and health-check requests.

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "dataplane/net/icmp/icmp_echo_request.h"
#include "dataplane/tcp/tcp_connection_info.h"
#include "dataplane/worker/worker.h"

namespace dplb::dataplane {

void Worker::own_vip(const ControlCommand& c) {
  if (c.port >= ports_.size()) return;
  // Refused only when the table is full, which the configuration rules out
  // (at most VirtualAddressTable::kCapacity VIPs per port).
  vips_[c.port].own(c.ipv4, c.mac);
}

void Worker::release_vip(const ControlCommand& c) {
  if (c.port >= ports_.size()) return;
  // Unowned first, so the resets below leave from the port's MAC.
  vips_[c.port].release(c.ipv4);
  if (tcp_ != nullptr) tcp_->reset_local_address(c.ipv4);
}

uint32_t Worker::run_commands() {
  if (links_.control == nullptr) return 0;
  ControlCommand commands[kBurstSize];
  const unsigned n = links_.control->take_commands(commands, kBurstSize);
  for (unsigned i = 0; i < n; ++i) {
    const ControlCommand& c = commands[i];
    switch (c.kind) {
      case ControlCommand::Kind::transmit: {
        rte_mbuf* frame = c.frame;
        if (c.port < ports_.size()) {
          transmit(c.port, &frame, 1);
        } else {
          rte_pktmbuf_free(frame);
        }
        break;
      }
      case ControlCommand::Kind::send_echo:
        send_echo(c);
        break;
      case ControlCommand::Kind::neighbour_set:
        neighbours_.set(c.ipv4, c.port, c.mac);
        neighbour_resolved(c.ipv4);
        break;
      case ControlCommand::Kind::neighbour_clear:
        neighbour_gone(c.ipv4);
        break;
      case ControlCommand::Kind::vip_own:
        own_vip(c);
        break;
      case ControlCommand::Kind::vip_release:
        release_vip(c);
        break;
      case ControlCommand::Kind::send_ipv4:
        if (c.port < ports_.size()) {
          send_via(c.port, c.next_hop, c.frame);
        } else {
          rte_pktmbuf_free(c.frame);
        }
        break;
      default:
        run_tcp_command(c);
        break;
    }
  }
  return n;
}

void Worker::send_echo(const ControlCommand& c) {
  if (c.port >= ports_.size() || links_.pool == nullptr) return;
  EchoRequest request;
  request.destination = c.ipv4;
  request.id = c.echo_id;
  request.sequence = c.echo_sequence;
  request.data_bytes = c.echo_data_bytes;
  request.sent_tsc = rte_rdtsc();
  rte_mbuf* frame = build_echo_request(links_.pool, ports_[c.port], request);
  if (frame == nullptr) return;
  counters_.flows.echo_requests_sent.increment();
  send_via(c.port, c.next_hop, frame);
}

void Worker::run_tcp_command(const ControlCommand& c) {
  if (tcp_ == nullptr) return;
  switch (c.kind) {
    case ControlCommand::Kind::tcp_listen:
    case ControlCommand::Kind::tcp_connect:
      start_tcp_service(c);
      return;
    case ControlCommand::Kind::tcp_unlisten:
      tcp_->unlisten(c.tcp_port);
      return;
    case ControlCommand::Kind::tcp_snapshot:
      report_tcp_connections(c);
      return;
    case ControlCommand::Kind::proxy_snapshot:
      adopt_proxy_snapshot(c);
      return;
    case ControlCommand::Kind::proxy_sessions:
      report_proxy_sessions(c);
      return;
    case ControlCommand::Kind::health_probe:
      start_health_probe(c);
      return;
    case ControlCommand::Kind::tls_contexts:
      adopt_tls_contexts(c);
      return;
    default:
      return;
  }
}

void Worker::start_tcp_service(const ControlCommand& c) {
  if (c.service_slot >= kMaxTcpServices) return;
  TcpDiagnosticService& service = services_[c.service_slot];
  if (!service.configured()) {
    service.configure(static_cast<DiagnosticKind>(c.service_kind), c.service_bytes,
                      &counters_.tcp_services[c.service_slot]);
  }
  if (c.kind == ControlCommand::Kind::tcp_listen) {
    tcp_->listen(c.tcp_port, &service, tcp_->settings().defaults);
    return;
  }
  if (TcpConnection* conn = tcp_->connect(c.ipv4, c.tcp_port, &service, tcp_->settings().defaults)) {
    service.connecting(*conn);
  } else {
    service.connect_failed();
  }
}

void Worker::report_tcp_connections(const ControlCommand& c) {
  auto* out = static_cast<TcpConnectionInfo*>(c.buffer);
  uint32_t n = 0;
  tcp_->for_each_connection([&](const TcpConnection& conn) {
    if (n >= c.capacity) return;
    TcpConnectionInfo& i = out[n++];
    i.tuple = conn.tuple();
    i.state = conn.state();
    i.mss = conn.mss();
    i.send_queued = conn.send_queued();
    i.readable = conn.readable();
    i.cwnd = conn.cwnd();
    i.peer_window = conn.peer_window();
    i.srtt_us = conn.srtt_us();
    i.rto_us = conn.rto_us();
    i.retransmits = conn.retransmissions();
  });
  ControlEvent event;
  event.kind = ControlEvent::Kind::tcp_snapshot_done;
  event.ipv4 = c.request;
  event.count = n;
  links_.control->post_event(event);
}

void Worker::adopt_proxy_snapshot(const ControlCommand& c) {
  if (proxy_ == nullptr) return;
  proxy_->adopt(static_cast<const ProxySnapshot*>(c.buffer));
  ControlEvent event;
  event.kind = ControlEvent::Kind::proxy_adopted;
  event.count = static_cast<uint32_t>(c.service_bytes);
  links_.control->post_event(event);
}

void Worker::adopt_tls_contexts(const ControlCommand& c) {
  const auto* snapshot = static_cast<const TlsContextSnapshot*>(c.buffer);
  if (proxy_ == nullptr || snapshot == nullptr || index_ >= snapshot->workers.size()) return;
  proxy_->adopt_tls(&snapshot->workers[index_]);
  ControlEvent event;
  event.kind = ControlEvent::Kind::tls_adopted;
  event.count = static_cast<uint32_t>(c.service_bytes);
  links_.control->post_event(event);
}

void Worker::report_proxy_sessions(const ControlCommand& c) {
  const uint32_t n =
      proxy_ != nullptr ? proxy_->write_sessions(static_cast<ProxySessionInfo*>(c.buffer), c.capacity) : 0;
  ControlEvent event;
  event.kind = ControlEvent::Kind::proxy_sessions_done;
  event.ipv4 = c.request;
  event.count = n;
  links_.control->post_event(event);
}

void Worker::start_health_probe(const ControlCommand& c) {
  ProbeRequest request;
  request.id = c.request;
  request.address = c.ipv4;
  request.port = c.tcp_port;
  request.timeout_ms = c.capacity;
  request.http = static_cast<const char*>(c.buffer);
  request.http_length = static_cast<uint32_t>(c.service_bytes);
  if (c.service_kind == kProbeOverTls) {
    // check_ssl: the same client context and name as the proxy's
    // connections to that server.
    if (proxy_ != nullptr) {
      request.tls = proxy_->server_tls_context(c.echo_id, c.echo_sequence);
      request.sni = proxy_->server_sni(c.echo_id, c.echo_sequence);
    }
    if (request.tls == nullptr) {
      ControlEvent event;
      event.kind = ControlEvent::Kind::health_result;
      event.ipv4 = c.request;
      event.port = static_cast<uint8_t>(ProbeOutcome::l6_failed);
      event.echo_id = static_cast<uint16_t>(TlsFailure::internal);
      links_.control->post_event(event);
      return;
    }
  }
  if (prober_ != nullptr && prober_->start(request)) return;
  // No slot: the control plane hears of it as a refused connection.
  ControlEvent event;
  event.kind = ControlEvent::Kind::health_result;
  event.ipv4 = c.request;
  event.port = static_cast<uint8_t>(ProbeOutcome::l4_refused);
  links_.control->post_event(event);
}

}  // namespace dplb::dataplane
