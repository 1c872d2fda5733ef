#include "dataplane/tls/tls_server_context.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace dplb::dataplane {
namespace {

int data_index() {
  // Registered once per process, from whichever thread builds the first context.
  static const int index = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr,
      [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<TlsServerContextData*>(ptr); });
  return index;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}

const TlsSniTable::Entry* find_entry(const std::vector<TlsSniTable::Entry>& entries, std::string_view name) {
  auto it = std::lower_bound(entries.begin(), entries.end(), name,
                             [](const TlsSniTable::Entry& e, std::string_view n) { return e.name < n; });
  return it != entries.end() && it->name == name ? &*it : nullptr;
}

int on_server_name(SSL* ssl, int*, void*) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_OK;  // no SNI: the default certificate
  const TlsServerContextData* data = server_context_data(SSL_get_SSL_CTX(ssl));
  if (data == nullptr) return SSL_TLSEXT_ERR_OK;
  const TlsSniTable::Entry* e = data->sni.select(name);
  if (e != nullptr && e->context != nullptr) SSL_set_SSL_CTX(ssl, e->context);
  return SSL_TLSEXT_ERR_OK;
}

int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
            unsigned int offered_length, void*) {
  const TlsServerContextData* data = server_context_data(SSL_get_SSL_CTX(ssl));
  if (data == nullptr || data->alpn.empty()) return SSL_TLSEXT_ERR_NOACK;
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, data->alpn.data(), static_cast<unsigned int>(data->alpn.size()),
                            offered, offered_length) != OPENSSL_NPN_NEGOTIATED) {
    // No protocol in common: go on without ALPN, as HAProxy and nginx do,
    // rather than failing with no_application_protocol.
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

bool key_hmac(EVP_MAC_CTX* hmac, const TlsTicketKey& key) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_END};
  return EVP_MAC_init(hmac, key.hmac.data(), key.hmac.size(), params) == 1;
}

const EVP_CIPHER* cipher_for(const TlsTicketKey& key) {
  return key.aes.size() == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
}

// RFC 5077 4: returns 1 to use the ticket, 2 to use it and issue a fresh
// one (an older key decrypted it), 0 to ignore it, -1 on error.
int on_ticket_key(SSL* ssl, unsigned char name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* hmac,
                  int encrypt) {
  const TlsServerContextData* data = server_context_data(SSL_get_SSL_CTX(ssl));
  if (data == nullptr || data->tickets == nullptr || data->tickets->empty()) return encrypt ? -1 : 0;
  const TlsTicketKeyRing& ring = *data->tickets;
  if (encrypt) {
    const TlsTicketKey& key = ring.encryption_key();
    std::memcpy(name, key.name, 16);
    if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) return -1;
    if (EVP_EncryptInit_ex(cipher, cipher_for(key), nullptr, key.aes.data(), iv) != 1) return -1;
    return key_hmac(hmac, key) ? 1 : -1;
  }
  const TlsTicketKey* key = ring.find(name);
  if (key == nullptr) return 0;
  if (!key_hmac(hmac, *key)) return -1;
  if (EVP_DecryptInit_ex(cipher, cipher_for(*key), nullptr, key->aes.data(), iv) != 1) return -1;
  return ring.is_encryption_key(*key) ? 1 : 2;
}

int on_status_request(SSL* ssl, void*) {
  const TlsServerContextData* data = server_context_data(SSL_get_SSL_CTX(ssl));
  X509* certificate = SSL_get_certificate(ssl);
  if (data == nullptr || certificate == nullptr) return SSL_TLSEXT_ERR_NOACK;
  for (const TlsServerContextData::Ocsp& o : data->ocsp) {
    if (o.certificate != certificate || o.response.empty()) continue;
    // OpenSSL takes ownership of an OPENSSL_malloc'ed copy (once per handshake that asks).
    auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(o.response.size()));
    if (copy == nullptr) return SSL_TLSEXT_ERR_NOACK;
    std::memcpy(copy, o.response.data(), o.response.size());
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(o.response.size()));
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

const TlsSniTable::Entry* TlsSniTable::select(std::string_view server_name) const {
  const std::string name = lower(server_name);
  if (const Entry* e = find_entry(exact, name)) return e;
  const std::size_t dot = name.find('.');
  if (dot == std::string::npos || dot == 0) return nullptr;
  return find_entry(wildcard, std::string_view(name).substr(dot + 1));
}

void TlsSniTable::sort() {
  const auto by_name = [](const Entry& a, const Entry& b) { return a.name < b.name; };
  std::sort(exact.begin(), exact.end(), by_name);
  std::sort(wildcard.begin(), wildcard.end(), by_name);
}

TlsServerContextData::~TlsServerContextData() {
  for (const auto* list : {&sni.exact, &sni.wildcard}) {
    for (const TlsSniTable::Entry& e : *list) SSL_CTX_free(e.context);
  }
}

bool attach_server_context_data(SSL_CTX* context, std::unique_ptr<TlsServerContextData> data) {
  const int index = data_index();
  if (index < 0) return false;
  const bool tickets = data->tickets != nullptr;
  const bool ocsp = !data->ocsp.empty();
  if (SSL_CTX_set_ex_data(context, index, data.get()) != 1) return false;
  data.release();
  SSL_CTX_set_tlsext_servername_callback(context, on_server_name);
  SSL_CTX_set_alpn_select_cb(context, on_alpn, nullptr);
  if (tickets) SSL_CTX_set_tlsext_ticket_key_evp_cb(context, on_ticket_key);
  if (ocsp) SSL_CTX_set_tlsext_status_cb(context, on_status_request);
  return true;
}

TlsServerContextData* server_context_data(const SSL_CTX* context) {
  return context != nullptr ? static_cast<TlsServerContextData*>(SSL_CTX_get_ex_data(context, data_index())) : nullptr;
}

std::vector<uint8_t> alpn_wire_format(const std::vector<std::string>& protocols) {
  std::vector<uint8_t> out;
  for (const std::string& p : protocols) {
    if (p.empty() || p.size() > 255) continue;
    out.push_back(static_cast<uint8_t>(p.size()));
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

}  // namespace dplb::dataplane
