// The delivery machine's access tokens: fetched from the destination's token endpoint through the
// same send effect as every request (so off the scheduler threads), cached until they expire,
// shared by all requests, and fetched again once when an answer refuses one.
//
//   send(item) ──no usable token──► waiting ──► token request ──granted──► send(waiting...)
//                                                      └─ 429/5xx/transport: backoff, again
//                                                      └─ refused: stop (exit 4), named
//   answer with token_rejected ──► forget that token ──► item queued again (3 refusals: stop)
#include "pipelines/delivery/delivery_machine.hpp"

#include "pipelines/core/redaction.hpp"

namespace backflow::delivery {

namespace {

/// Refusals of one request's token before the run stops. More than one: a token endpoint may hand
/// out its live token a moment before it expires (Marketo does), so a new token can be refused.
constexpr int max_token_refusals = 3;

/// Refetch a little before the token endpoint says it expires: a request takes time to land.
std::chrono::steady_clock::duration lifetime(std::chrono::seconds expires_in) {
  auto margin = std::min<std::chrono::milliseconds>(std::chrono::seconds(60), expires_in / 10);
  return expires_in - margin;
}

}  // namespace

bool delivery_machine::has_token_for(work_item& item) {
  if (!token_.needed)
    return true;
  bool usable = !token_.value.empty() && (!token_.expires || s_.clock.steady() < *token_.expires);
  if (usable)
    return true;
  token_.value.clear();
  token_.waiting.push_back(std::move(item));
  if (token_.fetching == 0 && token_.retry_timer == 0)
    fetch_token();
  return false;
}

void delivery_machine::authorize(work_item& item, http_request& request) {
  if (!token_.needed)
    return;
  s_.dest->authorize(request, token_.value);
  item.token_generation = token_.generation;
}

void delivery_machine::fetch_token() {
  auto request = s_.dest->build_token_request();
  if (!request) {
    stop("the destination named no token endpoint");
    return;
  }
  token_.fetching = ++next_id_;
  s_.log.info("Fetching an access token: endpoint={}", url_without_query(request->url));
  emit(send_request{token_.fetching, std::move(*request)});
}

void delivery_machine::read_token_response(const http_response& response) {
  using kind = access_grant::kind;
  auto endpoint = s_.dest->build_token_request();
  auto named = endpoint ? url_without_query(endpoint->url) : std::string("(none)");
  access_grant grant;
  if (response.transport_failed()) {
    grant = access_grant::failed(kind::retry, "transport: " + response.transport_error);
  } else {
    try {
      grant = s_.dest->read_token(response);
    } catch (const std::exception& e) {
      grant = access_grant::failed(kind::refused, std::string("unreadable answer: ") + e.what());
    }
  }
  if (grant.what == kind::granted) {
    register_secret(grant.token);  // never in a log line or a printed answer
    token_.value = std::move(grant.token);
    token_.expires.reset();
    if (grant.expires_in.count() > 0)
      token_.expires = s_.clock.steady() + lifetime(grant.expires_in);
    ++token_.generation;
    token_.attempt = 0;
    destination_notes notes;
    notes.counters["access_tokens_fetched"] = 1;
    report_.notes.merge(notes);
    auto waiting = std::move(token_.waiting);
    token_.waiting.clear();
    for (auto& item : waiting)
      send(std::move(item));
    return;
  }
  auto why = "the token endpoint " + named + " answered " + redact_secrets(grant.reason);
  if (grant.what == kind::retry && ++token_.attempt < s_.retry.max_attempts) {
    auto delay = s_.retry.delay(token_.attempt, {}, rng_);
    s_.log.warn("Fetching an access token again: in_ms={} reason=\"{}\"", delay.count(), why);
    token_.retry_timer = ++next_id_;
    emit(park_until{token_.retry_timer, delay});
    return;
  }
  stop(grant.what == kind::retry ? why + " (gave up after " + std::to_string(token_.attempt) +
                                       " attempts)"
                                 : why);
}

void delivery_machine::token_refused(work_item item, const std::string& reason) {
  if (item.token_generation == token_.generation)
    token_.value.clear();  // that token is no good: the next send fetches another
  if (++item.token_refusals >= max_token_refusals) {
    report_.failed += item.batch.records.size();
    stop("the destination refused a newly fetched access token too: " + reason);
    part_done(item.origin);
    return;
  }
  s_.log.info("Access token refused, sending again with a new one: batch={} reason=\"{}\"",
              item.batch.batch_id, reason);
  report_.retried += item.batch.records.size();  // sent again, without a failed attempt
  ready_.push_front(std::move(item));
}

void delivery_machine::abandon_token_waiters() {
  for (auto& item : token_.waiting) {
    report_.failed += item.batch.records.size();
    part_done(item.origin);
  }
  token_.waiting.clear();
}

}  // namespace backflow::delivery
