#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/worker/worker_counters.h"

namespace dplb::controlplane {

struct LcoreSample {
  uint64_t busy_cycles = 0;
  uint64_t idle_cycles = 0;
  uint64_t packets = 0;
  uint64_t busy_iterations = 0;
  uint64_t idle_iterations = 0;

  static LcoreSample read(const dataplane::LcoreCounters& c);
  LcoreSample minus(const LcoreSample& earlier) const;
};

struct LcoreFigures {
  double busy_percent = 0;
  double packets_per_busy_second = 0;  // the cost of the work itself, idle polling excluded
  double cycles_per_packet = 0;
};

LcoreFigures lcore_figures(const LcoreSample& s, uint64_t tsc_hz);

// Keeps the last two once-a-second samples of every worker so `show lcores`
// reports the load of the last second next to the totals since boot.
class LcoreLoad {
 public:
  void sample(const std::vector<const dataplane::LcoreCounters*>& workers);
  // The last complete window, or zeros before two samples exist.
  LcoreSample last_window(std::size_t worker) const;

 private:
  std::vector<LcoreSample> previous_;
  std::vector<LcoreSample> window_;
};

}  // namespace dplb::controlplane
