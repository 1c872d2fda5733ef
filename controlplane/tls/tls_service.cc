#include "controlplane/tls/tls_service.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "conf/proxy_values.h"
#include "controlplane/control_loop.h"
#include "controlplane/logger.h"
#include "dataplane/proxy/proxy_counters.h"

namespace dplb::controlplane {
namespace {

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : separator) + s;
  return out;
}

std::string tls_binds(const conf::FrontendConfig& f) {
  std::vector<std::string> binds;
  for (std::size_t b = 0; b < f.bind.size(); ++b) {
    if (b < f.bind_tls.size() && f.bind_tls[b]) binds.push_back(conf::format_endpoint(f.bind[b]));
  }
  return join(binds, ", ");
}

}  // namespace

TlsService::TlsService(const conf::Config& config, dataplane::WorkerPool& workers)
    : config_(config), workers_(workers) {
  any_tls_ = std::any_of(config.frontends.begin(), config.frontends.end(), [](const auto& f) { return f.tls.has_value(); });
  for (const auto& b : config.backends) {
    any_tls_ = any_tls_ || std::any_of(b.servers.begin(), b.servers.end(), [](const auto& s) { return s.tls.enabled; });
  }
  sources_.resize(config.frontends.size());
  for (std::size_t i = 0; i < config.frontends.size(); ++i) {
    if (!config.frontends[i].tls) continue;
    for (const auto& c : config.frontends[i].tls->certificates) sources_[i].push_back(c.cert);
  }
}

std::string TlsService::load(int64_t wall_seconds, int64_t now_ms) {
  next_rotation_ms_ = now_ms + kTicketRotationMs;
  if (!any_tls_) return "";
  tls::TlsMaterial material;
  if (std::string e = tls::load_tls_material(config_, wall_seconds, &material); !e.empty()) return e;
  for (const std::string& w : material.warnings) log_warning(w);
  std::unique_ptr<const dataplane::TlsContextSnapshot> first;
  if (std::string e = tls::build_tls_contexts(config_, material, 1, static_cast<uint32_t>(workers_.size()), &first);
      !e.empty()) {
    return e;
  }
  material_ = std::move(material);
  history_ = std::make_unique<VersionedHistory<dataplane::TlsContextSnapshot>>(std::move(first), workers_.size());
  posted_.assign(workers_.size(), 0);
  return "";
}

void TlsService::start() { post_pending(); }

void TlsService::post_pending() {
  if (!history_) return;
  const uint64_t version = history_->current_version();
  dataplane::ControlCommand c;
  c.kind = dataplane::ControlCommand::Kind::tls_contexts;
  c.buffer = const_cast<dataplane::TlsContextSnapshot*>(&history_->current());
  c.service_bytes = version;
  for (std::size_t w = 0; w < workers_.size() && w < posted_.size(); ++w) {
    if (posted_[w] >= version) continue;
    // A full ring leaves posted_[w] behind; the next tick tries again.
    if (workers_.channel(w).post_command(c)) posted_[w] = version;
  }
}

void TlsService::on_adopted(std::size_t worker, const dataplane::ControlEvent& event) {
  if (history_) history_->adopted(worker, event.count);
}

void TlsService::tick(int64_t now_ms) {
  post_pending();
  if (!history_ || now_ms < next_rotation_ms_) return;
  next_rotation_ms_ = now_ms + kTicketRotationMs;
  // Only random keys rotate by themselves; a key file is the operator's to rotate.
  tls::TlsMaterial next = material_;
  bool rotated = false;
  for (std::size_t i = 0; i < next.frontends.size(); ++i) {
    if (next.frontends[i] == nullptr || !next.frontends[i]->random_tickets) continue;
    auto copy = std::make_shared<tls::FrontendTlsMaterial>(*next.frontends[i]);
    tls::reload_ticket_keys(*config_.frontends[i].tls, *next.frontends[i], &copy->tickets);
    next.frontends[i] = std::move(copy);
    rotated = true;
  }
  if (!rotated) return;
  if (std::string e = publish(std::move(next)); !e.empty()) {
    log_error("TLS ticket key rotation: " + e);
  } else {
    log_info("TLS ticket keys rotated (version " + std::to_string(version()) + ")");
  }
}

std::string TlsService::publish(tls::TlsMaterial material) {
  std::unique_ptr<const dataplane::TlsContextSnapshot> next;
  if (std::string e = tls::build_tls_contexts(config_, material, history_->current_version() + 1,
                                              static_cast<uint32_t>(workers_.size()), &next);
      !e.empty()) {
    return e;
  }
  material_ = std::move(material);
  history_->publish(std::move(next));
  post_pending();
  return "";
}

std::string TlsService::reload(int64_t wall_seconds) {
  if (!history_) return "no frontend has TLS";
  tls::TlsMaterial material;
  if (std::string e = tls::load_tls_material(config_, wall_seconds, &material); !e.empty()) return e;
  for (const std::string& w : material.warnings) log_warning(w);
  // Random ticket keys are kept across a reload: clients keep resuming.
  for (std::size_t i = 0; i < material.frontends.size(); ++i) {
    if (material.frontends[i] == nullptr || !material.frontends[i]->random_tickets) continue;
    auto copy = std::make_shared<tls::FrontendTlsMaterial>(*material.frontends[i]);
    copy->tickets = material_.frontends[i]->tickets;
    material.frontends[i] = std::move(copy);
  }
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    if (config_.frontends[i].tls) {
      for (std::size_t c = 0; c < sources_[i].size(); ++c) sources_[i][c] = config_.frontends[i].tls->certificates[c].cert;
    }
  }
  return publish(std::move(material));
}

std::string TlsService::update_certificate(const std::string& name, const std::string& file, int64_t wall_seconds) {
  if (!history_) return "no frontend has TLS";
  tls::CertificateLoad load = tls::load_certificate(file, "", wall_seconds);
  if (load.certificate == nullptr) return join(load.errors, "; ");
  for (const std::string& w : load.warnings) log_warning(w);
  std::shared_ptr<const tls::LoadedCertificate> certificate(std::move(load.certificate));
  tls::TlsMaterial next = material_;
  bool found = false;
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    for (std::size_t c = 0; c < sources_[i].size(); ++c) {
      if (sources_[i][c] != name && config_.frontends[i].tls->certificates[c].cert != name) continue;
      auto copy = std::make_shared<tls::FrontendTlsMaterial>(*next.frontends[i]);
      copy->certificates[c] = certificate;
      const auto& configured = config_.frontends[i].tls->certificates[c].sni;
      copy->names[c] = configured.empty() ? certificate->info.dns_names : configured;
      for (std::string& n : copy->names[c]) {
        for (char& ch : n) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
      }
      copy->ocsp[c].clear();  // a stapled response belongs to the old certificate
      next.frontends[i] = std::move(copy);
      found = true;
    }
  }
  if (!found) return "no certificate '" + name + "' is configured (show tls certs lists them)";
  if (std::string e = publish(std::move(next)); !e.empty()) return e;
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    for (std::size_t c = 0; c < sources_[i].size(); ++c) {
      if (sources_[i][c] == name || config_.frontends[i].tls->certificates[c].cert == name) sources_[i][c] = file;
    }
  }
  log_notice("TLS certificate " + name + " replaced by " + file + " (version " + std::to_string(version()) + ")");
  return "";
}

std::string TlsService::reload_ticket_keys() {
  if (!history_) return "no frontend has TLS";
  tls::TlsMaterial next = material_;
  for (std::size_t i = 0; i < next.frontends.size(); ++i) {
    if (next.frontends[i] == nullptr || next.frontends[i]->random_tickets) continue;
    auto copy = std::make_shared<tls::FrontendTlsMaterial>(*next.frontends[i]);
    if (std::string e = tls::reload_ticket_keys(*config_.frontends[i].tls, *next.frontends[i], &copy->tickets);
        !e.empty()) {
      return "frontend '" + config_.frontends[i].name + "' tls.ticket_keys_file: " + e;
    }
    next.frontends[i] = std::move(copy);
  }
  return publish(std::move(next));
}

std::string TlsService::report_certificates(int64_t wall_seconds) const {
  if (!history_) return "no frontend has TLS\n";
  std::string out;
  for (std::size_t i = 0; i < material_.frontends.size(); ++i) {
    const auto& m = material_.frontends[i];
    if (m == nullptr) continue;
    const conf::FrontendConfig& f = config_.frontends[i];
    for (std::size_t c = 0; c < m->certificates.size(); ++c) {
      const tls::CertificateInfo& info = m->certificates[c]->info;
      const int64_t days = (info.not_after - wall_seconds) / 86400;
      out += "certificate " + sources_[i][c] + (c == f.tls->default_certificate ? " (default)" : "") + "\n";
      out += "  used by     frontend " + f.name + " on " + tls_binds(f) + "\n";
      out += "  subject     " + info.subject + "\n";
      out += "  names       " + join(m->names[c], ", ") + "\n";
      out += "  issuer      " + info.issuer + "\n";
      out += "  not before  " + tls::format_date(info.not_before) + "\n";
      out += "  not after   " + tls::format_date(info.not_after) + " (" + std::to_string(days) + " days left)\n";
      out += "  key         " + info.key_type + " " + std::to_string(info.key_bits) + " bits\n";
      out += "  sha256      " + info.sha256_fingerprint + "\n";
      out += "  chain       " + std::to_string(info.chain_length) + " intermediate(s)\n";
      out += "  ocsp        " + std::string(m->ocsp[c].empty() ? "none" : "stapled") + "\n";
    }
  }
  out += "contexts version " + std::to_string(version()) + ", oldest still read " +
         std::to_string(history_->oldest_needed()) + "\n";
  return out;
}

std::string TlsService::report_counters() const {
  if (!history_) return "no frontend or server has TLS\n";
  std::string out;
  for (std::size_t i = 0; i < config_.frontends.size(); ++i) {
    if (!config_.frontends[i].tls) continue;
    out += "frontend " + config_.frontends[i].name + " (" + tls_binds(config_.frontends[i]) + ")\n";
    out += "  worker  active  full  resumed  failures\n";
    for (std::size_t w = 0; w < workers_.size(); ++w) {
      const dataplane::FrontendCounters& fc = workers_.proxy_counters(w).frontends[i];
      std::string failures;
      for (std::size_t r = 1; r < dataplane::kTlsFailureCount; ++r) {
        const uint64_t n = fc.tls_failures[r].get();
        if (n == 0) continue;
        failures += (failures.empty() ? "" : " ") +
                    std::string(dataplane::tls_failure_name(static_cast<dataplane::TlsFailure>(r))) + "=" +
                    std::to_string(n);
      }
      char line[96];
      std::snprintf(line, sizeof(line), "  %-6zu  %6llu  %4llu  %7llu  ", w,
                    static_cast<unsigned long long>(fc.tls_sessions_current.get()),
                    static_cast<unsigned long long>(fc.tls_handshakes_full.get()),
                    static_cast<unsigned long long>(fc.tls_handshakes_resumed.get()));
      out += line + (failures.empty() ? std::string("-") : failures) + "\n";
    }
  }
  uint64_t suppressed = 0;
  for (std::size_t w = 0; w < workers_.size(); ++w) suppressed += workers_.proxy_counters(w).tls_failure_logs_suppressed.get();
  if (suppressed != 0) {
    out += "handshake failures counted but not logged (over 10 a second per worker): " + std::to_string(suppressed) +
           "\n";
  }
  out += report_server_counters();
  return out;
}

// Connections to TLS servers, summed over the workers: a server's sessions
// are kept per worker, so "resumed" counts reuse within each worker.
std::string TlsService::report_server_counters() const {
  std::string out;
  for (std::size_t b = 0; b < config_.backends.size(); ++b) {
    const conf::BackendConfig& backend = config_.backends[b];
    for (std::size_t s = 0; s < backend.servers.size(); ++s) {
      if (!backend.servers[s].tls.enabled) continue;
      uint64_t full = 0, resumed = 0;
      std::vector<uint64_t> failures(dataplane::kTlsFailureCount, 0);
      for (std::size_t w = 0; w < workers_.size(); ++w) {
        const auto& counters = workers_.proxy_counters(w);
        if (b >= counters.servers.size() || s >= counters.servers[b].size()) continue;
        const dataplane::ServerCounters& sc = counters.servers[b][s];
        full += sc.tls_handshakes_full.get();
        resumed += sc.tls_handshakes_resumed.get();
        for (std::size_t r = 1; r < dataplane::kTlsFailureCount; ++r) failures[r] += sc.tls_failures[r].get();
      }
      std::string reasons;
      for (std::size_t r = 1; r < dataplane::kTlsFailureCount; ++r) {
        if (failures[r] == 0) continue;
        reasons += (reasons.empty() ? "" : " ") +
                   std::string(dataplane::tls_failure_name(static_cast<dataplane::TlsFailure>(r))) + "=" +
                   std::to_string(failures[r]);
      }
      if (out.empty()) out = "servers (connections from dplb)\n  server                     full  resumed  failures\n";
      char line[160];
      std::snprintf(line, sizeof(line), "  %-25s %5llu  %7llu  ", (backend.name + "/" + backend.servers[s].name).c_str(),
                    static_cast<unsigned long long>(full), static_cast<unsigned long long>(resumed));
      out += line + (reasons.empty() ? std::string("-") : reasons) + "\n";
    }
  }
  return out;
}

void TlsService::register_commands(CommandRegistry& registry) {
  registry.add({{"show", "tls", "certs"}, "",
                "per certificate: names, subject, issuer, validity and days left, key, SHA-256, which binds use it",
                0, 0, [this](const CommandArgs&, CommandReply& r) { r.text += report_certificates(std::time(nullptr)); }});
  registry.add({{"show", "tls"}, "",
                "per TLS frontend and worker: active TLS sessions, full and resumed handshakes, failures by reason; "
                "per TLS server: the same for dplb's connections to it", 0,
                0, [this](const CommandArgs&, CommandReply& r) { r.text += report_counters(); }});
  registry.add({{"tls", "cert", "update"}, "NAME FILE",
                "load FILE (PEM: certificate, chain, key), check it and let new handshakes use it instead of NAME",
                2, 2, [this](const CommandArgs& a, CommandReply& r) {
                  if (std::string e = update_certificate(a[0], a[1], std::time(nullptr)); !e.empty()) {
                    r.fail(e + "; the current certificate stays");
                  } else {
                    r.line("certificate " + a[0] + " now from " + a[1] + " (contexts version " +
                           std::to_string(version()) + ")");
                  }
                }});
  registry.add({{"tls", "ticket-keys", "reload"}, "",
                "read every ticket_keys_file again (random keys are kept)", 0, 0,
                [this](const CommandArgs&, CommandReply& r) {
                  if (std::string e = reload_ticket_keys(); !e.empty()) {
                    r.fail(e + "; the current keys stay");
                  } else {
                    r.line("ticket keys reloaded (contexts version " + std::to_string(version()) + ")");
                  }
                }});
}

}  // namespace dplb::controlplane
