#include "dataplane/proxy/access_log_ring.h"

#include <rte_errno.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

namespace dplb::dataplane {

AccessLogRing::~AccessLogRing() {
  if (ring_ != nullptr) rte_ring_free(ring_);
}

std::string AccessLogRing::create(uint32_t worker, int socket) {
  const std::string name = "dplb_log_" + std::to_string(worker);
  ring_ = rte_ring_create_elem(name.c_str(), sizeof(AccessLogRecord), kRecords, socket,
                               RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (ring_ == nullptr) {
    return "cannot create access-log ring " + name + ": " + rte_strerror(rte_errno);
  }
  return "";
}

bool AccessLogRing::push(const AccessLogRecord& record) {
  if (ring_ == nullptr) return false;
  return rte_ring_sp_enqueue_elem(ring_, const_cast<AccessLogRecord*>(&record), sizeof(AccessLogRecord)) == 0;
}

unsigned AccessLogRing::take(AccessLogRecord* out, unsigned capacity) {
  if (ring_ == nullptr) return 0;
  return rte_ring_sc_dequeue_burst_elem(ring_, out, sizeof(AccessLogRecord), capacity, nullptr);
}

}  // namespace dplb::dataplane
