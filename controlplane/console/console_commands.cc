#include "controlplane/console/console_commands.h"

#include <cstdio>

#include "conf/config_render.h"
#include "conf/ipv4_address.h"
#include "controlplane/stats/stats_report.h"

namespace dplb::controlplane {

void register_help_command(CommandRegistry& registry) {
  registry.add({{"help"}, "[COMMAND...]", "list commands, or those starting with the given words", 0, 4,
                [&registry](const CommandArgs& args, CommandReply& reply) {
                  std::string text = registry.help_text(args);
                  if (text.empty()) {
                    std::string typed;
                    for (const auto& a : args) typed += (typed.empty() ? "" : " ") + a;
                    return reply.fail("no command starts with '" + typed + "'");
                  }
                  reply.text += text;
                }});
}

void register_console_commands(CommandRegistry& registry, const ApplianceState& state) {
  register_help_command(registry);
  registry.add({{"show", "config"}, "", "the configuration in effect, every default spelled out", 0, 0,
                [&state](const CommandArgs&, CommandReply& reply) { reply.text += conf::render_config(state.config); }});
  registry.add({{"show", "ports"}, "", "link, MAC, address, offloads, rx/tx counters and drops by reason", 0, 0,
                [&state](const CommandArgs&, CommandReply& reply) { reply.text += report_ports(state); }});
  registry.add({{"show", "lcores"}, "", "per-lcore role, busy %, packets per busy second, cycles per packet", 0, 0,
                [&state](const CommandArgs&, CommandReply& reply) { reply.text += report_lcores(state); }});
  registry.add({{"show", "routes"}, "[ADDRESS]", "the route table, or the route an address takes", 0, 1,
                [&state](const CommandArgs& args, CommandReply& reply) {
                  const auto& config = state.config;
                  auto port_name = [&](uint16_t p) { return p < config.ports.size() ? config.ports[p].name : "?"; };
                  if (args.size() == 1) {
                    auto address = conf::parse_ipv4(args[0]);
                    if (!address) return reply.fail("'" + args[0] + "' is not an IPv4 address");
                    auto hop = state.routes.lookup(address->value);
                    if (!hop) return reply.fail("no route to " + args[0]);
                    const bool direct = hop->neighbour == address->value;
                    reply.line(args[0] + (direct ? " is on-link" : " via " + conf::Ipv4Address{hop->neighbour}.to_string()) +
                               " port " + port_name(hop->port));
                    return;
                  }
                  char line[160];
                  std::snprintf(line, sizeof(line), "%-20s %-16s %-10s %-13s %s", "destination", "gateway", "port",
                                "origin", "state");
                  reply.line(line);
                  for (const auto& r : state.routes.routes()) {
                    std::snprintf(line, sizeof(line), "%-20s %-16s %-10s %-13s %s", r.destination.to_string().c_str(),
                                  r.gateway ? conf::Ipv4Address{*r.gateway}.to_string().c_str() : "-",
                                  port_name(r.port).c_str(), dataplane::route_origin_name(r.origin),
                                  r.active ? "active" : "standby");
                    reply.line(line);
                  }
                }});
  registry.add({{"quit"}, "", "stop the appliance (ports stopped, exit 0)", 0, 0,
                [&state](const CommandArgs&, CommandReply& reply) {
                  reply.line("stopping");
                  state.request_stop();
                }});
}

}  // namespace dplb::controlplane
