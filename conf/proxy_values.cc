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

}  // namespace dplb::conf
