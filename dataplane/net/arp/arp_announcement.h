#pragma once

#include <cstdint>

#include "dataplane/net/ethernet_classifier.h"

struct rte_mbuf;
struct rte_mempool;

namespace dplb::dataplane {

// A gratuitous ARP for `address` (host order), sent by a new VRRP master so
// that hosts and switches move the address, and the MAC, to this port. It is
// what keepalived sends (vrrp_arp.c): a broadcast ARP request from `mac` whose
// sender and target addresses are both `address` and whose target hardware
// address is ff:ff:ff:ff:ff:ff. Linux updates its neighbour entry from the
// sender fields of such a request (RFC 5227 3's announcement). `mac` is the
// port's MAC, or the virtual router MAC with use_vmac. The frame is padded
// with zeros to the 60-byte Ethernet minimum. Null when the pool is empty.
rte_mbuf* build_gratuitous_arp(rte_mempool* pool, uint32_t address, const MacAddress& mac);

}  // namespace dplb::dataplane
