#include "dataplane/tcp/tcp_receive_queue.h"

#include <rte_mbuf.h>

#include "dataplane/base/mbuf_chain.h"
#include "dataplane/tcp/tcp_sequence.h"

namespace dplb::dataplane {

ReassemblyPool::ReassemblyPool(std::size_t nodes) : nodes_(nodes) {
  for (auto& n : nodes_) give(&n);
}

ReassemblyNode* ReassemblyPool::take() {
  ReassemblyNode* n = free_;
  if (n == nullptr) return nullptr;
  free_ = n->next;
  n->next = nullptr;
  --available_;
  return n;
}

void ReassemblyPool::give(ReassemblyNode* node) {
  node->data = nullptr;
  node->next = free_;
  free_ = node;
  ++available_;
}

TcpReceiveQueue::~TcpReceiveQueue() {
  // The owner clears with its pool first; only in-order data can be left.
  if (head_ != nullptr) rte_pktmbuf_free(head_);
}

void TcpReceiveQueue::append_in_order(rte_mbuf* data, uint32_t length) {
  // A small segment behind unread data joins the last one's buffer.
  if (tail_ != nullptr && data->next == nullptr && segment_absorb(tail_, data)) {
    rte_pktmbuf_free_seg(data);
    readable_ += length;
    return;
  }
  if (tail_ != nullptr) {
    tail_->next = data;
  } else {
    head_ = data;
  }
  tail_ = chain_last(data);
  readable_ += length;
}

uint32_t TcpReceiveQueue::insert(uint32_t rcv_nxt, uint32_t seq, uint32_t length, rte_mbuf* data,
                                 ReassemblyPool& pool, bool* held) {
  *held = true;
  if (seq == rcv_nxt) {
    append_in_order(data, length);
    uint32_t advanced = length;
    uint32_t next = rcv_nxt + length;
    // Held pieces the new data reaches join the in-order queue.
    while (held_head_ != nullptr && seq_le(held_head_->seq, next)) {
      ReassemblyNode* n = held_head_;
      held_head_ = n->next;
      held_ -= n->length;
      const uint32_t end = n->seq + n->length;
      if (seq_gt(end, next)) {
        rte_mbuf* rest = chain_trim_front(n->data, next - n->seq);
        const uint32_t add = end - next;
        append_in_order(rest, add);
        advanced += add;
        next = end;
      } else {
        rte_pktmbuf_free(n->data);  // wholly duplicate
      }
      pool.give(n);
    }
    return advanced;
  }

  // Ahead of a gap: find the place, trim against neighbours.
  uint32_t end = seq + length;
  ReassemblyNode** link = &held_head_;
  while (*link != nullptr && seq_le((*link)->seq + (*link)->length, seq)) link = &(*link)->next;
  // *link is the first piece ending after `seq`; trim our front if it overlaps.
  if (*link != nullptr && seq_le((*link)->seq, seq)) {
    const uint32_t covered_end = (*link)->seq + (*link)->length;
    if (seq_ge(covered_end, end)) {  // nothing new
      rte_pktmbuf_free(data);
      latest_seq_ = (*link)->seq;
      return 0;
    }
    data = chain_trim_front(data, covered_end - seq);
    seq = covered_end;
    link = &(*link)->next;
  }
  // Swallow pieces we cover entirely; trim our end against the next one.
  while (*link != nullptr && seq_le((*link)->seq + (*link)->length, end)) {
    ReassemblyNode* n = *link;
    *link = n->next;
    held_ -= n->length;
    rte_pktmbuf_free(n->data);
    pool.give(n);
  }
  if (*link != nullptr && seq_lt((*link)->seq, end)) {
    data = chain_trim_back(data, end - (*link)->seq);
    end = (*link)->seq;
  }
  ReassemblyNode* node = pool.take();
  if (node == nullptr || data == nullptr) {
    if (data != nullptr) rte_pktmbuf_free(data);
    *held = node == nullptr ? false : true;
    if (node != nullptr) pool.give(node);
    return 0;
  }
  node->seq = seq;
  node->length = end - seq;
  node->data = data;
  node->next = *link;
  *link = node;
  held_ += node->length;
  latest_seq_ = seq;
  return 0;
}

rte_mbuf* TcpReceiveQueue::read(uint32_t max_bytes, uint32_t* bytes_read) {
  *bytes_read = 0;
  if (head_ == nullptr) return nullptr;
  rte_mbuf* first = head_;
  rte_mbuf* last = head_;
  uint32_t taken = head_->data_len;
  while (last->next != nullptr && taken + last->next->data_len <= max_bytes) {
    last = last->next;
    taken += last->data_len;
  }
  head_ = last->next;
  if (head_ == nullptr) tail_ = nullptr;
  last->next = nullptr;
  chain_fix(first);
  readable_ -= taken;
  *bytes_read = taken;
  return first;
}

uint8_t TcpReceiveQueue::sack_blocks(SackBlock* out, uint8_t capacity) const {
  if (capacity == 0 || held_head_ == nullptr) return 0;
  // Contiguous pieces form one block.
  SackBlock blocks[32];
  uint8_t count = 0;
  int latest = -1;
  for (const ReassemblyNode* n = held_head_; n != nullptr; n = n->next) {
    const uint32_t end = n->seq + n->length;
    if (count > 0 && blocks[count - 1].right == n->seq) {
      blocks[count - 1].right = end;
    } else {
      if (count == 32) break;
      blocks[count++] = {n->seq, end};
    }
    if (n->seq == latest_seq_) latest = count - 1;
  }
  uint8_t written = 0;
  if (latest >= 0) out[written++] = blocks[latest];
  for (uint8_t i = 0; i < count && written < capacity; ++i) {
    if (i == latest) continue;
    out[written++] = blocks[i];
  }
  return written;
}

void TcpReceiveQueue::clear(ReassemblyPool& pool) {
  if (head_ != nullptr) rte_pktmbuf_free(head_);
  head_ = tail_ = nullptr;
  readable_ = 0;
  while (held_head_ != nullptr) {
    ReassemblyNode* n = held_head_;
    held_head_ = n->next;
    rte_pktmbuf_free(n->data);
    pool.give(n);
  }
  held_ = 0;
}

}  // namespace dplb::dataplane
