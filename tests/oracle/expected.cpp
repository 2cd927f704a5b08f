// Keys and the shapes shared by the destinations' expectations (see expected.hpp).
#include "tests/oracle/expected.hpp"

#include <algorithm>

namespace backflow::oracle {

std::string want::show() const {
  switch (what) {
    case is::null:
      return "null (or absent)";
    case is::empty:
      return "empty (absent, null or \"\")";
    case is::text:
      return nlohmann::json(text).dump();
    case is::number:
      return "the number " + text;
  }
  return "?";
}

int held_state::live_count(const std::string& key) const {
  auto it = by_key.find(key);
  if (it == by_key.end())
    return 0;
  return static_cast<int>(std::count_if(it->second.begin(), it->second.end(),
                                        [](const held_record& r) { return r.live; }));
}

std::set<std::string> held_state::live_keys() const {
  std::set<std::string> out;
  for (const auto& [key, records] : by_key)
    if (live_count(key) > 0)
      out.insert(key);
  return out;
}

std::string key_part(const cell& value) {
  std::string text = value.text;
  const char* space = " \t\r\n";
  auto first = text.find_first_not_of(space);
  auto last = text.find_last_not_of(space);
  text = first == std::string::npos ? "" : text.substr(first, last - first + 1);
  if (text.find('@') != std::string::npos)
    for (auto& c : text)
      if (c >= 'A' && c <= 'Z')
        c = static_cast<char>(c - 'A' + 'a');
  return text;
}

expected_state records_by_key(const model_view& model, field_rule rule, bool closed) {
  expected_state out;
  for (const auto& r : model.rows) {
    const auto key = destination_key(r, model.setup.key_columns);
    auto& record = out[key];
    record.origin = key;
    record.closed = closed;
    for (const auto& m : model.setup.mapping)
      record.fields[m.to] = rule(r.at(m.from), m.type);
  }
  return out;
}

want blank_is_empty(const cell& value, const std::string& type) {
  if (value.type == cell::kind::null || (value.type == cell::kind::text && value.text.empty()))
    return want::empty();
  if (type == "string")
    return want::exact_text(value.text);
  if (type == "number" || value.type != cell::kind::text)
    return want::number(value.text);
  return want::exact_text(value.text);
}

std::string destination_key(const row& r, const std::vector<std::string>& key_columns) {
  if (key_columns.size() == 1)
    return key_part(r.at(key_columns[0]));
  std::string out;
  for (std::size_t i = 0; i < key_columns.size(); ++i) {
    if (i > 0)
      out.push_back('|');
    for (char c : key_part(r.at(key_columns[i]))) {
      if (c == '\\' || c == '|')
        out.push_back('\\');
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace backflow::oracle
