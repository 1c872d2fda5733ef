#pragma once

// The ACLs of one frontend or backend and the conditions its rules test:
// named ACLs (a name defined on several lines matches when any line does,
// as in HAProxy), HAProxy's predefined ones (METH_GET, LOCALHOST, ...), and
// the anonymous `{ ... }` ones written inside conditions. The control plane
// compiles everything once; workers only evaluate, without allocating.
//
// A condition is HAProxy's: ACL names, implicit AND between them, `||` (or
// `or`) between AND groups, `!` before one ACL; no parentheses. `if` or
// `unless` decides what its result means.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/rules/acl.h"

namespace dplb::rules {

// A mistake in an ACL definition or a condition: the column (1-based, in
// the text as written) and what is wrong.
struct RuleError {
  std::size_t column = 1;
  std::string message;
};

struct ConditionTerm {
  uint32_t group = 0;  // an AclTable group
  bool negate = false;
  bool ends_alternative = false;  // the last term of an AND group (before `||` or the end)
};

// The terms live in the AclTable, one array for all its conditions, so a
// rule list's conditions share a few cache lines (see AclTable).
struct Condition {
  uint32_t first_term = 0;
  uint32_t term_count = 0;  // OR of ANDs; 0: no condition (always applies)
  bool unless = false;
  std::string text;  // as written, for show rules
};

class AclTable {
 public:
  AclTable();  // with the predefined ACLs
  AclTable(AclTable&&) = default;
  AclTable& operator=(AclTable&&) = default;

  // `acl NAME TEXT`: TEXT is "fetch [flags] patterns". Defining a name
  // again adds a line to it.
  std::optional<RuleError> define(std::string_view name, std::string_view text);
  // Compiles `if TEXT` (or `unless TEXT`) for a rule running in `context`.
  std::optional<RuleError> compile(std::string_view text, bool unless, RuleContext context, Condition* out);

  bool evaluate(const Condition& c, const MessageFacts& m, RegexScratch& scratch) const;

  struct Group {
    std::string name;  // "" for an anonymous ACL
    bool predefined = false;
    bool needs_response = false;  // uses `status`
    bool needs_request = false;   // reads the request line
    std::vector<uint32_t> acls;
  };
  const std::vector<Group>& groups() const { return groups_; }
  const std::vector<Acl>& acls() const { return acls_; }
  const ConditionTerm* terms(const Condition& c) const { return terms_.data() + c.first_term; }

 private:
  // What a worker reads, flat: a condition is a run of terms_, a group a
  // span, an ACL a probe whose patterns sit in one arena, instead of
  // vectors of vectors, named groups and ACLs with their strings on the
  // heap. With the inline header-name comparison, this took the benchmark's
  // 20 rules, timed one by one, from 144 to 99 ns (docs/performance.md).
  struct Probe;
  // One function per (fetch, match method, -i), made by a template, so a
  // probe costs one indirect call and straight code instead of four
  // switches whose targets change from one probe to the next: the 20 rules
  // run together went from 227 to 175 ns, one by one from 99 to 55.
  using ProbeFunction = bool (*)(const AclTable&, const Probe&, const MessageFacts&, RegexScratch&);
  struct Probe {
    ProbeFunction match = nullptr;
    uint32_t argument_offset = 0;  // in text_
    uint32_t argument_size = 0;
    uint32_t first_pattern = 0;    // in the array its method uses
    uint32_t pattern_count = 0;
  };
  struct Span {
    uint32_t first = 0;  // with count 1 the ACL itself, else in members_
    uint32_t count = 0;
  };
  struct TextRef {
    uint32_t offset = 0;  // in text_
    uint32_t size = 0;
  };

  std::optional<RuleError> parse_acl(std::string_view text, std::size_t column_base, Acl* out,
                                     FetchScope* scope) const;
  void predefine(std::string_view name, std::string_view text);
  uint32_t add_acl(Acl&& acl);
  void set_span(uint32_t group);
  std::string_view text_at(uint32_t offset, uint32_t size) const { return {text_.data() + offset, size}; }
  bool group_matches(uint32_t group, const MessageFacts& m, RegexScratch& scratch) const;
  static ProbeFunction probe_function(Fetch fetch, MatchMethod method, bool ignore_case);
  template <Fetch F, MatchMethod M, bool I>
  static bool string_probe(const AclTable& t, const Probe& p, const MessageFacts& m, RegexScratch& scratch);
  template <Fetch F, MatchMethod M>
  static bool integer_probe(const AclTable& t, const Probe& p, const MessageFacts& m, RegexScratch& scratch);
  template <MatchMethod M, bool I>
  bool string_matches(const Probe& p, std::string_view sample, RegexScratch& scratch) const;
  template <Fetch F>
  static ProbeFunction string_function(MatchMethod method, bool ignore_case);
  template <Fetch F>
  static ProbeFunction integer_function(MatchMethod method);

  std::vector<ConditionTerm> terms_;
  std::vector<Span> spans_;  // per group
  std::vector<uint32_t> members_;
  std::vector<Probe> probes_;  // per ACL
  std::vector<TextRef> strings_;
  std::vector<IntegerRange> integers_;
  std::vector<Ipv4Network> networks_;
  std::vector<const pcre2_real_code_8*> regexes_;  // owned by acls_
  std::string text_;  // arguments and string patterns

  std::vector<Acl> acls_;
  std::vector<Group> groups_;
  std::map<std::string, uint32_t, std::less<>> by_name_;
};

}  // namespace dplb::rules
