// Shared by the incremental end-to-end suites: a SQLite items table, cursor timestamps, and a
// fixture of a webhook emulator and the backflow binary.
#pragma once

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>

#include "pipelines/core/crypto.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

namespace incremental_e2e {

using namespace backflow::testing;
using nlohmann::json;

inline const std::string secret = "whsec_" + backflow::base64_encode("e2e-incremental-secret");

/// A table `items (id, name, score, updated_at)` in a SQLite file; `updated_at` is declared
/// `cursor_type` (TEXT timestamps, INTEGER versions).
class sqlite_items {
 public:
  sqlite_items(const temp_dir& dir, const std::string& cursor_type)
      : path_(dir.file("warehouse.sqlite")) {
    if (sqlite3_open(path_.c_str(), &db_) != SQLITE_OK)
      throw std::runtime_error("cannot open " + path_);
    exec("CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT, score INTEGER, updated_at " +
         cursor_type + ")");
  }
  ~sqlite_items() { sqlite3_close(db_); }
  sqlite_items(const sqlite_items&) = delete;
  sqlite_items& operator=(const sqlite_items&) = delete;

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error != nullptr ? error : "?";
      sqlite3_free(error);
      throw std::runtime_error(sql + ": " + message);
    }
  }
  [[nodiscard]] json source(const json& incremental) const {
    return {{"type", "sqlite"},
            {"path", path_},
            {"query", "SELECT id, name, score, updated_at FROM items"},
            {"key", "id"},
            {"incremental", incremental}};
  }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

inline std::string id_of(int i) { return "item-" + std::to_string(i); }

/// "2026-03-01 10:MM:SS" for second `s` of the hour (s < 3600).
inline std::string at(int s, const std::string& day = "2026-03-01", int hour = 10) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s %02d:%02d:%02d", day.c_str(), hour, s / 60, s % 60);
  return buf;
}

struct fixture {
  temp_dir dir;
  emulator_process webhook{"webhook", {"--secret", secret}};
  cli backflow{dir.file("state"), {}};

  json sync_of(const json& source, const std::string& mode = "mirror") {
    return {{"name", "items_to_webhook"},
            {"source", source},
            {"destination",
             {{"type", "webhook"},
              {"endpoint", webhook.url("/hooks/backflow")},
              {"secret", secret},
              {"batch_size", 50}}},
            {"mode", mode},
            {"mapping", {{{"from", "name"}, {"to", "name"}}, {{"from", "score"}, {"to", "score"}}}},
            {"delivery", {{"retry_initial", "50ms"}, {"retry_max", "2s"}}}};
  }
  std::string write(const json& sync) { return write_sync(dir, sync); }
  std::map<std::string, json> received() {
    std::map<std::string, json> out;
    for (auto& r : webhook.records())
      out[r["key"].get<std::string>()] = r;
    return out;
  }
  cli::run_result run(const std::string& sync, const std::map<std::string, std::string>& env = {}) {
    cli c = backflow;
    for (const auto& [k, v] : env)
      c.env[k] = v;
    auto r = c.run_sync(sync);
    BOOST_TEST_MESSAGE("run: " << r.summary.dump());
    return r;
  }
  json status() {
    auto p = backflow.run({"status", "--state", backflow.state_dir, "--json"});
    auto all = json::parse(p.out, nullptr, false);
    return all.is_array() && !all.empty() ? all[0] : json();
  }
};

inline void require_ok(const cli::run_result& r, int code = 0) {
  BOOST_REQUIRE_MESSAGE(r.process.exit_code == code,
                        "exit " << r.process.exit_code << ": " << r.process.out << r.process.err);
}

/// Inserts rows [from, to) with updated_at at second i of the hour.
inline void fill(sqlite_items& db, int from, int to) {
  db.exec("BEGIN");
  for (int i = from; i < to; ++i)
    db.exec("INSERT INTO items VALUES ('" + id_of(i) + "', 'Name " + std::to_string(i) + "', " +
            std::to_string(i) + ", '" + at(i) + "')");
  db.exec("COMMIT");
}

}  // namespace incremental_e2e
