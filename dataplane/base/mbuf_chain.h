#pragma once

// Payload held as chains of mbuf segments: TCP queues keep received and
// written data this way so bytes move between connections without being
// copied. DPDK's own rte_pktmbuf_adj/trim only touch one segment; these
// work across the whole chain and keep pkt_len and nb_segs true.

#include <cstdint>

struct rte_mbuf;
struct rte_mempool;

namespace dplb::dataplane {

// Recomputes the head's pkt_len and nb_segs from its segments.
void chain_fix(rte_mbuf* head);

rte_mbuf* chain_last(rte_mbuf* head);

// Removes `bytes` from the front, freeing segments that empty; returns the
// new head (null if nothing is left).
rte_mbuf* chain_trim_front(rte_mbuf* head, uint32_t bytes);

// Removes `bytes` from the end, freeing segments that empty; returns the
// head (null if nothing is left).
rte_mbuf* chain_trim_back(rte_mbuf* head, uint32_t bytes);

// Copies `length` bytes starting `offset` bytes into the chain to `out`.
void chain_copy(const rte_mbuf* head, uint32_t offset, uint32_t length, uint8_t* out);
// Links `tail` after `head`; either may be null. Returns the head.
rte_mbuf* chain_append(rte_mbuf* head, rte_mbuf* tail);

// A peer that sends a byte per segment must not hold an mbuf per byte
// (Linux coalesces such segments for the same reason, tcp_try_coalesce).
// Segments of at most this many bytes are copied into the room left after
// the data of the segment before them; larger ones keep moving zero-copy.
inline constexpr uint16_t kCoalesceMax = 512;
// Copies `segment`'s bytes onto the end of `last` if they are few enough,
// fit in its tailroom, and `last` owns its buffer alone (direct, not
// shared). Returns whether it did; the caller then frees `segment`. Only
// data_len of `last` changes: a chain's head needs chain_fix after.
bool segment_absorb(rte_mbuf* last, const rte_mbuf* segment);
// chain_append, absorbing small segments of `tail` as segment_absorb does.
rte_mbuf* chain_append_compact(rte_mbuf* head, rte_mbuf* tail);
// Cuts the chain after `offset` bytes: `head` keeps them, *tail gets the
// rest (null if none). A cut inside a segment shares its data through an
// indirect mbuf from `pool`; false (chain untouched) if none is left.
bool chain_split(rte_mbuf* head, uint32_t offset, rte_mempool* pool, rte_mbuf** tail);
// A new chain holding a copy of `length` bytes; null if the pool ran out.
rte_mbuf* chain_from_bytes(const void* data, uint32_t length, rte_mempool* pool);

}  // namespace dplb::dataplane
