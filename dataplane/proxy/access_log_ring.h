#pragma once

// A worker's access-log records on their way to the control plane: a
// single-producer/single-consumer DPDK ring of fixed-size elements, so a
// record is copied once in and once out and nothing is allocated. When the
// ring is full the record is dropped and counted (log_records_lost): a
// worker never waits for logging.

#include <cstdint>
#include <string>

#include "dataplane/proxy/access_log_record.h"

struct rte_ring;

namespace dplb::dataplane {

class AccessLogRing {
 public:
  static constexpr unsigned kRecords = 4096;

  AccessLogRing() = default;
  ~AccessLogRing();
  AccessLogRing(const AccessLogRing&) = delete;
  AccessLogRing& operator=(const AccessLogRing&) = delete;

  // Returns an error line or "".
  std::string create(uint32_t worker, int socket);
  bool created() const { return ring_ != nullptr; }

  // Worker side: false when the ring is full.
  bool push(const AccessLogRecord& record);
  // Control-plane side: up to `capacity` records into `out`.
  unsigned take(AccessLogRecord* out, unsigned capacity);

 private:
  rte_ring* ring_ = nullptr;
};

}  // namespace dplb::dataplane
