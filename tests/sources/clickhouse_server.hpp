// The throwaway ClickHouse test server (scripts/clickhouse-test-server.sh), with a database per use.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "connectors/sources/source.hpp"

namespace backflow::testing {

/// Connection facts of the server from BACKFLOW_TEST_CH_DIR (url, user, password), and a
/// database made for this object, dropped when it goes away. Fixture SQL goes through plain
/// libcurl with basic auth, not through the source under test.
class clickhouse_server {
 public:
  clickhouse_server() {
    const char* dir = std::getenv("BACKFLOW_TEST_CH_DIR");
    if (dir == nullptr || !std::filesystem::exists(std::filesystem::path(dir) / "url"))
      throw std::runtime_error(
          "no ClickHouse test server: BACKFLOW_TEST_CH_DIR names no server directory (run "
          "through ctest, or start one with scripts/clickhouse-test-server.sh start DIR)");
    url_ = slurp(dir, "url");
    user_ = slurp(dir, "user");
    password_ = slurp(dir, "password");
    static std::atomic<int> counter{0};
    auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    database_ = "bf_src_" + std::to_string(getpid()) + "_" + std::to_string(now % 1000000007) +
                "_" + std::to_string(++counter);
    post("CREATE DATABASE " + database_, false);
  }

  ~clickhouse_server() {
    try {
      post("DROP DATABASE IF EXISTS " + database_, false);
    } catch (...) {
    }
  }

  clickhouse_server(const clickhouse_server&) = delete;
  clickhouse_server& operator=(const clickhouse_server&) = delete;

  /// Runs `sql` in this object's database ("{d}" also stands for it); returns the answer's body.
  std::string exec(const std::string& sql) const { return post(expand(sql), true); }

  /// A `clickhouse` source spec reading `query` ("{d}" is this object's database).
  [[nodiscard]] source_spec spec(const std::string& query, const nlohmann::json& options = {}) const {
    nlohmann::json all = this->options();
    for (const auto& [key, value] : options.items())
      all[key] = value;
    return source_spec{"clickhouse", all, expand(query)};
  }

  /// The source options: url, user, password, database, compression on.
  [[nodiscard]] nlohmann::json options() const {
    return {{"url", url_}, {"user", user_}, {"password", password_}, {"database", database_},
            {"compression", true}};
  }

  [[nodiscard]] const std::string& url() const { return url_; }
  [[nodiscard]] const std::string& user() const { return user_; }
  [[nodiscard]] const std::string& password() const { return password_; }
  [[nodiscard]] const std::string& database() const { return database_; }

 private:
  static std::string slurp(const std::string& dir, const std::string& name) {
    std::ifstream in(dir + "/" + name);
    std::stringstream s;
    s << in.rdbuf();
    std::string v = s.str();
    while (!v.empty() && (v.back() == '\n' || v.back() == ' '))
      v.pop_back();
    return v;
  }

  static size_t append_body(char* data, size_t size, size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
  }

  [[nodiscard]] std::string expand(std::string sql) const {
    for (size_t at = sql.find("{d}"); at != std::string::npos; at = sql.find("{d}", at))
      sql.replace(at, 3, database_);
    return sql;
  }

  std::string post(const std::string& sql, bool in_database) const {
    CURL* easy = curl_easy_init();
    std::string body;
    std::string auth = user_ + ":" + password_;
    // LowCardinality columns are experimental in 18.16.
    std::string url = url_ + "/?allow_experimental_low_cardinality_type=1";
    if (in_database)
      url += "&database=" + database_;
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_USERPWD, auth.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, sql.c_str());
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    CURLcode code = curl_easy_perform(easy);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(easy);
    if (code != CURLE_OK || status != 200)
      throw std::runtime_error("fixture SQL failed (HTTP " + std::to_string(status) + "): " +
                               body + " in: " + sql.substr(0, 500));
    return body;
  }

  std::string url_;
  std::string user_;
  std::string password_;
  std::string database_;
};

}  // namespace backflow::testing
