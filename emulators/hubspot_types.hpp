// Value types of the HubSpot emulator: stored records, validated batch inputs, whole-batch errors.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace backflow::emulators {

/// The write operations of the CRM v3 batch API.
enum class batch_kind { upsert, update, create, archive };

/// One CRM record as the emulator keeps it.
struct hubspot_record {
  std::uint64_t id = 0;
  std::map<std::string, std::string> properties;
  std::int64_t created_ms = 0;  ///< milliseconds since the epoch
  std::int64_t updated_ms = 0;
  bool archived = false;
  std::int64_t archived_ms = 0;
  int creations = 0;  ///< records created so far with this record's id-property value
  int writes = 0;     ///< upserts, updates and creates that touched it
};

/// Which properties an object accepts (set through /__emulator/properties).
struct property_catalog {
  std::optional<std::set<std::string>> names;  ///< nullopt: any name is accepted
  std::set<std::string> numbers;               ///< properties whose values must parse as numbers
  /// Properties with unique values; when any is declared, idProperty must be one of them.
  std::set<std::string> unique;
};

/// One validated input of a write batch, with values normalised as HubSpot stores them.
struct write_input {
  std::string sent_id;      ///< the id exactly as sent (error contexts echo it)
  std::string id_property;  ///< the property `key` refers to; "" means HubSpot's record id
  std::string key;          ///< the id, lowercased when it is an email
  std::map<std::string, std::string> properties;
  std::string trace_id;  ///< create: objectWriteTraceId
};

/// A failure of a whole batch (nothing applied), answered in HubSpot's error shape.
struct batch_error {
  int status = 400;
  std::string category = "VALIDATION_ERROR";
  std::string message;
  nlohmann::json errors = nlohmann::json::array();  ///< omitted from the answer when empty
};

/// "CONTACT" for contacts, "COMPANY" for companies: the singular HubSpot uses in messages.
inline std::string object_singular(const std::string& object) {
  if (object == "companies")
    return "COMPANY";
  if (object == "deals")
    return "DEAL";
  if (object == "tickets")
    return "TICKET";
  return object == "contacts" ? "CONTACT" : "OBJECT";
}

/// The properties a new record of `object` must carry (deals: their stage; tickets: their
/// status); the emulator refuses a create without them.
inline std::vector<std::string> required_on_create(const std::string& object) {
  if (object == "deals")
    return {"dealstage"};
  if (object == "tickets")
    return {"hs_pipeline_stage"};
  return {};
}

}  // namespace backflow::emulators
