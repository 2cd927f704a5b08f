// The HubSpot emulator's records: contacts and companies in memory, with HubSpot's write semantics.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "emulators/hubspot_types.hpp"

namespace backflow::emulators {

/// Thread-safe record store. Each batch is checked and applied under one short lock, so a
/// batch that fails changes nothing. Ids are sequential across objects, starting at 1.
class hubspot_store {
 public:
  /// One record a batch wrote, as it stands after the batch.
  struct written {
    hubspot_record record;
    bool created = false;
    std::string trace_id;
  };

  /// What a batch did; when `error` is set, nothing was applied.
  struct outcome {
    std::vector<written> results;
    std::vector<std::string> missing;  ///< update: ids (as sent) that matched no live record
    std::vector<std::pair<std::string, std::uint64_t>>
        conflicts;  ///< create: trace id, existing id
    std::optional<batch_error> error;
  };

  hubspot_store();

  /// True for the objects the emulator knows: contacts, companies, deals, tickets and the
  /// custom objects added.
  [[nodiscard]] bool has_object(const std::string& object) const;

  /// Adds a custom object (kept until clear()).
  void add_object(const std::string& object);

  /// Creates or updates one record per input, found by its id property among live records.
  outcome upsert(const std::string& object, const std::vector<write_input>& inputs);

  /// Updates the records that exist; the others are reported in `missing`.
  outcome update(const std::string& object, const std::vector<write_input>& inputs);

  /// Creates records. A contact whose email exists conflicts: with `per_input_errors` the
  /// others are still created and conflicts reported; without, the whole batch fails with 409.
  outcome create(const std::string& object, const std::vector<write_input>& inputs,
                 bool per_input_errors);

  /// Archives the live records among `ids` (HubSpot ids); unknown ids are ignored.
  void archive(const std::string& object, const std::vector<write_input>& inputs);

  /// The live record with HubSpot id `key` ("" id_property) or with that id-property value.
  std::optional<hubspot_record> find(const std::string& object, const std::string& id_property,
                                     const std::string& key);

  /// A user's edit in HubSpot (hubspot_edit.cpp): sets `props` on the live record found as
  /// find() finds it, or archives it; not counted as a write. False when no record matched.
  bool edit(const std::string& object, const std::string& id_property, const std::string& key,
            const std::map<std::string, std::string>& props, bool archive_it);

  /// Copies of all records (object name, record) sorted by id, optionally of one object.
  [[nodiscard]] std::vector<std::pair<std::string, hubspot_record>> snapshot(
      const std::string& object_filter) const;

  void clear();

 private:
  struct table {
    std::map<std::uint64_t, hubspot_record> records;
    /// property → value → id of the live record holding it; built on first lookup.
    std::unordered_map<std::string, std::unordered_map<std::string, std::uint64_t>> indexes;
  };

  hubspot_record* lookup(table& t, const std::string& id_property, const std::string& key);
  std::unordered_map<std::string, std::uint64_t>& index(table& t, const std::string& property);
  void write_properties(table& t, hubspot_record& r,
                        const std::map<std::string, std::string>& props);
  hubspot_record& create_record(table& t, const std::string& object, const write_input& in,
                                const std::string& creation_property, std::int64_t now);
  static std::optional<batch_error> missing_required(const std::string& object,
                                                    const std::vector<write_input>& inputs,
                                                    const std::vector<hubspot_record*>& targets);
  std::optional<batch_error> email_conflicts(const std::string& object, table& t,
                                             const std::vector<write_input>& inputs,
                                             const std::vector<hubspot_record*>& targets);

  mutable std::mutex mutex_;
  std::map<std::string, table> tables_;
  /// "object\nproperty\nvalue" of archived records → how many records had that value, so a
  /// record created again for it counts on (live records keep their own count).
  std::unordered_map<std::string, int> retired_creations_;
  std::uint64_t next_id_ = 1;
};

}  // namespace backflow::emulators
