#pragma once

// One access-log line's worth of facts, as a worker records it at the end of
// a request (HAProxy's `option httplog` fields). Workers never format or
// write: they copy this fixed-size record into their log ring and go on;
// the control plane formats and writes the lines. Times are in the
// worker's clock (microseconds since boot, from the TSC); the writer turns
// them into wall-clock dates.

#include <cstdint>

namespace dplb::dataplane {

inline constexpr uint16_t kNoIndex = 0xffff;  // no backend / <NOSRV>

struct AccessLogRecord {
  uint64_t accept_us = 0;       // the client connection (first request) or the end of the previous request
  uint32_t client_address = 0;  // host order
  uint16_t client_port = 0;
  uint16_t frontend = 0;
  uint16_t backend = kNoIndex;
  uint16_t server = kNoIndex;
  uint16_t status = 0;          // 0: none (logged as -1)
  // Timers in milliseconds, -1 where the phase was never reached (HAProxy's
  // TR, Tw, Tc, Tr, Ta; Ta is the whole request).
  int32_t t_request = -1;
  int32_t t_queue = -1;
  int32_t t_connect = -1;
  int32_t t_response = -1;
  int32_t t_active = -1;
  // Non-zero: the record is not a request but a TLS handshake that failed
  // (a TlsFailure), logged as HAProxy logs connection errors, on the bind
  // at `local_port`. These fill what was padding.
  uint16_t local_port = 0;
  uint8_t tls_failure = 0;
  uint8_t redispatched = 0;  // a retry went to another server: HAProxy logs the retries as "+N"
  uint64_t bytes_read = 0;      // bytes sent to the client, head included
  char termination[2] = {'-', '-'};  // who ended it and in which phase (SC, sH, CD, ...)
  uint16_t retries = 0;
  uint32_t active_connections = 0;    // actconn: this worker's sessions
  uint32_t frontend_connections = 0;  // feconn
  uint32_t backend_connections = 0;   // beconn
  uint32_t server_connections = 0;    // srv_conn
  uint32_t server_queue = 0;
  uint32_t backend_queue = 0;
  // TLS binds: what the handshake agreed (%sslv, %sslc, ssl_fc_sni), NUL-padded.
  bool tls = false;
  bool tls_resumed = false;
  char tls_version[8] = {};           // "TLSv1.3"
  char tls_cipher[32] = {};           // OpenSSL's name, e.g. "TLS_AES_128_GCM_SHA256"
  char tls_sni[64] = {};              // truncated
  uint16_t request_length = 0;        // bytes of `request` used
  char request[320] = {};             // the request line, truncated
};
static_assert(sizeof(AccessLogRecord) == 512);

}  // namespace dplb::dataplane
