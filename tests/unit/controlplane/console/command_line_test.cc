#include <gtest/gtest.h>

#include "controlplane/console/command_line.h"

namespace dplb::controlplane {
namespace {

using Args = std::vector<std::string>;

TEST(CommandLine, RunCheckAndInteractive) {
  CommandLine run = parse_command_line({"dplb", "-c", "/etc/dplb/dplb.toml"});
  EXPECT_EQ(run.mode, CommandLine::Mode::run);
  EXPECT_EQ(run.config_path, "/etc/dplb/dplb.toml");
  EXPECT_FALSE(run.interactive);
  EXPECT_EQ(parse_command_line({"dplb", "-c", "f", "--check"}).mode, CommandLine::Mode::check);
  EXPECT_TRUE(parse_command_line({"dplb", "-c", "f", "-i"}).interactive);
}

TEST(CommandLine, EalOptionsBeforeTheSeparator) {
  CommandLine cl = parse_command_line({"dplb", "-l", "0,1", "--vdev", "net_null0", "--", "-c", "f", "-i"});
  EXPECT_EQ(cl.eal_args, (Args{"-l", "0,1", "--vdev", "net_null0"}));
  EXPECT_EQ(cl.config_path, "f");
  EXPECT_TRUE(cl.interactive);
}

TEST(CommandLine, Ctl) {
  CommandLine cl = parse_command_line({"dplb", "ctl", "-s", "/tmp/x.sock", "show", "ports"});
  EXPECT_EQ(cl.mode, CommandLine::Mode::ctl);
  EXPECT_EQ(cl.socket_path, "/tmp/x.sock");
  EXPECT_EQ(cl.ctl_words, (Args{"show", "ports"}));
  CommandLine from_config = parse_command_line({"dplb", "ctl", "-c", "f.toml", "help"});
  EXPECT_EQ(from_config.config_path, "f.toml");
  EXPECT_EQ(from_config.ctl_words, Args{"help"});
}

TEST(CommandLine, MistakesAreExplained) {
  EXPECT_EQ(parse_command_line({"dplb"}).error, "no configuration file given (-c FILE)");
  EXPECT_EQ(parse_command_line({"dplb", "-c"}).error, "-c needs a file");
  EXPECT_EQ(parse_command_line({"dplb", "-l", "0", "-c", "f"}).error,
            "unknown option '-l' (EAL options go before '--')");
  EXPECT_EQ(parse_command_line({"dplb", "ctl"}).error, "ctl: no command given (try: dplb ctl help)");
  EXPECT_EQ(parse_command_line({"dplb", "ctl", "-s"}).error, "ctl: -s needs a value");
  EXPECT_EQ(parse_command_line({"dplb", "-c", "f", "--check", "-i"}).error, "--check and -i do not go together");
}

}  // namespace
}  // namespace dplb::controlplane
