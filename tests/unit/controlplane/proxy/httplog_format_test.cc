#include <gtest/gtest.h>

#include <cstring>

#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "controlplane/proxy/access_log_writer.h"
#include "controlplane/proxy/proxy_report.h"

namespace dplb::controlplane {
namespace {

using dataplane::AccessLogRecord;

// Dates are printed in local time; the expectations are written for UTC.
class HttplogFormat : public testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    had_tz_ = tz != nullptr;
    if (had_tz_) saved_tz_ = tz;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (had_tz_) {
      setenv("TZ", saved_tz_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

  static int64_t utc_us(int year, int month, int day, int hour, int minute, int second, int millis) {
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    return int64_t{timegm(&tm)} * 1'000'000 + millis * 1000 + 417;  // sub-millisecond part is cut, not rounded
  }

  // HAProxy's documented example line.
  static AccessLogRecord example() {
    AccessLogRecord r;
    r.client_address = (10u << 24) | (0u << 16) | (1u << 8) | 2u;
    r.client_port = 33317;
    r.status = 200;
    r.t_request = 10;
    r.t_queue = 0;
    r.t_connect = 30;
    r.t_response = 69;
    r.t_active = 109;
    r.bytes_read = 2750;
    r.active_connections = 1;
    r.frontend_connections = 1;
    r.backend_connections = 1;
    r.server_connections = 1;
    r.retries = 0;
    set_request(r, "GET /index.html HTTP/1.1");
    return r;
  }

  static void set_request(AccessLogRecord& r, const std::string& text) {
    r.request_length = static_cast<uint16_t>(text.size());
    text.copy(r.request, text.size());
  }

  static std::string format(const AccessLogRecord& r, const HttplogNames& names) {
    std::string out;
    append_httplog(out, r, utc_us(2009, 2, 6, 12, 14, 14, 655), names);
    return out;
  }

  bool had_tz_ = false;
  std::string saved_tz_;
};

TEST_F(HttplogFormat, NormalLineMatchesHaproxy) {
  EXPECT_EQ(format(example(), {"http-in", "static", "srv1"}),
            "10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- "
            "1/1/1/1/0 0/0 \"GET /index.html HTTP/1.1\"\n");
}

TEST_F(HttplogFormat, TerminationStateAndCounts) {
  AccessLogRecord r = example();
  r.termination[0] = 'S';
  r.termination[1] = 'H';
  r.active_connections = 120;
  r.frontend_connections = 80;
  r.backend_connections = 7;
  r.server_connections = 3;
  r.retries = 2;
  r.server_queue = 4;
  r.backend_queue = 9;
  r.bytes_read = 0;
  const std::string line = format(r, {"fe", "be", "s2"});
  EXPECT_NE(line.find(" 200 0 - - SH-- 120/80/7/3/2 4/9 \"GET"), std::string::npos) << line;
  // A retry that went to another server: HAProxy writes "+N".
  r.redispatched = 1;
  EXPECT_NE(format(r, {"fe", "be", "s2"}).find(" 120/80/7/3/+2 4/9 "), std::string::npos);
}

TEST_F(HttplogFormat, NoBackendShowsTheFrontendAndNosrv) {
  AccessLogRecord r = example();
  r.status = 400;
  EXPECT_NE(format(r, {"http-in", "", ""}).find(" http-in http-in/<NOSRV> "), std::string::npos);
}

TEST_F(HttplogFormat, BackendWithoutServerIsNosrv) {
  AccessLogRecord r = example();
  r.status = 503;
  EXPECT_NE(format(r, {"http-in", "static", ""}).find(" http-in static/<NOSRV> "), std::string::npos);
}

TEST_F(HttplogFormat, UnreachedTimersStayMinusOne) {
  AccessLogRecord r = example();
  r.t_request = 3;
  r.t_queue = -1;
  r.t_connect = -1;
  r.t_response = -1;
  r.t_active = 5003;
  EXPECT_NE(format(r, {"fe", "", ""}).find(" 3/-1/-1/-1/5003 "), std::string::npos);
}

TEST_F(HttplogFormat, NoStatusIsMinusOne) {
  AccessLogRecord r = example();
  r.status = 0;
  r.termination[0] = 'C';
  r.termination[1] = 'D';
  const std::string line = format(r, {"fe", "be", "s1"});
  EXPECT_NE(line.find("/109 -1 2750 - - CD-- "), std::string::npos) << line;
}

TEST_F(HttplogFormat, RequestIsEscaped) {
  AccessLogRecord r = example();
  set_request(r, std::string("GET /a\"b\\c#d\te\x01\x7f\xc3\xa9 HTTP/1.1"));
  const std::string line = format(r, {"fe", "be", "s1"});
  EXPECT_NE(line.find(" \"GET /a#22b\\c#23d#09e#01#7F#C3#A9 HTTP/1.1\"\n"), std::string::npos) << line;
}

TEST_F(HttplogFormat, EmptyRequestIsBadreq) {
  AccessLogRecord r = example();
  r.request_length = 0;
  const std::string line = format(r, {"fe", "", ""});
  EXPECT_NE(line.find(" \"<BADREQ>\"\n"), std::string::npos) << line;
}

TEST_F(HttplogFormat, RequestLengthIsBoundedByTheRecord) {
  AccessLogRecord r = example();
  std::fill(std::begin(r.request), std::end(r.request), 'x');
  r.request_length = 60000;  // corrupt: never read past the array
  const std::string line = format(r, {"fe", "", ""});
  EXPECT_NE(line.find("\"" + std::string(sizeof(r.request), 'x') + "\"\n"), std::string::npos);
}

TEST_F(HttplogFormat, DateIsLocalTime) {
  setenv("TZ", "CET-1", 1);  // UTC+1, no daylight saving
  tzset();
  const std::string line = format(example(), {"fe", "be", "s1"});
  EXPECT_NE(line.find("[06/Feb/2009:13:14:14.655]"), std::string::npos) << line;
}

TEST_F(HttplogFormat, FilePrefixIsASyslogHeader) {
  EXPECT_EQ(syslog_header(utc_us(2009, 2, 6, 12, 14, 14, 655), "lb1", 4242), "Feb  6 12:14:14 lb1 dplb[4242]: ");
  EXPECT_EQ(syslog_header(utc_us(2024, 11, 23, 9, 5, 7, 0), "lb2", 7), "Nov 23 09:05:07 lb2 dplb[7]: ");
}

TEST_F(HttplogFormat, FileLineIsHeaderThenHttplog) {
  const int64_t when = utc_us(2009, 2, 6, 12, 14, 14, 655);
  std::string out = syslog_header(when, "lb1", 99);
  append_httplog(out, example(), when, {"http-in", "static", "srv1"});
  EXPECT_EQ(out,
            "Feb  6 12:14:14 lb1 dplb[99]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 "
            "10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 \"GET /index.html HTTP/1.1\"\n");
}

// A failed TLS handshake is a connection error line, as HAProxy logs them.
TEST_F(HttplogFormat, HandshakeFailuresAreConnectionErrorLines) {
  const int64_t when = utc_us(2009, 2, 6, 12, 14, 14, 655);
  dataplane::AccessLogRecord r;
  r.client_address = 0x0a000102;
  r.client_port = 33317;
  r.local_port = 443;
  r.tls = true;
  struct Case {
    dataplane::TlsFailure why;
    const char* sni;
    const char* text;
  };
  const Case cases[] = {
      {dataplane::TlsFailure::no_shared_cipher, "www.example.com",
       "SSL handshake failure (no-shared-cipher, SNI www.example.com)"},
      {dataplane::TlsFailure::not_tls, "", "SSL handshake failure (not-tls)"},
      {dataplane::TlsFailure::handshake_timeout, "", "Timeout during SSL handshake (handshake-timeout)"},
      {dataplane::TlsFailure::peer_closed, "a\nb", "Connection closed during SSL handshake (closed-in-handshake, SNI a?b)"},
  };
  for (const Case& c : cases) {
    r.tls_failure = static_cast<uint8_t>(c.why);
    std::memset(r.tls_sni, 0, sizeof(r.tls_sni));
    std::memcpy(r.tls_sni, c.sni, std::strlen(c.sni));
    std::string out;
    append_httplog(out, r, when, {"https-in", "", ""});
    EXPECT_EQ(out, std::string("10.0.1.2:33317 [06/Feb/2009:12:14:14.655] https-in/:443: ") + c.text + "\n");
  }
}

// The static fields of `show stat` in HAProxy 2.6 (management guide 9.1,
// fields 0 to 100), written out here independently of the implementation.
TEST(ShowStatCsv, HeaderHasHaproxyColumnOrder) {
  const std::vector<std::string> expected = {
      "pxname", "svname", "qcur", "qmax", "scur", "smax", "slim", "stot", "bin", "bout",
      "dreq", "dresp", "ereq", "econ", "eresp", "wretr", "wredis", "status", "weight", "act",
      "bck", "chkfail", "chkdown", "lastchg", "downtime", "qlimit", "pid", "iid", "sid", "throttle",
      "lbtot", "tracked", "type", "rate", "rate_lim", "rate_max", "check_status", "check_code", "check_duration",
      "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other", "hanafail", "req_rate",
      "req_rate_max", "req_tot", "cli_abrt", "srv_abrt", "comp_in", "comp_out", "comp_byp", "comp_rsp",
      "lastsess", "last_chk", "last_agt", "qtime", "ctime", "rtime", "ttime", "agent_status", "agent_code",
      "agent_duration", "check_desc", "agent_desc", "check_rise", "check_fall", "check_health", "agent_rise",
      "agent_fall", "agent_health", "addr", "cookie", "mode", "algo", "conn_rate", "conn_rate_max", "conn_tot",
      "intercepted", "dcon", "dses", "wrew", "connect", "reuse", "cache_lookups", "cache_hits", "srv_icur",
      "src_ilim", "qtime_max", "ctime_max", "rtime_max", "ttime_max", "eint", "idle_conn_cur", "safe_conn_cur",
      "used_conn_cur", "need_conn_est", "uweight", "agg_server_check_status"};
  ASSERT_EQ(expected.size(), 101u);
  const auto& columns = stat_csv_columns();
  ASSERT_EQ(columns.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(columns[i], expected[i]) << "column " << i;

  std::string header = "# ";
  for (const auto& c : expected) header += c + ",";
  header += "-,\n";
  EXPECT_EQ(stat_csv_header(), header);
  // Spot checks by position, as scripts that cut by field number read them.
  EXPECT_EQ(columns[4], "scur");
  EXPECT_EQ(columns[17], "status");
  EXPECT_EQ(columns[32], "type");
  EXPECT_EQ(columns[44], "hrsp_other");
  EXPECT_EQ(columns[48], "req_tot");
  EXPECT_EQ(columns[73], "addr");
}

}  // namespace
}  // namespace dplb::controlplane
