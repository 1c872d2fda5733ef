#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dplb::conf {

struct SourcePosition {
  uint32_t line = 0;
  uint32_t column = 0;
};

// An error refuses the file; a warning only reports something the file
// does that is legal but probably not what was meant (keepalived's
// "truncating auth_pass" kind), and the file still loads.
enum class Severity : uint8_t { error, warning };

struct Diagnostic {
  SourcePosition where;
  std::string message;
  Severity severity = Severity::error;
};

// Collects every problem found in one configuration file, so an operator can
// fix them all in one pass instead of one restart per mistake.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void error(SourcePosition where, std::string message);
  void warning(SourcePosition where, std::string message);

  // No errors and no warnings.
  bool empty() const { return entries_.empty(); }
  bool has_errors() const { return errors_ != 0; }
  std::size_t error_count() const { return errors_; }
  const std::string& file() const { return file_; }
  const std::vector<Diagnostic>& entries() const { return entries_; }

  // "FILE:LINE:COL: message" for an error, "FILE:LINE:COL: warning: message"
  // for a warning, ordered by position in the file.
  std::vector<std::string> formatted() const;

 private:
  std::string file_;
  std::vector<Diagnostic> entries_;
  std::size_t errors_ = 0;
};

}  // namespace dplb::conf
