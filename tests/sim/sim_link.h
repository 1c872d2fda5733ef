#pragma once

// One direction of a simulated wire for the deterministic simulation: a
// virtual clock in nanoseconds, serialisation at a given bandwidth,
// propagation delay, random extra delay (which reorders frames), loss and
// duplication. Randomness comes from SplitMix64 seeded by the test, not from
// std:: distributions, whose output differs between standard libraries; a
// failing seed therefore replays the same everywhere.

#include <cstdint>
#include <queue>
#include <vector>

namespace dplb::testing {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 53 bits.
  double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  uint64_t below(uint64_t bound) { return bound == 0 ? 0 : next() % bound; }

 private:
  uint64_t state_;
};

struct LinkProfile {
  uint64_t delay_ns = 0;
  uint64_t jitter_ns = 0;      // extra delay drawn uniformly per frame; reorders frames
  double loss = 0.0;           // probability a frame is dropped
  double duplicate = 0.0;      // probability a frame arrives twice
  uint64_t bits_per_second = 0;  // 0: no serialisation delay
};

struct LinkStats {
  uint64_t sent = 0;
  uint64_t lost = 0;
  uint64_t duplicated = 0;
  uint64_t delivered = 0;
  uint64_t reordered = 0;  // delivered after a frame sent later
};

template <class Frame>
class SimLink {
 public:
  SimLink(LinkProfile profile, uint64_t seed) : profile_(profile), random_(seed) {}

  void send(Frame frame, uint64_t now_ns, std::size_t bytes) {
    ++stats_.sent;
    if (profile_.bits_per_second != 0) {
      // Frames queue behind each other on the wire.
      free_at_ns_ = std::max(free_at_ns_, now_ns) + bytes * 8 * 1'000'000'000ull / profile_.bits_per_second;
    } else {
      free_at_ns_ = now_ns;
    }
    if (random_.unit() < profile_.loss) {
      ++stats_.lost;
      return;
    }
    const bool twice = random_.unit() < profile_.duplicate;
    if (twice) {
      ++stats_.duplicated;
      schedule(frame);
    }
    schedule(std::move(frame));
  }

  // Frames whose arrival time has come, in arrival order.
  std::vector<Frame> deliver(uint64_t now_ns) {
    std::vector<Frame> out;
    while (!in_flight_.empty() && in_flight_.top().arrival_ns <= now_ns) {
      const InFlight& f = in_flight_.top();
      if (f.sequence < last_delivered_sequence_) ++stats_.reordered;
      last_delivered_sequence_ = std::max(last_delivered_sequence_, f.sequence);
      out.push_back(f.frame);
      in_flight_.pop();
      ++stats_.delivered;
    }
    return out;
  }

  // When the next frame arrives (UINT64_MAX when none is in flight), so a
  // simulation can jump its clock straight there.
  uint64_t next_arrival_ns() const { return in_flight_.empty() ? UINT64_MAX : in_flight_.top().arrival_ns; }
  std::size_t in_flight() const { return in_flight_.size(); }
  const LinkStats& stats() const { return stats_; }

 private:
  struct InFlight {
    uint64_t arrival_ns;
    uint64_t sequence;  // send order, to keep equal arrivals stable and count reordering
    Frame frame;
    bool operator>(const InFlight& o) const {
      return arrival_ns != o.arrival_ns ? arrival_ns > o.arrival_ns : sequence > o.sequence;
    }
  };

  void schedule(Frame frame) {
    const uint64_t jitter = profile_.jitter_ns ? random_.below(profile_.jitter_ns + 1) : 0;
    in_flight_.push({free_at_ns_ + profile_.delay_ns + jitter, next_sequence_++, std::move(frame)});
  }

  LinkProfile profile_;
  SplitMix64 random_;
  LinkStats stats_;
  uint64_t free_at_ns_ = 0;
  uint64_t next_sequence_ = 1;
  uint64_t last_delivered_sequence_ = 0;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> in_flight_;
};

}  // namespace dplb::testing
