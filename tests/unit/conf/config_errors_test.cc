// Every way an operator can get the configuration wrong that we know of, with
// the exact message and position dplb must print. Messages are part of the
// interface: people grep for them and learn from them.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conf/config_loader.h"

namespace dplb::conf {
namespace {

// The smallest valid file; cases append to or replace parts of it.
constexpr const char* kDataplane =
    "[dataplane]\n"
    "workers = [1]\n"
    "control_lcore = 0\n"
    "hugepages = false\n"
    "memory_mb = 256\n";
constexpr const char* kPort =
    "[[port]]\n"
    "name = \"front\"\n"
    "device = \"net_af_packet0,iface=front\"\n"
    "address = \"10.99.1.2/24\"\n";

struct BrokenConfig {
  const char* what;
  std::string text;
  std::vector<std::string> errors;  // "LINE:COL: message", in file order
};

// Names the case instead of dumping its bytes when a parameterised test fails.
void PrintTo(const BrokenConfig& c, std::ostream* os) { *os << c.what; }

std::string with_port(const std::string& before) { return before + kPort; }

// For cases with several workers: the port offers a queue pair to each.
std::string with_multiqueue_port(const std::string& before) {
  return before + "[[port]]\nname = \"front\"\ndevice = \"net_af_packet0,iface=front,qpairs=4\"\naddress = \"10.99.1.2/24\"\n";
}

std::string port_with(const std::string& extra) {
  return std::string(kDataplane) + kPort + extra;  // extra keys land in the port table (lines 10+)
}

const std::vector<BrokenConfig>& cases() {
  static const std::vector<BrokenConfig> table = {
      {"misspelt key gets a suggestion", with_port("[dataplane]\nworker = [1]\n"),
       {"2:1: unknown key 'worker' in [dataplane]; did you mean 'workers'?"}},
      {"unknown key without a close match", with_port("[dataplane]\ncolour = 1\n"),
       {"2:1: unknown key 'colour' in [dataplane]"}},
      {"unknown section", with_port("[listen]\nname = \"x\"\n"), {"1:2: unknown section 'listen'"}},
      {"misspelt port key", port_with("adress = \"10.99.1.3/24\"\n"),
       {"10:1: unknown key 'adress' in [[port]]; did you mean 'address'?"}},
      {"string for an integer", with_port("[dataplane]\nmemory_mb = \"lots\"\n"),
       {"2:13: dataplane.memory_mb: expected an integer, got a string"}},
      {"float for an integer", with_port("[dataplane]\nmemory_mb = 1.5\n"),
       {"2:13: dataplane.memory_mb: expected an integer, got a floating-point number"}},
      {"integer below range", with_port("[dataplane]\nmemory_mb = 10\n"),
       {"2:13: dataplane.memory_mb: 10 is out of range 64..1048576"}},
      {"negative integer", with_port("[dataplane]\nidle_sleep_us = -1\n"),
       {"2:17: dataplane.idle_sleep_us: -1 is out of range 0..100000"}},
      {"idle backoff too long", with_port("[dataplane]\nidle_sleep_max_us = 2000000\n"),
       {"2:21: dataplane.idle_sleep_max_us: 2000000 is out of range 0..1000000"}},
      {"no workers", with_port("[dataplane]\nworkers = []\n"),
       {"2:11: dataplane.workers: must list at least one value"}},
      {"worker listed twice", with_port("[dataplane]\nworkers = [1, 1]\n"),
       {"2:15: dataplane.workers: 1 is listed twice"}},
      {"worker lcore too high", with_port("[dataplane]\nworkers = [1, 200]\n"),
       {"2:15: dataplane.workers: 200 is out of range 0..127"}},
      {"workers not an array", with_port("[dataplane]\nworkers = 1\n"),
       {"2:11: dataplane.workers: expected an array of integers, got an integer"}},
      {"worker given as a string", with_port("[dataplane]\nworkers = [\"1\"]\n"),
       {"2:12: dataplane.workers: expected an integer in the array, got a string"}},
      {"control lcore shared with a worker", with_multiqueue_port("[dataplane]\nworkers = [0, 1]\ncontrol_lcore = 1\n"),
       {"3:17: dataplane.control_lcore: lcore 1 is also in dataplane.workers; the control plane must not share a "
        "core with a poll-mode worker"}},
      {"boolean written as a word", with_port("[dataplane]\nhugepages = \"yes\"\n"),
       {"2:13: dataplane.hugepages: expected a boolean (true or false), got a string"}},
      {"eal_args not a list", with_port("[dataplane]\neal_args = \"-n 4\"\n"),
       {"2:12: dataplane.eal_args: expected an array of strings, got a string"}},
      {"relative socket path", with_port("[console]\nsocket = \"dplb.sock\"\n"),
       {"2:10: console.socket: 'dplb.sock' must be an absolute path (or \"\" to disable the socket)"}},
      {"socket path too long", with_port("[console]\nsocket = \"/" + std::string(120, 'x') + "\"\n"),
       {"2:10: console.socket: path is 121 bytes; a unix socket path holds at most 107"}},
      {"unknown log level", with_port("[log]\nlevel = \"verbose\"\n"),
       {"2:9: log.level: 'verbose' is not one of emerg, alert, crit, err, warning, notice, info, debug"}},
      {"abbreviated log level", with_port("[log]\nlevel = \"warn\"\n"),
       {"2:9: log.level: 'warn' is not one of emerg, alert, crit, err, warning, notice, info, debug; did you "
        "mean 'warning'?"}},
      {"no port at all", kDataplane, {"1:1: no [[port]] is defined; dplb needs at least one port to serve on"}},
      {"port without a device",
       std::string(kDataplane) + "[[port]]\nname = \"front\"\naddress = \"10.99.1.2/24\"\n",
       {"6:1: port: missing required key 'device'"}},
      {"interface name instead of a device",
       std::string(kDataplane) + "[[port]]\nname = \"front\"\ndevice = \"eth0\"\naddress = \"10.99.1.2/24\"\n",
       {"8:10: port.device: 'eth0' is neither a PCI address (like 0000:03:00.0) nor a DPDK virtual device (like "
        "net_af_packet0,iface=eth1)"}},
      {"address without a prefix length",
       std::string(kDataplane) + "[[port]]\nname = \"front\"\ndevice = \"net_null0\"\naddress = \"10.99.1.2\"\n",
       {"9:11: port.address: '10.99.1.2' is not an IPv4 address with a prefix length, like 10.99.1.2/24"}},
      {"octet above 255",
       std::string(kDataplane) + "[[port]]\nname = \"front\"\ndevice = \"net_null0\"\naddress = \"10.99.1.256/24\"\n",
       {"9:11: port.address: '10.99.1.256/24' is not an IPv4 address with a prefix length, like 10.99.1.2/24"}},
      {"network address as host address",
       std::string(kDataplane) + "[[port]]\nname = \"front\"\ndevice = \"net_null0\"\naddress = \"10.99.1.0/24\"\n",
       {"9:11: port.address: 10.99.1.0/24 is the subnet's network address, not a host address"}},
      {"gateway outside the subnet", port_with("gateway = \"10.99.3.1\"\n"),
       {"10:11: port.gateway: 10.99.3.1 is not inside the port's subnet 10.99.1.0/24"}},
      {"gateway is our own address", port_with("gateway = \"10.99.1.2\"\n"),
       {"10:11: port.gateway: 10.99.1.2 is the port's own address"}},
      {"gateway not an address", port_with("gateway = \"router\"\n"),
       {"10:11: port.gateway: 'router' is not an IPv4 address, like 10.99.1.1"}},
      {"mtu too small", port_with("mtu = 40\n"), {"10:7: port.mtu: 40 is out of range 68..9600"}},
      {"name with a space",
       std::string(kDataplane) + "[[port]]\nname = \"front port\"\ndevice = \"net_null0\"\naddress = \"10.0.0.1/24\"\n",
       {"7:8: port.name: 'front port' may only contain letters, digits, '_', '-' and '.'"}},
      {"two ports with one name",
       port_with("[[port]]\nname = \"front\"\ndevice = \"net_null0\"\naddress = \"10.99.2.2/24\"\n"),
       {"11:8: port.name: duplicate port name 'front' (first defined at line 6)"}},
      {"two ports on one device",
       port_with("[[port]]\nname = \"back\"\ndevice = \"net_af_packet0,iface=back\"\naddress = \"10.99.2.2/24\"\n"),
       {"12:10: port.device: device 'net_af_packet0' is already used by port 'front'"}},
      {"af_xdp argument misspelt",
       std::string(kDataplane) + "[[port]]\nname = \"front\"\ndevice = \"net_af_xdp0,iface=front,queue_cnt=1\"\n"
                                 "address = \"10.99.1.2/24\"\n",
       {"8:10: port.device: net_af_xdp0: unknown argument 'queue_cnt'; did you mean 'queue_count'? net_af_xdp "
        "takes iface, start_queue, queue_count, shared_umem, xdp_prog, busy_budget, force_copy"}},
      {"af_xdp without an interface",
       std::string(kDataplane) + "[[port]]\nname = \"front\"\ndevice = \"net_af_xdp0,queue_count=1\"\n"
                                 "address = \"10.99.1.2/24\"\n",
       {"8:10: port.device: net_af_xdp0: net_af_xdp needs iface=<Linux interface>, like net_af_xdp0,iface=eth1"}},
      {"af_xdp flag not 0 or 1",
       std::string(kDataplane) + "[[port]]\nname = \"front\"\ndevice = \"net_af_xdp0,iface=front,force_copy=yes\"\n"
                                 "address = \"10.99.1.2/24\"\n",
       {"8:10: port.device: net_af_xdp0: force_copy: 'yes' is not 0 or 1"}},
      {"af_xdp program that is not there",
       std::string(kDataplane) +
           "[[port]]\nname = \"front\"\ndevice = \"net_af_xdp0,iface=front,xdp_prog=/nonexistent/x.o\"\n"
           "address = \"10.99.1.2/24\"\n",
       {"8:10: port.device: net_af_xdp0: xdp_prog: cannot read '/nonexistent/x.o': No such file or directory"}},
      {"af_packet argument without a value",
       std::string(kDataplane) + "[[port]]\nname = \"front\"\ndevice = \"net_af_packet0,iface=front,qpairs\"\n"
                                 "address = \"10.99.1.2/24\"\n",
       {"8:10: port.device: net_af_packet0: argument 'qpairs' is not key=value"}},
      {"af_packet argument given twice",
       std::string(kDataplane) + "[[port]]\nname = \"front\"\ndevice = \"net_af_packet0,iface=a,iface=b\"\n"
                                 "address = \"10.99.1.2/24\"\n",
       {"8:10: port.device: net_af_packet0: argument 'iface' is given twice"}},
      {"af_xdp with fewer queues than workers",
       "[dataplane]\nworkers = [1, 2]\ncontrol_lcore = 0\nhugepages = false\nmemory_mb = 256\n"
       "[[port]]\nname = \"front\"\ndevice = \"net_af_xdp0,iface=front\"\naddress = \"10.99.1.2/24\"\n",
       {"8:10: port.device: net_af_xdp0 has 1 queue pair(s) but the 2 workers of dataplane.workers need one each; "
        "add queue_count=2 to the device string and give interface 'front' that many queues (ethtool -L, or "
        "numrxqueues/numtxqueues for a veth)"}},
      {"af_packet with fewer queues than workers",
       "[dataplane]\nworkers = [1, 2, 3]\ncontrol_lcore = 0\nhugepages = false\nmemory_mb = 256\n"
       "[[port]]\nname = \"front\"\ndevice = \"net_af_packet0,iface=front,qpairs=2\"\naddress = \"10.99.1.2/24\"\n",
       {"8:10: port.device: net_af_packet0 has 2 queue pair(s) but the 3 workers of dataplane.workers need one each; "
        "add qpairs=3 to the device string"}},
      {"two ports on one interface",
       port_with("[[port]]\nname = \"back\"\ndevice = \"net_af_xdp0,iface=front\"\naddress = \"10.99.2.2/24\"\n"),
       {"12:10: port.device: interface 'front' is already used by port 'front'"}},
      {"overlapping subnets",
       port_with("[[port]]\nname = \"back\"\ndevice = \"net_null0\"\naddress = \"10.99.1.3/16\"\n"),
       {"13:11: port.address: 10.99.1.3/16 overlaps port 'front' (10.99.1.2/24)"}},
      {"seventeen ports", [] {
         std::string text = kDataplane;
         for (int i = 0; i < 17; ++i) {
           text += "[[port]]\nname = \"p" + std::to_string(i) + "\"\ndevice = \"net_null" + std::to_string(i) +
                   "\"\naddress = \"10.0." + std::to_string(i) + ".1/24\"\n";
         }
         return text;
       }(),
       {"70:1: port: at most 16 ports are supported"}},
      {"ARP timeout without a unit it knows", with_port("[dataplane]\narp_timeout = \"5min\"\n"),
       {"2:15: dataplane.arp_timeout: '5min' has an unknown unit 'min' (expected us, ms, s, m, h or d)"}},
      {"ARP timeout too short", with_port("[dataplane]\narp_timeout = \"10ms\"\n"),
       {"2:15: dataplane.arp_timeout: 10ms is out of range 1s..1d"}},
      {"ARP retry as a boolean", with_port("[dataplane]\narp_retry = true\n"),
       {"2:13: dataplane.arp_retry: expected a duration (\"5s\") or milliseconds, got a boolean"}},
      {"static ARP entry with a bad MAC", port_with("[[arp]]\naddress = \"10.99.1.7\"\nmac = \"02:99:01\"\n"),
       {"12:7: arp.mac: '02:99:01' is not a MAC address, like 02:99:02:00:00:0b"}},
      {"static ARP entry with a multicast MAC",
       port_with("[[arp]]\naddress = \"10.99.1.7\"\nmac = \"01:00:5e:00:00:12\"\n"),
       {"12:7: arp.mac: '01:00:5e:00:00:12' is a multicast or broadcast address, not a host's"}},
      {"static ARP entry off every subnet", port_with("[[arp]]\naddress = \"10.99.9.7\"\nmac = \"02:00:00:00:00:07\"\n"),
       {"11:11: arp.address: 10.99.9.7 is not inside any port's subnet; a static entry must be on-link"}},
      {"static ARP entry on a misspelt port",
       port_with("[[arp]]\naddress = \"10.99.1.7\"\nmac = \"02:00:00:00:00:07\"\nport = \"frnt\"\n"),
       {"13:8: arp.port: no [[port]] is named 'frnt'; did you mean 'front'?"}},
      {"static ARP entry for our own address",
       port_with("[[arp]]\naddress = \"10.99.1.2\"\nmac = \"02:00:00:00:00:07\"\n"),
       {"11:11: arp.address: 10.99.1.2 is port 'front' own address"}},
      {"two static ARP entries for one address",
       port_with("[[arp]]\naddress = \"10.99.1.7\"\nmac = \"02:00:00:00:00:07\"\n"
                 "[[arp]]\naddress = \"10.99.1.7\"\nmac = \"02:00:00:00:00:08\"\n"),
       {"14:11: arp.address: 10.99.1.7 already has a static entry (line 10)"}},
      {"route destination with host bits", port_with("[[route]]\ndestination = \"172.16.1.1/12\"\ngateway = \"10.99.1.1\"\n"),
       {"11:15: route.destination: '172.16.1.1/12' has host bits set; did you mean 172.16.0.0/12?"}},
      {"route through an off-link gateway", port_with("[[route]]\ndestination = \"0.0.0.0/0\"\ngateway = \"192.0.2.1\"\n"),
       {"12:11: route.gateway: 192.0.2.1 is not inside any port's subnet"}},
      {"route through our own address", port_with("[[route]]\ndestination = \"0.0.0.0/0\"\ngateway = \"10.99.1.2\"\n"),
       {"12:11: route.gateway: 10.99.1.2 is port 'front' own address"}},
      {"route to a connected subnet", port_with("[[route]]\ndestination = \"10.99.1.0/24\"\ngateway = \"10.99.1.1\"\n"),
       {"11:15: route.destination: 10.99.1.0/24 is port 'front' connected subnet"}},
      {"two routes for one prefix",
       port_with("[[route]]\ndestination = \"0.0.0.0/0\"\ngateway = \"10.99.1.1\"\n"
                 "[[route]]\ndestination = \"0.0.0.0/0\"\ngateway = \"10.99.1.254\"\n"),
       {"14:15: route.destination: 0.0.0.0/0 already has a route (line 10)"}},
      {"route without a gateway", port_with("[[route]]\ndestination = \"0.0.0.0/0\"\n"),
       {"10:1: route: missing required key 'gateway'"}},
      {"more static ARP entries than the table holds", [] {
         std::string text = std::string(kDataplane) + "arp_max_entries = 16\n" + kPort;
         for (int i = 0; i < 17; ++i) {
           text += "[[arp]]\naddress = \"10.99.1." + std::to_string(20 + i) + "\"\nmac = \"02:00:00:00:00:" +
                   std::to_string(10 + i) + "\"\n";
         }
         return text;
       }(),
       {"59:1: arp: more [[arp]] entries than dataplane.arp_max_entries (16)"}},
      {"misspelt TCP key", with_port("[tcp]\nsyn_cookie = true\n"),
       {"2:1: unknown key 'syn_cookie' in [tcp]; did you mean 'syn_cookies'?"}},
      {"tcp written as a value", "tcp = 1\n" + with_port(kDataplane),
       {"1:7: tcp: expected a table ([tcp]), got an integer"}},
      {"too few TCP connections", with_port("[tcp]\nmax_connections = 8\n"),
       {"2:19: tcp.max_connections: 8 is out of range 16..4194304"}},
      {"TCP connection buffer too large", with_port("[tcp]\nconnection_buffer = 33554432\n"),
       {"2:21: tcp.connection_buffer: 33554432 is out of range 4096..16777216"}},
      {"TCP worker buffer too large", with_port("[tcp]\nworker_buffer = 137438953472\n"),
       {"2:17: tcp.worker_buffer: 137438953472 is out of range 65536..68719476736"}},
      {"TCP worker buffer too small", with_port("[tcp]\nworker_buffer = 4096\n"),
       {"2:17: tcp.worker_buffer: 4096 is out of range 65536..68719476736"}},
      {"empty SYN backlog", with_port("[tcp]\nsyn_backlog = 0\n"),
       {"2:15: tcp.syn_backlog: 0 is out of range 1..65535"}},
      {"SYN cookies written as a word", with_port("[tcp]\nsyn_cookies = \"on\"\n"),
       {"2:15: tcp.syn_cookies: expected a boolean (true or false), got a string"}},
      {"unknown congestion control", with_port("[tcp]\ncongestion = \"bbr\"\n"),
       {"2:14: tcp.congestion: 'bbr' is not one of cubic, newreno"}},
      {"misspelt congestion control", with_port("[tcp]\ncongestion = \"new-reno\"\n"),
       {"2:14: tcp.congestion: 'new-reno' is not one of cubic, newreno; did you mean 'newreno'?"}},
      {"minimum RTO too short", with_port("[tcp]\nmin_rto = \"500us\"\n"),
       {"2:11: tcp.min_rto: 500us is out of range 1ms..10s"}},
      {"initial RTO too long", with_port("[tcp]\ninitial_rto = \"2m\"\n"),
       {"2:15: tcp.initial_rto: 2m is out of range 1ms..1m"}},
      {"maximum RTO too long", with_port("[tcp]\nmax_rto = \"1h\"\n"),
       {"2:11: tcp.max_rto: 1h is out of range 100ms..10m"}},
      {"delayed ACK too long", with_port("[tcp]\ndelayed_ack = \"1s\"\n"),
       {"2:15: tcp.delayed_ack: 1s is out of range 0s..500ms"}},
      {"TIME_WAIT too long", with_port("[tcp]\ntime_wait = \"10m\"\n"),
       {"2:13: tcp.time_wait: 10m is out of range 0s..5m"}},
      {"negative TIME_WAIT", with_port("[tcp]\ntime_wait = -1\n"),
       {"2:13: tcp.time_wait: -1 is out of range 0..300000"}},
      {"FIN_WAIT_2 of zero", with_port("[tcp]\nfin_wait_2 = \"0s\"\n"),
       {"2:14: tcp.fin_wait_2: 0s is out of range 1s..10m"}},
      {"too many SYN retries", with_port("[tcp]\nsyn_retries = 21\n"),
       {"2:15: tcp.syn_retries: 21 is out of range 1..20"}},
      {"no data retries", with_port("[tcp]\nretries = 0\n"), {"2:11: tcp.retries: 0 is out of range 1..30"}},
      {"no orphan retries", with_port("[tcp]\norphan_retries = 0\n"),
       {"2:18: tcp.orphan_retries: 0 is out of range 1..30"}},
      {"keepalive idle over a day", with_port("[tcp]\nkeepalive_idle = \"2d\"\n"),
       {"2:18: tcp.keepalive_idle: 2d is out of range 1s..1d"}},
      {"keepalive interval under a second", with_port("[tcp]\nkeepalive_interval = \"500ms\"\n"),
       {"2:22: tcp.keepalive_interval: 500ms is out of range 1s..1h"}},
      {"too many keepalive probes", with_port("[tcp]\nkeepalive_probes = 51\n"),
       {"2:20: tcp.keepalive_probes: 51 is out of range 1..50"}},
      {"SACK written as a number", with_port("[tcp]\nsack = 1\n"),
       {"2:8: tcp.sack: expected a boolean (true or false), got an integer"}},
      {"no challenge ACKs", with_port("[tcp]\nchallenge_ack_limit = 0\n"),
       {"2:23: tcp.challenge_ack_limit: 0 is out of range 1..1000000"}},
      {"local ports as one number", with_port("[tcp]\nlocal_ports = 32768\n"),
       {"2:15: tcp.local_ports: expected an array of two integers, got an integer"}},
      {"local ports written as a string", with_port("[tcp]\nlocal_ports = [\"32768\", 60999]\n"),
       {"2:16: tcp.local_ports: expected an integer in the array, got a string"}},
      {"privileged local port", with_port("[tcp]\nlocal_ports = [80, 60999]\n"),
       {"2:16: tcp.local_ports: 80 is out of range 1024..65535"}},
      {"local ports beyond 65535", with_port("[tcp]\nlocal_ports = [32768, 65536]\n"),
       {"2:23: tcp.local_ports: 65536 is out of range 1024..65535"}},
      {"three local ports", with_port("[tcp]\nlocal_ports = [32768, 40000, 60999]\n"),
       {"2:15: tcp.local_ports: must list exactly two ports, the first and the last of the range (got 3)"}},
      {"one local port", with_port("[tcp]\nlocal_ports = [32768]\n"),
       {"2:15: tcp.local_ports: must list exactly two ports, the first and the last of the range (got 1)"}},
      {"local ports reversed", with_port("[tcp]\nlocal_ports = [60999, 32768]\n"),
       {"2:15: tcp.local_ports: the first port 60999 is above the last port 32768"}},
      {"fewer local ports than workers",
       with_multiqueue_port("[dataplane]\nworkers = [1, 2, 3]\n[tcp]\nlocal_ports = [40000, 40001]\n"),
       {"4:15: tcp.local_ports: 40000..40001 holds 2 ports but dataplane.workers lists 3 workers; every worker "
        "needs at least one local port"}},
      {"minimum RTO above maximum RTO", with_port("[tcp]\nmin_rto = \"5s\"\nmax_rto = \"1s\"\n"),
       {"2:11: tcp.min_rto: 5s is above tcp.max_rto (1s)"}},
      {"maximum RTO below the default minimum", with_port("[tcp]\nmax_rto = \"150ms\"\n"),
       {"2:11: tcp.max_rto: 150ms is below tcp.min_rto (200ms)"}},
      {"initial RTO below minimum RTO", with_port("[tcp]\ninitial_rto = \"100ms\"\n"),
       {"2:15: tcp.initial_rto: 100ms is below tcp.min_rto (200ms)"}},
      {"initial RTO below a written minimum", with_port("[tcp]\nmin_rto = \"300ms\"\ninitial_rto = \"250ms\"\n"),
       {"3:15: tcp.initial_rto: 250ms is below tcp.min_rto (300ms)"}},
      {"minimum RTO above the default initial RTO", with_port("[tcp]\nmin_rto = \"2s\"\n"),
       {"2:11: tcp.min_rto: 2s is above tcp.initial_rto (1s)"}},
      {"initial RTO above maximum RTO", with_port("[tcp]\ninitial_rto = \"30s\"\nmax_rto = \"10s\"\n"),
       {"2:15: tcp.initial_rto: 30s is above tcp.max_rto (10s)"}},
      {"maximum RTO below the default initial RTO", with_port("[tcp]\nmax_rto = \"500ms\"\n"),
       {"2:11: tcp.max_rto: 500ms is below tcp.initial_rto (1s)"}},
      {"port written as a single table", std::string(kDataplane) + "[port]\nname = \"front\"\n",
       {"6:1: port: expected an array of tables ([[port]]), got a table"}},
      {"section written as a value", "dataplane = 1\n" + std::string(kPort),
       {"1:13: dataplane: expected a table ([dataplane]), got an integer"}},
      {"TOML syntax: unclosed array", with_port("[dataplane]\nworkers = [1\n"),
       {"3:1: TOML syntax error: Error while parsing array: expected comma or closing ']', saw '['"}},
      {"TOML syntax: key given twice", with_port("[dataplane]\nmemory_mb = 256\nmemory_mb = 512\n"),
       {"3:13: TOML syntax error: Error while parsing key-value pair: cannot redefine existing integer "
        "'memory_mb'"}},
      {"several mistakes at once", with_port("[dataplane]\nmemory_mb = 1\nhugepages = 3\n[log]\nlevel = \"x\"\n"),
       {"2:13: dataplane.memory_mb: 1 is out of range 64..1048576",
        "3:13: dataplane.hugepages: expected a boolean (true or false), got an integer",
        "5:9: log.level: 'x' is not one of emerg, alert, crit, err, warning, notice, info, debug"}},
  };
  return table;
}

class BrokenConfigTest : public testing::TestWithParam<BrokenConfig> {};

TEST_P(BrokenConfigTest, ReportsExactErrorAndPosition) {
  const BrokenConfig& c = GetParam();
  LoadResult result = load_config_text(c.text, "dplb.toml");
  EXPECT_FALSE(result.config.has_value()) << c.what;
  std::vector<std::string> expected;
  for (const auto& e : c.errors) expected.push_back("dplb.toml:" + e);
  EXPECT_EQ(result.diagnostics.formatted(), expected) << c.what << "\n--- input ---\n" << c.text;
}

std::string case_name(const testing::TestParamInfo<BrokenConfig>& info) {
  std::string name;
  for (const char* p = info.param.what; *p; ++p) name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Table, BrokenConfigTest, testing::ValuesIn(cases()), case_name);

TEST(BrokenConfigTable, HasAtLeast25Cases) { EXPECT_GE(cases().size(), 25u); }

TEST(ConfigFile, MissingFileIsReportedNotThrown) {
  LoadResult result = load_config_file("/nonexistent/dplb.toml");
  ASSERT_FALSE(result.config.has_value());
  EXPECT_EQ(result.diagnostics.formatted(),
            std::vector<std::string>{"/nonexistent/dplb.toml:0:0: cannot read the file: No such file or directory"});
}

}  // namespace
}  // namespace dplb::conf
