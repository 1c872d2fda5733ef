#pragma once

// A small simulated network for the HTTP proxy: hosts keyed by IPv4
// address (clients, the proxy host, servers), each with its own worker TCP
// stack, joined by one switch that carries every frame to the host owning
// its destination address after a delay (with seeded loss and jitter when
// asked), all on one virtual clock. The proxy host runs an HttpProxy the
// way a worker does: frames received, then proxy.poll(now), then the
// stack's poll(now). The peers are small TcpApplications: an HTTP client
// that writes given bytes and keeps what comes back, and an HTTP server
// whose behaviour the test picks (answer with its name, echo the request
// head, stream a large body, switch to a tunnel, stay silent, close, send
// garbage...). Everything is deterministic for a given seed.

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.h"
#include "dataplane/proxy/access_log_ring.h"
#include "dataplane/proxy/http_proxy.h"
#include "dataplane/proxy/proxy_counters.h"
#include "dataplane/proxy/proxy_snapshot.h"
#include "dataplane/tcp/tcp_stack.h"
#include "dataplane/tcp/tcp_segment.h"
#include "tests/sim/sim_link.h"
#include "tests/sim/tcp_sim.h"

namespace dplb::testing {

inline constexpr uint32_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d;
}

// The byte at `offset` of a streamed body: printable, and shifting every
// 251 bytes so that no short period repeats; a byte lost, doubled or moved
// shows.
inline char body_pattern(uint64_t offset) { return static_cast<char>('!' + (offset * 7 + offset / 251) % 90); }

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

inline std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// ---- Parsing on the peers' side -------------------------------------------

// A head's start line and fields, parsed leniently (the peers trust dplb).
struct SimHead {
  std::string start_line;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string text;  // the whole head, final empty line included

  // The first field of that name, or nullopt.
  std::optional<std::string> field(std::string_view name) const {
    for (const auto& [n, v] : fields) {
      if (lower(n) == lower(name)) return v;
    }
    return std::nullopt;
  }
  std::size_t count(std::string_view name) const {
    std::size_t n = 0;
    for (const auto& f : fields) n += lower(f.first) == lower(name) ? 1 : 0;
    return n;
  }
  bool has_token(std::string_view name, std::string_view token) const {
    for (const auto& [n, v] : fields) {
      if (lower(n) != lower(name)) continue;
      std::string_view rest = v;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        if (lower(trim(rest.substr(0, comma))) == lower(token)) return true;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
    return false;
  }
};

// Parses a head at the start of `bytes`; nullopt while it is incomplete.
inline std::optional<SimHead> parse_sim_head(std::string_view bytes, std::size_t* length) {
  const auto end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) return std::nullopt;
  SimHead h;
  h.text = std::string(bytes.substr(0, end + 4));
  *length = end + 4;
  std::string_view rest = bytes.substr(0, end + 2);
  bool first = true;
  while (!rest.empty()) {
    const auto eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    if (first) {
      h.start_line = std::string(line);
      first = false;
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    h.fields.emplace_back(std::string(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  return h;
}

// Decodes a chunked body at the start of `bytes`: true once complete, with
// *consumed covering the chunks, trailers and final CRLF; false while more
// is needed. Throws on malformed framing.
inline bool decode_chunked(std::string_view bytes, std::string* payload, std::size_t* consumed) {
  std::size_t pos = 0;
  payload->clear();
  for (;;) {
    const auto eol = bytes.find("\r\n", pos);
    if (eol == std::string_view::npos) return false;
    std::string_view size_line = bytes.substr(pos, eol - pos);
    size_line = size_line.substr(0, size_line.find(';'));
    const std::string digits(size_line);
    char* end = nullptr;
    const uint64_t size = std::strtoull(digits.c_str(), &end, 16);
    if (digits.empty() || end != digits.c_str() + digits.size()) throw std::runtime_error("bad chunk size");
    pos = eol + 2;
    if (size == 0) {
      // Trailers, then an empty line.
      for (;;) {
        const auto t = bytes.find("\r\n", pos);
        if (t == std::string_view::npos) return false;
        const bool empty = t == pos;
        pos = t + 2;
        if (empty) {
          *consumed = pos;
          return true;
        }
      }
    }
    if (bytes.size() < pos + size + 2) return false;
    payload->append(bytes.substr(pos, size));
    if (bytes.substr(pos + size, 2) != "\r\n") throw std::runtime_error("chunk without CRLF");
    pos += size + 2;
  }
}

struct SimResponse {
  SimHead head;
  int status = 0;
  std::string body;  // decoded
  bool chunked = false;
};

// Splits what a client received into responses; `head_requests[i]` says
// whether the i-th final response answers a HEAD. An interim (1xx other
// than 101) response is listed as a response of its own. A body that ends
// with the connection takes what is left when `until_close` is set.
inline std::vector<SimResponse> parse_responses(std::string_view bytes, const std::vector<bool>& head_requests = {},
                                                bool until_close = false, std::size_t* used = nullptr) {
  std::vector<SimResponse> out;
  std::size_t pos = 0;
  std::size_t finals = 0;
  while (pos < bytes.size()) {
    std::size_t length = 0;
    const auto head = parse_sim_head(bytes.substr(pos), &length);
    if (!head) break;
    SimResponse r;
    r.head = *head;
    r.status = std::atoi(head->start_line.substr(9, 3).c_str());
    std::size_t body_start = pos + length;
    const bool interim = r.status >= 100 && r.status < 200 && r.status != 101;
    const bool is_head = !interim && finals < head_requests.size() && head_requests[finals];
    if (interim || r.status == 101 || r.status == 204 || r.status == 304 || is_head) {
      pos = body_start;
    } else if (head->has_token("transfer-encoding", "chunked")) {
      r.chunked = true;
      std::size_t consumed = 0;
      if (!decode_chunked(bytes.substr(body_start), &r.body, &consumed)) break;
      pos = body_start + consumed;
    } else if (const auto cl = head->field("content-length")) {
      const uint64_t n = std::stoull(*cl);
      if (bytes.size() - body_start < n) break;
      r.body = std::string(bytes.substr(body_start, n));
      pos = body_start + n;
    } else {
      if (!until_close) break;
      r.body = std::string(bytes.substr(body_start));
      pos = bytes.size();
    }
    if (!interim) ++finals;
    out.push_back(std::move(r));
  }
  if (used != nullptr) *used = pos;
  return out;
}

// Counts complete final responses in a growing byte string without
// re-reading what it has already passed, so waiting for the end of a large
// body costs one pass over it rather than one per simulation step.
class SimResponseScanner {
 public:
  explicit SimResponseScanner(std::vector<bool> head_requests = {}) : head_requests_(std::move(head_requests)) {}

  // Looks at what was added to `in` since the last call; returns the final
  // responses complete so far.
  std::size_t scan(std::string_view in) {
    for (;;) {
      switch (state_) {
        case State::head: {
          const auto end = in.find("\r\n\r\n", std::max(pos_, search_from_));
          if (end == std::string_view::npos) {
            search_from_ = in.size() >= 3 ? std::max(pos_, in.size() - 3) : pos_;
            return finals_;
          }
          std::size_t length = 0;
          const auto head = parse_sim_head(in.substr(pos_), &length);
          pos_ += length;
          search_from_ = pos_;
          const int status = std::atoi(head->start_line.substr(9, 3).c_str());
          const bool interim = status >= 100 && status < 200 && status != 101;
          if (interim) break;
          const bool is_head = finals_ < head_requests_.size() && head_requests_[finals_];
          if (status == 101 || status == 204 || status == 304 || is_head) {
            ++finals_;
          } else if (head->has_token("transfer-encoding", "chunked")) {
            state_ = State::chunk_size;
          } else if (const auto cl = head->field("content-length")) {
            remaining_ = std::stoull(*cl);
            state_ = State::length;
          } else {
            state_ = State::until_close;
          }
          break;
        }
        case State::length: {
          const uint64_t n = std::min<uint64_t>(remaining_, in.size() - pos_);
          pos_ += n;
          remaining_ -= n;
          if (remaining_ != 0) return finals_;
          ++finals_;
          state_ = State::head;
          break;
        }
        case State::chunk_size: {
          const auto eol = in.find("\r\n", pos_);
          if (eol == std::string_view::npos) return finals_;
          const std::string line(in.substr(pos_, eol - pos_));
          remaining_ = std::strtoull(line.c_str(), nullptr, 16);
          pos_ = eol + 2;
          state_ = remaining_ == 0 ? State::trailers : State::chunk_data;
          remaining_ += remaining_ == 0 ? 0 : 2;  // the CRLF after the data
          break;
        }
        case State::chunk_data: {
          const uint64_t n = std::min<uint64_t>(remaining_, in.size() - pos_);
          pos_ += n;
          remaining_ -= n;
          if (remaining_ != 0) return finals_;
          state_ = State::chunk_size;
          break;
        }
        case State::trailers: {
          const auto eol = in.find("\r\n", pos_);
          if (eol == std::string_view::npos) return finals_;
          const bool empty = eol == pos_;
          pos_ = eol + 2;
          if (empty) {
            ++finals_;
            state_ = State::head;
          }
          break;
        }
        case State::until_close:
          return finals_;
      }
    }
  }

 private:
  enum class State : uint8_t { head, length, chunk_size, chunk_data, trailers, until_close };
  std::vector<bool> head_requests_;
  State state_ = State::head;
  std::size_t pos_ = 0;
  std::size_t search_from_ = 0;
  uint64_t remaining_ = 0;
  std::size_t finals_ = 0;
};

// ---- The network -----------------------------------------------------------

class ProxySim;

struct NetProfile {
  uint64_t delay_us = 20;   // one way, per frame
  uint64_t jitter_us = 0;   // extra delay drawn per frame: reorders
  double loss = 0.0;        // probability a frame is dropped
};

// Something driven by the clock besides the stacks (a client sending its
// pieces, a server answering late).
class SimTicker {
 public:
  virtual ~SimTicker() = default;
  virtual void tick(uint64_t now_us) = 0;
};

struct SimHost final : dataplane::TcpPacketSink {
  SimHost(ProxySim* sim, uint32_t address, rte_mempool* pool) : sim(sim), address(address), pool(pool) {}
  void send(rte_mbuf* packet, uint32_t) override;
  std::optional<dataplane::TcpRoute> route(uint32_t) override { return dataplane::TcpRoute{address, 1460}; }

  ProxySim* sim;
  uint32_t address;
  rte_mempool* pool;  // received frames are copied into mbufs of this pool
  dataplane::TcpCounters counters;
  std::unique_ptr<dataplane::TcpStack> stack;
  uint64_t frames_sent = 0;
  uint64_t frames_received = 0;
};

inline dataplane::TcpSettings sim_tcp_settings() {
  dataplane::TcpSettings s;
  s.max_connections = 1024;
  s.syn_backlog = 256;
  s.time_wait_ms = 1000;
  s.fin_wait_2_ms = 2000;
  s.delayed_ack_ms = 10;
  return s;
}

class ProxySim {
 public:
  static constexpr uint32_t kProxyAddress = ipv4(10, 0, 1, 1);
  static uint32_t client_address(uint32_t i) { return ipv4(10, 0, 0, static_cast<uint8_t>(1 + i)); }
  static uint32_t server_address(uint32_t i) { return ipv4(10, 0, 2, static_cast<uint8_t>(1 + i)); }

  ProxySim(NetProfile profile, uint64_t seed) : profile_(profile), random_(seed), seed_(seed) {}

  ~ProxySim() { shutdown(); }

  // As a worker shuts down: the proxy host's stack goes first and tells
  // the proxy its connections are gone, then the proxy frees what it
  // holds; the peers' stacks go before the applications they call.
  void shutdown() {
    if (proxy_host_ != nullptr) proxy_host_->stack.reset();
    proxy_.reset();
    for (auto& [address, host] : hosts_) host->stack.reset();
  }

  SimHost& add_host(uint32_t address, rte_mempool* pool, const dataplane::TcpSettings& settings) {
    auto host = std::make_unique<SimHost>(this, address, pool);
    dataplane::TcpStackIdentity identity{0, 1, {seed_ ^ (address * 0x9e3779b97f4a7c15ull), seed_ + address}};
    host->stack = std::make_unique<dataplane::TcpStack>(settings, *host, pool, host->counters, identity, now_us_);
    SimHost& h = *host;
    hosts_[address] = std::move(host);
    return h;
  }

  // The proxy host: its stack and the HttpProxy on it, started.
  dataplane::HttpProxy& add_proxy(rte_mempool* pool, const dataplane::TcpSettings& settings,
                                  const dataplane::ProxySnapshot* snapshot, dataplane::ProxyCounters& counters,
                                  dataplane::AccessLogRing* log) {
    proxy_host_ = &add_host(kProxyAddress, pool, settings);
    proxy_ = std::make_unique<dataplane::HttpProxy>(*proxy_host_->stack, pool, snapshot, counters, log, seed_);
    if (!proxy_->start()) throw std::runtime_error("the proxy could not listen");
    return *proxy_;
  }

  void add_ticker(SimTicker* t) { tickers_.push_back(t); }
  void remove_ticker(SimTicker* t) { tickers_.erase(std::remove(tickers_.begin(), tickers_.end(), t), tickers_.end()); }

  // A frame leaves `from`: it reaches the host owning its destination
  // address after the link's delay, unless lost; frames to nobody vanish.
  void transmit(WireFrame frame) {
    ++frames_sent_;
    if (profile_.loss > 0 && random_.unit() < profile_.loss) {
      ++frames_lost_;
      if (trace_port_ != 0) trace(frame, "LOST ");
      return;
    }
    const uint8_t* d = frame.data() + 14 + 16;
    const uint32_t destination = (uint32_t{d[0]} << 24) | (uint32_t{d[1]} << 16) | (uint32_t{d[2]} << 8) | d[3];
    const uint64_t jitter = profile_.jitter_us != 0 ? random_.below(profile_.jitter_us + 1) : 0;
    in_flight_.push(InFlight{now_us_ + std::max<uint64_t>(profile_.delay_us, 1) + jitter, next_sequence_++,
                             destination, std::move(frame)});
  }

  // One pass: due frames to their hosts, the clock-driven peers, the
  // proxy's timers, then every stack's poll.
  void step() {
    while (!in_flight_.empty() && in_flight_.top().arrival_us <= now_us_) {
      InFlight f = std::move(const_cast<InFlight&>(in_flight_.top()));
      in_flight_.pop();
      auto it = hosts_.find(f.destination);
      if (it == hosts_.end() || it->second->stack == nullptr) continue;
      if (trace_port_ != 0) trace(f.frame, "");
      ++it->second->frames_received;
      if (!deliver_frame(f.frame, it->second->pool, *it->second->stack)) ++unparsed_;
    }
    for (std::size_t i = 0; i < tickers_.size(); ++i) tickers_[i]->tick(now_us_);
    if (proxy_ != nullptr) proxy_->poll(now_us_);
    for (auto& [address, host] : hosts_) {
      if (host->stack != nullptr) host->stack->poll(now_us_);
    }
  }

  // Runs until `done()` holds or `limit_us` of virtual time has passed.
  // Time moves to the next arrival, at most `step_us` at a time.
  template <class Done>
  bool run_until(Done&& done, uint64_t limit_us) {
    const uint64_t end = now_us_ + limit_us;
    for (;;) {
      step();
      if (done()) return true;
      if (now_us_ >= end) return false;
      const uint64_t next_arrival = in_flight_.empty() ? UINT64_MAX : in_flight_.top().arrival_us;
      now_us_ = std::min(end, std::max(now_us_ + 1, std::min(next_arrival, now_us_ + step_us_)));
    }
  }
  void run_for(uint64_t us) {
    run_until([] { return false; }, us);
  }

  uint64_t now_us() const { return now_us_; }
  void set_step_us(uint64_t us) { step_us_ = us; }
  // Keeps a line for every frame to or from `port` (delivered or lost).
  void trace_port(uint16_t port) { trace_port_ = port; }
  const std::vector<std::string>& trace() const { return trace_; }
  SimHost& host(uint32_t address) { return *hosts_.at(address); }
  SimHost& proxy_host() { return *proxy_host_; }
  dataplane::HttpProxy& proxy() { return *proxy_; }
  uint64_t unparsed_frames() const { return unparsed_; }
  uint64_t frames_lost() const { return frames_lost_; }
  std::size_t frames_in_flight() const { return in_flight_.size(); }

 private:
  struct InFlight {
    uint64_t arrival_us;
    uint64_t sequence;
    uint32_t destination;
    WireFrame frame;
    bool operator>(const InFlight& o) const {
      return arrival_us != o.arrival_us ? arrival_us > o.arrival_us : sequence > o.sequence;
    }
  };

  void trace(const WireFrame& f, const char* what) {
    const uint8_t* ip = f.data() + 14;
    const uint32_t ihl = (ip[0] & 0x0f) * 4u;
    const uint8_t* t = ip + ihl;
    auto be16 = [](const uint8_t* p) { return static_cast<uint32_t>(p[0] << 8 | p[1]); };
    auto be32 = [](const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; };
    const uint32_t sport = be16(t);
    const uint32_t dport = be16(t + 2);
    if (sport != trace_port_ && dport != trace_port_) return;
    const uint32_t thl = (t[12] >> 4) * 4u;
    const uint32_t payload = be16(ip + 2) - ihl - thl;
    const char* names = "FSRPAUEC";
    std::string flags;
    for (int i = 0; i < 8; ++i) {
      if (t[13] & (1 << i)) flags += names[i];
    }
    trace_.push_back(std::to_string(now_us_) + " " + what + std::to_string(sport) + ">" + std::to_string(dport) + " " +
                     flags + " seq " + std::to_string(be32(t + 4)) + " ack " + std::to_string(be32(t + 8)) + " len " +
                     std::to_string(payload) + " win " + std::to_string(be16(t + 14)));
  }

  NetProfile profile_;
  SplitMix64 random_;
  uint64_t seed_;
  uint16_t trace_port_ = 0;
  std::vector<std::string> trace_;
  uint64_t now_us_ = 1'000'000;  // away from zero: zero means "unset" in places
  uint64_t step_us_ = 100;
  uint64_t next_sequence_ = 1;
  uint64_t frames_sent_ = 0;
  uint64_t frames_lost_ = 0;
  uint64_t unparsed_ = 0;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> in_flight_;
  std::map<uint32_t, std::unique_ptr<SimHost>> hosts_;
  SimHost* proxy_host_ = nullptr;
  std::unique_ptr<dataplane::HttpProxy> proxy_;
  std::vector<SimTicker*> tickers_;
};

inline void SimHost::send(rte_mbuf* packet, uint32_t) {
  // A 14-byte stand-in for the Ethernet header keeps the receive path the
  // worker's (deliver_frame parses after it).
  const uint32_t length = rte_pktmbuf_pkt_len(packet);
  WireFrame frame(14 + length);
  const auto* p = static_cast<const uint8_t*>(rte_pktmbuf_read(packet, 0, length, frame.data() + 14));
  if (p != frame.data() + 14) std::memcpy(frame.data() + 14, p, length);
  frame[12] = 0x08;
  rte_pktmbuf_free(packet);
  ++frames_sent;
  sim->transmit(std::move(frame));
}

// Reads every byte waiting on `c` into `out`.
inline void read_all(dataplane::ByteStream& c, std::string* out) {
  uint32_t n = 0;
  while (c.readable() > 0) {
    rte_mbuf* m = c.read(UINT32_MAX, &n);
    if (m == nullptr) break;
    for (rte_mbuf* s = m; s != nullptr; s = s->next) out->append(rte_pktmbuf_mtod(s, const char*), s->data_len);
    rte_pktmbuf_free(m);
  }
}

// Writes from `*out` (from *offset) as far as the send queue allows.
inline void write_some(dataplane::ByteStream& c, const std::string& out, std::size_t* offset) {
  while (*offset < out.size()) {
    const uint32_t space = c.send_space();
    if (space == 0) {
      c.want_writable();
      return;
    }
    const uint32_t n = static_cast<uint32_t>(std::min<std::size_t>(out.size() - *offset, std::min(space, 65536u)));
    const uint32_t queued = c.write_copy(out.data() + *offset, n);
    *offset += queued;
    if (queued < n) {
      c.want_writable();
      return;
    }
  }
}

// ---- The client --------------------------------------------------------------

// HTTP clients: each connection writes what the test gives it (all at once
// or in pieces, one piece per step) and keeps everything it receives.
class SimHttpClient final : public dataplane::TcpApplication, public SimTicker {
 public:
  struct Conn {
    dataplane::TcpConnection* conn = nullptr;
    bool connected = false;
    bool eof = false;       // the peer's FIN arrived
    bool closed = false;    // the stack ended it (reset, timeout, ...)
    bool we_closed = false;
    dataplane::TcpCloseReason reason{};
    std::string out;
    std::size_t out_offset = 0;
    std::deque<std::string> pieces;
    bool shutdown_after_send = false;
    bool paused = false;
    std::string in;
    bool done() const { return eof || closed || we_closed; }
  };

  SimHttpClient(ProxySim& sim, SimHost& host) : sim_(sim), host_(host) { sim_.add_ticker(this); }
  ~SimHttpClient() override { sim_.remove_ticker(this); }

  // Opens a connection to the proxy's port 80; returns its index.
  int open(uint16_t port = 80, uint32_t address = ProxySim::kProxyAddress) {
    conns_.push_back(std::make_unique<Conn>());
    Conn& c = *conns_.back();
    c.conn = host_.stack->connect(address, port, this, host_.stack->settings().defaults);
    if (c.conn == nullptr) throw std::runtime_error("client connect failed");
    c.conn->user_data = &c;
    return static_cast<int>(conns_.size() - 1);
  }

  void send(int i, std::string_view bytes) {
    Conn& c = *conns_[i];
    c.out.append(bytes);
    if (c.connected && c.conn != nullptr) pump(c);
  }
  // Sends `bytes` in pieces of random sizes up to `max_piece`, one per step.
  void send_in_pieces(int i, std::string_view bytes, uint64_t seed, std::size_t max_piece) {
    SplitMix64 r(seed);
    Conn& c = *conns_[i];
    while (!bytes.empty()) {
      const std::size_t n = std::min<std::size_t>(bytes.size(), 1 + r.below(max_piece));
      c.pieces.emplace_back(bytes.substr(0, n));
      bytes.remove_prefix(n);
    }
  }
  // FIN once everything queued has been written.
  void shutdown(int i) {
    Conn& c = *conns_[i];
    c.shutdown_after_send = true;
    if (c.connected && c.conn != nullptr) pump(c);
  }
  void close(int i) {
    Conn& c = *conns_[i];
    if (c.conn == nullptr) return;
    c.conn->user_data = nullptr;
    c.conn->close();
    c.conn = nullptr;
    c.we_closed = true;
  }
  void abort(int i) {
    Conn& c = *conns_[i];
    if (c.conn == nullptr) return;
    c.conn->user_data = nullptr;
    c.conn->abort();
    c.conn = nullptr;
    c.we_closed = true;
  }
  void close_all() {
    for (std::size_t i = 0; i < conns_.size(); ++i) close(static_cast<int>(i));
  }

  Conn& conn(int i) { return *conns_[i]; }
  const std::string& received(int i) const { return conns_[i]->in; }
  std::size_t size() const { return conns_.size(); }

  // Runs until connection i has `n` complete final responses (or ended).
  bool wait_responses(int i, std::size_t n, uint64_t limit_us, const std::vector<bool>& head_requests = {}) {
    SimResponseScanner scanner(head_requests);
    return sim_.run_until([&] { return scanner.scan(conns_[i]->in) >= n || conns_[i]->done(); }, limit_us);
  }
  bool wait_done(int i, uint64_t limit_us) {
    return sim_.run_until([&] { return conns_[i]->done(); }, limit_us);
  }

  void on_connected(dataplane::TcpConnection& c) override {
    Conn* k = static_cast<Conn*>(c.user_data);
    if (k == nullptr) return;
    k->connected = true;
    pump(*k);
  }
  // A paused connection reads nothing: its receive window fills and closes.
  void pause(int i) { conns_[i]->paused = true; }
  void resume(int i) {
    Conn& k = *conns_[i];
    k.paused = false;
    if (k.conn != nullptr) on_readable(*k.conn);
  }

  void on_readable(dataplane::TcpConnection& c) override {
    Conn* k = static_cast<Conn*>(c.user_data);
    if (k == nullptr || k->paused) return;
    read_all(c, &k->in);
    if (c.end_of_stream() && !k->eof) {
      // Everything has been read; the test decides nothing more here.
      k->eof = true;
      c.user_data = nullptr;
      c.close();
      k->conn = nullptr;
    }
  }
  void on_writable(dataplane::TcpConnection& c) override {
    Conn* k = static_cast<Conn*>(c.user_data);
    if (k != nullptr) pump(*k);
  }
  void on_closed(dataplane::TcpConnection& c, dataplane::TcpCloseReason reason) override {
    Conn* k = static_cast<Conn*>(c.user_data);
    if (k == nullptr) return;
    read_all(c, &k->in);
    k->closed = true;
    k->reason = reason;
    k->conn = nullptr;
  }

  void tick(uint64_t) override {
    for (auto& c : conns_) {
      if (c->conn == nullptr || !c->connected || c->pieces.empty()) continue;
      c->out.append(c->pieces.front());
      c->pieces.pop_front();
      pump(*c);
    }
  }

 private:
  void pump(Conn& c) {
    write_some(*c.conn, c.out, &c.out_offset);
    if (c.shutdown_after_send && c.pieces.empty() && c.out_offset == c.out.size()) c.conn->shutdown_write();
  }

  ProxySim& sim_;
  SimHost& host_;
  std::vector<std::unique_ptr<Conn>> conns_;
};

// ---- The server --------------------------------------------------------------

struct SimRequest {
  SimHead head;
  std::string method;
  std::string target;
  std::string version;
  std::string body;  // decoded
  bool chunked = false;
  int connection = 0;  // which accepted connection of the server
};

enum class ServerMode : uint8_t {
  name,            // 200 with the server's name as the body
  echo_head,       // 200 with the request head as the body
  stream,          // 200 with `stream_bytes` pattern bytes (Content-Length or chunked)
  tunnel,          // 101, then echo every byte
  silent,          // never answer
  close,           // close without answering
  garbage,         // a head that is not HTTP
  close_mid_body,  // a head promising more than is sent, then FIN
  stall_mid_body,  // a head promising more than is sent, then nothing
  custom,          // whatever `custom` returns, as is
};

struct ServerBehaviour {
  ServerMode mode = ServerMode::name;
  uint64_t stream_bytes = 0;
  bool chunked = false;
  uint32_t chunk_size = 10000;
  uint64_t delay_us = 0;      // before answering each request
  bool send_continue = true;  // answer Expect: 100-continue at once
  bool close_after_answer = false;  // FIN after each answer, whatever the request said
  // After answering this many requests on a connection, read on but answer
  // nothing more and close `close_delay_us` later (0: no limit).
  uint32_t requests_per_connection = 0;
  uint64_t close_delay_us = 0;
  bool answer_on_head = false;  // answer as soon as the head is in, body or not
  uint32_t trickle = 0;         // write at most this many bytes per step (0: as fast as possible)
  uint64_t read_pause_us = 0;   // read nothing for this long after accepting (the window fills)
  std::function<std::string(const SimRequest&)> custom;
  // When set, picks the mode for each request (`mode` otherwise).
  std::function<ServerMode(const SimRequest&)> mode_for;
};

class SimHttpServer final : public dataplane::TcpApplication, public SimTicker {
 public:
  struct Conn {
    int id = 0;
    // What requests are read from and answers written to: the TCP
    // connection, or its TLS stream once the handshake is done.
    dataplane::ByteStream* conn = nullptr;
    dataplane::TcpConnection* tcp = nullptr;
    std::unique_ptr<dataplane::TlsStream> tls;  // with use_tls
    std::string in;
    std::size_t in_offset = 0;
    std::string out;
    std::size_t out_offset = 0;
    bool continue_sent = false;
    bool tunnel = false;
    bool busy = false;           // an answer is being prepared or streamed
    uint64_t answer_at_us = 0;
    std::optional<SimRequest> waiting;
    uint64_t close_at_us = 0;    // requests_per_connection reached: close then
    bool retired = false;
    uint64_t stream_left = 0;    // payload bytes still to stream
    uint64_t stream_offset = 0;
    bool stream_chunked = false;
    bool close_after = false;
    bool peer_eof = false;
    bool closed = false;
    bool discard = false;        // answer_on_head: everything after is dropped
    uint64_t read_from_us = 0;   // read_pause_us
    ServerMode mode = ServerMode::name;  // of the request being answered
    dataplane::TcpCloseReason reason{};
    uint32_t requests = 0;
  };

  SimHttpServer(ProxySim& sim, SimHost& host, std::string name, ServerBehaviour behaviour, bool listen = true)
      : sim_(sim), host_(host), name_(std::move(name)), behaviour_(std::move(behaviour)) {
    sim_.add_ticker(this);
    if (listen && !host_.stack->listen(80, this, host_.stack->settings().defaults)) {
      throw std::runtime_error("server listen failed");
    }
  }
  ~SimHttpServer() override { sim_.remove_ticker(this); }

  // Later connections are TLS (server side) with this context.
  void use_tls(SSL_CTX* context) { tls_context_ = context; }
  std::size_t tls_handshakes() const { return tls_handshakes_; }
  std::size_t tls_resumed() const { return tls_resumed_; }
  std::size_t tls_failures() const { return tls_failures_; }

  ServerBehaviour& behaviour() { return behaviour_; }
  const std::string& name() const { return name_; }
  const std::vector<SimRequest>& requests() const { return requests_; }
  std::size_t accepted() const { return conns_.size(); }
  std::size_t resets() const { return resets_; }
  std::size_t open_connections() const {
    std::size_t n = 0;
    for (const auto& c : conns_) n += c->tcp != nullptr ? 1 : 0;
    return n;
  }
  // Bytes queued for sending on all connections.
  uint64_t bytes_sent() const { return bytes_sent_; }
  // Bytes received on all connections, requests or not.
  uint64_t bytes_received() const {
    uint64_t n = 0;
    for (const auto& c : conns_) n += c->in.size();
    return n;
  }
  Conn& conn(std::size_t i) { return *conns_[i]; }

  void on_accepted(dataplane::TcpConnection& c) override {
    conns_.push_back(std::make_unique<Conn>());
    Conn& k = *conns_.back();
    k.id = static_cast<int>(conns_.size() - 1);
    k.tcp = &c;
    k.read_from_us = sim_.now_us() + behaviour_.read_pause_us;
    c.user_data = &k;
    if (tls_context_ == nullptr) {
      k.conn = &c;
      return;
    }
    k.tls = std::make_unique<dataplane::TlsStream>();
    if (!k.tls->accept(c, tls_context_, host_.pool)) {
      ++tls_failures_;
      c.user_data = nullptr;
      c.abort();
      k.tcp = nullptr;
    }
  }
  void on_readable(dataplane::TcpConnection& c) override {
    Conn* k = static_cast<Conn*>(c.user_data);
    if (k == nullptr || sim_.now_us() < k->read_from_us) return;
    if (k->tls != nullptr && !tls_readable(*k)) return;
    read_all(*k->conn, &k->in);
    if (k->conn->end_of_stream()) k->peer_eof = true;
    process(*k);
  }
  void on_writable(dataplane::TcpConnection& c) override {
    Conn* k = static_cast<Conn*>(c.user_data);
    if (k == nullptr) return;
    pump(*k);
    process(*k);
  }
  void on_closed(dataplane::TcpConnection& c, dataplane::TcpCloseReason reason) override {
    Conn* k = static_cast<Conn*>(c.user_data);
    if (k == nullptr) return;
    if (k->tls != nullptr) k->tls->transport_closed();
    k->closed = true;
    k->reason = reason;
    k->conn = nullptr;
    k->tcp = nullptr;
    if (reason == dataplane::TcpCloseReason::reset) ++resets_;
  }
  void tick(uint64_t now_us) override {
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      auto& k = conns_[i];
      if (k->tcp != nullptr && behaviour_.read_pause_us != 0 && now_us >= k->read_from_us &&
          k->tcp->readable() > 0) {
        on_readable(*k->tcp);
      }
      if (k->conn != nullptr && behaviour_.trickle != 0) {
        pump(*k);
        process(*k);
      }
      if (k->conn != nullptr && k->retired && now_us >= k->close_at_us && k->out_offset == k->out.size()) {
        finish(*k, false);
      }
      if (k->conn == nullptr || !k->waiting || now_us < k->answer_at_us) continue;
      SimRequest r = std::move(*k->waiting);
      k->waiting.reset();
      answer(*k, r);
      if (k->conn != nullptr) process(*k);
    }
  }

 private:
  void finish(Conn& k, bool abort) {
    if (k.tcp == nullptr) return;
    k.tcp->user_data = nullptr;
    dataplane::ByteStream* stream = k.conn;
    if (stream == nullptr) stream = k.tls != nullptr && k.tls->active() ? static_cast<dataplane::ByteStream*>(k.tls.get()) : k.tcp;
    if (abort) {
      stream->abort();
    } else {
      stream->close();
    }
    k.conn = nullptr;
    k.tcp = nullptr;
  }

  // Drives the handshake; true once the stream carries requests.
  bool tls_readable(Conn& k) {
    switch (k.tls->transport_readable()) {
      case dataplane::TlsStream::Progress::handshaking:
        return false;
      case dataplane::TlsStream::Progress::failed:
        ++tls_failures_;
        finish(k, true);
        return false;
      case dataplane::TlsStream::Progress::open:
        break;
    }
    if (k.conn == nullptr) {
      k.conn = k.tls.get();
      ++tls_handshakes_;
      if (k.tls->resumed()) ++tls_resumed_;
    }
    return true;
  }

  // Requests in order: the next is looked at only once the previous one
  // has been answered completely (pipelining).
  void process(Conn& k) {
    if (k.conn == nullptr) return;
    if (k.discard) {
      k.in_offset = k.in.size();
      if (k.peer_eof && k.conn != nullptr && k.out_offset == k.out.size()) finish(k, false);
      return;
    }
    if (k.tunnel) {
      if (k.in.find("abort!", k.in_offset) != std::string::npos) {  // the test wants a reset
        finish(k, true);
        return;
      }
      k.out.append(k.in.substr(k.in_offset));
      k.in_offset = k.in.size();
      pump(k);
      if (k.peer_eof && k.conn != nullptr && k.out_offset == k.out.size()) finish(k, false);
      return;
    }
    while (k.conn != nullptr && !k.busy && !k.waiting && !k.tunnel && !k.retired) {
      if (behaviour_.requests_per_connection != 0 && k.requests >= behaviour_.requests_per_connection) {
        k.retired = true;
        k.close_at_us = sim_.now_us() + behaviour_.close_delay_us;
        break;
      }
      const std::string_view rest = std::string_view(k.in).substr(k.in_offset);
      std::size_t head_length = 0;
      const auto head = parse_sim_head(rest, &head_length);
      if (!head) break;
      if (behaviour_.send_continue && !k.continue_sent && head->has_token("expect", "100-continue")) {
        k.continue_sent = true;
        k.out += "HTTP/1.1 100 Continue\r\n\r\n";
        pump(k);
      }
      SimRequest r;
      r.head = *head;
      r.connection = k.id;
      {
        const std::string& line = head->start_line;
        const auto sp1 = line.find(' ');
        const auto sp2 = line.find(' ', sp1 + 1);
        r.method = line.substr(0, sp1);
        r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
        r.version = line.substr(sp2 + 1);
      }
      std::size_t body_length = 0;
      if (behaviour_.answer_on_head) {
        // Answer now; the body that follows is read and dropped.
        k.in_offset += head_length;
        ++k.requests;
        requests_.push_back(r);
        answer(k, r);
        k.in_offset = k.in.size();
        k.discard = true;
        break;
      }
      if (head->has_token("transfer-encoding", "chunked")) {
        r.chunked = true;
        bool complete = false;
        try {
          complete = decode_chunked(rest.substr(head_length), &r.body, &body_length);
        } catch (const std::exception&) {
          // A body the server cannot read: it waits, as for an incomplete one.
        }
        if (!complete) break;
      } else if (const auto cl = head->field("content-length")) {
        body_length = std::stoull(*cl);
        if (rest.size() - head_length < body_length) break;
        r.body = std::string(rest.substr(head_length, body_length));
      }
      k.in_offset += head_length + body_length;
      k.continue_sent = false;
      ++k.requests;
      requests_.push_back(r);
      if (behaviour_.delay_us != 0) {
        k.waiting = std::move(r);
        k.answer_at_us = sim_.now_us() + behaviour_.delay_us;
        break;
      }
      answer(k, r);
    }
    if (k.conn != nullptr && k.peer_eof && !k.busy && !k.waiting && !k.tunnel && k.out_offset == k.out.size()) {
      finish(k, false);
    }
  }

  void answer(Conn& k, const SimRequest& r) {
    const bool is_head = r.method == "HEAD";
    const bool close = r.head.has_token("connection", "close") ||
                       (r.version == "HTTP/1.0" && !r.head.has_token("connection", "keep-alive"));
    const std::string connection = close ? "Connection: close\r\n" : "";
    k.mode = behaviour_.mode_for ? behaviour_.mode_for(r) : behaviour_.mode;
    auto ok = [&](const std::string& body) {
      std::string s = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\nX-Server: " + name_ + "\r\n" + connection + "\r\n";
      if (!is_head) s += body;
      return s;
    };
    switch (k.mode) {
      case ServerMode::name:
        k.out += ok(name_);
        break;
      case ServerMode::echo_head:
        k.out += ok(r.head.text);
        break;
      case ServerMode::stream:
        if (behaviour_.chunked) {
          k.out += "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Server: " + name_ + "\r\n" + connection + "\r\n";
        } else {
          k.out += "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(behaviour_.stream_bytes) +
                   "\r\nX-Server: " + name_ + "\r\n" + connection + "\r\n";
        }
        if (!is_head) {
          k.busy = true;
          k.stream_left = behaviour_.stream_bytes;
          k.stream_offset = 0;
          k.stream_chunked = behaviour_.chunked;
        }
        break;
      case ServerMode::tunnel:
        k.out += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        k.tunnel = true;
        break;
      case ServerMode::silent:
        k.busy = true;
        return;
      case ServerMode::close:
        finish(k, false);
        return;
      case ServerMode::garbage:
        k.out += "this is not HTTP\r\n\r\n";
        break;
      case ServerMode::close_mid_body:
      case ServerMode::stall_mid_body:
        k.out += "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
        k.out += std::string(1000, 'x');
        k.busy = true;
        k.close_after = k.mode == ServerMode::close_mid_body;
        break;
      case ServerMode::custom:
        k.out += behaviour_.custom(r);
        break;
    }
    if (close || behaviour_.close_after_answer) k.close_after = true;
    pump(k);
  }

  // Writes what is queued, then streams the body as room appears.
  void pump(Conn& k) {
    for (;;) {
      if (k.conn == nullptr) return;
      const std::size_t before = k.out_offset;
      if (behaviour_.trickle != 0) {
        // A few bytes per step: heads and bodies arrive in many pieces.
        const std::size_t n = std::min<std::size_t>(behaviour_.trickle, k.out.size() - k.out_offset);
        k.out_offset += k.conn->write_copy(k.out.data() + k.out_offset, static_cast<uint32_t>(n));
      } else {
        write_some(*k.conn, k.out, &k.out_offset);
      }
      bytes_sent_ += k.out_offset - before;
      if (k.out_offset < k.out.size()) return;
      k.out.clear();
      k.out_offset = 0;
      if (k.stream_left == 0 && !k.stream_chunked) break;
      if (k.stream_left == 0 && k.stream_chunked) {
        k.out = "0\r\n\r\n";
        k.stream_chunked = false;
        continue;
      }
      if (k.conn->send_space() == 0) {
        k.conn->want_writable();
        return;
      }
      const uint64_t n = std::min<uint64_t>(k.stream_left, behaviour_.chunk_size);
      std::string piece;
      piece.reserve(n + 16);
      if (k.stream_chunked) {
        char size[24];
        std::snprintf(size, sizeof size, "%llx\r\n", static_cast<unsigned long long>(n));
        piece += size;
      }
      for (uint64_t i = 0; i < n; ++i) piece.push_back(body_pattern(k.stream_offset + i));
      if (k.stream_chunked) piece += "\r\n";
      k.stream_offset += n;
      k.stream_left -= n;
      k.out = std::move(piece);
    }
    // Answer complete.
    if (k.busy && k.mode != ServerMode::silent && k.mode != ServerMode::stall_mid_body) k.busy = false;
    if (k.close_after) {
      finish(k, false);
      return;
    }
  }

  ProxySim& sim_;
  SimHost& host_;
  std::string name_;
  ServerBehaviour behaviour_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<SimRequest> requests_;
  std::size_t resets_ = 0;
  uint64_t bytes_sent_ = 0;
  SSL_CTX* tls_context_ = nullptr;
  std::size_t tls_handshakes_ = 0;
  std::size_t tls_resumed_ = 0;
  std::size_t tls_failures_ = 0;
};

// ---- A whole setup ---------------------------------------------------------

// The configuration the tests start from: one frontend on *:80, one
// backend of `servers` servers at server_address(i):80, short timeouts.
inline conf::Config sim_proxy_config(uint32_t servers) {
  conf::Config config;
  config.log.access_log = "stdout";
  conf::FrontendConfig f;
  f.name = "web";
  f.bind.push_back(conf::Endpoint{conf::Ipv4Address{0}, 80});
  f.default_backend = "app";
  f.forwardfor = true;
  f.timeout_client = conf::Duration{5'000'000};
  f.timeout_http_request = conf::Duration{2'000'000};
  f.timeout_http_keep_alive = conf::Duration{1'000'000};
  config.frontends.push_back(f);
  conf::BackendConfig b;
  b.name = "app";
  b.timeout_connect = conf::Duration{1'000'000};
  b.timeout_server = conf::Duration{3'000'000};
  b.retries = 0;
  for (uint32_t i = 0; i < servers; ++i) {
    conf::ServerConfig s;
    s.name = "server" + std::to_string(i + 1);
    s.address = conf::Endpoint{conf::Ipv4Address{ProxySim::server_address(i)}, 80};
    b.servers.push_back(s);
  }
  config.backends.push_back(b);
  return config;
}

}  // namespace dplb::testing
