#include "controlplane/appliance.h"

#include <rte_ethdev.h>
#include <rte_cycles.h>
#include <rte_memory.h>
#include <sys/random.h>

#include <memory>

#include "controlplane/proxy/access_log_writer.h"
#include "controlplane/appliance_state.h"
#include "controlplane/console/command_registry.h"
#include "controlplane/health/health_service.h"
#include "controlplane/console/console_commands.h"
#include "controlplane/control_loop.h"
#include "controlplane/console/control_socket.h"
#include "controlplane/dpdk_log_bridge.h"
#include "controlplane/console/interactive_console.h"
#include "controlplane/stats/lcore_load.h"
#include "controlplane/logger.h"
#include "controlplane/neighbour/neighbour_service.h"
#include "controlplane/neighbour/ping_service.h"
#include "controlplane/proxy/proxy_service.h"
#include "controlplane/tcp/tcp_service.h"
#include "controlplane/stats/port_link_status.h"
#include "controlplane/vrrp/vrrp_service.h"
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
// MAC in the device's multicast filter (a veth under net_af_packet delivers
// it anyway: only logged), and with use_vmac the virtual router MAC, which
// a device that cannot take it makes a boot error.
std::string prepare_vrrp_ports(const conf::Config& config, const dataplane::PortSetup& ports) {
  std::vector<bool> joined(ports.ports.size(), false);
  for (const conf::VrrpConfig& v : config.vrrp) {
    for (std::size_t i = 0; i < ports.ports.size(); ++i) {
      const auto& port = ports.ports[i];
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
  std::string error;
  if (!dataplane::init_eal(eal_argv, &error)) return boot_failure(error);

  int status = 0;
  {
    dataplane::PortSetup ports = dataplane::setup_ports(config);
    for (const auto& note : ports.notes) log_info(note);
    if (!ports.error.empty()) {
      log_error(ports.error);
      dataplane::stop_ports(ports);
      dataplane::cleanup_eal();
      return 1;
    }
    dataplane::RouteTable routes;
    if (std::string e = routes.build(config, SOCKET_ID_ANY); !e.empty()) {
      log_error(e);
      dataplane::stop_ports(ports);
      dataplane::cleanup_eal();
      return 1;
    }
    if (std::string e = prepare_vrrp_ports(config, ports); !e.empty()) {
      log_error(e);
      dataplane::stop_ports(ports);
      dataplane::cleanup_eal();
      return 1;
    }
    dataplane::SipKey secret{};
    if (getrandom(&secret, sizeof(secret), 0) != static_cast<ssize_t>(sizeof(secret))) {
      log_warning("getrandom failed; TCP initial sequence numbers and SYN cookies use a clock-derived key");
      secret = {static_cast<uint64_t>(monotonic_ms()) * 0x9e3779b97f4a7c15ull, rte_rdtsc()};
    }
    // Declared before the pool so that the snapshots outlive every worker reading them.
    ProxyService proxy(config, dataplane::build_proxy_snapshot(
                                   config, 1, static_cast<uint32_t>(config.dataplane.workers.size())));
    dataplane::WorkerPool workers(config, ports.ports, ports.pools, &routes, secret, proxy.current());
    proxy.attach(workers);
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
    NeighbourService neighbours(config, ports, workers);
    neighbours.register_commands(registry);
    PingService pings(config, routes, neighbours, workers);
    pings.register_commands(registry);
    TcpService tcp(config, routes, workers);
    tcp.register_commands(registry);
    proxy.register_commands(registry);
    HealthService health(config, workers, proxy, monotonic_ms());
    health.register_commands(registry);
    AccessLogWriter access_log(config, workers);
    access_log.register_commands(registry);
    VrrpService vrrp(config, ports.ports, routes, workers, proxy);
    vrrp.register_commands(registry);
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
      // Worker events, by kind, then the services' own timers.
      dataplane::ControlEvent events[64];
      for (std::size_t w = 0; w < workers.size(); ++w) {
        unsigned n;
        while ((n = workers.channel(w).take_events(events, 64)) > 0) {
          for (unsigned i = 0; i < n; ++i) {
            switch (events[i].kind) {
              case dataplane::ControlEvent::Kind::neighbour_seen: neighbours.learn(events[i], now_ms); break;
              case dataplane::ControlEvent::Kind::echo_reply: pings.on_reply(events[i]); break;
              case dataplane::ControlEvent::Kind::resolve_request:
                neighbours.resolve_requested(events[i], now_ms);
                break;
              case dataplane::ControlEvent::Kind::tcp_snapshot_done: tcp.on_snapshot_done(w, events[i]); break;
              case dataplane::ControlEvent::Kind::proxy_adopted: proxy.on_adopted(w, events[i]); break;
              case dataplane::ControlEvent::Kind::proxy_sessions_done: proxy.on_sessions_done(w, events[i]); break;
              case dataplane::ControlEvent::Kind::health_result: health.on_result(w, events[i], now_ms); break;
              case dataplane::ControlEvent::Kind::vrrp_frame: vrrp.on_frame(events[i]); break;
            }
          }
        }
      }
      neighbours.tick(now_ms);
      pings.tick(now_ms);
      tcp.tick(now_ms);
      proxy.tick(now_ms);
      health.tick(now_ms);
      vrrp.tick();
      access_log.tick(*proxy.current());
      if (now_ms >= next_link_poll) {
        links.poll(&vrrp);
        next_link_poll = now_ms + (vrrp.empty() ? 1000 : 100);
      }
      if (now_ms >= next_second) {
        load.sample(lcore_counters);
        next_second = now_ms + 1000;
      }
    });
    running_loop = &loop;

    if (std::string e = loop.open_signals(); !e.empty()) {
      status = boot_failure(e);
    } else if (std::string e = workers.create_channels(); !e.empty()) {
      status = boot_failure(e);
    } else if (std::string e = access_log.open(); !e.empty()) {
      status = boot_failure(e);
    } else if (std::string e = vrrp.open(); !e.empty()) {
      status = boot_failure(e);
    } else if (std::string e = neighbours.start(monotonic_ms()); !e.empty()) {
      status = boot_failure(e);
    } else if (std::string e = config.console.socket.empty() ? "" : socket.open(config.console.socket); !e.empty()) {
      status = boot_failure(e);
    } else if (std::string e = workers.launch(); !e.empty()) {
      status = boot_failure(e);
    } else {
      links.poll(&vrrp);
      health.start(monotonic_ms());
      vrrp.start();
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
      if (!vrrp.empty()) {
        vrrp.shutdown();
        rte_delay_us_sleep(50'000);
      }
    }
    socket.close();
    workers.stop_and_wait();
    dataplane::stop_ports(ports);
  }
  dataplane::cleanup_eal();
  log_notice(status == 0 ? "dplb stopped" : "dplb stopped after an error");
  return status;
}

}  // namespace dplb::controlplane
