#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dplb::controlplane {

struct CommandReply {
  bool ok = true;
  std::string text;

  void line(std::string_view s) {
    text.append(s);
    text.push_back('\n');
  }
  void fail(std::string_view message) {
    ok = false;
    line("error: " + std::string(message));
  }
};

using CommandArgs = std::vector<std::string>;
using CommandDone = std::function<void(CommandReply)>;

struct CommandSpec {
  std::vector<std::string> words;  // the fixed words: {"show", "ports"}
  std::string usage;               // what follows them: "ADDRESS [count N]"
  std::string help;                // one line
  std::size_t min_args = 0;
  std::size_t max_args = 0;
  std::function<void(const CommandArgs&, CommandReply&)> run;
  // Set instead of `run` for commands that take time (ping): the command
  // calls `done` later, from the control loop, and must never block it.
  std::function<void(const CommandArgs&, CommandDone done)> run_async = {};
};

// The one command set behind the interactive console and the control socket.
// A line is split into words (double quotes group, backslash escapes), the
// longest command whose words lead the line wins, the rest are its arguments.
class CommandRegistry {
 public:
  void add(CommandSpec spec);

  // Never throws and never stops the appliance: a bad line is an error reply.
  // `done` is called exactly once, at once for most commands, later for
  // commands that run in the background.
  void execute_async(std::string_view line, CommandDone done) const;

  // For commands that complete at once (tests, scripts of simple commands).
  CommandReply execute(std::string_view line) const;

  // "help" output: every command whose name starts with `filter`.
  std::string help_text(const CommandArgs& filter) const;

  std::vector<std::string> names() const;

  static bool tokenize(std::string_view line, CommandArgs* words, std::string* error);

 private:
  const CommandSpec* match(const CommandArgs& words) const;
  std::string suggestions(const CommandArgs& words) const;

  std::vector<CommandSpec> commands_;
};

}  // namespace dplb::controlplane
