#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dplb::conf {

// Levenshtein distance, with a swap of two neighbouring letters counted as
// one edit (optimal string alignment); used to suggest the key or command an
// operator meant.
std::size_t edit_distance(std::string_view a, std::string_view b);

// Candidates close enough to `word` to be a plausible typo, best first. A
// candidate that starts with `word` also counts (an abbreviated command).
std::vector<std::string> close_matches(std::string_view word, const std::vector<std::string>& candidates,
                                       std::size_t limit = 3);

}  // namespace dplb::conf
