#pragma once

// What the application wrote and the peer has not yet acknowledged: a chain
// of payload-only mbuf segments whose first byte is SND.UNA. Writing appends
// the application's mbufs as they are; sending slices the queue into
// segments by attaching indirect mbufs to the queued buffers (zero copy),
// so the originals stay queued for retransmission until acknowledged.

#include <cstdint>

struct rte_mbuf;
struct rte_mempool;

namespace dplb::dataplane {

class TcpSendQueue {
 public:
  TcpSendQueue() = default;
  ~TcpSendQueue() { clear(); }
  TcpSendQueue(const TcpSendQueue&) = delete;
  TcpSendQueue& operator=(const TcpSendQueue&) = delete;

  // Takes ownership of the chain (its segments are queued as they are).
  void append(rte_mbuf* chain);
  // Copies `length` bytes into new segments from `pool`; returns the bytes
  // queued (fewer when the pool runs dry).
  uint32_t append_copy(const uint8_t* data, uint32_t length, rte_mempool* pool);

  uint32_t bytes() const { return bytes_; }
  uint32_t segments() const { return segments_; }

  // Drops `bytes` acknowledged bytes from the front.
  void acknowledge(uint32_t bytes);

  // Appends bytes [offset, offset + length) of the queue to `packet` (whose
  // last segment is `tail`), as indirect segments when that is cheap and the
  // chain stays short, copied into `packet` otherwise. False when mbufs ran out.
  bool slice_into(rte_mbuf* packet, uint32_t offset, uint32_t length, rte_mempool* pool);

  void clear();

 private:
  // The segment holding byte `offset` and the offset of its first byte.
  rte_mbuf* locate(uint32_t offset, uint32_t* segment_start);

  rte_mbuf* head_ = nullptr;
  rte_mbuf* tail_ = nullptr;
  uint32_t head_skip_ = 0;  // bytes of the head segment already acknowledged
  uint32_t bytes_ = 0;      // unacknowledged bytes queued
  uint32_t segments_ = 0;
  // The last segment located and its start (relative to SND.UNA), so sending
  // new data walks the chain once, not once per segment.
  rte_mbuf* cursor_ = nullptr;
  uint32_t cursor_start_ = 0;
};

}  // namespace dplb::dataplane
