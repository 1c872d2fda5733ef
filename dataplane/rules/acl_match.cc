#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "dataplane/rules/acl_table.h"

namespace dplb::rules {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool equal(std::string_view sample, std::string_view pattern, bool icase) {
  return icase ? ascii_iequal(sample, pattern) : sample == pattern;
}

bool contains(std::string_view sample, std::string_view pattern, bool icase) {
  if (!icase) return sample.find(pattern) != std::string_view::npos;
  if (pattern.size() > sample.size()) return false;
  for (std::size_t i = 0; i + pattern.size() <= sample.size(); ++i) {
    std::size_t k = 0;
    while (k < pattern.size() && lower(sample[i + k]) == pattern[k]) ++k;
    if (k == pattern.size()) return true;
  }
  return false;
}

// HAProxy's -m dir / -m dom: the pattern must appear bounded by the
// delimiter (or the sample's ends) on both sides.
bool delimited(std::string_view sample, std::string_view pattern, bool icase, char delimiter) {
  if (pattern.empty()) return false;
  std::size_t from = 0;
  while (from + pattern.size() <= sample.size()) {
    bool same = true;
    for (std::size_t k = 0; k < pattern.size() && same; ++k) {
      const char c = icase ? lower(sample[from + k]) : sample[from + k];
      same = c == pattern[k];
    }
    const std::size_t end = from + pattern.size();
    const bool left = from == 0 || sample[from - 1] == delimiter || pattern.front() == delimiter;
    const bool right = end == sample.size() || sample[end] == delimiter || pattern.back() == delimiter;
    if (same && left && right) return true;
    ++from;
  }
  return false;
}

}  // namespace

std::string_view match_method_name(MatchMethod m) {
  switch (m) {
    case MatchMethod::str: return "str";
    case MatchMethod::beg: return "beg";
    case MatchMethod::end: return "end";
    case MatchMethod::sub: return "sub";
    case MatchMethod::dir: return "dir";
    case MatchMethod::dom: return "dom";
    case MatchMethod::reg: return "reg";
    case MatchMethod::len: return "len";
    case MatchMethod::found: return "found";
    case MatchMethod::integer: return "int";
    case MatchMethod::ip: return "ip";
    case MatchMethod::boolean: return "bool";
  }
  return "?";
}

CompiledRegex::~CompiledRegex() { pcre2_code_free(code); }

RegexScratch::RegexScratch() : data_(pcre2_match_data_create(kRegexCaptures, nullptr)) {}
RegexScratch::~RegexScratch() { pcre2_match_data_free(data_); }

template <MatchMethod M, bool I>
bool AclTable::string_matches(const Probe& p, std::string_view sample, RegexScratch& scratch) const {
  if constexpr (M == MatchMethod::found) {
    return true;
  } else if constexpr (M == MatchMethod::len) {
    const auto n = static_cast<int64_t>(sample.size());
    for (uint32_t i = 0; i < p.pattern_count; ++i) {
      const IntegerRange& r = integers_[p.first_pattern + i];
      if (n >= r.low && n <= r.high) return true;
    }
    return false;
  } else if constexpr (M == MatchMethod::reg) {
    for (uint32_t i = 0; i < p.pattern_count; ++i) {
      const int rc = pcre2_match(regexes_[p.first_pattern + i], reinterpret_cast<PCRE2_SPTR>(sample.data()),
                                 sample.size(), 0, 0, scratch.data(), nullptr);
      // 0: matched, with more groups than the one-pair match data holds.
      if (rc >= 0) return true;
    }
    return false;
  } else {
    const TextRef* refs = strings_.data() + p.first_pattern;
    for (uint32_t i = 0; i < p.pattern_count; ++i) {
      const std::string_view pattern = text_at(refs[i].offset, refs[i].size);
      if constexpr (M == MatchMethod::str) {
        if (equal(sample, pattern, I)) return true;
      } else if constexpr (M == MatchMethod::beg) {
        if (sample.size() >= pattern.size() && equal(sample.substr(0, pattern.size()), pattern, I)) return true;
      } else if constexpr (M == MatchMethod::end) {
        if (sample.size() >= pattern.size() && equal(sample.substr(sample.size() - pattern.size()), pattern, I)) {
          return true;
        }
      } else if constexpr (M == MatchMethod::sub) {
        if (contains(sample, pattern, I)) return true;
      } else if constexpr (M == MatchMethod::dir) {
        if (delimited(sample, pattern, I, '/')) return true;
      } else if constexpr (M == MatchMethod::dom) {
        if (delimited(sample, pattern, I, '.')) return true;
      } else {
        return false;
      }
    }
    return false;
  }
}

template <Fetch F, MatchMethod M, bool I>
bool AclTable::string_probe(const AclTable& t, const Probe& p, const MessageFacts& m, RegexScratch& scratch) {
  return for_each_string_sample(F, t.text_at(p.argument_offset, p.argument_size), m,
                                [&](std::string_view sample) { return t.string_matches<M, I>(p, sample, scratch); });
}

template <Fetch F, MatchMethod M>
bool AclTable::integer_probe(const AclTable& t, const Probe& p, const MessageFacts& m, RegexScratch&) {
  int64_t value = 0;
  if (!integer_sample(F, t.text_at(p.argument_offset, p.argument_size), m, &value)) return false;
  if constexpr (M == MatchMethod::boolean) {
    return value != 0;
  } else if constexpr (M == MatchMethod::found) {
    return true;
  } else if constexpr (M == MatchMethod::ip) {
    for (uint32_t i = 0; i < p.pattern_count; ++i) {
      const Ipv4Network& n = t.networks_[p.first_pattern + i];
      if ((static_cast<uint32_t>(value) & n.mask) == n.address) return true;
    }
    return false;
  } else if constexpr (M == MatchMethod::integer) {
    for (uint32_t i = 0; i < p.pattern_count; ++i) {
      const IntegerRange& r = t.integers_[p.first_pattern + i];
      if (value >= r.low && value <= r.high) return true;
    }
    return false;
  } else {
    return false;
  }
}

template <Fetch F>
AclTable::ProbeFunction AclTable::string_function(MatchMethod method, bool ignore_case) {
  using M = MatchMethod;
  switch (method) {
    case M::str: return ignore_case ? &string_probe<F, M::str, true> : &string_probe<F, M::str, false>;
    case M::beg: return ignore_case ? &string_probe<F, M::beg, true> : &string_probe<F, M::beg, false>;
    case M::end: return ignore_case ? &string_probe<F, M::end, true> : &string_probe<F, M::end, false>;
    case M::sub: return ignore_case ? &string_probe<F, M::sub, true> : &string_probe<F, M::sub, false>;
    case M::dir: return ignore_case ? &string_probe<F, M::dir, true> : &string_probe<F, M::dir, false>;
    case M::dom: return ignore_case ? &string_probe<F, M::dom, true> : &string_probe<F, M::dom, false>;
    // The regex carries its own caselessness.
    case M::reg: return &string_probe<F, M::reg, false>;
    case M::len: return &string_probe<F, M::len, false>;
    case M::found: return &string_probe<F, M::found, false>;
    default: return &integer_probe<Fetch::always_false, M::boolean>;  // the compiler never pairs these
  }
}

template <Fetch F>
AclTable::ProbeFunction AclTable::integer_function(MatchMethod method) {
  using M = MatchMethod;
  switch (method) {
    case M::boolean: return &integer_probe<F, M::boolean>;
    case M::found: return &integer_probe<F, M::found>;
    case M::ip: return &integer_probe<F, M::ip>;
    case M::integer: return &integer_probe<F, M::integer>;
    default: return &integer_probe<Fetch::always_false, M::boolean>;  // the compiler never pairs these
  }
}

AclTable::ProbeFunction AclTable::probe_function(Fetch fetch, MatchMethod method, bool ignore_case) {
  switch (fetch) {
    case Fetch::method: return string_function<Fetch::method>(method, ignore_case);
    case Fetch::path: return string_function<Fetch::path>(method, ignore_case);
    case Fetch::url: return string_function<Fetch::url>(method, ignore_case);
    case Fetch::query: return string_function<Fetch::query>(method, ignore_case);
    case Fetch::url_param: return string_function<Fetch::url_param>(method, ignore_case);
    case Fetch::hdr: return string_function<Fetch::hdr>(method, ignore_case);
    case Fetch::fhdr: return string_function<Fetch::fhdr>(method, ignore_case);
    case Fetch::ssl_fc_sni: return string_function<Fetch::ssl_fc_sni>(method, ignore_case);
    case Fetch::req_ver: return string_function<Fetch::req_ver>(method, ignore_case);
    case Fetch::hdr_cnt: return integer_function<Fetch::hdr_cnt>(method);
    case Fetch::src: return integer_function<Fetch::src>(method);
    case Fetch::dst: return integer_function<Fetch::dst>(method);
    case Fetch::src_port: return integer_function<Fetch::src_port>(method);
    case Fetch::dst_port: return integer_function<Fetch::dst_port>(method);
    case Fetch::ssl_fc: return integer_function<Fetch::ssl_fc>(method);
    case Fetch::status: return integer_function<Fetch::status>(method);
    case Fetch::always_true: return integer_function<Fetch::always_true>(method);
    case Fetch::always_false: return integer_function<Fetch::always_false>(method);
  }
  return &integer_probe<Fetch::always_false, MatchMethod::boolean>;
}

}  // namespace dplb::rules
