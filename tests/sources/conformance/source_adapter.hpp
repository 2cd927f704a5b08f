// How the source conformance suite builds its models in each registered warehouse, in its dialect.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/sources/source.hpp"
#include "tests/support/temp_dir.hpp"

namespace backflow::testing {

/// A fresh, empty place in a warehouse (a SQLite file, a PostgreSQL schema, a MariaDB
/// database) where the suite creates its tables; removed when the object goes away.
class test_warehouse {
 public:
  virtual ~test_warehouse() = default;
  /// Runs one statement of the warehouse's dialect; throws when it fails.
  virtual void exec(const std::string& sql) = 0;
  /// The `source` options (besides type, query and key) that read this place.
  [[nodiscard]] virtual nlohmann::json options() const = 0;
  /// Makes the next read of the contacts model fail at the part of its result holding row
  /// `bad_row`; called before a failing_query is read. For a warehouse that runs a statement
  /// whole before serving its result (an emulator answering in partitions, pages or chunks),
  /// where only a late part can fail; the others fail by the failing_query itself.
  virtual void fail_late_read(int bad_row) { (void)bad_row; }
};

/// One warehouse type's part of the suite. Adding a source: a file adapters/<type>.cpp with a
/// function returning this (declared in adapters/adapter_support.hpp), one line in
/// source_adapters() (source_adapters.cpp) and one in tests/sources/CMakeLists.txt.
struct source_adapter {
  std::string type;  ///< the registered source type
  std::function<std::unique_ptr<test_warehouse>(const temp_dir& dir)> open;
  /// Statements creating table `edges` holding the one edge row: a column per edge of the
  /// suite's expected table (source_conformance_test.cpp), each typed as this warehouse would.
  std::vector<std::string> create_edges;
  /// Edges (column names of the expected table) this warehouse cannot hold as the expected
  /// table says, each with the reason; the suite skips them and prints the reason.
  std::map<std::string, std::string> cannot;
  /// Statements creating table `contacts` (n, email, first_name, score, tier) of `rows` rows,
  /// row n with email "user<n>@example.com".
  std::function<std::vector<std::string>(int rows)> create_contacts;
  /// A model over `contacts` (columns email, first_name, score, tier, in order of n) whose row
  /// n = `bad_row` makes the warehouse fail the query while it streams (a runtime error), or,
  /// where a statement cannot fail mid-stream, that test_warehouse::fail_late_read fails.
  std::function<std::string(int bad_row)> failing_query;
};

/// Every adapter, one per registered source type.
const std::vector<source_adapter>& source_adapters();

/// The registered source types without an adapter, and adapters of no registered type.
std::vector<std::string> source_adapter_gaps(const std::vector<std::string>& registered,
                                             const std::vector<std::string>& adapted);

/// The `source` object of a sync file: type, the warehouse's options, query and key.
nlohmann::json source_object(const source_adapter& a, const test_warehouse& w,
                             const std::string& query, const std::string& key);

/// The spec open_source and describe_source take for `query` on `w`.
source_spec source_spec_of(const source_adapter& a, const test_warehouse& w,
                           const std::string& query);

}  // namespace backflow::testing
