#include "controlplane/vrrp/vrrp_service.h"

#include <algorithm>
#include <cstring>
#include <ctime>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "controlplane/logger.h"
#include "controlplane/proxy/proxy_service.h"
#include "controlplane/vrrp/vrrp_report.h"
#include "dataplane/net/arp/arp_announcement.h"
#include "dataplane/port/port_setup.h"
#include "dataplane/net/ipv4/route_table.h"
#include "dataplane/net/ipv4/virtual_address_table.h"
#include "dataplane/net/vrrp_link.h"
#include "dataplane/worker/worker_pool.h"
#include "vrrp/vrrp_advert.h"
#include "vrrp/vrrp_settings.h"

namespace dplb::controlplane {

static_assert(conf::kVrrpMaxVirtualAddresses <= vrrp::kVrrpMaxAddresses);
static_assert(conf::kVrrpMaxVirtualAddresses <= dataplane::VirtualAddressTable::kCapacity);

namespace {

// How often track_backends is re-evaluated: the proxy snapshot changes on
// health-check results, which come no faster than every few hundred ms.
constexpr int64_t kTrackPeriodUs = 50'000;

vrrp::VrrpInstanceSettings settings_of(const conf::VrrpConfig& c, uint32_t primary_address) {
  vrrp::VrrpInstanceSettings s;
  s.name = c.name;
  s.vrid = c.virtual_router_id;
  s.priority = c.priority;
  s.version = c.version;
  s.advert_interval_cs = c.advert_int_cs;
  s.preempt = c.preempt;
  s.preempt_delay_us = c.preempt_delay.microseconds;
  s.initial_state = c.state == conf::VrrpState::master ? vrrp::VrrpInitialState::master
                                                       : vrrp::VrrpInitialState::backup;
  s.primary_address = primary_address;
  for (const auto& p : c.virtual_addresses) s.virtual_addresses.push_back(p.address.value);
  if (!c.auth_pass.empty() && c.version == 2) {
    s.auth_pass = true;
    s.auth_data = vrrp::vrrp_auth_pass_bytes(c.auth_pass);
  }
  s.garp_repeat = c.garp_repeat;
  s.garp_delay_us = c.garp_delay.microseconds;
  s.garp_refresh_us = c.garp_refresh.microseconds;
  s.v3_checksum = c.v3_checksum == conf::VrrpV3Checksum::rfc9568 ? vrrp::V3Checksum::message_only
                                                                  : vrrp::V3Checksum::pseudo_header;
  return s;
}

}  // namespace

VrrpService::VrrpService(const conf::Config& config, const std::vector<dataplane::PortRuntime>& ports,
                         const dataplane::RouteTable& routes, dataplane::WorkerPool& workers,
                         const ProxyService& proxy)
    : config_(config), ports_(ports), routes_(routes), workers_(workers), proxy_(proxy),
      port_counters_(ports.size()) {
  for (const conf::VrrpConfig& c : config.vrrp) {
    auto instance = std::make_unique<Instance>();
    instance->config = &c;
    instance->lane = instances_.size();
    for (std::size_t p = 0; p < ports.size(); ++p) {
      if (ports[p].config.name == c.port) instance->port = p;
    }
    const dataplane::PortRuntime& port = ports[instance->port];
    instance->mac = c.use_vmac ? dataplane::vrrp_virtual_mac(c.virtual_router_id) : port.mac;
    instance->machine = std::make_unique<vrrp::VrrpInstance>(settings_of(c, port.config.address.address.value));
    for (const std::string& note : instance->machine->notes()) log_notice("vrrp " + c.name + ": " + note);
    instance->ownership_pending.assign(workers.size(), false);
    instances_.push_back(std::move(instance));
  }
}

VrrpService::~VrrpService() {
  if (pool_ != nullptr) rte_mempool_free(pool_);
}

std::string VrrpService::open() {
  if (instances_.empty()) return "";
  // Adverts, GARP bursts and priority-0 handovers: a few dozen frames in
  // flight at most, returned by the workers once sent.
  pool_ = rte_pktmbuf_pool_create("vrrp_frames", 511, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (pool_ == nullptr) return std::string("cannot create the VRRP frame pool: ") + rte_strerror(rte_errno);
  return "";
}

int64_t VrrpService::now_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

void VrrpService::start() {
  if (instances_.empty()) return;
  started_ = true;
  for (auto& instance : instances_) {
    // Known but not owned: until this box is MASTER, the workers neither
    // answer ARP for the addresses nor accept connections to them.
    for (std::size_t w = 0; w < workers_.size(); ++w) post_ownership(*instance, w);
  }
  const int64_t now = now_us();
  for (auto& instance : instances_) {
    update_tracking(*instance);
    apply_fault(*instance);
    instance->machine->start(now);
    run_actions(*instance);
  }
  next_track_us_ = now + kTrackPeriodUs;
}

void VrrpService::on_frame(const dataplane::ControlEvent& event) {
  rte_mbuf* frame = event.frame;
  if (frame == nullptr) return;
  const std::size_t port = event.port;
  // Adverts are small: one copy out of the mbuf, then it goes back to its
  // worker's pool whatever happens below.
  uint8_t bytes[1536];
  const uint32_t length = std::min<uint32_t>(rte_pktmbuf_pkt_len(frame), sizeof(bytes));
  const uint8_t* data = static_cast<const uint8_t*>(rte_pktmbuf_read(frame, 0, length, bytes));
  if (data != bytes && data != nullptr) std::memcpy(bytes, data, length);
  rte_pktmbuf_free(frame);
  if (data == nullptr || port >= port_counters_.size()) return;
  VrrpPortCounters& counters = port_counters_[port];
  ++counters.frames;
  if (length < vrrp::kEthernetHeaderLength) {
    ++counters.drops[static_cast<std::size_t>(vrrp::VrrpDrop::truncated)];
    return;
  }
  const vrrp::VrrpParseResult parsed =
      vrrp::parse_vrrp_ipv4_packet(bytes + vrrp::kEthernetHeaderLength, length - vrrp::kEthernetHeaderLength);
  if (!parsed.ok) {
    ++counters.drops[static_cast<std::size_t>(parsed.drop)];
    return;
  }
  // By VRID on this port; with one VRID in both versions on a port (a v2/v3
  // migration), the instance of the packet's version.
  Instance* target = nullptr;
  for (auto& instance : instances_) {
    if (instance->port != port || instance->config->virtual_router_id != parsed.packet.advert.vrid) continue;
    if (target == nullptr || instance->config->version == parsed.packet.advert.version) target = instance.get();
  }
  if (target == nullptr) {
    ++counters.drops[static_cast<std::size_t>(vrrp::VrrpDrop::vrid_unknown)];
    return;
  }
  if (!target->config->unicast_peers.empty()) {
    // With unicast peers, keepalived takes adverts from those peers only.
    const auto& peers = target->config->unicast_peers;
    const uint32_t source = parsed.packet.source;
    if (std::none_of(peers.begin(), peers.end(), [&](const conf::Ipv4Address& a) { return a.value == source; })) {
      ++counters.drops[static_cast<std::size_t>(vrrp::VrrpDrop::not_a_peer)];
      return;
    }
  }
  target->machine->receive(now_us(), parsed.packet);
  run_actions(*target);
}

void VrrpService::on_link(std::size_t port, bool up) {
  for (auto& instance : instances_) {
    if (instance->port != port || instance->link_up == up) continue;
    instance->link_up = up;
    log(up ? LogLevel::notice : LogLevel::warning,
        "vrrp " + instance->config->name + ": port '" + instance->config->port + "' link " + (up ? "up" : "down"));
    if (started_) {
      apply_fault(*instance);
      run_actions(*instance);
    }
  }
}

void VrrpService::tick() {
  if (!started_) return;
  const int64_t now = now_us();
  const bool track = now >= next_track_us_;
  if (track) next_track_us_ = now + kTrackPeriodUs;
  for (auto& instance : instances_) {
    if (track) {
      update_tracking(*instance);
      apply_fault(*instance);
    }
    if (now >= instance->machine->next_deadline_us()) instance->machine->tick(now);
    run_actions(*instance);
    for (std::size_t w = 0; w < workers_.size(); ++w) {
      if (instance->ownership_pending[w]) {
        ++counters_.ownership_retries;
        post_ownership(*instance, w);
      }
    }
  }
  notify_.tick(now / 1000);
}

void VrrpService::shutdown() {
  if (!started_) return;
  const int64_t now = now_us();
  for (auto& instance : instances_) {
    instance->machine->stop(now);
    run_actions(*instance);
  }
  // The STOP notifications are often what an operator's script cares most
  // about: let them finish, within reason.
  notify_.drain(2000);
  started_ = false;
}

void VrrpService::run_actions(Instance& instance) {
  for (const vrrp::VrrpAction& a : instance.machine->take_actions()) {
    switch (a.kind) {
      case vrrp::VrrpAction::Kind::state_changed: {
        const std::string& name = instance.config->name;
        const LogLevel level = a.to == vrrp::VrrpState::fault ? LogLevel::warning : LogLevel::notice;
        log(level, "vrrp " + name + ": Entering " + vrrp::vrrp_state_name(a.to) + " STATE (was " +
                       vrrp::vrrp_state_name(a.from) + ", " + vrrp::vrrp_reason_name(a.reason) + ")");
        if (!instance.config->notify.empty()) {
          notify_.run(instance.lane, instance.config->notify,
                      {"INSTANCE", name, vrrp::vrrp_state_name(a.to),
                       std::to_string(instance.machine->effective_priority())},
                      now_us() / 1000);
        }
        break;
      }
      case vrrp::VrrpAction::Kind::take_addresses:
      case vrrp::VrrpAction::Kind::release_addresses:
        instance.owns = a.kind == vrrp::VrrpAction::Kind::take_addresses;
        for (std::size_t w = 0; w < workers_.size(); ++w) post_ownership(instance, w);
        break;
      case vrrp::VrrpAction::Kind::send_advert: send_advert(instance, a.priority); break;
      case vrrp::VrrpAction::Kind::send_garp: send_garps(instance, a.garp_rounds); break;
    }
  }
}

void VrrpService::post_ownership(Instance& instance, std::size_t worker) {
  bool ok = true;
  for (const auto& p : instance.config->virtual_addresses) {
    dataplane::ControlCommand c;
    c.kind = instance.owns ? dataplane::ControlCommand::Kind::vip_own : dataplane::ControlCommand::Kind::vip_release;
    c.port = static_cast<uint8_t>(instance.port);
    c.ipv4 = p.address.value;
    c.mac = instance.mac;
    ok = workers_.channel(worker).post_command(c) && ok;
  }
  instance.ownership_pending[worker] = !ok;
}

bool VrrpService::post_frame(std::size_t port, const uint8_t* bytes, std::size_t length, uint32_t next_hop) {
  rte_mbuf* m = pool_ != nullptr ? rte_pktmbuf_alloc(pool_) : nullptr;
  char* data = m != nullptr ? rte_pktmbuf_append(m, static_cast<uint16_t>(length)) : nullptr;
  if (data == nullptr) {
    if (m != nullptr) rte_pktmbuf_free(m);
    ++counters_.frames_not_sent;
    return false;
  }
  std::memcpy(data, bytes, length);
  dataplane::ControlCommand c;
  c.kind = next_hop == 0 ? dataplane::ControlCommand::Kind::transmit : dataplane::ControlCommand::Kind::send_ipv4;
  c.port = static_cast<uint8_t>(port);
  c.frame = m;
  c.next_hop = next_hop;
  // Worker 0 sends everything the control plane originates: its TX queue
  // keeps adverts in order, and any worker reaches every port.
  if (!workers_.channel(0).post_command(c)) {
    ++counters_.frames_not_sent;  // post_command freed the frame
    return false;
  }
  return true;
}

void VrrpService::send_advert(Instance& instance, uint8_t priority) {
  const vrrp::VrrpAdvert advert = instance.machine->make_advert(priority);
  const conf::VrrpConfig& c = *instance.config;
  vrrp::VrrpFrameAddressing addressing;
  addressing.source_mac = instance.mac;
  addressing.source = instance.machine->settings().primary_address;
  uint8_t frame[vrrp::kVrrpMaxFrameLength + 64];
  const vrrp::V3Checksum form = instance.machine->settings().v3_checksum;
  if (c.unicast_peers.empty()) {
    addressing.destination = vrrp::kVrrpMulticastGroup;
    const std::size_t n = vrrp::build_vrrp_frame(advert, addressing, ++instance.ip_id, form, frame, sizeof(frame));
    if (n != 0) post_frame(instance.port, frame, n, 0);
    return;
  }
  for (const conf::Ipv4Address& peer : c.unicast_peers) {
    const std::optional<dataplane::NextHop> hop = routes_.lookup(peer.value);
    if (!hop) {
      ++counters_.frames_not_sent;
      continue;
    }
    addressing.destination = peer.value;
    const std::size_t n = vrrp::build_vrrp_frame(advert, addressing, ++instance.ip_id, form, frame, sizeof(frame));
    if (n != 0) post_frame(hop->port, frame, n, hop->neighbour);
  }
}

void VrrpService::send_garps(Instance& instance, uint32_t rounds) {
  for (uint32_t r = 0; r < rounds; ++r) {
    for (const auto& p : instance.config->virtual_addresses) {
      rte_mbuf* m = pool_ != nullptr ? dataplane::build_gratuitous_arp(pool_, p.address.value, instance.mac) : nullptr;
      if (m == nullptr) {
        ++counters_.frames_not_sent;
        continue;
      }
      dataplane::ControlCommand c;
      c.kind = dataplane::ControlCommand::Kind::transmit;
      c.port = static_cast<uint8_t>(instance.port);
      c.frame = m;
      if (!workers_.channel(0).post_command(c)) ++counters_.frames_not_sent;
    }
  }
}

void VrrpService::update_tracking(Instance& instance) {
  const dataplane::ProxySnapshot& snapshot = *proxy_.current();
  int delta = 0;
  bool fault = false;
  std::string down;
  for (const conf::VrrpTrackBackend& t : instance.config->track_backends) {
    for (const dataplane::ProxyBackend& b : snapshot.backends) {
      if (b.name != t.backend || !b.table.candidates().empty()) continue;
      if (t.weight == 0) {
        fault = true;
      } else {
        delta += t.weight;
      }
      down += (down.empty() ? "" : ", ") + b.name;
    }
  }
  if (down != instance.tracked_down) {
    log(down.empty() ? LogLevel::notice : LogLevel::warning,
        "vrrp " + instance.config->name + ": " +
            (down.empty() ? std::string("every tracked backend has a server again")
                          : "tracked backend(s) without a server: " + down));
    instance.tracked_down = down;
  }
  instance.track_fault = fault;
  if (delta != instance.track_delta) {
    instance.track_delta = delta;
    instance.machine->set_priority_adjustment(now_us(), delta);
  }
}

void VrrpService::apply_fault(Instance& instance) {
  const int64_t now = now_us();
  instance.machine->set_tracking_fault(now, instance.track_fault);
  if (instance.link_up) {
    instance.machine->link_up(now);
  } else {
    instance.machine->link_down(now);
  }
}

VrrpService::Instance* VrrpService::find(std::string_view name, CommandReply& reply) {
  for (auto& instance : instances_) {
    if (instance->config->name == name) return instance.get();
  }
  std::string known;
  for (auto& instance : instances_) known += (known.empty() ? "" : ", ") + instance->config->name;
  reply.fail("no [[vrrp]] instance '" + std::string(name) + "'" +
             (known.empty() ? " (none configured)" : " (instances: " + known + ")"));
  return nullptr;
}

void VrrpService::register_commands(CommandRegistry& registry) {
  registry.add({{"show", "vrrp"}, "[NAME]",
                "VRRP instances: state, priorities, master, timers, adverts, drops by reason", 0, 1,
                [this](const CommandArgs& a, CommandReply& r) { show(a, r); }});
  registry.add({{"vrrp", "priority"}, "NAME PRIORITY",
                "set an instance's base priority (1..255), announced in the next advert; preemption follows the RFC", 2, 2,
                [this](const CommandArgs& a, CommandReply& r) { set_priority(a, r); }});
  registry.add({{"vrrp", "stop"}, "NAME",
                "stop an instance: a MASTER hands over with a priority-0 advert and gives up its addresses", 1, 1,
                [this](const CommandArgs& a, CommandReply& r) { stop(a, r); }});
  registry.add({{"vrrp", "start"}, "NAME", "start a stopped instance again (as BACKUP, or MASTER if owner)", 1, 1,
                [this](const CommandArgs& a, CommandReply& r) { start_one(a, r); }});
}

void VrrpService::show(const CommandArgs& args, CommandReply& reply) const {
  if (instances_.empty()) {
    if (args.empty()) {
      reply.line("no [[vrrp]] instance configured");
    } else {
      reply.fail("no [[vrrp]] instance '" + args[0] + "' (none configured)");
    }
    return;
  }
  const int64_t now = now_us();
  bool any = false;
  for (const auto& instance : instances_) {
    if (!args.empty() && instance->config->name != args[0]) continue;
    any = true;
    VrrpInstanceView view;
    view.config = instance->config;
    view.port_name = instance->config->port;
    view.mac = instance->mac;
    view.status = instance->machine->status(now);
    view.counters = &instance->machine->counters();
    view.owns = instance->owns;
    view.tracked_down = instance->tracked_down;
    view.now_us = now;
    reply.text += format_vrrp_instance(view);
  }
  if (!any) {
    reply.fail("no [[vrrp]] instance '" + args[0] + "'");
    return;
  }
  if (args.empty()) {
    for (std::size_t p = 0; p < port_counters_.size(); ++p) {
      if (port_counters_[p].frames == 0) continue;
      reply.text += format_vrrp_port_drops(ports_[p].config.name, port_counters_[p].frames, port_counters_[p].drops);
    }
    const NotifyCounters& n = notify_.counters();
    if (n.started + n.failed > 0) {
      reply.line("notify scripts: started " + std::to_string(n.started) + ", succeeded " +
                 std::to_string(n.succeeded) + ", failed " + std::to_string(n.failed) + ", timed out " +
                 std::to_string(n.timed_out) + ", superseded " + std::to_string(n.dropped));
    }
    if (counters_.frames_not_sent + counters_.ownership_retries > 0) {
      reply.line("frames not sent " + std::to_string(counters_.frames_not_sent) + ", ownership updates repeated " +
                 std::to_string(counters_.ownership_retries));
    }
  }
}

void VrrpService::set_priority(const CommandArgs& args, CommandReply& reply) {
  Instance* instance = find(args[0], reply);
  if (instance == nullptr) return;
  char* end = nullptr;
  const long value = std::strtol(args[1].c_str(), &end, 10);
  if (args[1].empty() || *end != '\0' || value < 1 || value > 255) {
    reply.fail("vrrp priority: '" + args[1] + "' is not a priority (1..255)");
    return;
  }
  const uint8_t before = instance->machine->base_priority();
  instance->machine->set_base_priority(now_us(), static_cast<uint8_t>(value));
  run_actions(*instance);
  log_notice("vrrp " + instance->config->name + ": base priority " + std::to_string(before) + " -> " +
             std::to_string(value) + " by the operator");
  reply.line(instance->config->name + ": priority " + std::to_string(value) + ", effective " +
             std::to_string(instance->machine->effective_priority()) + ", state " +
             vrrp::vrrp_state_name(instance->machine->state()));
}

void VrrpService::stop(const CommandArgs& args, CommandReply& reply) {
  Instance* instance = find(args[0], reply);
  if (instance == nullptr) return;
  if (instance->machine->state() == vrrp::VrrpState::stopped) {
    reply.line(instance->config->name + ": already stopped");
    return;
  }
  const bool was_master = instance->machine->state() == vrrp::VrrpState::master;
  instance->machine->stop(now_us());
  run_actions(*instance);
  reply.line(instance->config->name + ": stopped" +
             (was_master ? " (sent priority 0: the backup takes over after its skew time)" : ""));
}

void VrrpService::start_one(const CommandArgs& args, CommandReply& reply) {
  Instance* instance = find(args[0], reply);
  if (instance == nullptr) return;
  if (instance->machine->state() != vrrp::VrrpState::stopped) {
    reply.fail(instance->config->name + " is not stopped (state " + vrrp::vrrp_state_name(instance->machine->state()) +
               ")");
    return;
  }
  instance->machine->start(now_us());
  run_actions(*instance);
  reply.line(instance->config->name + ": started, state " + vrrp::vrrp_state_name(instance->machine->state()));
}

}  // namespace dplb::controlplane
