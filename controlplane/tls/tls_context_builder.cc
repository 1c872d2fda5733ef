#include "controlplane/tls/tls_context_builder.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "dataplane/tls/tls_server_context.h"

namespace dplb::controlplane::tls {
namespace {

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "refused";
  char text[256];
  ERR_error_string_n(e, text, sizeof(text));
  return text;
}

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = s.str();
  return static_cast<bool>(in) || in.eof();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return s;
}

std::string where(const conf::FrontendConfig& f, const std::string& key) {
  return "frontend '" + f.name + "' tls." + key + ": ";
}

// HAProxy staples "<crt>.ocsp" when it exists; ocsp_response names the
// default certificate's explicitly.
std::string load_ocsp(const conf::FrontendConfig& f, std::size_t index, std::string* out) {
  const conf::FrontendTlsConfig& tls = *f.tls;
  const std::string& cert = tls.certificates[index].cert;
  if (index == tls.default_certificate && !tls.ocsp_response.empty()) {
    if (!read_file(tls.ocsp_response, out)) return where(f, "ocsp_response") + tls.ocsp_response + ": cannot read";
    return "";
  }
  read_file(cert + ".ocsp", out);  // optional
  return "";
}

std::string load_frontend(const conf::FrontendConfig& f, int64_t now, FrontendTlsMaterial* m,
                          std::vector<std::string>* warnings) {
  const conf::FrontendTlsConfig& tls = *f.tls;
  std::string errors;
  for (std::size_t i = 0; i < tls.certificates.size(); ++i) {
    const conf::TlsCertificateConfig& c = tls.certificates[i];
    CertificateLoad load = load_certificate(c.cert, c.key, now);
    const std::string prefix = where(f, "certificates[" + std::to_string(i) + "]");
    for (const std::string& e : load.errors) errors += (errors.empty() ? "" : "\n") + prefix + e;
    for (const std::string& w : load.warnings) warnings->push_back(prefix + w);
    if (load.certificate == nullptr) continue;
    std::vector<std::string> names = c.sni.empty() ? load.certificate->info.dns_names : c.sni;
    for (std::string& n : names) n = lower(n);
    std::string ocsp;
    if (std::string e = load_ocsp(f, i, &ocsp); !e.empty()) errors += (errors.empty() ? "" : "\n") + e;
    m->certificates.push_back(std::move(load.certificate));
    m->names.push_back(std::move(names));
    m->ocsp.push_back(std::move(ocsp));
  }
  if (!errors.empty()) return errors;
  if (tls.session_tickets) {
    m->random_tickets = tls.ticket_keys_file.empty();
    if (std::string e = reload_ticket_keys(tls, *m, &m->tickets); !e.empty()) return where(f, "ticket_keys_file") + e;
  }
  return "";
}

// ---- contexts --------------------------------------------------------------

struct Group {
  std::vector<std::string> names;
  std::vector<std::size_t> certificates;
};

// Certificates that answer for the same names share one context, so an
// RSA and an ECDSA certificate for one site are both offered and OpenSSL
// picks by what the client supports.
std::vector<Group> group_by_names(const FrontendTlsMaterial& m) {
  std::vector<Group> groups;
  for (std::size_t i = 0; i < m.certificates.size(); ++i) {
    std::vector<std::string> names = m.names[i];
    std::sort(names.begin(), names.end());
    auto g = std::find_if(groups.begin(), groups.end(), [&](const Group& x) { return x.names == names; });
    if (g == groups.end()) {
      groups.push_back({names, {i}});
    } else {
      g->certificates.push_back(i);
    }
  }
  return groups;
}

std::string configure(SSL_CTX* ctx, const conf::FrontendConfig& f) {
  const conf::FrontendTlsConfig& tls = *f.tls;
  SSL_CTX_set_min_proto_version(ctx, tls.min_version == conf::TlsVersion::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION);
  uint64_t options = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                     SSL_OP_IGNORE_UNEXPECTED_EOF;
  if (!tls.session_tickets) options |= SSL_OP_NO_TICKET;
  SSL_CTX_set_options(ctx, options);
  // Resumption is by tickets only: no per-context session cache to share,
  // lock or fill (TLS 1.3 tickets are then stateless).
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, tls.session_tickets ? 1 : 0);
  SSL_CTX_set_max_early_data(ctx, 0);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_read_ahead(ctx, 1);
  const std::string sid = "dplb:" + f.name;
  SSL_CTX_set_session_id_context(ctx, reinterpret_cast<const unsigned char*>(sid.data()),
                                 static_cast<unsigned int>(std::min<std::size_t>(sid.size(), SSL_MAX_SID_CTX_LENGTH)));
  if (SSL_CTX_set_cipher_list(ctx, tls.ciphers.c_str()) != 1) {
    return where(f, "ciphers") + "OpenSSL accepts no cipher of \"" + tls.ciphers + "\": " + openssl_error();
  }
  if (SSL_CTX_set_ciphersuites(ctx, tls.ciphersuites.c_str()) != 1) {
    return where(f, "ciphersuites") + "OpenSSL refused \"" + tls.ciphersuites + "\": " + openssl_error();
  }
  SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384");
  if (tls.verify != conf::TlsVerify::none) {
    if (SSL_CTX_load_verify_file(ctx, tls.ca_file.c_str()) != 1) {
      return where(f, "ca_file") + tls.ca_file + ": " + openssl_error();
    }
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(ctx, names);
    }
    if (!tls.crl_file.empty()) {
      X509_STORE* store = SSL_CTX_get_cert_store(ctx);
      if (X509_STORE_load_file(store, tls.crl_file.c_str()) != 1) {
        return where(f, "crl_file") + tls.crl_file + ": " + openssl_error();
      }
      X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (tls.verify == conf::TlsVerify::required ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                       nullptr);
  }
  return "";
}

std::string add_certificates(SSL_CTX* ctx, const conf::FrontendConfig& f, const FrontendTlsMaterial& m,
                             const Group& g, dataplane::TlsServerContextData& data) {
  for (std::size_t i : g.certificates) {
    const LoadedCertificate& c = *m.certificates[i];
    STACK_OF(X509)* chain = sk_X509_new_null();
    for (const X509Ptr& x : c.chain) sk_X509_push(chain, x.get());
    const int ok = SSL_CTX_use_cert_and_key(ctx, c.leaf.get(), c.key.get(), chain, 1);
    sk_X509_free(chain);  // the context took its own references
    if (ok != 1) {
      return where(f, "certificates[" + std::to_string(i) + "]") + "OpenSSL refused the certificate: " + openssl_error();
    }
    if (!m.ocsp[i].empty()) data.ocsp.push_back({c.leaf.get(), m.ocsp[i]});
  }
  return "";
}

std::unique_ptr<dataplane::TlsServerContextData> base_data(const conf::FrontendConfig& f,
                                                           const FrontendTlsMaterial& m) {
  auto data = std::make_unique<dataplane::TlsServerContextData>();
  data->alpn = dataplane::alpn_wire_format(f.tls->alpn);
  data->tickets = m.tickets;
  return data;
}

void add_names(dataplane::TlsSniTable& sni, const std::vector<std::string>& names, SSL_CTX* context) {
  for (const std::string& n : names) {
    const bool wildcard = n.size() > 2 && n.compare(0, 2, "*.") == 0;
    auto& list = wildcard ? sni.wildcard : sni.exact;
    const std::string key = wildcard ? n.substr(2) : n;
    // The first certificate configured for a name answers for it.
    if (std::any_of(list.begin(), list.end(), [&](const auto& e) { return e.name == key; })) continue;
    if (context != nullptr) SSL_CTX_up_ref(context);
    list.push_back({key, context});
  }
}

// One worker's context for a frontend: the default certificate's, with
// the SNI table pointing at the other certificates' contexts.
std::string build_frontend(const conf::FrontendConfig& f, const FrontendTlsMaterial& m, SSL_CTX** out) {
  const std::vector<Group> groups = group_by_names(m);
  std::size_t default_group = 0;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const auto& c = groups[g].certificates;
    if (std::find(c.begin(), c.end(), f.tls->default_certificate) != c.end()) default_group = g;
  }
  std::vector<SSL_CTX*> contexts(groups.size(), nullptr);
  std::unique_ptr<dataplane::TlsServerContextData> default_data;
  std::string error;
  for (std::size_t g = 0; g < groups.size() && error.empty(); ++g) {
    contexts[g] = SSL_CTX_new(TLS_server_method());
    if (contexts[g] == nullptr) {
      error = where(f, "certificates") + "cannot make an SSL_CTX: " + openssl_error();
      break;
    }
    auto data = base_data(f, m);
    error = configure(contexts[g], f);
    if (error.empty()) error = add_certificates(contexts[g], f, m, groups[g], *data);
    if (!error.empty()) break;
    if (g == default_group) {
      default_data = std::move(data);  // attached last, with the SNI table
    } else if (!dataplane::attach_server_context_data(contexts[g], std::move(data))) {
      error = where(f, "certificates") + "OpenSSL refused the context's data";
    }
  }
  if (error.empty()) {
    for (std::size_t g = 0; g < groups.size(); ++g) {
      add_names(default_data->sni, groups[g].names, g == default_group ? nullptr : contexts[g]);
    }
    default_data->sni.sort();
    if (!dataplane::attach_server_context_data(contexts[default_group], std::move(default_data))) {
      error = where(f, "certificates") + "OpenSSL refused the context's data";
    }
  }
  // The SNI table holds its own references; the default's is returned.
  for (std::size_t g = 0; g < contexts.size(); ++g) {
    if (g != default_group || !error.empty()) SSL_CTX_free(contexts[g]);
  }
  *out = error.empty() ? contexts[default_group] : nullptr;
  return error;
}

// ---- client contexts (connections to servers) -----------------------------

std::string server_where(const conf::BackendConfig& b, const conf::ServerConfig& s, const std::string& key) {
  return "backend '" + b.name + "' server '" + s.name + "' tls." + key + ": ";
}

std::string load_server(const conf::BackendConfig& b, const conf::ServerConfig& s, int64_t now, ServerTlsMaterial* m,
                        std::vector<std::string>* warnings) {
  const conf::ServerTlsConfig& tls = s.tls;
  std::string errors;
  if (tls.verify == conf::TlsVerify::required) {
    // Checked here so --check names an unreadable or empty CA file; the
    // contexts load it again from the same path.
    X509_STORE* store = X509_STORE_new();
    if (X509_STORE_load_file(store, tls.ca_file.c_str()) != 1) {
      errors = server_where(b, s, "ca_file") + tls.ca_file + ": no CA certificate could be read: " + openssl_error();
    }
    X509_STORE_free(store);
  }
  if (!tls.cert.empty()) {
    CertificateLoad load = load_certificate(tls.cert, tls.key, now);
    const std::string prefix = server_where(b, s, "cert");
    for (const std::string& e : load.errors) errors += (errors.empty() ? "" : "\n") + prefix + e;
    for (const std::string& w : load.warnings) warnings->push_back(prefix + w);
    m->client_certificate = std::move(load.certificate);
  }
  return errors;
}

// A context for connections to one server. Sessions are kept by the proxy
// (one per server, SSL_get1_session), so OpenSSL's cache stays off here
// too; renegotiation and compression are refused as on the client side.
std::string build_server(const conf::BackendConfig& b, const conf::ServerConfig& s, const ServerTlsMaterial& m,
                         SSL_CTX** out) {
  *out = nullptr;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return server_where(b, s, "enabled") + "cannot make an SSL_CTX: " + openssl_error();
  const conf::ServerTlsConfig& tls = s.tls;
  std::string error;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384");
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx, kHttp11, sizeof(kHttp11));
  if (tls.verify == conf::TlsVerify::required) {
    if (SSL_CTX_load_verify_file(ctx, tls.ca_file.c_str()) != 1) {
      error = server_where(b, s, "ca_file") + tls.ca_file + ": " + openssl_error();
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (error.empty() && m.client_certificate != nullptr) {
    const LoadedCertificate& c = *m.client_certificate;
    STACK_OF(X509)* chain = sk_X509_new_null();
    for (const X509Ptr& x : c.chain) sk_X509_push(chain, x.get());
    if (SSL_CTX_use_cert_and_key(ctx, c.leaf.get(), c.key.get(), chain, 1) != 1) {
      error = server_where(b, s, "cert") + "OpenSSL refused the client certificate: " + openssl_error();
    }
    sk_X509_free(chain);
  }
  if (!error.empty()) {
    SSL_CTX_free(ctx);
    return error;
  }
  *out = ctx;
  return "";
}

}  // namespace

std::string reload_ticket_keys(const conf::FrontendTlsConfig& tls, const FrontendTlsMaterial& current,
                               std::shared_ptr<const dataplane::TlsTicketKeyRing>* out) {
  if (!tls.session_tickets) {
    out->reset();
    return "";
  }
  if (tls.ticket_keys_file.empty()) {
    *out = std::make_shared<const dataplane::TlsTicketKeyRing>(
        current.tickets != nullptr ? current.tickets->rotated() : dataplane::TlsTicketKeyRing::random());
    return "";
  }
  std::string text;
  if (!read_file(tls.ticket_keys_file, &text)) return tls.ticket_keys_file + ": cannot read";
  dataplane::TlsTicketKeyRing ring;
  if (std::string e = dataplane::parse_ticket_keys(text, &ring); !e.empty()) return tls.ticket_keys_file + ":" + e;
  *out = std::make_shared<const dataplane::TlsTicketKeyRing>(std::move(ring));
  return "";
}

std::string load_tls_material(const conf::Config& config, int64_t now, TlsMaterial* out) {
  out->frontends.assign(config.frontends.size(), nullptr);
  out->warnings.clear();
  std::string errors;
  for (std::size_t i = 0; i < config.frontends.size(); ++i) {
    const conf::FrontendConfig& f = config.frontends[i];
    if (!f.tls) continue;
    auto m = std::make_shared<FrontendTlsMaterial>();
    if (std::string e = load_frontend(f, now, m.get(), &out->warnings); !e.empty()) {
      errors += (errors.empty() ? "" : "\n") + e;
      continue;
    }
    out->frontends[i] = std::move(m);
  }
  out->servers.assign(config.backends.size(), {});
  for (std::size_t b = 0; b < config.backends.size(); ++b) {
    const conf::BackendConfig& backend = config.backends[b];
    out->servers[b].assign(backend.servers.size(), nullptr);
    for (std::size_t s = 0; s < backend.servers.size(); ++s) {
      if (!backend.servers[s].tls.enabled) continue;
      auto m = std::make_shared<ServerTlsMaterial>();
      if (std::string e = load_server(backend, backend.servers[s], now, m.get(), &out->warnings); !e.empty()) {
        errors += (errors.empty() ? "" : "\n") + e;
        continue;
      }
      out->servers[b][s] = std::move(m);
    }
  }
  return errors;
}

std::string build_tls_contexts(const conf::Config& config, const TlsMaterial& material, uint64_t version,
                               uint32_t workers, std::unique_ptr<const dataplane::TlsContextSnapshot>* out) {
  std::vector<dataplane::TlsWorkerContexts> sets(std::max<uint32_t>(workers, 1));
  std::string error;
  for (auto& set : sets) set.frontends.assign(config.frontends.size(), nullptr);
  for (std::size_t w = 0; w < sets.size() && error.empty(); ++w) {
    for (std::size_t i = 0; i < config.frontends.size() && error.empty(); ++i) {
      if (i >= material.frontends.size() || material.frontends[i] == nullptr) continue;
      error = build_frontend(config.frontends[i], *material.frontends[i], &sets[w].frontends[i]);
    }
    sets[w].servers.assign(config.backends.size(), {});
    for (std::size_t b = 0; b < config.backends.size() && error.empty(); ++b) {
      const conf::BackendConfig& backend = config.backends[b];
      sets[w].servers[b].assign(backend.servers.size(), nullptr);
      for (std::size_t s = 0; s < backend.servers.size() && error.empty(); ++s) {
        if (b >= material.servers.size() || s >= material.servers[b].size() || material.servers[b][s] == nullptr) {
          continue;
        }
        error = build_server(backend, backend.servers[s], *material.servers[b][s], &sets[w].servers[b][s]);
      }
    }
  }
  // A snapshot frees what it holds, also when it is thrown away here.
  auto snapshot = std::make_unique<const dataplane::TlsContextSnapshot>(version, std::move(sets));
  if (!error.empty()) return error;
  *out = std::move(snapshot);
  return "";
}

}  // namespace dplb::controlplane::tls
