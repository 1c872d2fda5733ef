// The client side of the proxy: gathering and parsing request heads,
// choosing a server, forwarding request bodies, and the answers dplb gives
// itself (error pages) when a request cannot be served.

#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "dataplane/http/http_head_parser.h"
#include "dataplane/http/http_head_writer.h"
#include "dataplane/base/mbuf_chain.h"
#include "dataplane/proxy/http_proxy.h"
#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/tcp/tcp_stack.h"

namespace dplb::dataplane {
namespace {

constexpr uint32_t kRewriteCapacity = 32768;

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

HttpProxy::Gather HttpProxy::gather(TcpConnection& conn, rte_mbuf** inbound, HeadBuffer** buffer, uint64_t* bytes) {
  while (conn.readable() > 0) {
    uint32_t n = 0;
    rte_mbuf* m = conn.read(UINT32_MAX, &n);
    if (m == nullptr) break;
    *inbound = chain_append(*inbound, m);
    *bytes += n;
  }
  if (*inbound == nullptr) return conn.end_of_stream() ? Gather::eof : Gather::more;
  if (*buffer == nullptr) *buffer = take_buffer();
  HeadBuffer& b = **buffer;
  const uint32_t want = std::min<uint32_t>((*inbound)->pkt_len, kHeadCapacity);
  if (want > b.length) {
    chain_copy(*inbound, b.length, want - b.length, reinterpret_cast<uint8_t*>(b.data + b.length));
    b.length = want;
  }
  return Gather::ready;
}

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
    case HttpParseResult::Kind::error: {
      counters_.frontends[s.frontend].request_errors.increment();
      // The request line, as far as it goes, for the log.
      const char* data = s.head->data;
      const char* eol = static_cast<const char*>(std::memchr(data, '\n', s.head->length));
      uint32_t n = eol != nullptr ? static_cast<uint32_t>(eol - data) : s.head->length;
      if (n > 0 && data[n - 1] == '\r') --n;
      n = std::min<uint32_t>(n, sizeof(s.request_line));
      std::memcpy(s.request_line, data, n);
      s.request_line_length = static_cast<uint16_t>(n);
      reply_error(s, r.status, 'P', 'R');
      return;
    }
    case HttpParseResult::Kind::complete:
      request_head_complete(s, *request_head_, static_cast<uint32_t>(r.head_length));
      return;
  }
}

void HttpProxy::request_head_complete(Session& s, const HttpRequestHead& head, uint32_t head_length) {
  const ProxyFrontend& f = frontend(s);
  ++s.requests;
  s.head_done_us = now_us_;
  counters_.frontends[s.frontend].requests.increment();
  wheel_.cancel(s.timer);

  // "METHOD target HTTP/1.x" for the access log, truncated to its room.
  {
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

  if (http_token_equal(head.method, "CONNECT")) {
    // A reverse proxy has no business opening arbitrary tunnels; upgrades
    // after a 101 are the supported way.
    counters_.frontends[s.frontend].request_errors.increment();
    reply_error(s, 501, 'P', 'R');
    return;
  }
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

  s.backend = static_cast<uint16_t>(f.backend);
  const ProxyBackend& be = backend(s);
  switch (be.balance) {
    case conf::BalanceAlgorithm::source:
      s.key = {true, balance_hash_ipv4(s.client->tuple().remote_address)};
      break;
    case conf::BalanceAlgorithm::uri:
      s.key = {true, balance_hash(uri_path(head.target))};
      break;
    case conf::BalanceAlgorithm::hdr:
      s.key = {};
      for (std::size_t i = 0; i < head.field_count; ++i) {
        if (http_token_equal(head.fields[i].name, be.hash_header)) {
          s.key = {true, balance_hash(head.fields[i].value)};
          break;
        }
      }
      break;
    default:
      s.key = {};
      break;
  }

  // The server connection is kept for reuse unless nothing could reuse it.
  s.server_keep_alive = be.reuse != conf::HttpReuse::never || s.client_keep_alive;
  RequestRewrite rewrite;
  rewrite.keep_alive = s.server_keep_alive;
  rewrite.forwardfor = f.forwardfor;
  rewrite.client_address = s.client->tuple().remote_address;
  rewrite.frontend_port = s.client->tuple().local_port;
  const std::size_t length = write_request_head(head, rewrite, rewrite_.get(), kRewriteCapacity);
  if (length == 0) {
    counters_.frontends[s.frontend].request_errors.increment();
    reply_error(s, 400, 'P', 'R');
    return;
  }
  s.pending_head = copy_to_mbufs(rewrite_.get(), static_cast<uint32_t>(length));
  if (s.pending_head == nullptr) {
    reply_error(s, 503, 'P', 'R');
    return;
  }
  s.inbound = chain_trim_front(s.inbound, head_length);
  give_buffer(s.head);
  counters_.backends[s.backend].requests.increment();
  assign(s);
}

void HttpProxy::assign(Session& s) {
  BackendBalancer& balancer = balancers_[s.backend];
  const Pick pick = balancer.pick(s.key);
  switch (pick.outcome) {
    case PickOutcome::server: {
      s.server = static_cast<uint16_t>(pick.server);
      s.queue_done_us = now_us_;
      s.slot_taken = true;
      balancer.taken(pick.server);
      ServerCounters& sc = server_counters(s.backend, s.server);
      sc.current.increment();
      sc.current_max.observe(balancer.in_flight(pick.server));
      connect(s);
      return;
    }
    case PickOutcome::queue_server:
      s.server = static_cast<uint16_t>(pick.server);
      enqueue(s, true);
      return;
    case PickOutcome::queue_backend:
      enqueue(s, false);
      return;
    case PickOutcome::no_server:
      counters_.backends[s.backend].no_server.increment();
      reply_error(s, 503, 'S', 'C');
      return;
  }
}

void HttpProxy::send_request(Session& s) {
  const ProxyBackend& be = backend(s);
  ServerLink& link = *s.link;
  s.phase = Phase::exchanging;
  ServerCounters& sc = server_counters(s.backend, s.server);
  // A request sent again after its connection failed under it (replay) is
  // still one request for the server's total; the failed attempt shows as
  // a retry (server_gone).
  if (!s.counted_on_server) sc.total.increment();
  s.counted_on_server = true;
  sc.last_request_us.add(now_us_ - sc.last_request_us.get());
  const uint32_t head_bytes = s.pending_head->pkt_len;
  sc.bytes_in.add(head_bytes);
  counters_.backends[s.backend].bytes_in.add(head_bytes);
  link.conn->write(s.pending_head);
  s.pending_head = nullptr;
  s.waiting_on_client = false;
  s.last_activity_us = now_us_;
  // From here either side may be the one waited on (a body still coming
  // from the client, or the server's answer), and which one can change at
  // any time: the timer wakes at the shorter timeout and timer_fired
  // re-arms for what is left of the one that applies.
  arm(s, std::min(frontend(s).timeout_client_ms, be.timeout_server_ms));
  if (!s.request_done) pump_request_body(s);
}

void HttpProxy::pump_request_body(Session& s) {
  ServerLink& link = *s.link;
  bool done = false;
  uint16_t error = 0;
  uint64_t read = 0;
  const uint64_t moved = move(*s.client, &s.inbound, &s.request_body, *link.conn, &read, &done, &error);
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
  s.waiting_on_client = link.conn->send_space() > 0;
}

uint64_t HttpProxy::move(TcpConnection& from, rte_mbuf** inbound, HttpBodyFramer* framer, TcpConnection& to,
                         uint64_t* read, bool* done, uint16_t* error) {
  uint64_t moved = 0;
  *read = 0;
  *done = framer != nullptr && framer->done();
  while (!*done) {
    const uint32_t space = to.send_space();
    if (space == 0) {
      to.want_writable();
      break;
    }
    rte_mbuf* chain = *inbound;
    *inbound = nullptr;
    if (chain == nullptr) {
      if (from.readable() == 0) break;
      uint32_t n = 0;
      chain = from.read(space, &n);
      if (chain == nullptr) break;
      *read += n;
    }
    if (framer != nullptr) {
      uint32_t offset = 0;
      for (rte_mbuf* m = chain; m != nullptr; m = m->next) {
        const HttpBodyFramer::Step step = framer->consume(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
        if (step.error != 0) {
          rte_pktmbuf_free(chain);
          *error = step.error;
          return moved;
        }
        offset += step.consumed;
        if (step.done) {
          *done = true;
          break;
        }
      }
      if (*done) {
        if (offset == 0) {  // everything here belongs to the next message
          *inbound = chain;
          break;
        }
        rte_mbuf* rest = nullptr;
        if (!chain_split(chain, offset, pool_, &rest)) {
          rte_pktmbuf_free(chain);
          *error = 500;
          return moved;
        }
        *inbound = rest;
      }
    }
    moved += chain->pkt_len;
    to.write(chain);
  }
  return moved;
}

void HttpProxy::reply_error(Session& s, uint16_t status, char who, char phase) {
  s.status = status;
  s.termination[0] = who;
  s.termination[1] = phase;
  const std::size_t cls = status_class(status);
  counters_.frontends[s.frontend].responses[cls].increment();
  if (s.backend != kNoIndex) counters_.backends[s.backend].responses[cls].increment();
  if (s.client != nullptr) {
    const std::string& page = frontend(s).error_page(status);
    const uint32_t n = s.client->write_copy(page.data(), static_cast<uint32_t>(page.size()));
    s.bytes_out += n;
    s.total_bytes_out += n;
    counters_.frontends[s.frontend].bytes_out.add(n);
  }
  log_exchange(s);
  end_session(s);
}

void HttpProxy::fail(Session& s, char who, char phase) {
  s.termination[0] = who;
  s.termination[1] = phase;
  log_exchange(s);
  if (s.link != nullptr) close_link(*s.link, true);
  if (s.client != nullptr) {
    s.client->user_data = nullptr;
    s.client->abort();
    s.client = nullptr;
  }
  free_session(s);
}

void HttpProxy::client_gone(Session& s, TcpCloseReason) {
  s.client = nullptr;
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
