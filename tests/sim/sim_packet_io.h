#pragma once

// In-memory queues behind the PacketIo interface: a test pushes frames into
// a port's RX side, steps the worker, and reads what it transmitted.

#include <rte_mbuf.h>

#include <cstring>
#include <deque>
#include <stdexcept>
#include <vector>

#include "dataplane/port/packet_io.h"
#include "tests/support/frame_builder.h"

namespace dplb::testing {

class SimPacketIo final : public dataplane::PacketIo {
 public:
  SimPacketIo(rte_mempool* pool, std::size_t ports) : pool_(pool), rx_(ports), tx_(ports) {}
  ~SimPacketIo() override {
    for (auto& q : rx_) {
      for (auto* m : q) rte_pktmbuf_free(m);
    }
    for (auto& q : tx_) {
      for (auto* m : q) rte_pktmbuf_free(m);
    }
  }

  void inject(uint16_t port, const Bytes& frame) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) throw std::runtime_error("mbuf pool exhausted");
    char* data = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
    if (data == nullptr) throw std::runtime_error("frame larger than one mbuf");
    if (!frame.empty()) std::memcpy(data, frame.data(), frame.size());  // an empty vector's data() may be null
    rx_[port].push_back(m);
  }

  // The mbufs as the worker handed them over (for offload flags), until taken.
  const std::vector<rte_mbuf*>& transmitted_mbufs(uint16_t port) const { return tx_[port]; }

  std::vector<Bytes> take_transmitted(uint16_t port) {
    std::vector<Bytes> out;
    for (auto* m : tx_[port]) {
      const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
      out.emplace_back(p, p + rte_pktmbuf_data_len(m));
      rte_pktmbuf_free(m);
    }
    tx_[port].clear();
    return out;
  }

  uint16_t rx_burst(uint16_t port, rte_mbuf** mbufs, uint16_t capacity) override {
    uint16_t n = 0;
    while (n < capacity && !rx_[port].empty()) {
      mbufs[n++] = rx_[port].front();
      rx_[port].pop_front();
    }
    return n;
  }

  uint16_t tx_burst(uint16_t port, rte_mbuf** mbufs, uint16_t count) override {
    tx_[port].insert(tx_[port].end(), mbufs, mbufs + count);
    return count;
  }

 private:
  rte_mempool* pool_;
  std::vector<std::deque<rte_mbuf*>> rx_;
  std::vector<std::vector<rte_mbuf*>> tx_;
};

}  // namespace dplb::testing
