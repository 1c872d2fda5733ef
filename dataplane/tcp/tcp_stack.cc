#include "dataplane/tcp/tcp_stack.h"

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <algorithm>

#include "dataplane/port/flow_redirect.h"
#include "dataplane/tcp/tcp_sequence.h"
#include "dataplane/tcp/tcp_isn.h"

namespace dplb::dataplane {

std::string_view tcp_close_reason_name(TcpCloseReason reason) {
  switch (reason) {
    case TcpCloseReason::reset: return "reset";
    case TcpCloseReason::timed_out: return "timed-out";
    case TcpCloseReason::refused: return "refused";
    case TcpCloseReason::aborted: return "aborted";
    case TcpCloseReason::finished: return "finished";
  }
  return "?";
}

std::string_view tcp_drop_reason_name(TcpDropReason reason) {
  switch (reason) {
    case TcpDropReason::bad_segment: return "bad-segment";
    case TcpDropReason::bad_checksum: return "bad-checksum";
    case TcpDropReason::no_listener: return "no-listener";
    case TcpDropReason::out_of_window: return "out-of-window";
    case TcpDropReason::paws: return "paws";
    case TcpDropReason::bad_ack: return "bad-ack";
    case TcpDropReason::rst_ignored: return "rst-ignored";
    case TcpDropReason::syn_in_window: return "syn-in-window";
    case TcpDropReason::backlog_full: return "backlog-full";
    case TcpDropReason::connection_limit: return "connection-limit";
    case TcpDropReason::buffer_limit: return "buffer-limit";
    case TcpDropReason::cookie_invalid: return "cookie-invalid";
    case TcpDropReason::no_port: return "no-port";
    case TcpDropReason::no_route: return "no-route";
    case TcpDropReason::after_close: return "after-close";
    case TcpDropReason::count_: break;
  }
  return "?";
}

namespace {
// Reassembly nodes per connection slot, on average: a gap rarely holds more.
constexpr std::size_t kReassemblyNodesPerConnection = 4;
constexpr std::size_t kMaxReassemblyNodes = 1u << 18;
// What a full-size segment carries (MSS 1460 less 12 bytes of timestamps):
// one mbuf each, so the pool's payload capacity in bytes.
constexpr uint64_t kPayloadPerMbuf = 1448;
}  // namespace

TcpStack::TcpStack(const TcpSettings& settings, TcpPacketSink& sink, rte_mempool* pool, TcpCounters& counters,
                   TcpStackIdentity identity, uint64_t now_us)
    : settings_(settings),
      sink_(sink),
      pool_(pool),
      counters_(counters),
      identity_(identity),
      now_us_(now_us),
      wheel_(now_us / 1000),
      table_(settings.max_connections, identity.secret),
      reassembly_(std::min(kMaxReassemblyNodes, settings.max_connections * kReassemblyNodesPerConnection)) {
  listeners_.reserve(kMaxListeners);
  // The smallest shift that lets the whole buffer be advertised (RFC 7323 2.2).
  while (rcv_wscale_ < kMaxWindowScale && (settings_.connection_buffer >> rcv_wscale_) > 65535) ++rcv_wscale_;
  // Keep an eighth of the pool for frames being received and sent: below
  // that, receive windows close rather than data being dropped.
  mbuf_low_water_ = pool_ != nullptr ? pool_->size / 8 : 0;
  // Windows are offered against what the pool can hold, not only against
  // worker_buffer: a quarter stays for the rings, headers, clones in flight
  // and TLS records, the rest may be payload.
  window_budget_ = settings_.worker_buffer;
  if (pool_ != nullptr) {
    window_budget_ = std::min<uint64_t>(window_budget_, uint64_t{pool_->size - pool_->size / 4} * kPayloadPerMbuf);
  }
  // Start active opens at a point derived from the secret, so port choice
  // is not predictable across restarts.
  const uint32_t span = settings_.local_port_last - settings_.local_port_first + 1u;
  next_local_port_ = static_cast<uint16_t>(settings_.local_port_first + identity_.secret.k0 % span);
}

TcpStack::~TcpStack() {
  abort_all();
  reap();
}

void TcpStack::abort_all() {
  for (auto& chunk : slab_) {
    for (uint32_t i = 0; i < kChunk; ++i) {
      TcpConnection& c = chunk[i];
      if (c.state_ == TcpState::closed || c.reaping_) continue;
      fail(c, TcpCloseReason::aborted);
      deliver(c);
    }
  }
  reap();
}

uint32_t TcpStack::reset_local_address(uint32_t ipv4) {
  uint32_t reset = 0;
  for (auto& chunk : slab_) {
    for (uint32_t i = 0; i < kChunk; ++i) {
      TcpConnection& c = chunk[i];
      if (c.state_ == TcpState::closed || c.reaping_ || c.tuple_.local_address != ipv4) continue;
      if (c.state_ == TcpState::time_wait) {
        // Nothing left to tell anyone: the tuple is simply forgotten.
        finish(c);
        continue;
      }
      // The peer learns at once instead of timing out against the new
      // master, which knows nothing of the connection.
      send_rst(c);
      if (c.state_ == TcpState::syn_received && c.passive_) {
        finish(c);  // the listener forgets it; nobody was told of it yet
      } else {
        fail(c, TcpCloseReason::reset);
      }
      ++reset;
    }
  }
  counters_.vip_resets.add(reset);
  // The applications hear of it here, once the walk is over: what they do
  // in their callbacks (closing the other side, opening new connections)
  // cannot disturb it.
  reap();
  return reset;
}

bool TcpStack::buffers_short() const {
  if (buffered_ >= settings_.worker_buffer) return true;
  return pool_short_;
}

uint64_t TcpStack::buffered_bytes() const { return buffered_; }

void TcpStack::account_window(TcpConnection& c) {
  const uint32_t open = seq_gt(c.rcv_adv_, c.rcv_nxt_) ? c.rcv_adv_ - c.rcv_nxt_ : 0;
  promised_ += open;
  promised_ -= c.promised_;
  c.promised_ = open;
}

TcpConnection* TcpStack::find(const FourTuple& t) {
  const uint32_t h = table_.hash(t);
  const uint32_t slot = table_.find(h, [&](uint32_t s) {
    const FourTuple& o = slab_[s / kChunk][s % kChunk].tuple_;
    return o.remote_address == t.remote_address && o.local_address == t.local_address &&
           o.remote_port == t.remote_port && o.local_port == t.local_port;
  });
  return slot == TcpConnectionTable::kEmpty ? nullptr : &slab_[slot / kChunk][slot % kChunk];
}

TcpConnection* TcpStack::allocate(const FourTuple& tuple) {
  if (live_ >= settings_.max_connections) return nullptr;
  if (free_ == nullptr) {
    // Grow the slab by one chunk: once per 256 connections, not per packet.
    const uint32_t base = static_cast<uint32_t>(slab_.size()) * kChunk;
    slab_.emplace_back(new TcpConnection[kChunk]);
    TcpConnection* chunk = slab_.back().get();
    for (uint32_t i = kChunk; i-- > 0;) {
      chunk[i].slot_ = base + i;
      chunk[i].next_pending_ = free_;
      free_ = &chunk[i];
    }
  }
  TcpConnection* c = free_;
  free_ = c->next_pending_;
  // Reset the slot to a fresh connection (queues are empty, timers disarmed).
  const uint32_t slot = c->slot_;
  c->~TcpConnection();
  new (c) TcpConnection();
  c->slot_ = slot;
  c->stack_ = this;
  c->tuple_ = tuple;
  c->retransmit_timer_.connection = c->delayed_ack_timer_.connection = c->lifetime_timer_.connection = c;
  c->retransmit_timer_.kind = TcpTimerKind::retransmit;
  c->delayed_ack_timer_.kind = TcpTimerKind::delayed_ack;
  c->lifetime_timer_.kind = TcpTimerKind::lifetime;
  c->rtt_.reset(settings_.initial_rto_ms * 1000);
  c->ts_offset_ = hash_four_tuple(identity_.secret, tuple, 0x75);
  c->last_received_ms_ = now_ms();
  table_.insert(table_.hash(tuple), slot);
  ++live_;
  return c;
}

void TcpStack::set_state(TcpConnection& c, TcpState s) {
  if (c.state_ == s) return;
  if (c.state_ != TcpState::closed) counters_.state(c.state_).subtract(1);
  if (s != TcpState::closed) counters_.state(s).increment();
  c.state_ = s;
}

void TcpStack::finish(TcpConnection& c, TcpCloseReason reason) {
  if (c.reaping_) return;
  if (c.app_owned_) {
    // The application still holds it (it half-closed, or has not closed yet).
    c.events_ = kClosed;
    c.close_reason_ = reason;
  }
  if (c.half_open_counted_) {
    if (Listener* l = listener_for(c.listener_port_)) --l->half_open;
    c.half_open_counted_ = false;
  }
  table_.erase(table_.hash(c.tuple_), c.slot_);
  wheel_.cancel(c.retransmit_timer_);
  wheel_.cancel(c.delayed_ack_timer_);
  wheel_.cancel(c.lifetime_timer_);
  buffered_ -= c.send_.bytes() + c.receive_.readable() + c.receive_.held_bytes();
  promised_ -= c.promised_;
  c.promised_ = 0;
  c.send_.clear();
  c.receive_.clear(reassembly_);
  set_state(c, TcpState::closed);
  c.reaping_ = true;
  c.next_pending_ = reap_;
  reap_ = &c;
  --live_;
}

void TcpStack::fail(TcpConnection& c, TcpCloseReason reason) { finish(c, reason); }

void TcpStack::reap() {
  // Connections on the pending list may be reaped; unlink them first.
  if (pending_ != nullptr) {
    TcpConnection** link = &pending_;
    while (*link != nullptr) {
      if ((*link)->reaping_) {
        *link = (*link)->next_pending_;
      } else {
        link = &(*link)->next_pending_;
      }
    }
  }
  while (reap_ != nullptr) {
    TcpConnection* c = reap_;
    reap_ = c->next_pending_;
    if (c->app_owned_ && (c->events_ & kClosed)) deliver(*c);
    c->app_ = nullptr;
    c->app_owned_ = false;
    c->reaping_ = false;
    c->output_pending_ = false;
    c->next_pending_ = free_;
    free_ = c;
  }
}

void TcpStack::deliver(TcpConnection& c) {
  while (c.events_ != 0) {
    const uint8_t ev = c.events_;
    c.events_ = 0;
    TcpApplication* app = c.app_;
    if (app == nullptr || !c.app_owned_) return;
    if (ev & kClosed) {
      c.app_owned_ = false;
      app->on_closed(c, c.close_reason_);
      return;
    }
    if (ev & kAccepted) app->on_accepted(c);
    if (ev & kConnected) app->on_connected(c);
    if (!c.app_owned_ || c.reaping_) return;
    if (ev & kReadable) app->on_readable(c);
    if (!c.app_owned_ || c.reaping_) return;
    if (ev & kWritable) app->on_writable(c);
  }
}

void TcpStack::mark_pending(TcpConnection& c) {
  if (c.output_pending_ || c.reaping_) return;
  c.output_pending_ = true;
  c.next_pending_ = pending_;
  pending_ = &c;
}

void TcpStack::flush_pending() {
  while (pending_ != nullptr) {
    TcpConnection* c = pending_;
    pending_ = c->next_pending_;
    c->next_pending_ = nullptr;
    c->output_pending_ = false;
    if (!c->reaping_) output(*c);
  }
}

TcpStack::Listener* TcpStack::listener_for(uint16_t port) {
  for (auto& l : listeners_) {
    if (l.port == port) return &l;
  }
  return nullptr;
}

bool TcpStack::listen(uint16_t port, TcpApplication* app, const TcpConnectionOptions& options) {
  if (listener_for(port) != nullptr || listeners_.size() >= kMaxListeners) return false;
  listeners_.push_back(Listener{port, app, options, 0});
  return true;
}

bool TcpStack::unlisten(uint16_t port) {
  for (auto it = listeners_.begin(); it != listeners_.end(); ++it) {
    if (it->port != port) continue;
    listeners_.erase(it);
    // Half-open connections of the listener die with it, as on Linux.
    for (auto& chunk : slab_) {
      for (uint32_t i = 0; i < kChunk; ++i) {
        TcpConnection& c = chunk[i];
        if (c.state_ == TcpState::syn_received && c.passive_ && c.listener_port_ == port && !c.reaping_) {
          c.half_open_counted_ = false;
          send_rst(c);
          finish(c);
        }
      }
    }
    reap();
    return true;
  }
  return false;
}

TcpConnection* TcpStack::connect(uint32_t remote_address, uint16_t remote_port, TcpApplication* app,
                                 const TcpConnectionOptions& options, TcpDropReason* why) {
  TcpDropReason reason = TcpDropReason::count_;
  TcpConnection* c = nullptr;
  const std::optional<TcpRoute> route = sink_.route(remote_address);
  if (!route) {
    reason = TcpDropReason::no_route;
  } else if (live_ >= settings_.max_connections) {
    reason = TcpDropReason::connection_limit;
  } else if (buffers_short()) {
    reason = TcpDropReason::buffer_limit;
  } else {
    // Walk this worker's share of the local port range for a free tuple.
    const uint32_t first = settings_.local_port_first;
    const uint32_t span = settings_.local_port_last - first + 1u;
    FourTuple t{route->local_address, remote_address, 0, remote_port};
    for (uint32_t tries = 0; tries < span && c == nullptr; ++tries) {
      const uint16_t port = static_cast<uint16_t>(first + (next_local_port_ - first + 1u) % span);
      next_local_port_ = port;
      if (owner_of_local_id(port, identity_.workers) != identity_.worker) continue;
      t.local_port = port;
      if (find(t) != nullptr) continue;
      c = allocate(t);
    }
    if (c == nullptr) reason = TcpDropReason::no_port;
  }
  if (c == nullptr) {
    counters_.drop(reason).increment();
    if (why != nullptr) *why = reason;
    return nullptr;
  }
  c->app_ = app;
  c->app_owned_ = true;
  c->options_ = options;
  c->passive_ = false;
  c->mss_ = static_cast<uint16_t>(route->mss);
  c->iss_ = initial_sequence_number(identity_.secret, c->tuple_, now_us_ * 1000);
  c->snd_una_ = c->iss_;
  c->snd_nxt_ = c->snd_max_ = c->iss_ + 1;
  c->cc_.init(options.congestion, c->mss_);
  set_state(*c, TcpState::syn_sent);
  counters_.active_opens.increment();
  send_syn(*c);
  arm_retransmit(*c);
  return c;
}

void TcpStack::poll(uint64_t now_us) {
  if (now_us > now_us_) now_us_ = now_us;
  // Counting free mbufs walks all RTE_MAX_LCORE caches of the pool (1 % of
  // a keep-alive request's time when done every pass): once a millisecond
  // is soon enough for a pool that drains over many.
  if (pool_ != nullptr && (now_us_ - pool_sampled_us_ >= 1000 || now_us_ < pool_sampled_us_)) {
    pool_sampled_us_ = now_us_;
    pool_short_ = rte_mempool_avail_count(pool_) < mbuf_low_water_;
  }
  wheel_.advance(now_us_ / 1000, [this](Timer& t) { fire(static_cast<TcpTimer&>(t)); });
  flush_pending();
  reap();
}

// Application side of a connection.

rte_mbuf* TcpConnection::read(uint32_t max_bytes, uint32_t* bytes_read) {
  rte_mbuf* data = receive_.read(max_bytes, bytes_read);
  if (*bytes_read == 0) return data;
  stack_->buffered_ -= *bytes_read;
  // Tell the peer at once only when the window it knows had shrunk to half
  // of what is open now (Linux's rule): an application that reads promptly
  // leaves acknowledgements to the delayed-ACK logic.
  const uint32_t window = stack_->receive_window(*this);
  const uint32_t known = seq_gt(rcv_adv_, rcv_nxt_) ? rcv_adv_ - rcv_nxt_ : 0;
  if (window >= 2u * known && window - known >= mss_ && tcp_synchronized(state_)) {
    ack_now_ = true;
    stack_->mark_pending(*this);
  }
  return data;
}

uint32_t TcpConnection::send_space() const {
  const uint32_t cap = stack_->settings_.connection_buffer;
  return send_.bytes() >= cap ? 0 : cap - send_.bytes();
}

bool TcpConnection::write(rte_mbuf* chain) {
  if (chain == nullptr) return true;
  if (write_shutdown_ || reaping_ || state_ == TcpState::closed) {
    rte_pktmbuf_free(chain);
    return false;
  }
  const uint32_t before = send_.bytes();
  send_.append(chain);
  stack_->buffered_ += send_.bytes() - before;
  stack_->mark_pending(*this);
  return true;
}

uint32_t TcpConnection::write_copy(const void* data, uint32_t length) {
  if (write_shutdown_ || reaping_ || state_ == TcpState::closed) return 0;
  const uint32_t n = send_.append_copy(static_cast<const uint8_t*>(data), length, stack_->pool_);
  stack_->buffered_ += n;
  stack_->mark_pending(*this);
  return n;
}

void TcpConnection::shutdown_write() {
  if (write_shutdown_ || reaping_) return;
  switch (state_) {
    case TcpState::syn_sent:
    case TcpState::syn_received:
    case TcpState::established:
    case TcpState::close_wait:
      break;
    default:
      return;
  }
  write_shutdown_ = true;
  // In SYN_SENT the queue starts after our SYN, at SND.NXT.
  fin_seq_ = (state_ == TcpState::syn_sent ? snd_nxt_ : snd_una_) + send_.bytes();
  // RFC 9293 3.10.4: the state changes now; the FIN follows the queued data.
  if (state_ == TcpState::established) {
    stack_->set_state(*this, TcpState::fin_wait_1);
  } else if (state_ == TcpState::close_wait) {
    stack_->set_state(*this, TcpState::last_ack);
  }
  stack_->mark_pending(*this);
}

void TcpConnection::close() {
  if (!app_owned_) return;
  app_owned_ = false;
  app_closed_ = true;
  events_ = 0;
  if (reaping_) return;
  if (state_ == TcpState::syn_sent) {  // nothing to finish with the peer
    stack_->finish(*this);
    return;
  }
  if (receive_.readable() > 0) {
    // Unread data is lost: tell the peer so, as RFC 9293 3.10.4 / Linux do.
    stack_->send_rst(*this);
    stack_->finish(*this);
    return;
  }
  shutdown_write();
  if (state_ == TcpState::fin_wait_2) stack_->arm_lifetime(*this);
}

void TcpConnection::abort() {
  if (!app_owned_) return;
  app_owned_ = false;
  app_closed_ = true;
  events_ = 0;
  if (reaping_) return;
  if (state_ != TcpState::syn_sent) stack_->send_rst(*this);
  stack_->finish(*this);
}

}  // namespace dplb::dataplane
