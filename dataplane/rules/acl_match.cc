#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "dataplane/rules/acl.h"

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

bool string_matches(const Acl& acl, std::string_view sample, RegexScratch& scratch) {
  const bool icase = acl.ignore_case;
  switch (acl.method) {
    case MatchMethod::found:
      return true;
    case MatchMethod::len:
      for (const IntegerRange& r : acl.integers) {
        const auto n = static_cast<int64_t>(sample.size());
        if (n >= r.low && n <= r.high) return true;
      }
      return false;
    case MatchMethod::reg:
      for (const auto& re : acl.regexes) {
        const int rc = pcre2_match(re->code, reinterpret_cast<PCRE2_SPTR>(sample.data()), sample.size(), 0, 0,
                                   scratch.data(), nullptr);
        // 0: matched, with more groups than the one-pair match data holds.
        if (rc >= 0) return true;
      }
      return false;
    default:
      break;
  }
  for (const std::string& p : acl.strings) {
    switch (acl.method) {
      case MatchMethod::str:
        if (equal(sample, p, icase)) return true;
        break;
      case MatchMethod::beg:
        if (sample.size() >= p.size() && equal(sample.substr(0, p.size()), p, icase)) return true;
        break;
      case MatchMethod::end:
        if (sample.size() >= p.size() && equal(sample.substr(sample.size() - p.size()), p, icase)) return true;
        break;
      case MatchMethod::sub:
        if (contains(sample, p, icase)) return true;
        break;
      case MatchMethod::dir:
        if (delimited(sample, p, icase, '/')) return true;
        break;
      case MatchMethod::dom:
        if (delimited(sample, p, icase, '.')) return true;
        break;
      default:
        return false;
    }
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

bool Acl::matches(const MessageFacts& m, RegexScratch& scratch) const {
  switch (fetch) {
    case Fetch::method:
    case Fetch::path:
    case Fetch::url:
    case Fetch::query:
    case Fetch::url_param:
    case Fetch::hdr:
    case Fetch::fhdr:
    case Fetch::ssl_fc_sni:
    case Fetch::req_ver:
      return for_each_string_sample(fetch, argument, m,
                                    [&](std::string_view sample) { return string_matches(*this, sample, scratch); });
    default:
      break;
  }
  int64_t value = 0;
  if (!integer_sample(fetch, argument, m, &value)) return false;
  switch (method) {
    case MatchMethod::boolean:
      return value != 0;
    case MatchMethod::found:
      return true;
    case MatchMethod::ip:
      for (const Ipv4Network& n : networks) {
        if ((static_cast<uint32_t>(value) & n.mask) == n.address) return true;
      }
      return false;
    case MatchMethod::integer:
      for (const IntegerRange& r : integers) {
        if (value >= r.low && value <= r.high) return true;
      }
      return false;
    default:
      return false;
  }
}

}  // namespace dplb::rules
