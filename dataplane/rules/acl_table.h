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
};

struct Condition {
  bool unless = false;
  // OR of ANDs; empty: no condition (always applies).
  std::vector<std::vector<ConditionTerm>> alternatives;
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

 private:
  std::optional<RuleError> parse_acl(std::string_view text, std::size_t column_base, Acl* out,
                                     FetchScope* scope) const;
  void predefine(std::string_view name, std::string_view text);
  bool group_matches(uint32_t group, const MessageFacts& m, RegexScratch& scratch) const;

  std::vector<Acl> acls_;
  std::vector<Group> groups_;
  std::map<std::string, uint32_t, std::less<>> by_name_;
};

}  // namespace dplb::rules
