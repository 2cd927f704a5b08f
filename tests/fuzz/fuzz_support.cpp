// Helpers the fuzz targets share (see fuzz_support.hpp).
#include "tests/fuzz/fuzz_support.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "connectors/destinations/meta_identifiers.hpp"
#include "connectors/destinations/registry.hpp"
#include "pipelines/core/row_codec.hpp"

namespace backflow::fuzz {
namespace {

/// The longest wait a parser may hand the engine: it adds waits to system_clock::now(), whose
/// nanosecond count overflows about 290 years from now.
constexpr std::chrono::milliseconds max_wait = std::chrono::hours(24 * 365 * 100);

std::string_view take_line(std::string_view& text) {
  auto end = text.find('\n');
  auto line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  return line;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return std::string(s);
}

std::string row(const std::vector<std::optional<std::string>>& cells) {
  std::string out;
  row_writer w{out};
  for (const auto& c : cells)
    c ? w.text(*c) : w.null();
  return out;
}

}  // namespace

void require(bool ok, const char* what) {
  if (ok)
    return;
  std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
  std::abort();
}

bool answer::has(std::string_view word) const {
  for (const auto& w : words)
    if (w == word)
      return true;
  return false;
}

answer parse_answer(std::string_view text) {
  answer a;
  auto status_line = take_line(text);
  size_t digits = 0;
  long status = 0;
  while (digits < status_line.size() && digits < 3 && status_line[digits] >= '0' &&
         status_line[digits] <= '9')
    status = status * 10 + (status_line[digits++] - '0');
  a.response.status = status < 100 ? 100 + status : status;
  a.response.request_sent = true;
  std::string_view rest = status_line.substr(digits);
  while (!rest.empty()) {
    auto space = rest.find(' ');
    if (auto word = rest.substr(0, space); !word.empty())
      a.words.emplace_back(word);
    rest.remove_prefix(space == std::string_view::npos ? rest.size() : space + 1);
  }
  std::string_view head;
  if (text.substr(0, 1) == "\n") {
    text.remove_prefix(1);  // an empty line right after the status: no headers
  } else if (auto blank = text.find("\n\n"); blank != std::string_view::npos) {
    head = text.substr(0, blank);
    text.remove_prefix(blank + 2);
  }
  a.response.body = std::string(text);
  while (!head.empty()) {
    auto line = take_line(head);
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    a.response.headers.push_back({trim(line.substr(0, colon)), trim(line.substr(colon + 1))});
  }
  return a;
}

std::vector<std::string_view> split_answers(std::string_view text) {
  std::vector<std::string_view> out;
  constexpr std::string_view separator = "\n~~~\n";
  while (true) {
    auto at = text.find(separator);
    out.push_back(text.substr(0, at));
    if (at == std::string_view::npos)
      return out;
    text.remove_prefix(at + separator.size());
  }
}

delivery_op op_from(const answer& a, delivery_op fallback) {
  if (a.has("upsert"))
    return delivery_op::upsert;
  if (a.has("update"))
    return delivery_op::update;
  if (a.has("insert"))
    return delivery_op::insert;
  if (a.has("remove"))
    return delivery_op::remove;
  return fallback;
}

std::unique_ptr<destination> make_destination(const std::string& type, const nlohmann::json& options,
                                              sync_mode mode, std::vector<std::string> mapped) {
  const auto* t = find_destination_type(type);
  require(t != nullptr, "the destination type is registered");
  config_errors errors;
  destination_context ctx;
  ctx.options = validate_options(options, t->options, "destination", errors);
  require(errors.empty(), "the fuzz target's destination options are valid");
  ctx.sync_name = "fuzz_sync";
  ctx.run_id = 42;
  ctx.mode = mode;
  ctx.key_columns = {"email"};
  ctx.mapped_fields = std::move(mapped);
  return t->make(ctx);
}

delivery_batch contact_batch(delivery_op op) {
  delivery_batch b;
  b.batch_id = "r42-b7";
  b.field_names = {"firstname", "pql_score"};
  b.sequence = 7;
  b.total = 300;
  const char* keys[] = {"alice@example.com", "Bob@Example.com", "carol@example.org"};
  const char* names[] = {"Alice", "Bob", "Carol"};
  for (int i = 0; i < 3; ++i) {
    outbound_record r;
    r.key = keys[i];
    r.op = op;
    r.hash = {static_cast<uint64_t>(i + 1), 99};
    r.fields = row({names[i], i == 1 ? std::nullopt : std::optional<std::string>("0.8")});
    if (op != delivery_op::insert && !(op == delivery_op::remove && i == 2))
      r.dest_id = std::to_string(101 + i);
    b.records.push_back(std::move(r));
  }
  return b;
}

delivery_batch meta_batch(delivery_op op) {
  delivery_batch b;
  b.batch_id = "r42-b1";
  b.field_names = {"EMAIL", "FN", "COUNTRY"};
  b.sequence = 1;
  b.total = 3;
  struct member {
    const char* key;
    std::optional<std::string> email, fn, country;
  };
  const member members[] = {{"alice@example.com", "Alice@Example.com", "Alice", "US"},
                            {"bob@example.com", "bob@example.com", std::nullopt, std::nullopt},
                            {"k3", "", std::nullopt, std::nullopt}};
  const meta_key schema[] = {meta_key::email, meta_key::fn, meta_key::country};
  for (const auto& m : members) {
    outbound_record r;
    r.key = m.key;
    r.op = op;
    r.fields = row({m.email, m.fn, m.country});
    if (op == delivery_op::remove && m.email && !m.email->empty()) {
      // Removed with the identifiers it was added with (its destination id).
      nlohmann::json ids = nlohmann::json::array();
      auto cells = decode_row(r.fields);
      for (size_t k = 0; k < cells.size(); ++k)
        ids.push_back(meta_identifier(schema[k], cells[k]));
      r.dest_id = ids.dump();
    }
    b.records.push_back(std::move(r));
  }
  return b;
}

void check_verdict(const batch_verdict& v, size_t batch_size) {
  if (v.what == batch_verdict::kind::per_record)
    require(v.outcomes.size() == batch_size, "a per-record verdict has one outcome per record");
  require(v.retry_after.count() >= 0, "retry_after is not negative");
  require(v.retry_after <= max_wait, "retry_after fits in a system_clock time point from now");
  for (const auto& o : v.outcomes) {
    require(o.retry_after.count() >= 0, "an outcome's retry_after is not negative");
    require(o.retry_after <= max_wait, "an outcome's retry_after fits a time point from now");
  }
}

void check_signal(const rate_signal& s) {
  if (s.pause) {
    require(s.pause->count() >= 0, "a rate signal's pause is not negative");
    require(*s.pause <= max_wait, "a rate signal's pause fits a time point from now");
  }
  if (s.advertised) {
    require(s.advertised->requests_per_window >= 0, "an advertised limit is not negative");
    require(s.advertised->window.count() > 0, "an advertised window is positive");
  }
}

}  // namespace backflow::fuzz
