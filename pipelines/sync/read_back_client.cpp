// Read-back requests through the limiter and the I/O thread (see read_back_client.hpp).
#include "pipelines/sync/read_back_client.hpp"

#include <future>
#include <thread>

#include "pipelines/core/clock.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

http_client_options client_options(const sync_config& cfg) {
  http_client_options o;
  o.request_timeout = cfg.delivery.request_timeout;
  return o;
}

}  // namespace

read_back_client::read_back_client(caf::actor_system& sys, rate_limiter_actor limiter,
                                   std::shared_ptr<state::state_dir> dir, const sync_config& cfg,
                                   std::shared_ptr<const destination> dest)
    : sys_(sys),
      limiter_(std::move(limiter)),
      dir_(std::move(dir)),
      cfg_(cfg),
      dest_(std::move(dest)),
      account_(dest_->account()),
      limits_(dest_->rate_limits()),
      http_(client_options(cfg)) {
  // The same gate as a run's deliveries: the account's limits, today's usage, any pause.
  auto quota = dir_->quota(account_, quota_day(wall_now(), limits_.day_offset));
  caf::anon_send(limiter_, limits_atom_v, account_, limits_, quota.used);
  auto now_ms = wall_now_ms();
  if (quota.paused_until_ms > now_ms)
    caf::anon_send(limiter_, pause_atom_v, account_, quota.paused_until_ms - now_ms);
}

std::optional<http_response> read_back_client::send(http_request request, std::string& error) {
  caf::scoped_actor self{sys_};
  acquire_result gate;
  self->request(limiter_, cfg_.delivery.max_pause + std::chrono::seconds(10), acquire_atom_v,
                account_, static_cast<int64_t>(cfg_.delivery.max_pause.count()))
      .receive([&](const acquire_result& r) { gate = r; },
               [&](const caf::error& e) { gate = {false, "the rate limiter did not answer", 0}; });
  if (!gate.granted) {
    error = "the destination's account may not be called now: " + gate.reason;
    return std::nullopt;
  }
  if (token_)
    dest_->authorize(request, *token_);
  ++api_calls_;
  std::promise<http_response> answer;
  auto done = answer.get_future();
  http_.submit(std::move(request), [&answer](http_response r) { answer.set_value(std::move(r)); });
  return done.get();  // the client always completes: its own timeout bounds the wait
}

bool read_back_client::ensure_token(std::string& error) {
  if (token_)
    return true;
  auto request = dest_->build_token_request();
  if (!request)
    return true;
  auto response = send(std::move(*request), error);
  if (!response)
    return false;
  auto grant = dest_->read_token(*response);
  if (grant.what != access_grant::kind::granted || grant.token.empty()) {
    error = "the destination's token endpoint gave no access token: " + grant.reason;
    return false;
  }
  token_ = grant.token;
  return true;
}

read_back_answer read_back_client::read(const std::vector<read_back_key>& records,
                                        const std::vector<std::string>& fields) {
  read_back_answer out;
  auto request = dest_->build_read_back(records, fields);
  if (!request) {  // none of them can be looked up
    for (const auto& r : records)
      out.unchecked.push_back(r.key);
    return out;
  }
  for (int attempt = 1;; ++attempt) {
    std::string error;
    if (!ensure_token(error)) {
      out.fatal = true;
      out.error = error;
      return out;
    }
    auto response = send(*request, error);
    if (!response) {
      out.fatal = true;
      out.error = error;
      return out;
    }
    std::chrono::milliseconds server_wait{0};
    if (response->transport_failed()) {
      out = {};
      out.retry = true;
      out.error = response->transport_error;
    } else {
      out = dest_->read_back(records, fields, *response);
      if (auto after = response->header("Retry-After"))
        server_wait = parse_retry_after(*after).value_or(server_wait);
      if (response->status == 401 && token_ && dest_->build_token_request()) {
        token_.reset();  // an expired access token: fetch a new one once per attempt
        out.retry = true;
      }
    }
    if (!out.retry || attempt >= cfg_.delivery.retry.max_attempts) {
      if (out.retry) {
        out.retry = false;
        out.fatal = true;
        out.error = "no answer after " + std::to_string(attempt) + " attempts: " + out.error;
      }
      return out;
    }
    std::this_thread::sleep_for(cfg_.delivery.retry.delay(attempt, server_wait, rng_));
  }
}

void read_back_client::save_quota() const {
  if (api_calls_ == 0)
    return;
  auto day = quota_day(wall_now(), limits_.day_offset);
  dir_->env()->write([&](state::transaction& txn) {
    dir_->add_quota(txn, account_, day, static_cast<int64_t>(api_calls_));
  });
}

}  // namespace backflow
