#pragma once

// Internal to acl_fetch.h: the string sample iteration, inline because the
// matcher passes a lambda per pattern kind and it runs per request.

#include "dataplane/rules/acl_fetch.h"

namespace dplb::rules {

namespace fetch_internal {
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace fetch_internal

template <class F>
bool for_each_string_sample(Fetch fetch, std::string_view argument, const MessageFacts& m, F&& f) {
  switch (fetch) {
    case Fetch::method:
      return f(m.method);
    case Fetch::path:
      return f(target_path(m.target));
    case Fetch::url:
      return f(m.target);
    case Fetch::query: {
      const auto q = m.target.find('?');
      if (q == std::string_view::npos) return false;
      return f(m.target.substr(q + 1));
    }
    case Fetch::url_param: {
      std::string_view q = target_query(m.target);
      while (!q.empty()) {
        const auto amp = q.find('&');
        const std::string_view pair = q.substr(0, amp);
        const auto eq = pair.find('=');
        // Parameter names are case-sensitive, as in HAProxy.
        if (pair.substr(0, eq) == argument) {
          if (f(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1))) return true;
        }
        if (amp == std::string_view::npos) break;
        q.remove_prefix(amp + 1);
      }
      return false;
    }
    case Fetch::hdr:
      for (std::size_t i = 0; i < m.field_count; ++i) {
        if (!ascii_iequal(m.fields[i].name, argument)) continue;
        std::string_view v = m.fields[i].value;
        while (true) {
          const auto comma = v.find(',');
          if (f(fetch_internal::trim(v.substr(0, comma)))) return true;
          if (comma == std::string_view::npos) break;
          v.remove_prefix(comma + 1);
        }
      }
      return false;
    case Fetch::fhdr:
      for (std::size_t i = 0; i < m.field_count; ++i) {
        if (ascii_iequal(m.fields[i].name, argument) && f(m.fields[i].value)) return true;
      }
      return false;
    case Fetch::ssl_fc_sni:
      if (!m.tls || m.sni.empty()) return false;
      return f(m.sni);
    case Fetch::req_ver:
      return f(m.version_minor == 0 ? std::string_view("1.0") : std::string_view("1.1"));
    default:
      return false;
  }
}

inline bool integer_sample(Fetch fetch, std::string_view argument, const MessageFacts& m, int64_t* out) {
  switch (fetch) {
    case Fetch::hdr_cnt: {
      int64_t n = 0;
      for (std::size_t i = 0; i < m.field_count; ++i) {
        if (argument.empty() || ascii_iequal(m.fields[i].name, argument)) ++n;
      }
      *out = n;
      return true;
    }
    case Fetch::src: *out = m.src; return true;
    case Fetch::dst: *out = m.dst; return true;
    case Fetch::src_port: *out = m.src_port; return true;
    case Fetch::dst_port: *out = m.dst_port; return true;
    case Fetch::ssl_fc: *out = m.tls ? 1 : 0; return true;
    case Fetch::status:
      if (m.status == 0) return false;
      *out = m.status;
      return true;
    case Fetch::always_true: *out = 1; return true;
    case Fetch::always_false: *out = 0; return true;
    default:
      return false;
  }
}

}  // namespace dplb::rules
