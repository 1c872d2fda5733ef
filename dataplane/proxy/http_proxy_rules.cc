// HTTP rules in the exchange: the frontend's http_request rules, its
// use_backend choice and the backend's http_request rules once a request
// head is parsed; the backend's then the frontend's http_response rules
// once a response head is (HAProxy's order). The final actions answer the
// client here, with HAProxy's termination flags: LR for a redirect or
// return (locally processed), PR for a deny (proxy intercepted).

#include <rte_mbuf.h>

#include <cstring>

#include "dataplane/base/mbuf_chain.h"
#include "dataplane/http/http_error_page.h"
#include "dataplane/proxy/http_proxy.h"
#include "dataplane/tcp/tcp_connection.h"

namespace dplb::dataplane {
namespace {

constexpr std::string_view kKeepAlive = "connection: keep-alive\r\n";
constexpr std::string_view kClose = "connection: close\r\n";

// Writes into out[0..capacity); returns the length, 0 when it did not fit.
std::size_t redirect_head(uint16_t code, std::string_view location, char* out, std::size_t capacity) {
  std::size_t n = 0;
  auto put = [&](std::string_view part) {
    if (n + part.size() > capacity) {
      n = capacity + 1;
      return;
    }
    std::memcpy(out + n, part.data(), part.size());
    n += part.size();
  };
  char status[4] = {static_cast<char>('0' + code / 100), static_cast<char>('0' + code / 10 % 10),
                    static_cast<char>('0' + code % 10), 0};
  put("HTTP/1.1 ");
  put(std::string_view(status, 3));
  put(" ");
  put(http_reason_phrase(code));
  put("\r\ncontent-length: 0\r\nlocation: ");
  put(location);
  put("\r\ncache-control: no-cache\r\n");
  return n > capacity ? 0 : n;
}

}  // namespace

rules::MessageFacts HttpProxy::facts_for(const Session& s) const {
  rules::MessageFacts m;
  const FourTuple& t = s.client->tuple();
  m.src = t.remote_address;
  m.src_port = t.remote_port;
  m.dst = t.local_address;
  m.dst_port = t.local_port;
  m.tls = s.client == &s.tls;
  if (m.tls) m.sni = s.tls.server_name();
  m.version_minor = s.client_version_minor;
  return m;
}

bool HttpProxy::apply_request_rules(Session& s, HttpRequestHead& head, uint32_t head_length) {
  const ProxyFrontend& f = frontend(s);
  const rules::HttpRuleSet* front = f.rules.get();
  const rules::HttpRuleSet* back = backend(s).rules.get();
  if (front == nullptr && back == nullptr) return true;
  rules_->begin();
  rules::MessageFacts m = facts_for(s);
  m.method = head.method;
  m.target = head.target;
  m.fields = head.fields.data();
  m.field_count = head.field_count;
  rules::FormatContext format{&m, f.name, {}, static_cast<uint64_t>(static_cast<int64_t>(now_us_) +
                                                                     snapshot_->wall_offset_us)};
  bool disable_l7_retry = false;
  if (front != nullptr) {
    Counter* hits = counters_.frontend_rule_hits[s.frontend].data();
    const rules::RuleVerdict v = rules_->run_request(*front, hits, head, m, format, &disable_l7_retry);
    if (v.kind != rules::RuleVerdict::Kind::pass) return answer_request_verdict(s, v, false, head_length);
    const int chosen = rules_->choose_backend(*front, hits, m);
    if (chosen >= 0) {
      s.backend = static_cast<uint16_t>(chosen);
      back = backend(s).rules.get();
    }
  }
  if (back != nullptr) {
    format.backend_name = backend(s).name;
    const rules::RuleVerdict v =
        rules_->run_request(*back, counters_.backend_rule_hits[s.backend].data(), head, m, format, &disable_l7_retry);
    if (v.kind != rules::RuleVerdict::Kind::pass) return answer_request_verdict(s, v, true, head_length);
  }
  s.l7_retry_disabled = disable_l7_retry;
  return true;
}

bool HttpProxy::answer_request_verdict(Session& s, const rules::RuleVerdict& v, bool backend_rule,
                                       uint32_t head_length) {
  FrontendCounters& fc = counters_.frontends[s.frontend];
  // A frontend rule answers before any backend is chosen: the exchange is
  // the frontend's alone, as HAProxy logs it (<NOSRV>, no backend counts).
  if (!backend_rule) s.backend = kNoIndex;
  const rules::HttpRule& rule = *v.rule;
  switch (v.kind) {
    case rules::RuleVerdict::Kind::redirect: {
      fc.intercepted.increment();
      const std::size_t n = redirect_head(rule.code, v.location, rewrite_.get(), kRewriteCapacity);
      if (n == 0) {
        fc.rewrite_failures.increment();
        reply_error(s, 500, 'P', 'R');
        return false;
      }
      reply_local(s, rule.code, std::string_view(rewrite_.get(), n), {}, 'L', 'R', head_length);
      return false;
    }
    case rules::RuleVerdict::Kind::return_response:
      fc.intercepted.increment();
      reply_local(s, rule.status, rule.head, rule.body, 'L', 'R', head_length);
      return false;
    case rules::RuleVerdict::Kind::deny:
      fc.denied_requests.increment();
      if (backend_rule) counters_.backends[s.backend].denied_requests.increment();
      if (rule.head.empty()) {
        reply_error(s, rule.status, 'P', 'R');
      } else {
        s.client_keep_alive = false;  // a denied client is not served further on this connection
        reply_local(s, rule.status, rule.head, rule.body, 'P', 'R', head_length);
      }
      return false;
    case rules::RuleVerdict::Kind::rewrite_failed:
      fc.rewrite_failures.increment();
      if (backend_rule) counters_.backends[s.backend].rewrite_failures.increment();
      reply_error(s, 500, 'P', 'R');
      return false;
    case rules::RuleVerdict::Kind::pass:
      break;
  }
  return true;
}

void HttpProxy::reply_local(Session& s, uint16_t status, std::string_view head, std::string_view body, char who,
                            char phase, uint32_t head_length) {
  s.status = status;
  s.termination[0] = who;
  s.termination[1] = phase;
  const std::size_t cls = status_class(status);
  counters_.frontends[s.frontend].responses[cls].increment();
  if (s.backend != kNoIndex) counters_.backends[s.backend].responses[cls].increment();
  // Kept open only when nothing of this request is left to read.
  const bool keep = s.client_keep_alive && s.request_done;
  s.client_keep_alive = keep;
  if (s.phase == Phase::request_head && s.head != nullptr) {
    s.inbound = chain_trim_front(s.inbound, head_length);
    give_buffer(s.head);
  }
  if (s.client != nullptr) {
    uint32_t n = s.client->write_copy(head.data(), static_cast<uint32_t>(head.size()));
    if (!keep) {
      n += s.client->write_copy(kClose.data(), static_cast<uint32_t>(kClose.size()));
    } else if (s.client_version_minor == 0) {
      n += s.client->write_copy(kKeepAlive.data(), static_cast<uint32_t>(kKeepAlive.size()));
    }
    n += s.client->write_copy("\r\n", 2);
    if (!body.empty() && !s.request_is_head) {
      n += s.client->write_copy(body.data(), static_cast<uint32_t>(body.size()));
    }
    s.bytes_out += n;
    s.total_bytes_out += n;
    counters_.frontends[s.frontend].bytes_out.add(n);
  }
  if (s.link != nullptr) close_link(*s.link, true);
  // A body still to come is read and dropped before the close (see
  // end_session), or the close would reset the answer away.
  if (!s.request_done) s.phase = Phase::exchanging;
  finish_exchange(s);
}

bool HttpProxy::apply_response_rules(Session& s, HttpResponseHead& head) {
  const ProxyFrontend& f = frontend(s);
  const ProxyBackend& be = backend(s);
  if (f.rules == nullptr && be.rules == nullptr) return true;
  rules_->begin();
  // No request line: the compiler refuses the fetches that read it in
  // response rules (only the log's truncated copy of it is left here).
  rules::MessageFacts m = facts_for(s);
  m.fields = head.fields.data();
  m.field_count = head.field_count;
  m.status = head.status;
  rules::FormatContext format{&m, f.name, be.name, static_cast<uint64_t>(static_cast<int64_t>(now_us_) +
                                                                          snapshot_->wall_offset_us)};
  struct Stage {
    const rules::HttpRuleSet* set;
    Counter* hits;
    bool backend;
  };
  const Stage stages[2] = {
      {be.rules.get(), be.rules ? counters_.backend_rule_hits[s.backend].data() : nullptr, true},
      {f.rules.get(), f.rules ? counters_.frontend_rule_hits[s.frontend].data() : nullptr, false},
  };
  for (const Stage& stage : stages) {
    if (stage.set == nullptr || stage.set->response.empty()) continue;
    const rules::RuleVerdict v = rules_->run_response(*stage.set, stage.hits, head, m, format);
    if (v.kind == rules::RuleVerdict::Kind::pass) continue;
    // The server's answer is replaced: its connection cannot be reused
    // with the rest of that answer unread.
    if (s.link != nullptr) close_link(*s.link, true);
    FrontendCounters& fc = counters_.frontends[s.frontend];
    BackendCounters& bc = counters_.backends[s.backend];
    const rules::HttpRule& rule = *v.rule;
    switch (v.kind) {
      case rules::RuleVerdict::Kind::deny:
        fc.denied_responses.increment();
        bc.denied_responses.increment();
        if (rule.head.empty()) {
          reply_error(s, rule.status, 'P', 'H');
        } else {
          s.client_keep_alive = false;
          reply_local(s, rule.status, rule.head, rule.body, 'P', 'H', 0);
        }
        break;
      case rules::RuleVerdict::Kind::redirect: {
        fc.intercepted.increment();
        const std::size_t n = redirect_head(rule.code, v.location, rewrite_.get(), kRewriteCapacity);
        if (n == 0) {
          fc.rewrite_failures.increment();
          reply_error(s, 502, 'P', 'H');
        } else {
          reply_local(s, rule.code, std::string_view(rewrite_.get(), n), {}, 'L', 'H', 0);
        }
        break;
      }
      case rules::RuleVerdict::Kind::return_response:
        fc.intercepted.increment();
        reply_local(s, rule.status, rule.head, rule.body, 'L', 'H', 0);
        break;
      default:
        fc.rewrite_failures.increment();
        if (stage.backend) bc.rewrite_failures.increment();
        reply_error(s, 502, 'P', 'H');
        break;
    }
    return false;
  }
  return true;
}

}  // namespace dplb::dataplane
