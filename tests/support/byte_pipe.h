#pragma once

// Two ends of an in-memory byte stream, standing in for a TCP connection
// under a TlsStream: what one end writes is delivered to the other, cut
// into segments of at most `segment` bytes, as a lossy path would deliver
// them, so record and message boundaries fall anywhere. At most a few
// hundred segments are in flight: the rest waits until the reader reads.

#include <rte_mbuf.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "dataplane/base/mbuf_chain.h"
#include "dataplane/base/mbuf_queue.h"
#include "dataplane/stream/byte_stream.h"

namespace dplb::testing {

class PipeEnd final : public dataplane::ByteStream {
 public:
  explicit PipeEnd(rte_mempool* pool) : pool_(pool) {}

  PipeEnd* peer = nullptr;
  dataplane::MbufQueue in;
  bool fin_in = false;
  bool closed = false;
  bool aborted = false;
  bool write_shut = false;
  uint32_t segment = 0;  // 0: as written
  uint64_t bytes_written = 0;
  // When set, the byte at this offset of everything written is flipped on
  // its way: a record damaged in flight (counted from the first byte).
  int64_t corrupt_at = -1;

  uint32_t readable() const override { return in.bytes(); }
  rte_mbuf* read(uint32_t max_bytes, uint32_t* n) override {
    rte_mbuf* m = in.take(max_bytes, n);
    if (peer != nullptr) peer->deliver();  // room again: the writer's next segments
    return m;
  }
  bool end_of_stream() const override { return fin_in && in.empty() && (peer == nullptr || peer->delivered()); }
  uint32_t send_space() const override { return 1u << 20; }
  bool write(rte_mbuf* chain) override {
    if (chain == nullptr) return true;
    const uint64_t first = bytes_written;
    bytes_written += chain->pkt_len;
    if (write_shut || closed || aborted) {
      rte_pktmbuf_free(chain);
      return false;
    }
    const bool damaged = corrupt_at >= 0 && static_cast<uint64_t>(corrupt_at) >= first &&
                         static_cast<uint64_t>(corrupt_at) < bytes_written;
    if (segment == 0 && !damaged && delivered()) {
      peer->in.push(chain);
      return true;
    }
    // Bytes wait here and go over a bounded number of segments at a time,
    // as a receive window would let them: a megabyte cut into two-byte
    // segments must not need half a million mbufs at once.
    const std::size_t at = pending_.size();
    pending_.resize(at + chain->pkt_len);
    dataplane::chain_copy(chain, 0, chain->pkt_len, pending_.data() + at);
    rte_pktmbuf_free(chain);
    if (damaged) pending_[at + (static_cast<uint64_t>(corrupt_at) - first)] ^= 0x01;
    deliver();
    return true;
  }
  // Written but not yet in the peer's queue.
  bool delivered() const { return sent_ == pending_.size(); }
  void deliver() {
    const std::size_t step = segment == 0 ? 16384 : segment;
    while (sent_ < pending_.size() && peer->in.bytes() < kSegmentsInFlight * step) {
      const uint32_t n = static_cast<uint32_t>(std::min(step, pending_.size() - sent_));
      rte_mbuf* m = dataplane::chain_from_bytes(pending_.data() + sent_, n, pool_);
      if (m == nullptr) return;  // the pool is short: later, when the peer reads
      peer->in.push(m);
      sent_ += n;
    }
    if (delivered()) {
      pending_.clear();
      sent_ = 0;
    }
  }
  uint32_t write_copy(const void* data, uint32_t length) override {
    rte_mbuf* m = dataplane::chain_from_bytes(data, length, pool_);
    if (m == nullptr) return 0;
    write(m);
    return length;
  }
  void want_writable() override {}
  uint32_t send_queued() const override { return 0; }
  void shutdown_write() override {
    write_shut = true;
    peer->fin_in = true;
  }
  void close() override {
    shutdown_write();
    closed = true;
  }
  void abort() override {
    aborted = true;
    peer->fin_in = true;
  }
  const dataplane::FourTuple& tuple() const override { return tuple_; }

 private:
  static constexpr std::size_t kSegmentsInFlight = 256;

  rte_mempool* pool_;
  std::vector<uint8_t> pending_;
  std::size_t sent_ = 0;
  dataplane::FourTuple tuple_{};
};

}  // namespace dplb::testing
