#include "controlplane/proxy/proxy_report.h"

#include <algorithm>

#include "conf/proxy_values.h"

namespace dplb::controlplane {
namespace {

using dataplane::kStatusClasses;
using Responses = std::array<uint64_t, kStatusClasses>;

// Indexes into stat_csv_columns(); the order is HAProxy's and must not change.
enum class Col : std::size_t {
  pxname, svname, qcur, qmax, scur, smax, slim, stot, bin, bout, dreq, dresp, ereq, econ, eresp, wretr, wredis,
  status, weight, act, bck, chkfail, chkdown, lastchg, downtime, qlimit, pid, iid, sid, throttle, lbtot, tracked,
  type, rate, rate_lim, rate_max, check_status, check_code, check_duration, hrsp_1xx, hrsp_2xx, hrsp_3xx, hrsp_4xx,
  hrsp_5xx, hrsp_other, hanafail, req_rate, req_rate_max, req_tot, cli_abrt, srv_abrt, comp_in, comp_out, comp_byp,
  comp_rsp, lastsess, last_chk, last_agt, qtime, ctime, rtime, ttime, agent_status, agent_code, agent_duration,
  check_desc, agent_desc, check_rise, check_fall, check_health, agent_rise, agent_fall, agent_health, addr, cookie,
  mode, algo, conn_rate, conn_rate_max, conn_tot, intercepted, dcon, dses, wrew, connect, reuse, cache_lookups,
  cache_hits, srv_icur, src_ilim, qtime_max, ctime_max, rtime_max, ttime_max, eint, idle_conn_cur, safe_conn_cur,
  used_conn_cur, need_conn_est, uweight, agg_server_check_status,
  count
};

const std::vector<std::string_view> kColumns = {
    "pxname", "svname", "qcur", "qmax", "scur", "smax", "slim", "stot", "bin", "bout", "dreq", "dresp", "ereq",
    "econ", "eresp", "wretr", "wredis", "status", "weight", "act", "bck", "chkfail", "chkdown", "lastchg",
    "downtime", "qlimit", "pid", "iid", "sid", "throttle", "lbtot", "tracked", "type", "rate", "rate_lim",
    "rate_max", "check_status", "check_code", "check_duration", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx",
    "hrsp_5xx", "hrsp_other", "hanafail", "req_rate", "req_rate_max", "req_tot", "cli_abrt", "srv_abrt", "comp_in",
    "comp_out", "comp_byp", "comp_rsp", "lastsess", "last_chk", "last_agt", "qtime", "ctime", "rtime", "ttime",
    "agent_status", "agent_code", "agent_duration", "check_desc", "agent_desc", "check_rise", "check_fall",
    "check_health", "agent_rise", "agent_fall", "agent_health", "addr", "cookie", "mode", "algo", "conn_rate",
    "conn_rate_max", "conn_tot", "intercepted", "dcon", "dses", "wrew", "connect", "reuse", "cache_lookups",
    "cache_hits", "srv_icur", "src_ilim", "qtime_max", "ctime_max", "rtime_max", "ttime_max", "eint",
    "idle_conn_cur", "safe_conn_cur", "used_conn_cur", "need_conn_est", "uweight", "agg_server_check_status",
};

constexpr std::size_t kColumnCount = static_cast<std::size_t>(Col::count);

struct FrontendTotals {
  uint64_t current = 0, max = 0, total = 0, refused = 0, requests = 0, errors = 0, bytes_in = 0, bytes_out = 0,
           aborts = 0;
  Responses responses{};
};

struct BackendTotals {
  uint64_t requests = 0, queue = 0, queue_max = 0, connect_errors = 0, response_errors = 0, retries = 0,
           redispatches = 0, no_server = 0, bytes_in = 0, bytes_out = 0, client_aborts = 0, server_aborts = 0;
  Responses responses{};
};

struct ServerTotals {
  uint64_t current = 0, current_max = 0, total = 0, queue = 0, queue_max = 0, connections = 0, reused = 0, idle = 0,
           connect_errors = 0, response_errors = 0, retries = 0, bytes_in = 0, bytes_out = 0, server_aborts = 0,
           last_request_us = 0;
  Responses responses{};
};

void add_responses(Responses& to, const std::array<dataplane::Counter, kStatusClasses>& from) {
  for (std::size_t i = 0; i < kStatusClasses; ++i) to[i] += from[i].get();
}

FrontendTotals frontend_totals(const ProxyView& v, std::size_t f) {
  FrontendTotals t;
  for (const auto* w : v.workers) {
    if (f >= w->frontends.size()) continue;
    const auto& c = w->frontends[f];
    t.current += c.sessions_current.get();
    t.max = std::max(t.max, c.sessions_max.get());
    t.total += c.sessions_total.get();
    t.refused += c.sessions_refused.get();
    t.requests += c.requests.get();
    t.errors += c.request_errors.get();
    t.bytes_in += c.bytes_in.get();
    t.bytes_out += c.bytes_out.get();
    t.aborts += c.client_aborts.get();
    add_responses(t.responses, c.responses);
  }
  return t;
}

BackendTotals backend_totals(const ProxyView& v, std::size_t b) {
  BackendTotals t;
  for (const auto* w : v.workers) {
    if (b >= w->backends.size()) continue;
    const auto& c = w->backends[b];
    t.requests += c.requests.get();
    t.queue += c.queue_current.get();
    t.queue_max = std::max(t.queue_max, c.queue_max.get());
    t.connect_errors += c.connect_errors.get();
    t.response_errors += c.response_errors.get();
    t.retries += c.retries.get();
    t.redispatches += c.redispatches.get();
    t.no_server += c.no_server.get();
    t.bytes_in += c.bytes_in.get();
    t.bytes_out += c.bytes_out.get();
    t.client_aborts += c.client_aborts.get();
    t.server_aborts += c.server_aborts.get();
    add_responses(t.responses, c.responses);
  }
  return t;
}

ServerTotals server_totals(const ProxyView& v, std::size_t b, std::size_t s) {
  ServerTotals t;
  for (const auto* w : v.workers) {
    if (b >= w->servers.size() || s >= w->servers[b].size()) continue;
    const auto& c = w->servers[b][s];
    t.current += c.current.get();
    t.current_max = std::max(t.current_max, c.current_max.get());
    t.total += c.total.get();
    t.queue += c.queue_current.get();
    t.queue_max = std::max(t.queue_max, c.queue_max.get());
    t.connections += c.connections.get();
    t.reused += c.reused.get();
    t.idle += c.idle.get();
    t.connect_errors += c.connect_errors.get();
    t.response_errors += c.response_errors.get();
    t.retries += c.retries.get();
    t.bytes_in += c.bytes_in.get();
    t.bytes_out += c.bytes_out.get();
    t.server_aborts += c.server_aborts.get();
    t.last_request_us = std::max(t.last_request_us, c.last_request_us.get());
    add_responses(t.responses, c.responses);
  }
  return t;
}

std::string n(uint64_t v) { return std::to_string(v); }

std::string responses_text(const Responses& r) {
  return "1xx " + n(r[0]) + "  2xx " + n(r[1]) + "  3xx " + n(r[2]) + "  4xx " + n(r[3]) + "  5xx " + n(r[4]) +
         "  other " + n(r[5]);
}

std::string address_text(uint32_t address, uint16_t port) {
  return conf::Ipv4Address{address}.to_string() + ":" + std::to_string(port);
}

// Per server of the current snapshot: may take new traffic, and its weight.
struct ServerState {
  bool usable = true;
  uint16_t weight = 0;
};

ServerState server_state(const dataplane::ProxyBackend& backend, std::size_t s) {
  const auto& table = backend.table.servers();
  if (s >= table.size()) return {};
  return {table[s].usable, table[s].weight};
}

std::size_t usable_servers(const dataplane::ProxyBackend& backend) {
  const auto& table = backend.table.servers();
  return static_cast<std::size_t>(std::count_if(table.begin(), table.end(), [](const auto& s) { return s.usable; }));
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

// RFC 4180 quoting, as HAProxy's csv_enc does, for names that would break a field.
std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

class CsvRow {
 public:
  CsvRow() : fields_(kColumnCount) {}
  void set(Col c, std::string value) { fields_[static_cast<std::size_t>(c)] = std::move(value); }
  void set(Col c, uint64_t value) { set(c, n(value)); }
  void set_responses(const Responses& r) {
    static constexpr Col cols[] = {Col::hrsp_1xx, Col::hrsp_2xx, Col::hrsp_3xx,
                                   Col::hrsp_4xx, Col::hrsp_5xx, Col::hrsp_other};
    for (std::size_t i = 0; i < kStatusClasses; ++i) set(cols[i], r[i]);
  }
  void append_to(std::string& out) const {
    for (const std::string& f : fields_) {
      out += f;
      out += ',';
    }
    out += "-,\n";
  }

 private:
  std::vector<std::string> fields_;
};

std::string seconds_since(uint64_t now_us, uint64_t then_us) {
  if (then_us == 0 || now_us == 0) return "-1";  // never, as HAProxy prints it
  return n(now_us > then_us ? (now_us - then_us) / 1'000'000 : 0);
}

}  // namespace

const std::vector<std::string_view>& stat_csv_columns() {
  static_assert(static_cast<std::size_t>(Col::agg_server_check_status) == 100, "HAProxy 2.6 has 101 static fields");
  return kColumns;
}

std::string stat_csv_header() {
  std::string out = "# ";
  for (std::string_view c : kColumns) {
    out += c;
    out += ',';
  }
  out += "-,\n";
  return out;
}

std::string report_frontends(const ProxyView& v) {
  std::string out;
  for (std::size_t f = 0; f < v.snapshot.frontends.size(); ++f) {
    const auto& fe = v.snapshot.frontends[f];
    const FrontendTotals t = frontend_totals(v, f);
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
  }
  if (out.empty()) out = "no frontends (see [[frontend]] in docs/config.md)\n";
  return out;
}

std::string report_backends(const ProxyView& v) {
  std::string out;
  for (std::size_t b = 0; b < v.snapshot.backends.size(); ++b) {
    const auto& be = v.snapshot.backends[b];
    const BackendTotals t = backend_totals(v, b);
    const std::string balance = b < v.config.backends.size() ? conf::format_balance(v.config.backends[b])
                                                             : std::string(algorithm_name(be.balance));
    out += "backend " + be.name + "  balance " + balance + "  hash-type " +
           conf::hash_type_name(be.table.settings().hash_type) + "  servers-usable " + n(usable_servers(be)) +
           "  servers " + n(be.servers.size()) + "\n";
    out += "  requests " + n(t.requests) + "  queue " + n(t.queue) + "  queue-max " + n(t.queue_max) +
           "  connect-errors " + n(t.connect_errors) + "  response-errors " + n(t.response_errors) + "  retries " +
           n(t.retries) + "  redispatches " + n(t.redispatches) + "  no-server " + n(t.no_server) + "\n";
    out += "  " + responses_text(t.responses) + "  bytes-in " + n(t.bytes_in) + "  bytes-out " + n(t.bytes_out) + "\n";
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
      const ServerTotals t = server_totals(v, b, s);
      const ServerState state = server_state(be, s);
      const ServerCheckView* hv = b < v.health.size() && s < v.health[b].size() ? &v.health[b][s] : nullptr;
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
  const std::size_t frontends = v.snapshot.frontends.size();
  // Proxy ids: frontends then backends, in configuration order, from 1.
  for (std::size_t f = 0; f < frontends; ++f) {
    const auto& fe = v.snapshot.frontends[f];
    const FrontendTotals t = frontend_totals(v, f);
    CsvRow row;
    row.set(Col::pxname, csv_field(fe.name));
    row.set(Col::svname, std::string("FRONTEND"));
    row.set(Col::scur, t.current);
    row.set(Col::smax, t.max);
    row.set(Col::slim, uint64_t{f < v.config.frontends.size() ? v.config.frontends[f].maxconn : 0});
    row.set(Col::stot, t.total);
    row.set(Col::bin, t.bytes_in);
    row.set(Col::bout, t.bytes_out);
    row.set(Col::dreq, uint64_t{0});  // dplb has no deny rules
    row.set(Col::dresp, uint64_t{0});
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
    row.append_to(out);
  }
  for (std::size_t b = 0; b < v.snapshot.backends.size(); ++b) {
    const auto& be = v.snapshot.backends[b];
    const uint64_t iid = frontends + b + 1;
    uint64_t in_flight = 0, selected = 0, connects = 0, reuses = 0, last_request_us = 0;
    uint64_t active_up = 0, backup_up = 0, user_weight = 0;
    for (std::size_t s = 0; s < be.servers.size(); ++s) {
      const auto& sv = be.servers[s];
      const ServerTotals t = server_totals(v, b, s);
      const ServerState state = server_state(be, s);
      const uint64_t configured_weight =
          b < v.config.backends.size() && s < v.config.backends[b].servers.size()
              ? v.config.backends[b].servers[s].weight
              : state.weight;
      in_flight += t.current;
      selected += t.total;
      connects += t.connections;
      reuses += t.reused;
      last_request_us = std::max(last_request_us, t.last_request_us);
      if (state.usable) ++(sv.backup ? backup_up : active_up);
      if (!sv.backup) user_weight += configured_weight;
      CsvRow row;
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
      if (b < v.health.size() && s < v.health[b].size()) {
        const ServerCheckView& hv = v.health[b][s];
        // HAProxy writes "no check" in status for unchecked servers, the
        // state with its n/m progress otherwise.
        row.set(Col::status, hv.state);
        row.set(Col::lastchg, static_cast<uint64_t>(std::max<int64_t>(hv.lastchg_s, 0)));
        row.set(Col::downtime, static_cast<uint64_t>(std::max<int64_t>(hv.downtime_s, 0)));
        if (hv.checked) {
          row.set(Col::chkfail, hv.chkfail);
          row.set(Col::chkdown, hv.chkdown);
          if (!hv.check_status.empty()) row.set(Col::check_status, hv.check_status);
          if (hv.check_code != 0) row.set(Col::check_code, uint64_t{hv.check_code});
          if (hv.check_duration_ms >= 0) row.set(Col::check_duration, static_cast<uint64_t>(hv.check_duration_ms));
        }
      }
      row.set(Col::act, uint64_t{sv.backup ? 0u : 1u});
      row.set(Col::bck, uint64_t{sv.backup ? 1u : 0u});
      row.set(Col::pid, uint64_t{1});
      row.set(Col::iid, iid);
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
      row.set(Col::uweight, b < v.health.size() && s < v.health[b].size() ? uint64_t{v.health[b][s].weight}
                                                                           : uint64_t{configured_weight});
      row.append_to(out);
    }
    const BackendTotals t = backend_totals(v, b);
    uint64_t effective_weight = 0;
    for (uint32_t s : be.table.candidates()) effective_weight += be.table.servers()[s].weight;
    CsvRow row;
    row.set(Col::pxname, csv_field(be.name));
    row.set(Col::svname, std::string("BACKEND"));
    row.set(Col::qcur, t.queue);
    row.set(Col::qmax, t.queue_max);
    row.set(Col::scur, in_flight);
    row.set(Col::stot, t.requests);
    row.set(Col::bin, t.bytes_in);
    row.set(Col::bout, t.bytes_out);
    row.set(Col::dreq, uint64_t{0});
    row.set(Col::dresp, uint64_t{0});
    row.set(Col::econ, t.connect_errors);
    row.set(Col::eresp, t.response_errors);
    row.set(Col::wretr, t.retries);
    row.set(Col::wredis, t.redispatches);
    row.set(Col::status, std::string(be.table.candidates().empty() ? "DOWN" : "UP"));
    row.set(Col::weight, effective_weight);
    row.set(Col::act, active_up);
    row.set(Col::bck, backup_up);
    row.set(Col::pid, uint64_t{1});
    row.set(Col::iid, iid);
    row.set(Col::sid, uint64_t{0});
    row.set(Col::lbtot, selected);
    row.set(Col::type, uint64_t{1});
    row.set_responses(t.responses);
    row.set(Col::req_tot, t.requests);
    row.set(Col::cli_abrt, t.client_aborts);
    row.set(Col::srv_abrt, t.server_aborts);
    row.set(Col::lastsess, seconds_since(v.now_us, last_request_us));
    row.set(Col::mode, std::string("http"));
    row.set(Col::algo, std::string(algorithm_name(be.balance)));
    row.set(Col::connect, connects);
    row.set(Col::reuse, reuses);
    row.set(Col::uweight, user_weight);
    row.append_to(out);
  }
  return out;
}

}  // namespace dplb::controlplane
