#include "controlplane/vrrp/vrrp_report.h"

#include <gtest/gtest.h>

#include <string>

namespace dplb::controlplane {
namespace {

conf::VrrpConfig reference_instance() {
  conf::VrrpConfig c;
  c.name = "VI_1";
  c.port = "front";
  c.virtual_router_id = 101;
  c.priority = 50;
  c.version = 2;
  c.virtual_addresses.push_back(conf::Ipv4Prefix{conf::Ipv4Address{0x0a63010a}, 24});
  return c;
}

TEST(VrrpReport, BackupListeningToTheMaster) {
  const conf::VrrpConfig c = reference_instance();
  vrrp::VrrpCounters counters;
  counters.adverts_received = 12;
  counters.transitions = 1;
  counters.count_drop(vrrp::VrrpDrop::auth_mismatch);
  counters.count_drop(vrrp::VrrpDrop::auth_mismatch);
  VrrpInstanceView view;
  view.config = &c;
  view.port_name = "front";
  view.mac = {0x02, 0x99, 0x01, 0x00, 0x02, 0x01};
  view.status.state = vrrp::VrrpState::backup;
  view.status.base_priority = 50;
  view.status.effective_priority = 50;
  view.status.master_address = 0x0a630102;
  view.status.master_priority = 101;
  view.status.advert_interval_cs = 100;
  view.status.master_down_interval_us = 3'804'687;
  view.status.master_down_remaining_us = 2'500'000;
  view.status.last_reason = vrrp::VrrpReason::startup;
  view.status.last_transition_us = 1'000'000;
  view.now_us = 13'500'000;
  view.counters = &counters;
  EXPECT_EQ(format_vrrp_instance(view),
            "VI_1: state BACKUP for 12.50 s (startup), port front, vrid 101, version 2, link up\n"
            "  priority 50, effective 50; preempt on\n"
            "  master 10.99.1.2, priority 101; advert interval 1.00 s, master down interval 3.80 s, "
            "master down timer 2.50 s left\n"
            "  virtual addresses 10.99.1.10/24 not owned, mac 02:99:01:00:02:01\n"
            "  adverts sent 0, received 12; priority 0 sent 0, received 0; became master 0, transitions 1, "
            "gratuitous ARP rounds 0\n"
            "  drops: auth-mismatch 2\n");
}

TEST(VrrpReport, MasterWithTrackingAndADelay) {
  conf::VrrpConfig c = reference_instance();
  c.use_vmac = true;
  c.preempt_delay = conf::Duration{30'000'000};
  c.track_backends.push_back(conf::VrrpTrackBackend{"web_servers", -60, {}, {}});
  VrrpInstanceView view;
  view.config = &c;
  view.port_name = "front";
  view.mac = {0x00, 0x00, 0x5e, 0x00, 0x01, 0x65};
  view.status.state = vrrp::VrrpState::master;
  view.status.base_priority = 101;
  view.status.effective_priority = 41;
  view.status.master_address = 0x0a630102;
  view.status.advert_interval_cs = 100;
  view.owns = true;
  view.tracked_down = "web_servers";
  const std::string text = format_vrrp_instance(view);
  EXPECT_EQ(text.substr(0, text.find('\n')), "VI_1: state MASTER, port front, vrid 101, version 2, link up");
  EXPECT_NE(text.find("  priority 101, effective 41; preempt on, delay 30.00 s\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  master 10.99.1.2 (this box); "), std::string::npos) << text;
  EXPECT_NE(text.find("master down timer off\n"), std::string::npos) << text;
  EXPECT_NE(text.find("owned by this box, mac 00:00:5e:00:01:65 (virtual router MAC)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  tracked backends without a server: web_servers\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("drops:"), std::string::npos) << "no counters given, no counter lines";
}

TEST(VrrpReport, PortDrops) {
  std::array<uint64_t, vrrp::kVrrpDropCount> drops{};
  EXPECT_EQ(format_vrrp_port_drops("front", 0, drops),
            "port front: 0 VRRP frames received; dropped before an instance: none\n");
  drops[static_cast<std::size_t>(vrrp::VrrpDrop::ttl_not_255)] = 3;
  drops[static_cast<std::size_t>(vrrp::VrrpDrop::vrid_unknown)] = 7;
  EXPECT_EQ(format_vrrp_port_drops("front", 10, drops),
            "port front: 10 VRRP frames received; dropped before an instance: ttl-not-255 3, vrid-unknown 7\n");
}

}  // namespace
}  // namespace dplb::controlplane
