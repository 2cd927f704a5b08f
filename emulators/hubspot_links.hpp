// The HubSpot emulator's associations (CRM v4): links between records, their default type ids,
// and the batch associate/create/archive/read endpoints.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

#include "emulators/emulator.hpp"

namespace backflow::emulators {

/// Links between records, each kept once for both directions (HubSpot shows an association from
/// either side). All member functions may be called concurrently.
class hubspot_links {
 public:
  /// Whether a live record of `object` has HubSpot id `id`.
  using exists_fn = std::function<bool(const std::string& object, const std::string& id)>;

  /// Answers POST /crm/v4/associations/{from}/{to}/batch/{action} (`action` is
  /// "associate/default", "create", "archive" or "read"; objects already canonical names).
  void handle(const std::string& from, const std::string& to, const std::string& action,
              const std::string& body, const exists_fn& exists, api_response& out);

  /// Every link as {"from_object","from_id","to_object","to_id","type_id"}, in a stable order.
  [[nodiscard]] nlohmann::json snapshot() const;

  /// Forgets the links of a record (archived records lose their associations).
  void forget(const std::string& object, const std::string& id);

  void clear();

  /// HubSpot's default (unlabeled) association type id from `from` to `to`; 0 when the pair has
  /// no default (custom objects need a defined association type).
  static std::int64_t default_type(const std::string& from, const std::string& to);

 private:
  using end = std::pair<std::string, std::string>;  ///< object, id
  using link = std::pair<end, end>;                 ///< ordered: the smaller end first

  static link key(const end& a, const end& b) { return a < b ? link{a, b} : link{b, a}; }

  void associate(const std::string& from, const std::string& to, const nlohmann::json& inputs,
                 bool with_types, const exists_fn& exists, api_response& out);
  void archive(const std::string& from, const std::string& to, const nlohmann::json& inputs);
  void read(const std::string& from, const std::string& to, const nlohmann::json& inputs,
            api_response& out) const;

  mutable std::mutex mutex_;
  std::map<link, std::int64_t> links_;  ///< link → type id as written from its first end
};

}  // namespace backflow::emulators
