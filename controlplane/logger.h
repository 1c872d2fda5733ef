#pragma once

#include <string>
#include <string_view>

namespace dplb::controlplane {

// syslog's levels, so operators can reuse their filters.
enum class LogLevel { emerg, alert, crit, err, warning, notice, info, debug };

// Opens the log target (a file, or standard error when `file` is empty).
// Returns an error line, or "" on success.
std::string log_open(std::string_view level, const std::string& file);
void log_close();

// Control-plane only: one write() per line so lines from several threads
// never interleave. Workers hand log records to the control plane instead.
void log(LogLevel level, std::string_view message);

inline void log_error(std::string_view m) { log(LogLevel::err, m); }
inline void log_warning(std::string_view m) { log(LogLevel::warning, m); }
inline void log_notice(std::string_view m) { log(LogLevel::notice, m); }
inline void log_info(std::string_view m) { log(LogLevel::info, m); }

}  // namespace dplb::controlplane
