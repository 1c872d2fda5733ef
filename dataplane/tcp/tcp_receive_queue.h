#pragma once

// What the peer sent and the application has not read yet: in-order data as
// a chain of payload-only mbuf segments, plus segments that arrived ahead of
// a gap, held sorted by sequence number until the gap fills (reassembly).
// Out-of-order pieces live in nodes from a per-worker pool, so a connection
// without a gap carries nothing but two pointers for them. The held pieces
// are also what SACK blocks (RFC 2018) report.

#include <cstdint>
#include <vector>

#include "dataplane/tcp/tcp_options.h"

struct rte_mbuf;

namespace dplb::dataplane {

struct ReassemblyNode {
  uint32_t seq = 0;
  uint32_t length = 0;
  rte_mbuf* data = nullptr;
  ReassemblyNode* next = nullptr;
};

// Fixed at start-up; running out means a segment is not held (and not
// acknowledged), never a failure.
class ReassemblyPool {
 public:
  explicit ReassemblyPool(std::size_t nodes);
  ReassemblyNode* take();
  void give(ReassemblyNode* node);
  std::size_t available() const { return available_; }
  std::size_t bytes() const { return nodes_.size() * sizeof(ReassemblyNode); }

 private:
  std::vector<ReassemblyNode> nodes_;
  ReassemblyNode* free_ = nullptr;
  std::size_t available_ = 0;
};

class TcpReceiveQueue {
 public:
  TcpReceiveQueue() = default;
  ~TcpReceiveQueue();
  TcpReceiveQueue(const TcpReceiveQueue&) = delete;
  TcpReceiveQueue& operator=(const TcpReceiveQueue&) = delete;

  // Takes `data` (payload only, `length` bytes at sequence `seq`), already
  // trimmed to the receive window [rcv_nxt, ...). Returns by how much
  // RCV.NXT moved (data in order, plus held pieces it joined up with). A
  // piece that cannot be held (no node) is freed and false is returned
  // through `held`.
  uint32_t insert(uint32_t rcv_nxt, uint32_t seq, uint32_t length, rte_mbuf* data, ReassemblyPool& pool,
                  bool* held);

  // Takes up to `max_bytes` of in-order data, in whole segments (at least
  // one, even if larger), as one valid chain; null when there is none.
  rte_mbuf* read(uint32_t max_bytes, uint32_t* bytes_read);

  uint32_t readable() const { return readable_; }
  uint32_t held_bytes() const { return held_; }
  bool has_gap() const { return held_head_ != nullptr; }

  // Up to `capacity` SACK blocks: the one holding the latest arrival first,
  // then the others in sequence order (RFC 2018 section 4).
  uint8_t sack_blocks(SackBlock* out, uint8_t capacity) const;

  void clear(ReassemblyPool& pool);

 private:
  void append_in_order(rte_mbuf* data, uint32_t length);

  rte_mbuf* head_ = nullptr;
  rte_mbuf* tail_ = nullptr;
  uint32_t readable_ = 0;
  uint32_t held_ = 0;
  ReassemblyNode* held_head_ = nullptr;
  uint32_t latest_seq_ = 0;  // start of the most recent out-of-order arrival
};

}  // namespace dplb::dataplane
