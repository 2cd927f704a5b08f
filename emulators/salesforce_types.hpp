// Value types of the Salesforce emulator: records, write rows, per-record and whole-request errors.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace backflow::emulators {

/// The DML operations of sObject Collections and Bulk API 2.0 ingest jobs.
enum class sf_operation { insert, update, upsert, remove };

/// One per-record error, as in `{"statusCode","message","fields"}`.
struct sf_error {
  std::string code;
  std::string message;
  std::vector<std::string> fields;
};

/// A failure of a whole request (nothing applied), answered as `[{"message","errorCode"}]`.
struct sf_request_error {
  int status = 400;
  std::string code;
  std::string message;
};

/// One record as the emulator keeps it; never erased (deletes are soft).
struct sf_record {
  std::uint64_t seq = 0;  ///< the counter inside the id
  std::string id;         ///< 18 characters: key prefix + 12-digit counter + "AAA"
  std::string object;
  nlohmann::json fields = nlohmann::json::object();
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  bool deleted = false;
  int writes = 0;
  std::string creation_key;  ///< "object\nfield\nvalue" it was created for (upsert), else ""
  std::string ext_value;     ///< the external id value of its last upsert (lock matching)
};

/// One record of a write request, parsed but not yet checked against the store.
struct sf_write_row {
  /// Fields to set, names as sent; a JSON null clears the field.
  std::vector<std::pair<std::string, nlohmann::json>> fields;
  std::string key;  ///< upsert: the external id value; update and delete: the record Id
  std::optional<sf_error> error;  ///< a problem found while parsing: the row fails with it
};

/// What a write did to one row; `error` is set when it failed.
struct sf_write_result {
  std::string id;  ///< the record's id ("" when unknown)
  bool created = false;
  std::optional<sf_error> error;
};

/// Field rules of one object, set through /__emulator/fields and /__emulator/required.
struct sf_object_rules {
  std::optional<std::set<std::string>> allowed;  ///< lowercased names; nullopt: any name
  std::vector<std::string> required;             ///< required on create, names as given
};

/// The 3-character key prefix Salesforce gives ids of `object` (Contact 003, Account 001, ...).
std::string sf_key_prefix(const std::string& object);

}  // namespace backflow::emulators
