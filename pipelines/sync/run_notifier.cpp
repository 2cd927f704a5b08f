// Run alerts (see run_notifier.hpp).
#include "pipelines/sync/run_notifier.hpp"

#include <algorithm>
#include <ctime>
#include <future>
#include <memory>

#include <spdlog/spdlog.h>

#include "pipelines/core/crypto.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/delivery/http_client.hpp"

namespace backflow {
namespace {

constexpr size_t problems_sent = 10;

}  // namespace

bool should_notify(const notify_config& config, const run_summary& summary) {
  if (summary.status == run_status::planned)
    return false;
  if (config.rejected_over && summary.outcomes.rejected > *config.rejected_over)
    return true;
  return std::find(config.on.begin(), config.on.end(), to_string(summary.status)) !=
         config.on.end();
}

nlohmann::json notification_body(const run_summary& summary) {
  auto full = summary.to_json();
  nlohmann::json problems = nlohmann::json::array();
  for (size_t i = 0; i < summary.problems.size() && i < problems_sent; ++i)
    problems.push_back(summary.problems[i]);
  return {{"sync", summary.sync},
          {"run_id", summary.run_id},
          {"status", to_string(summary.status)},
          {"error", summary.error},
          {"counts", full["counts"]},
          {"problems", std::move(problems)},
          {"finished_at", summary.finished_at}};
}

http_request notification_request(const notify_config& config, const run_summary& summary,
                                  int64_t unix_now) {
  http_request req;
  req.method = "POST";
  req.url = config.url;
  req.body = redact_secrets(notification_body(summary).dump());  // errors may quote a DSN
  auto id = "msg_" + sha256_hex(summary.sync + "/notify/" + std::to_string(summary.run_id) + "/" +
                                summary.finished_at)
                         .substr(0, 32);
  auto timestamp = std::to_string(unix_now);
  req.headers = {{"Content-Type", "application/json"},
                 {"webhook-id", id},
                 {"webhook-timestamp", timestamp}};
  if (!config.secret.empty())
    req.headers.push_back(
        {"webhook-signature", standard_webhook_signature(config.secret, id, timestamp, req.body)});
  return req;
}

bool notify_run(const notify_config& config, const run_summary& summary,
                std::chrono::milliseconds timeout) {
  if (!should_notify(config, summary))
    return true;
  try {
    // Receivers check the timestamp against their own clock: use the real one, not wall_now().
    auto req = notification_request(config, summary, static_cast<int64_t>(std::time(nullptr)));
    http_client_options options;
    options.request_timeout = timeout;
    options.connect_timeout = std::min(timeout, std::chrono::milliseconds(10'000));
    http_client client(options);
    auto answer = std::make_shared<std::promise<http_response>>();
    auto done = answer->get_future();
    client.submit(std::move(req), [answer](http_response r) { answer->set_value(std::move(r)); });
    if (done.wait_for(timeout + std::chrono::seconds(2)) != std::future_status::ready) {
      spdlog::warn("Notification failed: sync={} run={} error=\"no answer within {} ms\"",
                   summary.sync, summary.run_id, timeout.count());
      return false;
    }
    auto response = done.get();
    if (response.status >= 200 && response.status < 300) {
      spdlog::info("Notification sent: sync={} run={} status={}", summary.sync, summary.run_id,
                   to_string(summary.status));
      return true;
    }
    spdlog::warn("Notification failed: sync={} run={} http_status={} error=\"{}\"", summary.sync,
                 summary.run_id, response.status,
                 response.transport_error.empty() ? response.body.substr(0, 200)
                                                  : response.transport_error);
  } catch (const std::exception& e) {
    spdlog::warn("Notification failed: sync={} run={} error=\"{}\"", summary.sync, summary.run_id,
                 e.what());
  }
  return false;
}

}  // namespace backflow
