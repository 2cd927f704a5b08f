// End-to-end test helpers (see e2e_support.hpp).
#include "tests/e2e/e2e_support.hpp"

#include <atomic>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

namespace backflow::testing {
namespace {

std::string id_list(const std::vector<int>& ids, bool as_emails) {
  std::string out;
  for (int i : ids)
    out += (out.empty() ? "" : ",") + (as_emails ? "'" + email_of(i) + "'" : std::to_string(i));
  return out;
}

class sqlite_model final : public contacts_model {
 public:
  explicit sqlite_model(const temp_dir& dir) : path_(dir.file("warehouse.sqlite")) {
    if (sqlite3_open(path_.c_str(), &db_) != SQLITE_OK)
      throw std::runtime_error("cannot create " + path_);
    exec("CREATE TABLE contacts (email TEXT, first_name TEXT, score REAL, tier TEXT)");
  }
  ~sqlite_model() override { sqlite3_close(db_); }

  void insert(int from, int to) override {
    exec("BEGIN");
    for (int i = from; i < to; ++i)
      exec("INSERT INTO contacts VALUES ('" + email_of(i) + "', 'User " + std::to_string(i) + "', " +
           std::to_string(i % 100) + ", '" + (i % 2 ? "gold" : "silver") + "')");
    exec("COMMIT");
  }
  void bump_scores(const std::vector<int>& ids, double delta) override {
    exec("UPDATE contacts SET score = score + " + std::to_string(delta) + " WHERE email IN (" +
         id_list(ids, true) + ")");
  }
  void remove(const std::vector<int>& ids) override {
    exec("DELETE FROM contacts WHERE email IN (" + id_list(ids, true) + ")");
  }
  void exec(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error("sqlite: " + msg + " in " + sql.substr(0, 200));
    }
  }
  nlohmann::json source() const override {
    return {{"type", "sqlite"},
            {"path", path_},
            {"query", "SELECT email, first_name, score, tier FROM contacts"},
            {"key", "email"}};
  }
  std::string table() const override { return "contacts"; }
  int count() override {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db_, "SELECT count(*) FROM contacts", -1, &stmt, nullptr);
    sqlite3_step(stmt);
    int n = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
  }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

class postgres_model final : public contacts_model {
 public:
  postgres_model() {
    const char* dsn_file = std::getenv("BACKFLOW_TEST_PG_DSN_FILE");
    if (dsn_file == nullptr)
      throw std::runtime_error("BACKFLOW_TEST_PG_DSN_FILE is not set; run through ctest");
    dsn_ = read_file(dsn_file);
    while (!dsn_.empty() && (dsn_.back() == '\n' || dsn_.back() == ' '))
      dsn_.pop_back();
    if (dsn_.empty())
      throw std::runtime_error(std::string("no PostgreSQL DSN in ") + dsn_file +
                               " (the postgres_start fixture did not run?)");
    conn_ = PQconnectdb(dsn_.c_str());
    if (PQstatus(conn_) != CONNECTION_OK)
      throw std::runtime_error(std::string("cannot connect to the test PostgreSQL: ") +
                               PQerrorMessage(conn_));
    static std::atomic<int> counter{0};
    table_ = "contacts_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
    exec("CREATE TABLE " + table_ +
         " (email text, first_name text, score double precision, tier text)");
  }
  ~postgres_model() override {
    PQclear(PQexec(conn_, ("DROP TABLE IF EXISTS " + table_).c_str()));
    PQfinish(conn_);
  }

  void insert(int from, int to) override {
    exec("INSERT INTO " + table_ + " SELECT 'user' || i || '@example.com', 'User ' || i, i % 100, "
         "CASE WHEN i % 2 = 1 THEN 'gold' ELSE 'silver' END FROM generate_series(" +
         std::to_string(from) + ", " + std::to_string(to - 1) + ") AS i");
  }
  void bump_scores(const std::vector<int>& ids, double delta) override {
    exec("UPDATE " + table_ + " SET score = score + " + std::to_string(delta) +
         " WHERE email IN (" + id_list(ids, true) + ")");
  }
  void remove(const std::vector<int>& ids) override {
    exec("DELETE FROM " + table_ + " WHERE email IN (" + id_list(ids, true) + ")");
  }
  void exec(const std::string& sql) override {
    PGresult* r = PQexec(conn_, sql.c_str());
    auto status = PQresultStatus(r);
    std::string err = PQresultErrorMessage(r);
    PQclear(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      throw std::runtime_error("postgres: " + err + " in " + sql.substr(0, 200));
  }
  nlohmann::json source() const override {
    return {{"type", "postgres"},
            {"dsn", "${BACKFLOW_TEST_PG_DSN}"},
            {"query", "SELECT email, first_name, score, tier FROM " + table_},
            {"key", "email"}};
  }
  std::string table() const override { return table_; }
  int count() override {
    PGresult* r = PQexec(conn_, ("SELECT count(*) FROM " + table_).c_str());
    int n = std::atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
  }
  [[nodiscard]] const std::string& dsn() const { return dsn_; }

 private:
  std::string dsn_;
  std::string table_;
  PGconn* conn_ = nullptr;
};

}  // namespace

std::string email_of(int i) {
  return "user" + std::to_string(i) + "@example.com";
}

std::unique_ptr<contacts_model> sqlite_contacts(const temp_dir& dir) {
  return std::make_unique<sqlite_model>(dir);
}

std::unique_ptr<contacts_model> postgres_contacts() {
  auto model = std::make_unique<postgres_model>();
  setenv("BACKFLOW_TEST_PG_DSN", model->dsn().c_str(), 1);
  return model;
}

process_result cli::run(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{binary_path("backflow")};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, env, std::chrono::seconds(180));
}

cli::run_result cli::run_sync(const std::string& sync_file,
                              const std::vector<std::string>& extra) const {
  run_result r;
  std::vector<std::string> args = {"run", sync_file, "--state", state_dir, "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  r.process = run(args);
  r.summary = nlohmann::json::parse(r.process.out, nullptr, false);
  if (r.summary.is_discarded())
    r.summary = nullptr;
  return r;
}

std::string write_sync(const temp_dir& dir, const nlohmann::json& sync, const std::string& name) {
  auto path = dir.file(name);
  write_file(path, sync.dump(2));
  return path;
}

nlohmann::json hubspot_sync(const contacts_model& model, const std::string& endpoint,
                            const std::string& mode) {
  return {{"name", "contacts_to_hubspot"},
          {"source", model.source()},
          {"destination",
           {{"type", "hubspot"},
            {"endpoint", endpoint},
            {"token", "emulator-token"},
            {"rate_limit", {{"per_10s", 0}, {"daily", 0}}}}},
          {"mode", mode},
          {"mapping",
           {{{"from", "email"}, {"to", "email"}},
            {{"from", "first_name"}, {"to", "firstname"}},
            {{"from", "score"}, {"to", "score"}, {"type", "number"}},
            {{"from", "tier"}, {"to", "tier"}}}},
          {"delivery", {{"retry_initial", "50ms"}, {"retry_max", "2s"}}}};
}

nlohmann::json webhook_sync(const contacts_model& model, const std::string& endpoint,
                            const std::string& secret, const std::string& mode) {
  return {{"name", "contacts_to_webhook"},
          {"source", model.source()},
          {"destination",
           {{"type", "webhook"}, {"endpoint", endpoint}, {"secret", secret}, {"batch_size", 50}}},
          {"mode", mode},
          {"delivery", {{"retry_initial", "50ms"}, {"retry_max", "2s"}}}};
}

}  // namespace backflow::testing
