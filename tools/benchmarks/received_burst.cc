#include "tools/benchmarks/received_burst.h"

#include <rte_cycles.h>

namespace dplb::bench {

uint64_t read_burst(InMemoryWire& in, uint64_t now_ns, ReceivedBurst& burst, ParseTally& tally) {
  burst.count = 0;
  const uint64_t started = rte_rdtsc();
  while (burst.count < kBurst && in.due(now_ns)) {
    rte_mbuf* m = in.pop();
    // 20: the IPv4 header the sending stack wrote, without options.
    if (dataplane::parse_tcp_segment(m, 20, &burst.segments[burst.count]) != dataplane::TcpSegmentError::none) {
      ++tally.bad_frames;
      rte_pktmbuf_free(m);
      continue;
    }
    burst.frames[burst.count++] = m;
  }
  const uint64_t parsed = rte_rdtsc();
  tally.cycles += parsed - started;
  tally.frames += burst.count;
  return parsed;
}

}  // namespace dplb::bench
