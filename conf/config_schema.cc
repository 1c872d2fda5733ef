#include "conf/config_schema.h"

#include "conf/config_sections.h"
#include "conf/vrrp_config.h"

namespace dplb::conf {
namespace {

TableSchema<Config> build_config_schema() {
  TableSchema<Config> s("", "");
  s.optional("dataplane", table(&Config::dataplane, dataplane_schema()))
      .optional("console", table(&Config::console, console_schema()))
      .optional("log", table(&Config::log, log_schema()))
      .optional("tcp", table(&Config::tcp, tcp_schema()))
      .optional("port", table_array(&Config::ports, port_schema()))
      .optional("arp", table_array(&Config::static_arp, static_arp_schema()))
      .optional("route", table_array(&Config::routes, route_schema()))
      .optional("frontend", table_array(&Config::frontends, frontend_schema()))
      .optional("backend", backend_list())
      .optional("vrrp", vrrp_list())
      .hint("vrrp_instance", "a VRRP instance is written [[vrrp]]");
  return s;
}

}  // namespace

const TableSchema<Config>& config_schema() {
  static const TableSchema<Config> schema = build_config_schema();
  return schema;
}

std::vector<KeyDoc> config_key_docs() { return config_schema().docs(); }

}  // namespace dplb::conf
