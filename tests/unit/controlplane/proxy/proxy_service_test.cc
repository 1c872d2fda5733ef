// The control plane's proxy bookkeeping without DPDK: which snapshots may be
// freed (RCU), what publish refuses, and what the reports and the `show stat`
// CSV print for given counters.

#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "controlplane/proxy/access_log_writer.h"
#include "conf/config_loader.h"
#include "controlplane/proxy/proxy_report.h"
#include "controlplane/proxy/rules_report.h"
#include "controlplane/proxy/proxy_service.h"
#include "controlplane/proxy/snapshot_history.h"
#include "dataplane/proxy/proxy_counters.h"
#include "dataplane/proxy/proxy_snapshot.h"

namespace dplb::controlplane {
namespace {

conf::Config proxy_config() {
  conf::Config c;
  c.dataplane.workers = {1, 2};
  conf::FrontendConfig fe;
  fe.name = "http-in";
  fe.bind = {conf::Endpoint{conf::Ipv4Address{0}, 80}, conf::Endpoint{conf::Ipv4Address{0x0a630102}, 8080}};
  fe.default_backend = "static";
  fe.maxconn = 1000;
  c.frontends.push_back(fe);
  conf::BackendConfig be;
  be.name = "static";
  be.balance = conf::BalanceAlgorithm::hdr;
  be.hash_header = "Host";
  conf::ServerConfig s1;
  s1.name = "srv1";
  s1.address = conf::Endpoint{conf::Ipv4Address{0x0a63020b}, 8080};
  s1.weight = 10;
  s1.maxconn = 50;
  conf::ServerConfig s2;
  s2.name = "srv2";
  s2.address = conf::Endpoint{conf::Ipv4Address{0x0a63020c}, 8080};
  s2.backup = true;
  be.servers = {s1, s2};
  c.backends.push_back(be);
  conf::BackendConfig other;
  other.name = "dynamic";
  other.balance = conf::BalanceAlgorithm::random;
  other.random_draws = 3;
  conf::ServerConfig d1;
  d1.name = "app1";
  d1.address = conf::Endpoint{conf::Ipv4Address{0x0a630215}, 9000};
  other.servers = {d1};
  c.backends.push_back(other);
  return c;
}

std::unique_ptr<const dataplane::ProxySnapshot> snapshot(const conf::Config& c, uint64_t version,
                                                         bool srv1_usable = true) {
  std::vector<std::vector<dataplane::ServerRuntimeState>> states = {{{10, srv1_usable}, {1, true}}, {{1, true}}};
  return dataplane::build_proxy_snapshot(c, version, 2, &states);
}

TEST(SnapshotHistory, FreesAVersionOnlyWhenEveryWorkerMovedPastIt) {
  const conf::Config c = proxy_config();
  SnapshotHistory h(snapshot(c, 1), 2);
  EXPECT_EQ(h.retained(), 1u);
  EXPECT_EQ(h.oldest_needed(), 1u);
  ASSERT_TRUE(h.publish(snapshot(c, 2)));
  ASSERT_TRUE(h.publish(snapshot(c, 3)));
  EXPECT_EQ(h.current_version(), 3u);
  EXPECT_EQ(h.retained(), 3u);

  EXPECT_EQ(h.adopted(0, 2), 0u);  // worker 1 still reads version 1
  EXPECT_EQ(h.retained(), 3u);
  EXPECT_EQ(h.adopted(1, 3), 1u);  // straight from 1 to 3: version 2 was never posted to it
  EXPECT_EQ(h.oldest_needed(), 2u);
  EXPECT_EQ(h.oldest_retained_version(), 2u);
  EXPECT_EQ(h.adopted(0, 3), 1u);
  EXPECT_EQ(h.retained(), 1u);
  EXPECT_EQ(h.oldest_retained_version(), 3u);
  EXPECT_EQ(h.current().version, 3u);
}

TEST(SnapshotHistory, TheCurrentVersionIsNeverFreed) {
  const conf::Config c = proxy_config();
  SnapshotHistory h(snapshot(c, 1), 1);
  ASSERT_TRUE(h.publish(snapshot(c, 2)));
  EXPECT_EQ(h.adopted(0, 2), 1u);
  EXPECT_EQ(h.retained(), 1u);
  EXPECT_EQ(h.current().version, 2u);
}

TEST(SnapshotHistory, RefusesOldVersionsAndIgnoresBogusAcknowledgements) {
  const conf::Config c = proxy_config();
  SnapshotHistory h(snapshot(c, 5), 2);
  EXPECT_FALSE(h.publish(snapshot(c, 5)));
  EXPECT_FALSE(h.publish(snapshot(c, 4)));
  EXPECT_FALSE(h.publish(nullptr));
  EXPECT_EQ(h.retained(), 1u);
  ASSERT_TRUE(h.publish(snapshot(c, 6)));
  EXPECT_EQ(h.adopted(0, 9), 0u);  // never published
  EXPECT_EQ(h.adopted(7, 6), 0u);  // no such worker
  EXPECT_EQ(h.adopted(0, 6), 0u);
  EXPECT_EQ(h.adopted(0, 5), 0u);  // stale: the worker is past it already
  EXPECT_EQ(h.adopted_version(0), 6u);
  EXPECT_EQ(h.adopted(1, 6), 1u);
  EXPECT_EQ(h.retained(), 1u);
}

TEST(ProxyService, PublishWithoutWorkersWaitsAndRetiresOnAcknowledgements) {
  const conf::Config c = proxy_config();
  ProxyService service(c, snapshot(c, 1));
  const dataplane::ProxySnapshot* first = service.current();
  EXPECT_EQ(service.pending_posts(), 0u);
  EXPECT_EQ(service.publish(snapshot(c, 2, false)), "");
  EXPECT_NE(service.current(), first);
  EXPECT_FALSE(service.current()->backends[0].table.servers()[0].usable);
  EXPECT_EQ(service.pending_posts(), 2u);  // nothing to post to yet: kept for later, not lost
  dataplane::ControlEvent e;
  e.kind = dataplane::ControlEvent::Kind::proxy_adopted;
  e.count = 2;
  service.on_adopted(0, e);
  EXPECT_EQ(service.history().retained(), 2u);
  service.on_adopted(1, e);
  EXPECT_EQ(service.history().retained(), 1u);
}

TEST(ProxyService, PublishRefusesOlderVersionsAndOtherShapes) {
  const conf::Config c = proxy_config();
  ProxyService service(c, snapshot(c, 3));
  EXPECT_EQ(service.publish(snapshot(c, 3)), "snapshot version 3 is not newer than the current version 3");
  conf::Config fewer = proxy_config();
  fewer.backends[0].servers.pop_back();
  EXPECT_EQ(service.publish(dataplane::build_proxy_snapshot(fewer, 4, 2)),
            "snapshot version 4 has other frontends, backends or servers");
  EXPECT_EQ(service.current()->version, 3u);
}

TEST(ProxyService, ShowServersNamesAnUnknownBackend) {
  const conf::Config c = proxy_config();
  ProxyService service(c, snapshot(c, 1));
  CommandRegistry registry;
  service.register_commands(registry);
  CommandReply r = registry.execute("show servers statc");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.text, "error: no backend 'statc'; did you mean: static\n");
  r = registry.execute("show servers zzzzzzzzz");
  EXPECT_EQ(r.text, "error: no backend 'zzzzzzzzz'; backends: static, dynamic\n");
  r = registry.execute("show servers dynamic");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.text.rfind("server dynamic/app1  address 10.99.2.21:9000  state UP  role active  weight 1  effective-weight 1\n", 0), 0u)
      << r.text;
}

TEST(ProxyService, ShowSessArgumentsAreChecked) {
  const conf::Config c = proxy_config();
  ProxyService service(c, snapshot(c, 1));
  CommandRegistry registry;
  service.register_commands(registry);
  auto run = [&](const std::string& line) {
    CommandReply out;
    registry.execute_async(line, [&](CommandReply r) { out = std::move(r); });
    return out;
  };
  EXPECT_EQ(run("show sess limit 0").text, "error: '0' is not a limit: N in 1..10000\n");
  EXPECT_EQ(run("show sess limit 10001").text, "error: '10001' is not a limit: N in 1..10000\n");
  EXPECT_EQ(run("show sess limit").text, "error: 'limit' needs a value; usage: show sess [limit N]\n");
  EXPECT_EQ(run("show sess count 3").text, "error: unknown option 'count'; usage: show sess [limit N]\n");
}

class ProxyReports : public testing::Test {
 protected:
  void SetUp() override {
    snap_ = snapshot(config_, 1, false);
    for (auto& w : workers_) w.size_for(1, {2, 1});
    auto& f0 = workers_[0].frontends[0];
    auto& f1 = workers_[1].frontends[0];
    f0.sessions_current.add(3);
    f1.sessions_current.add(2);
    f0.sessions_max.observe(7);
    f1.sessions_max.observe(9);
    f0.sessions_total.add(100);
    f1.sessions_total.add(50);
    f0.requests.add(400);
    f1.requests.add(200);
    f0.responses[1].add(590);
    f1.responses[4].add(10);
    f0.request_errors.add(2);
    f0.bytes_in.add(1000);
    f1.bytes_out.add(5000);
    f1.client_aborts.add(1);
    f0.denied_requests.add(4);
    f1.denied_requests.add(1);
    f1.intercepted.add(3);
    f0.rewrite_failures.add(2);
    auto& b = workers_[1].backends[0];
    b.requests.add(600);
    b.queue_current.add(4);
    b.queue_max.observe(6);
    b.retries.add(3);
    b.redispatches.add(1);
    b.no_server.add(5);
    auto& s = workers_[0].servers[0][1];
    s.current.add(2);
    s.current_max.observe(8);
    s.total.add(77);
    s.connections.add(5);
    s.reused.add(72);
    s.idle.add(3);
    s.connect_errors.add(1);
    s.responses[1].add(70);
    s.last_request_us.add(1'000'000);
  }

  ProxyView view() const {
    return ProxyView{config_, *snap_, {&workers_[0], &workers_[1]}, 11'000'000};
  }

  static std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> out;
    std::string field;
    std::istringstream in(line);
    while (std::getline(in, field, ',')) out.push_back(field);
    return out;
  }

  std::string column(const std::string& row, std::string_view name) const {
    const auto& columns = stat_csv_columns();
    const auto fields = split(row);
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (columns[i] == name) return i < fields.size() ? fields[i] : "<missing>";
    }
    return "<no such column>";
  }

  conf::Config config_ = proxy_config();
  std::unique_ptr<const dataplane::ProxySnapshot> snap_;
  dataplane::ProxyCounters workers_[2];
};

TEST_F(ProxyReports, FrontendsSumWorkersAndTakeTheLargestMaximum) {
  EXPECT_EQ(report_frontends(view()),
            "frontend http-in  bind *:80,10.99.1.2:8080  backend static  maxconn 1000\n"
            "  sessions 5  sessions-max 9  sessions-total 150  refused 0\n"
            "  requests 600  request-errors 2  1xx 0  2xx 590  3xx 0  4xx 0  5xx 10  other 0\n"
            "  bytes-in 1000  bytes-out 5000  client-aborts 1\n"
            "  denied-requests 5  denied-responses 0  intercepted 3  rewrite-failures 2\n");
}

TEST_F(ProxyReports, BackendsShowAlgorithmAndUsableServers) {
  const std::string text = report_backends(view());
  EXPECT_NE(text.find("backend static  balance hdr(Host)  hash-type map-based  servers-usable 1  servers 2\n"
                      "  requests 600  queue 4  queue-max 6  connect-errors 0  response-errors 0  retries 3"
                      "  redispatches 1  no-server 5\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("backend dynamic  balance random(3)  hash-type map-based  servers-usable 1  servers 1\n"),
            std::string::npos)
      << text;
}

TEST_F(ProxyReports, ServersShowStateFromTheSnapshot) {
  const std::string text = report_servers(view(), 0);
  EXPECT_NE(text.find("server static/srv1  address 10.99.2.11:8080  state DOWN  role active  weight 10  effective-weight 10\n"
                      "  in-flight 0  in-flight-max 0  maxconn 50"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("server static/srv2  address 10.99.2.12:8080  state UP  role backup  weight 1  effective-weight 1\n"
                      "  in-flight 2  in-flight-max 8  maxconn 0  requests 77  queue 0  queue-max 0\n"
                      "  connections 5  reused 72  idle 3  connect-errors 1  response-errors 0\n"
                      "  1xx 0  2xx 70  3xx 0  4xx 0  5xx 0  other 0\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("dynamic"), std::string::npos);
}

TEST_F(ProxyReports, StatCsvRowsLineUpWithTheHeader) {
  const std::string csv = report_stat_csv(view());
  std::vector<std::string> lines;
  std::istringstream in(csv);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  // Header, FRONTEND, static: srv1 srv2 BACKEND, dynamic: app1 BACKEND.
  ASSERT_EQ(lines.size(), 7u) << csv;
  EXPECT_EQ(lines[0] + "\n", stat_csv_header());
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto fields = split(lines[i]);
    ASSERT_EQ(fields.size(), stat_csv_columns().size() + 1) << lines[i];
    EXPECT_EQ(fields.back(), "-");
  }
  const std::string& fe = lines[1];
  EXPECT_EQ(fe.rfind("http-in,FRONTEND,,,5,9,1000,150,1000,5000,5,0,2,", 0), 0u) << fe;
  EXPECT_EQ(column(fe, "status"), "OPEN");
  EXPECT_EQ(column(fe, "type"), "0");
  EXPECT_EQ(column(fe, "pid"), "1");
  EXPECT_EQ(column(fe, "iid"), "1");
  EXPECT_EQ(column(fe, "req_tot"), "600");
  EXPECT_EQ(column(fe, "hrsp_2xx"), "590");
  EXPECT_EQ(column(fe, "hrsp_5xx"), "10");
  EXPECT_EQ(column(fe, "rate"), "");
  EXPECT_EQ(column(fe, "dreq"), "5");
  EXPECT_EQ(column(fe, "intercepted"), "3");
  EXPECT_EQ(column(fe, "wrew"), "2");

  const std::string& srv1 = lines[2];
  EXPECT_EQ(srv1.rfind("static,srv1,", 0), 0u);
  EXPECT_EQ(column(srv1, "status"), "DOWN");
  EXPECT_EQ(column(srv1, "slim"), "50");
  EXPECT_EQ(column(srv1, "lastsess"), "-1");
  const std::string& srv2 = lines[3];
  EXPECT_EQ(column(srv2, "status"), "UP");
  EXPECT_EQ(column(srv2, "scur"), "2");
  EXPECT_EQ(column(srv2, "smax"), "8");
  EXPECT_EQ(column(srv2, "slim"), "");
  EXPECT_EQ(column(srv2, "act"), "0");
  EXPECT_EQ(column(srv2, "bck"), "1");
  EXPECT_EQ(column(srv2, "sid"), "2");
  EXPECT_EQ(column(srv2, "iid"), "2");
  EXPECT_EQ(column(srv2, "type"), "2");
  EXPECT_EQ(column(srv2, "lbtot"), "77");
  EXPECT_EQ(column(srv2, "econ"), "1");
  EXPECT_EQ(column(srv2, "lastsess"), "10");
  EXPECT_EQ(column(srv2, "addr"), "10.99.2.12:8080");
  EXPECT_EQ(column(srv2, "connect"), "5");
  EXPECT_EQ(column(srv2, "reuse"), "72");
  EXPECT_EQ(column(srv2, "srv_icur"), "3");
  EXPECT_EQ(column(srv2, "uweight"), "1");

  const std::string& be = lines[4];
  EXPECT_EQ(be.rfind("static,BACKEND,4,6,2,", 0), 0u) << be;
  EXPECT_EQ(column(be, "status"), "UP");  // the backup still serves
  EXPECT_EQ(column(be, "act"), "0");
  EXPECT_EQ(column(be, "bck"), "1");
  EXPECT_EQ(column(be, "type"), "1");
  EXPECT_EQ(column(be, "stot"), "600");
  EXPECT_EQ(column(be, "wretr"), "3");
  EXPECT_EQ(column(be, "wredis"), "1");
  EXPECT_EQ(column(be, "algo"), "hdr");
  EXPECT_EQ(column(be, "uweight"), "10");
  EXPECT_EQ(column(be, "lastsess"), "10");
  EXPECT_EQ(lines[6].rfind("dynamic,BACKEND,", 0), 0u);
  EXPECT_EQ(column(lines[6], "iid"), "3");
  EXPECT_EQ(column(lines[6], "algo"), "random");
}

TEST(RulesReports, ShowAclAndShowRulesWithHitsSummedOverWorkers) {
  const char* text =
      "[dataplane]\nworkers = [1, 2]\ncontrol_lcore = 0\nhugepages = false\nmemory_mb = 256\n"
      "[[port]]\nname = \"p\"\ndevice = \"net_null0\"\naddress = \"10.99.1.2/24\"\n"
      "[[frontend]]\nname = \"http_front\"\nbind = [\"*:80\"]\ndefault_backend = \"web\"\n"
      "acl = { is_api = \"path_beg /api\", lan = [\"src 10.0.0.0/8\", \"src 192.168.0.0/16\"] }\n"
      "[[frontend.http_request]]\naction = \"deny\"\nif = \"{ path_beg /admin } !lan\"\n"
      "[[frontend.http_response]]\naction = \"del-header\"\nname = \"Server\"\n"
      "[[frontend.use_backend]]\nbackend = \"api\"\nif = \"is_api\"\n"
      "[[backend]]\nname = \"web\"\n[[backend.server]]\nname = \"w1\"\naddress = \"10.99.1.11:80\"\n"
      "[[backend]]\nname = \"api\"\n[[backend.server]]\nname = \"a1\"\naddress = \"10.99.1.21:80\"\n"
      "[[backend.http_request]]\naction = \"disable-l7-retry\"\nif = \"METH_POST\"\n";
  conf::LoadResult loaded = conf::load_config_text(text, "dplb.toml");
  ASSERT_TRUE(loaded.config) << loaded.diagnostics.formatted().front();
  auto snap = dataplane::build_proxy_snapshot(*loaded.config, 1, 2);
  dataplane::ProxyCounters workers[2];
  for (auto& w : workers) {
    w.size_for(1, {1, 1});
    dataplane::size_rule_hits(*snap, w);
  }
  workers[0].frontend_rule_hits[0][0].add(5);  // deny
  workers[1].frontend_rule_hits[0][0].add(2);
  workers[1].frontend_rule_hits[0][1].add(9);  // del-header
  workers[0].frontend_rule_hits[0][2].add(4);  // use_backend
  workers[1].backend_rule_hits[1][0].add(1);
  ProxyView v{*loaded.config, *snap, {&workers[0], &workers[1]}, 0};

  std::string problem;
  EXPECT_EQ(report_rules(v, "http_front", &problem),
            "frontend http_front\n"
            "    #  list                  hits  rule\n"
            "    0  http-request             7  deny deny_status 403 if { path_beg /admin } !lan\n"
            "    0  http-response            9  del-header Server\n"
            "    0  use_backend              4  use_backend api if is_api\n");
  EXPECT_EQ(problem, "");
  const std::string all = report_rules(v, "", &problem);
  EXPECT_NE(all.find("backend api\n"), std::string::npos) << all;
  EXPECT_NE(all.find("    0  http-request             1  disable-l7-retry if METH_POST\n"), std::string::npos) << all;
  EXPECT_EQ(all.find("backend web"), std::string::npos) << all;  // no rule, not listed in the overview
  EXPECT_EQ(report_rules(v, "web", &problem), "backend web: no rule\n");

  const std::string acls = report_acls(v, "http_front", &problem);
  EXPECT_EQ(acls.rfind("frontend http_front\n"
                       "  line 14    is_api               path_beg /api\n"
                       "  line 14    lan                  src 10.0.0.0/8\n"
                       "  line 14    lan                  src 192.168.0.0/16\n"
                       "predefined: ", 0),
            0u)
      << acls;

  EXPECT_EQ(report_rules(v, "http_frnt", &problem), "");
  EXPECT_EQ(problem, "no frontend or backend 'http_frnt'; did you mean: http_front");
}

TEST(HttplogNames, ResolvedFromTheSnapshot) {
  const conf::Config c = proxy_config();
  auto s = snapshot(c, 1);
  dataplane::AccessLogRecord r;
  r.frontend = 0;
  HttplogNames n = httplog_names(*s, r);
  EXPECT_EQ(n.frontend, "http-in");
  EXPECT_EQ(n.backend, "");
  EXPECT_EQ(n.server, "");
  r.backend = 1;
  n = httplog_names(*s, r);
  EXPECT_EQ(n.backend, "dynamic");
  EXPECT_EQ(n.server, "");
  r.server = 0;
  EXPECT_EQ(httplog_names(*s, r).server, "app1");
  r.server = 5;
  EXPECT_EQ(httplog_names(*s, r).server, "?");
}

}  // namespace
}  // namespace dplb::controlplane
