#include "conf/diagnostics.h"

#include <algorithm>

namespace dplb::conf {

void Diagnostics::error(SourcePosition where, std::string message) {
  entries_.push_back({where, std::move(message), Severity::error});
  ++errors_;
}

void Diagnostics::warning(SourcePosition where, std::string message) {
  entries_.push_back({where, std::move(message), Severity::warning});
}

std::vector<std::string> Diagnostics::formatted() const {
  std::vector<Diagnostic> sorted = entries_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.where.line != b.where.line) return a.where.line < b.where.line;
    return a.where.column < b.where.column;
  });
  std::vector<std::string> out;
  out.reserve(sorted.size());
  for (const auto& d : sorted) {
    out.push_back(file_ + ":" + std::to_string(d.where.line) + ":" + std::to_string(d.where.column) +
                  (d.severity == Severity::warning ? ": warning: " : ": ") + d.message);
  }
  return out;
}

}  // namespace dplb::conf
