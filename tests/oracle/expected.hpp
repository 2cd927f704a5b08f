// What a destination must hold, derived from the vendor's contract and the README (never from the
// connector), and what its emulator holds, in one shape the comparison reads. Each destination
// provides three functions in its own file (tests/destinations/<name>.cpp): expected, held, sent.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/oracle/sync_setup.hpp"
#include "tests/oracle/warehouse.hpp"
#include "tests/support/emulator_process.hpp"

namespace backflow::oracle {

/// The value one destination field must show.
struct want {
  enum class is {
    null,   ///< absent or null
    empty,  ///< absent, null or "" (the vendor does not tell them apart)
    text,   ///< exactly this string
    number  ///< this decimal, as a JSON number or a string (exactness: see sent_value)
  };
  is what = is::null;
  std::string text;

  static want null() { return {is::null, {}}; }
  static want empty() { return {is::empty, {}}; }
  static want exact_text(std::string t) { return {is::text, std::move(t)}; }
  static want number(std::string t) { return {is::number, std::move(t)}; }
  [[nodiscard]] std::string show() const;
};

/// The record one model row must produce.
struct expected_record {
  std::map<std::string, want> fields;  ///< the fields checked
  bool closed = false;  ///< true: the record holds no other field (a webhook replaces them all)
  std::string origin;   ///< the model row it comes from, for reports
};

/// Destination key → the record that must be there.
using expected_state = std::map<std::string, expected_record>;

/// One record as the emulator shows it.
struct held_record {
  nlohmann::json fields = nlohmann::json::object();
  bool live = true;  ///< false: archived, deleted, no longer a member
};

/// Everything the emulator holds, by destination key (several records when a key was created
/// more than once).
struct held_state {
  std::map<std::string, std::vector<held_record>> by_key;
  std::string note;  ///< destination context for reports (e.g. the webhook's duplicate batches)

  [[nodiscard]] int live_count(const std::string& key) const;
  [[nodiscard]] std::set<std::string> live_keys() const;
};

/// A value found in a request body: the record's key, the field, and the value as parse_exact
/// read it (numbers keep their literal).
struct sent_value {
  std::string key;
  std::string field;
  nlohmann::json value;
};

/// The model as an expectation function reads it.
struct model_view {
  const std::vector<row>& rows;
  const sync_setup& setup;
};

/// A cell's text as a key part: trimmed, lowercased (ASCII) when it contains '@' (README: keys).
std::string key_part(const cell& value);

/// A row's destination key: its one key column's part, or the parts with `\` written `\\` and
/// `|` written `\|`, joined with `|`.
std::string destination_key(const row& r, const std::vector<std::string>& key_columns);

/// What a mapped cell must arrive as, by one destination's rule for the mapping's type.
using field_rule = want (*)(const cell& value, const std::string& type);

/// One record per destination key of the model's rows, each mapped field by `rule`; `closed`:
/// the record holds exactly the mapped fields (an upsert replaces them all).
expected_state records_by_key(const model_view& model, field_rule rule, bool closed = false);

/// Strings as text, numbers (and non-text cells) as numbers; NULL and "" both mean "no value"
/// (HubSpot clears a property with "", Salesforce reads "" as null).
want blank_is_empty(const cell& value, const std::string& type);

}  // namespace backflow::oracle
