#pragma once

// A backend's Layer-7 retry policy: HAProxy's `retry-on` words, and dplb's
// rule about methods that are not idempotent. Parsed by the configuration
// loader, copied into the proxy snapshot for the workers.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "conf/duration.h"

namespace dplb::conf {

// HAProxy's `retry-on` keywords (doc/configuration.txt, "retry-on").
struct RetryOn {
  bool conn_failure = true;  // HAProxy's default: the request never reached a server
  bool empty_response = false;
  bool junk_response = false;
  bool response_timeout = false;
  bool zero_rtt_rejected = false;
  std::vector<uint16_t> statuses;  // of 401 403 404 408 425 500 501 502 503 504

  bool any_layer7() const { return empty_response || junk_response || response_timeout || !statuses.empty(); }
  bool operator==(const RetryOn&) const = default;
};

// The statuses `retry-on` accepts, as HAProxy lists them.
inline constexpr uint16_t kRetryableStatuses[] = {401, 403, 404, 408, 425, 500, 501, 502, 503, 504};

// Sets `out` from the words of `retry_on`; on a mistake returns why and sets
// *bad_index to the word at fault. "none" stands alone;
// "all-retryable-errors" is conn-failure empty-response junk-response
// response-timeout 0rtt-rejected 500 502 503 504.
std::string parse_retry_on(const std::vector<std::string>& words, RetryOn* out, std::size_t* bad_index);
// The words, in HAProxy's order, for `show config`.
std::vector<std::string> format_retry_on(const RetryOn& r);

// Beyond HAProxy (as Envoy's retry budgets): Layer-7 retries in progress on
// a backend are capped at `percent` of its requests in flight, and never
// below `min_concurrent`, so a failing backend is not hit by a retry storm.
struct RetryBudget {
  uint32_t percent = 20;
  uint32_t min_concurrent = 3;
  bool operator==(const RetryBudget&) const = default;
};

// Beyond HAProxy, which retries at once: the wait before the n-th Layer-7
// retry of a request is drawn uniformly from [0, min(max, base * 2^(n-1))]
// ("full jitter"), so the retries of many requests failed by one event do
// not reach the next server in step. base 0: at once, as HAProxy.
struct RetryBackoff {
  Duration base{0};
  Duration max{250'000};
  bool operator==(const RetryBackoff&) const = default;
};

enum class RetryNonIdempotent : uint8_t { never, with_idempotency_key, always };
const char* retry_non_idempotent_name(RetryNonIdempotent v);

// "16k", "1m", or a number of bytes; HAProxy's size suffixes (k, m, g:
// powers of 1024). Returns "" or why not.
std::string parse_size(std::string_view text, uint64_t* out);
std::string format_size(uint64_t bytes);

}  // namespace dplb::conf
