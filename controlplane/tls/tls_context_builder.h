#pragma once

// Turns the configuration's [frontend.tls] tables into every worker's
// SSL_CTX set (dataplane/tls/tls_worker_contexts.h). Files are read once,
// by load_tls_material, on the control thread; building contexts from that
// material reads no file, so a version can be rebuilt (a certificate
// swapped, ticket keys rotated) without touching the rest.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "conf/config.h"
#include "controlplane/tls/certificate_file.h"
#include "dataplane/tls/tls_ticket_keys.h"
#include "dataplane/tls/tls_worker_contexts.h"

namespace dplb::controlplane::tls {

struct FrontendTlsMaterial {
  std::vector<std::shared_ptr<const LoadedCertificate>> certificates;  // as configured
  std::vector<std::vector<std::string>> names;  // per certificate: SNI names (configured, else its DNS SANs)
  std::vector<std::string> ocsp;                // per certificate: DER response to staple, or ""
  std::shared_ptr<const dataplane::TlsTicketKeyRing> tickets;  // null: session_tickets = false
  bool random_tickets = false;  // no ticket_keys_file: keys made here, rotated every 12 h
};

// What a connection to one TLS server needs besides its configuration:
// the client certificate it presents, if any.
struct ServerTlsMaterial {
  std::shared_ptr<const LoadedCertificate> client_certificate;  // null: none configured
};

struct TlsMaterial {
  std::vector<std::shared_ptr<const FrontendTlsMaterial>> frontends;  // by frontend; null: no TLS
  std::vector<std::vector<std::shared_ptr<const ServerTlsMaterial>>> servers;  // by backend, server; null: plain
  std::vector<std::string> warnings;
};

// Reads what every frontend's and every TLS server's TLS needs. "" on success, else every error,
// one per line, each naming the frontend, the key and the file.
std::string load_tls_material(const conf::Config& config, int64_t now, TlsMaterial* out);

// Reads one frontend's ticket keys again (its file, or a rotation of its
// random keys): for `tls ticket-keys reload` and the 12-hour rotation.
std::string reload_ticket_keys(const conf::FrontendTlsConfig& tls, const FrontendTlsMaterial& current,
                               std::shared_ptr<const dataplane::TlsTicketKeyRing>* out);

// One SSL_CTX set per worker. "" on success; else why OpenSSL refused a
// setting (a cipher list it cannot parse, say), naming the frontend and key.
std::string build_tls_contexts(const conf::Config& config, const TlsMaterial& material, uint64_t version,
                               uint32_t workers, std::unique_ptr<const dataplane::TlsContextSnapshot>* out);

}  // namespace dplb::controlplane::tls
