// Server links (what a server connection's user_data points to), how they
// are closed, and the per-server pools of idle connections kept for reuse.

#include <rte_mbuf.h>

#include "dataplane/proxy/http_proxy.h"
#include "dataplane/tcp/tcp_connection.h"

namespace dplb::dataplane {
namespace {

// Idle server connections are closed after this long, as HAProxy's
// pool-purge-delay default; and a server keeps at most this many idle
// connections per worker.
constexpr uint64_t kPoolIdleUs = 5'000'000;
constexpr uint32_t kPoolMaxIdle = 256;

}  // namespace

HttpProxy::ServerLink* HttpProxy::new_link() {
  if (free_links_ == nullptr) {
    auto chunk = std::make_unique<ServerLink[]>(kChunk);
    for (uint32_t i = kChunk; i-- > 0;) {
      chunk[i].is_server = true;
      chunk[i].next = free_links_;
      free_links_ = &chunk[i];
    }
    link_chunks_.push_back(std::move(chunk));
  }
  ServerLink* link = free_links_;
  free_links_ = link->next;
  link->next = nullptr;
  return link;
}

void HttpProxy::free_link(ServerLink& link) {
  if (link.in_pool) pool_remove(link);
  if (link.inbound != nullptr) rte_pktmbuf_free(link.inbound);
  give_buffer(link.head);
  // TlsStream is neither copied nor moved: the link is made anew in place.
  link.~ServerLink();
  new (&link) ServerLink();
  link.is_server = true;
  link.next = free_links_;
  free_links_ = &link;
}

void HttpProxy::close_link(ServerLink& link, bool abort) {
  if (link.session != nullptr) {
    if (link.session->link == &link) link.session->link = nullptr;
    if (link.session->private_link == &link) link.session->private_link = nullptr;
  }
  remember_server_session(link);
  if (link.conn != nullptr) {
    link.conn->user_data = nullptr;
    // The side that closes first keeps TIME_WAIT, which on a connection to a
    // server holds one of the few local ports towards it (28232 by default,
    // for 60 s): one request per connection at a few thousand a second runs
    // out of them. So, as HAProxy (FD_LINGER_RISK on every server socket in
    // tcp_connect_server, cleared by conn_sock_read0 once the server's FIN
    // was read; SO_LINGER 0 on close otherwise), a server connection is only
    // closed gracefully after the server closed its side, which makes ours
    // the passive close; before that it is reset.
    // Over TLS the same holds for the server's close_notify, which comes
    // before its FIN.
    if (abort || !link.stream->end_of_stream()) {
      link.stream->abort();
    } else {
      link.stream->close();
    }
  }
  free_link(link);
}

void HttpProxy::release_link(Session& s) {
  ServerLink* link = s.link;
  if (link == nullptr) return;
  s.link = nullptr;
  const bool reusable = s.server_keep_alive && link->connected && link->inbound == nullptr &&
                        link->stream->readable() == 0 && !link->stream->end_of_stream();
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

void HttpProxy::pool_push(ServerLink& link) {
  Pool& p = pools_[link.backend][link.server];
  if (p.length >= kPoolMaxIdle) {
    link.session = nullptr;
    close_link(link, false);
    return;
  }
  link.session = nullptr;
  link.in_pool = true;
  link.idle_since_us = now_us_;
  link.prev = p.tail;
  link.next = nullptr;
  if (p.tail != nullptr) {
    p.tail->next = &link;
  } else {
    p.head = &link;
  }
  p.tail = &link;
  ++p.length;
  server_counters(link.backend, link.server).idle.increment();
}

void HttpProxy::pool_remove(ServerLink& link) {
  Pool& p = pools_[link.backend][link.server];
  if (link.prev != nullptr) {
    link.prev->next = link.next;
  } else {
    p.head = link.next;
  }
  if (link.next != nullptr) {
    link.next->prev = link.prev;
  } else {
    p.tail = link.prev;
  }
  link.prev = link.next = nullptr;
  link.in_pool = false;
  --p.length;
  server_counters(link.backend, link.server).idle.subtract(1);
}

HttpProxy::ServerLink* HttpProxy::pool_pop(uint16_t b, uint16_t server) {
  Pool& p = pools_[b][server];
  // The most recently used connection is the least likely to have been
  // closed by the server's own keep-alive timeout.
  ServerLink* link = p.tail;
  if (link == nullptr) return nullptr;
  pool_remove(*link);
  return link;
}

void HttpProxy::purge_pools() {
  for (auto& backend_pools : pools_) {
    for (Pool& p : backend_pools) {
      while (p.head != nullptr && now_us_ - p.head->idle_since_us >= kPoolIdleUs) close_link(*p.head, false);
    }
  }
}

}  // namespace dplb::dataplane
