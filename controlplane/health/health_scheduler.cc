#include "controlplane/health/health_scheduler.h"

#include <algorithm>

namespace dplb::controlplane {

HealthScheduler::HealthScheduler(const std::vector<conf::BackendConfig>& backends, int64_t now_ms) {
  for (uint32_t b = 0; b < backends.size(); ++b) {
    const conf::BackendConfig& backend = backends[b];
    backend_first_.push_back(entries_.size());
    backend_names_.push_back(backend.name);
    for (uint32_t s = 0; s < backend.servers.size(); ++s) {
      Entry e{ServerHealth(backend.name, backend.health_check, backend.servers[s], now_ms), ServerId{b, s}};
      e.published.weight = e.health.effective_weight(now_ms);
      e.published.usable = e.health.usable_for_new_traffic();
      e.published_ms = now_ms;
      entries_.push_back(std::move(e));
    }
    const BackendCensus c = census(b);
    backend_available_.push_back(c.active + c.backup > 0);
  }
}

void HealthScheduler::start(int64_t now_ms) {
  if (started_) return;
  started_ = true;
  std::vector<std::size_t> checked;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].health.checks_running()) checked.push_back(i);
  }
  // Across backends, not within each: ten backends of a hundred servers
  // would otherwise all probe their first server in the same millisecond.
  const auto n = static_cast<int64_t>(checked.size());
  for (int64_t k = 0; k < n; ++k) {
    Entry& e = entries_[checked[static_cast<std::size_t>(k)]];
    set_timer(e, now_ms + e.health.next_interval_ms() * k / n);
  }
}

std::vector<Probe> HealthScheduler::due(int64_t now_ms) {
  std::vector<Probe> probes;
  while (!timers_.empty() && timers_.begin()->first <= now_ms) {
    const auto [at, index] = *timers_.begin();
    Entry& e = entries_[index];
    set_timer(e, kNoTimer);
    if (e.in_flight) {
      ++lost_probes_;
      e.in_flight = false;
      ++e.sequence;
      schedule_after(e, e.slot_ms, now_ms);
      continue;
    }
    if (!e.health.checks_running()) continue;
    e.in_flight = true;
    ++e.sequence;
    e.slot_ms = at;
    e.health.clear_fast_check();
    Probe p{e.id, e.sequence, now_ms, now_ms + e.health.timeout_ms()};
    set_timer(e, p.deadline_ms + kLostProbeGraceMs);
    probes.push_back(p);
  }
  return probes;
}

std::vector<HealthEvent> HealthScheduler::complete(ServerId id, uint32_t sequence, const CheckOutcome& outcome,
                                                   int64_t now_ms) {
  std::vector<HealthEvent> events;
  if (!valid(id)) return events;
  Entry& e = entries_[flat(id)];
  if (!e.in_flight || e.sequence != sequence) return events;
  e.in_flight = false;
  set_timer(e, kNoTimer);
  auto event = e.health.report_check(outcome, now_ms);
  schedule_after(e, e.slot_ms, now_ms);
  settle(e, std::move(event), now_ms, events);
  return events;
}

std::vector<HealthEvent> HealthScheduler::observe(ServerId id, Observation what, int64_t now_ms) {
  std::vector<HealthEvent> events;
  if (!valid(id)) return events;
  Entry& e = entries_[flat(id)];
  auto event = e.health.report_observed(what, now_ms);
  if (e.health.fast_check_requested() && !e.in_flight && e.timer != kNoTimer) {
    set_timer(e, std::min(e.timer, now_ms + e.health.fastinter_ms()));
  }
  settle(e, std::move(event), now_ms, events);
  return events;
}

void HealthScheduler::tick(int64_t now_ms) {
  for (std::size_t i = 0; i < ramping_.size();) {
    Entry& e = entries_[ramping_[i]];
    if (now_ms - e.published_ms >= kRampStepMs) publish(e, now_ms);
    const bool done = !e.health.in_slowstart(now_ms) && e.published.weight == e.health.effective_weight(now_ms);
    if (done) {
      e.ramping = false;
      ramping_[i] = ramping_.back();
      ramping_.pop_back();
    } else {
      ++i;
    }
  }
}

std::optional<int64_t> HealthScheduler::next_event_ms() const {
  std::optional<int64_t> next;
  if (!timers_.empty()) next = timers_.begin()->first;
  for (std::size_t index : ramping_) {
    const int64_t step = entries_[index].published_ms + kRampStepMs;
    if (!next || step < *next) next = step;
  }
  return next;
}

HealthCommandResult HealthScheduler::set_admin(ServerId id, AdminState state, int64_t now_ms) {
  HealthCommandResult r;
  if (!valid(id)) {
    r.error = "no such server";
    return r;
  }
  Entry& e = entries_[flat(id)];
  const bool was_maint = e.health.admin_state() == AdminState::maint;
  auto event = e.health.set_admin(state, now_ms);
  if (state == AdminState::maint) {
    cancel_probe(e);
  } else if (was_maint && started_ && e.health.checks_running()) {
    set_timer(e, now_ms);  // it came back up on trust: verify at once
  }
  settle(e, std::move(event), now_ms, r.events);
  return r;
}

HealthCommandResult HealthScheduler::set_weight(ServerId id, uint32_t weight, int64_t now_ms) {
  HealthCommandResult r;
  if (!valid(id)) {
    r.error = "no such server";
    return r;
  }
  Entry& e = entries_[flat(id)];
  if (!e.health.set_weight(weight)) {
    r.error = "weight must be between 0 and " + std::to_string(ServerHealth::kMaxWeight);
    return r;
  }
  settle(e, std::nullopt, now_ms, r.events);
  return r;
}

HealthCommandResult HealthScheduler::enable_checks(ServerId id, int64_t now_ms) {
  HealthCommandResult r;
  if (!valid(id)) {
    r.error = "no such server";
    return r;
  }
  Entry& e = entries_[flat(id)];
  if (!e.health.checks_configured()) {
    r.error = "server has no health check configured";
    return r;
  }
  auto event = e.health.enable_checks(now_ms);
  if (started_ && e.health.checks_running() && !e.in_flight && e.timer == kNoTimer) set_timer(e, now_ms);
  settle(e, std::move(event), now_ms, r.events);
  return r;
}

HealthCommandResult HealthScheduler::disable_checks(ServerId id, int64_t now_ms) {
  HealthCommandResult r;
  if (!valid(id)) {
    r.error = "no such server";
    return r;
  }
  Entry& e = entries_[flat(id)];
  if (!e.health.checks_configured()) {
    r.error = "server has no health check configured";
    return r;
  }
  auto event = e.health.disable_checks(now_ms);
  cancel_probe(e);
  settle(e, std::move(event), now_ms, r.events);
  return r;
}

std::vector<std::vector<dataplane::ServerRuntimeState>> HealthScheduler::runtime_states() const {
  std::vector<std::vector<dataplane::ServerRuntimeState>> states(backend_first_.size());
  for (const Entry& e : entries_) states[e.id.backend].push_back(e.published);
  return states;
}

std::optional<ServerId> HealthScheduler::find(std::string_view backend, std::string_view server) const {
  for (uint32_t b = 0; b < backend_names_.size(); ++b) {
    if (backend_names_[b] != backend) continue;
    for (uint32_t s = 0; s < server_count(b); ++s) {
      if (server == entries_[backend_first_[b] + s].health.name()) return ServerId{b, s};
    }
  }
  return std::nullopt;
}

std::size_t HealthScheduler::server_count(uint32_t backend) const {
  if (backend >= backend_first_.size()) return 0;
  const std::size_t end = backend + 1 < backend_first_.size() ? backend_first_[backend + 1] : entries_.size();
  return end - backend_first_[backend];
}

bool HealthScheduler::valid(ServerId id) const { return id.server < server_count(id.backend); }

std::optional<int64_t> HealthScheduler::next_check_ms(ServerId id) const {
  const Entry& e = entries_[flat(id)];
  if (e.in_flight || e.timer == kNoTimer) return std::nullopt;
  return e.timer;
}

BackendCensus HealthScheduler::census(uint32_t backend) const {
  BackendCensus c;
  for (std::size_t i = 0; i < server_count(backend); ++i) {
    const ServerHealth& h = entries_[backend_first_[backend] + i].health;
    if (!h.usable_for_new_traffic() || h.weight() == 0) continue;
    ++(h.backup() ? c.backup : c.active);
  }
  return c;
}

void HealthScheduler::set_timer(Entry& e, int64_t at) {
  const std::size_t index = flat(e.id);
  if (e.timer != kNoTimer) timers_.erase({e.timer, index});
  e.timer = at;
  if (at != kNoTimer) timers_.insert({at, index});
}

void HealthScheduler::cancel_probe(Entry& e) {
  if (e.in_flight) {
    e.in_flight = false;
    ++e.sequence;
  }
  set_timer(e, kNoTimer);
}

void HealthScheduler::schedule_after(Entry& e, int64_t slot_ms, int64_t now_ms) {
  if (!e.health.checks_running()) return;
  const int64_t interval = e.health.next_interval_ms();
  int64_t next = slot_ms + interval;
  // A probe that outlived its interval skips the slots it missed instead of
  // firing late ones back to back, which would bunch the spread servers up.
  if (next < now_ms) next += (now_ms - next + interval - 1) / interval * interval;
  set_timer(e, next);
}

bool HealthScheduler::publish(Entry& e, int64_t now_ms) {
  dataplane::ServerRuntimeState s;
  s.weight = e.health.effective_weight(now_ms);
  s.usable = e.health.usable_for_new_traffic();
  if (s.weight == e.published.weight && s.usable == e.published.usable) return false;
  e.published = s;
  e.published_ms = now_ms;
  ++version_;
  return true;
}

void HealthScheduler::settle(Entry& e, std::optional<HealthEvent> event, int64_t now_ms,
                             std::vector<HealthEvent>& out) {
  publish(e, now_ms);
  if (e.health.in_slowstart(now_ms) && !e.ramping) {
    e.ramping = true;
    ramping_.push_back(flat(e.id));
  }
  const uint32_t b = e.id.backend;
  const BackendCensus c = census(b);
  if (event) {
    if (health_event_has_census(event->kind)) {
      event->message += health_census(c.active, c.backup, e.health.usable_for_new_traffic());
    }
    out.push_back(std::move(*event));
  }
  const bool available = c.active + c.backup > 0;
  if (backend_available_[b] && !available) {
    HealthEvent gone;
    gone.kind = HealthEventKind::backend_down;
    gone.level = LogLevel::emerg;
    gone.message = "backend " + backend_names_[b] + " has no server available!";
    out.push_back(std::move(gone));
  }
  backend_available_[b] = available;
}

}  // namespace dplb::controlplane
