// Random oracle sequences (see random_sequence.hpp).
#include "tests/oracle/random_sequence.hpp"

#include <algorithm>
#include <cstdlib>
#include <random>

#include "tests/oracle/faults.hpp"
#include "tests/oracle/model_writer.hpp"
#include "tests/oracle/session.hpp"

namespace backflow::oracle {
namespace {

bool chance(std::mt19937_64& rng, double p) {
  return std::uniform_real_distribution<double>(0, 1)(rng) < p;
}

/// The hostile features of a sequence; BACKFLOW_ORACLE_HOSTILE=0 turns them all off (to look
/// past known defects at faults, modes and mappings).
sequence_features draw_features(const profile& p, std::mt19937_64& rng) {
  sequence_features f;
  if (const char* hostile = std::getenv("BACKFLOW_ORACLE_HOSTILE");
      hostile && std::string(hostile) == "0")
    return f;
  f.composite = p.composite_keys && chance(rng, 0.5);
  f.separators = f.composite && chance(rng, 0.4);
  f.long_keys = p.long_keys && chance(rng, 0.25);
  f.exact_decimals = !p.audience && chance(rng, 0.3);
  f.float_as_text = !p.audience && chance(rng, 0.25);
  f.hostile_names = p.audience && chance(rng, 0.4);
  return f;
}

std::vector<std::string> all_columns() {
  std::vector<std::string> out;
  for (const auto& [name, type] : model_columns())
    out.push_back(name);
  return out;
}

/// True when `note` touched only columns the sync does not send.
bool only_unmapped(const change_note& note, const sync_setup& setup) {
  if (note.rows_changed)
    return false;
  for (const auto& column : note.columns) {
    if (std::find(setup.key_columns.begin(), setup.key_columns.end(), column) !=
        setup.key_columns.end())
      return false;
    for (const auto& m : setup.mapping)
      if (m.from == column)
        return false;
  }
  return true;
}

/// The random part of one sequence, step by step.
class random_run {
 public:
  random_run(const sequence_spec& spec, testing::emulator_process& emulator)
      : spec_(spec),
        destination_(profile_named(spec.destination)),
        rng_(spec.seed),
        features_(draw_features(destination_, rng_)),
        session_(destination_, emulator,
                 spec.destination + "/" + spec.mode + " seed=" + std::to_string(spec.seed) +
                     " features=" + features_.describe(),
                 "BACKFLOW_ORACLE_SEQUENCE=" + replay_of(spec)),
        writer_(destination_, features_, rng_) {}

  std::string run() {
    start();
    const int steps = between(rng_, 6, 10);
    for (int i = 0; i < steps && !session_.failed(); ++i)
      next_step();
    if (!session_.failed())
      finish();
    return session_.report();
  }

 private:
  void start() {
    auto& setup = session_.setup();
    const int rows = between(rng_, 120, 240);
    for (int i = 0; i < rows; ++i)
      session_.model().rows().push_back(writer_.make_row());
    setup.mode = spec_.mode == "update" ? "upsert" : spec_.mode;
    setup.key_columns =
        features_.composite ? std::vector<std::string>{"k1", "k2"} : std::vector<std::string>{"k1"};
    setup.select_order = all_columns();
    std::shuffle(setup.select_order.begin(), setup.select_order.end(), rng_);
    choice_.float_as_text = features_.float_as_text;
    choice_.implicit = destination_.implicit_mapping && chance(rng_, 0.35);
    destination_.apply_mapping(choice_, setup);
    context_ = {destination_.api_path, between(rng_, 2, 3), 1000};
    setup.delivery = {{"concurrency", between(rng_, 1, 4)},
                      {"max_attempts", context_.max_attempts},
                      {"request_timeout", "1s"},
                      {"retry_initial", "10ms"},
                      {"retry_max", "50ms"}};
    session_.step("initial model: " + std::to_string(rows) + " rows, mode " + setup.mode +
                  (setup.implicit_mapping ? ", no mapping in the sync file" : "") + ", delivery " +
                  setup.delivery.dump());
    settle(session_.run(), fault_kind::none, "");
    pending_update_ = spec_.mode == "update";
  }

  void next_step() {
    auto& setup = session_.setup();
    const bool last_ok = incomplete_ == 0;
    std::string zero_reason;
    std::string what;
    const int roll = between(rng_, 0, 99);
    if (pending_update_) {
      pending_update_ = false;
      setup.mode = "update";
      what = "mode upsert → update";
    } else if (last_ok && roll < 8) {
      zero_reason = "nothing changed";
      what = "no change";
    } else if (last_ok && roll < 16) {
      std::shuffle(setup.select_order.begin(), setup.select_order.end(), rng_);
      zero_reason = "only the SELECT's column order changed";
      what = "column reorder";
    } else if (last_ok && roll < 27 && destination_.modes.size() > 1) {
      what = switch_mode(zero_reason);
    } else if (last_ok && roll < 33) {
      what = change_mapping();
    } else {
      auto note = writer_.random_changes(session_.model().rows());
      what = note.text;
      if (last_ok && only_unmapped(note, setup))
        zero_reason = "only columns the sync does not map changed";
    }
    const auto kind = zero_reason.empty() ? draw_fault(rng_) : fault_kind::none;
    session_.step(what);
    auto fault = make_fault(kind, context_, rng_);
    settle(session_.run(fault), kind, zero_reason);
    if (!session_.failed() && incomplete_ > 0 && (incomplete_ >= 2 || chance(rng_, 0.4)))
      recover();
  }

  std::string switch_mode(std::string& zero_reason) {
    auto& setup = session_.setup();
    std::vector<std::string> others;
    for (const auto& m : destination_.modes)
      if (m != setup.mode)
        others.push_back(m);
    const auto from = setup.mode;
    setup.mode =
        others[static_cast<std::size_t>(between(rng_, 0, static_cast<int>(others.size()) - 1))];
    if ((from == "mirror" && setup.mode == "upsert") ||
        (from == "upsert" && setup.mode == "mirror" && session_.nothing_to_remove()))
      zero_reason = "only the mode changed (" + from + " → " + setup.mode +
                    ") and no synced row left the model";
    return "mode " + from + " → " + setup.mode;
  }

  std::string change_mapping() {
    const int which = between(rng_, 0, destination_.audience ? 1 : 3);
    if (which == 0)
      choice_.optional_field = !choice_.optional_field;
    else if (which == 1)
      choice_.second_field = !choice_.second_field;
    else if (which == 2)
      choice_.renamed = !choice_.renamed;
    else
      choice_.implicit = destination_.implicit_mapping && !choice_.implicit;
    destination_.apply_mapping(choice_, session_.setup());
    std::string fields;
    for (const auto& m : session_.setup().mapping)
      fields += (fields.empty() ? "" : " ") + m.from + "→" + m.to;
    return std::string("mapping change") +
           (session_.setup().implicit_mapping ? " (none in the sync file)" : "") + ": " + fields;
  }

  /// Judges a run: compare after a success, count an expected stop, report anything else.
  void settle(const run_result& r, fault_kind kind, const std::string& zero_reason) {
    const bool update = session_.setup().mode == "update";
    if (r.killed) {
      ++incomplete_;
      return;
    }
    if (r.success(update)) {
      incomplete_ = 0;
      if (session_.check(r) && !zero_reason.empty())
        session_.expect_no_calls(r, zero_reason);
      return;
    }
    if (r.exit_code == 4 && (kind == fault_kind::burst_long || kind == fault_kind::auth_401)) {
      ++incomplete_;
      return;
    }
    session_.expect_exit(
        r, update ? std::initializer_list<int>{0, 1} : std::initializer_list<int>{0},
        std::string("the run did not end as it must (fault: ") + name_of(kind) + ")");
  }

  void recover() {
    session_.step("recover: run again without faults");
    run_result last;
    if (session_.recover(4, last)) {
      incomplete_ = 0;
      session_.check(last);
    }
  }

  void finish() {
    if (incomplete_ > 0)
      recover();
    if (session_.failed())
      return;
    session_.step("final run over the unchanged model");
    auto r = session_.run();
    settle(r, fault_kind::none, "nothing changed since the last successful run");
  }

  sequence_spec spec_;
  const profile& destination_;
  std::mt19937_64 rng_;
  sequence_features features_;
  session session_;
  model_writer writer_;
  mapping_choice choice_;
  fault_context context_;
  int incomplete_ = 0;
  bool pending_update_ = false;
};

}  // namespace

std::string replay_of(const sequence_spec& spec) {
  return spec.destination + "/" + spec.mode + ":" + std::to_string(spec.seed);
}

std::optional<sequence_spec> parse_replay(const std::string& text) {
  const auto slash = text.find('/');
  const auto colon = text.rfind(':');
  if (slash == std::string::npos || colon == std::string::npos || colon < slash)
    return std::nullopt;
  sequence_spec spec{text.substr(0, slash), text.substr(slash + 1, colon - slash - 1), 0};
  try {
    spec.seed = std::stoull(text.substr(colon + 1));
    const auto& p = profile_named(spec.destination);
    if (std::find(p.modes.begin(), p.modes.end(), spec.mode) == p.modes.end())
      return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return spec;
}

std::vector<sequence_spec> all_combinations() {
  std::vector<sequence_spec> out;
  for (const auto& p : profiles())
    for (const auto& mode : p.modes)
      out.push_back({p.name, mode, 0});
  return out;
}

std::string run_sequence(const sequence_spec& spec, testing::emulator_process& emulator) {
  return random_run(spec, emulator).run();
}

}  // namespace backflow::oracle
