#include "controlplane/proxy/stat_csv_columns.h"

namespace dplb::controlplane {
namespace {

#define DPLB_STAT_CSV_NAME(name) #name,
const std::vector<std::string_view> kColumns = {DPLB_STAT_CSV_COLUMNS(DPLB_STAT_CSV_NAME)};
#undef DPLB_STAT_CSV_NAME

}  // namespace

const std::vector<std::string_view>& stat_csv_columns() {
  static_assert(static_cast<std::size_t>(StatCsvColumn::agg_server_check_status) == 100,
                "HAProxy 2.6 has 101 static fields");
  return kColumns;
}

std::string stat_csv_header() {
  std::string out = "# ";
  for (std::string_view c : kColumns) {
    out += c;
    out += ',';
  }
  out += "-,\n";
  return out;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

void StatCsvRow::set_responses(const std::array<uint64_t, dataplane::kStatusClasses>& responses) {
  static constexpr StatCsvColumn columns[] = {StatCsvColumn::hrsp_1xx, StatCsvColumn::hrsp_2xx,
                                              StatCsvColumn::hrsp_3xx, StatCsvColumn::hrsp_4xx,
                                              StatCsvColumn::hrsp_5xx, StatCsvColumn::hrsp_other};
  static_assert(std::size(columns) == dataplane::kStatusClasses);
  for (std::size_t i = 0; i < dataplane::kStatusClasses; ++i) set(columns[i], responses[i]);
}

void StatCsvRow::append_to(std::string& out) const {
  for (const std::string& f : fields_) {
    out += f;
    out += ',';
  }
  out += "-,\n";
}

}  // namespace dplb::controlplane
