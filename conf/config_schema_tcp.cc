#include "conf/config_sections.h"

namespace dplb::conf {
namespace {

std::string convert_congestion(const std::string& text, CongestionControl& out) {
  return convert_enum<CongestionControl, 2>(text, out, {CongestionControl::cubic, CongestionControl::newreno},
                                            congestion_name);
}

// A range of ports written as [first, last], like net.ipv4.ip_local_port_range.
FieldSpec<TcpConfig> port_range(uint16_t TcpConfig::*first, uint16_t TcpConfig::*last, int64_t min, int64_t max) {
  return {"array of integers",
          "two ports [first, last], each " + std::to_string(min) + ".." + std::to_string(max) + ", first <= last",
          [=](const toml::node& node, const std::string& path, TcpConfig& out, Diagnostics& d) {
            const auto* array = node.as_array();
            if (array == nullptr) return report_type(d, node, path, "an array of two integers");
            std::vector<int64_t> values;
            for (const auto& element : *array) {
              const auto* value = element.as_integer();
              if (value == nullptr) return report_type(d, element, path, "an integer in the array");
              if (value->get() < min || value->get() > max) {
                return report_range(d, element, path, value->get(), min, max);
              }
              values.push_back(value->get());
            }
            if (values.size() != 2) {
              d.error(position_of(node), path + ": must list exactly two ports, the first and the last of the range " +
                                             "(got " + std::to_string(values.size()) + ")");
              return;
            }
            if (values[0] > values[1]) {
              d.error(position_of(node), path + ": the first port " + std::to_string(values[0]) +
                                             " is above the last port " + std::to_string(values[1]));
              return;
            }
            out.*first = static_cast<uint16_t>(values[0]);
            out.*last = static_cast<uint16_t>(values[1]);
          },
          {}};
}

}  // namespace

TableSchema<TcpConfig> tcp_schema() {
  TableSchema<TcpConfig> s("[tcp]", "tcp");
  s.optional("max_connections", integer_in(&TcpConfig::max_connections, 16, 4194304))
      .optional("connection_buffer", integer_in(&TcpConfig::connection_buffer, 4096, 16777216))
      .optional("worker_buffer", integer_in(&TcpConfig::worker_buffer, 65536, 68719476736))
      .optional("syn_backlog", integer_in(&TcpConfig::syn_backlog, 1, 65535))
      .optional("syn_cookies", boolean(&TcpConfig::syn_cookies))
      .optional("congestion", string_as<TcpConfig, CongestionControl>(&TcpConfig::congestion, "string",
                                                                      "cubic, newreno", convert_congestion))
      .optional("min_rto", duration_in(&TcpConfig::min_rto, ms(1), seconds(10)))
      .optional("initial_rto", duration_in(&TcpConfig::initial_rto, ms(1), seconds(60)))
      .optional("max_rto", duration_in(&TcpConfig::max_rto, ms(100), seconds(600)))
      .optional("delayed_ack", duration_in(&TcpConfig::delayed_ack, Duration{0}, ms(500)))
      .optional("time_wait", duration_in(&TcpConfig::time_wait, Duration{0}, seconds(300)))
      .optional("fin_wait_2", duration_in(&TcpConfig::fin_wait_2, seconds(1), seconds(600)))
      .optional("syn_retries", integer_in(&TcpConfig::syn_retries, 1, 20))
      .optional("retries", integer_in(&TcpConfig::retries, 1, 30))
      .optional("orphan_retries", integer_in(&TcpConfig::orphan_retries, 1, 30))
      .optional("keepalive", boolean(&TcpConfig::keepalive))
      .optional("keepalive_idle", duration_in(&TcpConfig::keepalive_idle, seconds(1), seconds(86400)))
      .optional("keepalive_interval", duration_in(&TcpConfig::keepalive_interval, seconds(1), seconds(3600)))
      .optional("keepalive_probes", integer_in(&TcpConfig::keepalive_probes, 1, 50))
      .optional("sack", boolean(&TcpConfig::sack))
      .optional("timestamps", boolean(&TcpConfig::timestamps))
      .optional("window_scaling", boolean(&TcpConfig::window_scaling))
      .optional("local_ports", port_range(&TcpConfig::local_port_first, &TcpConfig::local_port_last, 1024, 65535))
      .optional("challenge_ack_limit", integer_in(&TcpConfig::challenge_ack_limit, 1, 1'000'000));
  return s;
}

}  // namespace dplb::conf
