#pragma once

// A worker's timers (TCP retransmission, delayed ACK, persist, keepalive,
// FIN_WAIT_2, TIME_WAIT; health-check deadlines): a hierarchical timing
// wheel of three levels of 256 slots (the scheme of Varghese and Lauck, as
// in Linux and Seastar). With 1 ms ticks, level 0 covers 256 ms at 1 ms
// resolution, level 1 65 s, level 2 4.6 h; later deadlines wait in an
// overflow list. Timers are intrusive nodes embedded in their owner (a
// connection), so arming, cancelling and firing never allocate; all three
// are O(1) apart from the cascade, which moves each timer at most twice.
// Time is whatever the caller says it is, so tests run it on a virtual clock.

#include <cstddef>
#include <cstdint>

namespace dplb::dataplane {

class TimerWheel;

// Destroying an armed timer disarms it, and destroying the wheel disarms
// every timer, so owners and the wheel may go away in either order. A timer
// cannot be copied: a copy would share the original's links.
struct Timer {
  uint64_t expires = 0;  // tick at which it fires
  bool armed() const { return owner_ != nullptr; }

  Timer() = default;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer();

 private:
  friend class TimerWheel;
  Timer* prev_ = nullptr;
  Timer* next_ = nullptr;
  TimerWheel* owner_ = nullptr;
};

class TimerWheel {
 public:
  static constexpr unsigned kSlotBits = 8;
  static constexpr unsigned kSlots = 1u << kSlotBits;
  static constexpr unsigned kLevels = 3;

  explicit TimerWheel(uint64_t now = 0) : now_(now) {}
  ~TimerWheel();
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // Arms (or re-arms) `timer` to fire at tick `expires`; a deadline that is
  // not in the future fires at the next tick.
  void schedule(Timer& timer, uint64_t expires);
  void cancel(Timer& timer);

  // Moves time to `now` and calls fire(Timer&) for every timer due, in tick
  // order. A fired timer is disarmed first, so the callback may re-arm it.
  template <class Fire>
  std::size_t advance(uint64_t now, Fire&& fire);

  uint64_t now() const { return now_; }
  std::size_t armed() const { return armed_; }

 private:
  struct List {
    Timer head;
    List() { head.prev_ = head.next_ = &head; }
    bool empty() const { return head.next_ == &head; }
  };

  void insert(Timer& timer);
  static void unlink(Timer& timer);
  static void push(List& list, Timer& timer);
  void cascade(List& list);
  // Runs the cascades due at tick `tick` and returns level 0's slot for it.
  List& slot_for_tick(uint64_t tick);

  uint64_t now_;
  std::size_t armed_ = 0;
  List levels_[kLevels][kSlots];
  List overflow_;
};

template <class Fire>
std::size_t TimerWheel::advance(uint64_t now, Fire&& fire) {
  std::size_t fired = 0;
  while (now_ < now) {
    if (armed_ == 0) {  // nothing can fire: jump
      now_ = now;
      break;
    }
    ++now_;
    List& due = slot_for_tick(now_);
    while (!due.empty()) {
      Timer& t = *due.head.next_;
      unlink(t);
      t.owner_ = nullptr;
      --armed_;
      ++fired;
      fire(t);
    }
  }
  return fired;
}

}  // namespace dplb::dataplane
