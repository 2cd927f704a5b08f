// Run alerts: a signed webhook (`notify` in the sync file) called after runs that need a human.
#pragma once

#include <chrono>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "pipelines/config/sync_config.hpp"
#include "pipelines/delivery/http.hpp"
#include "pipelines/sync/run_summary.hpp"

namespace backflow {

/// True when the run's status is in `notify.on`, or it rejected more than `rejected_over` records.
[[nodiscard]] bool should_notify(const notify_config& config, const run_summary& summary);

/// {sync, run_id, status, error, counts, problems (first 10), finished_at}.
[[nodiscard]] nlohmann::json notification_body(const run_summary& summary);

/// The POST, signed like the webhook destination signs batches (Standard Webhooks headers
/// webhook-id, webhook-timestamp and, with a secret, webhook-signature).
[[nodiscard]] http_request notification_request(const notify_config& config,
                                                const run_summary& summary, int64_t unix_now);

/// Sends the notification when should_notify() says so and waits for the answer. A failure is
/// logged and returned as false, never thrown: an alert must not change the run's outcome.
bool notify_run(const notify_config& config, const run_summary& summary,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace backflow
