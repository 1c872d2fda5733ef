// Session I/O: reading heads into a buffer for the parser, moving bodies
// and tunnel bytes between connections as mbuf chains, dropping what a
// closing client still sends. Kept apart from the HTTP message logic so a
// stream layer (TLS) can later sit between these and the connections.

#include <rte_mbuf.h>

#include <algorithm>

#include "dataplane/base/mbuf_chain.h"
#include "dataplane/proxy/http_proxy.h"
#include "dataplane/tcp/tcp_connection.h"

namespace dplb::dataplane {

HttpProxy::Gather HttpProxy::gather(ByteStream& conn, rte_mbuf** inbound, HeadBuffer** buffer, uint64_t* bytes) {
  while (conn.readable() > 0) {
    uint32_t n = 0;
    rte_mbuf* m = conn.read(UINT32_MAX, &n);
    if (m == nullptr) break;
    *inbound = chain_append_compact(*inbound, m);  // a head sent a byte per segment holds few mbufs
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

uint64_t HttpProxy::move(ByteStream& from, rte_mbuf** inbound, HttpBodyFramer* framer, ByteStream& to,
                         uint64_t* read, bool* done, uint16_t* error, Session* replay_of) {
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
      const Framed f = frame(*framer, chain, inbound, done, error);
      if (f == Framed::failed) return moved;
      if (f == Framed::hold) break;
    }
    moved += chain->pkt_len;
    if (replay_of != nullptr && replay_of->l7_replay && replay_of->replay != nullptr) keep_for_replay(*replay_of, chain);
    to.write(chain);
  }
  return moved;
}

HttpProxy::Framed HttpProxy::frame(HttpBodyFramer& framer, rte_mbuf* chain, rte_mbuf** inbound, bool* done,
                                   uint16_t* error) {
  uint32_t offset = 0;
  for (rte_mbuf* m = chain; m != nullptr; m = m->next) {
    const HttpBodyFramer::Step step = framer.consume(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
    if (step.error != 0) {
      rte_pktmbuf_free(chain);
      *error = step.error;
      return Framed::failed;
    }
    offset += step.consumed;
    if (step.done) {
      *done = true;
      break;
    }
  }
  if (!*done) return Framed::send;
  if (offset == 0) {  // everything here belongs to the next message
    *inbound = chain;
    return Framed::hold;
  }
  rte_mbuf* rest = nullptr;
  if (!chain_split(chain, offset, pool_, &rest)) {
    rte_pktmbuf_free(chain);
    *error = 500;
    return Framed::failed;
  }
  *inbound = rest;
  return Framed::send;
}

uint64_t HttpProxy::drain_client(Session& s) {
  uint64_t dropped = 0;
  while (s.client->readable() > 0) {
    uint32_t n = 0;
    rte_mbuf* m = s.client->read(UINT32_MAX, &n);
    if (m == nullptr) break;
    rte_pktmbuf_free(m);
    dropped += n;
  }
  return dropped;
}

rte_mbuf* HttpProxy::copy_to_mbufs(const char* data, uint32_t length) { return chain_from_bytes(data, length, pool_); }

}  // namespace dplb::dataplane
