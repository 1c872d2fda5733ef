#pragma once

// A FIFO of mbuf segments with O(1) append at both ends of its life: bytes
// arrive as chains or single segments, leave from the front either copied
// out (a byte-stream reader such as OpenSSL's BIO) or as whole segments
// made into one chain. Unlike chain_append it never walks the queue.

#include <cstdint>

struct rte_mbuf;

namespace dplb::dataplane {

class MbufQueue {
 public:
  MbufQueue() = default;
  ~MbufQueue() { clear(); }
  MbufQueue(const MbufQueue&) = delete;
  MbufQueue& operator=(const MbufQueue&) = delete;

  uint32_t bytes() const { return bytes_; }
  bool empty() const { return head_ == nullptr; }

  // Takes every segment of `chain` (may be null).
  void push(rte_mbuf* chain);
  // Copies up to `length` bytes out of the front, freeing emptied segments.
  uint32_t copy_out(void* out, uint32_t length);
  // Whole segments from the front, at least one, up to `max_bytes` when
  // more than one; a proper chain (pkt_len, nb_segs) the caller owns.
  rte_mbuf* take(uint32_t max_bytes, uint32_t* taken);
  // Everything, as one chain (null when empty).
  rte_mbuf* take_all(uint32_t* taken);
  void clear();
  // For a writer that fills the last segment's tailroom in place: the
  // segment, and how many bytes it just added there.
  rte_mbuf* tail() const { return tail_; }
  void grew(uint32_t bytes) { bytes_ += bytes; }
  // Appends one segment even when it holds nothing yet (a writer's next tail).
  void push_empty(rte_mbuf* segment);

 private:
  rte_mbuf* head_ = nullptr;
  rte_mbuf* tail_ = nullptr;
  uint32_t bytes_ = 0;
};

}  // namespace dplb::dataplane
