#include "conf/proxy_values.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "conf/did_you_mean.h"

namespace dplb::conf {
namespace {

bool is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

struct PlainAlgorithm {
  const char* name;
  BalanceAlgorithm algorithm;
};

constexpr std::array<PlainAlgorithm, 7> kPlain{{
    {"roundrobin", BalanceAlgorithm::roundrobin},
    {"static-rr", BalanceAlgorithm::static_rr},
    {"leastconn", BalanceAlgorithm::leastconn},
    {"first", BalanceAlgorithm::first},
    {"random", BalanceAlgorithm::random},
    {"source", BalanceAlgorithm::source},
    {"uri", BalanceAlgorithm::uri},
}};

constexpr uint32_t kMaxRandomDraws = 100;

const char* kBalanceChoices = "roundrobin, static-rr, leastconn, first, random, random(N), source, uri, hdr(NAME)";

std::string not_an_algorithm(std::string_view text, std::string_view name, std::string_view argument,
                             bool with_argument) {
  std::vector<std::string> names{"hdr"};
  for (const auto& p : kPlain) names.emplace_back(p.name);
  std::string why = "'" + std::string(text) + "' is not a balance algorithm; expected one of " + kBalanceChoices;
  // "header" is too far from "hdr" for the edit distance, but it is what
  // people who do not remember HAProxy's abbreviation write.
  auto matches = name == "header" ? std::vector<std::string>{"hdr"} : close_matches(name, names, 1);
  if (matches.empty()) return why;
  std::string suggestion = matches.front();
  if (with_argument && (suggestion == "hdr" || suggestion == "random")) {
    suggestion += "(" + std::string(argument) + ")";
  }
  return why + "; did you mean '" + suggestion + "'?";
}

}  // namespace

bool is_http_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_tchar);
}

std::optional<Endpoint> parse_endpoint(std::string_view text, bool wildcard, std::string* error) {
  const std::string quoted = "'" + std::string(text) + "'";
  const std::string example = wildcard ? "like 10.99.1.10:80 or *:80" : "like 10.99.2.11:80";
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    *error = quoted + " has no port; write ADDRESS:PORT, " + example;
    return std::nullopt;
  }
  const std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  Endpoint out;
  if (host == "*") {
    if (!wildcard) {
      *error = quoted + " has no address; a server needs one, " + example;
      return std::nullopt;
    }
  } else if (auto address = parse_ipv4(host)) {
    out.address = *address;
  } else {
    *error = quoted + " is not an IPv4 address and port, " + example;
    return std::nullopt;
  }
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    *error = quoted + " is not an IPv4 address and port, " + example;
    return std::nullopt;
  }
  uint32_t port = 0;
  for (char c : port_text) port = port * 10 + static_cast<uint32_t>(c - '0');
  if (port < 1 || port > 65535) {
    *error = quoted + ": port " + std::to_string(port) + " is out of range 1..65535";
    return std::nullopt;
  }
  out.port = static_cast<uint16_t>(port);
  return out;
}

std::string format_endpoint(const Endpoint& e) {
  return (e.address.value == 0 ? std::string("*") : e.address.to_string()) + ":" + std::to_string(e.port);
}

std::string parse_balance(std::string_view text, BackendConfig& out) {
  const std::size_t open = text.find('(');
  if (open == std::string_view::npos) {
    for (const auto& p : kPlain) {
      if (text != p.name) continue;
      out.balance = p.algorithm;
      out.random_draws = 2;  // HAProxy's `random` alone: the power of two choices
      out.hash_header.clear();
      return "";
    }
    if (text == "hdr") return "hdr needs a header name in parentheses, like hdr(Host)";
    return not_an_algorithm(text, text, "", false);
  }
  const std::string_view name = text.substr(0, open);
  if (text.back() != ')') return "'" + std::string(text) + "' lacks its closing parenthesis";
  const std::string_view argument = text.substr(open + 1, text.size() - open - 2);
  if (name == "random") {
    uint32_t draws = 0;
    bool number = !argument.empty() && argument.size() <= 3;
    for (char c : argument) {
      if (c < '0' || c > '9') number = false;
      if (number) draws = draws * 10 + static_cast<uint32_t>(c - '0');
    }
    if (!number || draws < 1 || draws > kMaxRandomDraws) {
      return "random(N) takes a number of draws from 1 to " + std::to_string(kMaxRandomDraws) + ", not '" +
             std::string(argument) + "'";
    }
    out.balance = BalanceAlgorithm::random;
    out.random_draws = draws;
    out.hash_header.clear();
    return "";
  }
  if (name == "hdr") {
    if (argument.empty()) return "hdr() needs a header name, like hdr(Host)";
    if (!is_http_token(argument)) {
      return "'" + std::string(argument) + "' is not a header name (letters, digits and !#$%&'*+-.^_`|~ only)";
    }
    out.balance = BalanceAlgorithm::hdr;
    out.random_draws = 2;
    out.hash_header = std::string(argument);
    return "";
  }
  for (const auto& p : kPlain) {
    if (name == p.name) return "'" + std::string(name) + "' takes no argument";
  }
  return not_an_algorithm(text, name, argument, true);
}

std::string format_balance(const BackendConfig& backend) {
  switch (backend.balance) {
    case BalanceAlgorithm::random: return "random(" + std::to_string(backend.random_draws) + ")";
    case BalanceAlgorithm::hdr: return "hdr(" + backend.hash_header + ")";
    default: break;
  }
  for (const auto& p : kPlain) {
    if (p.algorithm == backend.balance) return p.name;
  }
  return "roundrobin";
}

const char* hash_type_name(HashType type) { return type == HashType::consistent ? "consistent" : "map-based"; }

const char* http_reuse_name(HttpReuse reuse) {
  switch (reuse) {
    case HttpReuse::never: return "never";
    case HttpReuse::always: return "always";
    case HttpReuse::safe: break;
  }
  return "safe";
}

const char* health_check_type_name(HealthCheckType type) { return type == HealthCheckType::http ? "http" : "tcp"; }

const char* observe_mode_name(ObserveMode mode) {
  switch (mode) {
    case ObserveMode::layer4: return "layer4";
    case ObserveMode::layer7: return "layer7";
    case ObserveMode::none: break;
  }
  return "none";
}

const char* on_error_name(OnError action) {
  switch (action) {
    case OnError::fastinter: return "fastinter";
    case OnError::sudden_death: return "sudden-death";
    case OnError::mark_down: return "mark-down";
    case OnError::fail_check: break;
  }
  return "fail-check";
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string hex_byte(unsigned char c) {
  const char* digits = "0123456789ABCDEF";
  return std::string("0x") + digits[c >> 4] + digits[c & 15];
}

// `text` in quotes, with the bytes that would break a one-line message shown
// as \xNN.
std::string quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      out += "\\x" + hex_byte(u).substr(2);
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string percent_encoded(unsigned char c) { return "%" + hex_byte(c).substr(2); }

bool is_url(std::string_view text) { return text.find("://") != std::string_view::npos; }

// Digits only, 1 to 5 of them: the value, else nullopt.
std::optional<uint32_t> small_number(std::string_view text) {
  if (text.empty() || text.size() > 5 || !std::all_of(text.begin(), text.end(), is_digit)) return std::nullopt;
  uint32_t value = 0;
  for (char c : text) value = value * 10 + static_cast<uint32_t>(c - '0');
  return value;
}

std::string check_host_port(std::string_view whole, std::string_view port) {
  if (port.empty()) return quote(whole) + " has no port after ':'";
  const auto value = small_number(port);
  if (!value) return quote(whole) + ": '" + std::string(port) + "' is not a port number";
  if (*value < 1 || *value > 65535) {
    return quote(whole) + ": port " + std::to_string(*value) + " is out of range 1..65535";
  }
  return "";
}

std::string check_host_name(std::string_view whole, std::string_view name) {
  if (name.empty()) return quote(whole) + " has no host name before the port";
  // A single trailing dot is the fully qualified form of the same name.
  if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
  bool numeric = true;
  std::size_t begin = 0;
  while (begin <= name.size()) {
    std::size_t end = name.find('.', begin);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view label = name.substr(begin, end - begin);
    if (label.empty()) return quote(whole) + " has an empty label (two dots in a row, or a dot at the start)";
    if (label.size() > 63) return quote(whole) + " has a label longer than 63 characters";
    for (char c : label) {
      const bool ok = is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
      if (!ok) {
        const auto u = static_cast<unsigned char>(c);
        const std::string shown = u < 0x20 || u >= 0x7f ? "the byte " + hex_byte(u) : "'" + std::string(1, c) + "'";
        return quote(whole) + " contains " + shown + "; a host name holds letters, digits, '-', '_' and '.'";
      }
      if (!is_digit(c)) numeric = false;
    }
    if (label.front() == '-' || label.back() == '-') return quote(whole) + " has a label that starts or ends with '-'";
    begin = end + 1;
  }
  if (numeric && !parse_ipv4(name)) return quote(whole) + " is not a valid IPv4 address";
  return "";
}

}  // namespace

std::string check_http_method(std::string_view text) {
  if (text.empty()) return "the method must not be empty, like \"GET\"";
  if (text.size() > kMaxCheckMethodBytes) {
    return "the method is " + std::to_string(text.size()) + " characters; it holds at most " +
           std::to_string(kMaxCheckMethodBytes);
  }
  if (!is_http_token(text)) {
    return quote(text) + " is not an HTTP method (letters, digits and !#$%&'*+-.^_`|~ only)";
  }
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  // Methods are case-sensitive: "get" is a method no server implements, and
  // only a slip of the shift key writes it.
  static const std::array<const char*, 9> known = {"GET",    "HEAD",  "POST",  "PUT",    "DELETE",
                                                   "OPTIONS", "TRACE", "PATCH", "CONNECT"};
  const bool is_known =
      std::find_if(known.begin(), known.end(), [&](const char* k) { return upper == k; }) != known.end();
  if (is_known && upper != text) {
    return quote(text) + " is not a method servers know (methods are case-sensitive); did you mean '" + upper + "'?";
  }
  if (text == "CONNECT") return "CONNECT asks for a tunnel to HOST:PORT and takes no path; a check cannot use it";
  return "";
}

std::string check_http_path(std::string_view text) {
  if (text.empty()) return "the path must not be empty; write \"/\" for the root";
  if (text.size() > kMaxCheckPathBytes) {
    return "the path is " + std::to_string(text.size()) + " bytes; it holds at most " +
           std::to_string(kMaxCheckPathBytes);
  }
  if (is_url(text)) return quote(text) + " is a URL; write only its path, like \"/health\" (and the name in host)";
  if (text.front() != '/') return quote(text) + " must start with '/', like \"/health\"";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (c == ' ') return quote(text) + " contains a space; write it as %20";
    if (u < 0x20 || u == 0x7f) return quote(text) + " contains the control character " + hex_byte(u);
    if (u >= 0x80) {
      return quote(text) + " contains the non-ASCII byte " + hex_byte(u) + "; write it as " + percent_encoded(u);
    }
    if (c == '#') return quote(text) + " contains '#': a fragment is never sent to a server";
    if (std::strchr("\"<>\\^`{|}", c) != nullptr) {
      return quote(text) + " contains '" + std::string(1, c) + "', which a request target may not hold; write it as " +
             percent_encoded(u);
    }
    if (c == '%' && (i + 2 >= text.size() || !is_hex(text[i + 1]) || !is_hex(text[i + 2]))) {
      return quote(text) + " has a '%' that is not followed by two hex digits; write a literal '%' as %25";
    }
  }
  return "";
}

std::string check_http_host(std::string_view text) {
  if (text.size() > kMaxCheckHostBytes) {
    return "the host is " + std::to_string(text.size()) + " bytes; it holds at most " +
           std::to_string(kMaxCheckHostBytes);
  }
  if (is_url(text)) return quote(text) + " is a URL; write only the host (and port), like example.com";
  if (text.find('/') != std::string_view::npos) {
    return quote(text) + " contains '/'; write only the host (and port) here, and the path in path";
  }
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return quote(text) + " lacks the ']' that closes an IPv6 address";
    const std::string_view literal = text.substr(1, close - 1);
    const bool ok = literal.find(':') != std::string_view::npos &&
                    std::all_of(literal.begin(), literal.end(),
                                [](char c) { return is_hex(c) || c == ':' || c == '.'; });
    if (!ok) return quote(text) + " is not an IPv6 address in brackets, like [2001:db8::1]";
    const std::string_view rest = text.substr(close + 1);
    if (rest.empty()) return "";
    if (rest.front() != ':') return quote(text) + " has something other than ':PORT' after ']'";
    return check_host_port(text, rest.substr(1));
  }
  const std::size_t colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
    return quote(text) + " has more than one ':'; write an IPv6 address in brackets, like [2001:db8::1]:8080";
  }
  if (colon == std::string_view::npos) return check_host_name(text, text);
  std::string problem = check_host_name(text, text.substr(0, colon));
  if (problem.empty()) problem = check_host_port(text, text.substr(colon + 1));
  return problem;
}

std::string parse_status_range(std::string_view text, StatusRange& out) {
  const std::string example = "like \"200\" or \"200-399\"";
  const std::size_t dash = text.find('-');
  const std::string_view first_text = text.substr(0, dash);
  const std::string_view last_text = dash == std::string_view::npos ? first_text : text.substr(dash + 1);
  const auto first = small_number(first_text);
  const auto last = small_number(last_text);
  if (!first || !last || first_text.size() > 3 || last_text.size() > 3) {
    // HAProxy's `rstatus ^2` and the common "2xx" both mean a class.
    if (text.size() == 3 && text[0] >= '1' && text[0] <= '5' && (text[1] == 'x' || text[1] == 'X') &&
        (text[2] == 'x' || text[2] == 'X')) {
      const std::string hundred(1, text[0]);
      return quote(text) + " is not a status or a range of statuses, " + example + "; did you mean \"" + hundred +
             "00-" + hundred + "99\"?";
    }
    return quote(text) + " is not a status or a range of statuses, " + example;
  }
  for (uint32_t status : {*first, *last}) {
    if (status < 100 || status > 599) {
      return quote(text) + ": status " + std::to_string(status) + " is out of range 100..599";
    }
  }
  if (*first > *last) {
    return quote(text) + ": the first status " + std::to_string(*first) + " is above the last " + std::to_string(*last);
  }
  out.first = static_cast<uint16_t>(*first);
  out.last = static_cast<uint16_t>(*last);
  return "";
}

std::string format_status_range(const StatusRange& range) {
  return range.first == range.last ? std::to_string(range.first)
                                   : std::to_string(range.first) + "-" + std::to_string(range.last);
}

}  // namespace dplb::conf
