#pragma once

namespace dplb::controlplane {

// libbpf and libxdp, which DPDK's net_af_xdp calls to load its XDP program
// and make its sockets, print straight to stderr. This sends their messages
// through dplb's logger instead, tagged "libbpf:" / "libxdp:", so every line
// on stderr stays a dplb log record. Call before the ports are set up.
void route_xdp_libraries_log_to_logger();

}  // namespace dplb::controlplane
