#include "dataplane/tcp/tcp_send_queue.h"

#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "dataplane/base/mbuf_chain.h"

namespace dplb::dataplane {

namespace {
// Below this, a slice is copied: an indirect mbuf costs about as much as
// copying a few hundred bytes, and short chains suit every NIC.
constexpr uint32_t kCopyBelow = 256;
constexpr uint16_t kMaxIndirectSegments = 8;
}  // namespace

void TcpSendQueue::append(rte_mbuf* chain) {
  while (chain != nullptr) {
    rte_mbuf* next = chain->next;
    chain->next = nullptr;
    if (chain->data_len == 0) {
      rte_pktmbuf_free_seg(chain);
    } else {
      chain->nb_segs = 1;
      chain->pkt_len = chain->data_len;
      if (tail_ != nullptr) {
        tail_->next = chain;
      } else {
        head_ = chain;
      }
      tail_ = chain;
      bytes_ += chain->data_len;
      ++segments_;
    }
    chain = next;
  }
}

uint32_t TcpSendQueue::append_copy(const uint8_t* data, uint32_t length, rte_mempool* pool) {
  uint32_t done = 0;
  while (done < length) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (m == nullptr) break;
    const uint32_t room = rte_pktmbuf_tailroom(m);
    const uint32_t n = std::min(room, length - done);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(n)), data + done, n);
    append(m);
    done += n;
  }
  return done;
}

void TcpSendQueue::acknowledge(uint32_t bytes) {
  bytes = std::min(bytes, bytes_);
  bytes_ -= bytes;
  if (cursor_ != nullptr) {
    if (cursor_start_ >= bytes) {
      cursor_start_ -= bytes;
    } else {
      cursor_ = nullptr;
    }
  }
  uint32_t left = bytes + head_skip_;
  while (head_ != nullptr && left >= head_->data_len) {
    left -= head_->data_len;
    rte_mbuf* next = head_->next;
    if (cursor_ == head_) cursor_ = nullptr;
    head_->next = nullptr;
    rte_pktmbuf_free_seg(head_);
    --segments_;
    head_ = next;
  }
  if (head_ == nullptr) {
    tail_ = nullptr;
    head_skip_ = 0;
    cursor_ = nullptr;
  } else {
    head_skip_ = left;
  }
}

rte_mbuf* TcpSendQueue::locate(uint32_t offset, uint32_t* segment_start) {
  rte_mbuf* m = head_;
  // Offsets are relative to SND.UNA; the head segment starts before it.
  int64_t start = -static_cast<int64_t>(head_skip_);
  if (cursor_ != nullptr && offset >= cursor_start_) {
    m = cursor_;
    start = cursor_start_;
  }
  while (m != nullptr && offset >= start + m->data_len) {
    start += m->data_len;
    m = m->next;
  }
  if (m != nullptr && start >= 0) {
    cursor_ = m;
    cursor_start_ = static_cast<uint32_t>(start);
  }
  *segment_start = static_cast<uint32_t>(start);  // may be "negative" for the head; callers use differences
  return m;
}

bool TcpSendQueue::slice_into(rte_mbuf* packet, uint32_t offset, uint32_t length, rte_mempool* pool) {
  if (length == 0) return true;
  uint32_t start = 0;
  rte_mbuf* m = locate(offset, &start);
  if (m == nullptr) return false;
  uint32_t within = offset - start;  // wraps correctly for the head's negative start

  // Count the pieces first: many tiny writes are copied instead.
  uint16_t pieces = 0;
  {
    uint32_t left = length;
    uint32_t w = within;
    for (rte_mbuf* s = m; s != nullptr && left > 0; s = s->next) {
      left -= std::min(left, s->data_len - w);
      w = 0;
      ++pieces;
    }
  }
  rte_mbuf* tail = chain_last(packet);
  if (length < kCopyBelow || pieces > kMaxIndirectSegments) {
    // Copy into the header mbuf's tailroom, then into fresh segments.
    uint32_t done = 0;
    while (done < length) {
      uint32_t room = rte_pktmbuf_tailroom(tail);
      if (room == 0) {
        rte_mbuf* more = rte_pktmbuf_alloc(pool);
        if (more == nullptr) return false;
        tail->next = more;
        tail = more;
        room = rte_pktmbuf_tailroom(tail);
      }
      const uint32_t n = std::min(room, length - done);
      uint8_t* out = rte_pktmbuf_mtod_offset(tail, uint8_t*, tail->data_len);
      tail->data_len = static_cast<uint16_t>(tail->data_len + n);
      chain_copy(m, within, n, out);
      // Advance the source position by n.
      within += n;
      while (m != nullptr && within >= m->data_len) {
        within -= m->data_len;
        m = m->next;
      }
      done += n;
    }
    chain_fix(packet);
    return true;
  }
  uint32_t left = length;
  while (left > 0 && m != nullptr) {
    rte_mbuf* piece = rte_pktmbuf_alloc(pool);
    if (piece == nullptr) {
      chain_fix(packet);
      return false;
    }
    rte_pktmbuf_attach(piece, m);
    const uint32_t n = std::min(left, m->data_len - within);
    piece->data_off = static_cast<uint16_t>(piece->data_off + within);
    piece->data_len = static_cast<uint16_t>(n);
    piece->pkt_len = n;
    tail->next = piece;
    tail = piece;
    left -= n;
    within = 0;
    m = m->next;
  }
  chain_fix(packet);
  return left == 0;
}

void TcpSendQueue::clear() {
  while (head_ != nullptr) {
    rte_mbuf* next = head_->next;
    head_->next = nullptr;
    rte_pktmbuf_free_seg(head_);
    head_ = next;
  }
  tail_ = nullptr;
  cursor_ = nullptr;
  head_skip_ = bytes_ = segments_ = 0;
}

}  // namespace dplb::dataplane
