// The console's command line: splitting into words (quotes, escapes) and
// matching a command with its argument counts, on arbitrary lines. A bad
// line is an error reply, never an exception or a crash.
#include <string_view>

#include "controlplane/console/command_registry.h"
#include "controlplane/console/console_commands.h"
#include "tests/fuzz/fuzz_target.h"

using namespace dplb::controlplane;

namespace {
const CommandRegistry& registry() {
  static const CommandRegistry r = [] {
    CommandRegistry out;
    register_help_command(out);
    auto none = [](const CommandArgs&, CommandReply& reply) { reply.line("ok"); };
    out.add({{"show", "servers"}, "[BACKEND]", "servers", 0, 1, none});
    out.add({{"show", "stat"}, "", "stat", 0, 0, none});
    out.add({{"set", "server"}, "BACKEND/SERVER state|weight VALUE", "set", 3, 3, none});
    out.add({{"ping"}, "ADDRESS [count N]", "ping", 1, 3, none});
    return out;
  }();
  return r;
}
}  // namespace

DPLB_FUZZ_TARGET(console_command) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  CommandArgs words;
  std::string error;
  const bool split = CommandRegistry::tokenize(line, &words, &error);
  FUZZ_CHECK(split || !error.empty());
  const CommandReply reply = registry().execute(line);
  FUZZ_CHECK(reply.ok || reply.text.rfind("error: ", 0) == 0);
  return 0;
}
