#include "controlplane/stats/lcore_load.h"

namespace dplb::controlplane {

LcoreSample LcoreSample::read(const dataplane::LcoreCounters& c) {
  return {c.busy_cycles.get(), c.idle_cycles.get(), c.packets.get(), c.busy_iterations.get(),
          c.idle_iterations.get()};
}

LcoreSample LcoreSample::minus(const LcoreSample& e) const {
  return {busy_cycles - e.busy_cycles, idle_cycles - e.idle_cycles, packets - e.packets,
          busy_iterations - e.busy_iterations, idle_iterations - e.idle_iterations};
}

LcoreFigures lcore_figures(const LcoreSample& s, uint64_t tsc_hz) {
  LcoreFigures f;
  const uint64_t total = s.busy_cycles + s.idle_cycles;
  if (total != 0) f.busy_percent = 100.0 * static_cast<double>(s.busy_cycles) / static_cast<double>(total);
  if (s.busy_cycles != 0) {
    f.packets_per_busy_second =
        static_cast<double>(s.packets) * static_cast<double>(tsc_hz) / static_cast<double>(s.busy_cycles);
  }
  if (s.packets != 0) f.cycles_per_packet = static_cast<double>(s.busy_cycles) / static_cast<double>(s.packets);
  return f;
}

void LcoreLoad::sample(const std::vector<const dataplane::LcoreCounters*>& workers) {
  std::vector<LcoreSample> now;
  for (const auto* c : workers) now.push_back(LcoreSample::read(*c));
  if (previous_.size() == now.size()) {
    window_.clear();
    for (std::size_t i = 0; i < now.size(); ++i) window_.push_back(now[i].minus(previous_[i]));
  }
  previous_ = std::move(now);
}

LcoreSample LcoreLoad::last_window(std::size_t worker) const {
  return worker < window_.size() ? window_[worker] : LcoreSample{};
}

}  // namespace dplb::controlplane
