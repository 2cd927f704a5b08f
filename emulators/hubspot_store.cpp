// The HubSpot emulator's records (see hubspot_store.hpp).
#include "emulators/hubspot_store.hpp"

#include <algorithm>
#include <chrono>

#include "emulators/emulator_util.hpp"

namespace backflow::emulators {
namespace {

std::optional<std::uint64_t> parse_id(const std::string& text) {
  if (text.empty() || text.size() > 19 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoull(text);
}

batch_error conflict(std::uint64_t existing) {
  return batch_error{409, "CONFLICT",
                     "Contact already exists. Existing ID: " + std::to_string(existing)};
}

const std::string* email_of(const write_input& in) {
  auto it = in.properties.find("email");
  return it == in.properties.end() || it->second.empty() ? nullptr : &it->second;
}

const std::vector<std::string> standard_objects = {"contacts", "companies", "deals", "tickets"};

}  // namespace

hubspot_store::hubspot_store() {
  for (const auto& object : standard_objects)
    tables_[object];
}

bool hubspot_store::has_object(const std::string& object) const {
  std::lock_guard lock(mutex_);
  return tables_.count(object) != 0;
}

void hubspot_store::add_object(const std::string& object) {
  std::lock_guard lock(mutex_);
  tables_[object];
}

/// A create without the properties HubSpot requires of a new record fails the whole batch.
std::optional<batch_error> hubspot_store::missing_required(
    const std::string& object, const std::vector<write_input>& inputs,
    const std::vector<hubspot_record*>& targets) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (i < targets.size() && targets[i] != nullptr)
      continue;
    for (const auto& name : required_on_create(object)) {
      auto value = inputs[i].properties.find(name);
      if (value != inputs[i].properties.end() && !value->second.empty())
        continue;
      batch_error e;
      e.message = "Property values were not valid: " + name + " is required to create a " +
                  object_singular(object);
      e.errors.push_back({{"message", name + " is required"},
                          {"code", "REQUIRED_PROPERTY"},
                          {"context", {{"propertyName", nlohmann::json::array({name})}}}});
      return e;
    }
  }
  return std::nullopt;
}

hubspot_store::outcome hubspot_store::upsert(const std::string& object,
                                             const std::vector<write_input>& inputs) {
  outcome out;
  std::lock_guard lock(mutex_);
  auto& t = tables_.at(object);
  const auto now = now_ms();
  std::vector<hubspot_record*> targets;
  targets.reserve(inputs.size());
  for (const auto& in : inputs)
    targets.push_back(lookup(t, in.id_property, in.key));
  if ((out.error = email_conflicts(object, t, inputs, targets)))
    return out;
  if ((out.error = missing_required(object, inputs, targets)))
    return out;
  out.results.reserve(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (auto* target = targets[i]) {
      write_properties(t, *target, inputs[i].properties);
      target->updated_ms = now;
      ++target->writes;
      out.results.push_back({*target, false, {}});
    } else {
      out.results.push_back(
          {create_record(t, object, inputs[i], inputs[i].id_property, now), true, {}});
    }
  }
  return out;
}

hubspot_store::outcome hubspot_store::update(const std::string& object,
                                             const std::vector<write_input>& inputs) {
  outcome out;
  std::lock_guard lock(mutex_);
  auto& t = tables_.at(object);
  const auto now = now_ms();
  std::vector<hubspot_record*> targets;
  std::vector<write_input> found;
  std::unordered_map<std::uint64_t, const std::string*> claimed;
  std::vector<std::string> repeated;
  for (const auto& in : inputs) {
    auto* target = lookup(t, in.id_property, in.key);
    if (target == nullptr) {
      out.missing.push_back(in.sent_id);
      continue;
    }
    auto [it, fresh] = claimed.emplace(target->id, &in.sent_id);
    for (const auto* id : {it->second, &in.sent_id})
      if (!fresh && std::find(repeated.begin(), repeated.end(), *id) == repeated.end())
        repeated.push_back(*id);
    targets.push_back(target);
    found.push_back(in);
  }
  if (!repeated.empty()) {
    batch_error e;
    std::string list;
    for (const auto& r : repeated)
      list += (list.empty() ? "" : ", ") + r;
    e.message = "Duplicate IDs found in batch input: [" + list + "]";
    e.errors.push_back({{"message", e.message}, {"code", "DUPLICATE_ID"}});
    out.error = e;
    return out;
  }
  if ((out.error = email_conflicts(object, t, found, targets))) {
    out.missing.clear();
    return out;
  }
  for (std::size_t i = 0; i < found.size(); ++i) {
    write_properties(t, *targets[i], found[i].properties);
    targets[i]->updated_ms = now;
    ++targets[i]->writes;
    out.results.push_back({*targets[i], false, {}});
  }
  return out;
}

hubspot_store::outcome hubspot_store::create(const std::string& object,
                                             const std::vector<write_input>& inputs,
                                             bool per_input_errors) {
  outcome out;
  std::lock_guard lock(mutex_);
  auto& t = tables_.at(object);
  const auto now = now_ms();
  std::vector<bool> skip(inputs.size(), false);
  if (object == "contacts") {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const auto* email = email_of(inputs[i]);
      if (auto* owner = email ? lookup(t, "email", *email) : nullptr) {
        out.conflicts.emplace_back(inputs[i].trace_id, owner->id);
        skip[i] = true;
      }
    }
  }
  if ((out.error = missing_required(object, inputs, {}))) {
    out.conflicts.clear();
    return out;
  }
  if (!out.conflicts.empty() && !per_input_errors) {
    out.error = conflict(out.conflicts.front().second);
    out.conflicts.clear();
    return out;
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (skip[i])
      continue;
    const auto* email = object == "contacts" ? email_of(inputs[i]) : nullptr;
    auto& record = create_record(t, object, inputs[i], email ? "email" : "", now);
    out.results.push_back({record, true, inputs[i].trace_id});
  }
  return out;
}

void hubspot_store::archive(const std::string& object, const std::vector<write_input>& inputs) {
  std::lock_guard lock(mutex_);
  auto& t = tables_.at(object);
  const auto now = now_ms();
  for (const auto& in : inputs) {
    auto* r = lookup(t, "", in.key);
    if (r == nullptr)
      continue;
    for (auto& [property, values] : t.indexes) {
      auto value = r->properties.find(property);
      if (value == r->properties.end())
        continue;
      auto entry = values.find(value->second);
      if (entry != values.end() && entry->second == r->id)
        values.erase(entry);
      auto& retired = retired_creations_[object + '\n' + property + '\n' + value->second];
      retired = std::max(retired, r->creations);
    }
    r->archived = true;
    r->archived_ms = now;
  }
}

std::optional<hubspot_record> hubspot_store::find(const std::string& object,
                                                  const std::string& id_property,
                                                  const std::string& key) {
  std::lock_guard lock(mutex_);
  auto* r = lookup(tables_.at(object), id_property, key);
  return r ? std::optional<hubspot_record>(*r) : std::nullopt;
}

std::vector<std::pair<std::string, hubspot_record>> hubspot_store::snapshot(
    const std::string& object_filter) const {
  std::vector<std::pair<std::string, hubspot_record>> all;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [object, t] : tables_)
      if (object_filter.empty() || object_filter == object)
        for (const auto& [id, r] : t.records)
          all.emplace_back(object, r);
  }
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.second.id < b.second.id; });
  return all;
}

void hubspot_store::clear() {
  std::lock_guard lock(mutex_);
  for (auto it = tables_.begin(); it != tables_.end();)
    it = std::find(standard_objects.begin(), standard_objects.end(), it->first) ==
                 standard_objects.end()
             ? tables_.erase(it) : std::next(it);
  for (auto& [object, t] : tables_) {
    t.records.clear();
    t.indexes.clear();
  }
  retired_creations_.clear();
  next_id_ = 1;
}

hubspot_record* hubspot_store::lookup(table& t, const std::string& id_property,
                                      const std::string& key) {
  if (id_property.empty() || id_property == "hs_object_id") {
    auto id = parse_id(key);
    auto it = id ? t.records.find(*id) : t.records.end();
    return it == t.records.end() || it->second.archived ? nullptr : &it->second;
  }
  auto& values = index(t, id_property);
  auto it = values.find(key);
  return it == values.end() ? nullptr : &t.records.at(it->second);
}

std::unordered_map<std::string, std::uint64_t>& hubspot_store::index(table& t,
                                                                     const std::string& property) {
  auto it = t.indexes.find(property);
  if (it != t.indexes.end())
    return it->second;
  auto& values = t.indexes[property];
  for (const auto& [id, r] : t.records) {
    auto value = r.properties.find(property);
    if (!r.archived && value != r.properties.end() && !value->second.empty())
      values.emplace(value->second, id);  // the oldest record wins when values repeat
  }
  return values;
}

void hubspot_store::write_properties(table& t, hubspot_record& r,
                                     const std::map<std::string, std::string>& props) {
  for (const auto& [name, value] : props) {
    auto& slot = r.properties[name];
    if (slot == value)
      continue;
    if (auto idx = t.indexes.find(name); idx != t.indexes.end()) {
      auto old = idx->second.find(slot);
      if (!slot.empty() && old != idx->second.end() && old->second == r.id)
        idx->second.erase(old);
      if (!value.empty())
        idx->second.insert_or_assign(value, r.id);
    }
    slot = value;
  }
}

hubspot_record& hubspot_store::create_record(table& t, const std::string& object,
                                             const write_input& in,
                                             const std::string& creation_property,
                                             std::int64_t now) {
  auto& r = t.records[next_id_];
  r.id = next_id_++;
  r.created_ms = now;
  r.updated_ms = now;
  r.writes = 1;
  auto value =
      creation_property.empty() ? in.properties.end() : in.properties.find(creation_property);
  r.creations = 1;
  if (value != in.properties.end()) {
    auto earlier =
        retired_creations_.find(object + '\n' + creation_property + '\n' + value->second);
    r.creations += earlier == retired_creations_.end() ? 0 : earlier->second;
  }
  write_properties(t, r, in.properties);
  return r;
}

std::optional<batch_error> hubspot_store::email_conflicts(
    const std::string& object, table& t, const std::vector<write_input>& inputs,
    const std::vector<hubspot_record*>& targets) {
  if (object != "contacts")
    return std::nullopt;
  std::unordered_map<std::string, std::size_t> claimed;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto* email = email_of(inputs[i]);
    if (email == nullptr)
      continue;
    auto* owner = lookup(t, "email", *email);
    if (owner != nullptr && owner != targets[i])
      return conflict(owner->id);
    if (!claimed.emplace(*email, i).second) {
      batch_error e;
      e.message = "Duplicate IDs found in batch input: [" + *email + "]";
      e.errors.push_back({{"message", e.message}, {"code", "DUPLICATE_ID"}});
      return e;
    }
  }
  return std::nullopt;
}

}  // namespace backflow::emulators
