#pragma once

// Errorfiles ([[frontend]] errorfiles): complete HTTP responses that replace
// dplb's built-in error pages. They are sent byte for byte, so the loader
// refuses one that a client could not parse, rather than letting a broken
// file desynchronise a client at the worst moment.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dplb::conf {

// The statuses dplb itself answers with (the proxy's and the request
// parser's); an errorfile for any other status would never be used.
inline constexpr std::array<uint16_t, 12> kErrorFileStatuses = {400, 403, 408, 413, 414, 431,
                                                                500, 501, 502, 503, 504, 505};

// As HAProxy's default tune.bufsize: an error page must fit one buffer.
inline constexpr std::size_t kMaxErrorFileBytes = 16384;

bool is_error_file_status(int64_t status);
// "400, 403, ..., 505", for messages and docs.
std::string error_file_statuses_text();

// Empty when `response` is a complete HTTP/1.0 or HTTP/1.1 response dplb may
// send as it is; otherwise why not, worded to follow "the file ...".
std::string check_error_response(std::string_view response);

// Reads and checks the file at `path` (absolute). On success returns "" and
// fills `contents`; otherwise returns the reason, naming the path.
std::string load_error_file(const std::string& path, std::string& contents);

}  // namespace dplb::conf
