#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/device_name.h"
#include "conf/diagnostics.h"
#include "conf/duration.h"
#include "conf/retry_policy.h"
#include "conf/mac_address.h"
#include "conf/ipv4_address.h"
#include "dataplane/rules/http_rule.h"

namespace dplb::conf {

// Ports one appliance drives; workers keep fixed per-port counter arrays.
inline constexpr std::size_t kMaxPorts = 16;

// Where each key of a table was written, so checks that span several keys
// (duplicates, references) can still point at the right line.
using KeyPositions = std::map<std::string, SourcePosition>;

struct DataplaneConfig {
  std::vector<uint32_t> workers{1};
  uint32_t control_lcore = 0;
  bool hugepages = true;
  uint32_t memory_mb = 1024;
  uint32_t idle_sleep_us = 0;
  uint32_t idle_sleep_max_us = 1000;  // backoff ceiling while idle; 0: the fixed idle_sleep_us
  std::vector<std::string> eal_args;
  Duration arp_timeout{300'000'000};  // how long a learned neighbour is trusted before it is probed
  Duration arp_retry{1'000'000};      // first retry of a probe; doubles while resolving
  uint32_t arp_probes = 3;            // unanswered probes before an entry is given up
  uint32_t arp_max_entries = 4096;
  KeyPositions positions;
};

struct ConsoleConfig {
  std::string socket = "/run/dplb/dplb.sock";
  std::string prompt = "dplb> ";
  KeyPositions positions;
};

struct LogConfig {
  std::string level = "info";
  std::string file;  // empty: standard error
  std::string access_log;  // httplog lines: "" (none), "stdout", or an absolute path
  KeyPositions positions;
};

// Congestion control of the user-space TCP stack ([tcp] congestion).
enum class CongestionControl : uint8_t { cubic, newreno };

inline const char* congestion_name(CongestionControl c) {
  return c == CongestionControl::newreno ? "newreno" : "cubic";
}

// The user-space TCP stack, one instance per worker: every limit is per worker.
// Defaults follow Linux where Linux has an equivalent.
struct TcpConfig {
  uint32_t max_connections = 65536;          // client and server side together, TIME_WAIT included
  uint32_t connection_buffer = 262144;       // bytes per direction of one connection (receive window, send queue)
  uint64_t worker_buffer = 268435456;        // payload bytes buffered by all connections of a worker
  uint32_t syn_backlog = 1024;               // half-open connections per listener before SYN cookies
  bool syn_cookies = true;
  CongestionControl congestion = CongestionControl::cubic;
  Duration min_rto{200'000};
  Duration initial_rto{1'000'000};
  Duration max_rto{120'000'000};
  Duration delayed_ack{40'000};              // 0: acknowledge every segment at once
  Duration time_wait{60'000'000};
  Duration fin_wait_2{60'000'000};
  uint32_t syn_retries = 6;
  uint32_t retries = 15;                     // data retransmissions before a reset (Linux tcp_retries2)
  uint32_t orphan_retries = 8;               // the same, and zero-window probes, once the application closed
  bool keepalive = false;
  Duration keepalive_idle{7'200'000'000};
  Duration keepalive_interval{75'000'000};
  uint32_t keepalive_probes = 9;
  bool sack = true;
  bool timestamps = true;
  bool window_scaling = true;
  uint16_t local_port_first = 32768;         // local ports of active opens (connections to servers)
  uint16_t local_port_last = 60999;
  uint32_t challenge_ack_limit = 1000;       // RFC 5961 challenge ACKs per second per worker
  KeyPositions positions;
};

struct PortConfig {
  std::string name;
  DeviceName device;
  Ipv4Prefix address;
  std::optional<Ipv4Address> gateway;
  uint32_t mtu = 1500;
  uint32_t rx_descriptors = 1024;
  uint32_t tx_descriptors = 1024;
  SourcePosition where;
  KeyPositions positions;
};

// A permanent ARP entry, as `arp -s` or a router's static ARP.
struct StaticArpConfig {
  Ipv4Address address;
  Mac mac{};
  std::string port;  // empty: the port whose subnet holds the address
  SourcePosition where;
  KeyPositions positions;
};

// A static route: traffic for `destination` goes to `gateway`, an on-link
// neighbour of one of the ports.
struct RouteConfig {
  Ipv4Prefix destination;
  Ipv4Address gateway;
  std::string port;  // empty: the port whose subnet holds the gateway
  SourcePosition where;
  KeyPositions positions;
};

// ---- HTTP proxy: [[frontend]], [[backend]], [[backend.server]] ----------
// Names, defaults and meanings follow HAProxy's `mode http` (see
// docs/config.md sections 6d-6f); timeouts left unset inherit as HAProxy's do.

enum class BalanceAlgorithm : uint8_t { roundrobin, static_rr, leastconn, first, random, source, uri, hdr };
enum class HashType : uint8_t { map_based, consistent };
enum class HttpReuse : uint8_t { never, safe, always };

// An IPv4 address and port; address 0 (written "*:80" or "0.0.0.0:80")
// means every address the appliance owns.
struct Endpoint {
  Ipv4Address address;
  uint16_t port = 0;
};

// ---- Health checks: [backend.health_check] and per-server keys ----------
// HAProxy's `check`, `inter`/`fastinter`/`downinter`, `rise`/`fall`,
// `option httpchk`, `http-check expect status`, `disable-on-404`,
// `observe layer4|layer7` with `error-limit` and `on-error`.

enum class HealthCheckType : uint8_t { tcp, http };
enum class ObserveMode : uint8_t { none, layer4, layer7 };
enum class OnError : uint8_t { fastinter, fail_check, sudden_death, mark_down };

// An inclusive range of HTTP status codes a check accepts.
struct StatusRange {
  uint16_t first = 200;
  uint16_t last = 399;
};

struct HealthCheckConfig {
  HealthCheckType type = HealthCheckType::tcp;
  Duration interval{2'000'000};                 // inter
  std::optional<Duration> fastinter;            // unset: interval
  std::optional<Duration> downinter;            // unset: interval
  uint32_t rise = 2;
  uint32_t fall = 3;
  std::optional<Duration> timeout;              // unset: interval (HAProxy: timeout check, else inter)
  std::string method = "GET";
  std::string path = "/";
  std::string host;                             // empty: no Host field (HTTP/1.0 probe)
  // One default range, 200..399. Not written {{200, 399}}: GCC 12 at -O3
  // reports that initializer list as maybe-uninitialized (a false positive).
  std::vector<StatusRange> expect_status = std::vector<StatusRange>(1);
  bool disable_on_404 = false;
  ObserveMode observe = ObserveMode::none;
  uint32_t error_limit = 10;
  OnError on_error = OnError::fail_check;
  KeyPositions positions;
};

// ---- TLS: [frontend.tls], [[backend.server]] tls ------------------------
// HAProxy's `bind ... ssl crt` options and `server ... ssl` (docs/config.md).

enum class TlsVersion : uint8_t { tls1_2, tls1_3 };
enum class TlsVerify : uint8_t { none, optional, required };

inline const char* tls_version_name(TlsVersion v) { return v == TlsVersion::tls1_3 ? "1.3" : "1.2"; }
inline const char* tls_verify_name(TlsVerify v) {
  return v == TlsVerify::required ? "required" : v == TlsVerify::optional ? "optional" : "none";
}

// Mozilla's "intermediate" profile (ECDHE only, AEAD only).
inline constexpr const char* kDefaultTlsCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
inline constexpr const char* kDefaultTlsCiphersuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

struct TlsCertificateConfig {
  std::string cert;              // PEM: certificate, chain, and the key unless `key` is set
  std::string key;               // empty: the key is in `cert`
  std::vector<std::string> sni;  // empty: the names come from the certificate's SANs
  SourcePosition where;
};

struct FrontendTlsConfig {
  std::vector<TlsCertificateConfig> certificates;
  uint32_t default_certificate = 0;
  TlsVersion min_version = TlsVersion::tls1_2;
  std::string ciphers = kDefaultTlsCiphers;
  std::string ciphersuites = kDefaultTlsCiphersuites;
  std::vector<std::string> alpn{"http/1.1"};
  bool session_tickets = true;
  std::string ticket_keys_file;  // empty: random keys, rotated every 12 h
  std::string ocsp_response;     // of the default certificate; others: CERT.ocsp when present
  TlsVerify verify = TlsVerify::none;
  std::string ca_file;
  std::string crl_file;
  std::string client_cert_header = "X-SSL-Client-DN";
  std::optional<Duration> timeout_handshake;  // unset: timeout_http_request
  SourcePosition where;
  KeyPositions positions;
};

struct ServerTlsConfig {
  bool enabled = false;
  TlsVerify verify = TlsVerify::required;
  std::string ca_file;
  std::string sni;
  std::string cert;  // a client certificate to present (optional)
  std::string key;
  bool check_ssl = false;  // health checks over TLS too (HAProxy check-ssl)
};

struct ServerConfig {
  std::string name;
  Endpoint address;
  uint32_t weight = 1;    // 0..256; 0 takes no new traffic from weighted algorithms
  uint32_t maxconn = 0;   // concurrent requests; 0 = unlimited; above it requests queue
  bool backup = false;    // used only when no active server is usable
  bool check = false;     // health-checked with the backend's [backend.health_check]
  uint16_t check_port = 0;  // 0: the server's port
  Duration slowstart{0};    // weight ramps up over this long after the server comes back
  ServerTlsConfig tls;
  SourcePosition where;
  KeyPositions positions;
};

// ---- HTTP rules (HAProxy's acl, http-request, http-response, use_backend) --
// Written per frontend and backend; the loader compiles each proxy's set
// (conditions, regexes, values) once, so --check reports every mistake at
// its position and snapshots share the compiled set (config_rules.cc).

struct AclLine {
  std::string name;
  std::string text;  // "fetch [flags] patterns", as in an `acl` line
  SourcePosition where;
};

struct HttpRuleConfig {
  rules::HttpRuleSpec spec;
  std::string file;  // deny/return: the body's file, as written (spec.body holds its contents)
  bool action_known = true;  // false: the action was missing or misspelt, already reported; nothing else is checked
  SourcePosition where;
  KeyPositions positions;
};

struct UseBackendConfig {
  std::string backend;
  std::string condition;
  bool unless = false;
  SourcePosition where;
  KeyPositions positions;
};

// What a frontend and a backend both have.
struct HttpRulesConfig {
  std::vector<AclLine> acls;
  std::vector<HttpRuleConfig> http_request;
  std::vector<HttpRuleConfig> http_response;
  std::shared_ptr<const rules::HttpRuleSet> compiled;  // null until loaded, and when there is no rule
};

struct BackendConfig {
  std::string name;
  BalanceAlgorithm balance = BalanceAlgorithm::roundrobin;
  uint32_t random_draws = 2;    // random(N): power of N choices (random alone: 2, as HAProxy)
  std::string hash_header;      // hdr(NAME)
  HashType hash_type = HashType::map_based;
  Duration timeout_connect{5'000'000};
  Duration timeout_server{50'000'000};
  std::optional<Duration> timeout_queue;   // unset: timeout_connect
  std::optional<Duration> timeout_tunnel;  // unset: the larger of timeout_client and timeout_server
  HttpReuse http_reuse = HttpReuse::safe;
  uint32_t retries = 3;         // attempts after the first: connection retries and L7 retries
  bool redispatch = true;       // connection retries (see redispatch_interval) and every L7 retry may go elsewhere
  // HAProxy's `option redispatch <interval>`: N > 0 every Nth connection
  // retry goes to another server, N < 0 the Nth from the last (-1: the last).
  int32_t redispatch_interval = -1;
  RetryOn retry_on;             // HAProxy's retry-on; default conn-failure
  uint64_t retry_buffer = 16384;  // requests larger than this (head + body) are not retried
  Duration timeout_per_try{0};    // 0: timeout_server; else a response-timeout retry after this long
  RetryBudget retry_budget;
  RetryBackoff retry_backoff;
  RetryNonIdempotent retry_non_idempotent = RetryNonIdempotent::never;
  std::string idempotency_key_header = "Idempotency-Key";
  HealthCheckConfig health_check;
  std::vector<ServerConfig> servers;
  HttpRulesConfig rules;  // acl, http_request, http_response
  SourcePosition where;
  KeyPositions positions;
};

// A file holding a complete HTTP response (status line, headers, body),
// served as-is instead of dplb's built-in page for that status.
struct ErrorFile {
  std::string path;
  std::string contents;  // read and checked by the loader
};

struct FrontendConfig {
  std::string name;
  std::vector<Endpoint> bind;
  std::vector<SourcePosition> bind_positions;  // of each bind entry, for the checks across frontends
  std::vector<bool> bind_tls;                  // of each bind entry: TLS terminated there
  // As written: -1 for a string (TLS when the frontend has [frontend.tls]),
  // else the entry's `tls`; bind_tls is resolved from it after loading.
  std::vector<int8_t> bind_tls_written;
  std::optional<FrontendTlsConfig> tls;
  bool httpslog = false;                       // log_format = "httpslog"
  std::string default_backend;
  uint32_t maxconn = 100000;            // concurrent client connections, all workers together
  bool forwardfor = false;              // X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Port
  Duration timeout_client{50'000'000};
  std::optional<Duration> timeout_http_request;     // unset: timeout_client
  std::optional<Duration> timeout_http_keep_alive;  // unset: timeout_http_request
  std::map<uint16_t, ErrorFile> errorfiles;         // status -> file
  bool log = true;                      // access log lines for this frontend (when [log] access_log is set)
  bool dontlognull = false;             // no line for connections that sent no request
  HttpRulesConfig rules;                // acl, http_request, http_response
  std::vector<UseBackendConfig> use_backend;  // first match wins, else default_backend
  SourcePosition where;
  KeyPositions positions;
};

// ---- VRRP: [[vrrp]] ------------------------------------------------------
// One virtual router (keepalived's vrrp_instance) sharing virtual addresses
// with other routers on one [[port]], by VRRP version 2 (RFC 3768) or 3
// (RFC 9568), interoperable with keepalived. Names and defaults follow
// keepalived's (docs/config.md section 6h).

// The state an instance starts in (keepalived's `state`).
enum class VrrpState : uint8_t { backup, master };

inline const char* vrrp_state_name(VrrpState s) { return s == VrrpState::master ? "MASTER" : "BACKUP"; }

// How a VRRPv3 advertisement over IPv4 is checksummed when sent: with the
// IPv4 pseudo-header (RFC 5798 as keepalived reads it, its default), or
// without it (RFC 9568, keepalived's v3_checksum_as_v2). Received adverts
// are accepted in either form.
enum class VrrpV3Checksum : uint8_t { pseudo_header, rfc9568 };

inline const char* vrrp_v3_checksum_name(VrrpV3Checksum c) {
  return c == VrrpV3Checksum::rfc9568 ? "rfc9568" : "pseudo-header";
}

inline constexpr uint8_t kVrrpPriorityOwner = 255;    // the address owner (RFC 3768 5.3.4)
inline constexpr uint8_t kVrrpPriorityDefault = 100;  // keepalived's VRRP_PRIO_DFL
inline constexpr std::size_t kVrrpAuthPassBytes = 8;  // the v2 Authentication Data field
// Virtual addresses per port, all its instances together: what each worker's
// VirtualAddressTable and each advert (vrrp::kVrrpMaxAddresses) hold.
inline constexpr std::size_t kVrrpMaxVirtualAddresses = 32;

// While `backend` has no usable server, the instance's priority moves by
// `weight`; weight 0 puts the instance in FAULT instead (keepalived's
// track_script with weight 0): it stops advertising and gives up its
// addresses until a server of the backend is up again.
struct VrrpTrackBackend {
  std::string backend;
  int32_t weight = 0;  // -254..254
  SourcePosition where;
  KeyPositions positions;
};

struct VrrpConfig {
  std::string name;                                      // keepalived: vrrp_instance NAME
  std::string port;                                      // the [[port]] it runs on (keepalived: interface)
  VrrpState state = VrrpState::backup;
  uint8_t virtual_router_id = 0;                         // 1..255, required
  uint8_t priority = kVrrpPriorityDefault;               // resolved: as written, else 255 for MASTER, else 100
  uint8_t version = 2;                                   // 2 or 3
  uint16_t advert_int_cs = 100;                          // centiseconds; v2: whole seconds 1..255, v3: 1..4095
  std::string auth_pass;                                 // v2 PASS authentication, at most 8 bytes; empty: none
  bool preempt = true;                                   // false: keepalived's nopreempt
  Duration preempt_delay{0};                             // 0..1000s
  std::vector<Ipv4Prefix> virtual_addresses;             // at least one, each inside the port's subnet
  std::vector<SourcePosition> virtual_address_positions; // of each entry, for the checks across instances
  uint32_t garp_repeat = 5;                              // gratuitous ARPs per address in a burst
  Duration garp_delay{5'000'000};                        // the second burst after becoming master; 0: none
  Duration garp_refresh{0};                              // a burst this often while master; 0: never
  std::vector<Ipv4Address> unicast_peers;                // empty: multicast to 224.0.0.18
  std::vector<SourcePosition> unicast_peer_positions;
  bool use_vmac = false;                                 // 00:00:5e:00:01:VRID as the source MAC while master
  VrrpV3Checksum v3_checksum = VrrpV3Checksum::pseudo_header;
  std::vector<VrrpTrackBackend> track_backends;
  std::string notify;                                    // absolute path of an executable; empty: none
  SourcePosition where;
  KeyPositions positions;

  Duration advert_interval() const { return Duration{int64_t{advert_int_cs} * 10'000}; }
};

struct Config {
  std::string file;
  DataplaneConfig dataplane;
  ConsoleConfig console;
  LogConfig log;
  TcpConfig tcp;
  std::vector<PortConfig> ports;
  std::vector<StaticArpConfig> static_arp;
  std::vector<RouteConfig> routes;
  std::vector<FrontendConfig> frontends;
  std::vector<BackendConfig> backends;
  std::vector<VrrpConfig> vrrp;
  KeyPositions positions;

  // Index of the port whose subnet contains `a`, or -1.
  int port_for(Ipv4Address a) const {
    for (std::size_t i = 0; i < ports.size(); ++i) {
      if (ports[i].address.contains(a)) return static_cast<int>(i);
    }
    return -1;
  }

  // Whether traffic to `a` has somewhere to go, as the route table will see
  // it: a connected subnet, a [[route]], or a port's gateway.
  bool has_route(Ipv4Address a) const {
    for (const auto& p : ports) {
      if (p.positions.count("address") && p.address.contains(a)) return true;
      if (p.gateway) return true;
    }
    for (const auto& r : routes) {
      if (r.positions.count("destination") && r.destination.contains(a)) return true;
    }
    return false;
  }

  // The [[vrrp]] instance that has `a` among its virtual_addresses, or null.
  const VrrpConfig* vrrp_owning(Ipv4Address a) const {
    for (const auto& v : vrrp) {
      for (const auto& p : v.virtual_addresses) {
        if (p.address == a) return &v;
      }
    }
    return nullptr;
  }
};

}  // namespace dplb::conf
