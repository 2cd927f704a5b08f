// Random models and changes (see model_writer.hpp).
#include "tests/oracle/model_writer.hpp"

#include <algorithm>

#include "tests/oracle/values.hpp"

namespace backflow::oracle {
namespace {

std::string mixed_case(std::string text, std::mt19937_64& rng) {
  for (auto& c : text)
    if (c >= 'a' && c <= 'z' && rng() % 3 == 0)
      c = static_cast<char>(c - 'a' + 'A');
  return text;
}

}  // namespace

std::string sequence_features::describe() const {
  std::string out;
  auto add = [&](bool on, const char* name) {
    if (on)
      out += (out.empty() ? "" : ", ") + std::string(name);
  };
  add(composite && !separators, "composite_keys");
  add(composite && separators, "composite_keys_with_separators");
  add(long_keys, "long_keys");
  add(exact_decimals, "exact_decimals");
  add(float_as_text, "float_as_text");
  add(hostile_names, "non_ascii_capitals");
  return out.empty() ? "plain" : out;
}

void change_note::add(const std::string& what) {
  text += (text.empty() ? "" : ", ") + what;
}

model_writer::model_writer(const profile& destination, const sequence_features& features,
                           std::mt19937_64& rng)
    : destination_(destination), features_(features), rng_(rng) {}

int model_writer::between(int low, int high) {
  return std::uniform_int_distribution<int>(low, high)(rng_);
}

bool model_writer::chance(double p) {
  return std::uniform_real_distribution<double>(0, 1)(rng_) < p;
}

cell model_writer::key() {
  const auto serial = std::to_string(++serial_);
  if (destination_.email_keys) {
    static const std::vector<std::string> people = {"ada", "bob", "chen", "dora", "eli", "fay"};
    std::string text = mixed_case(pick(people) + "." + serial + "@example.com", rng_);
    if (chance(0.15))
      text = "  " + text + (chance(0.5) ? " " : "");
    return cell::of_text(text);
  }
  if (features_.long_keys && chance(0.15))
    return cell::of_text("long-" + serial + "-" +
                         std::string(static_cast<std::size_t>(between(520, 900)), 'k'));
  static const std::vector<std::string> prefixes = {"cust-", "Cust-", "клиент-", "顧客-", "Zoë-"};
  std::string text = pick(prefixes) + serial;
  if (!features_.composite && chance(0.12))
    text = mixed_case("member." + serial + "@mail.example", rng_);  // an e-mail: lowercased
  return cell::of_text(text);
}

cell model_writer::composite_part() {
  if (features_.separators && chance(0.5))
    return cell::of_text(pick(separator_parts()));
  return cell::of_text("p" + std::to_string(between(0, 3)));
}

cell model_writer::email() {
  const auto serial = std::to_string(++serial_);
  std::string local = "user";
  if (features_.hostile_names && chance(0.5)) {
    std::vector<std::string> names;
    for (const auto& p : hostile_names())
      if (p.raw.find('\'') == std::string::npos && p.raw.find_first_of(" ") == std::string::npos)
        names.push_back(p.raw);
    local = pick(names);
  }
  std::string text = local + "." + serial + "@" +
                     pick(std::vector<std::string>{"example.com", "Example.COM", "EXAMPLE.org"});
  if (chance(0.2))
    text = " " + text + "  ";
  return cell::of_text(text);
}

cell model_writer::name(bool nullable) {
  if (nullable && chance(0.08))
    return chance(0.5) ? cell::null() : cell::of_text("");
  const auto& table = features_.hostile_names && chance(0.6) ? hostile_names() : plain_names();
  return cell::of_text(pick(table).raw);
}

cell model_writer::phone() {
  if (chance(0.1))
    return cell::null();
  const auto serial = std::to_string(1000 + serial_++ % 9000);
  return cell::of_text(chance(0.5) ? "+1 (555) 010-" + serial : "0044 20 7946 " + serial);
}

cell model_writer::value(const std::string& column) {
  if (column == "score")
    return chance(0.1) ? cell::null() : cell::of_real(pick(float_literals()));
  if (column == "big")
    return chance(0.1) ? cell::null() : cell::of_integer(pick(big_integers()));
  if (column == "amount") {
    if (chance(0.1))
      return cell::null();
    return cell::of_text(features_.exact_decimals && chance(0.5) ? pick(exact_decimals())
                                                                 : pick(plain_decimals()));
  }
  if (column == "fn")
    return name(!destination_.audience);
  if (column == "ln")
    return name(true);
  if (column == "phone")
    return phone();
  if (chance(0.1))
    return cell::null();
  if (chance(0.1))
    return cell::of_text("");
  return cell::of_text(pick(texts()));
}

std::vector<std::string> model_writer::value_columns() const {
  if (destination_.audience)
    return {"fn", "ln", "phone"};
  return {"fn", "score", "big", "amount", "tier", "note"};
}

row model_writer::make_row() {
  row r;
  r["k1"] = key();
  r["k2"] = features_.composite ? composite_part() : cell::of_text("-");
  r["email"] = email();
  for (const auto& column : {"fn", "ln", "phone", "score", "big", "amount", "tier", "note"})
    r[column] = value(column);
  return r;
}

void model_writer::insert(std::vector<row>& rows, int n, change_note& note) {
  for (int i = 0; i < n; ++i)
    rows.insert(rows.begin() + between(0, static_cast<int>(rows.size())), make_row());
  note.rows_changed = true;
  note.add("insert " + std::to_string(n));
}

void model_writer::update(std::vector<row>& rows, int n, change_note& note) {
  const auto columns = value_columns();
  for (int i = 0; i < n && !rows.empty(); ++i) {
    auto& r = rows[static_cast<std::size_t>(between(0, static_cast<int>(rows.size()) - 1))];
    for (int c = between(1, 3); c > 0; --c) {
      const auto& column = pick(columns);
      auto next = value(column);
      if (next != r[column])
        note.columns.insert(column);
      r[column] = next;
    }
  }
  note.add("update " + std::to_string(n));
}

void model_writer::remove(std::vector<row>& rows, int n, change_note& note) {
  n = std::min(n, static_cast<int>(rows.size()) - 30);
  for (int i = 0; i < n; ++i)
    rows.erase(rows.begin() + between(0, static_cast<int>(rows.size()) - 1));
  if (n > 0) {
    note.rows_changed = true;
    note.add("delete " + std::to_string(n));
  }
}

void model_writer::rekey(std::vector<row>& rows, int n, change_note& note) {
  for (int i = 0; i < n && !rows.empty(); ++i) {
    auto& r = rows[static_cast<std::size_t>(between(0, static_cast<int>(rows.size()) - 1))];
    r["k1"] = key();
  }
  note.rows_changed = true;
  note.add("key change " + std::to_string(n));
}

void model_writer::new_identity(std::vector<row>& rows, int n, change_note& note) {
  for (int i = 0; i < n && !rows.empty(); ++i)
    rows[static_cast<std::size_t>(between(0, static_cast<int>(rows.size()) - 1))]["email"] =
        email();
  note.columns.insert("email");
  note.add("identifier change " + std::to_string(n));
}

void model_writer::edge_values(std::vector<row>& rows, int n, change_note& note) {
  for (int i = 0; i < n && !rows.empty(); ++i) {
    auto& r = rows[static_cast<std::size_t>(between(0, static_cast<int>(rows.size()) - 1))];
    const auto columns = value_columns();
    const auto& column = pick(columns);
    cell next = chance(0.3)         ? cell::null()
                : column == "score" ? cell::of_real(pick(float_literals()))
                : column == "big"   ? cell::of_integer(pick(big_integers()))
                : column == "amount"
                    ? cell::of_text(features_.exact_decimals ? pick(exact_decimals())
                                                             : pick(plain_decimals()))
                : destination_.audience ? value(column)
                                        : cell::of_text(chance(0.3) ? "" : pick(texts()));
    if (next != r[column])
      note.columns.insert(column);
    r[column] = next;
  }
  note.add("edge values " + std::to_string(n));
}

void model_writer::separator_twins(std::vector<row>& rows, change_note& note) {
  auto a = make_row();
  auto b = make_row();
  const auto stem = "twin" + std::to_string(++serial_);
  a["k1"] = cell::of_text(stem + "|y");
  a["k2"] = cell::of_text("z");
  b["k1"] = cell::of_text(stem);
  b["k2"] = cell::of_text("y|z");
  rows.push_back(a);
  rows.push_back(b);
  note.rows_changed = true;
  note.add("separator twins " + stem);
}

void model_writer::unmapped_change(std::vector<row>& rows, int n, change_note& note) {
  for (int i = 0; i < n && !rows.empty(); ++i) {
    auto& r = rows[static_cast<std::size_t>(between(0, static_cast<int>(rows.size()) - 1))];
    r["score"] = cell::of_real(pick(float_literals()));
  }
  note.columns.insert("score");
  note.add("unmapped change " + std::to_string(n));
}

change_note model_writer::random_changes(std::vector<row>& rows) {
  change_note note;
  const int rounds = between(1, 3);
  for (int i = 0; i < rounds; ++i) {
    const int roll = between(0, 99);
    if (roll < 20)
      insert(rows, between(1, 8), note);
    else if (roll < 45)
      update(rows, between(1, 15), note);
    else if (roll < 57)
      remove(rows, between(1, 6), note);
    else if (roll < 67)
      rekey(rows, between(1, 3), note);
    else if (roll < 77)
      new_identity(rows, between(1, 4), note);
    else if (roll < 87)
      edge_values(rows, between(1, 6), note);
    else if (roll < 92 && features_.separators)
      separator_twins(rows, note);
    else if (roll < 96)
      update(rows, static_cast<int>(rows.size()) * 2 / 5, note);  // a large change: Bulk jobs
    else
      unmapped_change(rows, between(1, 5), note);
  }
  return note;
}

}  // namespace backflow::oracle
