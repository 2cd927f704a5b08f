// Random models and random changes to them: rows with unique keys and values from values.hpp;
// inserts, updates, deletes, key changes, identifier changes, edge values. Each change says what
// it touched, so a sequence knows when a run must send nothing.
#pragma once

#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/oracle/profiles.hpp"
#include "tests/oracle/warehouse.hpp"

namespace backflow::oracle {

/// The hostile features a sequence draws from its seed (each the ground of a known defect).
struct sequence_features {
  bool composite = false;       ///< rows keyed by (k1, k2)
  bool separators = false;      ///< composite key parts hold `|` and `\` (defect 5)
  bool long_keys = false;       ///< some keys are over 511 bytes (defect 7)
  bool exact_decimals = false;  ///< amounts a double cannot hold (defect 8)
  bool float_as_text = false;   ///< score is also mapped as a string (defect 8)
  bool hostile_names = false;   ///< Meta identifiers with non-ASCII capitals (defect 3)

  /// "composite+separators, long_keys" or "plain".
  [[nodiscard]] std::string describe() const;
};

/// What a round of changes touched.
struct change_note {
  std::string text;               ///< "insert 3, update 5, ..."
  std::set<std::string> columns;  ///< columns whose values changed in kept rows
  bool rows_changed = false;      ///< rows were added, removed or re-keyed

  void add(const std::string& what);
  [[nodiscard]] bool empty() const { return columns.empty() && !rows_changed; }
};

class model_writer {
 public:
  model_writer(const profile& destination, const sequence_features& features, std::mt19937_64& rng);

  /// A new row with a fresh key.
  row make_row();
  void insert(std::vector<row>& rows, int n, change_note& note);
  /// Changes one to three value columns of `n` rows.
  void update(std::vector<row>& rows, int n, change_note& note);
  void remove(std::vector<row>& rows, int n, change_note& note);
  /// Gives `n` rows a new key (the old key leaves the model, the new one enters).
  void rekey(std::vector<row>& rows, int n, change_note& note);
  /// Gives `n` rows a new e-mail (Meta: a new identity for the same row).
  void new_identity(std::vector<row>& rows, int n, change_note& note);
  /// Sets edge values (NULL, "", big integers, decimals, Unicode) in `n` rows.
  void edge_values(std::vector<row>& rows, int n, change_note& note);
  /// Adds rows ('S|y', 'z') and ('S', 'y|z'): one key if parts were joined without escaping.
  void separator_twins(std::vector<row>& rows, change_note& note);
  /// Changes a model column nobody maps (Meta: score), in `n` rows.
  void unmapped_change(std::vector<row>& rows, int n, change_note& note);

  /// One to three of the above, drawn at random.
  change_note random_changes(std::vector<row>& rows);

 private:
  int between(int low, int high);
  bool chance(double p);
  template <typename T>
  const T& pick(const std::vector<T>& from) {
    return from[static_cast<std::size_t>(between(0, static_cast<int>(from.size()) - 1))];
  }
  cell key();
  cell composite_part();
  cell email();
  cell name(bool nullable);
  cell phone();
  cell value(const std::string& column);
  [[nodiscard]] std::vector<std::string> value_columns() const;

  const profile& destination_;
  sequence_features features_;
  std::mt19937_64& rng_;
  int serial_ = 0;
};

}  // namespace backflow::oracle
