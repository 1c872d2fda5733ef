#include "dataplane/rules/http_rule_runner.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstdio>
#include <cstring>

namespace dplb::rules {
namespace {

template <class Head>
void delete_fields(Head& head, std::string_view name) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < head.field_count; ++i) {
    if (ascii_iequal(head.fields[i].name, name)) continue;
    head.fields[kept++] = head.fields[i];
  }
  head.field_count = kept;
}

// The part of a target before its path (scheme://authority of an
// absolute-form target), the path, and the query without its '?'.
struct TargetParts {
  std::string_view authority;
  std::string_view path;
  std::string_view query;
  bool has_query = false;
};

TargetParts split_target(std::string_view target) {
  TargetParts p;
  const std::string_view path = target_path(target);
  if (!target.empty() && target.front() != '/') {
    const auto scheme_end = target.find("://");
    if (scheme_end != std::string_view::npos) {
      const auto slash = target.find('/', scheme_end + 3);
      p.authority = slash == std::string_view::npos ? target.substr(0, target.find('?')) : target.substr(0, slash);
    }
  }
  p.path = path;
  const auto q = target.find('?');
  if (q != std::string_view::npos) {
    p.has_query = true;
    p.query = target.substr(q + 1);
  }
  return p;
}

}  // namespace

bool HttpRuleRunner::render(const LogFormat& f, const FormatContext& format, std::string_view* out) {
  const std::size_t n = f.render(format, arena_ + used_, kArenaBytes - used_);
  if (n == SIZE_MAX) return false;
  *out = std::string_view(arena_ + used_, n);
  used_ += n;
  return true;
}

bool HttpRuleRunner::append(std::string_view s) {
  if (s.size() > kArenaBytes - used_) return false;
  // An empty view may carry a null data(): memcpy's arguments must not be null even for 0 bytes.
  if (s.empty()) return true;
  std::memcpy(arena_ + used_, s.data(), s.size());
  used_ += s.size();
  return true;
}

bool HttpRuleRunner::replace_value(const HttpRule& rule, std::string_view value, const FormatContext& format,
                                   std::string_view* out, bool* matched) {
  pcre2_match_data* data = scratch_.data();
  const int rc = pcre2_match(rule.match->code, reinterpret_cast<PCRE2_SPTR>(value.data()), value.size(), 0, 0, data,
                             nullptr);
  *matched = rc >= 0;
  if (rc < 0) return true;
  // HAProxy's replace-header: the whole value becomes the replacement,
  // whose \0..\9 name the match's groups.
  std::string_view replacement;
  if (!render(rule.value, format, &replacement)) return false;
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
  const uint32_t groups = rc == 0 ? kRegexCaptures : static_cast<uint32_t>(rc);
  char* start = arena_ + used_;
  for (std::size_t i = 0; i < replacement.size(); ++i) {
    const char c = replacement[i];
    if (c == '\\' && i + 1 < replacement.size() && replacement[i + 1] >= '0' && replacement[i + 1] <= '9') {
      const uint32_t g = static_cast<uint32_t>(replacement[++i] - '0');
      if (g < groups && ovector[2 * g] != PCRE2_UNSET) {
        if (!append(value.substr(ovector[2 * g], ovector[2 * g + 1] - ovector[2 * g]))) return false;
      }
      continue;
    }
    if (!append(std::string_view(&c, 1))) return false;
  }
  *out = std::string_view(start, static_cast<std::size_t>(arena_ + used_ - start));
  return true;
}

template <class Head>
bool HttpRuleRunner::apply_header_action(const HttpRule& rule, Head& head, MessageFacts& facts,
                                         const FormatContext& format) {
  switch (rule.action) {
    case HttpRuleAction::del_header:
      delete_fields(head, rule.name);
      break;
    case HttpRuleAction::set_header:
    case HttpRuleAction::add_header: {
      std::string_view value;
      if (!render(rule.value, format, &value)) return false;
      if (rule.action == HttpRuleAction::set_header) delete_fields(head, rule.name);
      if (head.field_count >= head.fields.size()) return false;
      head.fields[head.field_count++] = {rule.name, value};
      break;
    }
    case HttpRuleAction::replace_header:
      for (std::size_t i = 0; i < head.field_count; ++i) {
        if (!ascii_iequal(head.fields[i].name, rule.name)) continue;
        std::string_view replaced;
        bool matched = false;
        if (!replace_value(rule, head.fields[i].value, format, &replaced, &matched)) return false;
        if (matched) head.fields[i].value = replaced;
      }
      break;
    default:
      break;
  }
  facts.fields = head.fields.data();
  facts.field_count = head.field_count;
  return true;
}

bool HttpRuleRunner::rewrite_target(const HttpRule& rule, dataplane::HttpRequestHead& head, MessageFacts& facts,
                                    const FormatContext& format) {
  const TargetParts parts = split_target(head.target);
  std::string_view value;
  if (!render(rule.value, format, &value)) return false;
  char* start = arena_ + used_;
  if (!append(parts.authority)) return false;
  if (rule.action == HttpRuleAction::set_path) {
    // A rendered path must still be a path, or the request line breaks.
    if (value.empty() || value.front() != '/') return false;
    if (value.find_first_of(" \r\n") != std::string_view::npos) return false;
    if (!append(value)) return false;
    if (parts.has_query && (!append("?") || !append(parts.query))) return false;
  } else {
    if (value.find_first_of(" \r\n#") != std::string_view::npos) return false;
    if (!append(parts.path)) return false;
    // An empty query removes the '?' too.
    if (!value.empty() && (!append("?") || !append(value))) return false;
  }
  head.target = std::string_view(start, static_cast<std::size_t>(arena_ + used_ - start));
  facts.target = head.target;
  return true;
}

bool HttpRuleRunner::build_location(const HttpRule& rule, const MessageFacts& facts, const FormatContext& format,
                                    std::string_view* out) {
  std::string_view to;
  if (!render(rule.redirect_to, format, &to)) return false;
  if (rule.redirect == RedirectKind::location) {
    *out = to;
    return true;
  }
  const TargetParts parts = split_target(facts.target);
  char* start = arena_ + used_;
  if (rule.redirect == RedirectKind::scheme) {
    std::string_view host;
    for (std::size_t i = 0; i < facts.field_count; ++i) {
      if (ascii_iequal(facts.fields[i].name, "host")) {
        host = facts.fields[i].value;
        break;
      }
    }
    char address[16];
    if (host.empty()) {
      // HTTP/1.0 without Host: the address the client reached.
      const uint32_t a = facts.dst;
      const int n = std::snprintf(address, sizeof(address), "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
                                  (a >> 8) & 0xff, a & 0xff);
      host = std::string_view(address, static_cast<std::size_t>(n));
    }
    if (!append(to) || !append("://") || !append(host)) return false;
  } else if (!(to.size() == 1 && to[0] == '/') && !append(to)) {
    // prefix "/" alone means "the same path on this site", as in HAProxy.
    return false;
  }
  if (!append(parts.path)) return false;
  if (parts.has_query && !rule.drop_query && (!append("?") || !append(parts.query))) return false;
  *out = std::string_view(start, static_cast<std::size_t>(arena_ + used_ - start));
  return true;
}

RuleVerdict HttpRuleRunner::run_request(const HttpRuleSet& set, dataplane::Counter* hits,
                                        dataplane::HttpRequestHead& head, MessageFacts& facts,
                                        const FormatContext& format, bool* disable_l7_retry) {
  RuleVerdict v;
  for (std::size_t i = 0; i < set.request.size(); ++i) {
    const HttpRule& rule = set.request[i];
    if (!set.acls.evaluate(rule.condition, facts, scratch_)) continue;
    hits[i].increment();
    switch (rule.action) {
      case HttpRuleAction::redirect:
        v.rule = &rule;
        if (!build_location(rule, facts, format, &v.location)) {
          v.kind = RuleVerdict::Kind::rewrite_failed;
          return v;
        }
        v.kind = RuleVerdict::Kind::redirect;
        return v;
      case HttpRuleAction::deny:
        v.rule = &rule;
        v.kind = RuleVerdict::Kind::deny;
        return v;
      case HttpRuleAction::return_response:
        v.rule = &rule;
        v.kind = RuleVerdict::Kind::return_response;
        return v;
      case HttpRuleAction::set_path:
      case HttpRuleAction::set_query:
        if (!rewrite_target(rule, head, facts, format)) {
          v.rule = &rule;
          v.kind = RuleVerdict::Kind::rewrite_failed;
          return v;
        }
        break;
      case HttpRuleAction::disable_l7_retry:
        *disable_l7_retry = true;
        break;
      default:
        if (!apply_header_action(rule, head, facts, format)) {
          v.rule = &rule;
          v.kind = RuleVerdict::Kind::rewrite_failed;
          return v;
        }
        break;
    }
  }
  return v;
}

RuleVerdict HttpRuleRunner::run_response(const HttpRuleSet& set, dataplane::Counter* hits,
                                         dataplane::HttpResponseHead& head, MessageFacts& facts,
                                         const FormatContext& format) {
  RuleVerdict v;
  dataplane::Counter* response_hits = hits + set.response_base();
  for (std::size_t i = 0; i < set.response.size(); ++i) {
    const HttpRule& rule = set.response[i];
    if (!set.acls.evaluate(rule.condition, facts, scratch_)) continue;
    response_hits[i].increment();
    switch (rule.action) {
      case HttpRuleAction::redirect:
        v.rule = &rule;
        v.kind = build_location(rule, facts, format, &v.location) ? RuleVerdict::Kind::redirect
                                                                  : RuleVerdict::Kind::rewrite_failed;
        return v;
      case HttpRuleAction::deny:
        v.rule = &rule;
        v.kind = RuleVerdict::Kind::deny;
        return v;
      case HttpRuleAction::return_response:
        v.rule = &rule;
        v.kind = RuleVerdict::Kind::return_response;
        return v;
      default:
        if (!apply_header_action(rule, head, facts, format)) {
          v.rule = &rule;
          v.kind = RuleVerdict::Kind::rewrite_failed;
          return v;
        }
        break;
    }
  }
  return v;
}

int HttpRuleRunner::choose_backend(const HttpRuleSet& set, dataplane::Counter* hits, const MessageFacts& facts) {
  dataplane::Counter* backend_hits = hits + set.use_backend_base();
  for (std::size_t i = 0; i < set.use_backend.size(); ++i) {
    const UseBackendRule& rule = set.use_backend[i];
    if (!set.acls.evaluate(rule.condition, facts, scratch_)) continue;
    backend_hits[i].increment();
    return static_cast<int>(rule.backend);
  }
  return -1;
}

}  // namespace dplb::rules
