// The Salesforce emulator's records: every sObject in memory, with Salesforce's DML semantics.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "emulators/salesforce_types.hpp"

namespace backflow::emulators {

/// Thread-safe record store shared by sObject Collections and Bulk API 2.0. Each write is
/// checked and applied under one lock, so an all-or-none write that fails changes nothing.
/// Ids come from one counter across objects and are never reused. Field names are matched
/// case-insensitively and stored in the first spelling seen (or the one /__emulator/fields gave).
class salesforce_store {
 public:
  /// Writes `rows` of `object` and answers one result per row, in order:
  ///   insert — creates every row;
  ///   upsert — matches a live record whose `ext_field` equals the row's key, else creates;
  ///   update, remove — the row's key is the record Id.
  /// Rows fail with their parse error, REQUIRED_FIELD_MISSING (no key), DUPLICATE_VALUE (a key
  /// repeated in `rows`: every copy), id errors, check_values() errors, or UNABLE_TO_LOCK_ROW.
  /// With `all_or_none`, one failure rolls back all (ALL_OR_NONE_OPERATION_ROLLED_BACK).
  /// `object` may be "" for remove (collections delete): ids of any object.
  std::vector<sf_write_result> write(const std::string& object, sf_operation op,
                                     const std::string& ext_field, std::vector<sf_write_row>& rows,
                                     bool all_or_none);

  /// The live record of `object` whose `field` equals `value` (oldest if several).
  std::optional<sf_record> find(const std::string& object, const std::string& field,
                                const std::string& value);

  /// The record of `object` with id `id`, deleted or not.
  std::optional<sf_record> find_id(const std::string& object, const std::string& id);

  /// A record with how many records were created for its (object, external id value).
  struct snapshot_entry {
    sf_record record;
    int creations = 1;
  };

  /// Copies of all records sorted by object, then id; optionally of one object.
  [[nodiscard]] std::vector<snapshot_entry> snapshot(const std::string& object_filter) const;

  /// Field rules of `object` (a copy).
  [[nodiscard]] sf_object_rules rules(const std::string& object) const;

  /// Restricts the fields of `object` to `names` (nullopt lifts the restriction).
  void set_allowed(const std::string& object, const std::optional<std::vector<std::string>>& names);

  /// Makes `names` required when records of `object` are created.
  void set_required(const std::string& object, const std::vector<std::string>& names);

  /// Makes the next `times` writes of each record keyed by one of `keys` (external id value or
  /// record Id) fail with UNABLE_TO_LOCK_ROW.
  void lock(const std::vector<std::string>& keys, int times);

  /// The rules and pending locks as JSON, for GET /__emulator/fields.
  [[nodiscard]] nlohmann::json rules_json() const;

  /// Forgets records, rules and locks (ids still never repeat).
  void clear();

 private:
  struct table {
    std::string name;                                       ///< the object's name as first used
    std::unordered_map<std::string, std::string> spelling;  ///< lowercased → stored name
    /// stored field name → value text → seq of the live record holding it; built on first use.
    std::unordered_map<std::string, std::unordered_map<std::string, std::uint64_t>> indexes;
    sf_object_rules rules;
  };

  /// A row that passed its checks: what applying it will do.
  struct plan {
    sf_record* target = nullptr;  ///< nullptr: create
  };

  const std::string& canonical(table& t, const std::string& name);
  std::unordered_map<std::string, std::uint64_t>& index(table& t, const std::string& object,
                                                        const std::string& field);
  sf_record* by_id(const std::string& object, const std::string& id);
  std::optional<sf_error> resolve(table* t, const std::string& object, sf_operation op,
                                  const std::string& ext_field, const sf_write_row& row, plan& p);
  std::optional<sf_error> take_lock(const sf_write_row& row, const sf_record* target);
  void set_fields(table& t, sf_record& r, const sf_write_row& row);
  sf_record& create(table& t, const std::string& object, const std::string& ext_field,
                    const sf_write_row& row, std::int64_t now);
  void remove(sf_record& r);

  mutable std::mutex mutex_;
  std::map<std::uint64_t, sf_record> records_;      ///< by seq, all objects
  std::map<std::string, table> tables_;             ///< by lowercased object name
  std::unordered_map<std::string, int> creations_;  ///< creation_key → records created for it
  std::unordered_map<std::string, int> locks_;      ///< key → failures still to answer
  std::uint64_t next_seq_ = 1;
};

}  // namespace backflow::emulators
