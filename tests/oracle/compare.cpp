// The oracle's comparison (see compare.hpp).
#include "tests/oracle/compare.hpp"

#include <cstdlib>

#include "tests/oracle/exact_json.hpp"

namespace backflow::oracle {
namespace {

/// True when an integer literal fits the JSON integers a receiver parses exactly (64 bits).
bool fits_64_bits(const std::string& literal) {
  try {
    if (!literal.empty() && literal[0] == '-')
      (void)std::stoll(literal);
    else
      (void)std::stoull(literal);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::string show(const nlohmann::json* value) {
  if (value == nullptr)
    return "absent";
  auto text = value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return text.size() > 300 ? text.substr(0, 300) + "…" : text;
}

std::string shorten(const std::string& key) {
  return key.size() > 120 ? key.substr(0, 100) + "…(" + std::to_string(key.size()) + " bytes)"
                          : key;
}

void check_values(const std::string& key, const expected_record& want_record,
                  const held_record& held, std::vector<mismatch>& out) {
  for (const auto& [field, w] : want_record.fields) {
    auto it = held.fields.find(field);
    const nlohmann::json* actual = it == held.fields.end() ? nullptr : &*it;
    if (!satisfies(w, actual))
      out.push_back(
          {key, "holds the row's current value of \"" + field + "\" (" + want_record.origin + ")",
           w.show(), show(actual)});
  }
  if (!want_record.closed)
    return;
  for (const auto& [field, value] : held.fields.items())
    if (want_record.fields.count(field) == 0 && !value.is_null())
      out.push_back(
          {key, "holds only the mapped fields", "no field \"" + field + "\"", show(&value)});
}

const held_record* first_live(const held_state& held, const std::string& key) {
  auto it = held.by_key.find(key);
  if (it == held.by_key.end())
    return nullptr;
  for (const auto& r : it->second)
    if (r.live)
      return &r;
  return nullptr;
}

}  // namespace

bool satisfies(const want& w, const nlohmann::json* actual) {
  const bool none = actual == nullptr || actual->is_null();
  switch (w.what) {
    case want::is::null:
      return none;
    case want::is::empty:
      return none || (actual->is_string() && actual->get_ref<const std::string&>().empty());
    case want::is::text:
      return !none && actual->is_string() && actual->get<std::string>() == w.text;
    case want::is::number: {
      if (none || !(actual->is_string() || actual->is_number()))
        return false;
      const auto literal = actual->is_string() ? actual->get<std::string>() : actual->dump();
      if (same_decimal(literal, w.text))
        return true;
      // A double cannot show more; the request bodies show whether the literal was exact.
      const bool through_double = actual->is_number_float() || actual->is_string();
      const bool exact_integer = is_integer_literal(w.text) && fits_64_bits(w.text);
      return through_double && !exact_integer && is_decimal(literal) &&
             std::strtod(literal.c_str(), nullptr) == std::strtod(w.text.c_str(), nullptr);
    }
  }
  return false;
}

std::vector<mismatch> compare(const comparison& c) {
  std::vector<mismatch> out;
  const bool removes = c.mode == "mirror" || c.mode == "audience";
  for (const auto& [key, record] : c.expected) {
    const int live = c.held.live_count(key);
    const auto* held = first_live(c.held, key);
    if (live > 1)
      out.push_back(
          {key, "one live record per key", "1 record", std::to_string(live) + " records"});
    if (held == nullptr) {
      if (c.mode != "update" || c.past.must_exist(key))
        out.push_back({key,
                       c.destination.audience ? "is a member (" + record.origin + ")"
                       : c.mode == "update"   ? "still exists: created before, update mode keeps it"
                                              : "is present (" + record.origin + ")",
                       "present", "absent"});
      continue;
    }
    if (c.mode != "insert")
      check_values(key, record, *held, out);
  }
  for (const auto& [key, records] : c.held.by_key) {
    if (c.expected.count(key) != 0)
      continue;
    const int live = c.held.live_count(key);
    if (live > 1)
      out.push_back(
          {key, "one live record per key", "1 record", std::to_string(live) + " records"});
    if (removes && live > 0 && !c.past.unknowable(key))
      out.push_back({key,
                     c.destination.audience
                         ? "left the audience: no model row has this identity"
                         : "was removed: its row left the model (mode " + c.mode + ")",
                     "absent", show(&first_live(c.held, key)->fields)});
  }
  if (c.destination.record_ids)
    for (const auto& [key, records] : c.held.by_key) {
      const int created = static_cast<int>(records.size()) - c.past.records_before(key);
      if (created > c.past.creations_allowed(key))
        out.push_back({key, "created at most once (no duplicate creates)",
                       "at most " + std::to_string(c.past.creations_allowed(key)) + " new",
                       std::to_string(created) + " new records"});
    }
  return out;
}

std::string describe(const std::vector<mismatch>& found, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < found.size() && i < limit; ++i) {
    const auto& m = found[i];
    out += "    key " +
           nlohmann::json(shorten(m.key))
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
           ": " + m.rule + "\n      expected: " + m.expected + "\n      actual:   " + m.actual +
           "\n";
  }
  if (found.size() > limit)
    out += "    ... and " + std::to_string(found.size() - limit) + " more\n";
  return out;
}

}  // namespace backflow::oracle
