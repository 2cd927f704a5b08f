// Parsing and validation of HubSpot batch bodies (see hubspot_validation.hpp).
#include "emulators/hubspot_validation.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>

#include "emulators/emulator_util.hpp"

namespace backflow::emulators {
namespace {

/// Collects what is wrong with a batch while its inputs are parsed.
class batch_checker {
 public:
  batch_checker(const std::string& object, const property_catalog& catalog)
      : object_(object), catalog_(catalog) {}

  /// A malformed input (wrong type, missing id): a client bug, reported with its index.
  void structural(std::size_t index, const std::string& what) {
    structural_.push_back("inputs[" + std::to_string(index) + "]: " + what);
  }

  /// A property value HubSpot would refuse.
  void property(const std::string& name, const std::string& code, const std::string& message) {
    property_errors_.push_back({{"message", message},
                                {"code", code},
                                {"context", {{"propertyName", nlohmann::json::array({name})}}}});
    summary_.push_back({{"isValid", false}, {"message", message}, {"error", code}, {"name", name}});
  }

  /// Checks a property name exists; emails are always known on contacts.
  bool known(const std::string& name) {
    if (!catalog_.names || catalog_.names->count(name) != 0 ||
        (object_ == "contacts" && name == "email"))
      return true;
    property(name, "PROPERTY_DOESNT_EXIST", "Property \"" + name + "\" does not exist");
    return false;
  }

  /// Checks an idProperty has unique values (when the catalog declares which ones do).
  bool unique(const std::string& name) {
    if (catalog_.unique.empty() || catalog_.unique.count(name) != 0 || name == "hs_object_id")
      return true;
    property(name, "INVALID_ID_PROPERTY",
             "Property \"" + name + "\" does not have unique values, so it cannot be an idProperty");
    return false;
  }

  /// Normalises and checks one value of property `name`.
  std::string value(const std::string& name, std::string text) {
    if (object_ == "contacts" && name == "email") {
      text = to_lower(text);
      if (!text.empty() && !is_valid_email(text))
        property(name, "INVALID_EMAIL", "Email address " + text + " is invalid");
    }
    if (catalog_.numbers.count(name) != 0 && !text.empty() && !is_number(text))
      property(name, "INVALID_INTEGER", text + " was not a valid number.");
    return text;
  }

  /// Parses an input's "properties" object (absent means none).
  std::map<std::string, std::string> properties(std::size_t index, const nlohmann::json& input) {
    std::map<std::string, std::string> out;
    auto it = input.find("properties");
    if (it == input.end() || it->is_null())
      return out;
    if (!it->is_object()) {
      structural(index, "properties must be an object");
      return out;
    }
    for (const auto& [name, raw] : it->items()) {
      if (!known(name))
        continue;
      if (raw.is_object() || raw.is_array()) {
        property(name, "INVALID_PROPERTY_VALUE",
                 "Property \"" + name + "\" must be a string, number, boolean or null");
        continue;
      }
      out[name] = value(name, scalar_text(raw));
    }
    return out;
  }

  /// The whole-batch error, if anything was wrong: malformed inputs first, then property values.
  [[nodiscard]] std::optional<batch_error> error() const {
    if (!structural_.empty()) {
      batch_error e;
      e.message = "Invalid input: " + structural_.front();
      for (const auto& what : structural_)
        e.errors.push_back({{"message", what}, {"code", "INVALID_INPUT"}});
      return e;
    }
    if (!property_errors_.empty()) {
      batch_error e;
      e.message = "Property values were not valid: " + summary_.dump();
      e.errors = property_errors_;
      return e;
    }
    return std::nullopt;
  }

 private:
  static bool is_number(const std::string& text) {
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    return end != text.c_str() && *end == '\0' && std::isfinite(v) &&
           !std::isspace(static_cast<unsigned char>(text.front()));
  }

  const std::string& object_;
  const property_catalog& catalog_;
  std::vector<std::string> structural_;
  nlohmann::json property_errors_ = nlohmann::json::array();
  nlohmann::json summary_ = nlohmann::json::array();
};

/// A string or integer id as text; nullopt when absent or of another type.
std::optional<std::string> id_text(const nlohmann::json& input, const char* key) {
  auto it = input.find(key);
  if (it == input.end())
    return std::nullopt;
  if (it->is_string())
    return it->get<std::string>();
  if (it->is_number_integer())
    return it->dump();
  return std::nullopt;
}

/// Fills id_property, sent_id and key of an upsert, update or archive input.
void parse_id(batch_kind kind, std::size_t index, const nlohmann::json& input,
              const std::string& query_id_property, batch_checker& check, write_input& out) {
  auto id = id_text(input, "id");
  if (!id || id->empty()) {
    check.structural(index, "id is required");
    return;
  }
  out.sent_id = *id;
  out.key = *id;
  if (kind == batch_kind::archive)
    return;
  auto own = input.find("idProperty");
  if (own != input.end() && !own->is_string()) {
    check.structural(index, "idProperty must be a string");
    return;
  }
  out.id_property = own != input.end() ? own->get<std::string>() : query_id_property;
  if (out.id_property.empty()) {
    if (kind == batch_kind::upsert)
      check.structural(index, "idProperty is required");
    return;
  }
  if (check.known(out.id_property) && check.unique(out.id_property))
    out.key = check.value(out.id_property, *id);
}

/// The whole-batch error for keys (or create emails) that occur more than once.
std::optional<batch_error> duplicates(batch_kind kind, const std::vector<write_input>& inputs) {
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<std::string> repeated;
  for (const auto& in : inputs) {
    std::pair<std::string, std::string> key;
    if (kind == batch_kind::create) {
      auto email = in.properties.find("email");
      if (email == in.properties.end() || email->second.empty())
        continue;
      key = {"email", email->second};
    } else if (kind == batch_kind::archive) {
      continue;
    } else {
      key = {in.id_property, in.key};
    }
    if (!seen.insert(key).second &&
        std::find(repeated.begin(), repeated.end(), key.second) == repeated.end())
      repeated.push_back(key.second);
  }
  if (repeated.empty())
    return std::nullopt;
  std::string list;
  for (const auto& id : repeated)
    list += (list.empty() ? "" : ", ") + id;
  batch_error e;
  e.message = "Duplicate IDs found in batch input: [" + list + "]";
  e.errors.push_back(
      {{"message", e.message}, {"code", "DUPLICATE_ID"}, {"context", {{"ids", repeated}}}});
  return e;
}

}  // namespace

parsed_batch parse_batch(batch_kind kind, const std::string& object, const std::string& body,
                         const std::string& query_id_property, const property_catalog& catalog) {
  parsed_batch out;
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    out.error =
        batch_error{400, "VALIDATION_ERROR", std::string("Invalid input JSON: ") + e.what()};
    return out;
  }
  auto inputs = doc.is_object() ? doc.find("inputs") : doc.end();
  if (!doc.is_object() || inputs == doc.end() || !inputs->is_array()) {
    out.error = batch_error{400, "VALIDATION_ERROR", "Invalid input: inputs must be an array"};
    return out;
  }
  out.received = inputs->size();
  if (out.received > max_batch_inputs) {
    out.error = batch_error{400, "VALIDATION_ERROR",
                            "Batch size must be at most " + std::to_string(max_batch_inputs)};
    return out;
  }
  batch_checker check(object, catalog);
  out.inputs.reserve(out.received);
  for (std::size_t i = 0; i < inputs->size(); ++i) {
    const auto& input = (*inputs)[i];
    write_input parsed;
    if (!input.is_object()) {
      check.structural(i, "must be an object");
      continue;
    }
    if (kind != batch_kind::create)
      parse_id(kind, i, input, query_id_property, check, parsed);
    if (kind != batch_kind::archive)
      parsed.properties = check.properties(i, input);
    if (kind == batch_kind::create) {
      auto trace = input.find("objectWriteTraceId");
      if (trace != input.end() && !trace->is_string())
        check.structural(i, "objectWriteTraceId must be a string");
      else if (trace != input.end())
        parsed.trace_id = trace->get<std::string>();
    }
    if (kind == batch_kind::upsert && !parsed.id_property.empty())
      parsed.properties[parsed.id_property] = parsed.key;  // the id wins over a differing property
    out.inputs.push_back(std::move(parsed));
  }
  out.error = check.error();
  if (!out.error)
    out.error = duplicates(kind, out.inputs);
  if (out.error)
    out.inputs.clear();
  return out;
}

std::size_t count_inputs(const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object())
    return 0;
  auto inputs = doc.find("inputs");
  return inputs != doc.end() && inputs->is_array() ? inputs->size() : 0;
}

bool is_valid_email(std::string_view text) {
  auto at = text.find('@');
  if (at == std::string_view::npos || at == 0 || text.find('@', at + 1) != std::string_view::npos)
    return false;
  for (char c : text)
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      return false;
  auto domain = text.substr(at + 1);
  auto dot = domain.find('.');
  return dot != std::string_view::npos && dot != 0 && domain.back() != '.' &&
         domain.find("..") == std::string_view::npos;
}

}  // namespace backflow::emulators
