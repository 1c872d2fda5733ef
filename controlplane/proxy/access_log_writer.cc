#include "controlplane/proxy/access_log_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "conf/ipv4_address.h"
#include "controlplane/logger.h"
#include "controlplane/worker_clock.h"
#include "dataplane/tls/tls_failure.h"

namespace dplb::controlplane {

namespace {

// English month names whatever the locale: log parsers expect these.
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::tm local_time(int64_t wall_us) {
  const std::time_t seconds = static_cast<std::time_t>(wall_us / 1'000'000 - (wall_us % 1'000'000 < 0 ? 1 : 0));
  std::tm tm{};
  localtime_r(&seconds, &tm);
  return tm;
}

int millis_of(int64_t wall_us) {
  int64_t r = wall_us % 1'000'000;
  if (r < 0) r += 1'000'000;
  return static_cast<int>(r / 1000);
}

void append_number(std::string& out, int64_t v) {
  char text[24];
  const int n = std::snprintf(text, sizeof(text), "%lld", static_cast<long long>(v));
  out.append(text, static_cast<std::size_t>(n));
}

constexpr int64_t kErrorLogIntervalUs = 10'000'000;

}  // namespace

void append_escaped_request(std::string& out, std::string_view request) {
  if (request.empty()) {
    out += "<BADREQ>";
    return;
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : request) {
    const auto u = static_cast<unsigned char>(c);
    // As HAProxy's %{+Q}r: '#' starts an escape, so it and a quote (which
    // would end the field) are written as #XX, like controls and non-ASCII.
    if (u < 0x20 || u >= 0x7f || c == '#' || c == '"') {
      out += '#';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
}

namespace {

// A NUL-padded field of the record, or "-" when empty.
std::string_view padded(const char* field, std::size_t room) {
  const std::size_t n = strnlen(field, room);
  return n == 0 ? std::string_view("-") : std::string_view(field, n);
}

void append_tls_fields(std::string& out, const dataplane::AccessLogRecord& r) {
  // dplb logs failed handshakes apart (not as requests), so the error
  // fields of a logged request are always 0.
  out += r.tls_resumed ? " 0/0/0/0/1 " : " 0/0/0/0/0 ";
  if (!r.tls) {
    out += "-/-/-";
    return;
  }
  out += padded(r.tls_sni, sizeof(r.tls_sni));
  out += '/';
  out += padded(r.tls_version, sizeof(r.tls_version));
  out += '/';
  out += padded(r.tls_cipher, sizeof(r.tls_cipher));
}

// "CLIENT:PORT [DD/Mon/YYYY:HH:MM:SS.mmm] ", which every line starts with.
void append_client_and_date(std::string& out, const dataplane::AccessLogRecord& r, int64_t accept_wall_us) {
  const std::tm tm = local_time(accept_wall_us);
  char text[96];
  int n = std::snprintf(text, sizeof(text), "%s:%u [%02d/%s/%04d:%02d:%02d:%02d.%03d] ",
                        conf::Ipv4Address{r.client_address}.to_string().c_str(), r.client_port, tm.tm_mday,
                        kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
                        millis_of(accept_wall_us));
  out.append(text, static_cast<std::size_t>(n));
}

void append_handshake_failure(std::string& out, const dataplane::AccessLogRecord& r, int64_t accept_wall_us,
                              const HttplogNames& names) {
  append_client_and_date(out, r, accept_wall_us);
  out += names.frontend;
  char text[32];
  const int n = std::snprintf(text, sizeof(text), "/:%u: ", r.local_port);
  out.append(text, static_cast<std::size_t>(n));
  const auto why = static_cast<dataplane::TlsFailure>(r.tls_failure);
  out += why == dataplane::TlsFailure::peer_closed ? "Connection closed during SSL handshake"
         : why == dataplane::TlsFailure::handshake_timeout ? "Timeout during SSL handshake"
                                                            : "SSL handshake failure";
  out += " (";
  out += dataplane::tls_failure_name(why);
  const std::string_view sni(r.tls_sni, strnlen(r.tls_sni, sizeof(r.tls_sni)));
  if (!sni.empty()) {
    out += ", SNI ";
    for (char c : sni) out += (c > 0x20 && c < 0x7f) ? c : '?';
  }
  out += ")\n";
}

}  // namespace

void append_httplog(std::string& out, const dataplane::AccessLogRecord& r, int64_t accept_wall_us,
                    const HttplogNames& names) {
  if (r.tls_failure != 0) {
    append_handshake_failure(out, r, accept_wall_us, names);
    return;
  }
  append_client_and_date(out, r, accept_wall_us);
  char text[96];
  int n = 0;
  out += names.frontend;
  if (r.tls) out += '~';
  out += ' ';
  // As HAProxy: a request that never reached a backend is shown against
  // its frontend, and one that got no server as <NOSRV>.
  out += names.backend.empty() ? names.frontend : names.backend;
  out += '/';
  out += names.server.empty() ? std::string_view("<NOSRV>") : names.server;
  out += ' ';
  n = std::snprintf(text, sizeof(text), "%d/%d/%d/%d/%d ", r.t_request, r.t_queue, r.t_connect, r.t_response,
                    r.t_active);
  out.append(text, static_cast<std::size_t>(n));
  append_number(out, r.status == 0 ? -1 : int64_t{r.status});
  out += ' ';
  append_number(out, static_cast<int64_t>(r.bytes_read));
  // No cookie captures, and the cookie half of the termination state is unknown.
  out += " - - ";
  out += r.termination[0];
  out += r.termination[1];
  out += "-- ";
  n = std::snprintf(text, sizeof(text), "%u/%u/%u/%u/%s%u %u/%u \"", r.active_connections, r.frontend_connections,
                    r.backend_connections, r.server_connections, r.redispatched ? "+" : "", r.retries, r.server_queue,
                    r.backend_queue);
  out.append(text, static_cast<std::size_t>(n));
  const std::size_t length = std::min<std::size_t>(r.request_length, sizeof(r.request));
  append_escaped_request(out, std::string_view(r.request, length));
  out += '"';
  if (names.httpslog) append_tls_fields(out, r);
  out += '\n';
}

std::string syslog_header(int64_t wall_us, std::string_view host, int pid) {
  const std::tm tm = local_time(wall_us);
  char text[64];
  std::snprintf(text, sizeof(text), "%s %2d %02d:%02d:%02d ", kMonths[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  std::string out = text;
  out += host;
  out += " dplb[" + std::to_string(pid) + "]: ";
  return out;
}

HttplogNames httplog_names(const dataplane::ProxySnapshot& s, const dataplane::AccessLogRecord& r) {
  HttplogNames names;
  names.frontend = r.frontend < s.frontends.size() ? std::string_view(s.frontends[r.frontend].name) : "?";
  names.httpslog = r.frontend < s.frontends.size() && s.frontends[r.frontend].httpslog;
  if (r.backend != dataplane::kNoIndex) {
    if (r.backend < s.backends.size()) {
      const auto& b = s.backends[r.backend];
      names.backend = b.name;
      if (r.server != dataplane::kNoIndex) {
        names.server = r.server < b.servers.size() ? std::string_view(b.servers[r.server].name) : "?";
      }
    } else {
      names.backend = "?";
    }
  }
  return names;
}

AccessLogWriter::AccessLogWriter(const conf::Config& config, dataplane::WorkerPool& workers)
    : config_(config), workers_(workers), batch_(kBatch) {
  const std::string& dest = config.log.access_log;
  target_ = dest.empty() ? Target::none : dest == "stdout" ? Target::standard_output : Target::file;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "localhost");
  host_ = host;
  // rsyslog writes the short name unless told to keep the domain.
  if (const auto dot = host_.find('.'); dot != std::string::npos && dot > 0) host_.resize(dot);
  pid_ = static_cast<int>(getpid());
}

AccessLogWriter::~AccessLogWriter() {
  flush();
  if (target_ == Target::file && fd_ >= 0) ::close(fd_);
}

std::string AccessLogWriter::open() {
  tzset();  // local time for the dates: the zone is read once here, not per line
  switch (target_) {
    case Target::none: return "";
    case Target::standard_output:
      fd_ = STDOUT_FILENO;
      return "";
    case Target::file: break;
  }
  const std::string& path = config_.log.access_log;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return "cannot open the access log " + path + ": " + std::strerror(errno);
  fd_ = fd;
  return "";
}

std::string AccessLogWriter::reopen() {
  if (target_ == Target::none) return "no access log is written (log.access_log is \"\")";
  if (target_ == Target::standard_output) return "the access log goes to standard output; there is no file to reopen";
  const std::string& path = config_.log.access_log;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    // The old file stays in use, so no line is lost while the cause is fixed.
    return "cannot reopen the access log " + path + ": " + std::strerror(errno) + "; still writing to the old file";
  }
  flush();  // what was formatted for the old file ends there
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  ++reopens_;
  log_info("access log reopened: " + path);
  return "";
}

uint64_t AccessLogWriter::records_lost() const {
  uint64_t lost = 0;
  for (std::size_t w = 0; w < workers_.size(); ++w) lost += workers_.proxy_counters(w).log_records_lost.get();
  return lost;
}

void AccessLogWriter::tick(const dataplane::ProxySnapshot& names) {
  if (target_ == Target::none || fd_ < 0) return;
  const int64_t offset = worker_to_wall_offset_us();
  std::string header;
  if (target_ == Target::file) header = syslog_header(wall_clock_us(), host_, pid_);
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    // At most one ring's worth per worker per tick, so a flood of requests
    // cannot hold the control loop; the rest waits for the next tick.
    unsigned budget = dataplane::AccessLogRing::kRecords;
    while (budget > 0) {
      const unsigned n = workers_.access_log(w).take(batch_.data(), std::min(budget, kBatch));
      if (n == 0) break;
      budget -= n;
      for (unsigned i = 0; i < n; ++i) {
        const auto& r = batch_[i];
        buffer_ += header;
        append_httplog(buffer_, r, static_cast<int64_t>(r.accept_us) + offset, httplog_names(names, r));
        ++buffered_lines_;
      }
    }
  }
  flush();
}

void AccessLogWriter::flush() {
  if (buffer_.empty() || fd_ < 0) return;
  std::size_t done = 0;
  int error = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      error = n < 0 ? errno : EIO;
      break;
    }
  }
  if (done == buffer_.size()) {
    lines_written_ += buffered_lines_;
  } else {
    // Lines cut by the failure count as lost; the next tick starts afresh
    // rather than holding an ever-growing backlog for a full disk.
    std::size_t unwritten = 0;
    for (std::size_t i = done; i < buffer_.size(); ++i) unwritten += buffer_[i] == '\n';
    lines_written_ += buffered_lines_ - unwritten;
    lines_lost_ += unwritten;
    last_error_ = std::strerror(error);
    const int64_t now = wall_clock_us();
    if (now - last_error_log_us_ >= kErrorLogIntervalUs) {
      last_error_log_us_ = now;
      log_warning("access log: write failed (" + last_error_ + "); " + std::to_string(unwritten) +
                  " line(s) lost, see show log");
    }
  }
  buffer_.clear();
  buffered_lines_ = 0;
}

std::string AccessLogWriter::show() const {
  std::string dest = target_ == Target::none ? "none" : config_.log.access_log;
  std::string out = "access-log " + dest;
  if (target_ == Target::none) return out + "\n";
  out += "  lines " + std::to_string(lines_written_) + "  lines-lost " + std::to_string(lines_lost_) +
         "  records-lost " + std::to_string(records_lost()) + "  reopened " + std::to_string(reopens_) + "\n";
  if (!last_error_.empty()) out += "last-write-error " + last_error_ + "\n";
  return out;
}

void AccessLogWriter::register_commands(CommandRegistry& registry) {
  registry.add({{"show", "log"}, "", "the access log's destination, lines written and lines lost", 0, 0,
                [this](const CommandArgs&, CommandReply& r) { r.text += show(); }});
  registry.add({{"log", "reopen"}, "", "reopen the access log file under its name (after logrotate moved it)", 0, 0,
                [this](const CommandArgs&, CommandReply& r) {
                  if (std::string e = reopen(); !e.empty()) return r.fail(e);
                  r.line("reopened " + config_.log.access_log);
                }});
}

}  // namespace dplb::controlplane
