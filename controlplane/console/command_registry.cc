#include "controlplane/console/command_registry.h"

#include <algorithm>
#include <exception>
#include <optional>

#include "conf/did_you_mean.h"

namespace dplb::controlplane {
namespace {

std::string join(const std::vector<std::string>& words, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < words.size(); ++i) out += (i ? " " : "") + words[i];
  return out;
}

std::string full_usage(const CommandSpec& spec) {
  std::string usage = join(spec.words, spec.words.size());
  if (!spec.usage.empty()) usage += " " + spec.usage;
  return usage;
}

}  // namespace

void CommandRegistry::add(CommandSpec spec) { commands_.push_back(std::move(spec)); }

bool CommandRegistry::tokenize(std::string_view line, CommandArgs* words, std::string* error) {
  words->clear();
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) ++i;
    if (i == line.size()) break;
    std::string word;
    bool quoted = false;
    while (i < line.size()) {
      char c = line[i];
      if (!quoted && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) break;
      if (c == '"') {
        quoted = !quoted;
        ++i;
        continue;
      }
      if (c == '\\' && i + 1 < line.size()) {
        word.push_back(line[i + 1]);
        i += 2;
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        static constexpr char kHex[] = "0123456789abcdef";
        const auto byte = static_cast<unsigned char>(c);
        *error = std::string("control character 0x") + kHex[byte >> 4] + kHex[byte & 15] + " at column " +
                 std::to_string(i + 1);
        return false;
      }
      word.push_back(c);
      ++i;
    }
    if (quoted) {
      *error = "unterminated quote";
      return false;
    }
    words->push_back(std::move(word));
  }
  return true;
}

const CommandSpec* CommandRegistry::match(const CommandArgs& words) const {
  const CommandSpec* best = nullptr;
  for (const auto& spec : commands_) {
    if (spec.words.size() > words.size()) continue;
    if (!std::equal(spec.words.begin(), spec.words.end(), words.begin())) continue;
    if (best == nullptr || spec.words.size() > best->words.size()) best = &spec;
  }
  return best;
}

std::string CommandRegistry::suggestions(const CommandArgs& words) const {
  std::vector<std::string> close;
  // Commands that continue what was typed ("show" -> "show ports").
  for (const auto& spec : commands_) {
    if (spec.words.size() > words.size() && std::equal(words.begin(), words.end(), spec.words.begin())) {
      close.push_back(join(spec.words, spec.words.size()));
    }
  }
  // Then typos, compared over as many words as each command has.
  for (const auto& spec : commands_) {
    std::string typed = join(words, spec.words.size());
    std::string name = join(spec.words, spec.words.size());
    auto m = conf::close_matches(typed, {name}, 1);
    if (!m.empty() && std::find(close.begin(), close.end(), name) == close.end()) close.push_back(name);
  }
  if (close.empty()) return "; type 'help' for the list of commands";
  std::string out = "; did you mean: ";
  for (std::size_t i = 0; i < close.size() && i < 5; ++i) out += (i ? ", " : "") + close[i];
  return out;
}

CommandReply CommandRegistry::execute(std::string_view line) const {
  std::optional<CommandReply> result;
  execute_async(line, [&result](CommandReply reply) { result = std::move(reply); });
  if (!result) {
    CommandReply pending;
    pending.fail("this command runs in the background; use the console or dplb ctl");
    return pending;
  }
  return *result;
}

void CommandRegistry::execute_async(std::string_view line, CommandDone done) const {
  CommandReply reply;
  CommandArgs words;
  std::string error;
  if (!tokenize(line, &words, &error)) {
    reply.fail(error);
    return done(std::move(reply));
  }
  if (words.empty()) return done(std::move(reply));
  const CommandSpec* spec = match(words);
  if (spec == nullptr) {
    bool prefix_of_some = false;
    for (const auto& candidate : commands_) {
      prefix_of_some |= candidate.words.size() > words.size() &&
                        std::equal(words.begin(), words.end(), candidate.words.begin());
    }
    reply.fail(std::string(prefix_of_some ? "incomplete" : "unknown") + " command '" + join(words, words.size()) +
               "'" + suggestions(words));
    return done(std::move(reply));
  }
  CommandArgs args(words.begin() + static_cast<std::ptrdiff_t>(spec->words.size()), words.end());
  if (args.size() < spec->min_args || args.size() > spec->max_args) {
    reply.fail("wrong number of arguments; usage: " + full_usage(*spec));
    return done(std::move(reply));
  }
  try {
    if (spec->run_async) return spec->run_async(args, done);
    spec->run(args, reply);
  } catch (const std::exception& e) {
    reply = CommandReply{};
    reply.fail(std::string("command failed: ") + e.what());
  }
  done(std::move(reply));
}

std::string CommandRegistry::help_text(const CommandArgs& filter) const {
  std::vector<const CommandSpec*> shown;
  for (const auto& spec : commands_) {
    if (filter.size() <= spec.words.size() && std::equal(filter.begin(), filter.end(), spec.words.begin())) {
      shown.push_back(&spec);
    }
  }
  std::size_t width = 0;
  for (const auto* spec : shown) width = std::max(width, full_usage(*spec).size());
  std::string out;
  for (const auto* spec : shown) {
    std::string usage = full_usage(*spec);
    out += usage + std::string(width - usage.size() + 2, ' ') + spec->help + "\n";
  }
  return out;
}

std::vector<std::string> CommandRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& spec : commands_) out.push_back(join(spec.words, spec.words.size()));
  return out;
}

}  // namespace dplb::controlplane
