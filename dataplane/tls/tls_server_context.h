#pragma once

// What a frontend's server-side SSL_CTX callbacks read during a handshake,
// kept in the context's own ex_data (see tls_worker_contexts.h for why):
// the SNI table that picks a certificate's context, the ALPN list, the
// ticket keys and the stapled OCSP responses.

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/tls/tls_ticket_keys.h"

namespace dplb::dataplane {

// Names are lower-case. A wildcard "*.example.com" is stored as
// "example.com" and matches exactly one more label, as RFC 6125 6.4.3 has it.
struct TlsSniTable {
  struct Entry {
    std::string name;
    SSL_CTX* context = nullptr;  // null: the context the handshake started on
  };
  std::vector<Entry> exact;     // sorted by name
  std::vector<Entry> wildcard;  // sorted by name

  // The entry for a ClientHello's server_name (exact first, then wildcard),
  // or null when nothing matches and the default certificate answers.
  const Entry* select(std::string_view server_name) const;
  void sort();
};

struct TlsServerContextData {
  TlsSniTable sni;                 // only on the context handshakes start on
  std::vector<uint8_t> alpn;       // the protocols in wire format (length-prefixed), our preference order
  std::shared_ptr<const TlsTicketKeyRing> tickets;  // null: tickets off
  struct Ocsp {
    X509* certificate = nullptr;   // not owned: the context's own
    std::string response;          // DER
  };
  std::vector<Ocsp> ocsp;

  ~TlsServerContextData();  // releases the SNI table's contexts
};

// Attaches `data` to `context` (which then owns it) and sets the callbacks
// that read it. False if OpenSSL refused.
bool attach_server_context_data(SSL_CTX* context, std::unique_ptr<TlsServerContextData> data);
TlsServerContextData* server_context_data(const SSL_CTX* context);

// "http/1.1" -> "\x08http/1.1"; names of 1..255 bytes.
std::vector<uint8_t> alpn_wire_format(const std::vector<std::string>& protocols);

}  // namespace dplb::dataplane
