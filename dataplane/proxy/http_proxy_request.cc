// The client side of an exchange: reading and parsing request heads,
// rewriting them for the server, sending them and forwarding request
// bodies, and a client that goes away.

#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "dataplane/base/mbuf_chain.h"
#include "dataplane/http/http_head_parser.h"
#include "dataplane/http/http_head_writer.h"
#include "dataplane/proxy/http_proxy.h"
#include "dataplane/tcp/tcp_connection.h"

namespace dplb::dataplane {
namespace {

// The part of a request target that `balance uri` hashes: the path,
// without the query string (HAProxy's default).
std::string_view uri_path(std::string_view target) {
  const auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

// RFC 9110 9.2.2: the methods whose intended effect of several identical
// requests is that of one. POST, PATCH and CONNECT (and unknown methods)
// are not; a proxy must not send those again on its own once they may have
// reached a server.
bool idempotent(std::string_view method) {
  for (const char* m : {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}) {
    if (method == m) return true;  // methods are case-sensitive (RFC 9110 9.1)
  }
  return false;
}

}  // namespace

void HttpProxy::client_readable(Session& s) {
  if (s.lingering) {
    linger_readable(s);
    return;
  }
  switch (s.phase) {
    case Phase::request_head:
      read_request(s);
      break;
    case Phase::exchanging:
      if (!s.request_done && s.link != nullptr && s.link->connected) pump_request_body(s);
      break;
    case Phase::tunnel:
      pump_tunnel(s);
      break;
    default:
      // Body bytes wait in the receive queue until a server takes them.
      break;
  }
}

void HttpProxy::read_request(Session& s) {
  const ProxyFrontend& f = frontend(s);
  uint64_t got = 0;
  const Gather g = gather(*s.client, &s.inbound, &s.head, &got);
  if (got != 0) {
    s.bytes_in += got;
    s.total_bytes_in += got;
    counters_.frontends[s.frontend].bytes_in.add(got);
    s.last_activity_us = now_us_;
    if (s.first_byte_us == 0) {
      s.first_byte_us = now_us_;
      // A keep-alive connection waited under timeout_http_keep_alive; the
      // request itself now has timeout_http_request.
      if (s.requests > 0) arm(s, f.timeout_http_request_ms);
    }
  }
  if (g == Gather::eof) {
    // The client closed between requests: the normal end of a connection.
    end_session(s);
    return;
  }
  if (g == Gather::more) return;

  HttpLimits limits = snapshot_->limits;
  limits.max_head = std::min<std::size_t>(limits.max_head, kHeadCapacity - 1);
  const HttpParseResult r = parse_request_head(std::string_view(s.head->data, s.head->length), limits,
                                               request_head_.get());
  switch (r.kind) {
    case HttpParseResult::Kind::incomplete:
      if (s.client->end_of_stream()) {
        counters_.frontends[s.frontend].request_errors.increment();
        reply_error(s, 400, 'C', 'R');
      }
      return;
    case HttpParseResult::Kind::error:
      counters_.frontends[s.frontend].request_errors.increment();
      record_unparsed_request_line(s);
      reply_error(s, r.status, 'P', 'R');
      return;
    case HttpParseResult::Kind::complete:
      request_head_complete(s, *request_head_, static_cast<uint32_t>(r.head_length));
      return;
  }
}

void HttpProxy::record_unparsed_request_line(Session& s) {
  const char* data = s.head->data;
  const char* eol = static_cast<const char*>(std::memchr(data, '\n', s.head->length));
  uint32_t n = eol != nullptr ? static_cast<uint32_t>(eol - data) : s.head->length;
  if (n > 0 && data[n - 1] == '\r') --n;
  n = std::min<uint32_t>(n, sizeof(s.request_line));
  std::memcpy(s.request_line, data, n);
  s.request_line_length = static_cast<uint16_t>(n);
}

void HttpProxy::request_head_complete(Session& s, HttpRequestHead& head, uint32_t head_length) {
  ++s.requests;
  s.head_done_us = now_us_;
  counters_.frontends[s.frontend].requests.increment();
  wheel_.cancel(s.timer);
  record_request_line(s, head);
  if (http_token_equal(head.method, "CONNECT")) {
    // A reverse proxy has no business opening arbitrary tunnels; upgrades
    // after a 101 are the supported way.
    counters_.frontends[s.frontend].request_errors.increment();
    reply_error(s, 501, 'P', 'R');
    return;
  }
  note_request_head(s, head);
  s.backend = static_cast<uint16_t>(frontend(s).backend);
  if (!apply_request_rules(s, head, head_length)) return;
  const ProxyBackend& be = backend(s);
  if (be.retry_non_idempotent == conf::RetryNonIdempotent::with_idempotency_key && !s.request_idempotent) {
    for (std::size_t i = 0; i < head.field_count && !s.has_idempotency_key; ++i) {
      s.has_idempotency_key = http_token_equal(head.fields[i].name, be.idempotency_key_header);
    }
  }
  s.key = balance_key(s, head);
  if (!rewrite_request_head(s, head)) return;
  s.inbound = chain_trim_front(s.inbound, head_length);
  give_buffer(s.head);
  counters_.backends[s.backend].requests.increment();
  assign(s);
}

void HttpProxy::record_request_line(Session& s, const HttpRequestHead& head) {
  char* out = s.request_line;
  const std::size_t room = sizeof(s.request_line);
  std::size_t n = 0;
  auto put = [&](std::string_view part) {
    const std::size_t k = std::min(part.size(), room - n);
    std::memcpy(out + n, part.data(), k);
    n += k;
  };
  put(head.method);
  put(" ");
  put(head.target);
  put(head.version_minor == 0 ? " HTTP/1.0" : " HTTP/1.1");
  s.request_line_length = static_cast<uint16_t>(n);
}

void HttpProxy::note_request_head(Session& s, const HttpRequestHead& head) {
  s.client_keep_alive = head.keep_alive;
  s.client_version_minor = head.version_minor;
  s.request_is_head = http_token_equal(head.method, "HEAD");
  s.request_idempotent = idempotent(head.method);
  s.upgrade = head.upgrade;
  if (head.chunked) {
    s.request_body.expect_chunked();
  } else if (head.content_length && *head.content_length > 0) {
    s.request_body.expect_length(*head.content_length);
  } else {
    s.request_body.expect_none();
  }
  s.request_done = s.request_body.done();
  s.request_content_length = !head.chunked && head.content_length ? *head.content_length : 0;
}

BalanceKey HttpProxy::balance_key(const Session& s, const HttpRequestHead& head) const {
  const ProxyBackend& be = backend(s);
  switch (be.balance) {
    case conf::BalanceAlgorithm::source:
      return {true, balance_hash_ipv4(s.client->tuple().remote_address)};
    case conf::BalanceAlgorithm::uri:
      return {true, balance_hash(uri_path(head.target))};
    case conf::BalanceAlgorithm::hdr:
      for (std::size_t i = 0; i < head.field_count; ++i) {
        if (http_token_equal(head.fields[i].name, be.hash_header)) return {true, balance_hash(head.fields[i].value)};
      }
      return {};
    default:
      return {};
  }
}

bool HttpProxy::rewrite_request_head(Session& s, const HttpRequestHead& head) {
  const ProxyFrontend& f = frontend(s);
  // The server connection is kept for reuse unless nothing could reuse it.
  s.server_keep_alive = backend(s).reuse != conf::HttpReuse::never || s.client_keep_alive;
  RequestRewrite rewrite;
  rewrite.keep_alive = s.server_keep_alive;
  rewrite.forwardfor = f.forwardfor;
  rewrite.client_address = s.client->tuple().remote_address;
  rewrite.frontend_port = s.client->tuple().local_port;
  rewrite.tls = s.client == &s.tls;
  // HAProxy's ssl_c_s_dn (OpenSSL's one-line form), written straight into
  // a buffer of the stack: nothing is kept per session for it.
  char subject[512];
  rewrite.client_cert_header = f.client_cert_header;
  if (rewrite.tls && !f.client_cert_header.empty()) {
    rewrite.client_cert_subject = s.tls.verified_peer_subject(subject, sizeof(subject));
  }
  const std::size_t length = write_request_head(head, rewrite, rewrite_.get(), kRewriteCapacity);
  if (length == 0) {
    counters_.frontends[s.frontend].request_errors.increment();
    reply_error(s, 400, 'P', 'R');
    return false;
  }
  s.pending_head = copy_to_mbufs(rewrite_.get(), static_cast<uint32_t>(length));
  if (s.pending_head == nullptr) {
    reply_error(s, 503, 'P', 'R');
    return false;
  }
  return true;
}

void HttpProxy::send_request(Session& s) {
  ServerLink& link = *s.link;
  s.phase = Phase::exchanging;
  ServerCounters& sc = server_counters(s.backend, s.server);
  // A request sent again after its connection failed under it (replay) is
  // still one request for the server's total; the failed attempt shows as
  // a retry (server_gone).
  if (!s.counted_on_server) sc.total.increment();
  s.counted_on_server = true;
  sc.last_request_us.add(now_us_ - sc.last_request_us.get());
  const RetryRefusal refusal = retry_refusal(s);
  s.retry_refusal = static_cast<uint8_t>(refusal);
  if (refusal == RetryRefusal::none) {
    if (s.replay == nullptr) s.replay = rte_pktmbuf_clone(s.pending_head, pool_);
    s.l7_replay = s.replay != nullptr;
  }
  const uint32_t head_bytes = s.pending_head->pkt_len;
  sc.bytes_in.add(head_bytes);
  counters_.backends[s.backend].bytes_in.add(head_bytes);
  link.stream->write(s.pending_head);
  s.pending_head = nullptr;
  s.waiting_on_client = false;
  s.last_activity_us = now_us_;
  // From here either side may be the one waited on (a body still coming
  // from the client, or the server's answer), and which one can change at
  // any time: the timer wakes at the shorter timeout and timer_fired
  // re-arms for what is left of the one that applies.
  arm(s, std::min(frontend(s).timeout_client_ms, server_timeout_ms(s)));
  if (!s.request_done) pump_request_body(s);
}

void HttpProxy::pump_request_body(Session& s) {
  ServerLink& link = *s.link;
  bool done = false;
  uint16_t error = 0;
  uint64_t read = 0;
  const uint64_t moved = move(*s.client, &s.inbound, &s.request_body, *link.stream, &read, &done, &error, &s);
  if (read != 0) {
    s.bytes_in += read;
    s.total_bytes_in += read;
    counters_.frontends[s.frontend].bytes_in.add(read);
  }
  if (moved != 0 || read != 0) s.last_activity_us = now_us_;
  if (moved != 0) {
    counters_.backends[s.backend].bytes_in.add(moved);
    server_counters(s.backend, s.server).bytes_in.add(moved);
  }
  if (error != 0) {
    counters_.frontends[s.frontend].request_errors.increment();
    if (s.response_head_done) {
      fail(s, 'P', 'D');
    } else {
      if (s.link != nullptr) close_link(*s.link, true);
      reply_error(s, error == 400 ? 400 : 500, 'P', 'D');
    }
    return;
  }
  if (done) {
    s.request_done = true;
    s.waiting_on_client = false;
    return;
  }
  if (s.client->end_of_stream()) {
    // The client gave up in the middle of its body.
    counters_.frontends[s.frontend].client_aborts.increment();
    counters_.backends[s.backend].client_aborts.increment();
    fail(s, 'C', 'D');
    return;
  }
  s.waiting_on_client = link.stream->send_space() > 0;
}

void HttpProxy::client_gone(Session& s, TcpCloseReason) {
  s.client = nullptr;
  s.client_tcp = nullptr;
  if (s.lingering || (s.phase == Phase::request_head && s.first_byte_us == 0)) {
    // Between requests, or the exchange already logged: nothing to report.
    free_session(s);
    return;
  }
  char phase = 'R';
  switch (s.phase) {
    case Phase::request_head: phase = 'R'; break;
    case Phase::queued: phase = 'Q'; break;
    case Phase::connecting:
    case Phase::retry_wait: phase = 'C'; break;
    case Phase::exchanging: phase = s.response_head_done ? 'D' : 'H'; break;
    case Phase::tunnel: phase = 'D'; break;
  }
  counters_.frontends[s.frontend].client_aborts.increment();
  if (s.backend != kNoIndex) counters_.backends[s.backend].client_aborts.increment();
  s.termination[0] = 'C';
  s.termination[1] = phase;
  log_exchange(s);
  free_session(s);
}

}  // namespace dplb::dataplane
