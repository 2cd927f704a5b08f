// The throwaway MariaDB test server (scripts/mariadb-test-server.sh), with a database per test run.
#pragma once

#include <mysql.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "connectors/sources/source.hpp"

namespace backflow::testing {

/// Connection facts of the server from BACKFLOW_TEST_MARIADB_DIR, and an admin connection to a
/// database made for this run (dropped at the end).
class mariadb_server {
 public:
  mariadb_server() {
    const char* dir = std::getenv("BACKFLOW_TEST_MARIADB_DIR");
    if (dir == nullptr || !std::filesystem::exists(std::string(dir) + "/port"))
      throw std::runtime_error(
          "no MariaDB test server: BACKFLOW_TEST_MARIADB_DIR names no server directory (run "
          "through ctest, or start one with scripts/mariadb-test-server.sh start DIR)");
    host_ = slurp(dir, "host");
    port_ = std::stoi(slurp(dir, "port"));
    user_ = slurp(dir, "user");
    password_ = slurp(dir, "password");
    auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    database_ = "bf_src_" + std::to_string(getpid()) + "_" + std::to_string(now % 1000000007);
    admin_ = mysql_init(nullptr);
    mysql_options(admin_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (mysql_real_connect(admin_, host_.c_str(), user_.c_str(), password_.c_str(), nullptr,
                           static_cast<unsigned>(port_), nullptr, 0) == nullptr)
      throw std::runtime_error("cannot connect to the MariaDB test server: " +
                               std::string(mysql_error(admin_)));
    exec("CREATE DATABASE " + database_ + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
    exec("USE " + database_);
  }

  ~mariadb_server() {
    exec("DROP DATABASE IF EXISTS " + database_, false);
    mysql_close(admin_);
  }

  mariadb_server(const mariadb_server&) = delete;
  mariadb_server& operator=(const mariadb_server&) = delete;

  /// Runs `sql` with "{s}" standing for this run's database; returns the first value, if any.
  std::string exec(std::string sql, bool require = true) {
    sql = expand(std::move(sql));
    if (mysql_real_query(admin_, sql.data(), sql.size()) != 0) {
      if (require)
        throw std::runtime_error("fixture SQL failed: " + std::string(mysql_error(admin_)) +
                                 " in: " + sql.substr(0, 500));
      return "";
    }
    std::string value;
    if (MYSQL_RES* res = mysql_store_result(admin_)) {
      if (MYSQL_ROW row = mysql_fetch_row(res); row != nullptr && row[0] != nullptr)
        value = row[0];
      mysql_free_result(res);
    }
    return value;
  }

  /// A `mysql` source spec reading `query` ("{s}" is this run's database, also the default).
  [[nodiscard]] source_spec spec(std::string query) const {
    return source_spec{"mysql", options(), expand(std::move(query))};
  }

  /// The source options: host, port, user, password, database.
  [[nodiscard]] nlohmann::json options() const {
    return {{"host", host_}, {"port", port_}, {"user", user_}, {"password", password_},
            {"database", database_}};
  }

  [[nodiscard]] std::string url() const {
    return "mysql://" + user_ + ":" + password_ + "@" + host_ + ":" + std::to_string(port_) +
           "/" + database_;
  }
  [[nodiscard]] const std::string& database() const { return database_; }
  [[nodiscard]] const std::string& password() const { return password_; }
  [[nodiscard]] int port() const { return port_; }

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

  [[nodiscard]] std::string expand(std::string sql) const {
    for (size_t at = sql.find("{s}"); at != std::string::npos; at = sql.find("{s}", at))
      sql.replace(at, 3, database_);
    return sql;
  }

  std::string host_;
  int port_ = 0;
  std::string user_;
  std::string password_;
  std::string database_;
  MYSQL* admin_ = nullptr;
};

}  // namespace backflow::testing
