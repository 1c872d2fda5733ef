#include "dataplane/health/health_probe.h"

#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "dataplane/base/mbuf_chain.h"
#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/tcp/tcp_stack.h"

namespace dplb::dataplane {
namespace {

// "HTTP/1.x NNN" is all a check needs to read.
constexpr uint32_t kStatusPrefix = 12;

bool digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

HealthProber::HealthProber(TcpStack& stack, rte_mempool* pool)
    : stack_(stack),
      pool_(pool),
      options_(stack.settings().defaults),
      wheel_(stack.now_us() / 1000),
      now_us_(stack.now_us()),
      probes_(std::make_unique<Probe[]>(kMaxProbes)) {
  for (uint32_t i = kMaxProbes; i-- > 0;) {
    probes_[i].timer.probe = &probes_[i];
    probes_[i].next_free = free_;
    free_ = &probes_[i];
  }
  done_.reserve(kMaxProbes);
}

HealthProber::~HealthProber() {
  for (uint32_t i = 0; i < kMaxProbes; ++i) {
    Probe& p = probes_[i];
    if (p.busy && p.conn != nullptr) {
      p.conn->user_data = nullptr;
      if (p.tls.active()) {
        p.tls.abort();
      } else {
        p.conn->abort();
      }
      p.conn = nullptr;
    }
  }
}

bool HealthProber::start(const ProbeRequest& request) {
  if (free_ == nullptr) return false;
  now_us_ = std::max(now_us_, stack_.now_us());
  Probe& p = *free_;
  free_ = p.next_free;
  p.next_free = nullptr;
  p.request = request;
  p.busy = true;
  p.connected = false;
  p.line_length = 0;
  p.started_us = now_us_;
  ++in_flight_;
  wheel_.schedule(p.timer, now_us_ / 1000 + std::max<uint32_t>(request.timeout_ms, 1));
  p.conn = stack_.connect(request.address, request.port, this, options_);
  if (p.conn == nullptr) {
    finish(p, ProbeOutcome::l4_refused);
    return true;
  }
  p.conn->user_data = &p;
  return true;
}

void HealthProber::poll(uint64_t now_us) {
  now_us_ = now_us;
  wheel_.advance(now_us / 1000, [this](Timer& t) {
    Probe& p = *static_cast<ProbeTimer&>(t).probe;
    if (!p.connected) {
      finish(p, ProbeOutcome::l4_timeout);
    } else if (p.request.tls != nullptr && !p.tls.handshake_done()) {
      finish(p, ProbeOutcome::l6_timeout, static_cast<uint16_t>(TlsFailure::handshake_timeout));
    } else {
      finish(p, ProbeOutcome::l7_timeout);
    }
  });
}

uint32_t HealthProber::take(ProbeResult* out, uint32_t capacity) {
  const uint32_t n = std::min<uint32_t>(capacity, static_cast<uint32_t>(done_.size()));
  std::copy(done_.begin(), done_.begin() + n, out);
  done_.erase(done_.begin(), done_.begin() + n);
  return n;
}

void HealthProber::on_connected(TcpConnection& c) {
  auto* p = static_cast<Probe*>(c.user_data);
  if (p == nullptr) return;
  now_us_ = std::max(now_us_, stack_.now_us());
  p->connected = true;
  if (p->request.tls != nullptr) {
    if (!p->tls.connect(c, p->request.tls, pool_, p->request.sni, nullptr)) {
      finish(*p, ProbeOutcome::l6_failed, static_cast<uint16_t>(TlsFailure::internal));
    }
    return;  // the request waits for the handshake
  }
  send_request(*p, c);
}

void HealthProber::send_request(Probe& p, ByteStream& stream) {
  if (p.request.http == nullptr) {
    finish(p, p.request.tls != nullptr ? ProbeOutcome::l6_ok : ProbeOutcome::l4_ok);
    return;
  }
  stream.write_copy(p.request.http, p.request.http_length);
}

void HealthProber::on_readable(TcpConnection& c) {
  auto* p = static_cast<Probe*>(c.user_data);
  if (p == nullptr) return;
  now_us_ = std::max(now_us_, stack_.now_us());
  if (p->request.tls != nullptr && !tls_readable(*p)) return;
  read_status(*p);
}

bool HealthProber::tls_readable(Probe& p) {
  if (!p.tls.active()) return false;
  const bool was_done = p.tls.handshake_done();
  switch (p.tls.transport_readable()) {
    case TlsStream::Progress::handshaking:
      return false;
    case TlsStream::Progress::failed: {
      const TlsFailure why = p.tls.failure() != TlsFailure::none ? p.tls.failure() : TlsFailure::malformed_record;
      if (was_done) {
        finish(p, ProbeOutcome::l7_invalid);
      } else {
        finish(p, ProbeOutcome::l6_failed, static_cast<uint16_t>(why));
      }
      return false;
    }
    case TlsStream::Progress::open:
      break;
  }
  if (!was_done) {
    send_request(p, p.tls);
    if (!p.busy) return false;
  }
  return true;
}

void HealthProber::read_status(Probe& p) {
  ByteStream& c = p.request.tls != nullptr ? static_cast<ByteStream&>(p.tls) : *p.conn;
  while (c.readable() > 0 && p.line_length < kStatusPrefix) {
    uint32_t n = 0;
    rte_mbuf* m = c.read(UINT32_MAX, &n);
    if (m == nullptr) break;
    const uint32_t k = std::min<uint32_t>(n, sizeof(p.line) - p.line_length);
    chain_copy(m, 0, k, reinterpret_cast<uint8_t*>(p.line + p.line_length));
    p.line_length = static_cast<uint16_t>(p.line_length + k);
    rte_pktmbuf_free(m);
  }
  if (p.line_length < kStatusPrefix) {
    if (c.end_of_stream()) finish(p, ProbeOutcome::l7_invalid);
    return;
  }
  const char* l = p.line;
  const bool valid = std::memcmp(l, "HTTP/1.", 7) == 0 && digit(l[7]) && l[8] == ' ' && digit(l[9]) &&
                     digit(l[10]) && digit(l[11]);
  if (!valid) {
    finish(p, ProbeOutcome::l7_invalid);
    return;
  }
  const auto status = static_cast<uint16_t>((l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0'));
  finish(p, ProbeOutcome::l7_status, status);
}

void HealthProber::on_closed(TcpConnection& c, TcpCloseReason reason) {
  auto* p = static_cast<Probe*>(c.user_data);
  c.user_data = nullptr;
  if (p == nullptr) return;
  now_us_ = std::max(now_us_, stack_.now_us());
  p->conn = nullptr;  // the handle dies when this returns
  const bool handshaking = p->request.tls != nullptr && !p->tls.handshake_done();
  if (p->tls.active()) p->tls.transport_closed();
  if (!p->connected) {
    finish(*p, reason == TcpCloseReason::timed_out ? ProbeOutcome::l4_timeout : ProbeOutcome::l4_refused);
  } else if (handshaking) {
    finish(*p, ProbeOutcome::l6_failed, static_cast<uint16_t>(TlsFailure::peer_closed));
  } else {
    finish(*p, ProbeOutcome::l7_invalid);
  }
}

void HealthProber::finish(Probe& p, ProbeOutcome outcome, uint16_t status) {
  if (!p.busy) return;
  wheel_.cancel(p.timer);
  if (p.conn != nullptr) {
    p.conn->user_data = nullptr;
    // A check has nothing more to say; a reset spares the server a
    // TIME_WAIT per check, as HAProxy does by default.
    if (p.tls.active()) {
      p.tls.abort();
    } else {
      p.conn->abort();
    }
    p.conn = nullptr;
  } else if (p.tls.active()) {
    p.tls.transport_closed();  // frees what OpenSSL held
  }
  ProbeResult r;
  r.id = p.request.id;
  r.outcome = outcome;
  r.status = status;
  r.duration_us = static_cast<uint32_t>(std::min<uint64_t>(now_us_ - p.started_us, UINT32_MAX));
  done_.push_back(r);
  p.busy = false;
  --in_flight_;
  p.next_free = free_;
  free_ = &p;
}

}  // namespace dplb::dataplane
