#include "conf/vrrp_config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "conf/did_you_mean.h"

namespace dplb::conf {
namespace {

constexpr Duration seconds(int64_t n) { return Duration{n * 1'000'000}; }
constexpr Duration hours(int64_t n) { return Duration{n * 3'600'000'000}; }
constexpr Duration days(int64_t n) { return Duration{n * 86'400'000'000}; }

// keepalived's TIMER_MAX_SEC, the longest preempt_delay it accepts.
constexpr int64_t kMaxPreemptDelaySeconds = 1000;
// VRRPv3's Max Advertise Interval is 12 bits of centiseconds.
constexpr uint16_t kMaxV3AdvertCentiseconds = 4095;
// VRRPv2's Adver Int is 8 bits of seconds.
constexpr uint16_t kMaxV2AdvertCentiseconds = 25500;

std::string convert_name(const std::string& text, std::string& out) {
  if (text.empty() || text.size() > 32) return "a name must be 1 to 32 characters";
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.';
    if (!ok) return "'" + text + "' may only contain letters, digits, '_', '-' and '.'";
  }
  out = text;
  return "";
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return text;
}

std::string convert_state(const std::string& text, VrrpState& out) {
  for (VrrpState s : {VrrpState::master, VrrpState::backup}) {
    if (text == vrrp_state_name(s)) {
      out = s;
      return "";
    }
  }
  std::string why = "'" + text + "' is not one of MASTER, BACKUP";
  const std::string shouted = upper(text);
  if (shouted == "MASTER" || shouted == "BACKUP") return why + "; did you mean '" + shouted + "'? (written in capitals, as in keepalived)";
  auto matches = close_matches(shouted, {"MASTER", "BACKUP"}, 1);
  if (!matches.empty()) why += "; did you mean '" + matches.front() + "'?";
  return why;
}

std::string convert_v3_checksum(const std::string& text, VrrpV3Checksum& out) {
  return convert_enum<VrrpV3Checksum, 2>(text, out, {VrrpV3Checksum::pseudo_header, VrrpV3Checksum::rfc9568},
                                         vrrp_v3_checksum_name);
}

std::string format_seconds(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

// Seconds as keepalived writes them (an integer or a decimal number), or a
// duration string as everywhere else in the file ("500ms").
FieldSpec<VrrpConfig> advert_interval() {
  return {"number (seconds) or duration",
          "0.01..255 seconds, in steps of 0.01; v2: whole seconds 1..255; v3: 0.01..40.95",
          [](const toml::node& node, const std::string& path, VrrpConfig& out, Diagnostics& d) {
            const std::string range = " is out of range 0.01..255 seconds";
            int64_t centiseconds = 0;
            if (const auto* i = node.as_integer()) {
              if (i->get() < 1 || i->get() > 255) {
                d.error(position_of(node), path + ": " + std::to_string(i->get()) + range);
                return;
              }
              centiseconds = i->get() * 100;
            } else if (const auto* f = node.as_floating_point()) {
              const double v = f->get();
              const double scaled = v * 100;
              if (!std::isfinite(v) || std::round(scaled) < 1 || std::round(scaled) > kMaxV2AdvertCentiseconds) {
                d.error(position_of(node), path + ": " + format_seconds(v) + range);
                return;
              }
              if (std::fabs(scaled - std::round(scaled)) > 1e-6) {
                d.error(position_of(node), path + ": " + format_seconds(v) +
                                               " is not a whole number of hundredths of a second (VRRP counts "
                                               "the interval in centiseconds)");
                return;
              }
              centiseconds = static_cast<int64_t>(std::round(scaled));
            } else if (const auto* s = node.as_string()) {
              std::string error;
              auto value = parse_duration(s->get(), &error);
              if (!value) {
                d.error(position_of(node), path + ": " + error);
                return;
              }
              if (value->microseconds < 10'000 || value->microseconds > 255'000'000) {
                d.error(position_of(node), path + ": " + format_duration(*value) + " is out of range 10ms..255s");
                return;
              }
              if (value->microseconds % 10'000 != 0) {
                d.error(position_of(node), path + ": " + format_duration(*value) +
                                               " is not a whole number of hundredths of a second (VRRP counts "
                                               "the interval in centiseconds)");
                return;
              }
              centiseconds = value->microseconds / 10'000;
            } else {
              return report_type(d, node, path, "a number of seconds (1, 0.5) or a duration (\"500ms\")");
            }
            out.advert_int_cs = static_cast<uint16_t>(centiseconds);
          },
          {}};
}

// keepalived keeps the first 8 characters of a longer password and says
// so; dplb does the same, with a warning, so a keepalived.conf translates
// as it is and both routers send the same 8 bytes.
FieldSpec<VrrpConfig> auth_password() {
  return {"string", "1 to 8 printable ASCII characters (a longer one is cut to 8, with a warning); v2 only",
          [](const toml::node& node, const std::string& path, VrrpConfig& out, Diagnostics& d) {
            const auto* value = node.as_string();
            if (value == nullptr) return report_type(d, node, path, "a string");
            const std::string& text = value->get();
            if (text.empty()) {
              d.error(position_of(node),
                      path + ": must hold 1 to 8 characters; leave auth_pass out for no authentication");
              return;
            }
            for (char c : text) {
              if (c < 0x20 || c > 0x7e) {
                d.error(position_of(node), path + ": may only hold printable ASCII characters");
                return;
              }
            }
            if (text.size() > kVrrpAuthPassBytes) {
              d.warning(position_of(node), path + ": only the first 8 characters, '" +
                                               text.substr(0, kVrrpAuthPassBytes) +
                                               "', are used: VRRPv2's authentication data holds 8 (keepalived "
                                               "cuts it the same way)");
            }
            out.auth_pass = text.substr(0, kVrrpAuthPassBytes);
          },
          {}};
}

// Addresses that can never be a host's on a segment.
std::string special_address(Ipv4Address a) {
  const uint32_t v = a.value;
  if ((v >> 24) == 0) return "a 'this network' address (0.0.0.0/8)";
  if ((v >> 24) == 127) return "a loopback address";
  if ((v >> 28) == 0xe) return "a multicast address";
  if (v == 0xffffffffu) return "the broadcast address";
  if ((v >> 28) == 0xf) return "a reserved address (240.0.0.0/4)";
  return "";
}

// A list of strings, each converted by `convert` ("" or why not); no entry
// twice. Stores the values and each one's position.
template <class Value>
FieldSpec<VrrpConfig> address_list(std::vector<Value> VrrpConfig::*member,
                                   std::vector<SourcePosition> VrrpConfig::*positions, std::string type,
                                   std::string range, bool allow_empty, const std::string& example,
                                   std::string (*convert)(const std::string&, Value&),
                                   std::string (*shown)(const Value&)) {
  return {std::move(type), std::move(range),
          [=](const toml::node& node, const std::string& path, VrrpConfig& out, Diagnostics& d) {
            const auto* array = node.as_array();
            if (array == nullptr) return report_type(d, node, path, "an array of strings, like [" + example + "]");
            if (array->empty() && !allow_empty) {
              d.error(position_of(node), path + ": must list at least one address");
              return;
            }
            std::vector<Value> values;
            std::vector<SourcePosition> where;
            bool good = true;
            for (const auto& element : *array) {
              const auto* text = element.as_string();
              if (text == nullptr) {
                report_type(d, element, path, "a string in the array");
                good = false;
                continue;
              }
              Value value{};
              std::string problem = convert(text->get(), value);
              if (problem.empty()) {
                for (const auto& earlier : values) {
                  if (shown(earlier) == shown(value)) {
                    problem = shown(value) + " is listed twice";
                    break;
                  }
                }
              }
              if (!problem.empty()) {
                d.error(position_of(element), path + ": " + problem);
                good = false;
                continue;
              }
              values.push_back(value);
              where.push_back(position_of(element));
            }
            if (!good) return;
            out.*member = std::move(values);
            out.*positions = std::move(where);
          },
          {}};
}

// "10.99.1.10/24", or "10.99.1.10" for /32 as keepalived reads it.
std::string convert_virtual_address(const std::string& text, Ipv4Prefix& out) {
  std::optional<Ipv4Prefix> prefix;
  if (text.find('/') == std::string::npos) {
    if (auto address = parse_ipv4(text)) prefix = Ipv4Prefix{*address, 32};
  } else {
    prefix = parse_ipv4_prefix(text);
  }
  if (!prefix) return "'" + text + "' is not an IPv4 address with an optional prefix length, like 10.99.1.10/24";
  if (prefix->length == 0) return "'" + text + "' has prefix length 0";
  const std::string kind = special_address(prefix->address);
  if (!kind.empty()) return prefix->address.to_string() + " is " + kind + ", not a virtual address";
  out = *prefix;
  return "";
}

std::string show_prefix_address(const Ipv4Prefix& p) { return p.address.to_string(); }

std::string convert_peer(const std::string& text, Ipv4Address& out) {
  auto address = parse_ipv4(text);
  if (!address) return "'" + text + "' is not an IPv4 address, like 10.99.1.3";
  const std::string kind = special_address(*address);
  if (!kind.empty()) return address->to_string() + " is " + kind + ", not a peer's";
  out = *address;
  return "";
}

std::string show_address(const Ipv4Address& a) { return a.to_string(); }

// Checked when the file is loaded, as keepalived checks its scripts, so a
// missing or unusable script is found by `--check` rather than at the first
// change of state.
std::string convert_notify(const std::string& text, std::string& out) {
  if (text.empty()) {
    out.clear();
    return "";
  }
  if (text.front() != '/') return "'" + text + "' must be an absolute path (or \"\" for no script)";
  struct stat st {};
  if (::stat(text.c_str(), &st) != 0) return "cannot use '" + text + "': " + std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return "'" + text + "' is not a regular file";
  if ((st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0 || ::access(text.c_str(), X_OK) != 0) {
    return "'" + text + "' is not executable (chmod +x it)";
  }
  if (st.st_mode & S_IWOTH) {
    return "'" + text + "' is writable by every user, and dplb runs it with its own privileges; chmod o-w it";
  }
  out = text;
  return "";
}

FieldSpec<VrrpConfig> garp_refresh() {
  return {"duration", "\"0s\" (never), or 1s..1d",
          [](const toml::node& node, const std::string& path, VrrpConfig& out, Diagnostics& d) {
            auto value = decode_duration(node, path, Duration{0}, days(1), d);
            if (!value) return;
            if (value->microseconds != 0 && value->microseconds < 1'000'000) {
              d.error(position_of(node), path + ": " + format_duration(*value) +
                                             " is below 1s; write \"0s\" for no periodic gratuitous ARP");
              return;
            }
            out.garp_refresh = *value;
          },
          {}};
}

TableSchema<VrrpTrackBackend> track_backend_schema() {
  TableSchema<VrrpTrackBackend> s("[[vrrp.track_backends]]", "vrrp.track_backends");
  s.required("backend", string_as<VrrpTrackBackend, std::string>(&VrrpTrackBackend::backend, "string (backend name)",
                                                                  "a [[backend]] name, once per instance",
                                                                  convert_name))
      .optional("weight", integer_in(&VrrpTrackBackend::weight, -254, 254))
      .hint("script", "dplb tracks its own backends: name one with backend = \"NAME\"")
      .hint("name", "did you mean 'backend'?");
  return s;
}

// TOML gives an empty array no element type, so `track_backends = []` is
// taken here for what it says rather than refused as "not tables".
FieldSpec<VrrpConfig> track_backends() {
  FieldSpec<VrrpConfig> spec = table_array(&VrrpConfig::track_backends, track_backend_schema());
  spec.type = "array of tables";
  spec.range = "{ backend = NAME, weight = -254..254 }";
  spec.decode = [decode = spec.decode](const toml::node& node, const std::string& path, VrrpConfig& out,
                                       Diagnostics& d) {
    const auto* array = node.as_array();
    if (array != nullptr && array->empty()) return;
    if (array == nullptr || !array->is_array_of_tables()) {
      return report_type(d, node, path,
                         "an array of tables, like [{ backend = \"web_servers\", weight = -60 }]");
    }
    decode(node, path, out, d);
  };
  return spec;
}

TableSchema<VrrpConfig> vrrp_schema() {
  using V = VrrpConfig;
  TableSchema<V> s("[[vrrp]]", "vrrp");
  s.required("name", string_as<V, std::string>(&V::name, "string", "1-32 of [A-Za-z0-9_.-], unique", convert_name))
      .required("port", string_as<V, std::string>(&V::port, "string (port name)", "a [[port]] name", convert_name))
      .optional("state", string_as<V, VrrpState>(&V::state, "string", "MASTER, BACKUP", convert_state))
      .required("virtual_router_id", integer_in(&V::virtual_router_id, 1, 255))
      .optional("priority", integer_in(&V::priority, 1, 255))
      .optional("version", integer_in(&V::version, 2, 3))
      .optional("advert_int", advert_interval())
      .optional("auth_pass", auth_password())
      .optional("preempt", boolean(&V::preempt))
      .optional("preempt_delay", duration_in(&V::preempt_delay, Duration{0}, seconds(kMaxPreemptDelaySeconds)))
      .required("virtual_addresses",
                address_list<Ipv4Prefix>(&V::virtual_addresses, &V::virtual_address_positions,
                                         "array of strings (IPv4 prefixes)",
                                         "1 to 255 \"A.B.C.D/LEN\" (or \"A.B.C.D\" for /32) inside the port's "
                                         "subnet, unique across instances",
                                         false, "\"10.99.1.10/24\"", convert_virtual_address, show_prefix_address))
      .optional("garp_repeat", integer_in(&V::garp_repeat, 1, 100))
      .optional("garp_delay", duration_in(&V::garp_delay, Duration{0}, hours(1)))
      .optional("garp_refresh", garp_refresh())
      .optional("unicast_peers",
                address_list<Ipv4Address>(&V::unicast_peers, &V::unicast_peer_positions,
                                          "array of strings (IPv4 addresses)",
                                          "addresses of the other routers, with a route to each; [] for multicast",
                                          true, "\"10.99.1.3\"", convert_peer, show_address))
      .optional("use_vmac", boolean(&V::use_vmac))
      .optional("v3_checksum", string_as<V, VrrpV3Checksum>(&V::v3_checksum, "string", "pseudo-header, rfc9568",
                                                            convert_v3_checksum))
      .optional("track_backends", track_backends())
      .optional("notify", string_as<V, std::string>(&V::notify, "string (path)",
                                                    "absolute path of an executable file not writable by others, "
                                                    "or \"\"",
                                                    convert_notify))
      // keepalived's keywords whose dplb names edit distance cannot find.
      .hint("interface", "did you mean 'port'? (the [[port]] the instance runs on)")
      .hint("vrid", "did you mean 'virtual_router_id'?")
      .hint("virtual_ipaddress", "did you mean 'virtual_addresses'?")
      .hint("virtual_ipaddresses", "did you mean 'virtual_addresses'?")
      .hint("vip", "did you mean 'virtual_addresses'?")
      .hint("virtual_ipaddress_excluded",
            "dplb advertises every address it owns: list them all in virtual_addresses")
      .hint("nopreempt", "write preempt = false")
      .hint("authentication", "PASS authentication is written auth_pass = \"PASSWORD\" (AH is not supported)")
      .hint("auth_type", "PASS authentication is written auth_pass = \"PASSWORD\" (AH is not supported)")
      .hint("garp_master_repeat", "did you mean 'garp_repeat'?")
      .hint("garp_master_delay", "did you mean 'garp_delay'?")
      .hint("garp_master_refresh", "did you mean 'garp_refresh'?")
      .hint("unicast_peer", "did you mean 'unicast_peers'?")
      .hint("unicast_src_ip", "adverts are sent from the port's own address")
      .hint("mcast_src_ip", "adverts are sent from the port's own address")
      .hint("track_script", "dplb tracks its backends: track_backends = [{ backend = \"NAME\", weight = -60 }]")
      .hint("track", "did you mean 'track_backends'?")
      .hint("v3_checksum_as_v2", "write v3_checksum = \"rfc9568\"")
      .hint("vrrp_version", "did you mean 'version'?")
      .hint("notify_master", "one script is run for every change of state: notify = \"PATH\"")
      .hint("notify_backup", "one script is run for every change of state: notify = \"PATH\"")
      .hint("notify_fault", "one script is run for every change of state: notify = \"PATH\"")
      .hint("notify_stop", "one script is run for every change of state: notify = \"PATH\"");
  return s;
}

// ---- Checks across keys and sections ----------------------------------

std::string instance_at(const VrrpConfig& v) {
  return "[[vrrp]] '" + v.name + "' (line " + std::to_string(v.where.line) + ")";
}

// The keys whose meaning depends on `version`, and the ones that contradict
// each other. Runs with the table at hand, because only the table tells a
// `version` that was refused (and already reported) from one left out: then
// there is nothing to compare the other keys with. Reported at the dependent
// key, since `version` is one line that both readings share.
void check_instance_keys(const toml::table& table, const VrrpConfig& v, Diagnostics& d) {
  const bool version_known = !table.contains("version") || v.positions.count("version");
  const bool v3 = v.version == 3;
  if (auto at = v.positions.find("advert_int"); at != v.positions.end() && version_known) {
    const std::string shown = format_advert_interval(v.advert_int_cs);
    if (!v3 && v.advert_int_cs % 100 != 0) {
      d.error(at->second, "vrrp.advert_int: " + shown +
                              " s is not a whole number of seconds, which VRRPv2 advertises; write a whole number "
                              "or set version = 3");
    } else if (v3 && v.advert_int_cs > kMaxV3AdvertCentiseconds) {
      d.error(at->second, "vrrp.advert_int: " + shown + " s is above 40.95 s, the longest interval VRRPv3 carries");
    }
  }
  if (auto at = v.positions.find("auth_pass"); at != v.positions.end() && version_known && v3) {
    d.error(at->second,
            "vrrp.auth_pass: VRRPv3 has no authentication, and version is 3; remove auth_pass or set version = 2");
  }
  if (auto at = v.positions.find("v3_checksum"); at != v.positions.end() && version_known && !v3) {
    d.error(at->second, "vrrp.v3_checksum: applies to VRRPv3 only, and version is 2" +
                            std::string(v.positions.count("version") ? "" : " (the default)") +
                            "; set version = 3 or remove v3_checksum");
  }
  const bool state_known = !table.contains("state") || v.positions.count("state");
  const bool priority_known = !table.contains("priority") || v.positions.count("priority");
  if (!v.preempt && v.positions.count("preempt") && state_known && priority_known) {
    const SourcePosition at = v.positions.at("preempt");
    if (v.priority == kVrrpPriorityOwner) {
      d.error(at, "vrrp.preempt: an address owner (priority 255" +
                      std::string(v.positions.count("priority") ? "" : ", from state = \"MASTER\"") +
                      ") always takes over; preempt = false needs a priority below 255");
    } else if (v.state == VrrpState::master) {
      d.error(at,
              "vrrp.preempt: preempt = false needs state = \"BACKUP\": an instance that starts as MASTER takes "
              "over at once, whatever the other routers' priorities");
    } else if (auto delay = v.positions.find("preempt_delay"); delay != v.positions.end()) {
      d.error(delay->second,
              "vrrp.preempt_delay: applies only when preempt = true; remove preempt_delay or preempt = false");
    }
  }
  if (v.priority == kVrrpPriorityOwner && priority_known && state_known) {
    for (const auto& t : v.track_backends) {
      if (t.weight == 0 || !t.positions.count("weight")) continue;
      d.error(t.positions.at("weight"),
              "vrrp.track_backends.weight: the priority of an address owner (255" +
                  std::string(v.positions.count("priority") ? "" : ", from state = \"MASTER\"") +
                  ") never changes; use weight 0 (FAULT while the backend has no server up) or a priority "
                  "below 255");
    }
  }
}

int find_port(const Config& config, const VrrpConfig& v, Diagnostics& d) {
  if (!v.positions.count("port")) return -1;
  for (std::size_t p = 0; p < config.ports.size(); ++p) {
    if (config.ports[p].name == v.port) return static_cast<int>(p);
  }
  std::vector<std::string> names;
  for (const auto& p : config.ports) names.push_back(p.name);
  std::string message = "vrrp.port: no [[port]] is named '" + v.port + "'";
  auto matches = close_matches(v.port, names, 1);
  if (!matches.empty()) message += "; did you mean '" + matches.front() + "'?";
  d.error(v.positions.at("port"), message);
  return -1;
}

void check_virtual_addresses(const Config& config, std::size_t index, int port_index, Diagnostics& d) {
  const VrrpConfig& v = config.vrrp[index];
  if (!v.positions.count("virtual_addresses")) return;
  const PortConfig* port = port_index < 0 ? nullptr : &config.ports[static_cast<std::size_t>(port_index)];
  if (v.virtual_addresses.size() > kVrrpMaxVirtualAddresses) {
    d.error(v.positions.at("virtual_addresses"),
            "vrrp.virtual_addresses: " + std::to_string(v.virtual_addresses.size()) + " addresses; dplb takes at most " +
                std::to_string(kVrrpMaxVirtualAddresses) +
                " per port (every worker keeps them in a fixed table); spread them over fewer instances or ports");
  } else if (port != nullptr) {
    // Every instance on the port shares the workers' table of that port.
    std::size_t on_port = 0;
    for (std::size_t k = 0; k <= index; ++k) {
      if (config.vrrp[k].port == v.port) on_port += config.vrrp[k].virtual_addresses.size();
    }
    if (on_port > kVrrpMaxVirtualAddresses) {
      d.error(v.positions.at("virtual_addresses"),
              "vrrp.virtual_addresses: port '" + port->name + "' now has " + std::to_string(on_port) +
                  " virtual addresses across its [[vrrp]] instances; dplb takes at most " +
                  std::to_string(kVrrpMaxVirtualAddresses) + " per port");
    }
    const std::size_t most = vrrp_max_virtual_addresses(port->mtu, v.version);
    if (v.virtual_addresses.size() > most) {
      d.error(v.positions.at("virtual_addresses"),
              "vrrp.virtual_addresses: " + std::to_string(v.virtual_addresses.size()) +
                  " addresses, but one VRRPv" + std::to_string(v.version) + " advertisement on port '" + port->name +
                  "' (mtu " + std::to_string(port->mtu) + ") carries at most " + std::to_string(most));
    }
  }
  for (std::size_t k = 0; k < v.virtual_addresses.size() && k < v.virtual_address_positions.size(); ++k) {
    const Ipv4Prefix& vip = v.virtual_addresses[k];
    const SourcePosition where = v.virtual_address_positions[k];
    const std::string shown = vip.address.to_string();
    bool reported = false;
    for (const auto& p : config.ports) {
      if (p.positions.count("address") && p.address.address == vip.address) {
        d.error(where, "vrrp.virtual_addresses: " + shown + " is port '" + p.name +
                           "' own address; a virtual address must be one no router owns");
        reported = true;
      }
    }
    if (!reported && port != nullptr && port->positions.count("address")) {
      const Ipv4Prefix& a = port->address;
      const std::string subnet = Ipv4Prefix{a.network(), a.length}.to_string();
      if (!a.contains(vip.address)) {
        d.error(where, "vrrp.virtual_addresses: " + shown + " is not inside port '" + port->name + "' subnet " +
                           subnet + "; dplb answers ARP for a virtual address only on its instance's port");
        reported = true;
      } else if (a.length <= 30 && (vip.address == a.network() || vip.address == a.broadcast())) {
        d.error(where, "vrrp.virtual_addresses: " + shown + " is the " +
                           (vip.address == a.network() ? "network" : "broadcast") + " address of port '" +
                           port->name + "' subnet " + subnet);
        reported = true;
      } else if (vip.length < a.length) {
        d.error(where, "vrrp.virtual_addresses: " + vip.to_string() + " is wider than port '" + port->name +
                           "' subnet " + subnet + "; write /" + std::to_string(a.length) + " (or /32)");
        reported = true;
      }
    }
    if (reported) continue;
    // Two instances owning one address would answer ARP for it together.
    for (std::size_t j = 0; j < index && !reported; ++j) {
      const VrrpConfig& other = config.vrrp[j];
      for (const auto& o : other.virtual_addresses) {
        if (o.address != vip.address) continue;
        d.error(where, "vrrp.virtual_addresses: " + shown + " is already a virtual address of " + instance_at(other));
        reported = true;
        break;
      }
    }
  }
}

void check_unicast_peers(const Config& config, const VrrpConfig& v, Diagnostics& d) {
  for (std::size_t k = 0; k < v.unicast_peers.size() && k < v.unicast_peer_positions.size(); ++k) {
    const Ipv4Address peer = v.unicast_peers[k];
    const SourcePosition where = v.unicast_peer_positions[k];
    const std::string shown = peer.to_string();
    bool reported = false;
    for (const auto& p : config.ports) {
      if (p.positions.count("address") && p.address.address == peer) {
        d.error(where, "vrrp.unicast_peers: " + shown + " is port '" + p.name +
                           "' own address; list the other routers' addresses");
        reported = true;
      }
    }
    if (reported) continue;
    if (const VrrpConfig* owner = config.vrrp_owning(peer)) {
      d.error(where, "vrrp.unicast_peers: " + shown + " is a virtual address of " + instance_at(*owner) +
                         "; list the other routers' own addresses");
      continue;
    }
    if (!config.has_route(peer)) {
      d.error(where, "vrrp.unicast_peers: no route to " + shown +
                         ": it is outside every [[port]] subnet, no [[route]] covers it and no port has a gateway");
    }
  }
}

void check_track_backends(const Config& config, const VrrpConfig& v, Diagnostics& d) {
  std::vector<std::string> names;
  for (const auto& b : config.backends) {
    // A backend whose name was refused cannot be told apart from a missing one.
    if (!b.positions.count("name")) return;
    names.push_back(b.name);
  }
  for (std::size_t i = 0; i < v.track_backends.size(); ++i) {
    const VrrpTrackBackend& t = v.track_backends[i];
    if (!t.positions.count("backend")) continue;
    const SourcePosition where = t.positions.at("backend");
    if (std::find(names.begin(), names.end(), t.backend) == names.end()) {
      std::string message = "vrrp.track_backends.backend: no [[backend]] is named '" + t.backend + "'";
      if (names.empty()) {
        message += "; the file defines no [[backend]]";
      } else {
        auto matches = close_matches(t.backend, names, 1);
        if (!matches.empty()) message += "; did you mean '" + matches.front() + "'?";
      }
      d.error(where, message);
      continue;
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (v.track_backends[j].backend == t.backend) {
        d.error(where, "vrrp.track_backends.backend: '" + t.backend + "' is already tracked by this instance");
        break;
      }
    }
  }
}

}  // namespace

std::size_t vrrp_max_virtual_addresses(uint32_t mtu, uint8_t version) {
  // IPv4 header 20, VRRP header 8, and v2's 8 bytes of authentication data.
  const uint32_t fixed = 20 + 8 + (version == 2 ? 8 : 0);
  const uint32_t room = mtu > fixed ? (mtu - fixed) / 4 : 0;
  return std::min<std::size_t>(room, 255);
}

std::string format_advert_interval(uint16_t centiseconds) {
  std::string out = std::to_string(centiseconds / 100);
  const unsigned fraction = centiseconds % 100;
  if (fraction == 0) return out;
  out += fraction < 10 ? ".0" + std::to_string(fraction) : "." + std::to_string(fraction);
  if (out.back() == '0') out.pop_back();
  return out;
}

FieldSpec<Config> vrrp_list() {
  FieldSpec<Config> spec = table_array(&Config::vrrp, vrrp_schema());
  spec.decode = [decode = spec.decode](const toml::node& node, const std::string& path, Config& out,
                                       Diagnostics& d) {
    const std::size_t before = out.vrrp.size();
    decode(node, path, out, d);
    const auto* array = node.as_array();
    if (array == nullptr || !array->is_array_of_tables()) return;
    for (std::size_t i = before, k = 0; i < out.vrrp.size() && k < array->size(); ++i, ++k) {
      VrrpConfig& v = out.vrrp[i];
      // keepalived: without a priority, MASTER means the address owner
      // (255), anything else VRRP_PRIO_DFL (100).
      if (!v.positions.count("priority")) {
        v.priority = v.state == VrrpState::master ? kVrrpPriorityOwner : kVrrpPriorityDefault;
      }
      check_instance_keys(*array->get(k)->as_table(), v, d);
    }
  };
  return spec;
}

void check_vrrp(const Config& config, Diagnostics& d) {
  for (std::size_t i = 0; i < config.vrrp.size(); ++i) {
    const VrrpConfig& v = config.vrrp[i];
    if (v.positions.count("name")) {
      for (std::size_t j = 0; j < i; ++j) {
        if (config.vrrp[j].positions.count("name") && config.vrrp[j].name == v.name) {
          d.error(v.positions.at("name"), "vrrp.name: duplicate vrrp name '" + v.name + "' (first defined at line " +
                                              std::to_string(config.vrrp[j].where.line) + ")");
          break;
        }
      }
    }
    const int port = find_port(config, v, d);
    if (port >= 0 && v.positions.count("virtual_router_id")) {
      for (std::size_t j = 0; j < i; ++j) {
        const VrrpConfig& other = config.vrrp[j];
        if (other.port != v.port || other.virtual_router_id != v.virtual_router_id ||
            !other.positions.count("virtual_router_id")) {
          continue;
        }
        d.error(v.positions.at("virtual_router_id"),
                "vrrp.virtual_router_id: " + std::to_string(v.virtual_router_id) + " is already used on port '" +
                    v.port + "' by " + instance_at(other) +
                    "; each virtual router on a segment needs its own id (and its own virtual MAC)");
        break;
      }
    }
    check_virtual_addresses(config, i, port, d);
    check_unicast_peers(config, v, d);
    check_track_backends(config, v, d);
  }
}

}  // namespace dplb::conf
