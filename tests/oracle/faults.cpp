// The oracle's fault injector (see faults.hpp).
#include "tests/oracle/faults.hpp"

namespace backflow::oracle {

int between(std::mt19937_64& rng, int low, int high) {
  return std::uniform_int_distribution<int>(low, high)(rng);
}

namespace {

nlohmann::json match(const fault_context& c) {
  return {{"path_contains", c.api_path}};
}

}  // namespace

const char* name_of(fault_kind kind) {
  switch (kind) {
    case fault_kind::none:
      return "none";
    case fault_kind::burst_short:
      return "5xx_burst_short";
    case fault_kind::burst_long:
      return "5xx_burst_long";
    case fault_kind::apply_then_fail:
      return "apply_then_fail";
    case fault_kind::timeout_after_sent:
      return "timeout_after_sent";
    case fault_kind::auth_401:
      return "401_then_recovery";
    case fault_kind::kill9:
      return "kill_9";
    case fault_kind::state_loss:
      return "state_dir_lost";
  }
  return "?";
}

std::string fault_plan::describe() const {
  std::string out = name_of(kind);
  if (!spec.is_null())
    out += " " + spec.dump();
  return out;
}

fault_plan make_fault(fault_kind kind, const fault_context& c, std::mt19937_64& rng) {
  fault_plan plan;
  plan.kind = kind;
  const int statuses[] = {500, 502, 503, 504};
  const int status = statuses[between(rng, 0, 3)];
  switch (kind) {
    case fault_kind::burst_short:
      plan.spec = {{"match", match(c)},
                   {"status", status},
                   {"nth", between(rng, 1, 3)},
                   {"count", std::max(1, c.max_attempts - 1)}};
      break;
    case fault_kind::burst_long:
      // Enough answers for one batch to use up its attempts whatever else is in flight.
      plan.spec = {{"match", match(c)},
                   {"status", 503},
                   {"nth", between(rng, 1, 3)},
                   {"count", c.max_attempts * 8}};
      break;
    case fault_kind::apply_then_fail:
      plan.spec = {{"match", match(c)}, {"apply", true}, {"nth", between(rng, 1, 3)}};
      if (between(rng, 0, 1) == 0)
        plan.spec["status"] = 502;
      else
        plan.spec["drop"] = true;
      break;
    case fault_kind::timeout_after_sent:
      plan.delay_ms = c.request_timeout_ms + 300;
      plan.spec = {{"match", match(c)}, {"delay_ms", plan.delay_ms}, {"nth", between(rng, 1, 2)}};
      break;
    case fault_kind::auth_401:
      plan.spec = {{"match", match(c)},
                   {"status", 401},
                   {"nth", between(rng, 1, 3)},
                   {"body", R"({"error":"invalid credentials"})"}};
      break;
    default:
      break;
  }
  return plan;
}

fault_kind draw_fault(std::mt19937_64& rng) {
  const int roll = between(rng, 0, 99);
  if (roll < 55)
    return fault_kind::none;
  if (roll < 63)
    return fault_kind::burst_short;
  if (roll < 71)
    return fault_kind::burst_long;
  if (roll < 79)
    return fault_kind::apply_then_fail;
  if (roll < 82)
    return fault_kind::timeout_after_sent;
  if (roll < 88)
    return fault_kind::auth_401;
  if (roll < 95)
    return fault_kind::kill9;
  return fault_kind::state_loss;
}

void queue_fault(testing::emulator_process& emulator, const fault_plan& plan) {
  if (!plan.spec.is_null())
    emulator.fault(plan.spec);
}

bool settle_fault(testing::emulator_process& emulator, const fault_plan& plan) {
  if (plan.spec.is_null())
    return plan.kind != fault_kind::none;
  auto pending = emulator.control_get("faults")["faults"];
  auto cleared = testing::http_call("DELETE", emulator.url("/__emulator/faults"));
  (void)cleared;
  if (pending.empty())
    return true;  // fired as often as it was told to
  return pending[0].value("fired", 0) > 0;
}

}  // namespace backflow::oracle
