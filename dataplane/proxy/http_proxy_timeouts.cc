// The session timer: one per session, armed for whichever timeout applies
// in its phase, and what happens when it runs out.

#include <algorithm>

#include "dataplane/proxy/http_proxy.h"
#include "dataplane/tcp/tcp_connection.h"

namespace dplb::dataplane {

void HttpProxy::arm(Session& s, uint32_t timeout_ms) {
  wheel_.schedule(s.timer, now_us_ / 1000 + std::max<uint32_t>(timeout_ms, 1));
}

void HttpProxy::timer_fired(Session& s) {
  if (s.lingering) {
    end_session(s);
    return;
  }
  switch (s.phase) {
    case Phase::request_head:
      if (s.tls.active() && !s.tls.handshake_done()) {
        s.tls.handshake_timed_out();
        tls_failed(s);
        return;
      }
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
      if (s.link != nullptr && s.link->tls.active()) {
        server_counters(s.backend, s.server)
            .tls_failures[static_cast<std::size_t>(TlsFailure::handshake_timeout)]
            .increment();
      }
      connect_failed(s, true);
      return;
    case Phase::retry_wait:
      if (s.redispatch) {
        counters_.backends[s.backend].redispatches.increment();
        s.redispatched = true;
        release_slot(s);
        // A Layer-7 retry's request reached its server: the next one
        // counts it again (and avoids the servers that failed it).
        s.counted_on_server = false;
        s.phase = Phase::request_head;
        assign(s);
      } else {
        connect(s);
      }
      return;
    case Phase::exchanging:
    case Phase::tunnel:
      exchange_timer_fired(s);
      return;
  }
}

void HttpProxy::exchange_timer_fired(Session& s) {
  // While a response streams, bytes the client has not taken when the timer
  // fires make the client the one waited on, as HAProxy's write timeout on
  // the response channel does: a client whose window stays closed is ended by
  // timeout_client even when the worker's buffer budget, not this
  // connection's send space, is what stopped the reading from the server.
  if (s.phase == Phase::exchanging && s.response_head_done && s.client != nullptr &&
      s.client->send_queued() != 0) {
    s.waiting_on_client = true;
  }
  const uint32_t timeout_ms = s.phase == Phase::tunnel ? tunnel_timeout_ms(s)
                              : s.waiting_on_client    ? frontend(s).timeout_client_ms
                                                       : server_timeout_ms(s);
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
      if (l7_retry(s, RetryCause::response_timeout)) return;
      if (s.link != nullptr) close_link(*s.link, true);
      reply_error(s, 504, 's', 'H');
    }
    return;
  }
  fail(s, s.phase == Phase::tunnel ? tunnel_timeout_side(s) : (s.waiting_on_client ? 'c' : 's'), 'D');
}

// Without timeout_tunnel, the longer of the two sides' inactivity timeouts.
uint32_t HttpProxy::tunnel_timeout_ms(const Session& s) const {
  const ProxyBackend& be = backend(s);
  if (be.timeout_tunnel_ms != 0) return be.timeout_tunnel_ms;
  return std::max(frontend(s).timeout_client_ms, be.timeout_server_ms);
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
  const bool server_stuck = s.link != nullptr && s.link->stream != nullptr && s.link->stream->send_queued() != 0;
  const bool client_stuck = s.client != nullptr && s.client->send_queued() != 0;
  return server_stuck && !client_stuck ? 's' : 'c';
}

}  // namespace dplb::dataplane
