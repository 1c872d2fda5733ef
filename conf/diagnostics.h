#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dplb::conf {

struct SourcePosition {
  uint32_t line = 0;
  uint32_t column = 0;
};

struct Diagnostic {
  SourcePosition where;
  std::string message;
};

// Collects every problem found in one configuration file, so an operator can
// fix them all in one pass instead of one restart per mistake.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void error(SourcePosition where, std::string message);

  bool empty() const { return entries_.empty(); }
  const std::string& file() const { return file_; }
  const std::vector<Diagnostic>& entries() const { return entries_; }

  // "FILE:LINE:COL: message", ordered by position in the file.
  std::vector<std::string> formatted() const;

 private:
  std::string file_;
  std::vector<Diagnostic> entries_;
};

}  // namespace dplb::conf
