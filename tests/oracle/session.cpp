// One oracle sequence's engine (see session.hpp).
#include "tests/oracle/session.hpp"

#include <thread>

#include "tests/oracle/exact_json.hpp"
#include "tests/oracle/figures.hpp"

namespace backflow::oracle {
namespace {

constexpr std::size_t journal_shown = 14;

}  // namespace

session::session(const profile& destination, testing::emulator_process& emulator, std::string label,
                 std::string replay)
    : destination_(destination),
      emulator_(emulator),
      label_(std::move(label)),
      replay_(std::move(replay)),
      model_(dir_.file("warehouse.sqlite")),
      driver_(dir_.path().string()) {
  emulator_.control_post("reset");
  setup_.destination = destination_.destination(emulator_.url());
  seen_requests_ = 0;
  ++totals().sequences;
}

std::set<std::string> session::model_keys() {
  std::set<std::string> keys;
  for (const auto& [key, record] : destination_.expected({model_.rows(), setup_})) {
    keys.insert(key);
    origins_[key] = record.origin;
  }
  return keys;
}

bool session::nothing_to_remove() {
  const auto keys = model_keys();
  for (const auto& key : past_.live_before())
    if (keys.count(key) == 0 && !past_.unknowable(key))
      return false;
  return true;
}

void session::step(const std::string& description) {
  journal_.push_back("step " + std::to_string(++steps_) + ": " + description);
  ++totals().steps;
}

void session::remember_numbers() {
  for (const auto& r : model_.rows())
    for (const auto& [column, value] : r)
      if (value.type != cell::kind::null &&
          (column == "score" || column == "big" || column == "amount"))
        produced_[column].insert(value.text);
}

run_result session::run(const fault_plan& fault) {
  model_.write();
  remember_numbers();
  driver_.write_sync(setup_.sync_file(model_.path()));
  const auto keys = model_keys();
  if (fault.kind == fault_kind::state_loss) {
    past_.note_state_loss(destination_.held(emulator_).live_keys());
    driver_.lose_state();
    after_loss_ = true;
    resent_ = 0;
    resent_unknown_ = false;
  }
  queue_fault(emulator_, fault);
  past_.note_run(setup_.mode, keys);
  auto r = fault.kind == fault_kind::kill9 ? driver_.run_killed(emulator_) : driver_.run();
  const bool fired =
      settle_fault(emulator_, fault) && (fault.kind != fault_kind::kill9 || r.killed);
  if (fault.kind == fault_kind::timeout_after_sent)  // the held request lands after its timeout
    std::this_thread::sleep_for(std::chrono::milliseconds(fault.delay_ms + 100));
  if (after_loss_ && r.summary.is_object())
    resent_ +=
        r.summary["counts"].value("delivered", 0L) + r.summary["counts"].value("rejected", 0L);
  resent_unknown_ = resent_unknown_ || r.killed;
  auto& t = totals();
  ++t.runs;
  t.kills += r.killed ? 1 : 0;
  if (fired)
    ++t.faults[name_of(fault.kind)];
  journal_.push_back("  run " + std::to_string(++runs_) + " (" + setup_.mode +
                     (fault.kind == fault_kind::none ? "" : ", " + fault.describe()) +
                     (fault.kind != fault_kind::none && !fired ? " [did not fire]" : "") +
                     "): " + r.describe());
  check_bodies();
  return r;
}

void session::check_bodies() {
  if (failed())
    return;
  auto requests = emulator_.requests();
  const long count = requests["count"].get<long>();
  const auto& log = requests["log"];
  long fresh = count - seen_requests_;
  seen_requests_ = count;
  if (fresh > static_cast<long>(log.size())) {
    ++totals().log_overflows;
    fresh = static_cast<long>(log.size());
  }
  std::vector<mismatch> found;
  for (auto i = log.size() - static_cast<std::size_t>(fresh); i < log.size(); ++i)
    for (const auto& sent : destination_.sent(log[i])) {
      const auto* m = setup_.target(sent.field);
      const bool numeric_column = m != nullptr && (m->from == "score" || m->from == "big");
      if (m == nullptr || (m->type != "number" && !(m->type.empty() && numeric_column)))
        continue;
      const auto& v = sent.value;
      if (v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()))
        continue;
      auto literal =
          v.is_string() ? std::optional<std::string>(v.get<std::string>()) : number_literal(v);
      bool known = false;
      for (const auto& written : produced_[m->from])
        known = known || (literal && same_decimal(*literal, written));
      if (!known)
        found.push_back({sent.key,
                         "sent field \"" + sent.field +
                             "\" exactly as the warehouse holds "
                             "column " +
                             m->from + " (" + log[i].value("method", "") + " " +
                             log[i].value("path", "") + ")",
                         "one of the values written to " + m->from, literal ? *literal : v.dump()});
    }
  if (!found.empty())
    fail("a request body carried a number the warehouse never held", found, "");
}

bool session::audit(const std::string& context) {
  remember_numbers();
  check_bodies();
  if (failed())
    return false;
  const auto expected = destination_.expected({model_.rows(), setup_});
  std::set<std::string> keys;
  for (const auto& [key, record] : expected)
    keys.insert(key);
  past_.fold_losses(keys);
  const auto held = destination_.held(emulator_);
  auto found = compare({destination_, setup_.mode, expected, held, past_});
  ++totals().comparisons;
  for (auto& m : found)  // a record that should be gone: say which row it came from
    if (expected.count(m.key) == 0 && origins_.count(m.key) != 0 && origins_[m.key] != m.key)
      m.actual += "\n      (earlier from " + origins_[m.key] + ")";
  if (!found.empty()) {
    std::string sample;
    for (const auto& [key, records] : held.by_key) {
      if (sample.size() > 200)
        break;
      sample += (sample.empty() ? "" : ", ") + nlohmann::json(key.substr(0, 60)).dump();
    }
    fail(context + ", the destination differs from the model in " + std::to_string(found.size()) +
             " places (" + std::to_string(expected.size()) + " expected records)",
         found,
         "destination holds " + std::to_string(held.by_key.size()) + " keys (" +
             std::to_string(held.live_keys().size()) + " live), e.g. " + sample +
             (held.note.empty() ? "" : "\n    " + held.note));
    return false;
  }
  if (after_loss_ && !resent_unknown_ && resent_ < static_cast<long>(keys.size())) {
    fail("the state directory was lost, yet the runs since sent " + std::to_string(resent_) +
             " records for " + std::to_string(keys.size()) + " model rows",
         {{"(the runs)", "re-send every model row after the state is lost",
           std::to_string(keys.size()) + " records", std::to_string(resent_) + " records"}},
         "");
    return false;
  }
  after_loss_ = false;
  past_.settle(setup_.mode, keys, held);
  return true;
}

bool session::expect_no_calls(const run_result& r, const std::string& why) {
  if (failed() || r.api_calls == 0)
    return !failed();
  fail(
      "needless sends: " + why + ", yet the run made " + std::to_string(r.api_calls) + " API calls",
      {{"(the run)", "makes no API call", "0 API calls",
        std::to_string(r.api_calls) + " API calls, counts " +
            (r.summary.is_object() ? r.summary["counts"].dump() : "?")}},
      "");
  return false;
}

bool session::expect_exit(const run_result& r, std::initializer_list<int> codes,
                          const std::string& why) {
  if (failed())
    return false;
  for (int code : codes)
    if (r.exit_code == code)
      return true;
  std::string list;
  for (int code : codes)
    list += (list.empty() ? "" : " or ") + std::to_string(code);
  std::string rejected;
  if (r.summary.is_object() && r.summary.contains("rejected") && !r.summary["rejected"].empty())
    rejected = "; rejected: " + r.summary["rejected"].dump().substr(0, 500);
  fail(why, {{"(the run)", "ends with exit " + list, "exit " + list, r.describe() + rejected}}, "");
  return false;
}

bool session::recover(int attempts, run_result& last) {
  for (int i = 0; i < attempts; ++i) {
    last = run();
    if (last.success(setup_.mode == "update"))
      return true;
  }
  fail("no run finished: " + std::to_string(attempts) + " runs in a row without a fault",
       {{"(the runs)", "one of them finishes", "exit 0", last.describe()}}, "");
  return false;
}

void session::fail(const std::string& what, const std::vector<mismatch>& found,
                   const std::string& note) {
  if (failed())
    return;
  ++totals().mismatches;
  ++totals().failed_sequences;
  report_ = "[oracle] MISMATCH " + label_ + " at step " + std::to_string(steps_) + ", run " +
            std::to_string(runs_) + ": " + what + "\n" + describe(found);
  if (!note.empty())
    report_ += "    " + note + "\n";
  report_ += "  journal (mode " + setup_.mode + "):\n";
  const auto from = journal_.size() > journal_shown ? journal_.size() - journal_shown : 0;
  if (from > 0)
    report_ += "    … " + std::to_string(from) + " earlier lines\n";
  for (auto i = from; i < journal_.size(); ++i)
    report_ += "    " + journal_[i] + "\n";
  report_ += "  replay: " + replay_ + "\n";
}

}  // namespace backflow::oracle
