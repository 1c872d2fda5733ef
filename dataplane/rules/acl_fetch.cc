#include "dataplane/rules/acl_fetch.h"

#include <array>

namespace dplb::rules {
namespace {

constexpr std::array<FetchInfo, 19> kFetches{{
    {"method", Fetch::method, SampleType::string, FetchArgument::none, FetchScope::request},
    {"path", Fetch::path, SampleType::string, FetchArgument::none, FetchScope::request},
    {"url", Fetch::url, SampleType::string, FetchArgument::none, FetchScope::request},
    {"query", Fetch::query, SampleType::string, FetchArgument::none, FetchScope::request},
    {"url_param", Fetch::url_param, SampleType::string, FetchArgument::required, FetchScope::request},
    {"hdr", Fetch::hdr, SampleType::string, FetchArgument::required},
    {"fhdr", Fetch::fhdr, SampleType::string, FetchArgument::required},
    {"hdr_cnt", Fetch::hdr_cnt, SampleType::integer, FetchArgument::optional},
    {"req.hdr_cnt", Fetch::hdr_cnt, SampleType::integer, FetchArgument::optional, FetchScope::request},
    {"src", Fetch::src, SampleType::address, FetchArgument::none},
    {"dst", Fetch::dst, SampleType::address, FetchArgument::none},
    {"src_port", Fetch::src_port, SampleType::integer, FetchArgument::none},
    {"dst_port", Fetch::dst_port, SampleType::integer, FetchArgument::none},
    {"ssl_fc", Fetch::ssl_fc, SampleType::boolean, FetchArgument::none},
    {"ssl_fc_sni", Fetch::ssl_fc_sni, SampleType::string, FetchArgument::none},
    {"status", Fetch::status, SampleType::integer, FetchArgument::none, FetchScope::response},
    {"req.ver", Fetch::req_ver, SampleType::string, FetchArgument::none},
    {"always_true", Fetch::always_true, SampleType::boolean, FetchArgument::none},
    {"always_false", Fetch::always_false, SampleType::boolean, FetchArgument::none},
}};

}  // namespace

const char* fetch_scope_problem(FetchScope scope, RuleContext context) {
  if (scope == FetchScope::response && context == RuleContext::request) {
    return "tests the response status, which a request rule cannot see";
  }
  if (scope == FetchScope::request && context == RuleContext::response) {
    // dplb keeps no copy of the request line once it went to the server.
    return "reads the request, which a response rule cannot see (it sees the response's own fields)";
  }
  return nullptr;
}

const FetchInfo* find_fetch(std::string_view name) {
  for (const FetchInfo& f : kFetches) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::size_t fetch_count() { return kFetches.size(); }
const FetchInfo& fetch_at(std::size_t i) { return kFetches[i]; }

std::string_view target_path(std::string_view target) {
  if (!target.empty() && target.front() != '/') {
    // absolute-form (RFC 9112 3.2.2): skip scheme://authority.
    const auto scheme_end = target.find("://");
    if (scheme_end != std::string_view::npos) {
      const auto slash = target.find('/', scheme_end + 3);
      if (slash == std::string_view::npos) return "/";
      target.remove_prefix(slash);
    }
  }
  const auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

std::string_view target_query(std::string_view target) {
  const auto q = target.find('?');
  return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

}  // namespace dplb::rules
