#include "dataplane/http/http_error_page.h"

namespace dplb::dataplane {

namespace {

// One sentence per page, for a person looking at a browser, not a log.
std::string_view explanation(uint16_t status) {
  switch (status) {
    case 400: return "The request could not be understood: it is not valid HTTP.";
    case 403: return "Access to this resource is denied by the site's configuration.";
    case 408: return "The request did not arrive completely before the time allowed ran out.";
    case 413: return "The request's body is larger than this site accepts.";
    case 414: return "The request's target (its URL) is longer than this site accepts.";
    case 431: return "The request's header fields are larger or more numerous than this site accepts.";
    case 500: return "Something went wrong inside the load balancer while handling the request.";
    case 501: return "The request asks for something the load balancer does not support.";
    case 502: return "The server behind the load balancer sent an invalid reply or none at all.";
    case 503: return "No server is able to take the request at the moment. Please try again later.";
    case 504: return "The server behind the load balancer took too long to answer.";
    case 505: return "The request uses a version of HTTP the load balancer does not support.";
    default: return "The request could not be completed.";
  }
}

}  // namespace

std::string_view http_reason_phrase(uint16_t status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    // RFC 6585.
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return {};
  }
}

std::string default_error_page(uint16_t status) {
  // A page with a status outside 100..599 would not be HTTP at all
  // (RFC 9110 15); such a caller bug gets a 500 rather than garbage.
  if (status < 100 || status > 599) status = 500;
  std::string_view reason = http_reason_phrase(status);
  if (reason.empty()) reason = "Error";
  const std::string code = std::to_string(status);

  std::string body;
  body.reserve(160);
  body.append("<html><body><h1>").append(code).append(" ").append(reason).append("</h1>\n");
  body.append(explanation(status)).append("\n</body></html>\n");

  std::string page;
  page.reserve(body.size() + 160);
  page.append("HTTP/1.1 ").append(code).append(" ").append(reason).append("\r\n");
  page.append("content-length: ").append(std::to_string(body.size())).append("\r\n");
  page.append("cache-control: no-cache\r\n");
  page.append("content-type: text/html\r\n");
  page.append("connection: close\r\n\r\n");
  page.append(body);
  return page;
}

}  // namespace dplb::dataplane
