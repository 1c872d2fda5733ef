#include "conf/config_sections.h"

#include <algorithm>

namespace dplb::conf {
namespace {

std::string convert_absolute_path(const std::string& text, std::string& out) {
  if (text.empty() || text.front() != '/') return "'" + text + "' must be an absolute path";
  out = text;
  return "";
}

std::string convert_min_version(const std::string& text, TlsVersion& out) {
  return convert_enum<TlsVersion, 2>(text, out, {TlsVersion::tls1_2, TlsVersion::tls1_3}, tls_version_name);
}

std::string convert_verify(const std::string& text, TlsVerify& out) {
  return convert_enum<TlsVerify, 3>(text, out, {TlsVerify::none, TlsVerify::optional, TlsVerify::required},
                                    tls_verify_name);
}

// OpenSSL's list syntax; whether it names ciphers OpenSSL has is checked
// when the contexts are built (boot and --check).
std::string convert_cipher_list(const std::string& text, std::string& out) {
  if (text.empty()) return "must not be empty";
  for (char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == ':' || c == '+' || c == '!' || c == '-' || c == '@' || c == '=' || c == ',';
    if (!ok) return "'" + text + "' has a character OpenSSL's cipher lists do not use: '" + std::string(1, c) + "'";
  }
  out = text;
  return "";
}

bool is_tchar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string convert_field_name(const std::string& text, std::string& out) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), is_tchar)) {
    return "'" + text + "' is not an HTTP field name (letters, digits and !#$%&'*+-.^_`|~)";
  }
  out = text;
  return "";
}

// A host name, or a wildcard "*.domain" (one label, leftmost).
std::string check_sni_name(const std::string& name) {
  std::string_view rest = name;
  if (rest.rfind("*.", 0) == 0) rest.remove_prefix(2);
  if (rest.empty() || rest.size() > 253) return "'" + name + "' is not a host name";
  std::size_t label = 0;
  for (char c : rest) {
    if (c == '.') {
      if (label == 0) return "'" + name + "' has an empty label";
      label = 0;
      continue;
    }
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return "'" + name + "' is not a host name (letters, digits, '-' and '.'; '*.' only in front)";
    if (++label > 63) return "'" + name + "' has a label longer than 63 characters";
  }
  return label == 0 ? "'" + name + "' ends with a dot" : "";
}

bool decode_sni_list(const toml::node& node, const std::string& path, std::vector<std::string>& out, Diagnostics& d) {
  const auto* array = node.as_array();
  if (array == nullptr || array->empty()) {
    report_type(d, node, path, "a non-empty array of host names, like [\"www.example.com\", \"*.example.com\"]");
    return false;
  }
  for (const auto& element : *array) {
    const auto* text = element.as_string();
    if (text == nullptr) {
      report_type(d, element, path, "a host name string in the array");
      return false;
    }
    if (std::string e = check_sni_name(text->get()); !e.empty()) {
      d.error(position_of(element), path + ": " + e);
      return false;
    }
    out.push_back(text->get());
  }
  return true;
}

// One entry of `certificates`: a path, or { cert, key, sni }.
bool decode_certificate(const toml::node& node, const std::string& path, TlsCertificateConfig& c, Diagnostics& d) {
  c.where = position_of(node);
  if (const auto* text = node.as_string()) {
    if (std::string e = convert_absolute_path(text->get(), c.cert); !e.empty()) {
      d.error(position_of(node), path + ": " + e);
      return false;
    }
    return true;
  }
  const auto* table = node.as_table();
  if (table == nullptr) {
    report_type(d, node, path, "a path string, or a table like { cert = \"/etc/dplb/site.pem\", sni = [...] }");
    return false;
  }
  bool good = true;
  for (auto&& [key, value] : *table) {
    const std::string k(key.str());
    const std::string where = path + "." + k;
    if (k == "cert" || k == "key") {
      const auto* text = value.as_string();
      if (text == nullptr) {
        report_type(d, value, where, "a string (an absolute path)");
        good = false;
      } else if (std::string e = convert_absolute_path(text->get(), k == "cert" ? c.cert : c.key); !e.empty()) {
        d.error(position_of(value), where + ": " + e);
        good = false;
      }
    } else if (k == "sni") {
      good = decode_sni_list(value, where, c.sni, d) && good;
    } else {
      std::string message = "unknown key '" + k + "' in a certificate; the keys are cert, key and sni";
      const auto matches = close_matches(k, {"cert", "key", "sni"}, 1);
      if (!matches.empty()) message += "; did you mean '" + matches.front() + "'?";
      d.error(position_of(key), message);
      good = false;
    }
  }
  if (good && c.cert.empty()) {
    d.error(position_of(node), path + ": missing required key 'cert'");
    good = false;
  }
  return good;
}

FieldSpec<FrontendTlsConfig> certificate_list() {
  return {"array of paths or tables",
          "at least one; a path to a PEM with the certificate, its chain and the key, or "
          "{ cert = PATH, key = PATH, sni = [NAMES] } (absolute paths; names: host names or \"*.domain\")",
          [](const toml::node& node, const std::string& path, FrontendTlsConfig& out, Diagnostics& d) {
            const auto* array = node.as_array();
            if (array == nullptr || array->empty()) {
              return report_type(d, node, path, "a non-empty array, like [\"/etc/dplb/mycert.pem\"]");
            }
            std::vector<TlsCertificateConfig> list;
            bool good = true;
            for (std::size_t i = 0; i < array->size(); ++i) {
              TlsCertificateConfig c;
              good = decode_certificate(*array->get(i), path + "[" + std::to_string(i) + "]", c, d) && good;
              list.push_back(std::move(c));
            }
            if (good) out.certificates = std::move(list);
          },
          {}};
}

FieldSpec<FrontendTlsConfig> alpn_list() {
  return {"array of strings", "1..255-byte protocol names, at least one, in preference order",
          [](const toml::node& node, const std::string& path, FrontendTlsConfig& out, Diagnostics& d) {
            const auto* array = node.as_array();
            if (array == nullptr || array->empty()) {
              return report_type(d, node, path, "a non-empty array of protocol names, like [\"http/1.1\"]");
            }
            std::vector<std::string> names;
            for (const auto& element : *array) {
              const auto* text = element.as_string();
              if (text == nullptr) return report_type(d, element, path, "a string in the array");
              if (text->get().empty() || text->get().size() > 255) {
                d.error(position_of(element), path + ": a protocol name has 1 to 255 bytes");
                return;
              }
              names.push_back(text->get());
            }
            out.alpn = std::move(names);
          },
          {}};
}

template <class T>
FieldSpec<T> path_key(std::string T::*member) {
  return string_as<T, std::string>(member, "string (path)", "an absolute path", convert_absolute_path);
}

TableSchema<FrontendTlsConfig> frontend_tls_schema() {
  TableSchema<FrontendTlsConfig> s("[frontend.tls]", "frontend.tls");
  s.required("certificates", certificate_list())
      .optional("default_certificate", integer_in(&FrontendTlsConfig::default_certificate, 0, 1023))
      .optional("min_version", string_as<FrontendTlsConfig, TlsVersion>(&FrontendTlsConfig::min_version, "string",
                                                                         "\"1.2\", \"1.3\"", convert_min_version))
      .optional("ciphers", string_as<FrontendTlsConfig, std::string>(&FrontendTlsConfig::ciphers, "string",
                                                                     "an OpenSSL cipher list (TLS 1.2)",
                                                                     convert_cipher_list))
      .optional("ciphersuites", string_as<FrontendTlsConfig, std::string>(&FrontendTlsConfig::ciphersuites, "string",
                                                                          "an OpenSSL TLS 1.3 suite list",
                                                                          convert_cipher_list))
      .optional("alpn", alpn_list())
      .optional("session_tickets", boolean(&FrontendTlsConfig::session_tickets))
      .optional("ticket_keys_file", path_key(&FrontendTlsConfig::ticket_keys_file))
      .optional("ocsp_response", path_key(&FrontendTlsConfig::ocsp_response))
      .optional("verify", string_as<FrontendTlsConfig, TlsVerify>(&FrontendTlsConfig::verify, "string",
                                                                   "\"none\", \"optional\", \"required\"",
                                                                   convert_verify))
      .optional("ca_file", path_key(&FrontendTlsConfig::ca_file))
      .optional("crl_file", path_key(&FrontendTlsConfig::crl_file))
      .optional("client_cert_header", string_as<FrontendTlsConfig, std::string>(
                                          &FrontendTlsConfig::client_cert_header, "string", "an HTTP field name",
                                          convert_field_name))
      .optional("timeout_handshake", duration_in(&FrontendTlsConfig::timeout_handshake, ms(1), hours(1)))
      .hint("crt", "dplb calls it 'certificates' (an array of PEM files)")
      .hint("ssl_min_ver", "dplb calls it 'min_version' (\"1.2\" or \"1.3\")")
      .hint("tls_ticket_keys", "dplb calls it 'ticket_keys_file'");
  return s;
}

void check_frontend_tls(const FrontendTlsConfig& t, Diagnostics& d, const SourcePosition& where) {
  const auto at = [&](const char* key) {
    auto it = t.positions.find(key);
    return it != t.positions.end() ? it->second : where;
  };
  if (!t.certificates.empty() && t.default_certificate >= t.certificates.size()) {
    d.error(at("default_certificate"), "frontend.tls.default_certificate: " + std::to_string(t.default_certificate) +
                                           " is not an index of certificates (0.." +
                                           std::to_string(t.certificates.size() - 1) + ")");
  }
  if (t.verify != TlsVerify::none && t.ca_file.empty()) {
    d.error(at("verify"), std::string("frontend.tls.verify: \"") + tls_verify_name(t.verify) +
                              "\" needs ca_file, the CAs client certificates are checked against");
  }
  if (!t.crl_file.empty() && t.verify == TlsVerify::none) {
    d.error(at("crl_file"), "frontend.tls.crl_file: revocation is checked only for client certificates; "
                            "set verify = \"optional\" or \"required\" with ca_file, or remove crl_file");
  }
  if (!t.ticket_keys_file.empty() && !t.session_tickets) {
    d.error(at("ticket_keys_file"), "frontend.tls.ticket_keys_file: session_tickets = false turns tickets off; "
                                    "remove one of the two");
  }
}

TableSchema<ServerTlsConfig> server_tls_schema() {
  TableSchema<ServerTlsConfig> s("[[backend.server]] tls", "backend.server.tls");
  s.optional("enabled", boolean(&ServerTlsConfig::enabled))
      .optional("verify", string_as<ServerTlsConfig, TlsVerify>(&ServerTlsConfig::verify, "string",
                                                                 "\"none\", \"required\"", convert_verify))
      .optional("ca_file", path_key(&ServerTlsConfig::ca_file))
      .optional("sni", string_as<ServerTlsConfig, std::string>(&ServerTlsConfig::sni, "string", "a host name",
                                                               [](const std::string& text, std::string& out) {
                                                                 std::string e = check_sni_name(text);
                                                                 if (e.empty()) out = text;
                                                                 return e;
                                                               }))
      .optional("cert", path_key(&ServerTlsConfig::cert))
      .optional("key", path_key(&ServerTlsConfig::key))
      .optional("check_ssl", boolean(&ServerTlsConfig::check_ssl));
  return s;
}

}  // namespace

FieldSpec<FrontendConfig> frontend_tls_table() {
  TableSchema<FrontendTlsConfig> schema = frontend_tls_schema();
  return {"table", "",
          [schema](const toml::node& node, const std::string& path, FrontendConfig& out, Diagnostics& d) {
            const auto* table = node.as_table();
            if (table == nullptr) return report_type(d, node, path, "a table ([frontend.tls])");
            FrontendTlsConfig tls;
            tls.where = position_of(node);
            const std::size_t errors = d.error_count();
            schema.decode(*table, tls, d);
            if (d.error_count() == errors) check_frontend_tls(tls, d, tls.where);
            out.tls = std::move(tls);
          },
          [schema] { return schema.docs(); }};
}

FieldSpec<ServerConfig> server_tls_table() {
  TableSchema<ServerTlsConfig> schema = server_tls_schema();
  return {"table", "",
          [schema](const toml::node& node, const std::string& path, ServerConfig& out, Diagnostics& d) {
            const auto* table = node.as_table();
            if (table == nullptr) {
              return report_type(d, node, path, "a table, like { enabled = true, ca_file = \"/etc/ssl/ca.pem\" }");
            }
            ServerTlsConfig tls;
            tls.enabled = true;  // writing the table asks for TLS unless it says enabled = false
            tls.check_ssl = true;
            schema.decode(*table, tls, d);
            if (table->contains("enabled") && !table->contains("check_ssl")) tls.check_ssl = tls.enabled;
            if (tls.enabled && tls.verify == TlsVerify::required && tls.ca_file.empty()) {
              d.error(position_of(node), path + ": verify = \"required\" (the default) needs ca_file, the CAs the "
                                                "server's certificate is checked against; or set verify = \"none\"");
            }
            if (tls.verify == TlsVerify::optional) {
              d.error(position_of(node), path + ".verify: a server's certificate is either checked (\"required\") "
                                                "or not (\"none\")");
            }
            if (!tls.key.empty() && tls.cert.empty()) {
              d.error(position_of(node), path + ": key without cert; cert is the client certificate to present");
            }
            out.tls = std::move(tls);
          },
          [schema] { return schema.docs(); }};
}

}  // namespace dplb::conf
