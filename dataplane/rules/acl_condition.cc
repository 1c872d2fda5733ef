// Evaluating a compiled condition: the worker's side, no allocation.

#include "dataplane/rules/acl_table.h"

namespace dplb::rules {


bool AclTable::group_matches(uint32_t group, const MessageFacts& m, RegexScratch& scratch) const {
  for (uint32_t a : groups_[group].acls) {
    if (acls_[a].matches(m, scratch)) return true;
  }
  return false;
}

bool AclTable::evaluate(const Condition& c, const MessageFacts& m, RegexScratch& scratch) const {
  if (c.alternatives.empty()) return true;
  bool result = false;
  for (const auto& all : c.alternatives) {
    bool ok = true;
    for (const ConditionTerm& t : all) {
      if (group_matches(t.group, m, scratch) == t.negate) {
        ok = false;
        break;
      }
    }
    if (ok) {
      result = true;
      break;
    }
  }
  return c.unless ? !result : result;
}

}  // namespace dplb::rules
