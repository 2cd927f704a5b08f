// End-to-end test helpers: warehouse models (SQLite, PostgreSQL), sync files, the backflow binary.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace backflow::testing {

/// A contacts model: email (key), first_name, score, tier. Row i has email "user<i>@example.com".
class contacts_model {
 public:
  virtual ~contacts_model() = default;
  /// Inserts rows [from, to).
  virtual void insert(int from, int to) = 0;
  /// Adds `delta` to the score of rows whose number is in `ids`.
  virtual void bump_scores(const std::vector<int>& ids, double delta) = 0;
  virtual void remove(const std::vector<int>& ids) = 0;
  /// Runs arbitrary SQL (e.g. to plant a bad row).
  virtual void exec(const std::string& sql) = 0;
  /// The `source` object of a sync file reading this model.
  [[nodiscard]] virtual nlohmann::json source() const = 0;
  [[nodiscard]] virtual int count() = 0;
  /// The table's name, to write other queries over it.
  [[nodiscard]] virtual std::string table() const = 0;

  /// The `source` object with another select list over the same table (key: email).
  [[nodiscard]] nlohmann::json source_selecting(const std::string& select_list) const {
    auto s = source();
    s["query"] = "SELECT " + select_list + " FROM " + table();
    return s;
  }
};

/// A SQLite file in `dir`.
std::unique_ptr<contacts_model> sqlite_contacts(const temp_dir& dir);
/// A fresh table in the test PostgreSQL server (DSN from BACKFLOW_TEST_PG_DSN_FILE); the test
/// fails if the server is not there.
std::unique_ptr<contacts_model> postgres_contacts();

std::string email_of(int i);

/// Runs the real `backflow` binary.
struct cli {
  std::string state_dir;
  std::map<std::string, std::string> env;

  process_result run(const std::vector<std::string>& args) const;
  /// `backflow run SYNC --state DIR --json`, with the summary parsed (null if stdout is not JSON).
  struct run_result {
    process_result process;
    nlohmann::json summary;
  };
  run_result run_sync(const std::string& sync_file, const std::vector<std::string>& extra = {}) const;
};

/// Writes a sync file to `dir` and returns its path.
std::string write_sync(const temp_dir& dir, const nlohmann::json& sync, const std::string& name = "sync.json");

/// A HubSpot sync of a contacts model: upsert by email, mapping score as a number.
nlohmann::json hubspot_sync(const contacts_model& model, const std::string& endpoint,
                            const std::string& mode = "upsert");
/// A webhook sync of a contacts model.
nlohmann::json webhook_sync(const contacts_model& model, const std::string& endpoint,
                            const std::string& secret, const std::string& mode = "upsert");

}  // namespace backflow::testing
