#include "conf/config_sections.h"

#include "conf/config_schema.h"

namespace dplb::conf {
namespace {

// sun_path holds 108 bytes including the terminating NUL.
std::string convert_socket_path(const std::string& text, std::string& out) {
  if (text.empty()) {
    out.clear();
    return "";
  }
  if (text.front() != '/') return "'" + text + "' must be an absolute path (or \"\" to disable the socket)";
  if (text.size() > 107) return "path is " + std::to_string(text.size()) + " bytes; a unix socket path holds at most 107";
  out = text;
  return "";
}

std::string convert_log_file(const std::string& text, std::string& out) {
  if (!text.empty() && text.front() != '/') return "'" + text + "' must be an absolute path (or \"\" for stderr)";
  out = text;
  return "";
}

std::string convert_access_log(const std::string& text, std::string& out) {
  if (!text.empty() && text != "stdout" && text.front() != '/') {
    std::string why = "'" + text + "' must be \"stdout\", an absolute path, or \"\" for no access log";
    if (!close_matches(text, {"stdout"}, 1).empty()) why += "; did you mean 'stdout'?";
    return why;
  }
  out = text;
  return "";
}

std::string convert_prompt(const std::string& text, std::string& out) {
  if (text.size() > 32) return "a prompt holds at most 32 characters";
  out = text;
  return "";
}

}  // namespace

TableSchema<DataplaneConfig> dataplane_schema() {
  TableSchema<DataplaneConfig> s("[dataplane]", "dataplane");
  s.optional("workers", integer_list(&DataplaneConfig::workers, 0, kMaxLcore, false))
      .optional("control_lcore", integer_in(&DataplaneConfig::control_lcore, 0, kMaxLcore))
      .optional("hugepages", boolean(&DataplaneConfig::hugepages))
      .optional("memory_mb", integer_in(&DataplaneConfig::memory_mb, 64, 1048576))
      .optional("idle_sleep_us", integer_in(&DataplaneConfig::idle_sleep_us, 0, 100000))
      .optional("idle_sleep_max_us", integer_in(&DataplaneConfig::idle_sleep_max_us, 0, 1000000))
      .optional("eal_args", string_list(&DataplaneConfig::eal_args))
      .optional("arp_timeout", duration_in(&DataplaneConfig::arp_timeout, Duration{1'000'000}, Duration{86'400'000'000}))
      .optional("arp_retry", duration_in(&DataplaneConfig::arp_retry, Duration{100'000}, Duration{60'000'000}))
      .optional("arp_probes", integer_in(&DataplaneConfig::arp_probes, 1, 10))
      .optional("arp_max_entries", integer_in(&DataplaneConfig::arp_max_entries, 16, 1'000'000));
  return s;
}

TableSchema<ConsoleConfig> console_schema() {
  TableSchema<ConsoleConfig> s("[console]", "console");
  s.optional("socket", string_as<ConsoleConfig, std::string>(&ConsoleConfig::socket, "string (path)",
                                                             "absolute path, at most 107 bytes, or \"\"",
                                                             convert_socket_path))
      .optional("prompt", string_as<ConsoleConfig, std::string>(&ConsoleConfig::prompt, "string", "at most 32 characters",
                                                                convert_prompt));
  return s;
}

TableSchema<LogConfig> log_schema() {
  TableSchema<LogConfig> s("[log]", "log");
  s.optional("level", one_of(&LogConfig::level, {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}))
      .optional("file", string_as<LogConfig, std::string>(&LogConfig::file, "string (path)",
                                                          "absolute path, or \"\" for standard error",
                                                          convert_log_file))
      .optional("access_log", string_as<LogConfig, std::string>(&LogConfig::access_log, "string (path)",
                                                                "\"stdout\", absolute path, or \"\" for none",
                                                                convert_access_log));
  return s;
}

}  // namespace dplb::conf
