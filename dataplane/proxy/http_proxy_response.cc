// The server side of the proxy: opening or reusing server connections,
// connection retries, reading response heads, forwarding response bodies
// and tunnels, ending exchanges, timeouts and the access-log record.

#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "dataplane/http/http_head_writer.h"
#include "dataplane/base/mbuf_chain.h"
#include "dataplane/proxy/http_proxy.h"
#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/tcp/tcp_stack.h"

namespace dplb::dataplane {
namespace {

constexpr uint32_t kRewriteCapacity = 32768;
// HAProxy waits min(timeout connect, 1 s) before trying a server again, so
// a restarting server is not hammered.
constexpr uint32_t kTurnAroundMs = 1000;

int32_t elapsed_ms(uint64_t from_us, uint64_t to_us) {
  if (from_us == 0 || to_us == 0 || to_us < from_us) return -1;
  return static_cast<int32_t>(std::min<uint64_t>((to_us - from_us) / 1000, INT32_MAX));
}

}  // namespace

void HttpProxy::connect(Session& s) {
  const ProxyBackend& be = backend(s);
  ServerCounters& sc = server_counters(s.backend, s.server);
  ServerLink* link = nullptr;
  if (s.private_link != nullptr) {
    if (s.private_link->server == s.server && s.private_link->backend == s.backend) {
      link = s.private_link;
      s.private_link = nullptr;
    } else {
      close_link(*s.private_link, false);
    }
  }
  // http-reuse safe: a connection's first request never rides on a shared
  // connection; always: any request may.
  const bool may_share = be.reuse == conf::HttpReuse::always || (be.reuse == conf::HttpReuse::safe && s.requests > 1);
  if (link == nullptr && may_share && s.replay == nullptr) link = pool_pop(s.backend, s.server);
  if (link != nullptr) {
    link->session = &s;
    s.link = link;
    s.connect_done_us = now_us_;
    sc.reused.increment();
    // Kept for a replay only when sending it twice is harmless: HAProxy
    // never sends a request again once a connection to the server was
    // established (`retries` counts connection attempts; L7 retries are
    // opt-in), so dplb's replay is limited to what RFC 9110 9.2.2 allows.
    if (s.request_done && s.request_idempotent && s.pending_head != nullptr) {
      s.replay = rte_pktmbuf_clone(s.pending_head, pool_);
    }
    send_request(s);
    return;
  }
  const ProxyServer& server = be.servers[s.server];
  TcpConnection* conn = stack_.connect(server.address, server.port, this, server_options_);
  if (conn == nullptr) {
    connect_failed(s, false);
    return;
  }
  sc.connections.increment();
  link = new_link();
  link->conn = conn;
  link->backend = s.backend;
  link->server = s.server;
  link->session = &s;
  conn->user_data = static_cast<Endpoint*>(link);
  s.link = link;
  s.phase = Phase::connecting;
  arm(s, be.timeout_connect_ms);
}

void HttpProxy::connected(ServerLink& link) {
  link.connected = true;
  Session* s = link.session;
  if (s == nullptr || s->link != &link || s->phase != Phase::connecting) {
    close_link(link, false);
    return;
  }
  s->connect_done_us = now_us_;
  send_request(*s);
}

void HttpProxy::connect_failed(Session& s, bool timed_out) {
  const ProxyBackend& be = backend(s);
  server_counters(s.backend, s.server).connect_errors.increment();
  counters_.backends[s.backend].connect_errors.increment();
  if (s.link != nullptr) close_link(*s.link, true);
  if (s.retries < be.retries) {
    ++s.retries;
    server_counters(s.backend, s.server).retries.increment();
    counters_.backends[s.backend].retries.increment();
    // As HAProxy's `option redispatch`: the last retry may go elsewhere.
    s.redispatch = be.redispatch && s.retries == be.retries;
    s.phase = Phase::retry_wait;
    arm(s, std::min(be.timeout_connect_ms, kTurnAroundMs));
    return;
  }
  reply_error(s, 503, timed_out ? 's' : 'S', 'C');
}

void HttpProxy::server_readable(ServerLink& link) {
  Session* s = link.session;
  if (s == nullptr || s->link != &link) {
    // An idle connection: the server closed it, or sent what nobody asked for.
    close_link(link, false);
    return;
  }
  if (s->phase == Phase::tunnel) {
    pump_tunnel(*s);
  } else if (s->phase == Phase::exchanging) {
    if (!s->response_head_done) {
      read_response(*s);
    } else {
      pump_response_body(*s);
    }
  }
}

void HttpProxy::read_response(Session& s) {
  ServerLink& link = *s.link;
  for (;;) {
    uint64_t got = 0;
    const Gather g = gather(*link.conn, &link.inbound, &link.head, &got);
    if (got != 0) {
      s.last_activity_us = now_us_;
      server_counters(s.backend, s.server).bytes_out.add(got);
      counters_.backends[s.backend].bytes_out.add(got);
      if (s.replay != nullptr) {
        rte_pktmbuf_free(s.replay);
        s.replay = nullptr;
      }
    }
    if (g == Gather::more) return;
    if (g == Gather::eof) {
      server_gone(link, TcpCloseReason::finished);
      return;
    }
    HttpLimits limits = snapshot_->limits;
    limits.max_head = std::min<std::size_t>(limits.max_head, kHeadCapacity - 1);
    HttpResponseContext context;
    context.request_was_head = s.request_is_head;
    const HttpParseResult r =
        parse_response_head(std::string_view(link.head->data, link.head->length), limits, context, response_head_.get());
    if (r.kind == HttpParseResult::Kind::incomplete) {
      if (link.conn->end_of_stream()) server_gone(link, TcpCloseReason::finished);
      return;
    }
    if (r.kind == HttpParseResult::Kind::error) {
      server_counters(s.backend, s.server).response_errors.increment();
      counters_.backends[s.backend].response_errors.increment();
      close_link(link, true);
      reply_error(s, 502, 'P', 'H');
      return;
    }
    const HttpResponseHead& head = *response_head_;
    link.inbound = chain_trim_front(link.inbound, static_cast<uint32_t>(r.head_length));
    if (head.status >= 100 && head.status < 200 && head.status != 101) {
      // An interim response (100 Continue, 103 Early Hints) goes to the
      // client as it is; the final one follows.
      ResponseRewrite rewrite;
      rewrite.keep_alive = true;
      rewrite.client_version_minor = s.client_version_minor;
      const std::size_t length = write_response_head(head, rewrite, rewrite_.get(), kRewriteCapacity);
      give_buffer(link.head);
      if (length != 0 && s.client_version_minor >= 1) {
        const uint32_t n = s.client->write_copy(rewrite_.get(), static_cast<uint32_t>(length));
        s.bytes_out += n;
        s.total_bytes_out += n;
        counters_.frontends[s.frontend].bytes_out.add(n);
      }
      continue;
    }
    give_buffer(link.head);
    response_head_complete(s, head);
    return;
  }
}

void HttpProxy::response_head_complete(Session& s, const HttpResponseHead& head) {
  ServerLink& link = *s.link;
  const ProxyBackend& be = backend(s);
  if (head.upgrade && !s.upgrade) {
    // A switch of protocols nobody asked for: the client could not follow it.
    server_counters(s.backend, s.server).response_errors.increment();
    counters_.backends[s.backend].response_errors.increment();
    close_link(link, true);
    reply_error(s, 502, 'P', 'H');
    return;
  }
  s.response_head_done = true;
  s.response_us = now_us_;
  s.status = head.status;
  const std::size_t cls = status_class(head.status);
  counters_.frontends[s.frontend].responses[cls].increment();
  counters_.backends[s.backend].responses[cls].increment();
  server_counters(s.backend, s.server).responses[cls].increment();

  const bool tunnel = head.upgrade;
  // A response whose end is the server's close cannot be followed by
  // another on the same client connection; nor can one that overtook its
  // request's body.
  s.client_keep_alive = s.client_keep_alive && !head.until_close && s.request_done && !tunnel;
  s.server_keep_alive = s.server_keep_alive && head.keep_alive && !head.until_close && !tunnel;
  ResponseRewrite rewrite;
  rewrite.keep_alive = s.client_keep_alive;
  rewrite.client_version_minor = s.client_version_minor;
  const std::size_t length = write_response_head(head, rewrite, rewrite_.get(), kRewriteCapacity);
  if (length == 0) {
    server_counters(s.backend, s.server).response_errors.increment();
    counters_.backends[s.backend].response_errors.increment();
    close_link(link, true);
    s.response_head_done = false;
    reply_error(s, 502, 'P', 'H');
    return;
  }
  const uint32_t n = s.client->write_copy(rewrite_.get(), static_cast<uint32_t>(length));
  s.bytes_out += n;
  s.total_bytes_out += n;
  counters_.frontends[s.frontend].bytes_out.add(n);

  if (tunnel) {
    s.phase = Phase::tunnel;
    s.request_done = true;
    const uint32_t t = be.timeout_tunnel_ms != 0 ? be.timeout_tunnel_ms
                                                 : std::max(frontend(s).timeout_client_ms, be.timeout_server_ms);
    arm(s, t);
    pump_tunnel(s);
    return;
  }
  if (head.no_body) {
    s.response_body.expect_none();
  } else if (head.chunked) {
    s.response_body.expect_chunked();
  } else if (head.content_length) {
    if (*head.content_length == 0) {
      s.response_body.expect_none();
    } else {
      s.response_body.expect_length(*head.content_length);
    }
  } else {
    s.response_body.expect_until_close();
    s.response_until_close = true;
  }
  pump_response_body(s);
}

void HttpProxy::pump_response_body(Session& s) {
  ServerLink& link = *s.link;
  bool done = false;
  uint16_t error = 0;
  uint64_t read = 0;
  const uint64_t moved = move(*link.conn, &link.inbound, &s.response_body, *s.client, &read, &done, &error);
  if (moved != 0) {
    s.bytes_out += moved;
    s.total_bytes_out += moved;
    counters_.frontends[s.frontend].bytes_out.add(moved);
  }
  if (moved != 0 || read != 0) s.last_activity_us = now_us_;
  if (read != 0) {
    counters_.backends[s.backend].bytes_out.add(read);
    server_counters(s.backend, s.server).bytes_out.add(read);
  }
  if (error != 0) {
    server_counters(s.backend, s.server).response_errors.increment();
    counters_.backends[s.backend].response_errors.increment();
    fail(s, 'S', 'D');
    return;
  }
  if (done) {
    finish_exchange(s);
    return;
  }
  if (link.conn->end_of_stream() && link.inbound == nullptr) {
    if (s.response_until_close) {
      s.server_keep_alive = false;
      finish_exchange(s);
      return;
    }
    server_counters(s.backend, s.server).server_aborts.increment();
    counters_.backends[s.backend].server_aborts.increment();
    fail(s, 'S', 'D');
    return;
  }
  s.waiting_on_client = s.client->send_space() == 0;
}

void HttpProxy::pump_tunnel(Session& s) {
  ServerLink& link = *s.link;
  bool done = false;
  uint16_t error = 0;
  uint64_t read_up = 0;
  uint64_t read_down = 0;
  const uint64_t up = move(*s.client, &s.inbound, nullptr, *link.conn, &read_up, &done, &error);
  const uint64_t down = move(*link.conn, &link.inbound, nullptr, *s.client, &read_down, &done, &error);
  if (up + down + read_up + read_down != 0) {
    s.last_activity_us = now_us_;
    s.bytes_in += read_up;
    s.total_bytes_in += read_up;
    s.bytes_out += down;
    s.total_bytes_out += down;
    counters_.frontends[s.frontend].bytes_in.add(read_up);
    counters_.frontends[s.frontend].bytes_out.add(down);
    counters_.backends[s.backend].bytes_in.add(up);
    counters_.backends[s.backend].bytes_out.add(read_down);
    server_counters(s.backend, s.server).bytes_in.add(up);
    server_counters(s.backend, s.server).bytes_out.add(read_down);
  }
  // Each side's end is passed on as a half-close; the tunnel ends when
  // both sides have ended.
  if (!s.client_eof && s.inbound == nullptr && s.client->end_of_stream()) {
    s.client_eof = true;
    link.conn->shutdown_write();
  }
  if (!link.eof && link.inbound == nullptr && link.conn->end_of_stream()) {
    link.eof = true;
    s.client->shutdown_write();
  }
  if (s.client_eof && link.eof) {
    s.server_keep_alive = false;
    s.client_keep_alive = false;
    finish_exchange(s);
  }
}

void HttpProxy::server_gone(ServerLink& link, TcpCloseReason reason) {
  Session* s = link.session;
  if (s == nullptr || s->link != &link) {
    close_link(link, false);
    return;
  }
  Session& session = *s;
  const bool abort = reason != TcpCloseReason::finished;
  if (session.phase == Phase::connecting) {
    // Refused, or the SYNs went unanswered.
    close_link(link, true);
    connect_failed(session, reason == TcpCloseReason::timed_out);
    return;
  }
  if (session.phase == Phase::tunnel) {
    if (abort) {
      // A reset is not an end of stream: the client must not take what it
      // got for everything, so it is reset too (SD, as HAProxy).
      server_counters(session.backend, session.server).server_aborts.increment();
      counters_.backends[session.backend].server_aborts.increment();
      fail(session, 'S', 'D');
      return;
    }
    close_link(link, false);
    log_exchange(session);
    end_session(session);
    return;
  }
  if (!session.response_head_done) {
    if (session.replay != nullptr) {
      // A reused connection the server had already given up on: the request
      // goes again, on another connection to the same server. The attempt
      // counts as a retry there, not as a second request or an error.
      close_link(link, true);
      ++session.retries;
      server_counters(session.backend, session.server).retries.increment();
      counters_.backends[session.backend].retries.increment();
      session.pending_head = session.replay;
      session.replay = nullptr;
      connect(session);
      return;
    }
    ServerCounters& sc = server_counters(session.backend, session.server);
    sc.server_aborts.increment();
    sc.response_errors.increment();
    counters_.backends[session.backend].server_aborts.increment();
    counters_.backends[session.backend].response_errors.increment();
    close_link(link, abort);
    reply_error(session, 502, 'S', 'H');
    return;
  }
  // The response had started: what the client got is all it gets.
  server_counters(session.backend, session.server).server_aborts.increment();
  counters_.backends[session.backend].server_aborts.increment();
  fail(session, 'S', 'D');
}

void HttpProxy::release_link(Session& s) {
  ServerLink* link = s.link;
  if (link == nullptr) return;
  s.link = nullptr;
  const bool reusable = s.server_keep_alive && link->connected && link->inbound == nullptr &&
                        link->conn->readable() == 0 && !link->conn->end_of_stream();
  if (!reusable) {
    close_link(*link, false);
    return;
  }
  if (backend(s).reuse == conf::HttpReuse::never) {
    s.private_link = link;  // this client's next request may use it, nobody else's
  } else {
    pool_push(*link);
  }
}

void HttpProxy::finish_exchange(Session& s) {
  s.response_done = true;
  if (!s.request_done) {
    s.client_keep_alive = false;
    s.server_keep_alive = false;
  }
  log_exchange(s);
  release_link(s);
  release_slot(s);
  if (!s.client_keep_alive || s.client == nullptr) {
    end_session(s);
    return;
  }
  reset_exchange(s);
  if (s.inbound != nullptr) {
    // A pipelined request already started: it is this request's first
    // bytes (for dontlognull), and timeout_http_request applies to it, not
    // the keep-alive timeout.
    s.first_byte_us = now_us_;
    s.bytes_in = s.inbound->pkt_len;
    arm(s, frontend(s).timeout_http_request_ms);
  } else {
    arm(s, frontend(s).timeout_http_keep_alive_ms);
  }
  // A pipelined request may be waiting already.
  if (s.inbound != nullptr || s.client->readable() > 0 || s.client->end_of_stream()) read_request(s);
}

void HttpProxy::reset_exchange(Session& s) {
  s.phase = Phase::request_head;
  s.backend = kNoIndex;
  s.server = kNoIndex;
  s.request_done = s.response_head_done = s.response_done = false;
  s.request_is_head = s.upgrade = s.waiting_on_client = s.redispatch = s.response_until_close = false;
  s.request_idempotent = s.counted_on_server = false;
  s.server_keep_alive = true;
  s.retries = 0;
  s.status = 0;
  s.termination[0] = s.termination[1] = '-';
  s.request_body.expect_none();
  s.response_body.expect_none();
  s.key = {};
  s.start_us = now_us_;
  s.first_byte_us = s.head_done_us = s.queue_done_us = s.connect_done_us = s.response_us = 0;
  s.last_activity_us = now_us_;
  s.bytes_in = s.bytes_out = 0;
  s.request_line_length = 0;
  if (s.replay != nullptr) {
    rte_pktmbuf_free(s.replay);
    s.replay = nullptr;
  }
}

void HttpProxy::timer_fired(Session& s) {
  const ProxyFrontend& f = frontend(s);
  if (s.lingering) {
    end_session(s);
    return;
  }
  switch (s.phase) {
    case Phase::request_head:
      if (s.first_byte_us == 0 && s.requests > 0) {
        end_session(s);  // timeout_http_keep_alive: a quiet close
        return;
      }
      counters_.frontends[s.frontend].request_errors.increment();
      reply_error(s, 408, 'c', 'R');
      return;
    case Phase::queued:
      unqueue(s);
      counters_.backends[s.backend].queue_timeouts.increment();
      reply_error(s, 503, 's', 'Q');
      return;
    case Phase::connecting:
      connect_failed(s, true);
      return;
    case Phase::retry_wait:
      if (s.redispatch) {
        counters_.backends[s.backend].redispatches.increment();
        release_slot(s);
        s.phase = Phase::request_head;
        assign(s);
      } else {
        connect(s);
      }
      return;
    case Phase::exchanging:
    case Phase::tunnel: {
      const ProxyBackend& be = backend(s);
      uint32_t timeout_ms = s.waiting_on_client ? f.timeout_client_ms : be.timeout_server_ms;
      if (s.phase == Phase::tunnel) {
        timeout_ms = be.timeout_tunnel_ms != 0 ? be.timeout_tunnel_ms : std::max(f.timeout_client_ms, be.timeout_server_ms);
      }
      const uint64_t idle_ms = (now_us_ - s.last_activity_us) / 1000;
      if (idle_ms < timeout_ms) {
        arm(s, static_cast<uint32_t>(timeout_ms - idle_ms));
        return;
      }
      if (s.phase == Phase::exchanging && !s.response_head_done) {
        if (s.waiting_on_client && !s.request_done) {
          counters_.frontends[s.frontend].request_errors.increment();
          if (s.link != nullptr) close_link(*s.link, true);
          reply_error(s, 408, 'c', 'D');
        } else {
          if (s.link != nullptr) close_link(*s.link, true);
          reply_error(s, 504, 's', 'H');
        }
        return;
      }
      fail(s, s.phase == Phase::tunnel ? tunnel_timeout_side(s) : (s.waiting_on_client ? 'c' : 's'), 'D');
      return;
    }
  }
}

// Who a tunnel's inactivity timeout is blamed on. waiting_on_client is
// about the exchange before the 101 and means nothing here. HAProxy arms
// timeout tunnel on both channels; a side's read timeout is refreshed by
// writes to it too (unless option independent-streams), so when it fires
// nothing moved either way, and process_stream looks at the request
// channel first: a client-side timeout, cD. The exception is a server that
// does not take what the client sent (bytes still unacknowledged in its
// send queue while the client's is empty): the request channel's write
// timeout, a server-side one, sD.
char HttpProxy::tunnel_timeout_side(const Session& s) const {
  const bool server_stuck = s.link != nullptr && s.link->conn != nullptr && s.link->conn->send_queued() != 0;
  const bool client_stuck = s.client != nullptr && s.client->send_queued() != 0;
  return server_stuck && !client_stuck ? 's' : 'c';
}

void HttpProxy::log_exchange(Session& s) {
  if (log_ == nullptr || !snapshot_->access_log) return;
  const ProxyFrontend& f = frontend(s);
  if (!f.log) return;
  if (f.dontlognull && s.bytes_in == 0) return;
  AccessLogRecord r;
  r.accept_us = s.start_us;
  if (s.client != nullptr) {
    r.client_address = s.client->tuple().remote_address;
    r.client_port = s.client->tuple().remote_port;
  }
  r.frontend = s.frontend;
  r.backend = s.backend;
  r.server = s.server;
  r.status = s.status;
  const uint64_t request_start = s.first_byte_us != 0 ? s.first_byte_us : s.start_us;
  r.t_request = elapsed_ms(request_start, s.head_done_us);
  r.t_queue = elapsed_ms(s.head_done_us, s.queue_done_us);
  r.t_connect = elapsed_ms(s.queue_done_us, s.connect_done_us);
  r.t_response = elapsed_ms(s.connect_done_us, s.response_us);
  r.t_active = elapsed_ms(s.start_us, now_us_);
  r.bytes_read = s.bytes_out;
  r.termination[0] = s.termination[0];
  r.termination[1] = s.termination[1];
  r.retries = s.retries;
  r.active_connections = live_sessions_;
  r.frontend_connections = frontend_sessions_[s.frontend];
  if (s.backend != kNoIndex) {
    r.backend_queue = backend_queues_[s.backend].length;
    if (s.server != kNoIndex) {
      r.server_connections = balancers_[s.backend].in_flight(s.server);
      r.server_queue = server_queues_[s.backend][s.server].length;
    }
    uint32_t in_flight = 0;
    for (std::size_t i = 0; i < snapshot_->backends[s.backend].servers.size(); ++i) {
      in_flight += balancers_[s.backend].in_flight(static_cast<uint32_t>(i));
    }
    r.backend_connections = in_flight;
  }
  r.request_length = s.request_line_length;
  std::memcpy(r.request, s.request_line, s.request_line_length);
  if (!log_->push(r)) counters_.log_records_lost.increment();
}

}  // namespace dplb::dataplane
