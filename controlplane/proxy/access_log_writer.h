#pragma once

// The access log: every control-loop tick, each worker's AccessLogRing is
// drained and its records are formatted as HAProxy `option httplog` lines,
// then written with one write() per tick. Workers only copy fixed-size
// records; all formatting and I/O happen here, on the control thread.
//
// Destinations (log.access_log): "" writes nothing (workers do not even
// record), "stdout" writes the bare lines (as HAProxy's `log stdout format
// raw`), an absolute path appends to that file with a syslog-style header on
// each line (what rsyslog writes for HAProxy, so halog and friends read it).
// `log reopen` reopens the file after logrotate moved it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.h"
#include "controlplane/console/command_registry.h"
#include "dataplane/proxy/access_log_record.h"
#include "dataplane/proxy/proxy_snapshot.h"
#include "dataplane/worker/worker_pool.h"

namespace dplb::controlplane {

// The names a record's indexes stand for. An empty backend means the
// request never reached one (HAProxy then shows the frontend's name); an
// empty server means none was chosen (`<NOSRV>`).
struct HttplogNames {
  std::string_view frontend;
  std::string_view backend;
  std::string_view server;
  bool httpslog = false;  // the frontend logs in HAProxy's `option httpslog` format
};

// Appends one httplog line and its newline:
//   CLIENT:PORT [DD/Mon/YYYY:HH:MM:SS.mmm] FRONTEND BACKEND/SERVER TR/Tw/Tc/Tr/Ta
//   STATUS BYTES - - TTCC ACT/FE/BE/SRV/RETRIES SRVQ/BACKQ "REQUEST"
// FRONTEND gets HAProxy's "~" when the request came over TLS (%ft); httpslog
// adds " 0/0/0/0/RESUMED SNI/VERSION/CIPHER" after the request, as HAProxy's
// %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed]
// %[ssl_fc_sni]/%sslv/%sslc ("-" for a plain request).
// `accept_wall_us` is the record's accept date in microseconds since the
// epoch; it is printed in local time, as HAProxy does.
// A record of a failed TLS handshake is a connection error line instead, as
// HAProxy logs them:
//   CLIENT:PORT [DATE] FRONTEND/:BINDPORT: SSL handshake failure (REASON[, SNI NAME])
// ("Timeout during SSL handshake", "Connection closed during SSL handshake").
void append_httplog(std::string& out, const dataplane::AccessLogRecord& record, int64_t accept_wall_us,
                    const HttplogNames& names);

// The request line as %{+Q}r prints it, without the quotes: `"` and `\` get a
// backslash, control characters, bytes from 0x7f up and `#` become #XX; an
// empty request is <BADREQ>.
void append_escaped_request(std::string& out, std::string_view request);

// "Feb  6 12:14:14 HOST dplb[PID]: " (RFC 3164 timestamp in local time, day
// padded with a space), the prefix of every line written to a file.
std::string syslog_header(int64_t wall_us, std::string_view host, int pid);

// The names for `record` from `snapshot` (indexes out of range become "?").
HttplogNames httplog_names(const dataplane::ProxySnapshot& snapshot, const dataplane::AccessLogRecord& record);

class AccessLogWriter {
 public:
  static constexpr unsigned kBatch = 64;

  AccessLogWriter(const conf::Config& config, dataplane::WorkerPool& workers);
  ~AccessLogWriter();  // writes what is buffered
  AccessLogWriter(const AccessLogWriter&) = delete;
  AccessLogWriter& operator=(const AccessLogWriter&) = delete;

  // At boot: opens the destination. Returns "" or an error naming the path.
  std::string open();
  void register_commands(CommandRegistry& registry);
  // Drains every worker's ring and writes the lines; `names` resolves indexes.
  void tick(const dataplane::ProxySnapshot& names);
  // Opens the file again under its name (after logrotate); "" or why not.
  std::string reopen();

  bool enabled() const { return target_ != Target::none; }
  uint64_t lines_written() const { return lines_written_; }
  uint64_t lines_lost() const { return lines_lost_; }
  uint64_t records_lost() const;  // by the workers: their ring was full

 private:
  enum class Target : uint8_t { none, standard_output, file };

  void flush();
  std::string show() const;

  const conf::Config& config_;
  dataplane::WorkerPool& workers_;
  Target target_ = Target::none;
  int fd_ = -1;
  std::string host_;
  int pid_ = 0;
  std::string buffer_;
  std::size_t buffered_lines_ = 0;
  std::vector<dataplane::AccessLogRecord> batch_;
  uint64_t lines_written_ = 0;
  uint64_t lines_lost_ = 0;  // formatted, then not written (write error)
  uint64_t reopens_ = 0;
  int64_t last_error_log_us_ = 0;
  std::string last_error_;
};

}  // namespace dplb::controlplane
