// Session lifecycle: taking and freeing sessions, ending a client
// connection (lingering when the client may still be sending), and the
// pooled buffers heads are gathered into.

#include <rte_mbuf.h>

#include "dataplane/proxy/http_proxy.h"
#include "dataplane/tcp/tcp_connection.h"

namespace dplb::dataplane {

HttpProxy::Session* HttpProxy::new_session() {
  if (free_sessions_ == nullptr) {
    auto chunk = std::make_unique<Session[]>(kChunk);
    for (uint32_t i = kChunk; i-- > 0;) {
      chunk[i].timer.session = &chunk[i];
      chunk[i].next_free = free_sessions_;
      free_sessions_ = &chunk[i];
    }
    session_chunks_.push_back(std::move(chunk));
  }
  Session* s = free_sessions_;
  free_sessions_ = s->next_free;
  s->next_free = nullptr;
  s->free = false;
  ++live_sessions_;
  counters_.sessions.increment();
  return s;
}

void HttpProxy::release_resources(Session& s) {
  end_l7_retry(s);
  wheel_.cancel(s.timer);
  undefer_handshake(s);
  unqueue(s);
  release_slot(s);
  if (s.link != nullptr) close_link(*s.link, true);
  if (s.private_link != nullptr) close_link(*s.private_link, false);
  if (s.inbound != nullptr) rte_pktmbuf_free(s.inbound);
  if (s.pending_head != nullptr) rte_pktmbuf_free(s.pending_head);
  if (s.replay != nullptr) rte_pktmbuf_free(s.replay);
  s.inbound = s.pending_head = s.replay = nullptr;
  give_buffer(s.head);
}

void HttpProxy::free_session(Session& s) {
  release_resources(s);
  if (s.client != nullptr) detach_client(s);
  --frontend_sessions_[s.frontend];
  counters_.frontends[s.frontend].sessions_current.subtract(1);
  counters_.sessions.subtract(1);
  --live_sessions_;
  Session* keep = s.timer.session;
  s.~Session();
  new (&s) Session();
  s.timer.session = keep;
  s.next_free = free_sessions_;
  free_sessions_ = &s;
}

void HttpProxy::end_session(Session& s) {
  if (s.client == nullptr) {
    free_session(s);
    return;
  }
  if (s.lingering) {  // the client closed, or the linger timer ran out
    drain_client(s);
    close_client(s);
    return;
  }
  // Closing a connection with unread bytes resets it (RFC 9293 3.10.4, as
  // Linux), and the reset throws away the answer still in the send queue:
  // an error page sent while a request body or a pipelined request was
  // still arriving would never be seen. So when the client may still be
  // sending, dplb half-closes instead and reads and drops what comes,
  // until the client closes too or the linger timer runs out.
  const bool unread = s.inbound != nullptr || (s.phase != Phase::request_head && !s.request_done);
  const bool more = drain_client(s) != 0 || unread;
  if (more && !s.client->end_of_stream()) {
    release_resources(s);
    s.phase = Phase::request_head;
    s.lingering = true;
    s.client->shutdown_write();
    // How long to drain: HAProxy's H1 mux gives a closing connection
    // `timeout client-fin`, and `timeout client` when that is not set
    // (h1c->shut_timeout in mux_h1.c); dplb has no client-fin setting, so
    // it is timeout_client.
    arm(s, frontend(s).timeout_client_ms);
    return;
  }
  close_client(s);
}

void HttpProxy::close_client(Session& s) {
  ByteStream* client = s.client;
  detach_client(s);
  client->close();
  free_session(s);
}

void HttpProxy::linger_readable(Session& s) {
  drain_client(s);
  if (s.client->end_of_stream()) end_session(s);
}

HttpProxy::HeadBuffer* HttpProxy::take_buffer() {
  if (free_buffers_ == nullptr) {
    buffers_.push_back(std::make_unique<HeadBuffer>());
    free_buffers_ = buffers_.back().get();
  }
  HeadBuffer* b = free_buffers_;
  free_buffers_ = b->next_free;
  b->next_free = nullptr;
  b->length = 0;
  return b;
}

void HttpProxy::give_buffer(HeadBuffer*& buffer) {
  if (buffer == nullptr) return;
  buffer->next_free = free_buffers_;
  free_buffers_ = buffer;
  buffer = nullptr;
}

}  // namespace dplb::dataplane
