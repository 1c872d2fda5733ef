#include "conf/retry_policy.h"

#include <charconv>

#include "conf/did_you_mean.h"

namespace dplb::conf {
namespace {

const char* const kWords[] = {"none",          "conn-failure",     "empty-response",       "junk-response",
                              "response-timeout", "0rtt-rejected", "all-retryable-errors"};

bool add_status(uint16_t status, RetryOn* out) {
  for (uint16_t s : out->statuses) {
    if (s == status) return false;
  }
  out->statuses.push_back(status);
  return true;
}

}  // namespace

std::string parse_retry_on(const std::vector<std::string>& words, RetryOn* out, std::size_t* bad_index) {
  RetryOn r;
  r.conn_failure = false;
  bool none = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    *bad_index = i;
    if (w == "none") {
      none = true;
    } else if (w == "conn-failure") {
      r.conn_failure = true;
    } else if (w == "empty-response") {
      r.empty_response = true;
    } else if (w == "junk-response") {
      r.junk_response = true;
    } else if (w == "response-timeout") {
      r.response_timeout = true;
    } else if (w == "0rtt-rejected") {
      r.zero_rtt_rejected = true;
    } else if (w == "all-retryable-errors") {
      r.conn_failure = r.empty_response = r.junk_response = r.response_timeout = r.zero_rtt_rejected = true;
      for (uint16_t s : {500, 502, 503, 504}) add_status(s, &r);
    } else if (!w.empty() && w[0] >= '0' && w[0] <= '9') {
      unsigned value = 0;
      const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), value);
      bool listed = false;
      for (uint16_t s : kRetryableStatuses) listed = listed || (ec == std::errc() && end == w.data() + w.size() && s == value);
      if (!listed) {
        return "'" + w + "' is not a status retry_on accepts (401, 403, 404, 408, 425, 500, 501, 502, 503, 504, as "
               "HAProxy)";
      }
      add_status(static_cast<uint16_t>(value), &r);
    } else {
      std::string why = "'" + w + "' is not a retry_on word (none, conn-failure, empty-response, junk-response, "
                        "response-timeout, 0rtt-rejected, all-retryable-errors, or a status)";
      const auto matches = close_matches(w, std::vector<std::string>(std::begin(kWords), std::end(kWords)), 1);
      if (!matches.empty()) why += "; did you mean '" + matches.front() + "'?";
      return why;
    }
    if (none && words.size() > 1) return "'none' cannot be combined with other words";
  }
  *out = r;
  return "";
}

std::vector<std::string> format_retry_on(const RetryOn& r) {
  std::vector<std::string> words;
  if (r.conn_failure) words.emplace_back("conn-failure");
  if (r.empty_response) words.emplace_back("empty-response");
  if (r.junk_response) words.emplace_back("junk-response");
  if (r.response_timeout) words.emplace_back("response-timeout");
  if (r.zero_rtt_rejected) words.emplace_back("0rtt-rejected");
  for (uint16_t s : r.statuses) words.push_back(std::to_string(s));
  if (words.empty()) words.emplace_back("none");
  return words;
}

const char* retry_non_idempotent_name(RetryNonIdempotent v) {
  switch (v) {
    case RetryNonIdempotent::with_idempotency_key: return "with-idempotency-key";
    case RetryNonIdempotent::always: return "always";
    case RetryNonIdempotent::never: break;
  }
  return "never";
}

std::string parse_size(std::string_view text, uint64_t* out) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) {
    return "'" + std::string(text) + "' is not a size (a number of bytes, or with k, m or g as HAProxy: \"16k\")";
  }
  const std::string_view suffix(end, static_cast<std::size_t>(text.data() + text.size() - end));
  uint64_t unit = 1;
  if (suffix == "k" || suffix == "K") {
    unit = 1024;
  } else if (suffix == "m" || suffix == "M") {
    unit = 1024 * 1024;
  } else if (suffix == "g" || suffix == "G") {
    unit = 1024ull * 1024 * 1024;
  } else if (!suffix.empty()) {
    return "'" + std::string(text) + "' has an unknown size unit '" + std::string(suffix) + "' (k, m or g)";
  }
  if (value > UINT64_MAX / unit) return "'" + std::string(text) + "' is too large";
  *out = value * unit;
  return "";
}

std::string format_size(uint64_t bytes) {
  if (bytes != 0 && bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + "m";
  if (bytes != 0 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + "k";
  return std::to_string(bytes);
}

}  // namespace dplb::conf
