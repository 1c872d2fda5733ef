// Compiling ACL definitions and conditions (HAProxy's syntax) into an
// AclTable. Control plane only: this is where strings are copied, files
// read, regular expressions compiled, and every mistake explained.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <fstream>

#include "conf/did_you_mean.h"
#include "dataplane/rules/acl_table.h"

namespace dplb::rules {
namespace {

struct Token {
  std::string text;
  std::size_t column = 1;  // 1-based
};

// Splits on blanks; single and double quotes group, a backslash escapes the
// next character (as HAProxy's configuration parser does).
std::optional<RuleError> tokenize(std::string_view s, std::size_t column_base, std::vector<Token>* out) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ' || s[i] == '\t') {
      ++i;
      continue;
    }
    Token t;
    t.column = column_base + i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') {
      const char c = s[i];
      if (c == '"' || c == '\'') {
        const std::size_t open = i++;
        while (i < s.size() && s[i] != c) {
          if (s[i] == '\\' && c == '"' && i + 1 < s.size()) ++i;
          t.text += s[i++];
        }
        if (i == s.size()) {
          return RuleError{column_base + open, std::string("unterminated quote ") + c};
        }
        ++i;
      } else if (c == '\\' && i + 1 < s.size()) {
        t.text += s[i + 1];
        i += 2;
      } else {
        t.text += c;
        ++i;
      }
    }
    out->push_back(std::move(t));
  }
  return std::nullopt;
}

std::string lowercase(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

struct MethodSuffix {
  std::string_view suffix;
  MatchMethod method;
};
constexpr MethodSuffix kSuffixes[] = {
    {"beg", MatchMethod::beg}, {"end", MatchMethod::end}, {"sub", MatchMethod::sub}, {"dir", MatchMethod::dir},
    {"dom", MatchMethod::dom}, {"reg", MatchMethod::reg}, {"len", MatchMethod::len},
};

std::optional<MatchMethod> method_named(std::string_view name) {
  for (MatchMethod m : {MatchMethod::str, MatchMethod::beg, MatchMethod::end, MatchMethod::sub, MatchMethod::dir,
                        MatchMethod::dom, MatchMethod::reg, MatchMethod::len, MatchMethod::found,
                        MatchMethod::integer, MatchMethod::ip, MatchMethod::boolean}) {
    if (match_method_name(m) == name) return m;
  }
  return std::nullopt;
}

// Every spelling a fetch may take, for suggestions.
std::vector<std::string> fetch_spellings() {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < fetch_count(); ++i) {
    const FetchInfo& f = fetch_at(i);
    names.emplace_back(f.name);
    if (f.type == SampleType::string) {
      for (const MethodSuffix& s : kSuffixes) names.push_back(std::string(f.name) + "_" + std::string(s.suffix));
    }
  }
  return names;
}

std::string suggestion(std::string_view word, const std::vector<std::string>& candidates) {
  const auto close = conf::close_matches(word, candidates, 1);
  return close.empty() ? std::string() : " (did you mean '" + close.front() + "'?)";
}

bool parse_int(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// HAProxy's integer patterns: N, N:M, :M, N:, or an operator (eq ge gt le
// lt) and a value in the next token.
std::optional<RuleError> parse_integer_patterns(const std::vector<Token>& words, std::size_t from, Acl* acl) {
  constexpr int64_t kMin = INT64_MIN;
  constexpr int64_t kMax = INT64_MAX;
  for (std::size_t i = from; i < words.size(); ++i) {
    const std::string& w = words[i].text;
    int64_t a = 0, b = 0;
    if (w == "eq" || w == "ge" || w == "gt" || w == "le" || w == "lt") {
      if (i + 1 == words.size() || !parse_int(words[i + 1].text, &a)) {
        return RuleError{words[i].column, "operator '" + w + "' needs an integer after it"};
      }
      ++i;
      if (w == "eq") acl->integers.push_back({a, a});
      if (w == "ge") acl->integers.push_back({a, kMax});
      if (w == "gt") acl->integers.push_back({a == kMax ? kMax : a + 1, kMax});
      if (w == "le") acl->integers.push_back({kMin, a});
      if (w == "lt") acl->integers.push_back({kMin, a == kMin ? kMin : a - 1});
      continue;
    }
    const auto colon = w.find(':');
    if (colon == std::string::npos) {
      if (!parse_int(w, &a)) return RuleError{words[i].column, "'" + w + "' is not an integer or a range N:M"};
      acl->integers.push_back({a, a});
      continue;
    }
    const std::string_view lo(w.data(), colon);
    const std::string_view hi(w.data() + colon + 1, w.size() - colon - 1);
    if ((lo.empty() && hi.empty()) || (!lo.empty() && !parse_int(lo, &a)) || (!hi.empty() && !parse_int(hi, &b))) {
      return RuleError{words[i].column, "'" + w + "' is not an integer or a range N:M"};
    }
    if (lo.empty()) a = kMin;
    if (hi.empty()) b = kMax;
    if (a > b) return RuleError{words[i].column, "range '" + w + "' is empty (its low end is above its high end)"};
    acl->integers.push_back({a, b});
  }
  return std::nullopt;
}

std::optional<RuleError> parse_network(const Token& t, Acl* acl) {
  const std::string& w = t.text;
  const auto slash = w.find('/');
  const std::string host = w.substr(0, slash);
  in_addr a{};
  int64_t length = 32;
  const bool ok = inet_pton(AF_INET, host.c_str(), &a) == 1 &&
                  (slash == std::string::npos || (parse_int(std::string_view(w).substr(slash + 1), &length) &&
                                                  length >= 0 && length <= 32));
  if (!ok) {
    return RuleError{t.column, "malformed address or network '" + w + "' (expected A.B.C.D or A.B.C.D/LEN, LEN 0-32)"};
  }
  const uint32_t mask = length == 0 ? 0 : ~uint32_t{0} << (32 - length);
  acl->networks.push_back({ntohl(a.s_addr) & mask, mask});
  return std::nullopt;
}

std::optional<RuleError> add_regex(const Token& t, Acl* acl) {
  std::string problem;
  std::size_t offset = 0;
  auto re = compile_regex(t.text, acl->ignore_case, &problem, &offset);
  if (re == nullptr) return RuleError{t.column + offset, problem};
  acl->regexes.push_back(std::move(re));
  return std::nullopt;
}

// -f FILE: one pattern per line; blank lines and lines starting with '#'
// are skipped, leading and trailing blanks removed (HAProxy's rules).
std::optional<RuleError> read_pattern_file(const Token& t, std::vector<Token>* words) {
  std::ifstream in(t.text);
  if (!in) return RuleError{t.column, "cannot read pattern file '" + t.text + "'"};
  std::string line;
  while (std::getline(in, line)) {
    std::size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    std::size_t e = line.find_last_not_of(" \t\r");
    words->push_back({line.substr(b, e - b + 1), t.column});
  }
  return std::nullopt;
}

bool valid_acl_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != ':' && c != '-') return false;
  }
  return true;
}

}  // namespace

AclTable::AclTable() {
  predefine("TRUE", "always_true");
  predefine("FALSE", "always_false");
  predefine("HTTP", "always_true");  // every dplb frontend speaks HTTP
  predefine("LOCALHOST", "src 127.0.0.1/8");
  predefine("METH_CONNECT", "method CONNECT");
  predefine("METH_DELETE", "method DELETE");
  predefine("METH_GET", "method GET HEAD");
  predefine("METH_HEAD", "method HEAD");
  predefine("METH_OPTIONS", "method OPTIONS");
  predefine("METH_POST", "method POST");
  predefine("METH_PUT", "method PUT");
  predefine("METH_TRACE", "method TRACE");
  predefine("HTTP_1.0", "req.ver 1.0");
  predefine("HTTP_1.1", "req.ver 1.1");
  predefine("HTTP_URL_ABS", "url_reg ^[^/:]*://");
  predefine("HTTP_URL_SLASH", "url_beg /");
  predefine("HTTP_URL_STAR", "url *");
}

void AclTable::predefine(std::string_view name, std::string_view text) {
  Acl acl;
  FetchScope scope = FetchScope::any;
  // The predefined texts are ours and known to compile.
  (void)parse_acl(text, 1, &acl, &scope);
  const auto g = static_cast<uint32_t>(groups_.size());
  by_name_.emplace(std::string(name), g);
  groups_.push_back({std::string(name), true, scope == FetchScope::response, scope == FetchScope::request,
                     {add_acl(std::move(acl))}});
  set_span(g);
}

uint32_t AclTable::add_acl(Acl&& acl) {
  Probe p;
  p.match = probe_function(acl.fetch, acl.method, acl.ignore_case);
  p.argument_size = static_cast<uint32_t>(acl.argument.size());
  p.argument_offset = static_cast<uint32_t>(text_.size());
  text_ += acl.argument;
  switch (acl.method) {
    case MatchMethod::integer:
    case MatchMethod::len:
      p.first_pattern = static_cast<uint32_t>(integers_.size());
      p.pattern_count = static_cast<uint32_t>(acl.integers.size());
      integers_.insert(integers_.end(), acl.integers.begin(), acl.integers.end());
      break;
    case MatchMethod::ip:
      p.first_pattern = static_cast<uint32_t>(networks_.size());
      p.pattern_count = static_cast<uint32_t>(acl.networks.size());
      networks_.insert(networks_.end(), acl.networks.begin(), acl.networks.end());
      break;
    case MatchMethod::reg:
      p.first_pattern = static_cast<uint32_t>(regexes_.size());
      p.pattern_count = static_cast<uint32_t>(acl.regexes.size());
      for (const auto& re : acl.regexes) regexes_.push_back(re->code);
      break;
    default:
      p.first_pattern = static_cast<uint32_t>(strings_.size());
      p.pattern_count = static_cast<uint32_t>(acl.strings.size());
      for (const std::string& s : acl.strings) {
        strings_.push_back({static_cast<uint32_t>(text_.size()), static_cast<uint32_t>(s.size())});
        text_ += s;
      }
      break;
  }
  probes_.push_back(p);
  acls_.push_back(std::move(acl));
  return static_cast<uint32_t>(acls_.size() - 1);
}

void AclTable::set_span(uint32_t group) {
  if (spans_.size() <= group) spans_.resize(group + 1);
  const std::vector<uint32_t>& acls = groups_[group].acls;
  if (acls.size() == 1) {
    spans_[group] = {acls[0], 1};
    return;
  }
  // A name defined again: its lines move to the end of members_ (the old
  // run stays unused; this happens only while the configuration loads).
  spans_[group] = {static_cast<uint32_t>(members_.size()), static_cast<uint32_t>(acls.size())};
  members_.insert(members_.end(), acls.begin(), acls.end());
}

std::optional<RuleError> AclTable::define(std::string_view name, std::string_view text) {
  if (!valid_acl_name(name)) {
    return RuleError{0, "'" + std::string(name) + "' is not a valid ACL name (letters, digits, '_', '.', ':', '-')"};
  }
  auto it = by_name_.find(name);
  if (it != by_name_.end() && groups_[it->second].predefined) {
    return RuleError{0, "'" + std::string(name) + "' is a predefined ACL and cannot be redefined"};
  }
  Acl acl;
  FetchScope scope = FetchScope::any;
  if (auto e = parse_acl(text, 1, &acl, &scope)) return e;
  if (it == by_name_.end()) {
    it = by_name_.emplace(std::string(name), static_cast<uint32_t>(groups_.size())).first;
    groups_.push_back({std::string(name), false, false, false, {}});
  }
  const uint32_t index = add_acl(std::move(acl));
  Group& g = groups_[it->second];
  g.needs_response = g.needs_response || scope == FetchScope::response;
  g.needs_request = g.needs_request || scope == FetchScope::request;
  g.acls.push_back(index);
  set_span(it->second);
  return std::nullopt;
}

std::optional<RuleError> AclTable::parse_acl(std::string_view text, std::size_t column_base, Acl* acl,
                                             FetchScope* scope) const {
  std::vector<Token> words;
  if (auto e = tokenize(text, column_base, &words)) return e;
  if (words.empty()) return RuleError{column_base, "an ACL needs a fetch (for example 'path_beg /api')"};
  acl->text = std::string(text);

  // fetch[(argument)], or fetch_METHOD[(argument)]
  const Token& head = words[0];
  std::string_view spelled = head.text;
  std::string argument;
  bool has_argument = false;
  const auto paren = spelled.find('(');
  if (paren != std::string_view::npos) {
    if (spelled.back() != ')') {
      return RuleError{head.column + paren, "'" + head.text + "': the fetch argument has no closing ')'"};
    }
    argument = std::string(spelled.substr(paren + 1, spelled.size() - paren - 2));
    has_argument = true;
    spelled = spelled.substr(0, paren);
  }
  const FetchInfo* info = find_fetch(spelled);
  std::optional<MatchMethod> method;
  if (info == nullptr) {
    for (const MethodSuffix& s : kSuffixes) {
      if (spelled.size() > s.suffix.size() + 1 && spelled.substr(spelled.size() - s.suffix.size()) == s.suffix &&
          spelled[spelled.size() - s.suffix.size() - 1] == '_') {
        const FetchInfo* base = find_fetch(spelled.substr(0, spelled.size() - s.suffix.size() - 1));
        if (base != nullptr && base->type == SampleType::string) {
          info = base;
          method = s.method;
        }
        break;
      }
    }
  }
  if (info == nullptr) {
    return RuleError{head.column, "unknown fetch '" + std::string(spelled) + "'" +
                                      suggestion(spelled, fetch_spellings())};
  }
  if (info->argument == FetchArgument::required && (!has_argument || argument.empty())) {
    return RuleError{head.column, "'" + std::string(spelled) + "' needs an argument, as in " +
                                      std::string(spelled) + "(name)"};
  }
  if (info->argument == FetchArgument::none && has_argument) {
    return RuleError{head.column + paren, "'" + std::string(spelled) + "' takes no argument"};
  }
  if (argument.find(',') != std::string::npos) {
    return RuleError{head.column + paren + 1,
                     "'" + std::string(spelled) + "': only the name argument is supported (no occurrence)"};
  }
  acl->fetch = info->fetch;
  // Header names compare case-insensitively; url_param names do not.
  acl->argument = info->fetch == Fetch::url_param ? argument : lowercase(argument);
  *scope = info->scope;

  // Flags, then patterns.
  std::size_t i = 1;
  std::vector<Token> patterns;
  for (; i < words.size(); ++i) {
    const std::string& w = words[i].text;
    if (w.size() < 2 || w[0] != '-' || std::isdigit(static_cast<unsigned char>(w[1]))) break;
    if (w == "--") {
      ++i;
      break;
    }
    if (w == "-i") {
      acl->ignore_case = true;
    } else if (w == "-n") {
      // HAProxy: forbid DNS resolution of patterns; dplb never resolves.
    } else if (w == "-m" || w == "-f") {
      if (i + 1 == words.size()) return RuleError{words[i].column, "flag '" + w + "' needs a value after it"};
      const Token& value = words[++i];
      if (w == "-f") {
        if (auto e = read_pattern_file(value, &patterns)) return e;
      } else {
        method = method_named(value.text);
        if (!method) {
          std::vector<std::string> names;
          for (const char* n : {"str", "beg", "end", "sub", "dir", "dom", "reg", "len", "found", "int", "ip", "bool"}) {
            names.emplace_back(n);
          }
          return RuleError{value.column, "unknown match method '" + value.text + "'" + suggestion(value.text, names)};
        }
      }
    } else {
      return RuleError{words[i].column, "unknown flag '" + w + "' (dplb knows -i, -f FILE, -m METHOD, -n, --)"};
    }
  }
  for (; i < words.size(); ++i) patterns.push_back(words[i]);

  if (!method) {
    switch (info->type) {
      case SampleType::string: method = MatchMethod::str; break;
      case SampleType::integer: method = MatchMethod::integer; break;
      case SampleType::address: method = MatchMethod::ip; break;
      case SampleType::boolean: method = MatchMethod::boolean; break;
    }
  }
  const MatchMethod m = *method;
  const bool string_method = m == MatchMethod::str || m == MatchMethod::beg || m == MatchMethod::end ||
                             m == MatchMethod::sub || m == MatchMethod::dir || m == MatchMethod::dom ||
                             m == MatchMethod::reg || m == MatchMethod::len;
  const bool fits = m == MatchMethod::found || (string_method && info->type == SampleType::string) ||
                    (m == MatchMethod::integer && info->type == SampleType::integer) ||
                    (m == MatchMethod::ip && info->type == SampleType::address) ||
                    (m == MatchMethod::boolean && info->type != SampleType::string);
  if (!fits) {
    return RuleError{head.column, "match method '" + std::string(match_method_name(m)) + "' does not apply to '" +
                                      std::string(info->name) + "'"};
  }
  acl->method = m;
  if (m == MatchMethod::boolean || m == MatchMethod::found) {
    if (!patterns.empty()) {
      return RuleError{patterns[0].column, "'" + std::string(spelled) + "' " +
                                               (m == MatchMethod::found ? "with -m found" : "is a boolean test") +
                                               " and takes no patterns"};
    }
    return std::nullopt;
  }
  if (patterns.empty()) {
    return RuleError{head.column + head.text.size(), "'" + head.text + "' needs at least one pattern"};
  }
  switch (m) {
    case MatchMethod::integer:
    case MatchMethod::len:
      return parse_integer_patterns(patterns, 0, acl);
    case MatchMethod::ip:
      for (const Token& t : patterns) {
        if (auto e = parse_network(t, acl)) return e;
      }
      return std::nullopt;
    case MatchMethod::reg:
      for (const Token& t : patterns) {
        if (auto e = add_regex(t, acl)) return e;
      }
      return std::nullopt;
    default:
      for (const Token& t : patterns) acl->strings.push_back(acl->ignore_case ? lowercase(t.text) : t.text);
      return std::nullopt;
  }
}

std::optional<RuleError> AclTable::compile(std::string_view text, bool unless, RuleContext context,
                                           Condition* out) {
  out->unless = unless;
  out->text = std::string(text);
  // OR of ANDs while parsing; flattened into terms_ once it is whole.
  std::vector<std::vector<ConditionTerm>> alternatives(1);
  bool negate_next = false;
  std::size_t negate_column = 0;
  std::size_t last_column = 1;
  std::size_t i = 0;
  auto column = [](std::size_t offset) { return offset + 1; };
  auto use_group = [&](uint32_t g, std::size_t col, std::string_view name) -> std::optional<RuleError> {
    const Group& group = groups_[g];
    const FetchScope scope = group.needs_response ? FetchScope::response
                             : group.needs_request ? FetchScope::request
                                                   : FetchScope::any;
    if (const char* problem = fetch_scope_problem(scope, context)) {
      return RuleError{col, "'" + std::string(name) + "' " + problem};
    }
    alternatives.back().push_back({g, negate_next});
    negate_next = false;
    return std::nullopt;
  };
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ' || c == '\t') {
      ++i;
      continue;
    }
    last_column = column(i);
    if (c == '!') {
      if (negate_next) return RuleError{column(i), "'!' twice in a row"};
      negate_next = true;
      negate_column = column(i);
      ++i;
      continue;
    }
    if (c == '{') {
      // An anonymous ACL runs to a '}' that stands alone (HAProxy needs the
      // blanks around braces too: a regex may contain '}').
      std::size_t close = std::string_view::npos;
      for (std::size_t k = i + 1; k < text.size(); ++k) {
        if (text[k] == '}' && (text[k - 1] == ' ' || text[k - 1] == '\t') &&
            (k + 1 == text.size() || text[k + 1] == ' ' || text[k + 1] == '\t')) {
          close = k;
          break;
        }
      }
      if (close == std::string_view::npos) {
        return RuleError{column(i), "'{' has no matching '}' (braces need blanks around them, as in HAProxy)"};
      }
      Acl acl;
      FetchScope scope = FetchScope::any;
      if (auto e = parse_acl(text.substr(i + 1, close - i - 1), column(i + 1), &acl, &scope)) return e;
      const auto g = static_cast<uint32_t>(groups_.size());
      groups_.push_back({"", false, scope == FetchScope::response, scope == FetchScope::request,
                         {add_acl(std::move(acl))}});
      set_span(g);
      if (auto e = use_group(g, column(i), "{" + std::string(text.substr(i + 1, close - i - 1)) + "}")) return e;
      i = close + 1;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t') ++end;
    const std::string_view word = text.substr(i, end - i);
    if (word == "||" || word == "or") {
      if (negate_next) return RuleError{negate_column, "'!' must be followed by an ACL"};
      if (alternatives.back().empty()) {
        return RuleError{column(i), "'" + std::string(word) + "' needs an ACL on its left"};
      }
      alternatives.emplace_back();
    } else if (word == "}") {
      return RuleError{column(i), "'}' without a '{' before it"};
    } else {
      const auto it = by_name_.find(word);
      if (it == by_name_.end()) {
        std::vector<std::string> names;
        for (const auto& [n, g] : by_name_) names.push_back(n);
        std::string hint = suggestion(word, names);
        if (hint.empty() && find_fetch(word) != nullptr) {
          hint = " (a fetch inside a condition is written as an anonymous ACL: '{ " + std::string(word) + " }')";
        }
        return RuleError{column(i), "ACL '" + std::string(word) + "' is not defined" + hint};
      }
      if (auto e = use_group(it->second, column(i), word)) return e;
    }
    i = end;
  }
  if (negate_next) return RuleError{negate_column, "'!' must be followed by an ACL"};
  if (alternatives.back().empty()) {
    if (alternatives.size() == 1) return RuleError{1, "the condition is empty"};
    return RuleError{last_column, "'||' needs an ACL on its right"};
  }
  out->first_term = static_cast<uint32_t>(terms_.size());
  for (std::vector<ConditionTerm>& all : alternatives) {
    all.back().ends_alternative = true;
    terms_.insert(terms_.end(), all.begin(), all.end());
  }
  out->term_count = static_cast<uint32_t>(terms_.size()) - out->first_term;
  return std::nullopt;
}

std::unique_ptr<CompiledRegex> compile_regex(std::string_view pattern, bool caseless, std::string* problem,
                                             std::size_t* offset) {
  int code = 0;
  PCRE2_SIZE at = 0;
  pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 caseless ? PCRE2_CASELESS : 0, &code, &at, nullptr);
  if (re == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(code, message, sizeof(message));
    *offset = at;
    *problem = "regular expression '" + std::string(pattern) + "': " + reinterpret_cast<const char*>(message) +
               " at offset " + std::to_string(at);
    return nullptr;
  }
  // Without JIT the interpreter still matches, only slower.
  pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
  return std::make_unique<CompiledRegex>(re);
}

}  // namespace dplb::rules
