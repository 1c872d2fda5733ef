#pragma once

// The columns of HAProxy 2.6's `show stat` CSV, its static fields
// (management guide, section 9.1) in their order, and a row filled by
// column. The names and the indexes come from one list, so they cannot
// drift apart; the order is HAProxy's and must not change.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/proxy/proxy_counters.h"

#define DPLB_STAT_CSV_COLUMNS(X)                                                                                     \
  X(pxname) X(svname) X(qcur) X(qmax) X(scur) X(smax) X(slim) X(stot) X(bin) X(bout) X(dreq) X(dresp) X(ereq)        \
  X(econ) X(eresp) X(wretr) X(wredis) X(status) X(weight) X(act) X(bck) X(chkfail) X(chkdown) X(lastchg)             \
  X(downtime) X(qlimit) X(pid) X(iid) X(sid) X(throttle) X(lbtot) X(tracked) X(type) X(rate) X(rate_lim)             \
  X(rate_max) X(check_status) X(check_code) X(check_duration) X(hrsp_1xx) X(hrsp_2xx) X(hrsp_3xx) X(hrsp_4xx)        \
  X(hrsp_5xx) X(hrsp_other) X(hanafail) X(req_rate) X(req_rate_max) X(req_tot) X(cli_abrt) X(srv_abrt) X(comp_in)    \
  X(comp_out) X(comp_byp) X(comp_rsp) X(lastsess) X(last_chk) X(last_agt) X(qtime) X(ctime) X(rtime) X(ttime)        \
  X(agent_status) X(agent_code) X(agent_duration) X(check_desc) X(agent_desc) X(check_rise) X(check_fall)            \
  X(check_health) X(agent_rise) X(agent_fall) X(agent_health) X(addr) X(cookie) X(mode) X(algo) X(conn_rate)         \
  X(conn_rate_max) X(conn_tot) X(intercepted) X(dcon) X(dses) X(wrew) X(connect) X(reuse) X(cache_lookups)           \
  X(cache_hits) X(srv_icur) X(src_ilim) X(qtime_max) X(ctime_max) X(rtime_max) X(ttime_max) X(eint)                  \
  X(idle_conn_cur) X(safe_conn_cur) X(used_conn_cur) X(need_conn_est) X(uweight) X(agg_server_check_status)

namespace dplb::controlplane {

#define DPLB_STAT_CSV_ENUMERATOR(name) name,
enum class StatCsvColumn : std::size_t { DPLB_STAT_CSV_COLUMNS(DPLB_STAT_CSV_ENUMERATOR) count };
#undef DPLB_STAT_CSV_ENUMERATOR

inline constexpr std::size_t kStatCsvColumnCount = static_cast<std::size_t>(StatCsvColumn::count);

// The static fields in their order; the column after them is the "-" that
// ends the static fields.
const std::vector<std::string_view>& stat_csv_columns();
// "# pxname,svname,...,agg_server_check_status,-," and a newline.
std::string stat_csv_header();

// RFC 4180 quoting, as HAProxy's csv_enc does, for names that would break a field.
std::string csv_field(std::string_view text);

// One line of the CSV; columns never set stay empty, as HAProxy leaves
// the fields that do not apply to a row.
class StatCsvRow {
 public:
  StatCsvRow() : fields_(kStatCsvColumnCount) {}
  void set(StatCsvColumn c, std::string value) { fields_[static_cast<std::size_t>(c)] = std::move(value); }
  void set(StatCsvColumn c, uint64_t value) { set(c, std::to_string(value)); }
  // hrsp_1xx .. hrsp_other.
  void set_responses(const std::array<uint64_t, dataplane::kStatusClasses>& responses);
  void append_to(std::string& out) const;

 private:
  std::vector<std::string> fields_;
};

}  // namespace dplb::controlplane
