// docs/config.md must document every key the loader accepts, under the
// section it belongs to, as a table row starting with the key in backticks.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "conf/config_schema.h"

namespace dplb::conf {
namespace {

std::string read_docs() {
  std::ifstream in(std::string(DPLB_SOURCE_ROOT) + "/docs/config.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The text between the heading that names `header` and the next heading.
std::string section_text(const std::string& docs, const std::string& header) {
  std::istringstream lines(docs);
  std::string line;
  std::string out;
  bool inside = false;
  while (std::getline(lines, line)) {
    if (line.rfind("#", 0) == 0) inside = line.find("`" + header + "`") != std::string::npos;
    if (inside) out += line + "\n";
  }
  return out;
}

TEST(ConfigDocs, EveryKeyIsDocumentedInItsSection) {
  const std::string docs = read_docs();
  ASSERT_FALSE(docs.empty()) << "docs/config.md is missing";
  const auto keys = config_key_docs();
  ASSERT_GT(keys.size(), 10u);
  for (const auto& key : keys) {
    std::string section = section_text(docs, key.section);
    EXPECT_FALSE(section.empty()) << "no heading for " << key.section;
    EXPECT_NE(section.find("| `" + key.key + "` |"), std::string::npos)
        << key.section << " " << key.key << " is not documented in docs/config.md";
  }
}

}  // namespace
}  // namespace dplb::conf
