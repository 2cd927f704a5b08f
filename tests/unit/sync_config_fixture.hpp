// Sync files and a fake environment shared by the sync_config tests.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "pipelines/core/env_interpolation.hpp"
#include "tests/unit/unit_rows.hpp"

namespace backflow::unit {

inline const std::string hubspot_token = "pat-na1-0000-secret-token";
inline const std::string warehouse_dsn = "postgresql://etl:pw-987@db.internal/warehouse";
inline const std::string hook_secret = "whsec_ZW11bGF0b3Itc2VjcmV0";
inline const std::string tenant = "tenant-4411";

/// HUBSPOT_TOKEN, WAREHOUSE_DSN, HOOK_SECRET and TENANT; nothing else is set.
inline env_lookup test_env() {
  std::map<std::string, std::string> vars = {{"HUBSPOT_TOKEN", hubspot_token},
                                             {"WAREHOUSE_DSN", warehouse_dsn},
                                             {"HOOK_SECRET", hook_secret},
                                             {"TENANT", tenant}};
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

/// A HubSpot sync with comments, as a user would write it.
inline const char* const hubspot_sync_text = R"({
  // The PQL model, pushed to HubSpot contacts.
  "name": "pql_to_hubspot",
  "source": { "type": "sqlite", "path": "data/warehouse.db",
              "query": "SELECT email, pql_score, tier FROM pql", "key": "email" },
  /* Only the token is required; the rest has defaults. */
  "destination": { "type": "hubspot", "token": "${HUBSPOT_TOKEN}" },
  "mapping": [ { "from": "email", "to": "email", "transform": "lowercase" },
               { "from": "pql_score", "to": "pql_score", "type": "number" },
               { "from": "tier", "to": "tier", "transform": ["trim", "uppercase"] } ],
  "schedule": { "every": "5m" },
  "guards": { "max_changed_ratio": 0.25, "max_deleted_ratio": 0.05 }
})";

/// A webhook sync from PostgreSQL with a composite key, mirror mode and tuned delivery.
inline const char* const webhook_sync_text = R"({
  "name": "orders-webhook.v2",
  "source": { "type": "postgres", "dsn": "${WAREHOUSE_DSN}",
              "query": "SELECT id, region, total FROM orders", "key": ["id", "region"] },
  "destination": { "type": "webhook", "endpoint": "http://127.0.0.1:9000/hooks",
                   "secret": "${HOOK_SECRET}", "rate_limit": { "per_second": 5 } },
  "mode": "mirror",
  "delivery": { "concurrency": 8, "max_attempts": 3, "request_timeout": "5s",
                "retry_initial": "100ms", "retry_max": "2s" },
  "schedule": { "cron": "*/5 * * * *" }
})";

inline nlohmann::json hubspot_sync_json() {
  return nlohmann::json::parse(hubspot_sync_text, nullptr, true, /*ignore_comments=*/true);
}

/// A minimal HubSpot sync to vary one field at a time.
inline nlohmann::json fingerprint_base() {
  return {{"name", "fp"},
          {"source",
           {{"type", "sqlite"},
            {"path", "w.db"},
            {"query", "SELECT email, score FROM t"},
            {"key", "email"}}},
          {"destination", {{"type", "hubspot"}, {"token", "${HUBSPOT_TOKEN}"}}},
          {"mapping", nlohmann::json::array({{{"from", "score"}, {"to", "score"}}})}};
}

}  // namespace backflow::unit
