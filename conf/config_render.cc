#include "conf/config_render.h"

#include <cctype>
#include <cstdio>
#include <sstream>

#include "conf/proxy_values.h"
#include "conf/vrrp_config.h"

namespace dplb::conf {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u == 0x7f) {
      // A return body may hold any byte; TOML strings name control bytes by code.
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", u);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A table key: bare when TOML allows it, quoted otherwise.
std::string key(const std::string& s) {
  bool bare = !s.empty();
  for (char c : s) {
    bare = bare && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  }
  return bare ? s : quoted(s);
}

template <class List, class Render>
std::string list(const List& values, Render render) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + render(values[i]);
  return out + "]";
}

std::string duration(Duration d) { return quoted(format_duration(d)); }
const char* flag(bool b) { return b ? "true" : "false"; }

void render_dataplane(std::ostream& o, const Config& c) {
  o << "[dataplane]\n"
    << "workers = " << list(c.dataplane.workers, [](uint32_t w) { return std::to_string(w); }) << "\n"
    << "control_lcore = " << c.dataplane.control_lcore << "\n"
    << "hugepages = " << (c.dataplane.hugepages ? "true" : "false") << "\n"
    << "memory_mb = " << c.dataplane.memory_mb << "\n"
    << "idle_sleep_us = " << c.dataplane.idle_sleep_us << "\n"
    << "idle_sleep_max_us = " << c.dataplane.idle_sleep_max_us << "\n"
    << "eal_args = " << list(c.dataplane.eal_args, quoted) << "\n"
    << "arp_timeout = " << quoted(format_duration(c.dataplane.arp_timeout)) << "\n"
    << "arp_retry = " << quoted(format_duration(c.dataplane.arp_retry)) << "\n"
    << "arp_probes = " << c.dataplane.arp_probes << "\n"
    << "arp_max_entries = " << c.dataplane.arp_max_entries << "\n\n";
}

void render_console(std::ostream& o, const Config& c) {
  o << "[console]\n"
    << "socket = " << quoted(c.console.socket) << "\n"
    << "prompt = " << quoted(c.console.prompt) << "\n\n";
}

void render_log(std::ostream& o, const Config& c) {
  o << "[log]\n"
    << "level = " << quoted(c.log.level) << "\n"
    << "file = " << quoted(c.log.file) << "\n"
    << "access_log = " << quoted(c.log.access_log) << "\n\n";
}

void render_tcp(std::ostream& o, const TcpConfig& t) {
  o << "[tcp]\n"
    << "max_connections = " << t.max_connections << "\n"
    << "connection_buffer = " << t.connection_buffer << "\n"
    << "worker_buffer = " << t.worker_buffer << "\n"
    << "syn_backlog = " << t.syn_backlog << "\n"
    << "syn_cookies = " << flag(t.syn_cookies) << "\n"
    << "congestion = " << quoted(congestion_name(t.congestion)) << "\n"
    << "min_rto = " << duration(t.min_rto) << "\n"
    << "initial_rto = " << duration(t.initial_rto) << "\n"
    << "max_rto = " << duration(t.max_rto) << "\n"
    << "delayed_ack = " << duration(t.delayed_ack) << "\n"
    << "time_wait = " << duration(t.time_wait) << "\n"
    << "fin_wait_2 = " << duration(t.fin_wait_2) << "\n"
    << "syn_retries = " << t.syn_retries << "\n"
    << "retries = " << t.retries << "\n"
    << "orphan_retries = " << t.orphan_retries << "\n"
    << "keepalive = " << flag(t.keepalive) << "\n"
    << "keepalive_idle = " << duration(t.keepalive_idle) << "\n"
    << "keepalive_interval = " << duration(t.keepalive_interval) << "\n"
    << "keepalive_probes = " << t.keepalive_probes << "\n"
    << "sack = " << flag(t.sack) << "\n"
    << "timestamps = " << flag(t.timestamps) << "\n"
    << "window_scaling = " << flag(t.window_scaling) << "\n"
    << "local_ports = [" << t.local_port_first << ", " << t.local_port_last << "]\n"
    << "challenge_ack_limit = " << t.challenge_ack_limit << "\n";
}

void render_network(std::ostream& o, const Config& c) {
  for (const auto& p : c.ports) {
    o << "\n[[port]]\n"
      << "name = " << quoted(p.name) << "\n"
      << "device = " << quoted(p.device.text) << "\n"
      << "address = " << quoted(p.address.to_string()) << "\n";
    if (p.gateway) o << "gateway = " << quoted(p.gateway->to_string()) << "\n";
    o << "mtu = " << p.mtu << "\n"
      << "rx_descriptors = " << p.rx_descriptors << "\n"
      << "tx_descriptors = " << p.tx_descriptors << "\n";
  }
  for (const auto& r : c.routes) {
    o << "\n[[route]]\n"
      << "destination = " << quoted(r.destination.to_string()) << "\n"
      << "gateway = " << quoted(r.gateway.to_string()) << "\n";
    if (!r.port.empty()) o << "port = " << quoted(r.port) << "\n";
  }
  for (const auto& a : c.static_arp) {
    o << "\n[[arp]]\n"
      << "address = " << quoted(a.address.to_string()) << "\n"
      << "mac = " << quoted(format_mac(a.mac)) << "\n";
    if (!a.port.empty()) o << "port = " << quoted(a.port) << "\n";
  }
}

// Plain strings where the bind follows the frontend (as written, a string
// is TLS exactly when the frontend has [frontend.tls]), tables otherwise.
std::string render_binds(const FrontendConfig& f) {
  std::string out = "[";
  for (std::size_t i = 0; i < f.bind.size(); ++i) {
    const bool tls = i < f.bind_tls.size() && f.bind_tls[i];
    const std::string address = quoted(format_endpoint(f.bind[i]));
    out += (i ? ", " : "") + (tls == f.tls.has_value() ? address
                                                       : "{ address = " + address + ", tls = " + flag(tls) + " }");
  }
  return out + "]";
}

void render_frontend_tls(std::ostream& o, const FrontendTlsConfig& t) {
  o << "\n[frontend.tls]\ncertificates = ["
    << "";
  for (std::size_t i = 0; i < t.certificates.size(); ++i) {
    const TlsCertificateConfig& c = t.certificates[i];
    o << (i ? ", " : "");
    if (c.key.empty() && c.sni.empty()) {
      o << quoted(c.cert);
      continue;
    }
    o << "{ cert = " << quoted(c.cert);
    if (!c.key.empty()) o << ", key = " << quoted(c.key);
    if (!c.sni.empty()) o << ", sni = " << list(c.sni, quoted);
    o << " }";
  }
  o << "]\n"
    << "default_certificate = " << t.default_certificate << "\n"
    << "min_version = " << quoted(tls_version_name(t.min_version)) << "\n"
    << "ciphers = " << quoted(t.ciphers) << "\n"
    << "ciphersuites = " << quoted(t.ciphersuites) << "\n"
    << "alpn = " << list(t.alpn, quoted) << "\n"
    << "session_tickets = " << flag(t.session_tickets) << "\n";
  if (!t.ticket_keys_file.empty()) o << "ticket_keys_file = " << quoted(t.ticket_keys_file) << "\n";
  if (!t.ocsp_response.empty()) o << "ocsp_response = " << quoted(t.ocsp_response) << "\n";
  o << "verify = " << quoted(tls_verify_name(t.verify)) << "\n";
  if (!t.ca_file.empty()) o << "ca_file = " << quoted(t.ca_file) << "\n";
  if (!t.crl_file.empty()) o << "crl_file = " << quoted(t.crl_file) << "\n";
  o << "client_cert_header = " << quoted(t.client_cert_header) << "\n";
  if (t.timeout_handshake) o << "timeout_handshake = " << duration(*t.timeout_handshake) << "\n";
}

// `acl = { name = "text", name2 = ["text", "text"] }`: the lines of one
// name come together, as the loader read them.
void render_acls(std::ostream& o, const HttpRulesConfig& r) {
  if (r.acls.empty()) return;
  o << "acl = {";
  const char* separator = " ";
  for (std::size_t i = 0; i < r.acls.size();) {
    std::size_t end = i + 1;
    while (end < r.acls.size() && r.acls[end].name == r.acls[i].name) ++end;
    o << separator << key(r.acls[i].name) << " = ";
    if (end - i == 1) {
      o << quoted(r.acls[i].text);
    } else {
      o << "[";
      for (std::size_t k = i; k < end; ++k) o << (k > i ? ", " : "") << quoted(r.acls[k].text);
      o << "]";
    }
    separator = ", ";
    i = end;
  }
  o << " }\n";
}

void render_condition(std::ostream& o, const std::string& condition, bool unless) {
  if (!condition.empty()) o << (unless ? "unless = " : "if = ") << quoted(condition) << "\n";
}

void render_rule(std::ostream& o, const std::string& header, const HttpRuleConfig& rule) {
  using A = rules::HttpRuleAction;
  const rules::HttpRuleSpec& s = rule.spec;
  o << "\n" << header << "\naction = " << quoted(rules::http_rule_action_name(s.action)) << "\n";
  switch (s.action) {
    case A::redirect:
      o << rules::redirect_kind_name(s.redirect) << " = " << quoted(s.redirect_to) << "\n"
        << "code = " << s.code << "\n";
      if (s.drop_query) o << "drop_query = true\n";
      break;
    case A::deny:
    case A::return_response:
      if (s.status != 0) o << "status = " << s.status << "\n";
      if (!s.content_type.empty()) o << "content_type = " << quoted(s.content_type) << "\n";
      if (!rule.file.empty()) {
        o << "file = " << quoted(rule.file) << "\n";
      } else if (s.has_body) {
        o << "body = " << quoted(s.body) << "\n";
      }
      break;
    case A::set_header:
    case A::add_header:
      o << "name = " << quoted(s.name) << "\nvalue = " << quoted(s.value) << "\n";
      break;
    case A::del_header: o << "name = " << quoted(s.name) << "\n"; break;
    case A::replace_header:
      o << "name = " << quoted(s.name) << "\nmatch = " << quoted(s.match) << "\nvalue = " << quoted(s.value) << "\n";
      break;
    case A::set_path:
    case A::set_query: o << "value = " << quoted(s.value) << "\n"; break;
    case A::disable_l7_retry: break;
  }
  render_condition(o, s.condition, s.unless);
}

// The rule lists are sub-tables, so they follow every plain key of their
// [[frontend]] or [[backend]].
void render_rule_lists(std::ostream& o, const std::string& section, const HttpRulesConfig& r) {
  for (const auto& rule : r.http_request) render_rule(o, "[[" + section + ".http_request]]", rule);
  for (const auto& rule : r.http_response) render_rule(o, "[[" + section + ".http_response]]", rule);
}

void render_frontends(std::ostream& o, const Config& c) {
  // Timeouts left unset are left out: they inherit at run time, and
  // printing the inherited value would load back as a written one.
  for (const auto& f : c.frontends) {
    o << "\n[[frontend]]\n"
      << "name = " << quoted(f.name) << "\n"
      << "bind = " << render_binds(f) << "\n"
      << "default_backend = " << quoted(f.default_backend) << "\n"
      << "maxconn = " << f.maxconn << "\n"
      << "forwardfor = " << flag(f.forwardfor) << "\n"
      << "timeout_client = " << duration(f.timeout_client) << "\n";
    if (f.timeout_http_request) o << "timeout_http_request = " << duration(*f.timeout_http_request) << "\n";
    if (f.timeout_http_keep_alive) o << "timeout_http_keep_alive = " << duration(*f.timeout_http_keep_alive) << "\n";
    o << "errorfiles = {";
    const char* separator = " ";
    for (const auto& [status, file] : f.errorfiles) {
      o << separator << status << " = " << quoted(file.path);
      separator = ", ";
    }
    o << (f.errorfiles.empty() ? "}" : " }") << "\n"
      << "log = " << flag(f.log) << "\n"
      << "dontlognull = " << flag(f.dontlognull) << "\n"
      << "log_format = " << quoted(f.httpslog ? "httpslog" : "httplog") << "\n";
    render_acls(o, f.rules);
    if (f.tls) render_frontend_tls(o, *f.tls);
    render_rule_lists(o, "frontend", f.rules);
    for (const auto& u : f.use_backend) {
      o << "\n[[frontend.use_backend]]\nbackend = " << quoted(u.backend) << "\n";
      render_condition(o, u.condition, u.unless);
    }
  }
}

void render_health_check(std::ostream& o, const HealthCheckConfig& h) {
  o << "\n[backend.health_check]\n"
    << "type = " << quoted(health_check_type_name(h.type)) << "\n"
    << "interval = " << duration(h.interval) << "\n";
  if (h.fastinter) o << "fastinter = " << duration(*h.fastinter) << "\n";
  if (h.downinter) o << "downinter = " << duration(*h.downinter) << "\n";
  o << "rise = " << h.rise << "\n"
    << "fall = " << h.fall << "\n";
  if (h.timeout) o << "timeout = " << duration(*h.timeout) << "\n";
  // A tcp check refuses the http keys, so writing their defaults would not
  // load back.
  if (h.type == HealthCheckType::http) {
    o << "method = " << quoted(h.method) << "\n"
      << "path = " << quoted(h.path) << "\n";
    if (!h.host.empty()) o << "host = " << quoted(h.host) << "\n";
    auto status = [](const StatusRange& r) { return quoted(format_status_range(r)); };
    o << "expect_status = "
      << (h.expect_status.size() == 1 ? status(h.expect_status.front()) : list(h.expect_status, status)) << "\n"
      << "disable_on_404 = " << flag(h.disable_on_404) << "\n";
  }
  o << "observe = " << quoted(observe_mode_name(h.observe)) << "\n"
    << "error_limit = " << h.error_limit << "\n"
    << "on_error = " << quoted(on_error_name(h.on_error)) << "\n";
}

void render_server(std::ostream& o, const ServerConfig& server) {
  o << "\n[[backend.server]]\n"
    << "name = " << quoted(server.name) << "\n"
    << "address = " << quoted(format_endpoint(server.address)) << "\n"
    << "weight = " << server.weight << "\n"
    << "maxconn = " << server.maxconn << "\n"
    << "backup = " << flag(server.backup) << "\n"
    << "check = " << flag(server.check) << "\n";
  if (server.check_port != 0) o << "check_port = " << server.check_port << "\n";
  o << "slowstart = " << duration(server.slowstart) << "\n";
  if (server.tls.enabled) {
    const ServerTlsConfig& t = server.tls;
    o << "tls = { enabled = true, verify = " << quoted(tls_verify_name(t.verify));
    if (!t.ca_file.empty()) o << ", ca_file = " << quoted(t.ca_file);
    if (!t.sni.empty()) o << ", sni = " << quoted(t.sni);
    if (!t.cert.empty()) o << ", cert = " << quoted(t.cert);
    if (!t.key.empty()) o << ", key = " << quoted(t.key);
    o << ", check_ssl = " << flag(t.check_ssl) << " }\n";
  }
}

void render_backends(std::ostream& o, const Config& c) {
  for (const auto& b : c.backends) {
    o << "\n[[backend]]\n"
      << "name = " << quoted(b.name) << "\n"
      << "balance = " << quoted(format_balance(b)) << "\n"
      << "hash_type = " << quoted(hash_type_name(b.hash_type)) << "\n"
      << "timeout_connect = " << duration(b.timeout_connect) << "\n"
      << "timeout_server = " << duration(b.timeout_server) << "\n";
    if (b.timeout_queue) o << "timeout_queue = " << duration(*b.timeout_queue) << "\n";
    if (b.timeout_tunnel) o << "timeout_tunnel = " << duration(*b.timeout_tunnel) << "\n";
    o << "http_reuse = " << quoted(http_reuse_name(b.http_reuse)) << "\n"
      << "retries = " << b.retries << "\n"
      << "redispatch = "
      << (b.redispatch && b.redispatch_interval != -1 ? std::to_string(b.redispatch_interval) : flag(b.redispatch))
      << "\n"
      << "retry_on = [";
    const std::vector<std::string> words = format_retry_on(b.retry_on);
    for (std::size_t i = 0; i < words.size(); ++i) o << (i ? ", " : "") << quoted(words[i]);
    o << "]\n"
      << "retry_buffer = " << quoted(format_size(b.retry_buffer)) << "\n"
      << "timeout_per_try = " << duration(b.timeout_per_try) << "\n"
      << "retry_budget = { percent = " << b.retry_budget.percent
      << ", min_concurrent = " << b.retry_budget.min_concurrent << " }\n"
      << "retry_backoff = { base = " << duration(b.retry_backoff.base) << ", max = " << duration(b.retry_backoff.max)
      << " }\n"
      << "retry_non_idempotent = " << quoted(retry_non_idempotent_name(b.retry_non_idempotent)) << "\n"
      << "idempotency_key_header = " << quoted(b.idempotency_key_header) << "\n";
    render_acls(o, b.rules);
    render_health_check(o, b.health_check);
    for (const auto& server : b.servers) render_server(o, server);
    render_rule_lists(o, "backend", b.rules);
  }
}

void render_vrrp(std::ostream& o, const Config& c) {
  // The priority is the one in effect (255 for a MASTER written without
  // one), which loads back the same; auth_pass is the 8 characters sent.
  for (const auto& v : c.vrrp) {
    o << "\n[[vrrp]]\n"
      << "name = " << quoted(v.name) << "\n"
      << "port = " << quoted(v.port) << "\n"
      << "state = " << quoted(vrrp_state_name(v.state)) << "\n"
      << "virtual_router_id = " << unsigned{v.virtual_router_id} << "\n"
      << "priority = " << unsigned{v.priority} << "\n"
      << "version = " << unsigned{v.version} << "\n"
      << "advert_int = " << format_advert_interval(v.advert_int_cs) << "\n";
    if (!v.auth_pass.empty()) o << "auth_pass = " << quoted(v.auth_pass) << "\n";
    o << "preempt = " << flag(v.preempt) << "\n";
    // Only with preempt: the loader refuses a preempt_delay without it.
    if (v.preempt) o << "preempt_delay = " << duration(v.preempt_delay) << "\n";
    o << "virtual_addresses = "
      << list(v.virtual_addresses, [](const Ipv4Prefix& p) { return quoted(p.to_string()); }) << "\n"
      << "garp_repeat = " << v.garp_repeat << "\n"
      << "garp_delay = " << duration(v.garp_delay) << "\n"
      << "garp_refresh = " << duration(v.garp_refresh) << "\n"
      << "unicast_peers = " << list(v.unicast_peers, [](const Ipv4Address& a) { return quoted(a.to_string()); })
      << "\n"
      << "use_vmac = " << flag(v.use_vmac) << "\n";
    // A v2 instance refuses v3_checksum, so writing its default would not load back.
    if (v.version == 3) o << "v3_checksum = " << quoted(vrrp_v3_checksum_name(v.v3_checksum)) << "\n";
    o << "track_backends = " << list(v.track_backends, [](const VrrpTrackBackend& t) {
      return "{ backend = " + quoted(t.backend) + ", weight = " + std::to_string(t.weight) + " }";
    }) << "\n"
      << "notify = " << quoted(v.notify) << "\n";
  }
}

}  // namespace

std::string render_config(const Config& c) {
  std::ostringstream o;
  o << "# " << c.file << "\n";
  render_dataplane(o, c);
  render_console(o, c);
  render_log(o, c);
  render_tcp(o, c.tcp);
  render_network(o, c);
  render_frontends(o, c);
  render_backends(o, c);
  render_vrrp(o, c);
  return o.str();
}

}  // namespace dplb::conf
