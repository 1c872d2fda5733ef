#include "controlplane/console_commands.h"

#include "conf/config_render.h"
#include "controlplane/stats_report.h"

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
  registry.add({{"quit"}, "", "stop the appliance (ports stopped, exit 0)", 0, 0,
                [&state](const CommandArgs&, CommandReply& reply) {
                  reply.line("stopping");
                  state.request_stop();
                }});
}

}  // namespace dplb::controlplane
