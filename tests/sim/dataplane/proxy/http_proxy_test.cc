// The HTTP proxy in the simulated network of tests/sim/proxy_sim.h: real
// TCP stacks for clients, the proxy host and servers, on a virtual clock.
// Each test drives a scenario (a GET, keep-alive, balancing, bodies both
// ways, errors, timeouts, queues, 100-continue, a tunnel, dead peers) and
// checks what the client and the servers saw, the proxy's counters and its
// access-log records. After every test the clients close and the proxy
// must come back to rest: no session, no buffered byte, every mbuf of its
// pool back.
//
// The lossy scenarios (loss and reordering, many clients, the mixed
// workload, chaos) take their seed from DPLB_PROXY_SEED=S when it is set;
// DPLB_PROXY_TRACE=PORT prints every frame of that TCP port when the mixed
// workload fails, and DPLB_PROXY_VERBOSE=1 the chaos test's outcomes.

#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "conf/config_rules.h"
#include "dataplane/http/http_error_page.h"
#include "tests/sim/proxy_sim.h"

namespace dplb::testing {
namespace {

using dataplane::AccessLogRecord;
using dataplane::HttpProxy;
using dataplane::TcpCloseReason;

std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: example.com\r\n" + extra + "\r\n";
}

std::string pattern(uint64_t n) {
  std::string s(n, '\0');
  for (uint64_t i = 0; i < n; ++i) s[i] = body_pattern(i);
  return s;
}

std::string chunk_encode(const std::string& body, uint64_t seed) {
  SplitMix64 r(seed);
  std::string out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const std::size_t n = std::min<std::size_t>(body.size() - pos, 1 + r.below(20000));
    char size[24];
    std::snprintf(size, sizeof size, "%zx\r\n", n);
    out += size;
    out.append(body, pos, n);
    out += "\r\n";
    pos += n;
  }
  out += "0\r\n\r\n";
  return out;
}

std::string hex(std::size_t n) {
  char out[24];
  std::snprintf(out, sizeof out, "%zx", n);
  return out;
}

// Lossy tests are about bytes, not timeouts: after a lost SYN the first
// retransmission of data waits 3 s (RFC 6298 5.7), longer than the short
// timeouts the other tests use.
void relax_timeouts(conf::Config& config) {
  for (auto& f : config.frontends) {
    f.timeout_client = conf::Duration{20'000'000};
    f.timeout_http_request = conf::Duration{20'000'000};
    f.timeout_http_keep_alive = conf::Duration{20'000'000};
  }
  for (auto& b : config.backends) {
    b.timeout_server = conf::Duration{20'000'000};
    b.timeout_connect = conf::Duration{5'000'000};
  }
}

// DPLB_PROXY_SEED=S replays the lossy scenarios with another seed.
uint64_t env_seed(uint64_t fallback) {
  const char* v = std::getenv("DPLB_PROXY_SEED");
  return v != nullptr ? std::strtoull(v, nullptr, 10) : fallback;
}

std::string log_request(const AccessLogRecord& r) { return std::string(r.request, r.request_length); }
std::string log_termination(const AccessLogRecord& r) { return std::string(r.termination, 2); }

class HttpProxySim : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    proxy_pool_ = rte_pktmbuf_pool_create("proxy_sim_proxy", 16383, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    peer_pool_ = rte_pktmbuf_pool_create("proxy_sim_peers", 16383, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(proxy_pool_, nullptr);
    ASSERT_NE(peer_pool_, nullptr);
  }
  static void TearDownTestSuite() {
    rte_mempool_free(proxy_pool_);
    rte_mempool_free(peer_pool_);
  }

  void SetUp() override { config_ = sim_proxy_config(1); }

  // Builds the network from config_: the proxy, one server host per
  // configured server (all with behaviour `b`; listening unless
  // `listening[i]` says otherwise), `clients_` client hosts.
  void start(ServerBehaviour b = {}, NetProfile net = {}, uint64_t seed = 1, std::vector<bool> listening = {}) {
    proxy_free_before_ = rte_mempool_avail_count(proxy_pool_);
    snapshot_ = dataplane::build_proxy_snapshot(config_, 1, 1);
    std::vector<std::size_t> per_backend;
    for (const auto& be : config_.backends) per_backend.push_back(be.servers.size());
    counters_.size_for(config_.frontends.size(), per_backend);
    ring_ = std::make_unique<dataplane::AccessLogRing>();
    const std::string error = ring_->create(1000 + next_ring_++, SOCKET_ID_ANY);
    ASSERT_EQ(error, "");
    sim_ = std::make_unique<ProxySim>(net, seed);
    sim_->add_proxy(proxy_pool_, proxy_settings_, snapshot_.get(), counters_, ring_.get());
    const auto& servers = config_.backends[0].servers;
    for (std::size_t i = 0; i < servers.size(); ++i) {
      // Hosts sit at the usual addresses whatever the configuration says,
      // so a test can point a server at an address nobody has.
      SimHost& h = sim_->add_host(ProxySim::server_address(static_cast<uint32_t>(i)), peer_pool_, sim_tcp_settings());
      const bool listen = i >= listening.size() || listening[i];
      servers_.push_back(std::make_unique<SimHttpServer>(*sim_, h, servers[i].name, b, listen));
    }
    for (uint32_t i = 0; i < clients_; ++i) {
      SimHost& h = sim_->add_host(ProxySim::client_address(i), peer_pool_, sim_tcp_settings());
      clients_list_.push_back(std::make_unique<SimHttpClient>(*sim_, h));
    }
    client_ = clients_list_.front().get();
  }

  void TearDown() override {
    if (sim_ == nullptr) return;
    if (shut_down_) {
      servers_.clear();
      clients_list_.clear();
      sim_.reset();
      EXPECT_EQ(rte_mempool_avail_count(peer_pool_), peer_pool_->size) << "peer mbufs leaked";
      return;
    }
    for (auto& c : clients_list_) c->close_all();
    HttpProxy& p = sim_->proxy();
    dataplane::TcpStack& stack = *sim_->proxy_host().stack;
    const bool rest = sim_->run_until(
        [&] {
          return p.sessions() == 0 && stack.buffered_bytes() == 0 &&
                 rte_mempool_avail_count(proxy_pool_) == proxy_free_before_;
        },
        20'000'000);
    EXPECT_TRUE(rest) << "sessions " << p.sessions() << ", buffered " << stack.buffered_bytes() << ", mbufs missing "
                      << static_cast<int64_t>(proxy_free_before_) -
                             static_cast<int64_t>(rte_mempool_avail_count(proxy_pool_));
    EXPECT_EQ(counters_.sessions.get(), 0u);
    EXPECT_EQ(counters_.frontends[0].sessions_current.get(), 0u);
    for (std::size_t s = 0; s < counters_.servers[0].size(); ++s) {
      EXPECT_EQ(counters_.servers[0][s].current.get(), 0u) << "server " << s;
      EXPECT_EQ(counters_.servers[0][s].queue_current.get(), 0u) << "server " << s;
    }
    EXPECT_EQ(counters_.backends[0].queue_current.get(), 0u);
    EXPECT_EQ(sim_->unparsed_frames(), 0u);
    sim_->shutdown();
    servers_.clear();
    clients_list_.clear();
    sim_.reset();
    EXPECT_EQ(rte_mempool_avail_count(peer_pool_), peer_pool_->size) << "peer mbufs leaked";
  }

  HttpProxy& proxy() { return sim_->proxy(); }
  SimHttpServer& server(std::size_t i) { return *servers_[i]; }
  dataplane::ServerCounters& server_counters(std::size_t i) { return counters_.servers[0][i]; }
  dataplane::BackendCounters& backend_counters() { return counters_.backends[0]; }
  dataplane::FrontendCounters& frontend_counters() { return counters_.frontends[0]; }

  std::vector<AccessLogRecord> take_log() {
    std::vector<AccessLogRecord> out;
    AccessLogRecord batch[32];
    while (const unsigned n = ring_->take(batch, 32)) out.insert(out.end(), batch, batch + n);
    return out;
  }

  // A client that asks for 8 MB from a streaming server and never reads;
  // returns its connection once the proxy has ended it.
  int stalled_download() {
    ServerBehaviour b{ServerMode::stream};
    b.stream_bytes = 8u << 20;
    start(b);
    const int c = client_->open();
    client_->pause(c);
    client_->send(c, get("/big"));
    EXPECT_TRUE(client_->wait_done(c, 3'000'000));
    return c;
  }

  // One request on a new client connection; returns the client's index.
  int request(const std::string& bytes, std::size_t responses = 1, uint64_t limit_us = 5'000'000) {
    const int c = client_->open();
    client_->send(c, bytes);
    EXPECT_TRUE(client_->wait_responses(c, responses, limit_us)) << "no response to " << bytes.substr(0, 60);
    return c;
  }

  static rte_mempool* proxy_pool_;
  static rte_mempool* peer_pool_;
  static uint32_t next_ring_;

  conf::Config config_;
  dataplane::TcpSettings proxy_settings_ = sim_tcp_settings();
  uint32_t clients_ = 1;
  unsigned proxy_free_before_ = 0;
  std::unique_ptr<const dataplane::ProxySnapshot> snapshot_;
  dataplane::ProxyCounters counters_;
  std::unique_ptr<dataplane::AccessLogRing> ring_;
  std::unique_ptr<ProxySim> sim_;
  std::vector<std::unique_ptr<SimHttpServer>> servers_;
  std::vector<std::unique_ptr<SimHttpClient>> clients_list_;
  SimHttpClient* client_ = nullptr;
  bool shut_down_ = false;  // the test stopped the simulation itself
  std::vector<std::unique_ptr<const dataplane::ProxySnapshot>> snapshots_;  // adopted ones
};

rte_mempool* HttpProxySim::proxy_pool_ = nullptr;
rte_mempool* HttpProxySim::peer_pool_ = nullptr;
uint32_t HttpProxySim::next_ring_ = 0;

// ---- Forwarding --------------------------------------------------------------

TEST_F(HttpProxySim, GetForwardsResponseAndRewritesRequestHead) {
  start(ServerBehaviour{ServerMode::echo_head});
  const int c = request(get("/index.html?q=1",
                            "Connection: keep-alive, X-Private\r\nX-Private: secret\r\nKeep-Alive: timeout=5\r\n"
                            "X-Forwarded-Proto: https\r\nX-Forwarded-For: 192.0.2.7\r\nAccept: */*\r\n"));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  const SimResponse& r = responses[0];
  EXPECT_EQ(r.head.start_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(r.head.field("x-server"), "server1");
  EXPECT_EQ(r.head.field("content-type"), "text/plain");
  EXPECT_EQ(r.head.count("connection"), 0u);  // both sides HTTP/1.1, keep-alive: nothing to say

  ASSERT_EQ(server(0).requests().size(), 1u);
  const SimRequest& seen = server(0).requests()[0];
  EXPECT_EQ(seen.head.start_line, "GET /index.html?q=1 HTTP/1.1");
  EXPECT_EQ(seen.head.field("host"), "example.com");
  EXPECT_EQ(seen.head.field("accept"), "*/*");
  EXPECT_EQ(seen.head.count("connection"), 0u);
  EXPECT_EQ(seen.head.count("keep-alive"), 0u);
  EXPECT_EQ(seen.head.count("x-private"), 0u);
  // The client's X-Forwarded-For stays, dplb's comes last; Proto and Port are dplb's alone.
  ASSERT_EQ(seen.head.count("x-forwarded-for"), 2u);
  EXPECT_NE(seen.head.text.find("X-Forwarded-For: 192.0.2.7\r\n"), std::string::npos);
  EXPECT_NE(seen.head.text.find("X-Forwarded-For: 10.0.0.1\r\n"), std::string::npos);
  EXPECT_LT(seen.head.text.find("192.0.2.7"), seen.head.text.find("10.0.0.1"));
  EXPECT_EQ(seen.head.count("x-forwarded-proto"), 1u);
  EXPECT_EQ(seen.head.field("x-forwarded-proto"), "http");
  EXPECT_EQ(seen.head.field("x-forwarded-port"), "80");
  EXPECT_EQ(r.body, seen.head.text);

  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log_termination(log[0]), "--");
  EXPECT_EQ(log_request(log[0]), "GET /index.html?q=1 HTTP/1.1");
  EXPECT_EQ(log[0].client_address, ProxySim::client_address(0));
  EXPECT_EQ(log[0].backend, 0);
  EXPECT_EQ(log[0].server, 0);
  EXPECT_EQ(log[0].bytes_read, client_->received(c).size());
  EXPECT_EQ(log[0].retries, 0);
  EXPECT_GE(log[0].t_request, 0);
  EXPECT_GE(log[0].t_connect, 0);
  EXPECT_GE(log[0].t_response, 0);
  EXPECT_GE(log[0].t_active, log[0].t_response);
  EXPECT_EQ(frontend_counters().requests.get(), 1u);
  EXPECT_EQ(frontend_counters().responses[1].get(), 1u);
  EXPECT_EQ(server_counters(0).responses[1].get(), 1u);
}

TEST_F(HttpProxySim, RulesRedirectRewriteAndAddResponseHeaders) {
  auto& rules = config_.frontends[0].rules;
  rules.acls.push_back({"is_old", "path_beg /old", {}});
  conf::HttpRuleConfig redirect;
  redirect.spec.action = rules::HttpRuleAction::redirect;
  redirect.spec.redirect = rules::RedirectKind::prefix;
  redirect.spec.redirect_to = "https://example.org";
  redirect.spec.code = 301;
  redirect.spec.condition = "is_old";
  redirect.positions = {{"action", {}}, {"prefix", {}}, {"code", {}}, {"if", {}}};
  rules.http_request.push_back(redirect);
  conf::HttpRuleConfig add;
  add.spec.action = rules::HttpRuleAction::set_header;
  add.spec.name = "X-Client";
  add.spec.value = "%ci:%[path]";
  add.positions = {{"action", {}}, {"name", {}}, {"value", {}}};
  rules.http_request.push_back(add);
  conf::HttpRuleConfig hsts;
  hsts.spec.action = rules::HttpRuleAction::set_header;
  hsts.spec.name = "Strict-Transport-Security";
  hsts.spec.value = "max-age=63072000";
  hsts.spec.condition = "{ status 200 }";
  hsts.positions = {{"action", {}}, {"name", {}}, {"value", {}}, {"if", {}}};
  rules.http_response.push_back(hsts);
  conf::Diagnostics d("test");
  conf::compile_http_rules(config_, d);
  ASSERT_FALSE(d.has_errors()) << d.formatted().front();
  ASSERT_NE(rules.compiled, nullptr);
  start(ServerBehaviour{ServerMode::echo_head});

  const int c = request(get("/old/page?x=1"));
  auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].head.start_line, "HTTP/1.1 301 Moved Permanently");
  EXPECT_EQ(responses[0].head.field("location"), "https://example.org/old/page?x=1");
  EXPECT_EQ(server(0).requests().size(), 0u);

  const int c2 = request(get("/new"));
  responses = parse_responses(client_->received(c2));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].head.start_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(responses[0].head.field("strict-transport-security"), "max-age=63072000");
  ASSERT_EQ(server(0).requests().size(), 1u);
  EXPECT_EQ(server(0).requests()[0].head.field("x-client"), "10.0.0.1:/new");

  const auto log = take_log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log_termination(log[0]), "LR");
  EXPECT_EQ(log[0].status, 301);
  EXPECT_EQ(frontend_counters().intercepted.get(), 1u);
  EXPECT_EQ(counters_.frontend_rule_hits[0][0].get(), 1u);
  EXPECT_EQ(counters_.frontend_rule_hits[0][1].get(), 1u);
  EXPECT_EQ(counters_.frontend_rule_hits[0][2].get(), 1u);
}

// A rule as the loader would hand it over: the spec and the keys it was
// written with (the checks look at which keys a rule has).
conf::HttpRuleConfig rule(rules::HttpRuleAction action, std::initializer_list<const char*> keys,
                          const std::function<void(rules::HttpRuleSpec&)>& fill) {
  conf::HttpRuleConfig r;
  r.spec.action = action;
  fill(r.spec);
  r.positions["action"] = {};
  for (const char* k : keys) r.positions[k] = {};
  if (!r.spec.condition.empty()) r.positions[r.spec.unless ? "unless" : "if"] = {};
  return r;
}

conf::UseBackendConfig use_backend(const std::string& backend, const std::string& condition) {
  conf::UseBackendConfig u;
  u.backend = backend;
  u.condition = condition;
  u.positions = {{"backend", {}}, {"if", {}}};
  return u;
}

TEST_F(HttpProxySim, RulesDenyAndReturnAnswerThemselvesAndKeepAliveGoesOn) {
  using A = rules::HttpRuleAction;
  auto& rules = config_.frontends[0].rules;
  rules.http_request.push_back(rule(A::deny, {}, [](rules::HttpRuleSpec& s) { s.condition = "{ path_beg /admin }"; }));
  rules.http_request.push_back(rule(A::return_response, {"status", "content_type", "body"}, [](rules::HttpRuleSpec& s) {
    s.status = 503;
    s.content_type = "text/plain";
    s.body = "down for maintenance\n";
    s.has_body = true;
    s.condition = "{ path /down }";
  }));
  rules.http_request.push_back(rule(A::deny, {"status", "content_type", "body"}, [](rules::HttpRuleSpec& s) {
    s.status = 429;
    s.content_type = "application/json";
    s.body = "{\"error\":\"slow down\"}";
    s.has_body = true;
    s.condition = "{ hdr_cnt(x-flood) gt 0 }";
  }));
  conf::Diagnostics d("test");
  conf::compile_http_rules(config_, d);
  ASSERT_FALSE(d.has_errors()) << d.formatted().front();
  start();

  // A return answers on a kept-alive connection, which then carries a
  // request to the server as if nothing happened.
  const int c = client_->open();
  client_->send(c, get("/down"));
  ASSERT_TRUE(client_->wait_responses(c, 1, 2'000'000));
  client_->send(c, get("/up"));
  ASSERT_TRUE(client_->wait_responses(c, 2, 2'000'000));
  auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0].head.start_line, "HTTP/1.1 503 Service Unavailable");
  EXPECT_EQ(responses[0].head.field("content-type"), "text/plain");
  EXPECT_EQ(responses[0].head.field("content-length"), "21");
  EXPECT_EQ(responses[0].body, "down for maintenance\n");
  EXPECT_EQ(responses[1].status, 200);
  EXPECT_EQ(responses[1].body, "server1");
  EXPECT_FALSE(client_->conn(c).done());
  // The rules run again on the second request of the connection.
  client_->send(c, get("/admin/users"));
  ASSERT_TRUE(client_->wait_responses(c, 3, 2'000'000));
  responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(responses[2].status, 403);
  EXPECT_NE(responses[2].body.find("403 Forbidden"), std::string::npos) << responses[2].body;
  ASSERT_TRUE(sim_->run_until([&] { return client_->conn(c).done(); }, 2'000'000));  // a deny closes

  const int flood = request(get("/", "X-Flood: 1\r\n"));
  responses = parse_responses(client_->received(flood));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 429);
  EXPECT_EQ(responses[0].head.field("content-type"), "application/json");
  EXPECT_EQ(responses[0].body, "{\"error\":\"slow down\"}");

  ASSERT_EQ(server(0).requests().size(), 1u);  // only /up got through
  EXPECT_EQ(server(0).requests()[0].head.start_line, "GET /up HTTP/1.1");
  const auto log = take_log();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log_termination(log[0]), "LR");
  EXPECT_EQ(log[0].status, 503);
  EXPECT_EQ(log_termination(log[1]), "--");
  EXPECT_EQ(log_termination(log[2]), "PR");
  EXPECT_EQ(log[2].status, 403);
  EXPECT_EQ(log_termination(log[3]), "PR");
  EXPECT_EQ(frontend_counters().denied_requests.get(), 2u);
  EXPECT_EQ(frontend_counters().intercepted.get(), 1u);
  EXPECT_EQ(counters_.frontend_rule_hits[0][0].get(), 1u);
  EXPECT_EQ(counters_.frontend_rule_hits[0][1].get(), 1u);
  EXPECT_EQ(counters_.frontend_rule_hits[0][2].get(), 1u);
}

TEST_F(HttpProxySim, RulesSwitchContentToThreeBackendsAndRewriteOnTheWay) {
  using A = rules::HttpRuleAction;
  // Three server hosts (start() makes one per server of the first
  // backend); "app" (the default) sends to the first only, the others being
  // its idle backups, "api" to the second, "static" to the third.
  config_ = sim_proxy_config(3);
  config_.backends[0].servers[1].backup = true;
  config_.backends[0].servers[2].backup = true;
  for (const auto& [name, host] : {std::pair<const char*, uint32_t>{"api", 1}, {"static", 2}}) {
    conf::BackendConfig b = config_.backends[0];
    b.servers.resize(1);
    b.name = name;
    b.servers[0].name = std::string(name) + "1";
    b.servers[0].address = conf::Endpoint{conf::Ipv4Address{ProxySim::server_address(host)}, 80};
    config_.backends.push_back(b);
  }
  auto& front = config_.frontends[0];
  front.rules.acls.push_back({"is_api", "path_beg /api /v1", {}});
  front.rules.acls.push_back({"is_static", "path_end .css .js", {}});
  front.rules.acls.push_back({"is_static", "hdr(host) -i static.example.com", {}});
  front.use_backend.push_back(use_backend("api", "is_api"));
  front.use_backend.push_back(use_backend("static", "is_static"));
  front.rules.http_request.push_back(rule(A::replace_header, {"name", "match", "value"}, [](rules::HttpRuleSpec& s) {
    s.name = "User-Agent";
    s.match = "^curl/([0-9.]+)$";
    s.value = "cli/\\1";
  }));
  auto& api = config_.backends[1].rules;
  api.http_request.push_back(rule(A::set_header, {"name", "value"}, [](rules::HttpRuleSpec& s) {
    s.name = "X-Backend";
    s.value = "%b via %f";
  }));
  api.http_request.push_back(rule(A::set_path, {"value"}, [](rules::HttpRuleSpec& s) { s.value = "/internal%[path]"; }));
  api.http_request.push_back(rule(A::set_query, {"value"}, [](rules::HttpRuleSpec& s) {
    s.value = "";
    s.condition = "{ url_param(debug) 1 }";
  }));
  api.http_response.push_back(rule(A::del_header, {"name"}, [](rules::HttpRuleSpec& s) { s.name = "Server"; }));
  api.http_response.push_back(rule(A::add_header, {"name", "value"}, [](rules::HttpRuleSpec& s) {
    s.name = "X-Served-By";
    s.value = "api";
  }));
  conf::Diagnostics d("test");
  conf::compile_http_rules(config_, d);
  ASSERT_FALSE(d.has_errors()) << d.formatted().front();
  ServerBehaviour b{ServerMode::custom};
  b.custom = [](const SimRequest& r) {
    const std::string body = r.head.start_line + "|" + r.head.field("x-backend").value_or("") + "|" +
                             r.head.field("user-agent").value_or("");
    return "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  start(b);

  // One kept-alive client connection, four requests, three backends.
  const int c = client_->open();
  const std::vector<std::string> sent = {
      get("/api/users?debug=1", "User-Agent: curl/8.1.2\r\n"), get("/site.css"),
      "GET / HTTP/1.1\r\nHost: STATIC.example.com\r\n\r\n", get("/index.html", "User-Agent: Mozilla/5.0\r\n")};
  for (std::size_t i = 0; i < sent.size(); ++i) {
    client_->send(c, sent[i]);
    ASSERT_TRUE(client_->wait_responses(c, i + 1, 2'000'000)) << sent[i];
  }
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 4u) << client_->received(c);
  EXPECT_EQ(responses[0].body, "GET /internal/api/users HTTP/1.1|api via web|cli/8.1.2");
  EXPECT_EQ(responses[0].head.count("server"), 0u);
  EXPECT_EQ(responses[0].head.field("x-served-by"), "api");
  EXPECT_EQ(responses[1].body, "GET /site.css HTTP/1.1||");
  EXPECT_EQ(responses[1].head.field("server"), "nginx");
  EXPECT_EQ(responses[2].body, "GET / HTTP/1.1||");
  EXPECT_EQ(responses[3].body, "GET /index.html HTTP/1.1||Mozilla/5.0");
  EXPECT_EQ(server(0).requests().size(), 1u);  // app
  EXPECT_EQ(server(1).requests().size(), 1u);  // api
  EXPECT_EQ(server(2).requests().size(), 2u);  // static

  const auto log = take_log();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].backend, 1);
  EXPECT_EQ(log[1].backend, 2);
  EXPECT_EQ(log[2].backend, 2);
  EXPECT_EQ(log[3].backend, 0);
  const auto& hits = counters_.frontend_rule_hits[0];
  const auto& set = *config_.frontends[0].rules.compiled;
  EXPECT_EQ(hits[0].get(), 4u);  // a hit is a rule whose condition held; replace-header has none
  EXPECT_EQ(hits[set.use_backend_base()].get(), 1u);      // use_backend api
  EXPECT_EQ(hits[set.use_backend_base() + 1].get(), 2u);  // use_backend static
  EXPECT_EQ(counters_.backend_rule_hits[1][2].get(), 1u);  // set-query on debug=1
  EXPECT_EQ(counters_.backends[1].requests.get(), 1u);
  EXPECT_EQ(counters_.backends[2].requests.get(), 2u);
}

TEST_F(HttpProxySim, WithoutForwardforTheHeadIsLeftAlone) {
  config_.frontends[0].forwardfor = false;
  start(ServerBehaviour{ServerMode::echo_head});
  request(get("/", "X-Forwarded-Proto: https\r\n"));
  ASSERT_EQ(server(0).requests().size(), 1u);
  const SimHead& h = server(0).requests()[0].head;
  EXPECT_EQ(h.count("x-forwarded-for"), 0u);
  EXPECT_EQ(h.field("x-forwarded-proto"), "https");
}

TEST_F(HttpProxySim, ResponseHopByHopFieldsAreRemoved) {
  ServerBehaviour b{ServerMode::custom};
  b.custom = [](const SimRequest&) {
    return std::string(
        "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n"
        "X-End: 2\r\nContent-Length: 2\r\n\r\nok");
  };
  start(b);
  const int c = request(get("/"));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].head.count("x-hop"), 0u);
  EXPECT_EQ(responses[0].head.count("keep-alive"), 0u);
  EXPECT_EQ(responses[0].head.count("connection"), 0u);
  EXPECT_EQ(responses[0].head.field("x-end"), "2");
  EXPECT_EQ(responses[0].body, "ok");
}

// ---- Keep-alive ----------------------------------------------------------------

TEST_F(HttpProxySim, KeepAliveBothSidesReusesOneServerConnection) {
  start();
  const int c = client_->open();
  for (int i = 0; i < 3; ++i) {
    client_->send(c, get("/" + std::to_string(i)));
    ASSERT_TRUE(client_->wait_responses(c, static_cast<std::size_t>(i + 1), 2'000'000));
  }
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 3u);
  for (const auto& r : responses) {
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "server1");
  }
  EXPECT_FALSE(client_->conn(c).done());  // still open
  EXPECT_EQ(server(0).accepted(), 1u);
  ASSERT_EQ(server(0).requests().size(), 3u);
  for (const auto& r : server(0).requests()) EXPECT_EQ(r.connection, 0);
  EXPECT_EQ(server_counters(0).connections.get(), 1u);
  EXPECT_EQ(server_counters(0).reused.get(), 2u);
  EXPECT_EQ(server_counters(0).total.get(), 3u);
  EXPECT_EQ(take_log().size(), 3u);
}

TEST_F(HttpProxySim, SafeReuseNeverSharesAConnectionsFirstRequest) {
  start();
  const int a = request(get("/a"));
  // The server connection is idle in the pool; a new client's first request
  // must not take it.
  const int b = request(get("/b"));
  EXPECT_EQ(server(0).accepted(), 2u);
  EXPECT_EQ(server_counters(0).reused.get(), 0u);
  // A second request of either client may.
  client_->send(a, get("/a2"));
  ASSERT_TRUE(client_->wait_responses(a, 2, 2'000'000));
  client_->send(b, get("/b2"));
  ASSERT_TRUE(client_->wait_responses(b, 2, 2'000'000));
  EXPECT_EQ(server(0).accepted(), 2u);
  EXPECT_EQ(server_counters(0).reused.get(), 2u);
}

TEST_F(HttpProxySim, ReuseNeverKeepsAPrivateConnection) {
  config_.backends[0].http_reuse = conf::HttpReuse::never;
  start();
  const int a = client_->open();
  client_->send(a, get("/1"));
  ASSERT_TRUE(client_->wait_responses(a, 1, 2'000'000));
  client_->send(a, get("/2"));
  ASSERT_TRUE(client_->wait_responses(a, 2, 2'000'000));
  EXPECT_EQ(server(0).accepted(), 1u);
  EXPECT_EQ(server_counters(0).reused.get(), 1u);
  EXPECT_EQ(server_counters(0).idle.get(), 0u);  // never in the shared pool
  // Another client gets a connection of its own while a's stays open.
  const int b = client_->open();
  client_->send(b, get("/3"));
  client_->send(b, get("/4"));
  ASSERT_TRUE(client_->wait_responses(b, 2, 2'000'000));
  EXPECT_EQ(server(0).accepted(), 2u);
  ASSERT_EQ(server(0).requests().size(), 4u);
  EXPECT_EQ(server(0).requests()[2].connection, 1);
  EXPECT_EQ(server(0).requests()[3].connection, 1);
  EXPECT_EQ(server(0).open_connections(), 2u);
  // When a client leaves, its private connection goes with it.
  client_->close(a);
  ASSERT_TRUE(sim_->run_until([&] { return server(0).open_connections() == 1; }, 2'000'000));
}

TEST_F(HttpProxySim, Http10ClientWithoutKeepAliveIsClosedAfterTheResponse) {
  start();
  const int c = client_->open();
  client_->send(c, "GET /old HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(client_->wait_done(c, 2'000'000));
  EXPECT_TRUE(client_->conn(c).eof);
  EXPECT_FALSE(client_->conn(c).closed);  // a FIN, not a reset
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].body, "server1");
  EXPECT_TRUE(responses[0].head.has_token("connection", "close"));
  ASSERT_EQ(server(0).requests().size(), 1u);
  EXPECT_EQ(server(0).requests()[0].head.start_line, "GET /old HTTP/1.0");
}

TEST_F(HttpProxySim, Http10ClientWithKeepAliveKeepsItsConnection) {
  start();
  const int c = client_->open();
  client_->send(c, "GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_TRUE(client_->wait_responses(c, 1, 2'000'000));
  client_->send(c, "GET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_TRUE(client_->wait_responses(c, 2, 2'000'000));
  EXPECT_FALSE(client_->conn(c).done());
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_TRUE(responses[0].head.has_token("connection", "keep-alive"));
}

// ---- Balancing ---------------------------------------------------------------

TEST_F(HttpProxySim, RoundRobinSpreadsRequestsEvenly) {
  config_ = sim_proxy_config(3);
  start();
  const int c = client_->open();
  std::map<std::string, int> seen;
  for (int i = 0; i < 30; ++i) {
    client_->send(c, get("/" + std::to_string(i)));
    ASSERT_TRUE(client_->wait_responses(c, static_cast<std::size_t>(i + 1), 2'000'000)) << i;
  }
  for (const auto& r : parse_responses(client_->received(c))) ++seen[r.body];
  EXPECT_EQ(seen["server1"], 10);
  EXPECT_EQ(seen["server2"], 10);
  EXPECT_EQ(seen["server3"], 10);
  for (std::size_t s = 0; s < 3; ++s) {
    EXPECT_EQ(server(s).requests().size(), 10u);
    EXPECT_EQ(server_counters(s).total.get(), 10u);
  }
}

TEST_F(HttpProxySim, RoundRobinHonoursWeights) {
  config_ = sim_proxy_config(3);
  for (uint32_t i = 0; i < 3; ++i) config_.backends[0].servers[i].weight = i + 1;
  start();
  // A new connection per request as well: balancing is per request either way.
  for (int i = 0; i < 60; ++i) {
    const int c = client_->open();
    client_->send(c, get("/", "Connection: close\r\n"));
    ASSERT_TRUE(client_->wait_done(c, 2'000'000)) << i;
  }
  EXPECT_EQ(server(0).requests().size(), 10u);
  EXPECT_EQ(server(1).requests().size(), 20u);
  EXPECT_EQ(server(2).requests().size(), 30u);
}

TEST_F(HttpProxySim, PipelinedRequestsAreAnsweredInOrder) {
  config_ = sim_proxy_config(3);
  ServerBehaviour b{ServerMode::custom};
  b.custom = [](const SimRequest& r) {
    const std::string body = r.target;
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  start(b);
  const int c = client_->open();
  client_->send(c, get("/a") + get("/b") + get("/c"));
  ASSERT_TRUE(client_->wait_responses(c, 3, 3'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(responses[0].body, "/a");
  EXPECT_EQ(responses[1].body, "/b");
  EXPECT_EQ(responses[2].body, "/c");
  EXPECT_EQ(take_log().size(), 3u);
}

// ---- Bodies --------------------------------------------------------------------

TEST_F(HttpProxySim, UploadWithContentLengthArrivesIntact) {
  start(ServerBehaviour{ServerMode::name});
  const std::string body = pattern(1 << 20);
  const int c = client_->open();
  client_->send_in_pieces(
      c, "POST /up HTTP/1.1\r\nHost: example.com\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
      7, 40000);
  ASSERT_TRUE(client_->wait_responses(c, 1, 10'000'000));
  ASSERT_EQ(server(0).requests().size(), 1u);
  EXPECT_TRUE(server(0).requests()[0].body == body) << "body differs";
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 200);
  // Another request on the same connection still works after the body.
  client_->send(c, get("/after"));
  ASSERT_TRUE(client_->wait_responses(c, 2, 2'000'000));
}

TEST_F(HttpProxySim, UploadChunkedArrivesIntact) {
  start(ServerBehaviour{ServerMode::name});
  const std::string body = pattern(1 << 20);
  const int c = client_->open();
  client_->send_in_pieces(c,
                          "POST /up HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n" +
                              chunk_encode(body, 3) + get("/after"),
                          11, 30000);
  ASSERT_TRUE(client_->wait_responses(c, 2, 10'000'000));
  ASSERT_EQ(server(0).requests().size(), 2u);
  EXPECT_TRUE(server(0).requests()[0].chunked);
  EXPECT_TRUE(server(0).requests()[0].body == body) << "body differs";
  EXPECT_EQ(server(0).requests()[1].target, "/after");
}

class HttpProxyDownload : public HttpProxySim, public ::testing::WithParamInterface<bool> {};

TEST_P(HttpProxyDownload, LargeResponseArrivesIntact) {
  ServerBehaviour b{ServerMode::stream};
  b.stream_bytes = 20u << 20;
  b.chunked = GetParam();
  b.chunk_size = 30000;
  start(b);
  const int c = client_->open();
  client_->send(c, get("/big"));
  ASSERT_TRUE(client_->wait_responses(c, 1, 30'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].chunked, GetParam());
  ASSERT_EQ(responses[0].body.size(), b.stream_bytes);
  EXPECT_TRUE(responses[0].body == pattern(b.stream_bytes)) << "body differs";
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].bytes_read, client_->received(c).size());
  EXPECT_EQ(log_termination(log[0]), "--");
  // The connection goes on.
  b.stream_bytes = 1000;
  server(0).behaviour().stream_bytes = 1000;
  client_->send(c, get("/small"));
  ASSERT_TRUE(client_->wait_responses(c, 2, 2'000'000));
}

INSTANTIATE_TEST_SUITE_P(Framing, HttpProxyDownload, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Chunked" : "ContentLength"; });

TEST_F(HttpProxySim, DownloadSurvivesLossAndReordering) {
  ServerBehaviour b{ServerMode::stream};
  b.stream_bytes = 2u << 20;
  b.chunked = true;
  config_.backends[0].retries = 3;  // a lost SYN is not what this test is about
  relax_timeouts(config_);
  if (const char* v = std::getenv("DPLB_PROXY_BUFFER")) proxy_settings_.connection_buffer = std::atoi(v);
  start(b, NetProfile{50, 200, 0.01}, env_seed(42));
  const int c = client_->open();
  client_->send(c, get("/big"));
  ASSERT_TRUE(client_->wait_responses(c, 1, 60'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u) << "received " << client_->received(c).size() << " eof " << client_->conn(c).eof
                                  << " closed " << client_->conn(c).closed;
  EXPECT_EQ(responses[0].status, 200);
  const std::string expected = pattern(b.stream_bytes);
  const std::string& body = responses[0].body;
  std::size_t first = 0;
  while (first < std::min(body.size(), expected.size()) && body[first] == expected[first]) ++first;
  EXPECT_TRUE(body == expected) << "body differs: " << body.size() << " bytes, first difference at " << first;
  EXPECT_GT(sim_->frames_lost(), 0u);
}

TEST_F(HttpProxySim, HeadAndBodilessResponses) {
  ServerBehaviour b{ServerMode::custom};
  b.custom = [](const SimRequest& r) -> std::string {
    if (r.method == "HEAD") return "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
    if (r.target == "/204") return "HTTP/1.1 204 No Content\r\n\r\n";
    if (r.target == "/304") return "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n";
    return "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody";
  };
  start(b);
  const int c = client_->open();
  client_->send(c, "HEAD / HTTP/1.1\r\nHost: example.com\r\n\r\n");
  ASSERT_TRUE(client_->wait_responses(c, 1, 2'000'000, {true}));
  client_->send(c, get("/204"));
  ASSERT_TRUE(client_->wait_responses(c, 2, 2'000'000, {true}));
  client_->send(c, get("/304"));
  ASSERT_TRUE(client_->wait_responses(c, 3, 2'000'000, {true}));
  client_->send(c, get("/"));
  ASSERT_TRUE(client_->wait_responses(c, 4, 2'000'000, {true}));
  const auto responses = parse_responses(client_->received(c), {true});
  ASSERT_EQ(responses.size(), 4u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].head.field("content-length"), "1234");
  EXPECT_EQ(responses[1].status, 204);
  EXPECT_EQ(responses[2].status, 304);
  EXPECT_EQ(responses[3].body, "body");
  EXPECT_FALSE(client_->conn(c).done());
  EXPECT_EQ(server(0).accepted(), 1u);
}

TEST_F(HttpProxySim, ResponseUntilCloseEndsTheClientConnection) {
  ServerBehaviour b{ServerMode::custom};
  b.custom = [](const SimRequest&) { return std::string("HTTP/1.1 200 OK\r\n\r\nuntil the end"); };
  b.close_after_answer = true;
  start(b);
  const int c = client_->open();
  client_->send(c, get("/"));
  ASSERT_TRUE(client_->wait_done(c, 2'000'000));
  EXPECT_TRUE(client_->conn(c).eof);
  const auto responses = parse_responses(client_->received(c), {}, true);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].body, "until the end");
}

// ---- Requests dplb refuses -------------------------------------------------------

struct Malformed {
  const char* name;
  std::string bytes;
  int status;
};

TEST_F(HttpProxySim, MalformedRequestsGetAnErrorAndAreNeverForwarded) {
  start();
  const std::vector<Malformed> cases = {
      {"no host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"bad request line", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"long target", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", 414},
      {"large head", "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(17000, 'b') + "\r\n\r\n", 431},
      {"unknown coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n", 501},
      {"http/2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
      {"smuggling CL+TE",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
       "GET /admin HTTP/1.1\r\nHost: a\r\n\r\n",
       400},
      {"two lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
      {"bad chunk", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n", 400},
  };
  for (const auto& m : cases) {
    const int c = client_->open();
    client_->send(c, m.bytes);
    ASSERT_TRUE(client_->wait_done(c, 3'000'000)) << m.name;
    const auto responses = parse_responses(client_->received(c));
    ASSERT_EQ(responses.size(), 1u) << m.name << ": " << client_->received(c).substr(0, 200);
    EXPECT_EQ(responses[0].status, m.status) << m.name;
    EXPECT_EQ(responses[0].head.text + responses[0].body, dataplane::default_error_page(m.status)) << m.name;
    // The connection is closed; a FIN, or a reset when the rest of an
    // oversized request arrived after dplb had stopped reading.
    EXPECT_TRUE(client_->conn(c).eof || client_->conn(c).closed) << m.name;
    const auto log = take_log();
    ASSERT_EQ(log.size(), 1u) << m.name;
    EXPECT_EQ(log[0].status, m.status) << m.name;
    if (std::string(m.name) == "bad chunk") {
      EXPECT_EQ(log_termination(log[0]), "PD") << m.name;
    } else {
      EXPECT_EQ(log_termination(log[0]), "PR") << m.name;
    }
  }
  // Only the bad chunk's head was a valid request; its body never reached
  // the server whole.
  EXPECT_EQ(server(0).requests().size(), 0u);
  EXPECT_EQ(frontend_counters().request_errors.get(), cases.size());
}

TEST_F(HttpProxySim, ClientClosingMidHeadGets400) {
  start();
  const int c = client_->open();
  client_->send(c, "GET / HTTP/1.1\r\nHost: a\r\n");
  client_->shutdown(c);
  ASSERT_TRUE(client_->wait_done(c, 2'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 400);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log_termination(log[0]), "CR");
  EXPECT_EQ(server(0).accepted(), 0u);
}

// ---- Servers that fail -----------------------------------------------------------

TEST_F(HttpProxySim, ServerNotListeningGives503) {
  start({}, {}, 1, {false});
  const int c = request(get("/"));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 503);
  EXPECT_TRUE(client_->conn(c).eof);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 503);
  EXPECT_EQ(log_termination(log[0]), "SC");
  EXPECT_EQ(server_counters(0).connect_errors.get(), 1u);
  EXPECT_EQ(backend_counters().connect_errors.get(), 1u);
  EXPECT_EQ(backend_counters().retries.get(), 0u);
}

TEST_F(HttpProxySim, RetriesThenRedispatchToAGoodServer) {
  config_ = sim_proxy_config(2);
  config_.backends[0].retries = 2;
  config_.backends[0].redispatch = true;
  config_.backends[0].timeout_connect = conf::Duration{200'000};
  start({}, {}, 1, {false, true});
  const int c = request(get("/"), 1, 5'000'000);
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].body, "server2");
  EXPECT_EQ(backend_counters().retries.get(), 2u);
  EXPECT_EQ(backend_counters().redispatches.get(), 1u);
  EXPECT_EQ(server_counters(0).connect_errors.get(), 2u);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[0].server, 1);
  EXPECT_EQ(log[0].retries, 2);
}

TEST_F(HttpProxySim, RedispatchOnEveryRetryGoesElsewhereWithoutTheTurnAround) {
  // HAProxy's `option redispatch 1`: the first retry already picks another
  // server, at once (the turn-around wait is for retrying the same one).
  config_ = sim_proxy_config(2);
  config_.backends[0].retries = 3;
  config_.backends[0].redispatch_interval = 1;
  start({}, {}, 1, {false, true});
  const uint64_t t0 = sim_->now_us();
  const int c = request(get("/"), 1, 5'000'000);
  EXPECT_LT(sim_->now_us() - t0, 100'000u);
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].body, "server2");
  EXPECT_EQ(backend_counters().retries.get(), 1u);
  EXPECT_EQ(backend_counters().redispatches.get(), 1u);
}

TEST_F(HttpProxySim, TheDefaultRedispatchWaitsOnTheSameServerFirst) {
  // -1, HAProxy's default: retries 1 and 2 wait min(timeout_connect, 1 s)
  // and try the same server; the last goes elsewhere.
  config_ = sim_proxy_config(2);
  config_.backends[0].retries = 3;
  config_.backends[0].timeout_connect = conf::Duration{200'000};
  start({}, {}, 1, {false, true});
  const uint64_t t0 = sim_->now_us();
  const int c = request(get("/"), 1, 5'000'000);
  EXPECT_GE(sim_->now_us() - t0, 400'000u);
  EXPECT_EQ(parse_responses(client_->received(c))[0].body, "server2");
  EXPECT_EQ(server_counters(0).connect_errors.get(), 3u);
  EXPECT_EQ(backend_counters().redispatches.get(), 1u);
}

TEST_F(HttpProxySim, ServerUnreachableTimesOutConnect) {
  // No host at the server's address: SYNs vanish, timeout_connect ends it.
  config_.backends[0].servers[0].address.address.value = ipv4(10, 0, 9, 9);
  config_.backends[0].timeout_connect = conf::Duration{300'000};
  start();
  const int c = request(get("/"), 1, 3'000'000);
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 503);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log_termination(log[0]), "sC");
}

TEST_F(HttpProxySim, SilentServerGives504AfterTimeoutServer) {
  config_.backends[0].timeout_server = conf::Duration{500'000};
  start(ServerBehaviour{ServerMode::silent});
  const uint64_t t0 = sim_->now_us();
  const int c = request(get("/"), 1, 3'000'000);
  const uint64_t waited = sim_->now_us() - t0;
  EXPECT_GE(waited, 500'000u);
  EXPECT_LT(waited, 700'000u);
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 504);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log_termination(log[0]), "sH");
  // The server connection was given up.
  ASSERT_TRUE(sim_->run_until([&] { return server(0).open_connections() == 0; }, 1'000'000));
}

TEST_F(HttpProxySim, SilentClientGets408AfterTimeoutHttpRequest) {
  config_.frontends[0].timeout_http_request = conf::Duration{300'000};
  start();
  const int c = client_->open();
  client_->send(c, "GET / HT");  // a start, then nothing
  const uint64_t t0 = sim_->now_us();
  ASSERT_TRUE(client_->wait_done(c, 2'000'000));
  EXPECT_GE(sim_->now_us() - t0, 290'000u);
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 408);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log_termination(log[0]), "cR");
  EXPECT_EQ(server(0).accepted(), 0u);
}

TEST_F(HttpProxySim, ClientSendingNothingGets408) {
  config_.frontends[0].timeout_http_request = conf::Duration{300'000};
  start();
  const int c = client_->open();
  ASSERT_TRUE(client_->wait_done(c, 2'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 408);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log_termination(log[0]), "cR");
}

TEST_F(HttpProxySim, IdleKeepAliveConnectionIsClosedQuietly) {
  config_.frontends[0].timeout_http_keep_alive = conf::Duration{400'000};
  start();
  const int c = request(get("/"));
  const std::size_t after_response = client_->received(c).size();
  const uint64_t t0 = sim_->now_us();
  ASSERT_TRUE(client_->wait_done(c, 2'000'000));
  EXPECT_GE(sim_->now_us() - t0, 390'000u);
  EXPECT_TRUE(client_->conn(c).eof);
  EXPECT_EQ(client_->received(c).size(), after_response);  // no 408 page
  EXPECT_EQ(take_log().size(), 1u);                         // the request's line only
}

TEST_F(HttpProxySim, ServerClosingMidBodyAbortsTheClient) {
  start(ServerBehaviour{ServerMode::close_mid_body});
  const int c = client_->open();
  client_->send(c, get("/"));
  ASSERT_TRUE(client_->wait_done(c, 2'000'000));
  EXPECT_TRUE(client_->conn(c).closed);
  EXPECT_EQ(client_->conn(c).reason, TcpCloseReason::reset);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log_termination(log[0]), "SD");
  EXPECT_EQ(backend_counters().server_aborts.get(), 1u);
}

TEST_F(HttpProxySim, ServerClosingWithoutAnswerGives502) {
  start(ServerBehaviour{ServerMode::close});
  const int c = request(get("/"));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 502);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log_termination(log[0]), "SH");
}

TEST_F(HttpProxySim, GarbageResponseHeadGives502) {
  start(ServerBehaviour{ServerMode::garbage});
  const int c = request(get("/"));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 502);
  EXPECT_TRUE(client_->conn(c).eof || client_->wait_done(c, 1'000'000));
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 502);
  EXPECT_EQ(log_termination(log[0]), "PH");
  EXPECT_EQ(backend_counters().response_errors.get(), 1u);
}

// ---- maxconn and queues -------------------------------------------------------------

TEST_F(HttpProxySim, MaxconnQueuesTheSecondRequest) {
  config_.backends[0].servers[0].maxconn = 1;
  clients_ = 2;
  ServerBehaviour b;
  b.delay_us = 100'000;
  start(b);
  SimHttpClient& other = *clients_list_[1];
  const int a = client_->open();
  const int c = other.open();
  client_->send(a, get("/a"));
  other.send(c, get("/b"));
  ASSERT_TRUE(sim_->run_until(
      [&] {
        return parse_responses(client_->received(a)).size() == 1 && parse_responses(other.received(c)).size() == 1;
      },
      3'000'000));
  EXPECT_EQ(parse_responses(client_->received(a))[0].status, 200);
  EXPECT_EQ(parse_responses(other.received(c))[0].status, 200);
  EXPECT_EQ(server_counters(0).current_max.get(), 1u);
  EXPECT_EQ(backend_counters().queue_max.get() + server_counters(0).queue_max.get(), 1u);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_GE(log[0].t_queue + log[1].t_queue, 90);  // one of them waited for the other
}

TEST_F(HttpProxySim, QueueTimeoutGives503) {
  config_.backends[0].servers[0].maxconn = 1;
  config_.backends[0].timeout_queue = conf::Duration{100'000};
  clients_ = 2;
  ServerBehaviour b;
  b.delay_us = 500'000;
  start(b);
  SimHttpClient& other = *clients_list_[1];
  const int a = client_->open();
  client_->send(a, get("/a"));
  ASSERT_TRUE(sim_->run_until([&] { return server(0).requests().size() == 1; }, 1'000'000));
  const int c = other.open();
  other.send(c, get("/b"));
  ASSERT_TRUE(other.wait_done(c, 2'000'000));
  const auto late = parse_responses(other.received(c));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].status, 503);
  ASSERT_TRUE(client_->wait_responses(a, 1, 2'000'000));
  EXPECT_EQ(parse_responses(client_->received(a))[0].status, 200);
  EXPECT_EQ(backend_counters().queue_timeouts.get(), 1u);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].status, 503);
  EXPECT_EQ(log_termination(log[0]), "sQ");
  EXPECT_EQ(server(0).requests().size(), 1u);
}

// ---- Interim responses and tunnels ------------------------------------------------------

TEST_F(HttpProxySim, ExpectContinueForwardsTheInterimResponse) {
  start(ServerBehaviour{ServerMode::echo_head});
  const int c = client_->open();
  client_->send(c, "PUT /f HTTP/1.1\r\nHost: example.com\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n");
  ASSERT_TRUE(sim_->run_until([&] { return client_->received(c).find("\r\n\r\n") != std::string::npos; }, 2'000'000));
  EXPECT_EQ(client_->received(c), "HTTP/1.1 100 Continue\r\n\r\n");
  client_->send(c, "0123456789");
  ASSERT_TRUE(client_->wait_responses(c, 1, 2'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0].status, 100);
  EXPECT_EQ(responses[1].status, 200);
  ASSERT_EQ(server(0).requests().size(), 1u);
  EXPECT_EQ(server(0).requests()[0].body, "0123456789");
  EXPECT_EQ(server(0).requests()[0].head.field("expect"), "100-continue");
}

TEST_F(HttpProxySim, WebSocketUpgradeTunnelsBothWays) {
  start(ServerBehaviour{ServerMode::tunnel});
  const int c = client_->open();
  client_->send(c, get("/ws", "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"));
  ASSERT_TRUE(client_->wait_responses(c, 1, 2'000'000));
  std::size_t used = 0;
  const auto responses = parse_responses(client_->received(c), {}, false, &used);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 101);
  EXPECT_TRUE(responses[0].head.has_token("connection", "upgrade"));
  EXPECT_EQ(responses[0].head.field("upgrade"), "websocket");
  ASSERT_EQ(server(0).requests().size(), 1u);
  EXPECT_EQ(server(0).requests()[0].head.field("upgrade"), "websocket");
  EXPECT_TRUE(server(0).requests()[0].head.has_token("connection", "upgrade"));
  // Bytes both ways, more than a window's worth.
  const std::string data = pattern(300000);
  client_->send(c, data);
  ASSERT_TRUE(sim_->run_until([&] { return client_->received(c).size() >= used + data.size(); }, 5'000'000));
  EXPECT_TRUE(client_->received(c).substr(used) == data);
  // The client ends its side; the server follows; the tunnel ends.
  client_->shutdown(c);
  ASSERT_TRUE(client_->wait_done(c, 2'000'000));
  EXPECT_TRUE(client_->conn(c).eof);
  ASSERT_TRUE(sim_->run_until([&] { return proxy().sessions() == 0; }, 2'000'000));
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 101);
}

// ---- Dead clients -------------------------------------------------------------------

TEST_F(HttpProxySim, DeadClientAbortsTheServerConnection) {
  ServerBehaviour b{ServerMode::stream};
  b.stream_bytes = 20u << 20;
  start(b);
  const int c = client_->open();
  client_->send(c, get("/big"));
  ASSERT_TRUE(sim_->run_until([&] { return client_->received(c).size() > 100000; }, 3'000'000));
  client_->abort(c);
  ASSERT_TRUE(sim_->run_until([&] { return proxy().sessions() == 0 && server(0).open_connections() == 0; },
                              2'000'000));
  EXPECT_EQ(server(0).resets(), 1u);
  EXPECT_EQ(frontend_counters().client_aborts.get(), 1u);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log_termination(log[0]), "CD");
  EXPECT_GT(log[0].bytes_read, 100000u);
}

TEST_F(HttpProxySim, ClientLeavingBeforeTheResponseAbortsTheServerConnection) {
  start(ServerBehaviour{ServerMode::silent});
  const int c = client_->open();
  client_->send(c, get("/"));
  ASSERT_TRUE(sim_->run_until([&] { return server(0).requests().size() == 1; }, 1'000'000));
  client_->abort(c);
  ASSERT_TRUE(sim_->run_until([&] { return proxy().sessions() == 0 && server(0).open_connections() == 0; },
                              2'000'000));
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log_termination(log[0]), "CH");
}

TEST_F(HttpProxySim, ShowSessionsListsLiveSessions) {
  start(ServerBehaviour{ServerMode::silent});
  const int c = client_->open();
  client_->send(c, get("/"));
  ASSERT_TRUE(sim_->run_until([&] { return server(0).requests().size() == 1; }, 1'000'000));
  std::vector<dataplane::ProxySessionInfo> info(8);
  ASSERT_EQ(proxy().write_sessions(info.data(), 8), 1u);
  EXPECT_EQ(info[0].client_address, ProxySim::client_address(0));
  EXPECT_EQ(info[0].local_port, 80);
  EXPECT_EQ(info[0].server, 0);
  EXPECT_STREQ(dataplane::proxy_phase_name(info[0].phase), "exchanging");
  client_->abort(c);
}

// ---- Harder cases ------------------------------------------------------------------

TEST_F(HttpProxySim, PipelinedRequestsReuseTheServerConnection) {
  start();
  const int c = client_->open();
  client_->send(c, get("/a") + get("/b") + get("/c"));
  ASSERT_TRUE(client_->wait_responses(c, 3, 3'000'000));
  EXPECT_EQ(parse_responses(client_->received(c)).size(), 3u);
  EXPECT_EQ(server(0).accepted(), 1u);
  EXPECT_EQ(server_counters(0).reused.get(), 2u);
}

TEST_F(HttpProxySim, RequestHeadInTinyPieces) {
  start(ServerBehaviour{ServerMode::echo_head});
  const int c = client_->open();
  client_->send_in_pieces(c, get("/slowly", "X-Long: " + std::string(3000, 'l') + "\r\n") + get("/next"), 5, 7);
  ASSERT_TRUE(client_->wait_responses(c, 2, 10'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 2u);
  ASSERT_EQ(server(0).requests().size(), 2u);
  EXPECT_EQ(server(0).requests()[0].head.field("x-long"), std::string(3000, 'l'));
  EXPECT_EQ(server(0).requests()[1].target, "/next");
}

TEST_F(HttpProxySim, ResponseInTinyPieces) {
  ServerBehaviour b{ServerMode::custom};
  b.trickle = 3;
  b.custom = [](const SimRequest& r) {
    const std::string body = "chunked answer for " + r.target;
    return "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Long: " +
           std::string(500, 'h') + "\r\n\r\n5;ext=1\r\n" + body.substr(0, 5) + "\r\n" +
           hex(body.size() - 5) + "\r\n" + body.substr(5) + "\r\n0\r\nX-Trailer: t\r\n\r\n";
  };
  start(b);
  const int c = client_->open();
  client_->send(c, get("/1") + get("/22"));
  ASSERT_TRUE(client_->wait_responses(c, 2, 10'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 4u) << client_->received(c);
  EXPECT_EQ(responses[0].status, 103);
  EXPECT_EQ(responses[0].head.field("link"), "</a.css>; rel=preload");
  EXPECT_EQ(responses[1].status, 200);
  EXPECT_EQ(responses[1].body, "chunked answer for /1");
  EXPECT_EQ(responses[3].body, "chunked answer for /22");
  EXPECT_NE(client_->received(c).find("X-Trailer: t\r\n"), std::string::npos);
}

TEST_F(HttpProxySim, ManyClientsOverLossyLinks) {
  config_ = sim_proxy_config(3);
  config_.backends[0].retries = 3;
  relax_timeouts(config_);
  clients_ = 20;
  ServerBehaviour b{ServerMode::custom};
  b.custom = [](const SimRequest& r) {
    const std::string body = r.target + " " + std::string(r.target.size() * 100, 'p');
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  start(b, NetProfile{30, 100, 0.02}, env_seed(7));
  std::vector<int> conns;
  for (uint32_t i = 0; i < clients_; ++i) {
    SimHttpClient& cl = *clients_list_[i];
    const int c = cl.open();
    conns.push_back(c);
    std::string requests;
    for (int k = 0; k < 5; ++k) requests += get("/c" + std::to_string(i) + "/r" + std::to_string(k));
    cl.send_in_pieces(c, requests, i + 1, 60);
  }
  std::vector<SimResponseScanner> scanners(clients_);
  auto answered = [&](uint32_t i) { return scanners[i].scan(clients_list_[i]->received(conns[i])); };
  const bool all = sim_->run_until(
      [&] {
        for (uint32_t i = 0; i < clients_; ++i) {
          if (answered(i) < 5) return false;
        }
        return true;
      },
      30'000'000);
  if (!all) {
    for (uint32_t i = 0; i < clients_; ++i) {
      const auto& k = clients_list_[i]->conn(conns[i]);
      ADD_FAILURE() << "client " << i << ": " << answered(i) << " answers, sent " << k.out_offset << "/" << k.out.size()
                    << " pieces left " << k.pieces.size() << " eof " << k.eof << " closed " << k.closed << " "
                    << k.in.substr(0, 2000);
    }
  }
  ASSERT_TRUE(all);
  for (uint32_t i = 0; i < clients_; ++i) {
    const auto responses = parse_responses(clients_list_[i]->received(conns[i]));
    ASSERT_EQ(responses.size(), 5u) << "client " << i << ": " << clients_list_[i]->received(conns[i]).substr(0, 3000);
    for (int k = 0; k < 5; ++k) {
      const std::string target = "/c" + std::to_string(i) + "/r" + std::to_string(k);
      EXPECT_EQ(responses[k].body, target + " " + std::string(target.size() * 100, 'p')) << i << " " << k;
    }
  }
  EXPECT_EQ(server(0).requests().size() + server(1).requests().size() + server(2).requests().size(), 100u);
  const auto log = take_log();
  EXPECT_EQ(log.size(), 100u);
  for (const auto& r : log) {
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(log_termination(r), "--");
  }
}

TEST_F(HttpProxySim, ServerClosingAReusedConnectionGetsTheRequestReplayed) {
  ServerBehaviour b;
  b.requests_per_connection = 1;
  b.close_delay_us = 1'000;
  start(b);
  const int c = client_->open();
  // The second request goes out on the pooled connection just before the
  // server closes it: it must be sent again on a new connection.
  client_->send(c, get("/1") + get("/2"));
  ASSERT_TRUE(client_->wait_responses(c, 2, 3'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[1].status, 200);
  EXPECT_EQ(server(0).accepted(), 2u);
  EXPECT_EQ(server_counters(0).reused.get(), 1u);
  EXPECT_EQ(server_counters(0).connections.get(), 2u);
}

TEST_F(HttpProxySim, IdlePooledConnectionClosedByTheServerIsNotUsed) {
  ServerBehaviour b;
  b.requests_per_connection = 1;
  start(b);
  const int c = client_->open();
  client_->send(c, get("/1"));
  ASSERT_TRUE(client_->wait_responses(c, 1, 2'000'000));
  sim_->run_for(50'000);  // the server's FIN reaches the pooled connection
  EXPECT_EQ(server_counters(0).idle.get(), 0u);
  client_->send(c, get("/2"));
  ASSERT_TRUE(client_->wait_responses(c, 2, 2'000'000));
  EXPECT_EQ(parse_responses(client_->received(c))[1].status, 200);
  EXPECT_EQ(server(0).accepted(), 2u);
}

TEST_F(HttpProxySim, ClientHalfCloseStillGetsTheResponse) {
  ServerBehaviour b;
  b.delay_us = 50'000;
  start(b);
  const int c = client_->open();
  client_->send(c, get("/"));
  client_->shutdown(c);
  ASSERT_TRUE(client_->wait_done(c, 2'000'000));
  EXPECT_TRUE(client_->conn(c).eof);
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].body, "server1");
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log_termination(log[0]), "--");
}

TEST_F(HttpProxySim, StalledUploadGets408AfterTimeoutClient) {
  config_.frontends[0].timeout_client = conf::Duration{400'000};
  start();
  const int c = client_->open();
  client_->send(c, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n0123456789");
  ASSERT_TRUE(client_->wait_done(c, 3'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 408);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log_termination(log[0]), "cD");
  ASSERT_TRUE(sim_->run_until([&] { return server(0).open_connections() == 0; }, 1'000'000));
}

TEST_F(HttpProxySim, ErrorPageReachesAClientWhoseBodyWasNotRead) {
  // The server refuses; the client's body is still waiting in the proxy's
  // receive queue when the 503 goes out.
  start({}, {}, 1, {false});
  const int c = client_->open();
  client_->send(c, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 200000\r\n\r\n" + pattern(200000));
  ASSERT_TRUE(client_->wait_done(c, 3'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u) << client_->received(c).size() << " bytes received";
  EXPECT_EQ(responses[0].status, 503);
}

TEST_F(HttpProxySim, EarlyResponseToAnUploadReachesTheClient) {
  ServerBehaviour b;
  b.answer_on_head = true;
  start(b);
  const int c = client_->open();
  client_->send(c, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n" + pattern(2000000));
  ASSERT_TRUE(client_->wait_done(c, 5'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u) << client_->received(c).size() << " bytes received";
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].body, "server1");
}

TEST_F(HttpProxySim, FrontendMaxconnRefusesTheExtraClient) {
  config_.frontends[0].maxconn = 1;
  clients_ = 2;
  start(ServerBehaviour{ServerMode::silent});
  const int a = client_->open();
  client_->send(a, get("/"));
  ASSERT_TRUE(sim_->run_until([&] { return server(0).requests().size() == 1; }, 1'000'000));
  SimHttpClient& other = *clients_list_[1];
  const int c = other.open();
  other.send(c, get("/"));
  ASSERT_TRUE(other.wait_done(c, 1'000'000));
  EXPECT_TRUE(other.conn(c).closed);
  EXPECT_EQ(other.conn(c).reason, TcpCloseReason::reset);
  EXPECT_EQ(frontend_counters().sessions_refused.get(), 1u);
  EXPECT_EQ(proxy().sessions(), 1u);
}

TEST_F(HttpProxySim, AdoptedSnapshotMovesTrafficOffAServer) {
  config_ = sim_proxy_config(2);
  start();
  std::vector<std::vector<dataplane::ServerRuntimeState>> states(1);
  states[0] = {dataplane::ServerRuntimeState{1, false}, dataplane::ServerRuntimeState{1, true}};
  // The proxy reads an adopted snapshot until the end of the test.
  snapshots_.push_back(dataplane::build_proxy_snapshot(config_, 2, 1, &states));
  proxy().adopt(snapshots_.back().get());
  const int c = client_->open();
  for (int i = 0; i < 4; ++i) {
    client_->send(c, get("/"));
    ASSERT_TRUE(client_->wait_responses(c, static_cast<std::size_t>(i + 1), 2'000'000));
  }
  EXPECT_EQ(server(0).requests().size(), 0u);
  EXPECT_EQ(server(1).requests().size(), 4u);
  // Nothing usable at all: 503 at once.
  states[0][1].usable = false;
  snapshots_.push_back(dataplane::build_proxy_snapshot(config_, 3, 1, &states));
  proxy().adopt(snapshots_.back().get());
  client_->send(c, get("/"));
  ASSERT_TRUE(client_->wait_responses(c, 5, 2'000'000));
  EXPECT_EQ(parse_responses(client_->received(c)).back().status, 503);
  EXPECT_EQ(backend_counters().no_server.get(), 1u);
}

TEST_F(HttpProxySim, LargeHeadsAreForwardedWhole) {
  ServerBehaviour b{ServerMode::custom};
  b.custom = [](const SimRequest& r) {
    return "HTTP/1.1 200 OK\r\nX-Big: " + std::string(12000, 'r') + "\r\nContent-Length: " +
           std::to_string(r.head.text.size()) + "\r\n\r\n" + r.head.text;
  };
  start(b);
  const std::string big(14000, 'q');
  const int c = request(get("/", "X-Big: " + big + "\r\n"));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].head.field("x-big"), std::string(12000, 'r'));
  ASSERT_EQ(server(0).requests().size(), 1u);
  EXPECT_EQ(server(0).requests()[0].head.field("x-big"), big);
}

// A mix of everything over lossy, reordering links: per client, pipelined
// GETs, uploads echoed back (Content-Length and chunked), downloads of
// random sizes (Content-Length and chunked) and HEADs, each checked.
TEST_F(HttpProxySim, MixedWorkloadOverLossyLinks) {
  config_ = sim_proxy_config(3);
  config_.backends[0].retries = 3;
  relax_timeouts(config_);
  clients_ = 8;
  ServerBehaviour b{ServerMode::custom};
  b.custom = [](const SimRequest& r) {
    std::string body;
    bool chunked = false;
    if (r.target.rfind("/echo", 0) == 0) {
      body = r.body;
      chunked = r.chunked;
    } else if (r.target.rfind("/gen/", 0) == 0) {
      body = pattern(std::stoull(r.target.substr(5)));
      chunked = r.target.back() == 'c';
    } else {
      body = r.target;
    }
    if (!chunked) {
      return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
             (r.method == "HEAD" ? std::string() : body);
    }
    return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
           (r.method == "HEAD" ? std::string() : chunk_encode(body, body.size()));
  };
  const uint64_t seed = env_seed(3);
  // Small send queues on the proxy: bodies stop and start all the time.
  proxy_settings_.connection_buffer = 16384;
  const char* trace_port = std::getenv("DPLB_PROXY_TRACE");
  start(b, NetProfile{40, 150, 0.01}, seed);
  if (trace_port != nullptr) sim_->trace_port(static_cast<uint16_t>(std::atoi(trace_port)));
  SplitMix64 r(seed);
  struct Expect {
    std::vector<std::string> bodies;
    std::vector<bool> heads;
  };
  std::vector<Expect> expected(clients_);
  std::vector<int> conns;
  for (uint32_t i = 0; i < clients_; ++i) {
    SimHttpClient& cl = *clients_list_[i];
    conns.push_back(cl.open());
    std::string bytes;
    for (int k = 0; k < 6; ++k) {
      const std::string tag = "/" + std::to_string(i) + "-" + std::to_string(k);
      switch (r.below(4)) {
        case 0:
          bytes += get(tag);
          expected[i].bodies.push_back(tag);
          expected[i].heads.push_back(false);
          break;
        case 1: {
          const std::string body = pattern(r.below(150000));
          if (r.below(2) == 0) {
            bytes += "POST /echo" + tag + " HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\n\r\n" + body;
          } else {
            bytes += "POST /echo" + tag + " HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
                     chunk_encode(body, k);
          }
          expected[i].bodies.push_back(body);
          expected[i].heads.push_back(false);
          break;
        }
        case 2: {
          const uint64_t n = r.below(300000);
          const bool chunked = r.below(2) == 0;
          bytes += get("/gen/" + std::to_string(n) + (chunked ? "c" : "l"));
          expected[i].bodies.push_back(pattern(n));
          expected[i].heads.push_back(false);
          break;
        }
        default:
          bytes += "HEAD " + tag + " HTTP/1.1\r\nHost: a\r\n\r\n";
          expected[i].bodies.push_back("");
          expected[i].heads.push_back(true);
          break;
      }
    }
    cl.send_in_pieces(conns[i], bytes, seed + i, 5000);
  }
  std::vector<SimResponseScanner> scanners;
  for (uint32_t i = 0; i < clients_; ++i) scanners.emplace_back(expected[i].heads);
  const bool all = sim_->run_until(
      [&] {
        for (uint32_t i = 0; i < clients_; ++i) {
          if (scanners[i].scan(clients_list_[i]->received(conns[i])) < 6) return false;
        }
        return true;
      },
      60'000'000);
  if (!all) {
    for (uint32_t i = 0; i < clients_; ++i) {
      const auto& k = clients_list_[i]->conn(conns[i]);
      ADD_FAILURE() << "client " << i << ": " << scanners[i].scan(k.in) << " answers, received " << k.in.size()
                    << ", sent " << k.out_offset << "/" << k.out.size() << " pieces " << k.pieces.size() << " eof "
                    << k.eof << " closed " << k.closed;
    }
    for (const auto& rec : take_log()) {
      if (log_termination(rec) != "--") {
        ADD_FAILURE() << "log " << log_termination(rec) << " " << rec.status << " " << log_request(rec) << " port "
                      << rec.client_port << " bytes " << rec.bytes_read << " Ta " << rec.t_active;
      }
    }
    std::vector<dataplane::ProxySessionInfo> info(64);
    const uint32_t n = proxy().write_sessions(info.data(), 64);
    for (uint32_t i = 0; i < n; ++i) {
      ADD_FAILURE() << "session port " << info[i].client_port << " phase " << dataplane::proxy_phase_name(info[i].phase)
                    << " server " << info[i].server << " requests " << info[i].requests << " in "
                    << info[i].bytes_in << " out " << info[i].bytes_out << " idle " << info[i].idle_ms;
    }
    if (trace_port != nullptr) {
      for (const auto& line : sim_->trace()) std::printf("%s\n", line.c_str());
    }
    sim_->proxy_host().stack->for_each_connection([](const dataplane::TcpConnection& c) {
      ADD_FAILURE() << "proxy tcp " << c.tuple().remote_address << ":" << c.tuple().remote_port << " state "
                    << static_cast<int>(c.state()) << " readable " << c.readable() << " queued " << c.send_queued()
                    << " peer window " << c.peer_window();
    });
  }
  ASSERT_TRUE(all) << "seed " << seed;
  for (uint32_t i = 0; i < clients_; ++i) {
    const auto responses = parse_responses(clients_list_[i]->received(conns[i]), expected[i].heads);
    ASSERT_EQ(responses.size(), 6u) << "seed " << seed << " client " << i;
    for (std::size_t k = 0; k < 6; ++k) {
      EXPECT_EQ(responses[k].status, 200) << "seed " << seed << " client " << i << " request " << k;
      EXPECT_TRUE(responses[k].body == expected[i].bodies[k])
          << "seed " << seed << " client " << i << " request " << k << ": " << responses[k].body.size() << " bytes, "
          << expected[i].bodies[k].size() << " expected";
    }
  }
  for (const auto& rec : take_log()) EXPECT_EQ(log_termination(rec), "--") << "seed " << seed;
}

TEST_F(HttpProxySim, ByteCountersCountEachByteOnce) {
  ServerBehaviour b{ServerMode::stream};
  b.stream_bytes = 50000;
  start(b);
  // Head and body in one write, so the body arrives with the head.
  const std::string body = pattern(3000);
  const std::string req = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3000\r\n\r\n" + body;
  const int c = client_->open();
  client_->send(c, req + get("/y"));
  ASSERT_TRUE(client_->wait_responses(c, 2, 3'000'000));
  EXPECT_EQ(frontend_counters().bytes_in.get(), req.size() + get("/y").size());
  EXPECT_EQ(frontend_counters().bytes_out.get(), client_->received(c).size());
  EXPECT_EQ(backend_counters().bytes_in.get(), server(0).bytes_received());
  EXPECT_EQ(server_counters(0).bytes_in.get(), server(0).bytes_received());
  EXPECT_EQ(backend_counters().bytes_out.get(), server(0).bytes_sent());
  EXPECT_EQ(server_counters(0).bytes_out.get(), server(0).bytes_sent());
}

TEST_F(HttpProxySim, PipelinedRequestsAreAllLoggedWithDontlognull) {
  config_.frontends[0].dontlognull = true;
  start();
  const int c = client_->open();
  client_->send(c, get("/a") + get("/b") + get("/c"));
  ASSERT_TRUE(client_->wait_responses(c, 3, 3'000'000));
  const auto log = take_log();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log_request(log[1]), "GET /b HTTP/1.1");
  EXPECT_EQ(log_request(log[2]), "GET /c HTTP/1.1");
  // A connection that never sends a byte is not logged.
  const int idle = client_->open();
  sim_->run_for(100'000);
  client_->close(idle);
  sim_->run_for(100'000);
  EXPECT_EQ(take_log().size(), 0u);
}

TEST_F(HttpProxySim, PartialPipelinedRequestTimesOutWith408) {
  config_.frontends[0].timeout_http_request = conf::Duration{300'000};
  config_.frontends[0].timeout_http_keep_alive = conf::Duration{3'000'000};
  start();
  const int c = client_->open();
  client_->send(c, get("/a") + "GET /b HTTP/1.1\r\nHo");
  ASSERT_TRUE(client_->wait_done(c, 2'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[1].status, 408);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log_termination(log[1]), "cR");
}

TEST_F(HttpProxySim, ServerResetInATunnelAbortsTheClient) {
  start(ServerBehaviour{ServerMode::tunnel});
  const int c = client_->open();
  client_->send(c, get("/ws", "Connection: Upgrade\r\nUpgrade: websocket\r\n"));
  ASSERT_TRUE(client_->wait_responses(c, 1, 2'000'000));
  client_->send(c, "hello");
  ASSERT_TRUE(sim_->run_until([&] { return client_->received(c).find("hello") != std::string::npos; }, 1'000'000));
  client_->send(c, "abort!");
  ASSERT_TRUE(client_->wait_done(c, 2'000'000));
  EXPECT_TRUE(client_->conn(c).closed);
  EXPECT_EQ(client_->conn(c).reason, TcpCloseReason::reset);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 101);
  EXPECT_EQ(log_termination(log[0]), "SD");
}

TEST_F(HttpProxySim, ServerStallingMidBodyTimesOut) {
  config_.backends[0].timeout_server = conf::Duration{400'000};
  start(ServerBehaviour{ServerMode::stall_mid_body});
  const int c = client_->open();
  client_->send(c, get("/"));
  ASSERT_TRUE(client_->wait_done(c, 2'000'000));
  EXPECT_TRUE(client_->conn(c).closed);
  EXPECT_EQ(client_->conn(c).reason, TcpCloseReason::reset);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log_termination(log[0]), "sD");
  ASSERT_TRUE(sim_->run_until([&] { return server(0).open_connections() == 0; }, 1'000'000));
}

TEST_F(HttpProxySim, QueuedClientLeaving) {
  config_.backends[0].servers[0].maxconn = 1;
  clients_ = 2;
  ServerBehaviour b;
  b.delay_us = 300'000;
  start(b);
  SimHttpClient& other = *clients_list_[1];
  const int a = client_->open();
  client_->send(a, get("/a"));
  ASSERT_TRUE(sim_->run_until([&] { return server(0).requests().size() == 1; }, 1'000'000));
  const int c = other.open();
  other.send(c, get("/b"));
  sim_->run_for(50'000);
  EXPECT_EQ(backend_counters().queue_current.get() + server_counters(0).queue_current.get(), 1u);
  other.abort(c);
  ASSERT_TRUE(client_->wait_responses(a, 1, 2'000'000));
  const auto log = take_log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log_termination(log[0]), "CQ");
  EXPECT_EQ(log_termination(log[1]), "--");
  EXPECT_EQ(server(0).requests().size(), 1u);
}

TEST_F(HttpProxySim, SlowReaderHoldsTheServerBack) {
  ServerBehaviour b{ServerMode::stream};
  b.stream_bytes = 8u << 20;
  start(b);
  const int c = client_->open();
  client_->pause(c);
  client_->send(c, get("/big"));
  sim_->run_for(1'000'000);
  // The proxy holds at most about a window in each direction, not the body.
  const uint64_t held = sim_->proxy_host().stack->buffered_bytes();
  EXPECT_LT(held, 3u * proxy_settings_.connection_buffer);
  EXPECT_GT(held, 0u);
  client_->resume(c);
  ASSERT_TRUE(client_->wait_responses(c, 1, 20'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_TRUE(responses[0].body == pattern(b.stream_bytes));
}

TEST_F(HttpProxySim, OversizedResponseHeadGives502) {
  ServerBehaviour b{ServerMode::custom};
  b.custom = [](const SimRequest&) {
    return "HTTP/1.1 200 OK\r\nX-Huge: " + std::string(20000, 'z') + "\r\nContent-Length: 0\r\n\r\n";
  };
  start(b);
  const int c = request(get("/"));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 502);
}

TEST_F(HttpProxySim, AlwaysReuseSharesAConnectionBetweenClients) {
  config_.backends[0].http_reuse = conf::HttpReuse::always;
  start();
  request(get("/a"));
  request(get("/b"));
  request(get("/c"));
  EXPECT_EQ(server(0).accepted(), 1u);
  EXPECT_EQ(server_counters(0).reused.get(), 2u);
}

TEST_F(HttpProxySim, UriAndHeaderHashingKeepAKeyOnItsServer) {
  config_ = sim_proxy_config(3);
  config_.backends[0].balance = conf::BalanceAlgorithm::uri;
  start();
  const int c = client_->open();
  const std::vector<std::string> paths = {"/a?x=1", "/b", "/a?x=2", "/c", "/b", "/a", "/c?q", "/b"};
  for (std::size_t i = 0; i < paths.size(); ++i) {
    client_->send(c, get(paths[i]));
    ASSERT_TRUE(client_->wait_responses(c, i + 1, 2'000'000));
  }
  const auto responses = parse_responses(client_->received(c));
  std::map<std::string, std::string> server_of;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const std::string path = paths[i].substr(0, paths[i].find('?'));
    auto [it, fresh] = server_of.emplace(path, responses[i].body);
    EXPECT_EQ(it->second, responses[i].body) << paths[i];
  }
}

TEST_F(HttpProxySim, HeaderHashing) {
  config_ = sim_proxy_config(3);
  config_.backends[0].balance = conf::BalanceAlgorithm::hdr;
  config_.backends[0].hash_header = "X-User";
  start();
  const int c = client_->open();
  std::map<std::string, std::set<std::string>> servers_of;
  for (int i = 0; i < 12; ++i) {
    const std::string user = "user" + std::to_string(i % 4);
    client_->send(c, get("/", "X-User: " + user + "\r\n"));
    ASSERT_TRUE(client_->wait_responses(c, static_cast<std::size_t>(i + 1), 2'000'000));
    servers_of[user].insert(parse_responses(client_->received(c)).back().body);
  }
  for (const auto& [user, servers] : servers_of) EXPECT_EQ(servers.size(), 1u) << user;
}

TEST_F(HttpProxySim, FirstFillsAServerUpToMaxconnThenTheNext) {
  config_ = sim_proxy_config(2);
  config_.backends[0].balance = conf::BalanceAlgorithm::first;
  config_.backends[0].servers[0].maxconn = 1;
  clients_ = 2;
  ServerBehaviour b;
  b.delay_us = 100'000;
  start(b);
  SimHttpClient& other = *clients_list_[1];
  const int a = client_->open();
  const int c = other.open();
  client_->send(a, get("/"));
  other.send(c, get("/"));
  ASSERT_TRUE(client_->wait_responses(a, 1, 2'000'000));
  ASSERT_TRUE(other.wait_responses(c, 1, 2'000'000));
  EXPECT_EQ(server(0).requests().size(), 1u);
  EXPECT_EQ(server(1).requests().size(), 1u);
}

TEST_F(HttpProxySim, ErrorfileReplacesTheBuiltInPage) {
  const std::string page = "HTTP/1.1 503 Busy\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy";
  config_.frontends[0].errorfiles[503] = conf::ErrorFile{"/etc/dplb/503.http", page};
  start({}, {}, 1, {false});
  const int c = request(get("/"));
  EXPECT_EQ(client_->received(c), page);
}

TEST_F(HttpProxySim, FinalResponseBeforeTheBodyClosesTheConnection) {
  ServerBehaviour b{ServerMode::custom};
  b.answer_on_head = true;
  b.send_continue = false;
  b.custom = [](const SimRequest&) {
    return std::string("HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n");
  };
  start(b);
  const int c = client_->open();
  client_->send(c, "PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n");
  ASSERT_TRUE(client_->wait_responses(c, 1, 2'000'000));
  EXPECT_EQ(parse_responses(client_->received(c))[0].status, 417);
  // The body never came: the connection cannot carry another request.
  ASSERT_TRUE(client_->wait_done(c, 3'000'000));
  EXPECT_TRUE(client_->conn(c).eof);
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_TRUE(responses[0].head.has_token("connection", "close"));
}

TEST_F(HttpProxySim, UploadToASlowReaderIsHeldBack) {
  ServerBehaviour b;
  b.read_pause_us = 500'000;
  start(b);
  const std::string body = pattern(3u << 20);
  const int c = client_->open();
  client_->send(c, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  sim_->run_for(400'000);
  const uint64_t held = sim_->proxy_host().stack->buffered_bytes();
  EXPECT_LT(held, 3u * proxy_settings_.connection_buffer);
  EXPECT_GT(held, 0u);
  ASSERT_TRUE(client_->wait_responses(c, 1, 10'000'000));
  ASSERT_EQ(server(0).requests().size(), 1u);
  EXPECT_TRUE(server(0).requests()[0].body == body);
}

TEST_F(HttpProxySim, MoreSessionsThanOneSlabChunk) {
  start();
  std::vector<int> conns;
  for (int i = 0; i < 300; ++i) {
    conns.push_back(client_->open());
    client_->send(conns.back(), get("/" + std::to_string(i)));
  }
  ASSERT_TRUE(sim_->run_until(
      [&] {
        for (int c : conns) {
          if (client_->received(c).find("server1") == std::string::npos) return false;
        }
        return true;
      },
      10'000'000));
  EXPECT_EQ(proxy().sessions(), 300u);
  std::vector<dataplane::ProxySessionInfo> info(400);
  EXPECT_EQ(proxy().write_sessions(info.data(), 400), 300u);
  EXPECT_EQ(frontend_counters().sessions_max.get(), 300u);
  EXPECT_EQ(server(0).requests().size(), 300u);
}

TEST_F(HttpProxySim, ShutdownWithLiveSessionsReleasesEverything) {
  config_ = sim_proxy_config(2);
  config_.backends[0].servers[1].maxconn = 1;
  config_.backends[0].balance = conf::BalanceAlgorithm::uri;
  clients_ = 1;
  ServerBehaviour b{ServerMode::stream};
  b.stream_bytes = 4u << 20;
  start(b);
  // Downloads held up by clients that stopped reading, requests queued for
  // the server at maxconn, pipelined requests in the proxy's hands.
  std::vector<int> conns;
  for (int i = 0; i < 6; ++i) {
    conns.push_back(client_->open());
    client_->pause(conns.back());
    client_->send(conns.back(), get("/" + std::to_string(i)) + get("/x"));
  }
  sim_->run_for(200'000);
  EXPECT_GT(proxy().sessions(), 0u);
  EXPECT_GT(sim_->proxy_host().stack->buffered_bytes(), 0u);
  sim_->shutdown();
  EXPECT_EQ(rte_mempool_avail_count(proxy_pool_), proxy_free_before_);
  shut_down_ = true;
}

TEST_F(HttpProxySim, ClientThatStopsReadingTimesOut) {
  config_.frontends[0].timeout_client = conf::Duration{300'000};
  const int c = stalled_download();
  EXPECT_TRUE(client_->conn(c).closed);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log_termination(log[0]), "cD");
  ASSERT_TRUE(sim_->run_until([&] { return server(0).open_connections() == 0; }, 1'000'000));
  EXPECT_EQ(server(0).resets(), 1u);
}

// The worker's buffer budget, not the connection's send space, stops the
// reading from the server: the client's queue is below connection_buffer,
// yet it is the client that does not take it, so timeout_client ends it.
TEST_F(HttpProxySim, ClientThatStopsReadingTimesOutWhenTheWorkerBudgetBinds) {
  config_.frontends[0].timeout_client = conf::Duration{300'000};
  config_.backends[0].timeout_server = conf::Duration{20'000'000};
  proxy_settings_.worker_buffer = proxy_settings_.connection_buffer / 2;
  stalled_download();
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log_termination(log[0]), "cD");
}

TEST_F(HttpProxySim, IdlePooledConnectionsArePurged) {
  start();
  request(get("/"));
  EXPECT_EQ(server_counters(0).idle.get(), 1u);
  sim_->run_for(4'000'000);
  EXPECT_EQ(server(0).open_connections(), 1u);
  sim_->run_for(3'000'000);
  EXPECT_EQ(server_counters(0).idle.get(), 0u);
  EXPECT_EQ(server(0).open_connections(), 0u);
}

TEST_F(HttpProxySim, Http10ServerConnectionIsNotReused) {
  ServerBehaviour b{ServerMode::custom};
  b.close_after_answer = true;
  b.custom = [](const SimRequest&) { return std::string("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold"); };
  start(b);
  const int c = client_->open();
  client_->send(c, get("/1"));
  ASSERT_TRUE(client_->wait_responses(c, 1, 2'000'000));
  client_->send(c, get("/2"));
  ASSERT_TRUE(client_->wait_responses(c, 2, 2'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0].head.start_line, "HTTP/1.0 200 OK");
  // The client speaks 1.1 and stays: it is told so in 1.0's terms.
  EXPECT_TRUE(responses[0].head.has_token("connection", "keep-alive"));
  EXPECT_EQ(responses[1].body, "old");
  EXPECT_EQ(server(0).accepted(), 2u);
  EXPECT_EQ(server_counters(0).reused.get(), 0u);
  EXPECT_FALSE(client_->conn(c).done());
}

// Chaos: clients that pipeline, upload, abort, half-close or vanish at
// random moments, servers that answer, stream, stall, close, reset or send
// garbage depending on the request, over lossy links. Nothing is checked
// about the answers; what is checked is that the proxy survives, logs, and
// comes back to rest with every session, byte and mbuf released (TearDown).
TEST_F(HttpProxySim, ChaosLeavesNothingBehind) {
  const uint64_t seed = env_seed(11);
  config_ = sim_proxy_config(3);
  config_.backends[0].retries = 1;
  config_.backends[0].timeout_server = conf::Duration{400'000};
  config_.backends[0].timeout_connect = conf::Duration{300'000};
  config_.backends[0].timeout_queue = conf::Duration{300'000};
  config_.backends[0].servers[1].maxconn = 2;
  config_.frontends[0].timeout_client = conf::Duration{500'000};
  config_.frontends[0].timeout_http_request = conf::Duration{300'000};
  config_.frontends[0].timeout_http_keep_alive = conf::Duration{200'000};
  clients_ = 6;
  proxy_settings_.connection_buffer = 32768;
  ServerBehaviour b;
  b.stream_bytes = 200000;
  b.mode_for = [](const SimRequest& r) {
    const char m = r.target.size() > 1 ? r.target[1] : 'n';
    switch (m) {
      case 's': return ServerMode::silent;
      case 'c': return ServerMode::close;
      case 'g': return ServerMode::garbage;
      case 'm': return ServerMode::close_mid_body;
      case 't': return ServerMode::stall_mid_body;
      case 'b': return ServerMode::stream;
      case 'u': return ServerMode::tunnel;
      case 'e': return ServerMode::echo_head;
      default: return ServerMode::name;
    }
  };
  start(b, NetProfile{40, 100, 0.01}, seed);
  SplitMix64 r(seed * 31 + 1);
  const char modes[] = "nnnnsbcgmteu";
  auto random_request = [&]() {
    const char m = modes[r.below(sizeof modes - 1)];
    const std::string target = std::string("/") + m + std::to_string(r.below(1000));
    switch (r.below(5)) {
      case 0: {
        const std::string body = pattern(r.below(20000));
        return "POST " + target + " HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
               body;
      }
      case 1:
        return "POST " + target + " HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
               chunk_encode(pattern(r.below(20000)), r.next());
      case 2:
        return m == 'u' ? get(target, "Connection: upgrade\r\nUpgrade: websocket\r\n") : get(target);
      case 3:
        return std::string("GET / HTTP/1.1\r\n\r\n");  // no Host: 400
      default:
        return get(target);
    }
  };
  for (int round = 0; round < 8; ++round) {
    for (uint32_t i = 0; i < clients_; ++i) {
      SimHttpClient& cl = *clients_list_[i];
      const int c = cl.open();
      std::string bytes;
      const uint64_t n = 1 + r.below(3);
      for (uint64_t k = 0; k < n; ++k) bytes += random_request();
      // Sometimes only part of it.
      if (r.below(4) == 0) bytes.resize(r.below(bytes.size() + 1));
      cl.send_in_pieces(c, bytes, r.next(), 1 + r.below(3000));
      if (r.below(3) == 0) cl.shutdown(c);
    }
    for (int t = 0; t < 10; ++t) {
      sim_->run_for(r.below(60'000));
      // Some clients give up.
      SimHttpClient& cl = *clients_list_[r.below(clients_)];
      const int victim = static_cast<int>(r.below(cl.size()));
      if (r.below(2) == 0) {
        cl.abort(victim);
      } else {
        cl.close(victim);
      }
    }
  }
  sim_->run_for(3'000'000);
  const auto log = take_log();
  EXPECT_GT(log.size(), 0u) << "seed " << seed;
  if (std::getenv("DPLB_PROXY_VERBOSE") != nullptr) {
    std::map<std::string, int> seen;
    for (const auto& rec : log) ++seen[log_termination(rec) + " " + std::to_string(rec.status)];
    for (const auto& [k, n] : seen) std::printf("%s: %d\n", k.c_str(), n);
  }
}

// ---- Who closes first, and TIME_WAIT -------------------------------------------------

// Connections of `host`'s stack in TIME_WAIT whose remote port is
// `remote_port` (0: any).
std::size_t time_waits(SimHost& host, uint16_t remote_port = 0) {
  std::size_t n = 0;
  host.stack->for_each_connection([&](const dataplane::TcpConnection& c) {
    if (c.state() == dataplane::TcpState::time_wait && (remote_port == 0 || c.tuple().remote_port == remote_port)) ++n;
  });
  return n;
}

// wrk -H "Connection: close": every request on a new client connection. The
// server connection is kept for reuse (http_reuse safe: only a later request
// of some client may take it, HAProxy's behaviour) and closed by the pool's
// purge; dplb must not end up holding TIME_WAIT (and a local port) for it.
TEST_F(HttpProxySim, ClientCloseLeavesNoTimeWaitTowardsServers) {
  start();
  for (int i = 0; i < 10; ++i) {
    const int c = request(get("/" + std::to_string(i), "Connection: close\r\n"));
    ASSERT_TRUE(client_->wait_done(c, 1'000'000));
  }
  EXPECT_EQ(server(0).accepted(), 10u);  // safe reuse: no first request over a shared connection
  // The pool's idle connections are purged after 5 s.
  ASSERT_TRUE(sim_->run_until([&] { return server(0).open_connections() == 0; }, 8'000'000));
  sim_->run_for(100'000);  // what is left of the closing handshakes
  EXPECT_EQ(time_waits(sim_->proxy_host(), 80), 0u);
  EXPECT_EQ(server_counters(0).idle.get(), 0u);
}

// The server closes after its answer (Connection: close from it): the
// proxy's close is then the passive one, and TIME_WAIT is the server's.
TEST_F(HttpProxySim, ServerClosingFirstKeepsTheTimeWait) {
  ServerBehaviour b;
  b.close_after_answer = true;
  start(b);
  for (int i = 0; i < 5; ++i) {
    const int c = request(get("/" + std::to_string(i), "Connection: close\r\n"));
    ASSERT_TRUE(client_->wait_done(c, 1'000'000));
  }
  ASSERT_TRUE(sim_->run_until([&] { return server(0).open_connections() == 0; }, 2'000'000));
  sim_->run_for(100'000);
  EXPECT_EQ(time_waits(sim_->proxy_host(), 80), 0u);
  EXPECT_EQ(time_waits(sim_->host(ProxySim::server_address(0))), 5u);
  EXPECT_EQ(server_counters(0).server_aborts.get(), 0u);
}

// The proxy must close first (a request body overtaken by the answer, a
// purge, an idle connection over the pool's limit): as HAProxy, a reset,
// which leaves TIME_WAIT nowhere.
TEST_F(HttpProxySim, ProxyClosingFirstResetsTheServerConnection) {
  ServerBehaviour b;
  b.answer_on_head = true;
  start(b);
  const int c = client_->open();
  client_->send(c, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 200000\r\n\r\n" + pattern(200000));
  ASSERT_TRUE(client_->wait_done(c, 5'000'000));
  ASSERT_EQ(parse_responses(client_->received(c)).size(), 1u);
  ASSERT_TRUE(sim_->run_until([&] { return server(0).open_connections() == 0; }, 2'000'000));
  sim_->run_for(100'000);
  EXPECT_EQ(time_waits(sim_->proxy_host(), 80), 0u);
  EXPECT_EQ(time_waits(sim_->host(ProxySim::server_address(0))), 0u);
}

// ---- Replays: counted once, and only when safe ---------------------------------------

TEST_F(HttpProxySim, ReplayedRequestIsCountedOnceAndAsARetry) {
  ServerBehaviour b;
  b.requests_per_connection = 1;
  b.close_delay_us = 1'000;
  start(b);
  const int c = client_->open();
  client_->send(c, get("/1") + get("/2"));
  ASSERT_TRUE(client_->wait_responses(c, 2, 3'000'000));
  EXPECT_EQ(server(0).requests().size(), 2u);
  EXPECT_EQ(server_counters(0).total.get(), 2u);      // two requests, not three sends
  EXPECT_EQ(server_counters(0).retries.get(), 1u);    // the attempt that met a closing connection
  EXPECT_EQ(server_counters(0).response_errors.get(), 0u);
  EXPECT_EQ(backend_counters().requests.get(), 2u);
  EXPECT_EQ(backend_counters().retries.get(), 1u);
  EXPECT_EQ(frontend_counters().requests.get(), 2u);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].retries, 1);
}

TEST_F(HttpProxySim, BodilessPostIsNotReplayed) {
  ServerBehaviour b;
  b.requests_per_connection = 1;
  b.close_delay_us = 1'000;
  start(b);
  const int c = client_->open();
  // The POST goes out on the pooled connection as the server closes it: it
  // may have been acted on, so it is not sent again (502 instead).
  client_->send(c, get("/1") + "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(client_->wait_done(c, 3'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[1].status, 502);
  EXPECT_EQ(server(0).accepted(), 1u);
  EXPECT_EQ(server_counters(0).retries.get(), 0u);
}

TEST_F(HttpProxySim, BodilessDeleteIsReplayed) {
  ServerBehaviour b;
  b.requests_per_connection = 1;
  b.close_delay_us = 1'000;
  start(b);
  const int c = client_->open();
  client_->send(c, get("/1") + "DELETE /2 HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(client_->wait_responses(c, 2, 3'000'000));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[1].status, 200);
  EXPECT_EQ(server(0).accepted(), 2u);
}

// ---- Layer-7 retries (retry_on) --------------------------------------------------------

class HttpProxyRetrySim : public HttpProxySim {
 protected:
  // Two servers, round robin (the first request goes to server1), retries
  // on every retryable error; server1 fails as `failing` says, server2
  // answers with its name.
  void start_failing(ServerMode failing, const std::vector<std::string>& retry_on = {"all-retryable-errors"}) {
    config_ = sim_proxy_config(2);
    conf::BackendConfig& be = config_.backends[0];
    be.retries = 2;
    be.redispatch = true;
    std::size_t bad = 0;
    ASSERT_EQ(conf::parse_retry_on(retry_on, &be.retry_on, &bad), "");
    configure(be);
    start();
    server(0).behaviour().mode = failing;
    server(0).behaviour().custom = [](const SimRequest&) {
      return std::string("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy");
    };
  }
  std::function<void(conf::BackendConfig&)> configure = [](conf::BackendConfig&) {};
};

TEST_F(HttpProxyRetrySim, EmptyResponseIsRetriedOnAnotherServer) {
  start_failing(ServerMode::close);
  const int c = request(get("/"));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].body, "server2");
  EXPECT_EQ(server(0).requests().size(), 1u);
  EXPECT_EQ(server(1).requests().size(), 1u);
  EXPECT_EQ(backend_counters().retries.get(), 1u);
  EXPECT_EQ(backend_counters().redispatches.get(), 1u);
  EXPECT_EQ(server_counters(0).response_errors.get(), 1u);
  EXPECT_EQ(server_counters(0).total.get(), 1u);
  EXPECT_EQ(server_counters(1).total.get(), 1u);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[0].server, 1);
  EXPECT_EQ(log[0].retries, 1);
  EXPECT_EQ(log[0].redispatched, 1);
  EXPECT_EQ(log_termination(log[0]), "--");
  EXPECT_EQ(backend_counters().l7_retries[0].get(), 1u);  // empty-response
  EXPECT_EQ(backend_counters().l7_retries_current.get(), 0u);
}

TEST_F(HttpProxyRetrySim, JunkResponseIsRetried) {
  start_failing(ServerMode::garbage);
  const int c = request(get("/"));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].body, "server2");
  EXPECT_EQ(backend_counters().retries.get(), 1u);
}

TEST_F(HttpProxyRetrySim, RetryableStatusIsRetriedAndItsAnswerDropped) {
  start_failing(ServerMode::custom);
  const int c = request(get("/"));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].body, "server2");
  EXPECT_EQ(frontend_counters().responses[4].get(), 0u);  // the 503 never counted as answered (5xx)
}

TEST_F(HttpProxyRetrySim, TimeoutPerTryRetriesASilentServer) {
  configure = [](conf::BackendConfig& be) {
    be.timeout_server = conf::Duration{10'000'000};
    be.timeout_per_try = conf::Duration{300'000};
  };
  start_failing(ServerMode::silent);
  const uint64_t t0 = sim_->now_us();
  const int c = request(get("/"), 1, 3'000'000);
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].body, "server2");
  EXPECT_LT(sim_->now_us() - t0, 1'000'000u);
  EXPECT_EQ(backend_counters().retries.get(), 1u);
}

TEST_F(HttpProxyRetrySim, WhenEveryServerFailsTheLastAnswerIsTheClients) {
  start_failing(ServerMode::custom);
  server(1).behaviour().mode = ServerMode::custom;
  server(1).behaviour().custom = server(0).behaviour().custom;
  const int c = request(get("/"));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 503);
  EXPECT_EQ(responses[0].body, "busy");
  EXPECT_EQ(server(0).requests().size() + server(1).requests().size(), 3u);  // the first try and 2 retries
  EXPECT_EQ(backend_counters().retries.get(), 2u);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].retries, 2);
}

TEST_F(HttpProxyRetrySim, PostIsNeverSentTwiceByDefault) {
  start_failing(ServerMode::close);
  const int c = request("POST /order HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 502);
  EXPECT_EQ(server(0).requests().size(), 1u);
  EXPECT_EQ(server(1).requests().size(), 0u);
  EXPECT_EQ(backend_counters().retries.get(), 0u);
}

TEST_F(HttpProxyRetrySim, PostWithAnIdempotencyKeyMayBeRetried) {
  configure = [](conf::BackendConfig& be) {
    be.retry_non_idempotent = conf::RetryNonIdempotent::with_idempotency_key;
  };
  start_failing(ServerMode::close);
  const int c = request("POST /order HTTP/1.1\r\nHost: a\r\nIdempotency-Key: 8e03\r\nContent-Length: 0\r\n\r\n");
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].body, "server2");
  const int d = request("POST /order HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  // Round robin sent this one to server1 again: without the key, no retry.
  EXPECT_EQ(parse_responses(client_->received(d))[0].status, 502);
}

TEST_F(HttpProxyRetrySim, DefaultConnFailureAloneDoesNotRetryAnAnswerlessServer) {
  start_failing(ServerMode::close, {"conn-failure"});
  const int c = request(get("/"));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 502);
  EXPECT_EQ(server(1).requests().size(), 0u);
}

TEST_F(HttpProxyRetrySim, ARequestOverTheRetryBufferIsNotKept) {
  configure = [](conf::BackendConfig& be) { be.retry_buffer = 32; };
  start_failing(ServerMode::close);
  const int c = request(get("/"));
  EXPECT_EQ(parse_responses(client_->received(c))[0].status, 502);
  EXPECT_EQ(backend_counters().retries.get(), 0u);
  EXPECT_EQ(backend_counters().retry_too_large.get(), 1u);
}

TEST_F(HttpProxyRetrySim, ARefusedPostIsCountedAsNonIdempotent) {
  start_failing(ServerMode::close);
  const int c = request("POST /order HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(parse_responses(client_->received(c))[0].status, 502);
  EXPECT_EQ(backend_counters().retry_non_idempotent.get(), 1u);
}

TEST_F(HttpProxyRetrySim, TheBudgetStopsRetriesWhenEveryServerFails) {
  // Both servers answer 503; a budget of no retry in progress at all
  // (0 %, floor 0) turns every retry down, and each client gets the 503.
  configure = [](conf::BackendConfig& be) { be.retry_budget = {0, 0}; };
  start_failing(ServerMode::custom);
  server(1).behaviour().mode = ServerMode::custom;
  server(1).behaviour().custom = server(0).behaviour().custom;
  const int c = client_->open();
  client_->send(c, get("/1") + get("/2") + get("/3"));
  ASSERT_TRUE(client_->wait_responses(c, 3, 5'000'000));
  for (const auto& r : parse_responses(client_->received(c))) EXPECT_EQ(r.status, 503);
  EXPECT_EQ(backend_counters().retries.get(), 0u);
  EXPECT_EQ(backend_counters().retry_budget_refusals.get(), 3u);
  EXPECT_EQ(server(0).requests().size() + server(1).requests().size(), 3u);
}

TEST_F(HttpProxyRetrySim, TheBudgetFloorAllowsRetries) {
  // 0 % of the requests in flight, but a floor of one retry in progress.
  configure = [](conf::BackendConfig& be) { be.retry_budget = {0, 1}; };
  start_failing(ServerMode::close);
  const int c = request(get("/"));
  EXPECT_EQ(parse_responses(client_->received(c))[0].status, 200);
  EXPECT_EQ(backend_counters().retry_budget_refusals.get(), 0u);
  EXPECT_EQ(backend_counters().retries.get(), 1u);
}

TEST_F(HttpProxyRetrySim, AHashBackendRetriesOnTheKeysNextServer) {
  // balance uri sends every /same to one server; the retry goes to the
  // other one rather than back to the server that failed it.
  configure = [](conf::BackendConfig& be) { be.balance = conf::BalanceAlgorithm::uri; };
  start_failing(ServerMode::name);
  std::size_t home = 0;
  {
    const int c = request(get("/same"));
    home = parse_responses(client_->received(c))[0].body == "server1" ? 0 : 1;
  }
  server(home).behaviour().mode = ServerMode::close;
  for (int i = 0; i < 3; ++i) {
    const int c = request(get("/same"));
    const auto responses = parse_responses(client_->received(c));
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].status, 200);
    EXPECT_EQ(responses[0].body, home == 0 ? "server2" : "server1");
  }
  EXPECT_EQ(backend_counters().retries.get(), 3u);
}

TEST_F(HttpProxyRetrySim, NoServerThatFailedTheRequestIsChosenAgain) {
  // balance first would go back to server1 after server2 failed too; the
  // third try goes to server3, the one that has not answered 503 yet.
  config_ = sim_proxy_config(3);
  conf::BackendConfig& be = config_.backends[0];
  be.balance = conf::BalanceAlgorithm::first;
  be.retries = 2;
  std::size_t bad = 0;
  ASSERT_EQ(conf::parse_retry_on({"503"}, &be.retry_on, &bad), "");
  start();
  for (std::size_t i : {0u, 1u}) {
    server(i).behaviour().mode = ServerMode::custom;
    server(i).behaviour().custom = [](const SimRequest&) {
      return std::string("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy");
    };
  }
  const int c = request(get("/"));
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].body, "server3");
  EXPECT_EQ(server(0).requests().size(), 1u);
  EXPECT_EQ(server(1).requests().size(), 1u);
  EXPECT_EQ(backend_counters().retries.get(), 2u);
}

TEST_F(HttpProxyRetrySim, RetryBackoffSpreadsRetriesOverAJitteredWait) {
  configure = [](conf::BackendConfig& be) {
    be.retry_backoff = {conf::Duration{100'000}, conf::Duration{100'000}};
  };
  start_failing(ServerMode::close);
  server(1).behaviour().mode = ServerMode::close;
  // Every try fails: the first retry waits up to 100 ms (base), the
  // second up to 100 ms too (2 x base, capped by max).
  std::vector<uint64_t> took;
  for (int i = 0; i < 12; ++i) {
    const uint64_t t0 = sim_->now_us();
    const int c = request(get("/"));
    EXPECT_EQ(parse_responses(client_->received(c))[0].status, 502);
    took.push_back(sim_->now_us() - t0);
  }
  const auto [low, high] = std::minmax_element(took.begin(), took.end());
  EXPECT_LE(*high, 230'000u);         // two waits of at most 100 ms, and the round trips
  EXPECT_GT(*high - *low, 40'000u);   // spread, not one fixed delay
  EXPECT_EQ(backend_counters().retries.get(), 24u);
  EXPECT_EQ(backend_counters().l7_retries_current.get(), 0u);
}

TEST_F(HttpProxyRetrySim, AClientLeavingDuringTheBackoffEndsTheRetry) {
  configure = [](conf::BackendConfig& be) { be.retry_backoff = {conf::Duration{1'000'000}, conf::Duration{1'000'000}}; };
  start_failing(ServerMode::close);
  const int c = client_->open();
  client_->send(c, get("/"));
  ASSERT_TRUE(sim_->run_until([&] { return server(0).requests().size() == 1; }, 1'000'000));
  sim_->run_for(5'000);
  client_->abort(c);  // a reset: a FIN alone would not end the exchange (no abortonclose)
  sim_->run_for(2'000'000);
  EXPECT_EQ(server(1).requests().size(), 0u);  // the retry never went out
  EXPECT_EQ(backend_counters().l7_retries_current.get(), 0u);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log_termination(log[0]), "CC");
}

// Requests with a body: kept whole (head and body) up to retry_buffer.
class HttpProxyRetryBodySim : public HttpProxyRetrySim {
 protected:
  static std::string put_length(std::size_t n) {
    return "PUT /doc HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n" + body(n);
  }
  static std::string put_chunked(std::size_t n) {
    char size[16];
    std::snprintf(size, sizeof(size), "%zx", n);
    return "PUT /doc HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(size) + "\r\n" +
           body(n) + "\r\n0\r\n\r\n";
  }
  static std::string body(std::size_t n) {
    std::string b(n, 'x');
    for (std::size_t i = 0; i < n; i += 97) b[i] = static_cast<char>('a' + (i / 97) % 26);
    return b;
  }
  // What `bytes` weighs on the way to a server (the rewritten head and the
  // body as framed), measured on a sim of its own and torn down again.
  uint64_t sent_size(const std::string& bytes) {
    config_ = sim_proxy_config(2);
    start();
    request(bytes);
    const uint64_t n = server_counters(0).bytes_in.get();
    TearDown();
    return n;
  }
  // Server1 resets the exchange once the whole request is in; a cap of
  // `cap` bytes.
  void start_with_cap(uint64_t cap) {
    configure = [cap](conf::BackendConfig& be) { be.retry_buffer = static_cast<uint32_t>(cap); };
    start_failing(ServerMode::close);
  }
};

TEST_F(HttpProxyRetryBodySim, ALengthBodyAtTheCapIsRetriedWhole) {
  const std::string put = put_length(6000);
  start_with_cap(sent_size(put));
  const int c = request(put);
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].body, "server2");
  ASSERT_EQ(server(1).requests().size(), 1u);
  EXPECT_EQ(server(1).requests()[0].body, body(6000));
  EXPECT_EQ(backend_counters().retries.get(), 1u);
  EXPECT_EQ(backend_counters().retry_too_large.get(), 0u);
}

TEST_F(HttpProxyRetryBodySim, ALengthBodyOneByteOverTheCapIsNotRetried) {
  const std::string put = put_length(6000);
  start_with_cap(sent_size(put) - 1);
  const int c = request(put);
  EXPECT_EQ(parse_responses(client_->received(c))[0].status, 502);
  EXPECT_EQ(server(1).requests().size(), 0u);
  EXPECT_EQ(backend_counters().retries.get(), 0u);
  EXPECT_EQ(backend_counters().retry_too_large.get(), 1u);
}

TEST_F(HttpProxyRetryBodySim, AChunkedBodyAtTheCapIsRetriedWhole) {
  const std::string put = put_chunked(6000);
  start_with_cap(sent_size(put));
  const int c = request(put);
  const auto responses = parse_responses(client_->received(c));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].body, "server2");
  ASSERT_EQ(server(1).requests().size(), 1u);
  EXPECT_TRUE(server(1).requests()[0].chunked);
  EXPECT_EQ(server(1).requests()[0].body, body(6000));
}

TEST_F(HttpProxyRetryBodySim, AChunkedBodyOneByteOverTheCapIsNotRetried) {
  const std::string put = put_chunked(6000);
  // A chunked body's length is not known ahead: it is kept until it
  // passes the cap, then let go.
  start_with_cap(sent_size(put) - 1);
  const int c = request(put);
  EXPECT_EQ(parse_responses(client_->received(c))[0].status, 502);
  EXPECT_EQ(server(1).requests().size(), 0u);
  EXPECT_EQ(backend_counters().retry_too_large.get(), 1u);
}

TEST_F(HttpProxyRetryBodySim, ABodyStillArrivingIsNotRetried) {
  start_failing(ServerMode::close);
  server(0).behaviour().answer_on_head = true;  // resets as soon as the head is in
  const int c = client_->open();
  const std::string put = put_length(6000);
  client_->send(c, put.substr(0, put.size() - 3000));
  ASSERT_TRUE(client_->wait_responses(c, 1, 3'000'000));
  EXPECT_EQ(parse_responses(client_->received(c))[0].status, 502);
  EXPECT_EQ(server(1).requests().size(), 0u);
  EXPECT_EQ(backend_counters().retries.get(), 0u);
  EXPECT_EQ(backend_counters().retry_body_incomplete.get(), 1u);
}

TEST_F(HttpProxyRetryBodySim, APostWithABodyIsNotSentTwice) {
  start_failing(ServerMode::close);
  const int c = request("POST /order HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(parse_responses(client_->received(c))[0].status, 502);
  EXPECT_EQ(server(1).requests().size(), 0u);
  EXPECT_EQ(backend_counters().retry_non_idempotent.get(), 1u);
}

TEST_F(HttpProxyRetryBodySim, APostWithABodyAndAnIdempotencyKeyIsRetriedWhole) {
  configure = [](conf::BackendConfig& be) {
    be.retry_non_idempotent = conf::RetryNonIdempotent::with_idempotency_key;
  };
  start_failing(ServerMode::close);
  const int c =
      request("POST /order HTTP/1.1\r\nHost: a\r\nIdempotency-Key: 8e03\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(parse_responses(client_->received(c))[0].body, "server2");
  ASSERT_EQ(server(1).requests().size(), 1u);
  EXPECT_EQ(server(1).requests()[0].body, "hello");
}

TEST_F(HttpProxyRetryBodySim, AResponseThatFailsAfterItsHeadWentOutIsNeverRetried) {
  start_failing(ServerMode::close_mid_body);
  const int c = client_->open();
  client_->send(c, get("/"));
  ASSERT_TRUE(client_->wait_done(c, 3'000'000));
  EXPECT_EQ(server(1).requests().size(), 0u);
  EXPECT_EQ(backend_counters().retries.get(), 0u);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 200);  // the head went out
  EXPECT_EQ(log[0].retries, 0);
  EXPECT_EQ(log_termination(log[0]), "SD");
}

// ---- A server going down with requests queued for it -----------------------------------

class HttpProxyServerQueueSim : public HttpProxySim {
 protected:
  // Two servers with maxconn 1, balance uri: both requests for /same go to
  // the same server, the second waits in that server's queue. Returns the
  // index of that server.
  std::size_t queue_one(SimHttpClient& other, int* a, int* c) {
    *a = client_->open();
    client_->send(*a, get("/same"));
    EXPECT_TRUE(sim_->run_until([&] { return server(0).requests().size() + server(1).requests().size() == 1; },
                                1'000'000));
    const std::size_t busy = server(0).requests().size() == 1 ? 0 : 1;
    *c = other.open();
    other.send(*c, get("/same"));
    EXPECT_TRUE(sim_->run_until([&] { return server_counters(busy).queue_current.get() == 1; }, 1'000'000));
    return busy;
  }

  void take_down(std::size_t server) {
    std::vector<std::vector<dataplane::ServerRuntimeState>> states(1);
    states[0] = {dataplane::ServerRuntimeState{1, server != 0}, dataplane::ServerRuntimeState{1, server != 1}};
    snapshots_.push_back(dataplane::build_proxy_snapshot(config_, 2, 1, &states));
    proxy().adopt(snapshots_.back().get());
  }

  void configure() {
    config_ = sim_proxy_config(2);
    config_.backends[0].balance = conf::BalanceAlgorithm::uri;
    config_.backends[0].servers[0].maxconn = 1;
    config_.backends[0].servers[1].maxconn = 1;
    config_.backends[0].timeout_queue = conf::Duration{500'000};
    clients_ = 2;
  }
};

TEST_F(HttpProxyServerQueueSim, RedispatchMovesAServersQueueWhenItGoesDown) {
  configure();
  ServerBehaviour b;
  b.delay_us = 300'000;
  start(b);
  SimHttpClient& other = *clients_list_[1];
  int a = 0;
  int c = 0;
  const std::size_t busy = queue_one(other, &a, &c);
  take_down(busy);
  ASSERT_TRUE(other.wait_responses(c, 1, 2'000'000));
  const auto late = parse_responses(other.received(c));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].status, 200);
  EXPECT_EQ(late[0].body, "server" + std::to_string(2 - busy));  // the other one
  EXPECT_EQ(server(busy).requests().size(), 1u);
  EXPECT_EQ(backend_counters().redispatches.get(), 1u);
  ASSERT_TRUE(client_->wait_responses(a, 1, 2'000'000));  // the one in flight finishes where it was
}

TEST_F(HttpProxyServerQueueSim, WithoutRedispatchTheQueueWaitsForTheDownServer) {
  configure();
  config_.backends[0].redispatch = false;
  ServerBehaviour b;
  b.delay_us = 300'000;
  start(b);
  SimHttpClient& other = *clients_list_[1];
  int a = 0;
  int c = 0;
  const std::size_t busy = queue_one(other, &a, &c);
  take_down(busy);
  ASSERT_TRUE(other.wait_done(c, 2'000'000));
  const auto late = parse_responses(other.received(c));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].status, 503);  // timeout_queue, never sent to the down server
  EXPECT_EQ(server(busy).requests().size(), 1u);
  EXPECT_EQ(server(1 - busy).requests().size(), 0u);
  const auto log = take_log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log_termination(log[1]), "sQ");
}

// ---- Tunnel timeouts ------------------------------------------------------------------

TEST_F(HttpProxySim, IdleTunnelTimeoutIsBlamedOnTheClient) {
  config_.backends[0].timeout_tunnel = conf::Duration{300'000};
  start(ServerBehaviour{ServerMode::tunnel});
  const int c = client_->open();
  client_->send(c, get("/ws", "Connection: Upgrade\r\nUpgrade: websocket\r\n"));
  ASSERT_TRUE(client_->wait_responses(c, 1, 2'000'000));
  client_->send(c, "hello");
  ASSERT_TRUE(sim_->run_until([&] { return client_->received(c).find("hello") != std::string::npos; }, 1'000'000));
  ASSERT_TRUE(client_->wait_done(c, 2'000'000));
  const auto log = take_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 101);
  // Nothing moved either way: HAProxy's first check is the request
  // channel's read timeout, a client-side one.
  EXPECT_EQ(log_termination(log[0]), "cD");
}

// ---- Lingering close ------------------------------------------------------------------

// After an answer with unread client bytes behind it, dplb half-closes and
// drains: for timeout_client, as HAProxy without `timeout client-fin`.
TEST_F(HttpProxySim, LingeringCloseLastsTimeoutClient) {
  config_.frontends[0].timeout_client = conf::Duration{3'000'000};
  start();
  const int c = client_->open();
  // The client reads nothing, so it does not close after the answer.
  client_->pause(c);
  client_->send(c, "GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\nmore bytes");
  sim_->run_for(1'500'000);
  EXPECT_EQ(proxy().sessions(), 1u);  // still draining the client
  ASSERT_TRUE(sim_->run_until([&] { return proxy().sessions() == 0; }, 2'000'000));
  EXPECT_EQ(frontend_counters().responses[3].get(), 1u);
}

}  // namespace
}  // namespace dplb::testing
