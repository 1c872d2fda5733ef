#include "dataplane/base/mbuf_chain.h"

#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

namespace dplb::dataplane {

void chain_fix(rte_mbuf* head) {
  uint32_t length = 0;
  uint16_t segments = 0;
  for (rte_mbuf* m = head; m != nullptr; m = m->next) {
    length += m->data_len;
    ++segments;
  }
  head->pkt_len = length;
  head->nb_segs = segments;
}

rte_mbuf* chain_last(rte_mbuf* head) {
  while (head->next != nullptr) head = head->next;
  return head;
}

rte_mbuf* chain_trim_front(rte_mbuf* head, uint32_t bytes) {
  while (head != nullptr && bytes > 0) {
    if (bytes < head->data_len) {
      head->data_off = static_cast<uint16_t>(head->data_off + bytes);
      head->data_len = static_cast<uint16_t>(head->data_len - bytes);
      break;
    }
    bytes -= head->data_len;
    rte_mbuf* next = head->next;
    head->next = nullptr;
    rte_pktmbuf_free_seg(head);
    head = next;
  }
  // Empty segments at the front carry nothing.
  while (head != nullptr && head->data_len == 0) {
    rte_mbuf* next = head->next;
    head->next = nullptr;
    rte_pktmbuf_free_seg(head);
    head = next;
  }
  if (head != nullptr) chain_fix(head);
  return head;
}

rte_mbuf* chain_trim_back(rte_mbuf* head, uint32_t bytes) {
  if (head == nullptr || bytes == 0) return head;
  uint32_t total = 0;
  for (rte_mbuf* m = head; m != nullptr; m = m->next) total += m->data_len;
  if (bytes >= total) {
    rte_pktmbuf_free(head);
    return nullptr;
  }
  uint32_t keep = total - bytes;
  rte_mbuf* m = head;
  while (keep > m->data_len) {
    keep -= m->data_len;
    m = m->next;
  }
  m->data_len = static_cast<uint16_t>(keep);
  if (m->next != nullptr) {
    rte_mbuf* rest = m->next;
    m->next = nullptr;
    chain_fix(rest);
    rte_pktmbuf_free(rest);
  }
  chain_fix(head);
  return head;
}

void chain_copy(const rte_mbuf* head, uint32_t offset, uint32_t length, uint8_t* out) {
  const rte_mbuf* m = head;
  while (m != nullptr && offset >= m->data_len) {
    offset -= m->data_len;
    m = m->next;
  }
  while (m != nullptr && length > 0) {
    const uint32_t n = std::min<uint32_t>(length, m->data_len - offset);
    std::memcpy(out, rte_pktmbuf_mtod_offset(m, const uint8_t*, offset), n);
    out += n;
    length -= n;
    offset = 0;
    m = m->next;
  }
}

}  // namespace dplb::dataplane

namespace dplb::dataplane {

rte_mbuf* chain_append(rte_mbuf* head, rte_mbuf* tail) {
  if (head == nullptr) return tail;
  if (tail == nullptr) return head;
  chain_last(head)->next = tail;
  chain_fix(head);
  return head;
}

bool segment_absorb(rte_mbuf* last, const rte_mbuf* segment) {
  const uint16_t n = segment->data_len;
  if (n > kCoalesceMax || !RTE_MBUF_DIRECT(last) || rte_mbuf_refcnt_read(last) != 1 ||
      n > rte_pktmbuf_tailroom(last)) {
    return false;
  }
  std::memcpy(rte_pktmbuf_mtod_offset(last, uint8_t*, last->data_len), rte_pktmbuf_mtod(segment, const uint8_t*), n);
  last->data_len = static_cast<uint16_t>(last->data_len + n);
  return true;
}

rte_mbuf* chain_append_compact(rte_mbuf* head, rte_mbuf* tail) {
  if (head == nullptr) return tail;
  if (tail == nullptr) return head;
  rte_mbuf* last = chain_last(head);
  while (tail != nullptr) {
    rte_mbuf* next = tail->next;
    if (segment_absorb(last, tail)) {
      tail->next = nullptr;
      rte_pktmbuf_free_seg(tail);
    } else {
      last->next = tail;
      last = tail;
    }
    tail = next;
  }
  last->next = nullptr;
  chain_fix(head);
  return head;
}

bool chain_split(rte_mbuf* head, uint32_t offset, rte_mempool* pool, rte_mbuf** tail) {
  *tail = nullptr;
  rte_mbuf* m = head;
  while (m != nullptr && offset > m->data_len) {
    offset -= m->data_len;
    m = m->next;
  }
  if (m == nullptr) return true;
  if (offset == m->data_len) {
    *tail = m->next;
    m->next = nullptr;
  } else {
    // The split falls inside this segment: the rest of it becomes an
    // indirect mbuf over the same data, so nothing is copied.
    rte_mbuf* piece = rte_pktmbuf_alloc(pool);
    if (piece == nullptr) return false;
    rte_pktmbuf_attach(piece, m);
    piece->data_off = static_cast<uint16_t>(m->data_off + offset);
    piece->data_len = static_cast<uint16_t>(m->data_len - offset);
    piece->next = m->next;
    m->data_len = static_cast<uint16_t>(offset);
    m->next = nullptr;
    *tail = piece;
  }
  chain_fix(head);
  if (*tail != nullptr) chain_fix(*tail);
  return true;
}

rte_mbuf* chain_from_bytes(const void* data, uint32_t length, rte_mempool* pool) {
  rte_mbuf* head = nullptr;
  rte_mbuf* last = nullptr;
  const auto* bytes = static_cast<const uint8_t*>(data);
  while (length > 0) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (m == nullptr) {
      if (head != nullptr) rte_pktmbuf_free(head);
      return nullptr;
    }
    const uint32_t n = std::min<uint32_t>(length, rte_pktmbuf_tailroom(m));
    std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), bytes, n);
    m->data_len = static_cast<uint16_t>(n);
    bytes += n;
    length -= n;
    if (head == nullptr) {
      head = m;
    } else {
      last->next = m;
    }
    last = m;
  }
  if (head != nullptr) chain_fix(head);
  return head;
}

}  // namespace dplb::dataplane
