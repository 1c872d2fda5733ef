#include "controlplane/neighbour/neighbour_service.h"

#include <rte_errno.h>
#include <rte_mbuf.h>

#include <cstdio>

#include "conf/ipv4_address.h"
#include "conf/mac_address.h"
#include "controlplane/logger.h"
#include "dataplane/net/arp/arp_request.h"

namespace dplb::controlplane {
namespace {

std::string ip_text(uint32_t ipv4) { return conf::Ipv4Address{ipv4}.to_string(); }
std::string mac_text(const MacAddress& mac) { return conf::format_mac(mac); }

constexpr int64_t kConflictLogIntervalMs = 10'000;

}  // namespace

NeighbourService::NeighbourService(const conf::Config& config, const dataplane::PortSetup& ports,
                                   dataplane::WorkerPool& workers)
    : config_(config),
      ports_(ports),
      workers_(workers),
      table_(NeighbourTimers{config.dataplane.arp_timeout.milliseconds(), config.dataplane.arp_retry.milliseconds(),
                             config.dataplane.arp_probes, config.dataplane.arp_max_entries}) {
  for (const auto& p : ports.ports) identities_.push_back(dataplane::identity_of(p));
}

NeighbourService::~NeighbourService() { rte_mempool_free(pool_); }

std::string NeighbourService::start(int64_t now_ms) {
  now_ms_ = now_ms;
  pool_ = rte_pktmbuf_pool_create("ctl_frames", 511, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (pool_ == nullptr) return std::string("cannot create the control-plane frame pool: ") + rte_strerror(rte_errno);
  for (const auto& entry : config_.static_arp) {
    int port = -1;
    for (std::size_t p = 0; p < config_.ports.size(); ++p) {
      if (entry.port.empty() ? config_.ports[p].address.contains(entry.address) : config_.ports[p].name == entry.port) {
        port = static_cast<int>(p);
        break;
      }
    }
    table_.add_permanent(static_cast<uint16_t>(port), entry.address.value, entry.mac, now_ms);
    publish(*table_.find(entry.address.value));
  }
  return "";
}

std::string NeighbourService::port_name(uint16_t port) const {
  return port < config_.ports.size() ? config_.ports[port].name : "?";
}

int NeighbourService::port_for(uint32_t ipv4) const { return config_.port_for(conf::Ipv4Address{ipv4}); }

void NeighbourService::learn(const dataplane::ControlEvent& event, int64_t now_ms) {
  if (event.claims_our_address) {
    ++conflicts_;
    if (now_ms - last_conflict_log_ms_ >= kConflictLogIntervalMs) {
      last_conflict_log_ms_ = now_ms;
      // A VIP claimed by another box while we own it is two VRRP masters
      // (a split segment healing, or a peer outside the election): VRRP's
      // adverts settle it, the operator should still hear of it.
      log_error("address conflict on port '" + port_name(event.port) + "': " +
                (event.virtual_address ? "the virtual address " : "") + ip_text(event.ipv4) +
                " is also claimed by " + mac_text(event.mac) + " (" + std::to_string(conflicts_) + " so far)" +
                (event.virtual_address ? "; another box acts as VRRP master for it (see show vrrp)" : ""));
    }
    return;
  }
  // Only neighbours on the subnet of the port they spoke on are learned.
  if (event.port >= config_.ports.size() || !config_.ports[event.port].address.contains(conf::Ipv4Address{event.ipv4})) {
    return;
  }
  const Neighbour* before = table_.find(event.ipv4);
  const MacAddress old_mac = before ? before->mac : MacAddress{};
  const bool was_known = before != nullptr && before->state != NeighbourState::incomplete;
  const NeighbourTable::Learned learned = table_.observe(event.port, event.ipv4, event.mac, event.addressed_to_us, now_ms);
  if (learned == NeighbourTable::Learned::created || learned == NeighbourTable::Learned::updated) {
    publish(*table_.find(event.ipv4));
  }
  switch (learned) {
    case NeighbourTable::Learned::created:
      log_info("arp: " + ip_text(event.ipv4) + " is at " + mac_text(event.mac) + " on port '" +
               port_name(event.port) + "'");
      break;
    case NeighbourTable::Learned::updated:
      if (was_known) {
        log_notice("arp: " + ip_text(event.ipv4) + " moved from " + mac_text(old_mac) + " to " +
                   mac_text(event.mac) + " on port '" + port_name(event.port) + "'");
      } else {
        log_info("arp: " + ip_text(event.ipv4) + " resolved to " + mac_text(event.mac));
      }
      break;
    case NeighbourTable::Learned::permanent_kept:
      if (before != nullptr && before->mac != event.mac) {
        log_warning("arp: " + ip_text(event.ipv4) + " answers from " + mac_text(event.mac) +
                    " but has the static entry " + mac_text(before->mac) + "; keeping the static entry");
      }
      break;
    case NeighbourTable::Learned::full:
      ++table_full_;
      break;
    case NeighbourTable::Learned::ignored:
    case NeighbourTable::Learned::confirmed:
      break;
  }
}

void NeighbourService::send_probe(const ArpProbe& probe) {
  if (probe.port >= identities_.size() || workers_.size() == 0) return;
  rte_mbuf* frame = dataplane::build_arp_request(pool_, identities_[probe.port], probe.target, probe.unicast_to);
  if (frame == nullptr) {
    ++probes_lost_;
    return;
  }
  dataplane::ControlCommand command;
  command.kind = dataplane::ControlCommand::Kind::transmit;
  command.port = static_cast<uint8_t>(probe.port);
  command.frame = frame;
  if (workers_.channel(0).post_command(command)) {
    ++probes_sent_;
  } else {
    ++probes_lost_;
  }
}

bool NeighbourService::resolved(uint32_t ipv4) const {
  const Neighbour* n = table_.find(ipv4);
  return n != nullptr && n->state != NeighbourState::incomplete;
}

void NeighbourService::publish(const Neighbour& n) {
  dataplane::ControlCommand c;
  c.kind = dataplane::ControlCommand::Kind::neighbour_set;
  c.port = static_cast<uint8_t>(n.port);
  c.ipv4 = n.ipv4;
  c.mac = n.mac;
  for (std::size_t w = 0; w < workers_.size(); ++w) workers_.channel(w).post_command(c);
}

void NeighbourService::withdraw(uint32_t ipv4) {
  dataplane::ControlCommand c;
  c.kind = dataplane::ControlCommand::Kind::neighbour_clear;
  c.ipv4 = ipv4;
  for (std::size_t w = 0; w < workers_.size(); ++w) workers_.channel(w).post_command(c);
}

void NeighbourService::resolve_requested(const dataplane::ControlEvent& event, int64_t now_ms) {
  if (const Neighbour* n = table_.find(event.ipv4); n != nullptr && n->state != NeighbourState::incomplete) {
    publish(*n);  // the worker's copy was behind; bring it up to date
    return;
  }
  if (auto probe = table_.resolve(event.port, event.ipv4, now_ms)) {
    send_probe(*probe);
  } else if (table_.find(event.ipv4) == nullptr) {
    withdraw(event.ipv4);  // the table is full: the waiting frames cannot be sent
  }
}

void NeighbourService::tick(int64_t now_ms) {
  now_ms_ = now_ms;
  std::vector<Neighbour> forgotten;
  for (const auto& probe : table_.tick(now_ms, &forgotten)) send_probe(probe);
  for (const auto& n : forgotten) {
    withdraw(n.ipv4);
    log_info("arp: forgot " + ip_text(n.ipv4) + " (" + neighbour_state_name(n.state) + ", " +
             std::to_string(n.probes_sent) + " probes unanswered)");
  }
}

void NeighbourService::register_commands(CommandRegistry& registry) {
  registry.add({{"show", "arp"}, "", "the neighbour table: address, MAC, port, state, age", 0, 0,
                [this](const CommandArgs&, CommandReply& reply) {
                  char line[160];
                  std::snprintf(line, sizeof(line), "%-16s %-18s %-10s %-11s %8s %8s", "address", "mac", "port",
                                "state", "age-s", "probes");
                  reply.line(line);
                  for (const auto& n : table_.entries()) {
                    const bool unknown = n.state == NeighbourState::incomplete;
                    std::snprintf(line, sizeof(line), "%-16s %-18s %-10s %-11s %8lld %8u", ip_text(n.ipv4).c_str(),
                                  unknown ? "-" : mac_text(n.mac).c_str(), port_name(n.port).c_str(),
                                  neighbour_state_name(n.state),
                                  static_cast<long long>((now_ms_ - n.changed_ms) / 1000), n.probes_sent);
                    reply.line(line);
                  }
                  reply.line("entries " + std::to_string(table_.size()) + "  probes-sent " +
                             std::to_string(probes_sent_) + "  probes-lost " + std::to_string(probes_lost_) +
                             "  conflicts " + std::to_string(conflicts_) + "  table-full " +
                             std::to_string(table_full_));
                }});
  registry.add({{"arp", "add"}, "ADDRESS MAC", "add or replace a permanent entry (like arp -s)", 2, 2,
                [this](const CommandArgs& args, CommandReply& reply) {
                  auto address = conf::parse_ipv4(args[0]);
                  if (!address) return reply.fail("'" + args[0] + "' is not an IPv4 address");
                  auto mac = conf::parse_mac(args[1]);
                  if (!mac || ((*mac)[0] & 1) || *mac == conf::Mac{}) {
                    return reply.fail("'" + args[1] + "' is not a unicast MAC address");
                  }
                  const int port = port_for(address->value);
                  if (port < 0) return reply.fail(args[0] + " is not inside any port's subnet");
                  if (config_.ports[static_cast<std::size_t>(port)].address.address == *address) {
                    return reply.fail(args[0] + " is our own address on port '" + port_name(static_cast<uint16_t>(port)) + "'");
                  }
                  if (!table_.add_permanent(static_cast<uint16_t>(port), address->value, *mac, now_ms_)) {
                    return reply.fail("the neighbour table is full (dataplane.arp_max_entries = " +
                                      std::to_string(table_.timers().max_entries) + ")");
                  }
                  publish(*table_.find(address->value));
                  log_notice("arp: permanent entry " + args[0] + " -> " + conf::format_mac(*mac) + " added from the console");
                  reply.line(args[0] + " is at " + conf::format_mac(*mac) + " on port '" +
                             port_name(static_cast<uint16_t>(port)) + "' (permanent)");
                }});
  registry.add({{"arp", "del"}, "ADDRESS", "remove an entry, permanent or learned", 1, 1,
                [this](const CommandArgs& args, CommandReply& reply) {
                  auto address = conf::parse_ipv4(args[0]);
                  if (!address) return reply.fail("'" + args[0] + "' is not an IPv4 address");
                  if (!table_.remove(address->value)) return reply.fail("no entry for " + args[0]);
                  withdraw(address->value);
                  reply.line("removed " + args[0]);
                }});
}

}  // namespace dplb::controlplane
