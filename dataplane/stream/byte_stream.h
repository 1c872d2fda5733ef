#pragma once

// The one interface the proxy reads from and writes to: a TCP connection,
// or a TLS stream over one. The HTTP code sees only this, so it has no TLS
// branches, and HTTP/2 or TLS to servers slot in under it the same way.
// Data moves as mbuf chains the receiver then owns; nothing is copied on
// the way unless the layer must transform it (TLS records).

#include <cstdint>

#include "dataplane/tcp/tcp_isn.h"

struct rte_mbuf;

namespace dplb::dataplane {

class ByteStream {
 public:
  // Receiving: bytes ready to read, in order; read() hands over up to
  // `max_bytes` (at least one segment) as a chain the caller owns.
  virtual uint32_t readable() const = 0;
  virtual rte_mbuf* read(uint32_t max_bytes, uint32_t* bytes_read) = 0;
  // The peer ended its side and every byte before that has been read.
  virtual bool end_of_stream() const = 0;

  // Sending. write() takes the chain in every case; false when the stream
  // can no longer send (the chain was freed). send_space() is what the
  // stream takes before the writer should wait for on_writable.
  virtual uint32_t send_space() const = 0;
  virtual bool write(rte_mbuf* chain) = 0;
  virtual uint32_t write_copy(const void* data, uint32_t length) = 0;
  virtual void want_writable() = 0;
  // Bytes written but not yet acknowledged by the peer (show sess, lingering).
  virtual uint32_t send_queued() const = 0;

  // Closing: shutdown_write() ends our side after what is queued; close()
  // does the same and hands the stream back (no more reads); abort() resets
  // at once. The handle is invalid after close() or abort().
  virtual void shutdown_write() = 0;
  virtual void close() = 0;
  virtual void abort() = 0;

  // The TCP connection's addresses under the stream, for logs and hashing.
  virtual const FourTuple& tuple() const = 0;

 protected:
  ~ByteStream() = default;
};

}  // namespace dplb::dataplane
