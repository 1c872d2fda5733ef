// The text of `show frontends`, `show backends`, `show servers` and the
// rows of `show stat`.

#include "controlplane/proxy/proxy_report.h"

#include <algorithm>

#include "conf/proxy_values.h"
#include "controlplane/proxy/proxy_totals.h"
#include "controlplane/proxy/stat_csv_columns.h"

namespace dplb::controlplane {
namespace {

using Col = StatCsvColumn;

std::string n(uint64_t v) { return std::to_string(v); }

std::string responses_text(const ResponseCounts& r) {
  return "1xx " + n(r[0]) + "  2xx " + n(r[1]) + "  3xx " + n(r[2]) + "  4xx " + n(r[3]) + "  5xx " + n(r[4]) +
         "  other " + n(r[5]);
}

std::string address_text(uint32_t address, uint16_t port) {
  return conf::Ipv4Address{address}.to_string() + ":" + std::to_string(port);
}

// HAProxy's name for the algorithm in the CSV `algo` column, without arguments.
const char* algorithm_name(conf::BalanceAlgorithm a) {
  switch (a) {
    case conf::BalanceAlgorithm::roundrobin: return "roundrobin";
    case conf::BalanceAlgorithm::static_rr: return "static-rr";
    case conf::BalanceAlgorithm::leastconn: return "leastconn";
    case conf::BalanceAlgorithm::first: return "first";
    case conf::BalanceAlgorithm::random: return "random";
    case conf::BalanceAlgorithm::source: return "source";
    case conf::BalanceAlgorithm::uri: return "uri";
    case conf::BalanceAlgorithm::hdr: return "hdr";
  }
  return "roundrobin";
}

std::string seconds_since(uint64_t now_us, uint64_t then_us) {
  if (then_us == 0 || now_us == 0) return "-1";  // never, as HAProxy prints it
  return n(now_us > then_us ? (now_us - then_us) / 1'000'000 : 0);
}

const ServerCheckView* health_of(const ProxyView& v, std::size_t b, std::size_t s) {
  return b < v.health.size() && s < v.health[b].size() ? &v.health[b][s] : nullptr;
}

// The weight the configuration gave a server (the snapshot's when the
// configuration does not know it).
uint64_t configured_weight(const ProxyView& v, std::size_t b, std::size_t s, const ServerState& state) {
  if (b < v.config.backends.size() && s < v.config.backends[b].servers.size()) {
    return v.config.backends[b].servers[s].weight;
  }
  return state.weight;
}

// Proxy ids (iid): frontends then backends, in configuration order, from 1.
uint64_t backend_iid(const ProxyView& v, std::size_t b) { return v.snapshot.frontends.size() + b + 1; }

void append_frontend_row(std::string& out, const ProxyView& v, std::size_t f) {
  const auto& fe = v.snapshot.frontends[f];
  const FrontendTotals t = frontend_totals(v.workers, f);
  StatCsvRow row;
  row.set(Col::pxname, csv_field(fe.name));
  row.set(Col::svname, std::string("FRONTEND"));
  row.set(Col::scur, t.current);
  row.set(Col::smax, t.max);
  row.set(Col::slim, uint64_t{f < v.config.frontends.size() ? v.config.frontends[f].maxconn : 0});
  row.set(Col::stot, t.total);
  row.set(Col::bin, t.bytes_in);
  row.set(Col::bout, t.bytes_out);
  row.set(Col::dreq, t.denied_requests);
  row.set(Col::dresp, t.denied_responses);
  row.set(Col::ereq, t.errors);
  row.set(Col::status, std::string("OPEN"));
  row.set(Col::pid, uint64_t{1});
  row.set(Col::iid, uint64_t{f + 1});
  row.set(Col::sid, uint64_t{0});
  row.set(Col::type, uint64_t{0});
  row.set_responses(t.responses);
  row.set(Col::req_tot, t.requests);
  row.set(Col::mode, std::string("http"));
  row.set(Col::conn_tot, t.total);
  row.set(Col::intercepted, t.intercepted);
  row.set(Col::wrew, t.rewrite_failures);
  row.append_to(out);
}

void set_health_columns(StatCsvRow& row, const ServerCheckView& hv) {
  // HAProxy writes "no check" in status for unchecked servers, the state
  // with its n/m progress otherwise.
  row.set(Col::status, hv.state);
  row.set(Col::lastchg, static_cast<uint64_t>(std::max<int64_t>(hv.lastchg_s, 0)));
  row.set(Col::downtime, static_cast<uint64_t>(std::max<int64_t>(hv.downtime_s, 0)));
  if (!hv.checked) return;
  row.set(Col::chkfail, hv.chkfail);
  row.set(Col::chkdown, hv.chkdown);
  if (!hv.check_status.empty()) row.set(Col::check_status, hv.check_status);
  if (hv.check_code != 0) row.set(Col::check_code, uint64_t{hv.check_code});
  if (hv.check_duration_ms >= 0) row.set(Col::check_duration, static_cast<uint64_t>(hv.check_duration_ms));
}

void append_server_row(std::string& out, const ProxyView& v, std::size_t b, std::size_t s, const ServerTotals& t) {
  const auto& be = v.snapshot.backends[b];
  const auto& sv = be.servers[s];
  const ServerState state = server_state(be, s);
  const ServerCheckView* hv = health_of(v, b, s);
  StatCsvRow row;
  row.set(Col::pxname, csv_field(be.name));
  row.set(Col::svname, csv_field(sv.name));
  row.set(Col::qcur, t.queue);
  row.set(Col::qmax, t.queue_max);
  row.set(Col::scur, t.current);
  row.set(Col::smax, t.current_max);
  if (sv.maxconn != 0) row.set(Col::slim, uint64_t{sv.maxconn});
  row.set(Col::stot, t.total);
  row.set(Col::bin, t.bytes_in);
  row.set(Col::bout, t.bytes_out);
  row.set(Col::dresp, uint64_t{0});
  row.set(Col::econ, t.connect_errors);
  row.set(Col::eresp, t.response_errors);
  row.set(Col::wretr, t.retries);
  row.set(Col::status, std::string(state.usable ? "UP" : "DOWN"));
  row.set(Col::weight, uint64_t{state.weight});
  if (hv != nullptr) set_health_columns(row, *hv);
  row.set(Col::act, uint64_t{sv.backup ? 0u : 1u});
  row.set(Col::bck, uint64_t{sv.backup ? 1u : 0u});
  row.set(Col::pid, uint64_t{1});
  row.set(Col::iid, backend_iid(v, b));
  row.set(Col::sid, uint64_t{s + 1});
  row.set(Col::lbtot, t.total);
  row.set(Col::type, uint64_t{2});
  row.set_responses(t.responses);
  row.set(Col::srv_abrt, t.server_aborts);
  row.set(Col::lastsess, seconds_since(v.now_us, t.last_request_us));
  row.set(Col::addr, address_text(sv.address, sv.port));
  row.set(Col::mode, std::string("http"));
  row.set(Col::connect, t.connections);
  row.set(Col::reuse, t.reused);
  row.set(Col::srv_icur, t.idle);
  row.set(Col::uweight, hv != nullptr ? uint64_t{hv->weight} : configured_weight(v, b, s, state));
  row.append_to(out);
}

// What a BACKEND row takes from its servers rather than from the backend's
// own counters.
struct ServerRollup {
  uint64_t in_flight = 0, selected = 0, connects = 0, reuses = 0, last_request_us = 0;
  uint64_t active_up = 0, backup_up = 0, user_weight = 0;
};

// A row per server of backend `b`; returns what the BACKEND row sums of them.
ServerRollup append_server_rows(std::string& out, const ProxyView& v, std::size_t b) {
  const auto& be = v.snapshot.backends[b];
  ServerRollup r;
  for (std::size_t s = 0; s < be.servers.size(); ++s) {
    const ServerTotals t = server_totals(v.workers, b, s);
    const ServerState state = server_state(be, s);
    r.in_flight += t.current;
    r.selected += t.total;
    r.connects += t.connections;
    r.reuses += t.reused;
    r.last_request_us = std::max(r.last_request_us, t.last_request_us);
    if (state.usable) ++(be.servers[s].backup ? r.backup_up : r.active_up);
    if (!be.servers[s].backup) r.user_weight += configured_weight(v, b, s, state);
    append_server_row(out, v, b, s, t);
  }
  return r;
}

void append_backend_row(std::string& out, const ProxyView& v, std::size_t b, const ServerRollup& servers) {
  const auto& be = v.snapshot.backends[b];
  const BackendTotals t = backend_totals(v.workers, b);
  uint64_t effective_weight = 0;
  for (uint32_t s : be.table.candidates()) effective_weight += be.table.servers()[s].weight;
  StatCsvRow row;
  row.set(Col::pxname, csv_field(be.name));
  row.set(Col::svname, std::string("BACKEND"));
  row.set(Col::qcur, t.queue);
  row.set(Col::qmax, t.queue_max);
  row.set(Col::scur, servers.in_flight);
  row.set(Col::stot, t.requests);
  row.set(Col::bin, t.bytes_in);
  row.set(Col::bout, t.bytes_out);
  row.set(Col::dreq, t.denied_requests);
  row.set(Col::dresp, t.denied_responses);
  row.set(Col::econ, t.connect_errors);
  row.set(Col::eresp, t.response_errors);
  row.set(Col::wretr, t.retries);
  row.set(Col::wredis, t.redispatches);
  row.set(Col::status, std::string(be.table.candidates().empty() ? "DOWN" : "UP"));
  row.set(Col::weight, effective_weight);
  row.set(Col::act, servers.active_up);
  row.set(Col::bck, servers.backup_up);
  row.set(Col::pid, uint64_t{1});
  row.set(Col::iid, backend_iid(v, b));
  row.set(Col::sid, uint64_t{0});
  row.set(Col::lbtot, servers.selected);
  row.set(Col::type, uint64_t{1});
  row.set_responses(t.responses);
  row.set(Col::req_tot, t.requests);
  row.set(Col::cli_abrt, t.client_aborts);
  row.set(Col::srv_abrt, t.server_aborts);
  row.set(Col::lastsess, seconds_since(v.now_us, servers.last_request_us));
  row.set(Col::mode, std::string("http"));
  row.set(Col::algo, std::string(algorithm_name(be.balance)));
  row.set(Col::connect, servers.connects);
  row.set(Col::reuse, servers.reuses);
  row.set(Col::uweight, servers.user_weight);
  row.set(Col::wrew, t.rewrite_failures);
  row.append_to(out);
}

}  // namespace

std::string report_frontends(const ProxyView& v) {
  std::string out;
  for (std::size_t f = 0; f < v.snapshot.frontends.size(); ++f) {
    const auto& fe = v.snapshot.frontends[f];
    const FrontendTotals t = frontend_totals(v.workers, f);
    std::string binds;
    for (const auto& b : fe.bind) binds += (binds.empty() ? "" : ",") + conf::format_endpoint(b);
    const std::string backend =
        fe.backend < v.snapshot.backends.size() ? v.snapshot.backends[fe.backend].name : std::string("-");
    const uint64_t maxconn = f < v.config.frontends.size() ? v.config.frontends[f].maxconn : 0;
    out += "frontend " + fe.name + "  bind " + binds + "  backend " + backend + "  maxconn " + n(maxconn) + "\n";
    out += "  sessions " + n(t.current) + "  sessions-max " + n(t.max) + "  sessions-total " + n(t.total) +
           "  refused " + n(t.refused) + "\n";
    out += "  requests " + n(t.requests) + "  request-errors " + n(t.errors) + "  " + responses_text(t.responses) +
           "\n";
    out += "  bytes-in " + n(t.bytes_in) + "  bytes-out " + n(t.bytes_out) + "  client-aborts " + n(t.aborts) + "\n";
    out += "  denied-requests " + n(t.denied_requests) + "  denied-responses " + n(t.denied_responses) +
           "  intercepted " + n(t.intercepted) + "  rewrite-failures " + n(t.rewrite_failures) + "\n";
  }
  if (out.empty()) out = "no frontends (see [[frontend]] in docs/config.md)\n";
  return out;
}

std::string report_backends(const ProxyView& v) {
  std::string out;
  for (std::size_t b = 0; b < v.snapshot.backends.size(); ++b) {
    const auto& be = v.snapshot.backends[b];
    const BackendTotals t = backend_totals(v.workers, b);
    const std::string balance = b < v.config.backends.size() ? conf::format_balance(v.config.backends[b])
                                                             : std::string(algorithm_name(be.balance));
    out += "backend " + be.name + "  balance " + balance + "  hash-type " +
           conf::hash_type_name(be.table.settings().hash_type) + "  servers-usable " + n(usable_servers(be)) +
           "  servers " + n(be.servers.size()) + "\n";
    out += "  requests " + n(t.requests) + "  queue " + n(t.queue) + "  queue-max " + n(t.queue_max) +
           "  connect-errors " + n(t.connect_errors) + "  response-errors " + n(t.response_errors) + "  retries " +
           n(t.retries) + "  redispatches " + n(t.redispatches) + "  no-server " + n(t.no_server) + "\n";
    out += "  " + responses_text(t.responses) + "  bytes-in " + n(t.bytes_in) + "  bytes-out " + n(t.bytes_out) + "\n";
    out += "  denied-requests " + n(t.denied_requests) + "  denied-responses " + n(t.denied_responses) +
           "  rewrite-failures " + n(t.rewrite_failures) + "\n";
    out += "  l7-retries empty-response " + n(t.l7_retries[0]) + "  junk-response " + n(t.l7_retries[1]) +
           "  response-timeout " + n(t.l7_retries[2]) + "  status " + n(t.l7_retries[3]) + "  in-progress " +
           n(t.l7_retries_current) + "\n";
    out += "  not-retried budget " + n(t.retry_budget_refusals) + "  too-large " + n(t.retry_too_large) +
           "  non-idempotent " + n(t.retry_non_idempotent) + "  body-incomplete " + n(t.retry_body_incomplete) + "\n";
  }
  if (out.empty()) out = "no backends (see [[backend]] in docs/config.md)\n";
  return out;
}

std::string report_servers(const ProxyView& v, int backend) {
  std::string out;
  for (std::size_t b = 0; b < v.snapshot.backends.size(); ++b) {
    if (backend >= 0 && b != static_cast<std::size_t>(backend)) continue;
    const auto& be = v.snapshot.backends[b];
    for (std::size_t s = 0; s < be.servers.size(); ++s) {
      const auto& sv = be.servers[s];
      const ServerTotals t = server_totals(v.workers, b, s);
      const ServerState state = server_state(be, s);
      const ServerCheckView* hv = health_of(v, b, s);
      out += "server " + be.name + "/" + sv.name + "  address " + address_text(sv.address, sv.port) + "  state " +
             (hv != nullptr ? hv->state : std::string(state.usable ? "UP" : "DOWN")) + "  role " +
             (sv.backup ? "backup" : "active") + "  weight " + (hv != nullptr ? n(hv->weight) : n(state.weight)) +
             "  effective-weight " + n(state.weight) + "\n";
      if (hv != nullptr && hv->checked) {
        out += "  check " + (hv->check_status.empty() ? std::string("none yet") : hv->check_status);
        if (hv->check_code != 0) out += "  code " + n(hv->check_code);
        if (hv->check_duration_ms >= 0) out += "  duration " + std::to_string(hv->check_duration_ms) + "ms";
        if (!hv->check_info.empty()) out += "  info \"" + hv->check_info + "\"";
        out += "  chkfail " + n(hv->chkfail) + "  chkdown " + n(hv->chkdown) + "  lastchg " +
               std::to_string(hv->lastchg_s) + "s  downtime " + std::to_string(hv->downtime_s) + "s\n";
      }
      out += "  in-flight " + n(t.current) + "  in-flight-max " + n(t.current_max) + "  maxconn " + n(sv.maxconn) +
             "  requests " + n(t.total) + "  queue " + n(t.queue) + "  queue-max " + n(t.queue_max) + "\n";
      out += "  connections " + n(t.connections) + "  reused " + n(t.reused) + "  idle " + n(t.idle) +
             "  connect-errors " + n(t.connect_errors) + "  response-errors " + n(t.response_errors) + "\n";
      out += "  " + responses_text(t.responses) + "\n";
    }
  }
  if (out.empty()) {
    out = backend >= 0 ? "the backend has no servers\n" : "no servers (see [[backend]] in docs/config.md)\n";
  }
  return out;
}

std::string report_stat_csv(const ProxyView& v) {
  std::string out = stat_csv_header();
  for (std::size_t f = 0; f < v.snapshot.frontends.size(); ++f) append_frontend_row(out, v, f);
  for (std::size_t b = 0; b < v.snapshot.backends.size(); ++b) {
    const ServerRollup servers = append_server_rows(out, v, b);
    append_backend_row(out, v, b, servers);
  }
  return out;
}

}  // namespace dplb::controlplane
