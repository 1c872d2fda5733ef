// Evaluating a compiled condition: the worker's side, no allocation.

#include "dataplane/rules/acl_table.h"

namespace dplb::rules {


bool AclTable::group_matches(uint32_t group, const MessageFacts& m, RegexScratch& scratch) const {
  const Span span = spans_[group];
  if (span.count == 1) {
    const Probe& p = probes_[span.first];
    return p.match(*this, p, m, scratch);
  }
  for (uint32_t i = 0; i < span.count; ++i) {
    const Probe& p = probes_[members_[span.first + i]];
    if (p.match(*this, p, m, scratch)) return true;
  }
  return false;
}

bool AclTable::evaluate(const Condition& c, const MessageFacts& m, RegexScratch& scratch) const {
  if (c.term_count == 0) return true;
  const ConditionTerm* t = terms_.data() + c.first_term;
  const ConditionTerm* const end = t + c.term_count;
  bool result = false;
  bool all = true;  // the current AND group so far
  for (; t != end; ++t) {
    // Once a term fails, the rest of its AND group is skipped unevaluated.
    if (all && group_matches(t->group, m, scratch) == t->negate) all = false;
    if (t->ends_alternative) {
      if (all) {
        result = true;
        break;
      }
      all = true;
    }
  }
  return c.unless ? !result : result;
}

}  // namespace dplb::rules
