#include "dataplane/port/flow_steering.h"

#include <rte_byteorder.h>
#include <rte_flow.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include <cstring>

namespace dplb::dataplane {
namespace {

// One rule: echo replies to our address whose identifier's low bits are
// `worker` go to queue `worker`.
struct EchoReplyRule {
  rte_flow_attr attr{};
  rte_flow_item_ipv4 ip_spec{};
  rte_flow_item_ipv4 ip_mask{};
  rte_flow_item_icmp icmp_spec{};
  rte_flow_item_icmp icmp_mask{};
  rte_flow_item pattern[4]{};
  rte_flow_action_queue queue{};
  rte_flow_action actions[2]{};

  EchoReplyRule(uint32_t port_ipv4, uint16_t worker, uint16_t workers) {
    attr.ingress = 1;
    ip_spec.hdr.dst_addr = rte_cpu_to_be_32(port_ipv4);
    ip_spec.hdr.next_proto_id = IPPROTO_ICMP;
    ip_mask.hdr.dst_addr = UINT32_MAX;
    ip_mask.hdr.next_proto_id = 0xff;
    icmp_spec.hdr.icmp_type = RTE_IP_ICMP_ECHO_REPLY;
    icmp_spec.hdr.icmp_ident = rte_cpu_to_be_16(worker);
    icmp_mask.hdr.icmp_type = 0xff;
    icmp_mask.hdr.icmp_ident = rte_cpu_to_be_16(static_cast<uint16_t>(workers - 1));
    pattern[0].type = RTE_FLOW_ITEM_TYPE_ETH;
    pattern[1].type = RTE_FLOW_ITEM_TYPE_IPV4;
    pattern[1].spec = &ip_spec;
    pattern[1].mask = &ip_mask;
    pattern[2].type = RTE_FLOW_ITEM_TYPE_ICMP;
    pattern[2].spec = &icmp_spec;
    pattern[2].mask = &icmp_mask;
    pattern[3].type = RTE_FLOW_ITEM_TYPE_END;
    queue.index = worker;
    actions[0].type = RTE_FLOW_ACTION_TYPE_QUEUE;
    actions[0].conf = &queue;
    actions[1].type = RTE_FLOW_ACTION_TYPE_END;
  }
};

std::string describe(const rte_flow_error& error, int rc) {
  if (error.message != nullptr) return error.message;
  return std::strerror(-rc);
}

}  // namespace

SteeringTier install_flow_steering(uint16_t ethdev, uint32_t port_ipv4, uint16_t workers) {
  if (workers < 2) return {"single worker", ""};
  if ((workers & (workers - 1)) != 0) {
    return {"software redirect", "rte_flow rules need a power-of-two number of workers"};
  }
  for (uint16_t w = 0; w < workers; ++w) {
    EchoReplyRule rule(port_ipv4, w, workers);
    rte_flow_error error{};
    if (int rc = rte_flow_validate(ethdev, &rule.attr, rule.pattern, rule.actions, &error); rc != 0) {
      return {"software redirect", "the device refuses rte_flow rules: " + describe(error, rc)};
    }
  }
  for (uint16_t w = 0; w < workers; ++w) {
    EchoReplyRule rule(port_ipv4, w, workers);
    rte_flow_error error{};
    if (rte_flow_create(ethdev, &rule.attr, rule.pattern, rule.actions, &error) == nullptr) {
      rte_flow_flush(ethdev, &error);
      return {"software redirect", "rte_flow rule creation failed: " + describe(error, -EINVAL)};
    }
  }
  return {"rte_flow", ""};
}

}  // namespace dplb::dataplane
