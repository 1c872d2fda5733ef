#pragma once

#include <string>

#include "dataplane/port/mbuf_pool_sizing.h"

struct rte_mempool;

namespace dplb::dataplane {

// rte_pktmbuf_pool_create, with one difference for net_af_xdp. DPDK 22.11's
// AF_XDP driver registers a pool as UMEM from its first object over
// populated_size x object size bytes (fixed only in DPDK 24.07, "net/af_xdp:
// parse UMEM map info from mempool"). A default pool keeps objects from
// crossing page boundaries and leaves gaps there: with 4 KiB pages one
// 2.5 KiB mbuf per page, so the last third of the pool lies past the UMEM,
// and frames in those mbufs are dropped by the kernel as invalid
// descriptors, silently, once the allocator reaches them (a transfer stalls
// for good after about 150 MB). Without IOVA contiguity the objects are
// packed with no gaps. No device here DMAs into them: net_af_xdp copies or
// maps by virtual address.
// `packed` is for pools that a net_af_xdp port uses.
rte_mempool* create_mbuf_pool(const std::string& name, const MbufPoolPlan& plan, int socket, bool packed);

// What the AF_XDP driver will register (see create_mbuf_pool) must hold every
// object of the pool, or frames in the objects outside are dropped unseen.
// "" or what is wrong, to follow "the mbuf pool of worker N ".
std::string check_af_xdp_umem_layout(rte_mempool* pool);

}  // namespace dplb::dataplane
