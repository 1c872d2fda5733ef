#pragma once

// The TLS contexts one worker starts handshakes with, and the published
// set of them for every worker. Built by the control plane
// (controlplane/tls/tls_context_builder), read-only on the workers, and
// published like the proxy snapshot: a worker adopts a newer version
// between two passes and says so; a version is freed once every worker has
// moved past it. Each worker has its own SSL_CTX copies, because OpenSSL
// 3.0 serialises handshakes that share one context on its locks.
//
// A context keeps what its callbacks read (the SNI table, ticket keys,
// OCSP responses) in its own ex_data, so a handshake that started on an
// old version finishes on it even after the version is freed: OpenSSL's
// reference counts keep the context alive until its last connection ends.

#include <openssl/types.h>

#include <cstdint>
#include <vector>

namespace dplb::dataplane {

struct TlsWorkerContexts {
  std::vector<SSL_CTX*> frontends;  // by frontend index; null: no TLS bind
  // Client contexts for connections to servers, by backend and server
  // index; null: plain HTTP to that server.
  std::vector<std::vector<SSL_CTX*>> servers;

  SSL_CTX* server(std::size_t backend, std::size_t server) const {
    return backend < servers.size() && server < servers[backend].size() ? servers[backend][server] : nullptr;
  }
};

class TlsContextSnapshot {
 public:
  TlsContextSnapshot(uint64_t version, std::vector<TlsWorkerContexts> workers)
      : version(version), workers(std::move(workers)) {}
  ~TlsContextSnapshot();
  TlsContextSnapshot(const TlsContextSnapshot&) = delete;
  TlsContextSnapshot& operator=(const TlsContextSnapshot&) = delete;

  const uint64_t version;
  const std::vector<TlsWorkerContexts> workers;  // by worker index; each holds one reference per context
};

}  // namespace dplb::dataplane
