// dplb: kernel-bypass HTTP load balancer. This file only dispatches the
// command line; see docs/architecture.md for how the pieces fit.

#ifndef DPLB_NO_MIMALLOC_OVERRIDE
// Every control-plane new/delete goes to mimalloc; packet memory is DPDK's.
#include <mimalloc-new-delete.h>
#endif

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "conf/config_loader.h"
#include "controlplane/appliance.h"
#include "controlplane/console/command_line.h"
#include "controlplane/console/ctl_client.h"
#include "controlplane/logger.h"
#include "controlplane/tls/tls_context_builder.h"

namespace {

using dplb::controlplane::CommandLine;

std::optional<dplb::conf::Config> load_or_report(const std::string& path) {
  auto result = dplb::conf::load_config_file(path);
  for (const auto& line : result.diagnostics.formatted()) std::fprintf(stderr, "%s\n", line.c_str());
  return result.config;
}

// Every certificate, key, CA, OCSP and ticket key file the configuration
// names, read and checked as boot will (and the contexts built once, so a
// cipher list OpenSSL cannot use is found too). Prints "warning: ..." and
// "error: ..." lines; false when there is an error.
bool check_tls_files(const dplb::conf::Config& config) {
  dplb::controlplane::tls::TlsMaterial material;
  std::string errors = dplb::controlplane::tls::load_tls_material(config, std::time(nullptr), &material);
  for (const std::string& w : material.warnings) std::fprintf(stderr, "%s: warning: %s\n", config.file.c_str(), w.c_str());
  if (errors.empty()) {
    std::unique_ptr<const dplb::dataplane::TlsContextSnapshot> contexts;
    errors = dplb::controlplane::tls::build_tls_contexts(config, material, 1, 1, &contexts);
  }
  std::size_t start = 0;
  while (start < errors.size()) {
    const std::size_t end = std::min(errors.find('\n', start), errors.size());
    std::fprintf(stderr, "%s: %s\n", config.file.c_str(), errors.substr(start, end - start).c_str());
    start = end + 1;
  }
  return errors.empty();
}

int run_ctl(const CommandLine& cl) {
  std::string socket = cl.socket_path;
  if (socket.empty() && !cl.config_path.empty()) {
    auto config = load_or_report(cl.config_path);
    if (!config) return 2;
    socket = config->console.socket;
    if (socket.empty()) {
      std::fprintf(stderr, "dplb ctl: %s sets console.socket = \"\": that instance has no control socket\n",
                   cl.config_path.c_str());
      return 2;
    }
  }
  if (socket.empty()) socket = dplb::controlplane::kDefaultSocket;
  return dplb::controlplane::run_ctl(socket, cl.ctl_words);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  CommandLine cl = dplb::controlplane::parse_command_line(args);
  if (!cl.error.empty()) {
    std::fprintf(stderr, "dplb: %s\n%s", cl.error.c_str(), dplb::controlplane::usage_text().c_str());
    return 2;
  }
  switch (cl.mode) {
    case CommandLine::Mode::help:
      std::fputs(dplb::controlplane::usage_text().c_str(), stdout);
      return 0;
    case CommandLine::Mode::version:
      std::printf("dplb %s\n", DPLB_VERSION);
      return 0;
    case CommandLine::Mode::ctl:
      return run_ctl(cl);
    case CommandLine::Mode::check: {
      auto config = load_or_report(cl.config_path);
      if (!config) return 1;
      if (!check_tls_files(*config)) return 1;
      std::printf("configuration is valid\n");
      return 0;
    }
    case CommandLine::Mode::run:
      break;
  }
  auto config = load_or_report(cl.config_path);
  if (!config) return 1;
  // Nothing starts half-configured: a bad certificate stops the boot here.
  if (!check_tls_files(*config)) return 1;
  if (std::string e = dplb::controlplane::log_open(config->log.level, config->log.file); !e.empty()) {
    std::fprintf(stderr, "dplb: %s\n", e.c_str());
    return 1;
  }
  dplb::controlplane::BootOptions options{args[0], cl.interactive, cl.eal_args};
  int status = dplb::controlplane::run_appliance(*config, options);
  dplb::controlplane::log_close();
  return status;
}
