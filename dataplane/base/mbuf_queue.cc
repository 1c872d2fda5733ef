#include "dataplane/base/mbuf_queue.h"

#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "dataplane/base/mbuf_chain.h"

namespace dplb::dataplane {

void MbufQueue::push(rte_mbuf* chain) {
  while (chain != nullptr) {
    rte_mbuf* next = chain->next;
    chain->next = nullptr;
    if (chain->data_len == 0) {
      rte_pktmbuf_free_seg(chain);
    } else if (tail_ != nullptr && segment_absorb(tail_, chain)) {
      tail_->pkt_len = tail_->data_len;
      bytes_ += chain->data_len;
      rte_pktmbuf_free_seg(chain);
    } else {
      // Each segment becomes its own head until take() links them again.
      chain->nb_segs = 1;
      chain->pkt_len = chain->data_len;
      bytes_ += chain->data_len;
      if (tail_ == nullptr) {
        head_ = tail_ = chain;
      } else {
        tail_->next = chain;
        tail_ = chain;
      }
    }
    chain = next;
  }
}

void MbufQueue::push_empty(rte_mbuf* segment) {
  segment->next = nullptr;
  segment->nb_segs = 1;
  segment->pkt_len = segment->data_len;
  bytes_ += segment->data_len;
  if (tail_ == nullptr) {
    head_ = tail_ = segment;
  } else {
    tail_->next = segment;
    tail_ = segment;
  }
}

uint32_t MbufQueue::copy_out(void* out, uint32_t length) {
  auto* to = static_cast<uint8_t*>(out);
  uint32_t copied = 0;
  while (copied < length && head_ != nullptr) {
    const uint32_t n = std::min<uint32_t>(length - copied, head_->data_len);
    std::memcpy(to + copied, rte_pktmbuf_mtod(head_, const uint8_t*), n);
    copied += n;
    bytes_ -= n;
    if (n == head_->data_len) {
      rte_mbuf* next = head_->next;
      head_->next = nullptr;
      rte_pktmbuf_free_seg(head_);
      head_ = next;
      if (head_ == nullptr) tail_ = nullptr;
    } else {
      rte_pktmbuf_adj(head_, static_cast<uint16_t>(n));
    }
  }
  return copied;
}

rte_mbuf* MbufQueue::take(uint32_t max_bytes, uint32_t* taken) {
  *taken = 0;
  if (head_ == nullptr) return nullptr;
  rte_mbuf* first = head_;
  rte_mbuf* last = head_;
  uint32_t bytes = last->data_len;
  uint16_t segments = 1;
  while (last->next != nullptr && bytes + last->next->data_len <= max_bytes && segments < UINT16_MAX) {
    last = last->next;
    bytes += last->data_len;
    ++segments;
  }
  head_ = last->next;
  if (head_ == nullptr) tail_ = nullptr;
  last->next = nullptr;
  first->pkt_len = bytes;
  first->nb_segs = segments;
  bytes_ -= bytes;
  *taken = bytes;
  return first;
}

rte_mbuf* MbufQueue::take_all(uint32_t* taken) { return take(UINT32_MAX, taken); }

void MbufQueue::clear() {
  while (head_ != nullptr) {
    rte_mbuf* next = head_->next;
    head_->next = nullptr;
    rte_pktmbuf_free_seg(head_);
    head_ = next;
  }
  tail_ = nullptr;
  bytes_ = 0;
}

}  // namespace dplb::dataplane
