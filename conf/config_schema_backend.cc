#include "conf/config_sections.h"

#include "conf/proxy_values.h"

namespace dplb::conf {
namespace {

// Addresses that can never be a server's, whatever the routes say.
std::string special_address(Ipv4Address a) {
  const uint32_t v = a.value;
  if ((v >> 24) == 0) return "a 'this network' address (0.0.0.0/8)";
  if ((v >> 24) == 127) return "a loopback address";
  if ((v >> 28) == 0xe) return "a multicast address";
  if (v == 0xffffffffu) return "the broadcast address";
  if ((v >> 28) == 0xf) return "a reserved address (240.0.0.0/4)";
  return "";
}

std::string convert_server_address(const std::string& text, Endpoint& out) {
  std::string error;
  auto endpoint = parse_endpoint(text, false, &error);
  if (!endpoint) return error;
  const std::string kind = special_address(endpoint->address);
  if (!kind.empty()) return endpoint->address.to_string() + " is " + kind + ", not a server's";
  out = *endpoint;
  return "";
}

TableSchema<ServerConfig> server_schema() {
  TableSchema<ServerConfig> s("[[backend.server]]", "backend.server");
  s.required("name", string_as<ServerConfig, std::string>(&ServerConfig::name, "string",
                                                          "1-32 of [A-Za-z0-9_.-], unique in the backend",
                                                          convert_name))
      .required("address", string_as<ServerConfig, Endpoint>(&ServerConfig::address, "string (address:port)",
                                                             "A.B.C.D:1..65535, with a route to it",
                                                             convert_server_address))
      .optional("weight", integer_in(&ServerConfig::weight, 0, 256))
      .optional("maxconn", integer_in(&ServerConfig::maxconn, 0, 1'000'000))
      .optional("backup", boolean(&ServerConfig::backup))
      .optional("check", boolean(&ServerConfig::check))
      .optional("check_port", integer_in(&ServerConfig::check_port, 1, 65535))
      .optional("slowstart", duration_in(&ServerConfig::slowstart, Duration{0}, hours(1)))
      .hint("port", "did you mean 'check_port'? (HAProxy's `port`: where checks are sent)")
      .hint("health_check", "checks are set up per backend, in [backend.health_check]; write check = true here")
      .optional("tls", server_tls_table());
  // HAProxy writes the check's settings on each `server` line; dplb keeps
  // one set per backend, so say where they went.
  for (const char* key : {"inter", "interval", "fastinter", "downinter", "rise", "fall", "timeout", "type", "method",
                          "path", "uri", "host", "expect_status", "disable_on_404", "disable-on-404", "observe",
                          "error_limit", "error-limit", "on_error", "on-error"}) {
    s.hint(key, "health-check settings apply to every server of a backend: write it in [backend.health_check]");
  }
  return s;
}

FieldSpec<BackendConfig> balance_algorithm() {
  return {"string",
          "roundrobin, static-rr, leastconn, first, random, random(1..100), source, uri, hdr(NAME)",
          [](const toml::node& node, const std::string& path, BackendConfig& out, Diagnostics& d) {
            const auto* value = node.as_string();
            if (value == nullptr) return report_type(d, node, path, "a string");
            std::string problem = parse_balance(value->get(), out);
            if (!problem.empty()) d.error(position_of(node), path + ": " + problem);
          },
          {}};
}

std::string convert_hash_type(const std::string& text, HashType& out) {
  return convert_enum<HashType, 2>(text, out, {HashType::map_based, HashType::consistent}, hash_type_name);
}

std::string convert_http_reuse(const std::string& text, HttpReuse& out) {
  return convert_enum<HttpReuse, 3>(text, out, {HttpReuse::never, HttpReuse::safe, HttpReuse::always},
                                    http_reuse_name);
}

FieldSpec<BackendConfig> retry_on_list() {
  return {"array of strings",
          "none, conn-failure, empty-response, junk-response, response-timeout, 0rtt-rejected, "
          "all-retryable-errors, 401 403 404 408 425 500 501 502 503 504",
          [](const toml::node& node, const std::string& path, BackendConfig& out, Diagnostics& d) {
            const auto* array = node.as_array();
            if (array == nullptr) return report_type(d, node, path, "an array of strings");
            if (array->empty()) {
              d.error(position_of(node), path + ": must list at least one word (\"none\" for no retry at all)");
              return;
            }
            std::vector<std::string> words;
            for (const auto& element : *array) {
              const auto* value = element.as_string();
              if (value == nullptr) return report_type(d, element, path, "a string in the array");
              words.push_back(value->get());
            }
            std::size_t bad = 0;
            const std::string problem = parse_retry_on(words, &out.retry_on, &bad);
            if (!problem.empty()) d.error(position_of((*array)[bad]), path + ": " + problem);
          },
          {}};
}

// At most 1 MiB: a kept request holds its mbufs until the response head
// comes, so a large cap times many requests in flight would pin the pool.
constexpr uint64_t kMaxRetryBuffer = 1024 * 1024;

FieldSpec<BackendConfig> retry_buffer_size() {
  return {"size (integer bytes, or a string with k, m)", "0..1m",
          [](const toml::node& node, const std::string& path, BackendConfig& out, Diagnostics& d) {
            uint64_t bytes = 0;
            if (const auto* i = node.as_integer()) {
              if (i->get() < 0 || static_cast<uint64_t>(i->get()) > kMaxRetryBuffer) {
                return report_range(d, node, path, i->get(), 0, static_cast<int64_t>(kMaxRetryBuffer));
              }
              bytes = static_cast<uint64_t>(i->get());
            } else if (const auto* text = node.as_string()) {
              const std::string problem = parse_size(text->get(), &bytes);
              if (!problem.empty()) return d.error(position_of(node), path + ": " + problem);
              if (bytes > kMaxRetryBuffer) {
                return d.error(position_of(node), path + ": " + text->get() + " is over the 1m a kept request may hold");
              }
            } else {
              return report_type(d, node, path, "a size (\"16k\") or an integer of bytes");
            }
            out.retry_buffer = bytes;
          },
          {}};
}

std::string convert_retry_non_idempotent(const std::string& text, RetryNonIdempotent& out) {
  return convert_enum<RetryNonIdempotent, 3>(
      text, out,
      {RetryNonIdempotent::never, RetryNonIdempotent::with_idempotency_key, RetryNonIdempotent::always},
      retry_non_idempotent_name);
}

std::string convert_header_name(const std::string& text, std::string& out) {
  if (text.empty() || text.size() > 64) return "a header name of 1 to 64 characters";
  for (char c : text) {
    const bool token = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '_' || c == '.';
    if (!token) return "'" + text + "' is not a header name (letters, digits, '-', '_', '.')";
  }
  out = text;
  return "";
}

TableSchema<RetryBudget> retry_budget_schema() {
  TableSchema<RetryBudget> s("[backend.retry_budget]", "backend.retry_budget");
  s.optional("percent", integer_in(&RetryBudget::percent, 0, 100))
      .optional("min_concurrent", integer_in(&RetryBudget::min_concurrent, 0, 1'000'000));
  return s;
}

// true, false, or HAProxy's `option redispatch <interval>` as an integer.
FieldSpec<BackendConfig> redispatch_field() {
  return {"boolean or integer", "true, false, -100..100",
          [](const toml::node& node, const std::string& path, BackendConfig& out, Diagnostics& d) {
            if (const auto* flag = node.as_boolean()) {
              out.redispatch = flag->get();
              out.redispatch_interval = -1;
              return;
            }
            const auto* value = node.as_integer();
            if (value == nullptr) return report_type(d, node, path, "a boolean or an integer (HAProxy's interval)");
            if (value->get() < -100 || value->get() > 100) return report_range(d, node, path, value->get(), -100, 100);
            // 0 turns redispatching off, as in HAProxy.
            out.redispatch = value->get() != 0;
            out.redispatch_interval = value->get() == 0 ? -1 : static_cast<int32_t>(value->get());
          },
          {}};
}

TableSchema<RetryBackoff> retry_backoff_schema() {
  TableSchema<RetryBackoff> s("[backend.retry_backoff]", "backend.retry_backoff");
  s.optional("base", duration_in(&RetryBackoff::base, Duration{0}, seconds(60)))
      .optional("max", duration_in(&RetryBackoff::max, Duration{0}, seconds(60)));
  return s;
}

TableSchema<BackendConfig> backend_schema() {
  TableSchema<BackendConfig> s("[[backend]]", "backend");
  s.required("name", string_as<BackendConfig, std::string>(&BackendConfig::name, "string",
                                                           "1-32 of [A-Za-z0-9_.-], unique", convert_name))
      .optional("balance", balance_algorithm())
      .optional("hash_type", string_as<BackendConfig, HashType>(&BackendConfig::hash_type, "string",
                                                                "map-based, consistent", convert_hash_type))
      .optional("timeout_connect", duration_in(&BackendConfig::timeout_connect, ms(1), hours(1)))
      .optional("timeout_server", duration_in(&BackendConfig::timeout_server, ms(1), days(1)))
      .optional("timeout_queue", duration_in(&BackendConfig::timeout_queue, ms(1), hours(1)))
      .optional("timeout_tunnel", duration_in(&BackendConfig::timeout_tunnel, ms(1), days(7)))
      .optional("http_reuse", string_as<BackendConfig, HttpReuse>(&BackendConfig::http_reuse, "string",
                                                                  "never, safe, always", convert_http_reuse))
      .optional("retries", integer_in(&BackendConfig::retries, 0, 100))
      .optional("redispatch", redispatch_field())
      .optional("retry_on", retry_on_list())
      .optional("retry_buffer", retry_buffer_size())
      .optional("retry_budget", table(&BackendConfig::retry_budget, retry_budget_schema()))
      .optional("retry_backoff", table(&BackendConfig::retry_backoff, retry_backoff_schema()))
      .optional("timeout_per_try", duration_in(&BackendConfig::timeout_per_try, Duration{0}, hours(1)))
      .optional("retry_non_idempotent",
                string_as<BackendConfig, RetryNonIdempotent>(&BackendConfig::retry_non_idempotent, "string",
                                                             "never, with-idempotency-key, always",
                                                             convert_retry_non_idempotent))
      .optional("idempotency_key_header",
                string_as<BackendConfig, std::string>(&BackendConfig::idempotency_key_header, "string",
                                                      "a header name", convert_header_name))
      .hint("retry-on", "write retry_on (with an underscore)")
      .optional("health_check", health_check_table())
      .optional("server", table_array(&BackendConfig::servers, server_schema()));
  add_http_rule_keys(s);
  return s;
}

}  // namespace

// TOML lets a [[backend.server]] or [backend.health_check] written before
// any [[backend]] create a plain [backend] table; say what went wrong rather
// than "got a table".
FieldSpec<Config> backend_list() {
  FieldSpec<Config> spec = table_array(&Config::backends, backend_schema());
  spec.decode = [decode = spec.decode](const toml::node& node, const std::string& path, Config& out,
                                       Diagnostics& d) {
    const auto* table = node.as_table();
    if (table != nullptr && (table->contains("server") || table->contains("health_check"))) {
      if (table->contains("server")) {
        d.error(position_of(node),
                "backend.server: a [[backend.server]] table must follow the [[backend]] it belongs to");
      }
      if (table->contains("health_check")) {
        d.error(position_of(node),
                "backend.health_check: a [backend.health_check] table must follow the [[backend]] it belongs to");
      }
      return;
    }
    decode(node, path, out, d);
  };
  return spec;
}

}  // namespace dplb::conf
