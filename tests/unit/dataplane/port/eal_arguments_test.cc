#include <gtest/gtest.h>

#include "conf/config_loader.h"
#include "dataplane/port/eal_arguments.h"

namespace dplb::dataplane {
namespace {

conf::Config lab_config(const std::string& extra_dataplane = "") {
  auto result = conf::load_config_text("[dataplane]\nworkers = [2, 1]\ncontrol_lcore = 0\nhugepages = false\n"
                                       "memory_mb = 256\n" + extra_dataplane +
                                           "[[port]]\nname = \"front\"\ndevice = \"net_af_packet0,iface=front,qpairs=2\"\n"
                                           "address = \"10.99.1.2/24\"\n",
                                       "t.toml");
  EXPECT_TRUE(result.config);
  return *result.config;
}

using Args = std::vector<std::string>;

TEST(EalArguments, DerivedFromTheConfiguration) {
  EXPECT_EQ(build_eal_arguments("dplb", lab_config(), {}),
            (Args{"dplb", "-l", "0,1,2", "--main-lcore", "0", "-m", "256", "--no-huge", "--no-shconf", "--vdev",
                  "net_af_packet0,iface=front,qpairs=2", "--no-pci", "--no-telemetry", "--log-level=notice"}));
}

TEST(EalArguments, HugepagesRunInMemoryAndPciDevicesAreAllowListed) {
  auto result = conf::load_config_text(
      "[dataplane]\nworkers = [1]\n[[port]]\nname = \"a\"\ndevice = \"03:00.0\"\naddress = \"192.0.2.1/24\"\n", "t");
  ASSERT_TRUE(result.config);
  EXPECT_EQ(build_eal_arguments("dplb", *result.config, {}),
            (Args{"dplb", "-l", "0,1", "--main-lcore", "0", "-m", "1024", "--in-memory", "-a", "0000:03:00.0",
                  "--no-telemetry", "--log-level=notice"}));
}

TEST(EalArguments, CommandLineReplacesOptionsOfTheSameKind) {
  Args argv = build_eal_arguments("dplb", lab_config(), {"--lcores", "0@0,1@1,2@1", "--log-level=debug", "-m512"});
  EXPECT_EQ(argv, (Args{"dplb", "--main-lcore", "0", "--no-huge", "--no-shconf", "--vdev",
                        "net_af_packet0,iface=front,qpairs=2", "--no-pci", "--no-telemetry", "--lcores", "0@0,1@1,2@1",
                        "--log-level=debug", "-m512"}));
}

TEST(EalArguments, FileEalArgsOverrideDerivedOnesAndCommandLineOverridesBoth) {
  Args argv = build_eal_arguments("dplb", lab_config("eal_args = [\"-n\", \"4\", \"--log-level\", \"info\"]\n"),
                                  {"--log-level", "error"});
  EXPECT_EQ(argv, (Args{"dplb", "-l", "0,1,2", "--main-lcore", "0", "-m", "256", "--no-huge", "--no-shconf",
                        "--vdev", "net_af_packet0,iface=front,qpairs=2", "--no-pci", "--no-telemetry", "-n", "4",
                        "--log-level", "error"}));
}

TEST(EalArguments, DeviceOverrideDropsTheConfiguredDevices) {
  Args argv = build_eal_arguments("dplb", lab_config(), {"--vdev", "net_af_packet0,iface=eth1,qpairs=2"});
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "--vdev"), 1);
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "--no-pci"), 0);
  EXPECT_EQ(argv.back(), "net_af_packet0,iface=eth1,qpairs=2");
}

}  // namespace
}  // namespace dplb::dataplane
