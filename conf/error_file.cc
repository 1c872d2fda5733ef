#include "conf/error_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "conf/proxy_values.h"

namespace dplb::conf {
namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The printable form of a header value in a message, cut short so a binary
// file does not flood the terminal.
std::string shown(std::string_view value) {
  std::string out;
  for (char c : value.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return value.size() > 40 ? out + "..." : out;
}

}  // namespace

bool is_error_file_status(int64_t status) {
  return std::find(kErrorFileStatuses.begin(), kErrorFileStatuses.end(), status) != kErrorFileStatuses.end();
}

std::string error_file_statuses_text() {
  std::string out;
  for (uint16_t s : kErrorFileStatuses) out += (out.empty() ? "" : ", ") + std::to_string(s);
  return out;
}

std::string check_error_response(std::string_view response) {
  if (response.empty()) return "is empty";
  const bool versioned = response.substr(0, 9) == "HTTP/1.1 " || response.substr(0, 9) == "HTTP/1.0 ";
  if (!versioned || response.size() < 12 || !is_digit(response[9]) || !is_digit(response[10]) ||
      !is_digit(response[11]) ||
      (response.size() > 12 && response[12] != ' ' && response[12] != '\r' && response[12] != '\n')) {
    return "does not start with a status line such as \"HTTP/1.1 503 Service Unavailable\"";
  }
  const int status = (response[9] - '0') * 100 + (response[10] - '0') * 10 + (response[11] - '0');
  if (status < 200 || status > 599) {
    return "has status " + std::to_string(status) + "; an error page must be a final response, 200..599";
  }

  // The head ends at the first empty line, whichever line ending it uses.
  const std::size_t crlf = response.find("\r\n\r\n");
  const std::size_t lf = response.find("\n\n");
  if (crlf == std::string_view::npos && lf == std::string_view::npos) {
    return "has no empty line ending its headers (CRLF CRLF or LF LF); the response is incomplete";
  }
  const bool lf_first = lf != std::string_view::npos && (crlf == std::string_view::npos || lf < crlf);
  const std::size_t head_end = lf_first ? lf + 1 : crlf + 2;
  const std::size_t body_start = lf_first ? lf + 2 : crlf + 4;
  const std::size_t body_size = response.size() - body_start;

  std::string_view head = response.substr(0, head_end);
  head.remove_prefix(std::min(head.size(), head.find('\n') + 1));  // the status line
  std::optional<std::string_view> content_length;
  while (!head.empty()) {
    const std::size_t eol = head.find('\n');
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 1);
    const std::size_t colon = line.find(':');
    const std::string_view name = line.substr(0, colon == std::string_view::npos ? 0 : colon);
    if (!is_http_token(name)) return "has a malformed header line: \"" + shown(trim(line)) + "\"";
    const std::string_view value = trim(line.substr(colon + 1));
    if (equals_ignoring_case(name, "transfer-encoding")) {
      // Sent verbatim, a chunked body would be trusted without being checked.
      return "has a Transfer-Encoding header; give the body a Content-Length instead";
    }
    if (!equals_ignoring_case(name, "content-length")) continue;
    if (content_length) return "has more than one Content-Length header";
    content_length = value;
  }
  if (content_length) {
    const std::string_view v = *content_length;
    if (v.empty() || v.size() > 18 || !std::all_of(v.begin(), v.end(), is_digit)) {
      return "has an invalid Content-Length \"" + shown(v) + "\"";
    }
    uint64_t declared = 0;
    for (char c : v) declared = declared * 10 + static_cast<uint64_t>(c - '0');
    if (declared != body_size) {
      return "has Content-Length " + std::to_string(declared) + " but a body of " + std::to_string(body_size) +
             " bytes";
    }
  }
  return "";
}

std::string load_error_file(const std::string& path, std::string& contents) {
  const std::string quoted = "'" + path + "'";
  // O_NONBLOCK: a FIFO put at the path must not hang the loader in open().
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return "cannot open " + quoted + ": " + std::strerror(errno);
  struct stat st {};
  std::string problem;
  if (::fstat(fd, &st) != 0) {
    problem = "cannot read " + quoted + ": " + std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    problem = quoted + " is not a regular file";
  } else if (static_cast<uint64_t>(st.st_size) > kMaxErrorFileBytes) {
    problem = quoted + " is " + std::to_string(st.st_size) + " bytes; an errorfile holds at most " +
              std::to_string(kMaxErrorFileBytes);
  } else {
    // Reads one byte past the limit, so a file that grew since fstat is still caught.
    std::string buffer(kMaxErrorFileBytes + 1, '\0');
    std::size_t used = 0;
    while (used < buffer.size()) {
      const ssize_t n = ::read(fd, buffer.data() + used, buffer.size() - used);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        problem = "cannot read " + quoted + ": " + std::strerror(errno);
        break;
      }
      if (n == 0) break;
      used += static_cast<std::size_t>(n);
    }
    if (problem.empty() && used > kMaxErrorFileBytes) {
      problem = quoted + " is over " + std::to_string(kMaxErrorFileBytes) + " bytes, the most an errorfile holds";
    }
    if (problem.empty()) {
      buffer.resize(used);
      const std::string why = check_error_response(buffer);
      if (why.empty()) {
        contents = std::move(buffer);
      } else {
        problem = quoted + " " + why;
      }
    }
  }
  ::close(fd);
  return problem;
}

}  // namespace dplb::conf
