// Scripted oracle sequences for named cases (see scripted_case.hpp).
#include "tests/oracle/scripted_case.hpp"

#include <boost/test/unit_test.hpp>
#include <iostream>

#include "tests/oracle/emulator_pool.hpp"

namespace backflow::oracle {

scripted::scripted(const std::string& suite, const std::string& name,
                   const std::string& destination, const std::string& mode, std::uint64_t seed,
                   sequence_features features)
    : target(profile_named(destination)),
      rng(seed),
      writer(target, features, rng),
      s(target, emulator_for(target), name + " (" + destination + "/" + mode + ")",
        "build/tests/oracle/oracle --run_test=" + suite + "/" + name) {
  auto& setup = s.setup();
  setup.mode = mode;
  setup.key_columns =
      features.composite ? std::vector<std::string>{"k1", "k2"} : std::vector<std::string>{"k1"};
  for (const auto& [column, type] : model_columns())
    setup.select_order.push_back(column);
  mapping_choice choice;
  choice.float_as_text = features.float_as_text;
  choice.second_field = !target.audience;
  setup.mapping = target.mapping(choice);
  setup.delivery = {{"concurrency", 1},
                    {"max_attempts", 3},
                    {"request_timeout", "2s"},
                    {"retry_initial", "10ms"},
                    {"retry_max", "50ms"}};
}

void scripted::add_rows(int n) {
  for (int i = 0; i < n; ++i)
    rows().push_back(writer.make_row());
}

void scripted::touch_all(const std::string& note) {
  for (std::size_t i = 0; i < rows().size(); ++i)
    rows()[i]["note"] = cell::of_text(note + "-" + std::to_string(i));
}

bool scripted::finishes(const std::string& step, const fault_plan& fault) {
  s.step(step);
  auto r = s.run(fault);
  return s.expect_exit(r, {0}, "the run did not finish") && s.check(r);
}

bool scripted::sends_nothing(const std::string& step, const std::string& why) {
  s.step(step);
  auto r = s.run();
  return s.expect_exit(r, {0}, "the run did not finish") && s.check(r) && s.expect_no_calls(r, why);
}

void scripted::done() {
  if (s.failed())
    std::cout << s.report() << std::flush;
  BOOST_TEST(!s.failed(), s.report().substr(0, s.report().find('\n')));
}

fault_plan queued(fault_kind kind, nlohmann::json spec) {
  fault_plan f;
  f.kind = kind;
  f.spec = std::move(spec);
  return f;
}

row keyed(model_writer& writer, const std::string& k1, const std::string& k2) {
  auto r = writer.make_row();
  r["k1"] = cell::of_text(k1);
  r["k2"] = cell::of_text(k2);
  return r;
}

}  // namespace backflow::oracle
