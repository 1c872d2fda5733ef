#include "controlplane/vrrp/vrrp_report.h"

#include <cstdio>

#include "vrrp/vrrp_drop.h"
#include "vrrp/vrrp_state.h"

namespace dplb::controlplane {

namespace {

std::string seconds(int64_t us) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f s", static_cast<double>(us) / 1e6);
  return text;
}

std::string address(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." + std::to_string((a >> 8) & 0xff) +
         "." + std::to_string(a & 0xff);
}

std::string mac_text(const dataplane::MacAddress& m) {
  char text[18];
  std::snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return text;
}

std::string drops_text(const std::array<uint64_t, vrrp::kVrrpDropCount>& drops) {
  std::string text;
  for (std::size_t i = 0; i < drops.size(); ++i) {
    if (drops[i] == 0) continue;
    text += (text.empty() ? "" : ", ") + std::string(vrrp::vrrp_drop_name(static_cast<vrrp::VrrpDrop>(i))) + " " +
            std::to_string(drops[i]);
  }
  return text.empty() ? "none" : text;
}

}  // namespace

std::string format_vrrp_instance(const VrrpInstanceView& v) {
  const conf::VrrpConfig& c = *v.config;
  const vrrp::VrrpStatus& s = v.status;
  std::string out;
  out += c.name + ": state " + vrrp::vrrp_state_name(s.state);
  if (s.last_transition_us >= 0) out += " for " + seconds(v.now_us - s.last_transition_us);
  if (s.last_reason != vrrp::VrrpReason::none) out += std::string(" (") + vrrp::vrrp_reason_name(s.last_reason) + ")";
  out += ", port " + v.port_name + ", vrid " + std::to_string(c.virtual_router_id) + ", version " +
         std::to_string(c.version) + ", link " + (s.link_up ? "up" : "down") + "\n";
  out += "  priority " + std::to_string(s.base_priority) + ", effective " + std::to_string(s.effective_priority) +
         "; preempt " + (c.preempt ? "on" : "off");
  if (c.preempt && c.preempt_delay.microseconds > 0) out += ", delay " + seconds(c.preempt_delay.microseconds);
  if (s.preempt_delay_remaining_us >= 0) out += " (" + seconds(s.preempt_delay_remaining_us) + " left)";
  out += "\n";
  out += "  master ";
  if (s.state == vrrp::VrrpState::master) {
    out += address(s.master_address) + " (this box)";
  } else if (s.master_address != 0) {
    out += address(s.master_address) + ", priority " + std::to_string(s.master_priority);
  } else {
    out += "unknown";
  }
  out += "; advert interval " + seconds(int64_t{s.advert_interval_cs} * 10'000) + ", master down interval " +
         seconds(s.master_down_interval_us) + ", master down timer " +
         (s.master_down_remaining_us >= 0 ? seconds(s.master_down_remaining_us) + " left" : std::string("off")) + "\n";
  out += "  virtual addresses";
  for (const auto& p : c.virtual_addresses) out += " " + p.to_string();
  out += std::string(v.owns ? " owned by this box" : " not owned") + ", mac " + mac_text(v.mac) +
         (c.use_vmac ? " (virtual router MAC)" : "") + "\n";
  if (!c.track_backends.empty()) {
    out += "  tracked backends without a server: " + (v.tracked_down.empty() ? std::string("none") : v.tracked_down) +
           "\n";
  }
  if (v.counters != nullptr) {
    const vrrp::VrrpCounters& n = *v.counters;
    out += "  adverts sent " + std::to_string(n.adverts_sent) + ", received " + std::to_string(n.adverts_received) +
           "; priority 0 sent " + std::to_string(n.priority_zero_sent) + ", received " +
           std::to_string(n.priority_zero_received) + "; became master " + std::to_string(n.became_master) +
           ", transitions " + std::to_string(n.transitions) + ", gratuitous ARP rounds " +
           std::to_string(n.garp_rounds) + "\n";
    out += "  drops: " + drops_text(n.drops) + "\n";
  }
  return out;
}

std::string format_vrrp_port_drops(const std::string& port, uint64_t frames,
                                   const std::array<uint64_t, vrrp::kVrrpDropCount>& drops) {
  return "port " + port + ": " + std::to_string(frames) + " VRRP frames received; dropped before an instance: " +
         drops_text(drops) + "\n";
}

}  // namespace dplb::controlplane
