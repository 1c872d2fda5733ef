#pragma once

// [[vrrp]]: the table's schema, the checks that need the rest of the file
// (ports, backends, the other instances), and the value formats `show
// config` writes back. Keys and defaults follow keepalived's vrrp_instance;
// docs/config.md section 6h maps each key to its keepalived keyword.

#include <cstdint>
#include <string>

#include "conf/config.h"
#include "conf/schema.h"

namespace dplb::conf {

// The [[vrrp]] array of tables, for the top-level schema.
FieldSpec<Config> vrrp_list();

// The checks across keys and sections: ports, names, VRIDs, virtual
// addresses, peers, tracked backends, and the keys that depend on `version`.
void check_vrrp(const Config& config, Diagnostics& d);

// How many virtual addresses one advertisement carries on a port with this
// MTU: the Count IP Addrs field is 8 bits, and the packet must fit the MTU.
std::size_t vrrp_max_virtual_addresses(uint32_t mtu, uint8_t version);

// advert_int as it loads back: seconds, "1" or "0.05".
std::string format_advert_interval(uint16_t centiseconds);

}  // namespace dplb::conf
