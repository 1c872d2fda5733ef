// The server side of an exchange: reading response heads and passing them
// on, forwarding response bodies and tunnels, and ending the exchange
// (the session then waits for the client's next request).

#include <rte_mbuf.h>

#include <algorithm>

#include "dataplane/base/mbuf_chain.h"
#include "dataplane/http/http_head_writer.h"
#include "dataplane/proxy/http_proxy.h"
#include "dataplane/tcp/tcp_connection.h"

namespace dplb::dataplane {

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
    const Gather g = gather(*link.stream, &link.inbound, &link.head, &got);
    if (got != 0) {
      s.last_activity_us = now_us_;
      server_counters(s.backend, s.server).bytes_out.add(got);
      counters_.backends[s.backend].bytes_out.add(got);
      // A reuse replay is for a connection that died before any answer; an
      // L7 one lasts until the response head is accepted.
      if (s.replay != nullptr && !s.l7_replay) {
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
      if (link.stream->end_of_stream()) server_gone(link, TcpCloseReason::finished);
      return;
    }
    if (r.kind == HttpParseResult::Kind::error) {
      bad_response(s);
      return;
    }
    HttpResponseHead& head = *response_head_;
    link.inbound = chain_trim_front(link.inbound, static_cast<uint32_t>(r.head_length));
    // The parsed head points into the buffer; a buffer given back keeps its
    // bytes until it is taken again, and nothing takes one before the head
    // is written out.
    give_buffer(link.head);
    if (head.status >= 100 && head.status < 200 && head.status != 101) {
      // The final response follows.
      forward_interim_response(s, head);
      continue;
    }
    response_head_complete(s, head);
    return;
  }
}

void HttpProxy::forward_interim_response(Session& s, const HttpResponseHead& head) {
  ResponseRewrite rewrite;
  rewrite.keep_alive = true;
  rewrite.client_version_minor = s.client_version_minor;
  const std::size_t length = write_response_head(head, rewrite, rewrite_.get(), kRewriteCapacity);
  if (length != 0 && s.client_version_minor >= 1) {
    // A byte of a response reaches the client: from here the request is
    // never sent again.
    if (s.replay != nullptr) {
      rte_pktmbuf_free(s.replay);
      s.replay = nullptr;
    }
    s.l7_replay = false;
    const uint32_t n = s.client->write_copy(rewrite_.get(), static_cast<uint32_t>(length));
    s.bytes_out += n;
    s.total_bytes_out += n;
    counters_.frontends[s.frontend].bytes_out.add(n);
  }
}

void HttpProxy::response_head_complete(Session& s, HttpResponseHead& head) {
  if (head.upgrade && !s.upgrade) {
    // A switch of protocols nobody asked for: the client could not follow it.
    bad_response(s);
    return;
  }
  if (retryable_status(s, head.status) && l7_retry(s, RetryCause::status)) return;
  if (s.replay != nullptr) {
    rte_pktmbuf_free(s.replay);
    s.replay = nullptr;
  }
  if (!apply_response_rules(s, head)) return;
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
    s.response_head_done = false;
    bad_response(s);
    return;
  }
  const uint32_t n = s.client->write_copy(rewrite_.get(), static_cast<uint32_t>(length));
  s.bytes_out += n;
  s.total_bytes_out += n;
  counters_.frontends[s.frontend].bytes_out.add(n);

  if (tunnel) {
    start_tunnel(s);
    return;
  }
  expect_response_body(s, head);
  pump_response_body(s);
}

void HttpProxy::start_tunnel(Session& s) {
  s.phase = Phase::tunnel;
  s.request_done = true;
  arm(s, tunnel_timeout_ms(s));
  pump_tunnel(s);
}

void HttpProxy::expect_response_body(Session& s, const HttpResponseHead& head) {
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
}

void HttpProxy::pump_response_body(Session& s) {
  ServerLink& link = *s.link;
  bool done = false;
  uint16_t error = 0;
  uint64_t read = 0;
  const uint64_t moved = move(*link.stream, &link.inbound, &s.response_body, *s.client, &read, &done, &error);
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
  if (link.stream->end_of_stream() && link.inbound == nullptr) {
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
  const uint64_t up = move(*s.client, &s.inbound, nullptr, *link.stream, &read_up, &done, &error);
  const uint64_t down = move(*link.stream, &link.inbound, nullptr, *s.client, &read_down, &done, &error);
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
    link.stream->shutdown_write();
  }
  if (!link.eof && link.inbound == nullptr && link.stream->end_of_stream()) {
    link.eof = true;
    s.client->shutdown_write();
  }
  if (s.client_eof && link.eof) {
    s.server_keep_alive = false;
    s.client_keep_alive = false;
    finish_exchange(s);
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
  end_l7_retry(s);
  s.retry_refusal = 0;
  s.redispatched = false;
  s.phase = Phase::request_head;
  s.backend = kNoIndex;
  s.server = kNoIndex;
  s.request_done = s.response_head_done = s.response_done = false;
  s.request_is_head = s.upgrade = s.waiting_on_client = s.redispatch = s.response_until_close = false;
  s.failed_servers = 0;
  s.request_idempotent = s.counted_on_server = s.l7_retry_disabled = false;
  s.request_content_length = 0;
  s.has_idempotency_key = s.l7_replay = s.replay_on_reuse = false;
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

}  // namespace dplb::dataplane
