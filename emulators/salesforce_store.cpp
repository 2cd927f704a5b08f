// The Salesforce emulator's records (see salesforce_store.hpp).
#include "emulators/salesforce_store.hpp"

#include <algorithm>
#include <cstdio>

#include "emulators/emulator_util.hpp"
#include "emulators/salesforce_validation.hpp"

namespace backflow::emulators {
namespace {

const sf_error rolled_back{
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone "
    "header",
    {}};

std::string make_id(const std::string& object, std::uint64_t seq) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%012llu", static_cast<unsigned long long>(seq));
  return sf_key_prefix(object) + digits + "AAA";
}

}  // namespace

std::string sf_key_prefix(const std::string& object) {
  static const std::map<std::string, std::string> prefixes = {
      {"account", "001"},     {"contact", "003"}, {"lead", "00Q"},
      {"opportunity", "006"}, {"case", "500"},    {"user", "005"}};
  auto it = prefixes.find(to_lower(object));
  return it == prefixes.end() ? "a00" : it->second;
}

std::vector<sf_write_result> salesforce_store::write(const std::string& object, sf_operation op,
                                                     const std::string& ext_field,
                                                     std::vector<sf_write_row>& rows,
                                                     bool all_or_none) {
  std::vector<sf_write_result> out(rows.size());
  std::lock_guard lock(mutex_);
  table* t = object.empty() ? nullptr : &tables_[to_lower(object)];
  if (t != nullptr && t->name.empty())
    t->name = object;
  const std::string ext =
      t != nullptr && op == sf_operation::upsert ? canonical(*t, ext_field) : ext_field;
  if (t != nullptr) {
    // Rows of one request mostly repeat the same names in the same order: remember them.
    std::vector<std::pair<std::string, const std::string*>> previous;
    for (auto& row : rows) {
      for (std::size_t c = 0; c < row.fields.size(); ++c) {
        auto& name = row.fields[c].first;
        if (c >= previous.size())
          previous.emplace_back();
        if (previous[c].second == nullptr || previous[c].first != name)
          previous[c] = {name, &canonical(*t, name)};
        name = *previous[c].second;
      }
    }
  }

  std::unordered_map<std::string, int> key_counts;
  key_counts.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& row = rows[i];
    if (row.error)
      out[i].error = row.error;
    else if (op == sf_operation::upsert && row.key.empty())
      out[i].error =
          sf_error{"REQUIRED_FIELD_MISSING", "Required fields are missing: [" + ext + "]", {ext}};
    else if (op != sf_operation::insert && op != sf_operation::upsert && row.key.empty())
      out[i].error = sf_error{"MISSING_ARGUMENT", "Id not specified in an update call", {"Id"}};
    else if (op != sf_operation::insert)
      ++key_counts[row.key];
  }
  std::vector<plan> plans(rows.size());
  bool failed = false;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& result = out[i];
    if (!result.error && op != sf_operation::insert && key_counts[rows[i].key] > 1)
      result.error =
          sf_error{"DUPLICATE_VALUE",
                   op == sf_operation::upsert ? "Duplicate external id specified: " + rows[i].key
                                              : "Duplicate id in list: " + rows[i].key,
                   {}};
    if (!result.error)
      result.error = resolve(t, object, op, ext, rows[i], plans[i]);
    if (!result.error && op != sf_operation::remove)
      result.error = check_values(rows[i], plans[i].target == nullptr, t->rules);
    if (!result.error)
      result.error = take_lock(rows[i], plans[i].target);
    if (plans[i].target != nullptr)
      result.id = plans[i].target->id;
    failed = failed || result.error.has_value();
  }
  if (failed && all_or_none) {
    for (auto& result : out)
      if (!result.error)
        result.error = rolled_back;
    return out;
  }
  const auto now = now_ms();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (out[i].error)
      continue;
    if (auto* r = plans[i].target) {
      if (op == sf_operation::remove) {
        remove(*r);
        continue;
      }
      set_fields(tables_[to_lower(r->object)], *r, rows[i]);
      r->updated_ms = now;
      ++r->writes;
      if (op == sf_operation::upsert)
        r->ext_value = rows[i].key;
    } else {
      const auto& created =
          create(*t, t->name, op == sf_operation::upsert ? ext : "", rows[i], now);
      out[i].id = created.id;
      out[i].created = true;
    }
  }
  return out;
}

std::optional<sf_error> salesforce_store::resolve(table* t, const std::string& object,
                                                  sf_operation op, const std::string& ext_field,
                                                  const sf_write_row& row, plan& p) {
  if (op == sf_operation::insert)
    return std::nullopt;
  if (op == sf_operation::upsert) {
    auto& values = index(*t, t->name, ext_field);
    auto it = values.find(row.key);
    p.target = it == values.end() ? nullptr : &records_.at(it->second);
    return std::nullopt;
  }
  if (!is_sf_id(row.key))
    return sf_error{"MALFORMED_ID", "malformed id " + row.key, {}};
  auto* r = by_id(object, row.key);
  if (r == nullptr)
    return sf_error{"INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {}};
  if (r->deleted)
    return sf_error{"ENTITY_IS_DELETED", "entity is deleted", {}};
  p.target = r;
  return std::nullopt;
}

std::optional<sf_error> salesforce_store::take_lock(const sf_write_row& row,
                                                    const sf_record* target) {
  if (locks_.empty())
    return std::nullopt;
  std::vector<const std::string*> keys = {&row.key};
  if (target != nullptr)
    keys.insert(keys.end(), {&target->id, &target->ext_value});
  for (const auto* key : keys) {
    auto it = key->empty() ? locks_.end() : locks_.find(*key);
    if (it == locks_.end())
      continue;
    if (--it->second <= 0)
      locks_.erase(it);
    return sf_error{"UNABLE_TO_LOCK_ROW",
                    "unable to obtain exclusive access to this record or 1 records: " +
                        (target != nullptr ? target->id : row.key),
                    {}};
  }
  return std::nullopt;
}

std::optional<sf_record> salesforce_store::find(const std::string& object, const std::string& field,
                                                const std::string& value) {
  std::lock_guard lock(mutex_);
  auto found = tables_.find(to_lower(object));
  if (found == tables_.end())
    return std::nullopt;
  auto& t = found->second;
  if (to_lower(field) == "id") {
    auto* r = by_id(object, value);
    return r != nullptr && !r->deleted ? std::optional<sf_record>(*r) : std::nullopt;
  }
  auto& values = index(t, t.name, canonical(t, field));
  auto it = values.find(value);
  return it == values.end() ? std::nullopt : std::optional<sf_record>(records_.at(it->second));
}

std::optional<sf_record> salesforce_store::find_id(const std::string& object,
                                                   const std::string& id) {
  std::lock_guard lock(mutex_);
  auto* r = is_sf_id(id) ? by_id(object, id) : nullptr;
  return r ? std::optional<sf_record>(*r) : std::nullopt;
}

std::vector<salesforce_store::snapshot_entry> salesforce_store::snapshot(
    const std::string& object_filter) const {
  std::vector<snapshot_entry> all;
  const auto filter = to_lower(object_filter);
  {
    std::lock_guard lock(mutex_);
    all.reserve(records_.size());
    for (const auto& [seq, r] : records_) {
      if (!filter.empty() && to_lower(r.object) != filter)
        continue;
      auto count = r.creation_key.empty() ? creations_.end() : creations_.find(r.creation_key);
      all.push_back({r, count == creations_.end() ? 1 : count->second});
    }
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.record.object < b.record.object; });
  return all;
}

sf_object_rules salesforce_store::rules(const std::string& object) const {
  std::lock_guard lock(mutex_);
  auto it = tables_.find(to_lower(object));
  return it == tables_.end() ? sf_object_rules{} : it->second.rules;
}

void salesforce_store::set_allowed(const std::string& object,
                                   const std::optional<std::vector<std::string>>& names) {
  std::lock_guard lock(mutex_);
  auto& t = tables_[to_lower(object)];
  if (t.name.empty())
    t.name = object;
  if (!names) {
    t.rules.allowed.reset();
    return;
  }
  t.rules.allowed.emplace();
  for (const auto& name : *names) {
    t.rules.allowed->insert(to_lower(name));
    t.spelling.emplace(to_lower(name), name);
  }
}

void salesforce_store::set_required(const std::string& object,
                                    const std::vector<std::string>& names) {
  std::lock_guard lock(mutex_);
  auto& t = tables_[to_lower(object)];
  if (t.name.empty())
    t.name = object;
  t.rules.required = names;
  for (const auto& name : names)
    t.spelling.emplace(to_lower(name), name);
}

void salesforce_store::lock(const std::vector<std::string>& keys, int times) {
  std::lock_guard lock(mutex_);
  for (const auto& key : keys) {
    if (times > 0)
      locks_[key] = times;
    else
      locks_.erase(key);
  }
}

nlohmann::json salesforce_store::rules_json() const {
  std::lock_guard lock(mutex_);
  nlohmann::json objects = nlohmann::json::object();
  for (const auto& [key, t] : tables_) {
    if (!t.rules.allowed && t.rules.required.empty())
      continue;
    nlohmann::json entry = nlohmann::json::object();
    entry["names"] = t.rules.allowed ? nlohmann::json(*t.rules.allowed) : nlohmann::json();
    entry["required"] = t.rules.required;
    objects[t.name] = std::move(entry);
  }
  nlohmann::json out = nlohmann::json::object();
  out["objects"] = std::move(objects);
  out["locks"] = locks_;
  return out;
}

void salesforce_store::clear() {
  std::lock_guard lock(mutex_);
  records_.clear();
  tables_.clear();
  creations_.clear();
  locks_.clear();  // next_seq_ keeps counting: ids are never reused, not even across resets
}

const std::string& salesforce_store::canonical(table& t, const std::string& name) {
  return t.spelling.emplace(to_lower(name), name).first->second;
}

std::unordered_map<std::string, std::uint64_t>& salesforce_store::index(table& t,
                                                                        const std::string& object,
                                                                        const std::string& field) {
  auto it = t.indexes.find(field);
  if (it != t.indexes.end())
    return it->second;
  auto& values = t.indexes[field];
  values.reserve(records_.size());
  const auto lower = to_lower(object);
  for (const auto& [seq, r] : records_) {
    if (r.deleted || to_lower(r.object) != lower)
      continue;
    auto value = r.fields.find(field);
    if (value != r.fields.end() && !value->is_null())
      values.emplace(scalar_text(*value), seq);  // the oldest record wins when values repeat
  }
  return values;
}

sf_record* salesforce_store::by_id(const std::string& object, const std::string& id) {
  if (id.size() < 15)
    return nullptr;
  std::uint64_t seq = 0;
  for (std::size_t i = 3; i < 15; ++i) {
    if (id[i] < '0' || id[i] > '9')
      return nullptr;
    seq = seq * 10 + static_cast<std::uint64_t>(id[i] - '0');
  }
  auto it = records_.find(seq);
  if (it == records_.end() || it->second.id.compare(0, id.size(), id) != 0 ||
      (!object.empty() && to_lower(it->second.object) != to_lower(object)))
    return nullptr;
  return &it->second;
}

void salesforce_store::set_fields(table& t, sf_record& r, const sf_write_row& row) {
  for (const auto& [name, value] : row.fields) {
    auto& slot = r.fields[name];
    if (auto idx = t.indexes.find(name); idx != t.indexes.end()) {
      if (!slot.is_null()) {
        auto old = idx->second.find(scalar_text(slot));
        if (old != idx->second.end() && old->second == r.seq)
          idx->second.erase(old);
      }
      if (!value.is_null())
        idx->second.emplace(scalar_text(value), r.seq);
    }
    slot = value;
  }
}

sf_record& salesforce_store::create(table& t, const std::string& object,
                                    const std::string& ext_field, const sf_write_row& row,
                                    std::int64_t now) {
  const auto seq = next_seq_++;
  auto& r = records_[seq];
  r.seq = seq;
  r.id = make_id(object, seq);
  r.object = object;
  r.created_ms = now;
  r.updated_ms = now;
  r.writes = 1;
  if (!ext_field.empty()) {
    r.ext_value = row.key;
    r.creation_key = to_lower(object) + '\n' + to_lower(ext_field) + '\n' + row.key;
    ++creations_[r.creation_key];
  }
  set_fields(t, r, row);
  return r;
}

void salesforce_store::remove(sf_record& r) {
  auto& t = tables_[to_lower(r.object)];
  for (auto& [field, values] : t.indexes) {
    auto value = r.fields.find(field);
    if (value == r.fields.end() || value->is_null())
      continue;
    auto entry = values.find(scalar_text(*value));
    if (entry != values.end() && entry->second == r.seq)
      values.erase(entry);
  }
  r.deleted = true;
  r.updated_ms = now_ms();
}

}  // namespace backflow::emulators
