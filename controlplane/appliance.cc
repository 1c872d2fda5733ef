#include "controlplane/appliance.h"

#include <rte_ethdev.h>
#include <rte_cycles.h>
#include <rte_memory.h>
#include <sys/random.h>

#include <memory>

#include "controlplane/appliance_state.h"
#include "controlplane/worker_clock.h"
#include "controlplane/console/command_registry.h"
#include "controlplane/console/console_commands.h"
#include "controlplane/control_loop.h"
#include "controlplane/control_services.h"
#include "controlplane/console/control_socket.h"
#include "controlplane/dpdk_log_bridge.h"
#include "controlplane/xdp_log_bridge.h"
#include "controlplane/console/interactive_console.h"
#include "controlplane/stats/lcore_load.h"
#include "controlplane/logger.h"
#include "controlplane/proxy/proxy_service.h"
#include "controlplane/stats/port_link_status.h"
#include "dataplane/port/eal_arguments.h"
#include "dataplane/port/eal_runtime.h"
#include "dataplane/port/port_setup.h"
#include "dataplane/proxy/proxy_snapshot.h"
#include "dataplane/net/vrrp_link.h"
#include "dataplane/worker/worker_pool.h"

namespace dplb::controlplane {
namespace {

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// Logs link changes and tells VRRP, whose instances go to FAULT while their
// port is down. Polled every 100 ms when VRRP runs (a FAULT is what makes a
// cut master stop claiming the address when its cable returns), else once a
// second.
class LinkWatch {
 public:
  explicit LinkWatch(const dataplane::PortSetup& ports) : ports_(ports), up_(ports.ports.size(), -1) {}

  void poll(VrrpService* vrrp) {
    for (std::size_t i = 0; i < ports_.ports.size(); ++i) {
      const auto& port = ports_.ports[i];
      const PortLinkStatus link = port_link_status(port);
      if (!link.known) continue;
      int up = link.up ? 1 : 0;
      if (up == up_[i]) continue;
      up_[i] = up;
      log(up ? LogLevel::notice : LogLevel::warning, "port '" + port.config.name + "': " + link.text);
      if (vrrp != nullptr) vrrp->on_link(i, link.up);
    }
  }

 private:
  const dataplane::PortSetup& ports_;
  std::vector<int> up_;
};

// The NIC side of VRRP on each port with an instance: the advert group's
// MAC in the device's multicast filter (for net_af_packet / net_af_xdp in the
// kernel interface's list), and with use_vmac the virtual router MAC, which
// a device that cannot take it makes a boot error.
std::string prepare_vrrp_ports(const conf::Config& config, dataplane::PortSetup& ports) {
  std::vector<bool> joined(ports.ports.size(), false);
  for (const conf::VrrpConfig& v : config.vrrp) {
    for (std::size_t i = 0; i < ports.ports.size(); ++i) {
      auto& port = ports.ports[i];
      if (port.config.name != v.port) continue;
      if (!joined[i]) {
        joined[i] = true;
        const dataplane::MulticastJoin join = dataplane::join_multicast(port, dataplane::kVrrpGroupMac);
        log(join.assured ? LogLevel::info : LogLevel::warning, join.note);
      }
      if (v.use_vmac) {
        if (std::string e = dataplane::add_virtual_mac(port, dataplane::vrrp_virtual_mac(v.virtual_router_id), v.name);
            !e.empty()) {
          return e;
        }
      }
    }
  }
  return "";
}

int boot_failure(const std::string& what) {
  log_error(what);
  return 1;
}

dataplane::SipKey random_secret() {
  dataplane::SipKey secret{};
  if (getrandom(&secret, sizeof(secret), 0) != static_cast<ssize_t>(sizeof(secret))) {
    log_warning("getrandom failed; TCP initial sequence numbers and SYN cookies use a clock-derived key");
    secret = {static_cast<uint64_t>(monotonic_ms()) * 0x9e3779b97f4a7c15ull, rte_rdtsc()};
  }
  return secret;
}

// Opens what the running appliance needs, in the order a failure is
// cheapest to undo; the first failure's text, or "".
std::string open_everything(const conf::Config& config, ControlLoop& loop, dataplane::WorkerPool& workers,
                            ControlServices& services, ControlSocket& socket) {
  if (std::string e = loop.open_signals(); !e.empty()) return e;
  if (std::string e = workers.create_channels(); !e.empty()) return e;
  if (std::string e = services.open(monotonic_ms()); !e.empty()) return e;
  if (!config.console.socket.empty()) {
    if (std::string e = socket.open(config.console.socket); !e.empty()) return e;
  }
  return workers.launch();
}

// With the ports up and the workers built: the control thread's services,
// console and socket, until a signal or `quit`. Stops the workers before
// the services they point into go away.
int serve(const conf::Config& config, const BootOptions& options, const dataplane::PortSetup& ports,
          const dataplane::RouteTable& routes, dataplane::WorkerPool& workers, ProxyService& proxy) {
  LcoreLoad load;
  LinkWatch links(ports);
  bool stop_requested = false;
  ControlLoop* running_loop = nullptr;
  auto request_stop = [&] {
    stop_requested = true;
    if (running_loop != nullptr) running_loop->request_stop();
  };
  ApplianceState state{config, ports, workers, routes, load, request_stop};
  CommandRegistry registry;
  register_console_commands(registry, state);
  ControlServices services(config, ports, routes, workers, proxy);
  services.register_commands(registry);
  ControlSocket socket(registry);
  std::unique_ptr<InteractiveConsole> console;
  if (options.interactive) {
    console = std::make_unique<InteractiveConsole>(registry, config.console.prompt, request_stop);
  }
  std::vector<const dataplane::LcoreCounters*> lcore_counters;
  for (std::size_t w = 0; w < workers.size(); ++w) lcore_counters.push_back(&workers.counters(w).lcore);
  int64_t next_second = 0;
  int64_t next_link_poll = 0;
  ControlLoop loop(config.console.socket.empty() ? nullptr : &socket, console.get(), [&](int64_t now_ms) {
    services.take_events(now_ms);
    services.tick(now_ms);
    if (now_ms >= next_link_poll) {
      links.poll(&services.vrrp());
      next_link_poll = now_ms + (services.vrrp().empty() ? 1000 : 100);
    }
    if (now_ms >= next_second) {
      load.sample(lcore_counters);
      next_second = now_ms + 1000;
    }
  });
  running_loop = &loop;
  loop.on_hangup([&] { services.reload_tls(); });

  int status = 0;
  if (std::string e = open_everything(config, loop, workers, services, socket); !e.empty()) {
    status = boot_failure(e);
  } else {
    links.poll(&services.vrrp());
    services.start(monotonic_ms());
    log_notice("dplb running: " + std::to_string(ports.ports.size()) + " port(s), " +
               std::to_string(workers.size()) + " worker(s)" +
               (config.console.socket.empty() ? "" : ", control socket " + config.console.socket));
    if (console && !console->open()) {
      status = boot_failure("cannot open the interactive console on the terminal");
    } else if (!stop_requested && !loop.run()) {
      status = 1;
    }
    if (console) console->close();
    // Priority 0 from every MASTER, so the backups take over after their
    // skew time; the workers still run and send it.
    if (!services.vrrp().empty()) {
      services.vrrp().shutdown();
      rte_delay_us_sleep(50'000);
    }
  }
  socket.close();
  workers.stop_and_wait();
  return status;
}

// After EAL: ports, routes and VRRP's NIC side, then the workers and serve().
int run_on_ports(const conf::Config& config, const BootOptions& options) {
  dataplane::PortSetup ports = dataplane::setup_ports(config);
  for (const auto& note : ports.notes) log_info(note);
  for (const auto& warning : ports.warnings) log_warning(warning);
  dataplane::RouteTable routes;
  std::string error = ports.error;
  if (error.empty()) error = routes.build(config, SOCKET_ID_ANY);
  if (error.empty()) error = prepare_vrrp_ports(config, ports);
  if (!error.empty()) {
    log_error(error);
    for (const auto& warning : dataplane::stop_ports(ports)) log_warning(warning);
    return 1;
  }
  // Declared before the pool so that the snapshots outlive every worker reading them.
  ProxyService proxy(config, dataplane::build_proxy_snapshot(
                                 config, 1, static_cast<uint32_t>(config.dataplane.workers.size()), nullptr,
                                 worker_to_wall_offset_us()));
  dataplane::WorkerPool workers(config, ports.ports, ports.pools, &routes, random_secret(), proxy.current());
  proxy.attach(workers);
  const int status = serve(config, options, ports, routes, workers, proxy);
  for (const auto& warning : dataplane::stop_ports(ports)) log_warning(warning);
  return status;
}

}  // namespace

int run_appliance(const conf::Config& config, const BootOptions& options) {
  std::vector<std::string> eal_argv = dataplane::build_eal_arguments(options.program, config, options.eal_overrides);
  if (std::string problem = dataplane::check_eal_preconditions(config, eal_argv); !problem.empty()) {
    return boot_failure(problem);
  }
  if (!config.console.socket.empty()) {
    if (std::string problem = ControlSocket::check_available(config.console.socket); !problem.empty()) {
      return boot_failure(problem);
    }
  }
  log_info("EAL arguments: " + joined(eal_argv));
  block_stop_signals();
  route_dpdk_log_to_logger();
  route_xdp_libraries_log_to_logger();
  std::string error;
  if (!dataplane::init_eal(eal_argv, &error)) return boot_failure(error);
  const int status = run_on_ports(config, options);
  dataplane::cleanup_eal();
  log_notice(status == 0 ? "dplb stopped" : "dplb stopped after an error");
  return status;
}

}  // namespace dplb::controlplane
