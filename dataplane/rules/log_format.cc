#include "dataplane/rules/log_format.h"

#include <cctype>
#include <charconv>
#include <cstring>

#include "conf/did_you_mean.h"

namespace dplb::rules {
namespace {

struct VariableName {
  std::string_view name;
  FormatVariable variable;
};

// Longest names first, so "%Ts" is not read as an unknown "%T".
constexpr VariableName kVariables[] = {
    {"Ts", FormatVariable::unix_seconds}, {"ms", FormatVariable::milliseconds},
    {"ci", FormatVariable::client_ip},    {"cp", FormatVariable::client_port},
    {"fi", FormatVariable::frontend_ip},  {"fp", FormatVariable::frontend_port},
    {"f", FormatVariable::frontend_name}, {"b", FormatVariable::backend_name},
};

std::vector<std::string> variable_spellings() {
  std::vector<std::string> out;
  for (const auto& v : kVariables) out.push_back("%" + std::string(v.name));
  return out;
}

class Writer {
 public:
  Writer(char* out, std::size_t capacity) : out_(out), capacity_(capacity) {}
  void put(std::string_view s) {
    if (overflow_ || s.size() > capacity_ - length_) {
      overflow_ = true;
      return;
    }
    if (s.empty()) return;  // data() may be null, which memcpy must not get
    std::memcpy(out_ + length_, s.data(), s.size());
    length_ += s.size();
  }
  void put_number(uint64_t v, int width = 0) {
    char digits[24];
    auto r = std::to_chars(digits, digits + sizeof(digits), v);
    for (int n = static_cast<int>(r.ptr - digits); n < width; ++n) put("0");
    put(std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
  }
  void put_address(uint32_t a) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      put_number((a >> shift) & 0xff);
      if (shift != 0) put(".");
    }
  }
  std::size_t result() const { return overflow_ ? SIZE_MAX : length_; }

 private:
  char* out_;
  std::size_t capacity_;
  std::size_t length_ = 0;
  bool overflow_ = false;
};

}  // namespace

std::optional<RuleError> LogFormat::compile(std::string_view text, RuleContext context, LogFormat* out) {
  out->parts_.clear();
  out->text_ = std::string(text);
  auto literal = [&](std::string_view s) {
    if (s.empty()) return;
    if (!out->parts_.empty() && out->parts_.back().variable == FormatVariable::literal) {
      out->parts_.back().text += s;
    } else {
      FormatPart p;
      p.text = std::string(s);
      out->parts_.push_back(std::move(p));
    }
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t percent = text.find('%', i);
    if (percent == std::string_view::npos) {
      literal(text.substr(i));
      break;
    }
    literal(text.substr(i, percent - i));
    const std::size_t column = percent + 1;
    if (percent + 1 == text.size()) {
      return RuleError{column, "'%' at the end: write '%%' for a literal percent sign"};
    }
    if (text[percent + 1] == '%') {
      literal("%");
      i = percent + 2;
      continue;
    }
    if (text[percent + 1] == '[') {
      const std::size_t close = text.find(']', percent + 2);
      if (close == std::string_view::npos) return RuleError{column, "'%[' has no closing ']'"};
      std::string_view spelled = text.substr(percent + 2, close - percent - 2);
      std::string argument;
      const auto paren = spelled.find('(');
      if (paren != std::string_view::npos) {
        if (spelled.back() != ')') {
          return RuleError{column + 2 + paren, "'" + std::string(spelled) + "': the argument has no closing ')'"};
        }
        argument = std::string(spelled.substr(paren + 1, spelled.size() - paren - 2));
        spelled = spelled.substr(0, paren);
      }
      const FetchInfo* info = find_fetch(spelled);
      if (info == nullptr) {
        std::vector<std::string> names;
        for (std::size_t k = 0; k < fetch_count(); ++k) names.emplace_back(fetch_at(k).name);
        auto close_names = conf::close_matches(spelled, names, 1);
        return RuleError{column + 2, "unknown fetch '" + std::string(spelled) + "'" +
                                         (close_names.empty() ? "" : "; did you mean '" + close_names[0] + "'?")};
      }
      if (info->argument == FetchArgument::required && argument.empty()) {
        return RuleError{column + 2, "'" + std::string(spelled) + "' needs an argument, as in %[" +
                                         std::string(spelled) + "(name)]"};
      }
      if (info->argument == FetchArgument::none && paren != std::string_view::npos) {
        return RuleError{column + 2 + paren, "'" + std::string(spelled) + "' takes no argument"};
      }
      if (const char* problem = fetch_scope_problem(info->scope, context)) {
        return RuleError{column + 2, "'" + std::string(spelled) + "' " + problem};
      }
      FormatPart p;
      p.variable = FormatVariable::sample;
      p.fetch = info->fetch;
      p.type = info->type;
      p.argument = info->fetch == Fetch::url_param ? argument : std::string();
      if (info->fetch != Fetch::url_param) {
        for (char c : argument) p.argument += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      }
      out->parts_.push_back(std::move(p));
      i = close + 1;
      continue;
    }
    bool found = false;
    for (const auto& v : kVariables) {
      if (text.substr(percent + 1, v.name.size()) == v.name) {
        FormatPart p;
        p.variable = v.variable;
        out->parts_.push_back(std::move(p));
        i = percent + 1 + v.name.size();
        found = true;
        break;
      }
    }
    if (!found) {
      std::size_t end = percent + 1;
      while (end < text.size() && std::isalpha(static_cast<unsigned char>(text[end]))) ++end;
      const std::string spelled(text.substr(percent, end - percent));
      auto close_names = conf::close_matches(spelled, variable_spellings(), 1);
      return RuleError{column, "unknown variable '" + spelled + "'; dplb knows %ci %cp %fi %fp %f %b %Ts %ms, "
                                   "%[fetch] and %%" +
                                   (close_names.empty() ? "" : "; did you mean '" + close_names[0] + "'?")};
    }
  }
  return std::nullopt;
}

std::size_t LogFormat::render(const FormatContext& c, char* out, std::size_t capacity) const {
  Writer w(out, capacity);
  const MessageFacts& m = *c.facts;
  for (const FormatPart& p : parts_) {
    switch (p.variable) {
      case FormatVariable::literal: w.put(p.text); break;
      case FormatVariable::client_ip: w.put_address(m.src); break;
      case FormatVariable::client_port: w.put_number(m.src_port); break;
      case FormatVariable::frontend_ip: w.put_address(m.dst); break;
      case FormatVariable::frontend_port: w.put_number(m.dst_port); break;
      case FormatVariable::frontend_name: w.put(c.frontend_name); break;
      case FormatVariable::backend_name: w.put(c.backend_name); break;
      case FormatVariable::unix_seconds: w.put_number(c.unix_us / 1'000'000); break;
      case FormatVariable::milliseconds: w.put_number(c.unix_us / 1000 % 1000, 3); break;
      case FormatVariable::sample:
        if (p.type == SampleType::string) {
          for_each_string_sample(p.fetch, p.argument, m, [&](std::string_view v) {
            w.put(v);
            return true;
          });
        } else {
          int64_t v = 0;
          if (!integer_sample(p.fetch, p.argument, m, &v)) break;
          if (p.type == SampleType::address) {
            w.put_address(static_cast<uint32_t>(v));
          } else if (v < 0) {
            w.put("-");
            w.put_number(static_cast<uint64_t>(-v));
          } else {
            w.put_number(static_cast<uint64_t>(v));
          }
        }
        break;
    }
  }
  return w.result();
}

}  // namespace dplb::rules
