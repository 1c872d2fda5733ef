#pragma once

// Builds test frames byte by byte, so a fixture reads like the packet it is.

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "dataplane/net/ethernet_classifier.h"

namespace dplb::testing {

using Bytes = std::vector<uint8_t>;
using dataplane::MacAddress;

inline constexpr MacAddress kBroadcastMac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

class FrameBuilder {
 public:
  FrameBuilder& ethernet(const MacAddress& destination, const MacAddress& source, uint16_t ethertype) {
    append(destination);
    append(source);
    u16(ethertype);
    return *this;
  }
  FrameBuilder& vlan(uint16_t tci, uint16_t inner_ethertype) {
    u16(tci);
    u16(inner_ethertype);
    return *this;
  }
  FrameBuilder& u8(uint8_t v) {
    bytes_.push_back(v);
    return *this;
  }
  FrameBuilder& u16(uint16_t v) {
    bytes_.push_back(static_cast<uint8_t>(v >> 8));
    bytes_.push_back(static_cast<uint8_t>(v));
    return *this;
  }
  FrameBuilder& u32(uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    return u16(static_cast<uint16_t>(v));
  }
  FrameBuilder& zeros(std::size_t n) {
    bytes_.resize(bytes_.size() + n, 0);
    return *this;
  }
  template <class Container>
  FrameBuilder& append(const Container& c) {
    bytes_.insert(bytes_.end(), c.begin(), c.end());
    return *this;
  }
  FrameBuilder& append(std::initializer_list<uint8_t> c) {
    bytes_.insert(bytes_.end(), c.begin(), c.end());
    return *this;
  }
  Bytes build() const { return bytes_; }

 private:
  Bytes bytes_;
};

}  // namespace dplb::testing
