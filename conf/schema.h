#pragma once

// A small declarative layer over toml++: a section is a list of keys, each
// with a decoder that checks type and range and stores the value. Unknown
// keys, missing required keys and type errors are reported uniformly, with
// positions, so adding a section is a declaration rather than a page of checks.

#include <toml++/toml.h>

#include <array>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "conf/diagnostics.h"
#include "conf/did_you_mean.h"
#include "conf/duration.h"

namespace dplb::conf {

// What docs/config.md must document for a key.
struct KeyDoc {
  std::string section;  // "[dataplane]", "[[port]]"
  std::string key;
  std::string type;
  std::string range;
  bool required = false;
};

SourcePosition position_of(const toml::node& node);
SourcePosition position_of(const toml::key& key);
// "an integer", "a string", ... for "expected X, got Y" messages.
std::string describe_type(const toml::node& node);

template <class T>
using Decoder = std::function<void(const toml::node&, const std::string& path, T&, Diagnostics&)>;

template <class T>
struct FieldSpec {
  std::string type;
  std::string range;
  Decoder<T> decode;
  std::function<std::vector<KeyDoc>()> nested_docs;  // for tables
};

template <class T>
class TableSchema {
 public:
  // `header` as written in TOML ("[dataplane]", "[[port]]"), `path` as used
  // in messages ("dataplane", "port").
  TableSchema(std::string header, std::string path) : header_(std::move(header)), path_(std::move(path)) {}

  TableSchema& optional(std::string key, FieldSpec<T> spec) { return add(std::move(key), std::move(spec), false); }
  TableSchema& required(std::string key, FieldSpec<T> spec) { return add(std::move(key), std::move(spec), true); }
  // For an unknown key that edit distance cannot relate to the right one
  // (HAProxy's name for it, or a key that belongs in another table): `advice`
  // follows the "unknown key" message instead of a did-you-mean.
  TableSchema& hint(std::string key, std::string advice) {
    hints_.emplace_back(std::move(key), std::move(advice));
    return *this;
  }

  const std::string& path() const { return path_; }
  const std::string& header() const { return header_; }

  void decode(const toml::table& table, T& out, Diagnostics& diagnostics) const {
    std::set<std::string> seen;
    for (auto&& [key, node] : table) {
      const Field* field = find(key.str());
      if (field == nullptr) {
        diagnostics.error(position_of(key), unknown_key_message(key.str()));
        continue;
      }
      seen.insert(field->key);
      // A key is in `positions` only if it decoded cleanly, so cross-key
      // checks never reason about a value that was already reported as bad.
      // (A warning does not count: the value it concerns was accepted.)
      const std::size_t errors_before = diagnostics.error_count();
      field->spec.decode(node, qualified(field->key), out, diagnostics);
      if constexpr (requires { out.positions; }) {
        if (diagnostics.error_count() == errors_before) out.positions[field->key] = position_of(node);
      }
    }
    for (const auto& field : fields_) {
      if (field.required && !seen.count(field.key)) {
        diagnostics.error(position_of(table), (path_.empty() ? std::string("configuration") : path_) +
                                                   ": missing required key '" + field.key + "'");
      }
    }
  }

  std::vector<KeyDoc> docs() const {
    std::vector<KeyDoc> out;
    for (const auto& field : fields_) {
      if (field.spec.nested_docs) {
        auto nested = field.spec.nested_docs();
        out.insert(out.end(), nested.begin(), nested.end());
      } else {
        out.push_back({header_, field.key, field.spec.type, field.spec.range, field.required});
      }
    }
    return out;
  }

 private:
  struct Field {
    std::string key;
    FieldSpec<T> spec;
    bool required;
  };

  TableSchema& add(std::string key, FieldSpec<T> spec, bool required) {
    fields_.push_back({std::move(key), std::move(spec), required});
    return *this;
  }

  const Field* find(std::string_view key) const {
    for (const auto& field : fields_) {
      if (field.key == key) return &field;
    }
    return nullptr;
  }

  std::string qualified(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  std::string unknown_key_message(std::string_view key) const {
    std::vector<std::string> names;
    for (const auto& field : fields_) names.push_back(field.key);
    std::string message = path_.empty() ? "unknown section '" + std::string(key) + "'"
                                        : "unknown key '" + std::string(key) + "' in " + header_;
    for (const auto& [hinted, advice] : hints_) {
      if (hinted == key) return message + "; " + advice;
    }
    auto matches = close_matches(key, names, 1);
    if (!matches.empty()) message += "; did you mean '" + matches.front() + "'?";
    return message;
  }

  std::string header_;
  std::string path_;
  std::vector<Field> fields_;
  std::vector<std::pair<std::string, std::string>> hints_;
};

// ---- Field decoders -------------------------------------------------------

void report_type(Diagnostics& d, const toml::node& node, const std::string& path, const std::string& expected);
void report_range(Diagnostics& d, const toml::node& node, const std::string& path, int64_t value, int64_t min,
                  int64_t max);

template <class T, class Int>
FieldSpec<T> integer_in(Int T::*member, int64_t min, int64_t max) {
  return {"integer", std::to_string(min) + ".." + std::to_string(max),
          [=](const toml::node& node, const std::string& path, T& out, Diagnostics& d) {
            const auto* value = node.as_integer();
            if (value == nullptr) return report_type(d, node, path, "an integer");
            if (value->get() < min || value->get() > max) return report_range(d, node, path, value->get(), min, max);
            out.*member = static_cast<Int>(value->get());
          },
          {}};
}

template <class T>
FieldSpec<T> boolean(bool T::*member) {
  return {"boolean", "true, false",
          [=](const toml::node& node, const std::string& path, T& out, Diagnostics& d) {
            const auto* value = node.as_boolean();
            if (value == nullptr) return report_type(d, node, path, "a boolean (true or false)");
            out.*member = value->get();
          },
          {}};
}

// `check` returns an empty string when the value is acceptable, otherwise the
// reason, which is reported as "path: reason".
template <class T, class Member>
FieldSpec<T> string_as(Member T::*member, std::string type, std::string range,
                       std::function<std::string(const std::string&, Member&)> convert) {
  return {std::move(type), std::move(range),
          [=](const toml::node& node, const std::string& path, T& out, Diagnostics& d) {
            const auto* value = node.as_string();
            if (value == nullptr) return report_type(d, node, path, "a string");
            std::string problem = convert(value->get(), out.*member);
            if (!problem.empty()) d.error(position_of(node), path + ": " + problem);
          },
          {}};
}

// A duration written as HAProxy does ("500ms", "5s") or an integer of
// milliseconds; reports and returns nullopt when it is malformed or outside
// min..max.
std::optional<Duration> decode_duration(const toml::node& node, const std::string& path, Duration min, Duration max,
                                        Diagnostics& d);

template <class T>
FieldSpec<T> duration_in(Duration T::*member, Duration min, Duration max) {
  return {"duration", format_duration(min) + ".." + format_duration(max),
          [=](const toml::node& node, const std::string& path, T& out, Diagnostics& d) {
            if (auto value = decode_duration(node, path, min, max, d)) out.*member = *value;
          },
          {}};
}

// A duration that may be left out: unset means "inherit", which the consumer
// resolves, so the configuration keeps what the operator actually wrote.
template <class T>
FieldSpec<T> duration_in(std::optional<Duration> T::*member, Duration min, Duration max) {
  return {"duration", format_duration(min) + ".." + format_duration(max),
          [=](const toml::node& node, const std::string& path, T& out, Diagnostics& d) {
            if (auto value = decode_duration(node, path, min, max, d)) out.*member = *value;
          },
          {}};
}

// An enumeration written as one of its names: "" and `out` set, or why not
// (with a "did you mean" when a name is close).
template <class Enum, std::size_t N>
std::string convert_enum(const std::string& text, Enum& out, const std::array<Enum, N>& values,
                         const char* (*name)(Enum)) {
  std::vector<std::string> names;
  for (Enum v : values) {
    if (text == name(v)) {
      out = v;
      return "";
    }
    names.emplace_back(name(v));
  }
  std::string why = "'" + text + "' is not one of ";
  for (std::size_t i = 0; i < names.size(); ++i) why += (i ? ", " : "") + names[i];
  auto matches = close_matches(text, names, 1);
  if (!matches.empty()) why += "; did you mean '" + matches.front() + "'?";
  return why;
}

template <class T>
FieldSpec<T> one_of(std::string T::*member, std::vector<std::string> allowed) {
  std::string range;
  for (const auto& a : allowed) range += (range.empty() ? "" : ", ") + a;
  return string_as<T, std::string>(member, "string", range,
                                   [allowed, range](const std::string& text, std::string& out) -> std::string {
                                     for (const auto& a : allowed) {
                                       if (a == text) {
                                         out = text;
                                         return "";
                                       }
                                     }
                                     std::string why = "'" + text + "' is not one of " + range;
                                     auto matches = close_matches(text, allowed, 1);
                                     if (!matches.empty()) why += "; did you mean '" + matches.front() + "'?";
                                     return why;
                                   });
}

template <class T, class Int>
FieldSpec<T> integer_list(std::vector<Int> T::*member, int64_t min, int64_t max, bool allow_empty) {
  return {"array of integers", std::to_string(min) + ".." + std::to_string(max) + (allow_empty ? "" : ", non-empty"),
          [=](const toml::node& node, const std::string& path, T& out, Diagnostics& d) {
            const auto* array = node.as_array();
            if (array == nullptr) return report_type(d, node, path, "an array of integers");
            if (array->empty() && !allow_empty) {
              d.error(position_of(node), path + ": must list at least one value");
              return;
            }
            std::vector<Int> values;
            for (const auto& element : *array) {
              const auto* value = element.as_integer();
              if (value == nullptr) return report_type(d, element, path, "an integer in the array");
              if (value->get() < min || value->get() > max) {
                return report_range(d, element, path, value->get(), min, max);
              }
              for (Int existing : values) {
                if (existing == static_cast<Int>(value->get())) {
                  d.error(position_of(element), path + ": " + std::to_string(value->get()) + " is listed twice");
                  return;
                }
              }
              values.push_back(static_cast<Int>(value->get()));
            }
            out.*member = std::move(values);
          },
          {}};
}

template <class T>
FieldSpec<T> string_list(std::vector<std::string> T::*member) {
  return {"array of strings", "",
          [=](const toml::node& node, const std::string& path, T& out, Diagnostics& d) {
            const auto* array = node.as_array();
            if (array == nullptr) return report_type(d, node, path, "an array of strings");
            std::vector<std::string> values;
            for (const auto& element : *array) {
              const auto* value = element.as_string();
              if (value == nullptr) return report_type(d, element, path, "a string in the array");
              values.push_back(value->get());
            }
            out.*member = std::move(values);
          },
          {}};
}

template <class T, class Sub>
FieldSpec<T> table(Sub T::*member, TableSchema<Sub> schema) {
  return {"table", "",
          [=](const toml::node& node, const std::string& path, T& out, Diagnostics& d) {
            const auto* tbl = node.as_table();
            if (tbl == nullptr) return report_type(d, node, path, "a table ([" + path + "])");
            schema.decode(*tbl, out.*member, d);
          },
          [=] { return schema.docs(); }};
}

template <class T, class Sub>
FieldSpec<T> table_array(std::vector<Sub> T::*member, TableSchema<Sub> schema) {
  return {"array of tables", "",
          [=](const toml::node& node, const std::string& path, T& out, Diagnostics& d) {
            const auto* array = node.as_array();
            if (array == nullptr || !array->is_array_of_tables()) {
              return report_type(d, node, path, "an array of tables ([[" + path + "]])");
            }
            for (const auto& element : *array) {
              Sub item;
              if constexpr (requires { item.where; }) item.where = position_of(element);
              schema.decode(*element.as_table(), item, d);
              (out.*member).push_back(std::move(item));
            }
          },
          [=] { return schema.docs(); }};
}

}  // namespace dplb::conf
