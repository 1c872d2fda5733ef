#include "conf/config_sections.h"

#include <algorithm>
#include <map>

#include "conf/error_file.h"
#include "conf/proxy_values.h"

namespace dplb::conf {
namespace {

// One bind entry: "A.B.C.D:PORT", or { address = "...", tls = BOOL }.
bool decode_bind(const toml::node& element, const std::string& path, Endpoint* endpoint, int8_t* tls,
                 Diagnostics& d) {
  const toml::node* address = &element;
  *tls = -1;
  if (const auto* table = element.as_table()) {
    address = nullptr;
    for (auto&& [key, value] : *table) {
      if (key.str() == "address") {
        address = &value;
      } else if (key.str() == "tls") {
        const auto* flag = value.as_boolean();
        if (flag == nullptr) {
          report_type(d, value, path + ".tls", "a boolean");
          return false;
        }
        *tls = flag->get() ? 1 : 0;
      } else {
        d.error(position_of(key), "unknown key '" + std::string(key.str()) + "' in a bind entry; the keys are "
                                  "address and tls");
        return false;
      }
    }
    if (address == nullptr) {
      d.error(position_of(element), path + ": a bind table needs address, like { address = \"*:443\", tls = true }");
      return false;
    }
  }
  const auto* text = address->as_string();
  if (text == nullptr) {
    report_type(d, *address, path, "an address string, or a table { address = \"...\", tls = BOOL }");
    return false;
  }
  std::string error;
  auto parsed = parse_endpoint(text->get(), true, &error);
  if (!parsed) {
    d.error(position_of(*address), path + ": " + error);
    return false;
  }
  *endpoint = *parsed;
  return true;
}

FieldSpec<FrontendConfig> bind_list() {
  return {"array of strings or tables",
          "\"A.B.C.D:PORT\" or \"*:PORT\", port 1..65535, or { address = \"...\", tls = BOOL }; at least one",
          [](const toml::node& node, const std::string& path, FrontendConfig& out, Diagnostics& d) {
            const auto* array = node.as_array();
            if (array == nullptr) return report_type(d, node, path, "an array of strings, like [\"*:80\"]");
            if (array->empty()) {
              d.error(position_of(node), path + ": must list at least one address to listen on");
              return;
            }
            std::vector<Endpoint> binds;
            std::vector<SourcePosition> positions;
            std::vector<int8_t> tls;
            bool good = true;
            for (const auto& element : *array) {
              Endpoint endpoint;
              int8_t written = -1;
              if (!decode_bind(element, path, &endpoint, &written, d)) {
                good = false;
                continue;
              }
              binds.push_back(endpoint);
              positions.push_back(position_of(element));
              tls.push_back(written);
            }
            if (!good) return;
            out.bind = std::move(binds);
            out.bind_positions = std::move(positions);
            out.bind_tls_written = std::move(tls);
          },
          {}};
}

std::optional<uint16_t> parse_status(std::string_view text) {
  if (text.size() != 3 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return static_cast<uint16_t>((text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0'));
}

// The files are read here, not when the proxy starts, so that `--check`
// catches a missing or broken page before it would have been served.
FieldSpec<FrontendConfig> errorfile_table() {
  return {"table (status = path)",
          "statuses " + error_file_statuses_text() + "; absolute paths of complete HTTP responses, at most " +
              std::to_string(kMaxErrorFileBytes) + " bytes",
          [](const toml::node& node, const std::string& path, FrontendConfig& out, Diagnostics& d) {
            const auto* table = node.as_table();
            if (table == nullptr) {
              return report_type(d, node, path,
                                 "a table of status = path, like { 503 = \"/etc/dplb/errors/503.http\" }");
            }
            std::map<uint16_t, ErrorFile> files;
            bool good = true;
            for (auto&& [key, value] : *table) {
              const std::string status_text(key.str());
              const auto status = parse_status(status_text);
              if (!status || !is_error_file_status(*status)) {
                d.error(position_of(key), path + ": " +
                                              (status ? "dplb never sends status " + status_text
                                                      : "'" + status_text + "' is not an HTTP status code") +
                                              "; errorfiles replace " + error_file_statuses_text());
                good = false;
                continue;
              }
              const std::string where = path + "." + status_text;
              const auto* file = value.as_string();
              if (file == nullptr) {
                report_type(d, value, where, "a string (the file's path)");
                good = false;
                continue;
              }
              const std::string& file_path = file->get();
              std::string problem;
              ErrorFile entry{file_path, {}};
              if (file_path.empty() || file_path.front() != '/') {
                problem = "'" + file_path + "' must be an absolute path";
              } else {
                problem = load_error_file(file_path, entry.contents);
              }
              if (!problem.empty()) {
                d.error(position_of(value), where + ": " + problem);
                good = false;
                continue;
              }
              files[*status] = std::move(entry);
            }
            if (good) out.errorfiles = std::move(files);
          },
          {}};
}

}  // namespace

TableSchema<FrontendConfig> frontend_schema() {
  TableSchema<FrontendConfig> s("[[frontend]]", "frontend");
  s.required("name", string_as<FrontendConfig, std::string>(&FrontendConfig::name, "string",
                                                            "1-32 of [A-Za-z0-9_.-], unique", convert_name))
      .required("bind", bind_list())
      .required("default_backend", string_as<FrontendConfig, std::string>(&FrontendConfig::default_backend,
                                                                         "string (backend name)",
                                                                         "a [[backend]] name", convert_name))
      .optional("maxconn", integer_in(&FrontendConfig::maxconn, 1, 10'000'000))
      .optional("forwardfor", boolean(&FrontendConfig::forwardfor))
      .optional("timeout_client", duration_in(&FrontendConfig::timeout_client, ms(1), days(1)))
      .optional("timeout_http_request", duration_in(&FrontendConfig::timeout_http_request, ms(1), hours(1)))
      .optional("timeout_http_keep_alive", duration_in(&FrontendConfig::timeout_http_keep_alive, ms(1), hours(1)))
      .optional("errorfiles", errorfile_table())
      .optional("log", boolean(&FrontendConfig::log))
      .optional("dontlognull", boolean(&FrontendConfig::dontlognull))
      .optional("log_format", string_as<FrontendConfig, bool>(&FrontendConfig::httpslog, "string",
                                                              "\"httplog\", \"httpslog\"",
                                                              [](const std::string& text, bool& out) -> std::string {
                                                                if (text == "httplog" || text == "httpslog") {
                                                                  out = text == "httpslog";
                                                                  return "";
                                                                }
                                                                return "'" + text + "' is not one of httplog, httpslog";
                                                              }))
      .optional("tls", frontend_tls_table());
  add_http_rule_keys(s);
  return s;
}

}  // namespace dplb::conf
