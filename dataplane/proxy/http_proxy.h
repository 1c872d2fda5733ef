#pragma once

// The HTTP/1.1 reverse proxy of one worker, an application on the worker's
// TCP stack: client connections accepted on frontends' ports, requests
// parsed and balanced over the backend's servers, server connections opened
// or reused from this worker's pools, bodies and tunnels streamed as mbuf
// chains in both directions with the TCP send queues as the only buffers
// (a side that cannot take more stops the other side's reads, and its
// receive window closes). Heads are gathered into a pooled buffer only
// while they are parsed, then rewritten into fresh mbufs.
//
// The request path has one place that decides where a request goes
// (assign), one that sends it (send_request) and one that ends an exchange
// (finish_exchange); L7 retries, TLS and HTTP/2 plug into those.

#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/balancing/backend_balancer.h"
#include "dataplane/http/http_body_framer.h"
#include "dataplane/http/http_request_head.h"
#include "dataplane/http/http_response_head.h"
#include "dataplane/proxy/access_log_ring.h"
#include "dataplane/proxy/proxy_counters.h"
#include "dataplane/proxy/proxy_session_info.h"
#include "dataplane/proxy/proxy_snapshot.h"
#include "dataplane/rules/http_rule_runner.h"
#include "dataplane/tcp/tcp_application.h"
#include "dataplane/tcp/tcp_settings.h"
#include "dataplane/tls/tls_stream.h"
#include "dataplane/tls/tls_worker_contexts.h"
#include "dataplane/base/timer_wheel.h"

struct rte_mbuf;
struct rte_mempool;

namespace dplb::dataplane {

class TcpStack;
class TcpConnection;

class HttpProxy final : public TcpApplication {
 public:
  HttpProxy(TcpStack& stack, rte_mempool* pool, const ProxySnapshot* snapshot, ProxyCounters& counters,
            AccessLogRing* log, uint64_t seed);
  ~HttpProxy() override;
  HttpProxy(const HttpProxy&) = delete;
  HttpProxy& operator=(const HttpProxy&) = delete;

  // Listens on every frontend port; returns false if a port was taken.
  bool start();
  // A newer snapshot (weights, states); the old one stays valid until the
  // control plane is told this worker moved on.
  void adopt(const ProxySnapshot* snapshot);
  // This worker's TLS contexts (a newer version: handshakes from now on use
  // them; established connections keep theirs).
  void adopt_tls(const TlsWorkerContexts* contexts) { tls_ = contexts; }
  // What the health checks of a TLS server (check_ssl) connect with: the
  // context and name this worker's connections to it use.
  SSL_CTX* server_tls_context(uint16_t backend, uint16_t server) const {
    return tls_ != nullptr ? tls_->server(backend, server) : nullptr;
  }
  std::string_view server_sni(uint16_t backend, uint16_t server) const;
  const ProxySnapshot* snapshot() const { return snapshot_; }
  // Moves the proxy's timers; call every pass before the stack's poll, so
  // what the timers queue (error pages, aborts) leaves in the same pass.
  void poll(uint64_t now_us);
  // Up to `capacity` live client sessions, for `show sess`.
  uint32_t write_sessions(ProxySessionInfo* out, uint32_t capacity) const;
  uint32_t sessions() const { return live_sessions_; }

  void on_accepted(TcpConnection& c) override;
  void on_connected(TcpConnection& c) override;
  void on_readable(TcpConnection& c) override;
  void on_writable(TcpConnection& c) override;
  void on_closed(TcpConnection& c, TcpCloseReason reason) override;

 private:
  struct Session;
  struct ServerLink;

  enum class Phase : uint8_t {
    request_head,  // waiting for (the rest of) a request head
    queued,        // waiting for a server slot (maxconn)
    connecting,    // a server connection is being opened
    exchanging,    // request going out, response coming back
    tunnel,        // after 101 Switching Protocols: bytes both ways
    retry_wait,    // the turn-around pause before another connection attempt
  };

  // What a TcpConnection's user_data points to.
  struct Endpoint {
    bool is_server = false;
  };

  // Room for the largest head the limits allow plus one byte, so the
  // parser can tell "too large" from "incomplete".
  static constexpr uint32_t kHeadCapacity = 16384 + 1;
  struct HeadBuffer {
    HeadBuffer* next_free = nullptr;
    uint32_t length = 0;
    char data[kHeadCapacity];
  };

  struct SessionTimer : Timer {
    Session* session = nullptr;
  };

  // A connection to a server: attached to a session during an exchange,
  // idle in its server's pool, or kept by its session (http_reuse never).
  struct ServerLink : Endpoint {
    TcpConnection* conn = nullptr;  // the transport (its user_data points here)
    // What the HTTP code reads and writes: `conn`, or `tls` over it for a
    // server with TLS.
    ByteStream* stream = nullptr;
    TlsStream tls;
    Session* session = nullptr;
    uint16_t backend = 0;
    uint16_t server = 0;
    bool connected = false;  // ready for a request: TCP up, and the TLS handshake done
    bool in_pool = false;
    bool eof = false;
    rte_mbuf* inbound = nullptr;  // response bytes read, not yet forwarded
    HeadBuffer* head = nullptr;   // while a response head is gathered
    uint64_t idle_since_us = 0;
    ServerLink* prev = nullptr;   // pool list, or the free list (next)
    ServerLink* next = nullptr;
  };

  struct Session : Endpoint {
    // What the HTTP code reads and writes: the TCP connection itself, or
    // `tls` over it on a TLS bind.
    ByteStream* client = nullptr;
    TcpConnection* client_tcp = nullptr;  // the transport (its user_data points here)
    TlsStream tls;
    // Waiting for the next pass's handshake budget (see kHandshakesPerPass).
    bool handshake_waiting = false;
    Session* handshake_prev = nullptr;
    Session* handshake_next = nullptr;
    ServerLink* link = nullptr;          // the exchange's server connection
    ServerLink* private_link = nullptr;  // http_reuse never: kept between requests
    Phase phase = Phase::request_head;
    uint16_t frontend = 0;
    uint16_t backend = kNoIndex;
    uint16_t server = kNoIndex;
    bool slot_taken = false;       // counts against the server's maxconn
    bool client_keep_alive = true;
    bool server_keep_alive = true;  // asked the server to keep the connection
    bool request_done = false;
    bool response_head_done = false;
    bool response_done = false;
    bool request_is_head = false;
    bool upgrade = false;
    bool client_eof = false;
    bool waiting_on_client = false;  // for the inactivity timeout's owner
    bool logged_bytes = false;       // the request carried bytes (dontlognull, 408 vs close)
    bool free = true;
    // end_session with client bytes left unread: the answer and a FIN are
    // on their way, and what the client still sends is read and dropped
    // until it closes or the linger timer runs out (see end_session).
    bool lingering = false;
    bool response_until_close = false;
    bool redispatch = false;        // retry_wait: the next attempt picks a server anew
    // The servers that failed this request (a refused connection, or a
    // Layer-7 failure): a redispatched retry is not sent to them again.
    ServerSet failed_servers = 0;
    // RFC 9110 9.2.2: sending it twice has the effect of sending it once, so
    // it may be replayed after it may have reached a server.
    bool request_idempotent = false;
    bool counted_on_server = false;  // this request is in its server's `total` already
    bool l7_retry_disabled = false;  // an http_request disable-l7-retry rule applied
    bool has_idempotency_key = false;  // the backend's idempotency_key_header is in the request
    // `replay` is kept for a Layer-7 retry (retry_on), until the response
    // head is accepted, not only until its first byte.
    bool l7_replay = false;
    bool redispatched = false;  // a retry of this request went to another server
    bool l7_retrying = false;  // counted in the backend's l7_retries_current
    uint8_t retry_refusal = 0;  // RetryRefusal: why `replay` was not kept for an L7 retry
    bool replay_on_reuse = false;  // `replay` was kept because the connection was a reused one
    uint8_t client_version_minor = 1;
    uint16_t retries = 0;
    uint16_t status = 0;
    char termination[2] = {'-', '-'};
    uint32_t requests = 0;
    rte_mbuf* inbound = nullptr;       // client bytes read, not yet consumed
    HeadBuffer* head = nullptr;        // while a request head is gathered
    rte_mbuf* pending_head = nullptr;  // rewritten request head, until a server connection takes it
    // A copy of a bodiless request sent over a reused connection, kept until
    // the first response byte: a server may close an idle connection just
    // as the request goes out, and then it is sent again on a new one.
    rte_mbuf* replay = nullptr;
    HttpBodyFramer request_body;
    HttpBodyFramer response_body;
    BalanceKey key;
    uint64_t accepted_us = 0;       // connection accepted
    uint64_t start_us = 0;          // this request's accept date (accept, or end of the previous one)
    uint64_t first_byte_us = 0;
    uint64_t head_done_us = 0;
    uint64_t queue_done_us = 0;
    uint64_t connect_done_us = 0;
    uint64_t response_us = 0;
    uint64_t last_activity_us = 0;
    uint64_t bytes_in = 0;           // this request, from the client
    uint64_t bytes_out = 0;          // this request, to the client
    uint64_t total_bytes_in = 0;
    uint64_t total_bytes_out = 0;
    SessionTimer timer;
    Session* queue_prev = nullptr;   // backend or server queue
    Session* queue_next = nullptr;
    bool queued_on_server = false;
    Session* next_free = nullptr;
    // Content-Length of the request body (0: none, or chunked): a body that
    // cannot fit in retry_buffer is not kept at all.
    uint64_t request_content_length = 0;
    uint16_t request_line_length = 0;
    char request_line[sizeof(AccessLogRecord::request)];
  };

  struct Queue {
    Session* head = nullptr;
    Session* tail = nullptr;
    uint32_t length = 0;
  };
  struct Pool {  // idle connections to one server, oldest first
    ServerLink* head = nullptr;
    ServerLink* tail = nullptr;
    uint32_t length = 0;
  };

  // TLS handshake steps (each may sign: ~0.3 ms for RSA-2048) per poll
  // pass; the rest wait for the next pass, so a burst of new TLS clients
  // delays established connections by a bounded amount, not by the burst.
  static constexpr uint32_t kHandshakesPerPass = 8;
  // Segments a request kept for a Layer-7 retry may hold: full-sized
  // segments of retry_buffer bytes fit with room to spare; a client that
  // trickles its body in tiny segments does not pin thousands of mbufs.
  static constexpr uint32_t replay_segments(uint32_t retry_buffer) { return 32 + retry_buffer / 512; }
  // Sessions and server links are allocated this many at a time.
  static constexpr uint32_t kChunk = 256;
  // Room for a rewritten head (the scratch space rewrite_ points to).
  static constexpr uint32_t kRewriteCapacity = 32768;

  // Client side (http_proxy_request.cc).
  void client_readable(Session& s);
  void read_request(Session& s);
  // The request line as far as it goes, for logging a head that did not parse.
  void record_unparsed_request_line(Session& s);
  void request_head_complete(Session& s, HttpRequestHead& head, uint32_t head_length);
  // "METHOD target HTTP/1.x" for the access log, truncated to its room.
  void record_request_line(Session& s, const HttpRequestHead& head);
  // What the rest of the exchange needs to know of the request head.
  void note_request_head(Session& s, const HttpRequestHead& head);
  BalanceKey balance_key(const Session& s, const HttpRequestHead& head) const;
  // Rewrites the head into s.pending_head; false when the request was
  // answered with an error instead.
  bool rewrite_request_head(Session& s, const HttpRequestHead& head);
  void send_request(Session& s);
  // Layer-7 retries (http_proxy_retries.cc).
  enum class RetryCause : uint8_t { empty_response, junk_response, response_timeout, status };
  enum class RetryRefusal : uint8_t { none, not_configured, disabled, body_incomplete, too_large, non_idempotent };
  RetryRefusal retry_refusal(const Session& s) const;
  bool retry_budget_allows(const Session& s) const;
  void end_l7_retry(Session& s);
  // Sends the kept request again (to another server with redispatch);
  // false when the cause is not in retry_on, nothing was kept or the
  // retries are spent: the caller answers as without retries.
  bool l7_retry(Session& s, RetryCause cause);
  bool retryable_status(const Session& s, uint16_t status) const;
  // The jittered wait before this Layer-7 retry (retry_backoff); 0: at once.
  uint32_t retry_backoff_us(const Session& s);
  // Adds clones of `body` (about to go to the server) to s.replay; past
  // retry_buffer or replay_segments the request is no longer kept.
  void keep_for_replay(Session& s, rte_mbuf* body);
  uint32_t server_timeout_ms(const Session& s) const;
  void pump_request_body(Session& s);
  void client_gone(Session& s, TcpCloseReason reason);

  // Choosing a server, maxconn slots and queues (http_proxy_dispatch.cc).
  void assign(Session& s);  // not to s.failed_servers, while the balancer has another
  // Takes a slot on `server` (which has room) and connects to it.
  void dispatch(Session& s, uint16_t server);
  void release_slot(Session& s);
  void dequeue(uint16_t backend, uint16_t server);
  // A server that may no longer take traffic: its queue goes to the
  // backend's (option redispatch), or waits there (see adopt).
  void redistribute(uint16_t backend, uint16_t server);
  void enqueue(Session& s, bool on_server);
  void unqueue(Session& s);

  // Opening, reusing and losing server connections (http_proxy_connect.cc).
  void connect(Session& s);
  // The session's own connection or a pooled one, when one may be used.
  ServerLink* reusable_link(Session& s);
  void connected(ServerLink& link);
  void connect_failed(Session& s, bool timed_out);
  void server_gone(ServerLink& link, TcpCloseReason reason);
  // A reused connection closed under a request that may be sent again.
  void replay_request(Session& s, ServerLink& link);

  // Server side of an exchange (http_proxy_response.cc).
  void server_readable(ServerLink& link);
  void read_response(Session& s);
  // 100 Continue, 103 Early Hints: passed on as they are.
  void forward_interim_response(Session& s, const HttpResponseHead& head);
  void response_head_complete(Session& s, HttpResponseHead& head);
  void expect_response_body(Session& s, const HttpResponseHead& head);
  void start_tunnel(Session& s);
  void pump_response_body(Session& s);
  void pump_tunnel(Session& s);
  void finish_exchange(Session& s);
  void reset_exchange(Session& s);

  // Answers dplb gives itself, and exchanges cut short (http_proxy_errors.cc).
  void reply_error(Session& s, uint16_t status, char who, char phase);
  // A response head that cannot be passed on: the server connection is
  // aborted and the client gets a 502.
  void bad_response(Session& s);
  // Ends the exchange after its response started (or in a tunnel): the
  // connection to the server is aborted, the client's closed.
  void fail(Session& s, char who, char phase);

  // Session I/O: reading heads, moving bodies and tunnel bytes (http_proxy_io.cc).
  // Moving bytes: from `from` (after `*inbound`) to `to`, through `framer`
  // when there is one. Returns the bytes moved; sets *read to the bytes
  // read from `from` by this call (moved or left in *inbound: bytes already
  // in *inbound were counted when they were read, so the reading side
  // counts *read and the writing side the bytes moved, each byte once),
  // *done when the framer's message ended, *error on a framing error.
  // `replay_of`: a request body whose session keeps what is sent for a
  // Layer-7 retry (see keep_for_replay).
  uint64_t move(ByteStream& from, rte_mbuf** inbound, HttpBodyFramer* framer, ByteStream& to, uint64_t* read,
                bool* done, uint16_t* error, Session* replay_of = nullptr);
  // Runs `chain` through `framer`. send: write `chain` (what follows the
  // message's end is in *inbound); hold: it all belongs to the next
  // message and is back in *inbound; failed: freed, *error set.
  enum class Framed : uint8_t { send, hold, failed };
  Framed frame(HttpBodyFramer& framer, rte_mbuf* chain, rte_mbuf** inbound, bool* done, uint16_t* error);
  // Gathers a head from `conn` into `*buffer`; returns the bytes held.
  enum class Gather : uint8_t { more, ready, eof, overflow };
  Gather gather(ByteStream& conn, rte_mbuf** inbound, HeadBuffer** buffer, uint64_t* bytes);
  // Reads and drops what the client sent; returns the bytes dropped.
  uint64_t drain_client(Session& s);
  rte_mbuf* copy_to_mbufs(const char* data, uint32_t length);

  // TLS on client connections (http_proxy_tls.cc).
  // Starts the handshake on a TLS bind; false: the connection was refused.
  bool start_tls(Session& s, TcpConnection& c);
  // Ciphertext arrived: false when there is nothing for the HTTP code yet
  // (still handshaking) or the session ended (handshake failed).
  bool tls_readable(Session& s);
  void tls_handshake_done(Session& s);
  void tls_failed(Session& s);
  void defer_handshake(Session& s);
  void undefer_handshake(Session& s);
  void run_deferred_handshakes();
  // The client's TCP connection and the session lose track of each other.
  void detach_client(Session& s);

  // TLS to servers (http_proxy_server_tls.cc).
  // TCP is up to a server with TLS: the ClientHello goes out. False: no
  // handshake could start (counted, and the link is gone).
  bool start_server_tls(ServerLink& link);
  // Ciphertext from the server: false when there is nothing for the HTTP
  // code (handshaking, or the link ended because TLS failed).
  bool server_tls_readable(ServerLink& link);
  void server_tls_failed(ServerLink& link);
  // Keeps the link's session for the next connection to its server
  // (HAProxy reuses one per server and thread the same way).
  void remember_server_session(ServerLink& link);
  void forget_server_sessions();

  // HTTP rules (http_proxy_rules.cc). Each returns false when a rule
  // answered the client itself (redirect, deny, return, a failed rewrite).
  bool apply_request_rules(Session& s, HttpRequestHead& head, uint32_t head_length);
  bool apply_response_rules(Session& s, HttpResponseHead& head);
  bool answer_request_verdict(Session& s, const rules::RuleVerdict& v, bool backend_rule, uint32_t head_length);
  // A rule's own answer (redirect, return, deny with a body): the client
  // connection stays open afterwards when it can.
  void reply_local(Session& s, uint16_t status, std::string_view head, std::string_view body, char who, char phase,
                   uint32_t head_length);
  rules::MessageFacts facts_for(const Session& s) const;

  // Sessions and head buffers (http_proxy_sessions.cc).
  Session* new_session();
  void free_session(Session& s);
  // Everything a session holds but its client connection: timer, queue
  // place, server slot, server connections, buffered bytes.
  void release_resources(Session& s);
  void end_session(Session& s);  // closes the client (lingering if needed) and frees
  void close_client(Session& s);  // a graceful close, then the session is freed
  void linger_readable(Session& s);
  HeadBuffer* take_buffer();
  void give_buffer(HeadBuffer*& buffer);

  // Server links and the idle-connection pools (http_proxy_server_pool.cc).
  ServerLink* new_link();
  void free_link(ServerLink& link);
  // abort: reset at once. Otherwise a graceful close when the server has
  // closed its side already, and a reset when it has not (see close_link).
  void close_link(ServerLink& link, bool abort);
  void release_link(Session& s);  // end of exchange: pool, keep or close
  void pool_push(ServerLink& link);
  ServerLink* pool_pop(uint16_t backend, uint16_t server);
  void pool_remove(ServerLink& link);
  void purge_pools();

  // Timeouts (http_proxy_timeouts.cc).
  void arm(Session& s, uint32_t timeout_ms);
  void timer_fired(Session& s);
  // The inactivity timeout of an exchange or tunnel, re-armed while not spent.
  void exchange_timer_fired(Session& s);
  uint32_t tunnel_timeout_ms(const Session& s) const;
  char tunnel_timeout_side(const Session& s) const;

  // The access-log record (http_proxy_access_log.cc).
  void log_exchange(Session& s);
  void log_handshake_failure(Session& s, TlsFailure why);

  uint64_t now() const { return now_us_; }
  const ProxyFrontend& frontend(const Session& s) const { return snapshot_->frontends[s.frontend]; }
  const ProxyBackend& backend(const Session& s) const { return snapshot_->backends[s.backend]; }
  ServerCounters& server_counters(uint16_t backend, uint16_t server) { return counters_.servers[backend][server]; }

  TcpStack& stack_;
  rte_mempool* pool_;
  const ProxySnapshot* snapshot_;
  const TlsWorkerContexts* tls_ = nullptr;
  ProxyCounters& counters_;
  AccessLogRing* log_;
  TcpConnectionOptions client_options_;
  TcpConnectionOptions server_options_;
  uint64_t now_us_ = 0;
  uint64_t last_purge_us_ = 0;
  TimerWheel wheel_;
  std::vector<BackendBalancer> balancers_;
  std::vector<Queue> backend_queues_;
  std::vector<std::vector<Queue>> server_queues_;
  std::vector<std::vector<Pool>> pools_;
  std::vector<uint32_t> frontend_sessions_;
  std::vector<std::unique_ptr<Session[]>> session_chunks_;
  Session* free_sessions_ = nullptr;
  std::vector<std::unique_ptr<ServerLink[]>> link_chunks_;
  ServerLink* free_links_ = nullptr;
  std::vector<std::unique_ptr<HeadBuffer>> buffers_;
  HeadBuffer* free_buffers_ = nullptr;
  uint32_t live_sessions_ = 0;
  uint32_t handshake_budget_ = kHandshakesPerPass;
  // Per backend and server: the last TLS session to resume with, or null.
  std::vector<std::vector<SSL_SESSION*>> server_sessions_;
  // Handshake failures logged per second on this worker (the rest counted).
  static constexpr uint32_t kHandshakeFailureLogsPerSecond = 10;
  uint64_t failure_log_second_ = 0;
  uint32_t failure_logs_this_second_ = 0;
  Session* handshakes_head_ = nullptr;  // FIFO of sessions waiting for handshake budget
  Session* handshakes_tail_ = nullptr;
  // Scratch space for parsed heads and rewritten heads: one at a time.
  std::unique_ptr<HttpRequestHead> request_head_;
  std::unique_ptr<HttpResponseHead> response_head_;
  std::unique_ptr<char[]> rewrite_;
  std::unique_ptr<rules::HttpRuleRunner> rules_;
  uint64_t backoff_random_;  // draws the retry_backoff jitter
};

}  // namespace dplb::dataplane
