#include "dataplane/base/timer_wheel.h"

namespace dplb::dataplane {

Timer::~Timer() {
  if (owner_ != nullptr) owner_->cancel(*this);
}

TimerWheel::~TimerWheel() {
  // Owners may outlive the wheel's use; leave their nodes clean.
  auto release = [](List& list) {
    while (!list.empty()) {
      Timer& t = *list.head.next_;
      unlink(t);
      t.owner_ = nullptr;
    }
  };
  for (auto& level : levels_) {
    for (auto& slot : level) release(slot);
  }
  release(overflow_);
}

void TimerWheel::unlink(Timer& t) {
  t.prev_->next_ = t.next_;
  t.next_->prev_ = t.prev_;
  t.prev_ = t.next_ = nullptr;
}

void TimerWheel::push(List& list, Timer& t) {
  t.prev_ = list.head.prev_;
  t.next_ = &list.head;
  list.head.prev_->next_ = &t;
  list.head.prev_ = &t;
}

void TimerWheel::insert(Timer& t) {
  const uint64_t delta = t.expires - now_;
  for (unsigned level = 0; level < kLevels; ++level) {
    if (delta < (uint64_t{1} << (kSlotBits * (level + 1)))) {
      push(levels_[level][(t.expires >> (kSlotBits * level)) & (kSlots - 1)], t);
      return;
    }
  }
  push(overflow_, t);
}

void TimerWheel::schedule(Timer& t, uint64_t expires) {
  if (t.armed()) cancel(t);
  t.expires = expires > now_ ? expires : now_ + 1;
  t.owner_ = this;
  ++armed_;
  insert(t);
}

void TimerWheel::cancel(Timer& t) {
  if (t.owner_ != this) return;
  unlink(t);
  t.owner_ = nullptr;
  --armed_;
}

void TimerWheel::cascade(List& list) {
  List moving;
  while (!list.empty()) {
    Timer& t = *list.head.next_;
    unlink(t);
    push(moving, t);
  }
  while (!moving.empty()) {
    Timer& t = *moving.head.next_;
    unlink(t);
    insert(t);
  }
}

TimerWheel::List& TimerWheel::slot_for_tick(uint64_t tick) {
  // Whenever a lower level wraps, the matching slot of the level above holds
  // exactly the timers that now fall within the lower level's reach.
  if ((tick & ((uint64_t{1} << (kSlotBits * kLevels)) - 1)) == 0) cascade(overflow_);
  for (unsigned level = kLevels - 1; level >= 1; --level) {
    if ((tick & ((uint64_t{1} << (kSlotBits * level)) - 1)) == 0) {
      cascade(levels_[level][(tick >> (kSlotBits * level)) & (kSlots - 1)]);
    }
  }
  return levels_[0][tick & (kSlots - 1)];
}

}  // namespace dplb::dataplane
