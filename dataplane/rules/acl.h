#pragma once

// One compiled ACL: a fetch, a match method and its patterns (HAProxy's
// `acl NAME FETCH [FLAGS] [-m METHOD] PATTERN...`). Built by the control
// plane (acl_compiler.h) and read-only afterwards; matching allocates
// nothing. Regular expressions are PCRE2, compiled and JIT-compiled once;
// the match data a match needs is the caller's (one per worker), because a
// compiled ACL is shared by every worker.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/rules/acl_fetch.h"

struct pcre2_real_code_8;
struct pcre2_real_match_data_8;

namespace dplb::rules {

enum class MatchMethod : uint8_t {
  str,    // exact
  beg,    // prefix
  end,    // suffix
  sub,    // substring
  dir,    // a slash-delimited part: "/img" matches "/img/a.png" and "/x/img"
  dom,    // a dot-delimited part: "example.com" matches "www.example.com"
  reg,    // PCRE2
  len,    // the sample's length against integer patterns
  found,  // the sample exists
  integer,
  ip,     // CIDR membership
  boolean,
};

std::string_view match_method_name(MatchMethod m);

struct IntegerRange {
  int64_t low = 0;
  int64_t high = 0;
};

struct Ipv4Network {
  uint32_t address = 0;  // host order, masked
  uint32_t mask = 0;
};

struct CompiledRegex {
  pcre2_real_code_8* code = nullptr;
  explicit CompiledRegex(pcre2_real_code_8* c) : code(c) {}
  CompiledRegex(const CompiledRegex&) = delete;
  CompiledRegex& operator=(const CompiledRegex&) = delete;
  ~CompiledRegex();
};

// Compiles `pattern` with PCRE2 (JIT when the CPU allows). On a mistake,
// `*problem` says PCRE2's reason and offset, and
// `*offset` is where in the pattern, 0-based, for the caller to place.
std::unique_ptr<CompiledRegex> compile_regex(std::string_view pattern, bool caseless, std::string* problem,
                                             std::size_t* offset);

// Per-worker scratch for regular-expression matches: room for the whole
// match and the \1..\9 groups replace-header refers to.
inline constexpr uint32_t kRegexCaptures = 10;
class RegexScratch {
 public:
  RegexScratch();
  ~RegexScratch();
  RegexScratch(const RegexScratch&) = delete;
  RegexScratch& operator=(const RegexScratch&) = delete;
  pcre2_real_match_data_8* data() const { return data_; }

 private:
  pcre2_real_match_data_8* data_;
};

struct Acl {
  Fetch fetch = Fetch::always_true;
  std::string argument;  // the fetch's (name), lowercased for header names
  MatchMethod method = MatchMethod::boolean;
  bool ignore_case = false;
  std::vector<std::string> strings;  // str/beg/end/sub/dir/dom; lowercased with -i
  std::vector<IntegerRange> integers;
  std::vector<Ipv4Network> networks;
  std::vector<std::unique_ptr<CompiledRegex>> regexes;
  std::string text;  // as written, for show acl
};

}  // namespace dplb::rules
