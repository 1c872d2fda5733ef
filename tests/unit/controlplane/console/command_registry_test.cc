#include <gtest/gtest.h>

#include "controlplane/console/command_registry.h"
#include "controlplane/console/console_commands.h"

namespace dplb::controlplane {
namespace {

class CommandRegistryTest : public testing::Test {
 protected:
  void SetUp() override {
    register_help_command(registry_);
    auto record = [this](const CommandArgs& args, CommandReply& reply) {
      last_args_ = args;
      reply.line("done");
    };
    registry_.add({{"show", "ports"}, "", "ports", 0, 0, record});
    registry_.add({{"show", "lcores"}, "", "lcores", 0, 0, record});
    registry_.add({{"show", "servers"}, "[BACKEND]", "servers", 0, 1, record});
    registry_.add({{"ping"}, "ADDRESS [count N]", "ping", 1, 3, record});
    registry_.add({{"boom"}, "", "throws", 0, 0, [](const CommandArgs&, CommandReply&) {
                     throw std::runtime_error("exploded");
                   }});
  }

  CommandRegistry registry_;
  CommandArgs last_args_;
};

TEST_F(CommandRegistryTest, RunsTheLongestMatchWithItsArguments) {
  CommandReply r = registry_.execute("show servers web_servers");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.text, "done\n");
  EXPECT_EQ(last_args_, CommandArgs{"web_servers"});
}

TEST_F(CommandRegistryTest, WhitespaceAndQuotes) {
  EXPECT_TRUE(registry_.execute("  ping\t10.0.0.1   count  3 \r\n").ok);
  EXPECT_EQ(last_args_, (CommandArgs{"10.0.0.1", "count", "3"}));
  EXPECT_TRUE(registry_.execute("show servers \"web servers\"").ok);
  EXPECT_EQ(last_args_, CommandArgs{"web servers"});
  EXPECT_TRUE(registry_.execute("show servers a\\\"b").ok);
  EXPECT_EQ(last_args_, CommandArgs{"a\"b"});
}

TEST_F(CommandRegistryTest, EmptyLineIsNothing) {
  CommandReply r = registry_.execute("   ");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.text, "");
}

TEST_F(CommandRegistryTest, TypoGetsSuggestions) {
  CommandReply r = registry_.execute("shw ports");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.text, "error: unknown command 'shw ports'; did you mean: show ports\n");
}

TEST_F(CommandRegistryTest, IncompleteCommandListsContinuations) {
  CommandReply r = registry_.execute("show");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.text, "error: incomplete command 'show'; did you mean: show ports, show lcores, show servers\n");
}

TEST_F(CommandRegistryTest, NothingCloseSendsToHelp) {
  EXPECT_EQ(registry_.execute("frobnicate").text,
            "error: unknown command 'frobnicate'; type 'help' for the list of commands\n");
}

TEST_F(CommandRegistryTest, WrongArgumentCountShowsUsage) {
  EXPECT_EQ(registry_.execute("show ports now").text,
            "error: wrong number of arguments; usage: show ports\n");
  EXPECT_EQ(registry_.execute("ping").text, "error: wrong number of arguments; usage: ping ADDRESS [count N]\n");
}

TEST_F(CommandRegistryTest, BadInputIsAnErrorNotACrash) {
  EXPECT_EQ(registry_.execute("show servers \"unterminated").text, "error: unterminated quote\n");
  EXPECT_FALSE(registry_.execute(std::string("show\x01ports")).ok);
  EXPECT_FALSE(registry_.execute(std::string(100000, 'x')).ok);
  EXPECT_EQ(registry_.execute("boom").text, "error: command failed: exploded\n");
}

TEST_F(CommandRegistryTest, HelpListsAndFilters) {
  std::string all = registry_.execute("help").text;
  EXPECT_NE(all.find("ping ADDRESS [count N]"), std::string::npos);
  EXPECT_NE(all.find("show servers [BACKEND]"), std::string::npos);
  std::string show = registry_.execute("help show").text;
  EXPECT_EQ(show.find("ping"), std::string::npos);
  EXPECT_NE(show.find("show lcores"), std::string::npos);
  EXPECT_EQ(registry_.execute("help nothing").text, "error: no command starts with 'nothing'\n");
}

}  // namespace
}  // namespace dplb::controlplane
