#include "dataplane/tcp/tcp_diagnostic_service.h"

#include <rte_mbuf.h>

#include <algorithm>

#include "dataplane/tcp/tcp_connection.h"

namespace dplb::dataplane {

namespace {
constexpr uint32_t kStatesPerChunk = 64;
constexpr uint32_t kSourceChunk = 8192;
}  // namespace

void TcpDiagnosticService::configure(DiagnosticKind kind, uint64_t source_bytes, TcpServiceCounters* counters) {
  kind_ = kind;
  source_bytes_ = source_bytes;
  counters_ = counters;
}

TcpDiagnosticService::State* TcpDiagnosticService::take() {
  if (free_ == nullptr) {
    chunks_.emplace_back(new State[kStatesPerChunk]);
    for (uint32_t i = 0; i < kStatesPerChunk; ++i) give(&chunks_.back()[i]);
  }
  State* s = free_;
  free_ = s->next_free;
  *s = State{};
  return s;
}

void TcpDiagnosticService::give(State* s) {
  s->next_free = free_;
  free_ = s;
}

void TcpDiagnosticService::connecting(TcpConnection& c) {
  if (c.user_data == nullptr) c.user_data = take();
}

void TcpDiagnosticService::start(TcpConnection& c) {
  State* s = static_cast<State*>(c.user_data);
  if (s == nullptr) {
    s = take();
    c.user_data = s;
  }
  s->started = true;
  counters_->connections.increment();
  counters_->open.increment();
  pump(c, *s);
}

void TcpDiagnosticService::pump(TcpConnection& c, State& s) {
  uint32_t n = 0;
  // Take what arrived. Echo forwards it as it is, within the send buffer.
  while (c.readable() > 0) {
    if (kind_ == DiagnosticKind::echo) {
      const uint32_t space = c.send_space();
      if (space == 0) {
        c.want_writable();
        break;
      }
      rte_mbuf* m = c.read(space, &n);
      if (m == nullptr) break;
      s.in += n;
      s.out += n;
      counters_->bytes_in.add(n);
      counters_->bytes_out.add(n);
      c.write(m);
      continue;
    }
    rte_mbuf* m = c.read(UINT32_MAX, &n);
    if (m == nullptr) break;
    if (kind_ == DiagnosticKind::discard) {
      uint64_t errors = 0;
      uint64_t at = s.in;
      for (rte_mbuf* seg = m; seg != nullptr; seg = seg->next) {
        const uint8_t* p = rte_pktmbuf_mtod(seg, const uint8_t*);
        for (uint16_t i = 0; i < seg->data_len; ++i) errors += p[i] != diagnostic_pattern_byte(at + i);
        at += seg->data_len;
      }
      if (errors) counters_->pattern_errors.add(errors);
    }
    s.in += n;
    counters_->bytes_in.add(n);
    rte_pktmbuf_free(m);
  }
  if (kind_ == DiagnosticKind::source) {
    uint8_t chunk[kSourceChunk];
    while (s.out < source_bytes_) {
      const uint32_t space = c.send_space();
      if (space == 0) {
        c.want_writable();
        break;
      }
      const uint32_t len = static_cast<uint32_t>(std::min<uint64_t>({source_bytes_ - s.out, space, kSourceChunk}));
      for (uint32_t i = 0; i < len; ++i) chunk[i] = diagnostic_pattern_byte(s.out + i);
      const uint32_t queued = c.write_copy(chunk, len);
      s.out += queued;
      counters_->bytes_out.add(queued);
      if (queued < len) {  // out of mbufs: try again when acknowledgements free some
        c.want_writable();
        break;
      }
    }
    if (s.out >= source_bytes_) return done(c, s, true);
  }
  // The peer finished: finish our side once everything is echoed.
  if (c.end_of_stream()) done(c, s, true);
}

void TcpDiagnosticService::on_readable(TcpConnection& c) {
  if (auto* s = static_cast<State*>(c.user_data)) pump(c, *s);
}

void TcpDiagnosticService::on_writable(TcpConnection& c) {
  if (auto* s = static_cast<State*>(c.user_data)) pump(c, *s);
}

void TcpDiagnosticService::done(TcpConnection& c, State& s, bool completed) {
  if (s.started) counters_->open.subtract(1);
  (completed ? counters_->completed : counters_->failed).increment();
  c.user_data = nullptr;
  give(&s);
  // FIN after what is queued; the stack finishes the connection.
  c.close();
}

void TcpDiagnosticService::on_closed(TcpConnection& c, TcpCloseReason) {
  auto* s = static_cast<State*>(c.user_data);
  if (s == nullptr) return;
  if (s->started) counters_->open.subtract(1);
  counters_->failed.increment();
  c.user_data = nullptr;
  give(s);
}

}  // namespace dplb::dataplane
