#pragma once

// The sample fetches an ACL can test (HAProxy's names, a subset: see
// docs/config.md), what kind of value each yields and where it makes sense,
// and how the samples are taken from a message. A fetch may yield several
// samples (a header present twice, or a list value): an ACL matches when
// any of them does, as in HAProxy.

#include <cstdint>
#include <string_view>

#include "dataplane/rules/message_facts.h"

namespace dplb::rules {

enum class Fetch : uint8_t {
  method,
  path,
  url,
  query,
  url_param,  // (name): the value of one query parameter
  hdr,        // (name): each comma-separated value of a field
  fhdr,       // (name): each whole field value
  hdr_cnt,    // (name) or all fields: how many there are
  src,
  dst,
  src_port,
  dst_port,
  ssl_fc,
  ssl_fc_sni,
  status,
  req_ver,    // "1.0" or "1.1"
  always_true,
  always_false,
};

enum class SampleType : uint8_t { string, integer, address, boolean };

enum class FetchArgument : uint8_t { none, required, optional };

// Where a rule runs; some fetches exist in one of them only.
enum class RuleContext : uint8_t { request, response };

// Which message a fetch reads when it is not the one being ruled on:
// `status` exists only for a response, the request line only for a
// request (a response rule sees the response's own fields).
enum class FetchScope : uint8_t { any, request, response };

struct FetchInfo {
  std::string_view name;
  Fetch fetch;
  SampleType type;
  FetchArgument argument;
  FetchScope scope = FetchScope::any;
};

// Why a fetch of `scope` cannot be used in `context`; nullptr when it can.
const char* fetch_scope_problem(FetchScope scope, RuleContext context);

// The catalogue, for lookups and did-you-mean suggestions.
const FetchInfo* find_fetch(std::string_view name);
std::size_t fetch_count();
const FetchInfo& fetch_at(std::size_t i);

// Calls f(sample) for each string sample of `fetch` (string fetches only)
// until f returns true; returns whether it did.
template <class F>
bool for_each_string_sample(Fetch fetch, std::string_view argument, const MessageFacts& m, F&& f);

// The integer, address or boolean sample; false when there is none.
inline bool integer_sample(Fetch fetch, std::string_view argument, const MessageFacts& m, int64_t* out);

// The path of a request target: origin-form up to '?', or the path part of
// an absolute-form target ("/" when it has none).
std::string_view target_path(std::string_view target);
std::string_view target_query(std::string_view target);

// Inline: every header lookup runs it once per field, and most names
// differ in length.
inline bool ascii_iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

}  // namespace dplb::rules

#include "dataplane/rules/acl_fetch_samples.h"
