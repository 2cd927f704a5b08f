// The oracle's run driver (see run_driver.hpp).
#include "tests/oracle/run_driver.hpp"

#include <csignal>
#include <filesystem>
#include <thread>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace backflow::oracle {
namespace {

// A run of a few hundred rows takes well under a second; one still going after this hangs.
constexpr auto run_timeout = std::chrono::seconds(10);

long request_count(testing::emulator_process& emulator) {
  return emulator.requests()["count"].get<long>();
}

}  // namespace

std::string run_result::describe() const {
  if (killed)
    return "killed with SIGKILL mid-apply";
  if (hung)
    return "HUNG: still running after " + std::to_string(run_timeout.count()) +
           " s, killed by the oracle; stderr ends: " +
           err.substr(err.size() > 300 ? err.size() - 300 : 0);
  std::string out = "exit " + std::to_string(exit_code);
  if (summary.is_object())
    out += " (" + summary.value("status", std::string("?")) + ", " + std::to_string(api_calls) +
           " API calls)";
  std::string error =
      summary.is_object() && summary.contains("error") && summary["error"].is_string()
          ? summary["error"].get<std::string>()
          : std::string();
  if (error.empty() && exit_code != 0 && exit_code != 1)
    error = err.size() > 400 ? err.substr(err.size() - 400) : err;
  return error.empty() ? out : out + ": " + error;
}

run_driver::run_driver(const std::string& dir)
    : sync_file_(dir + "/oracle.json"), state_dir_(dir + "/state") {}

void run_driver::write_sync(const nlohmann::json& sync) {
  testing::write_file(sync_file_, sync.dump(2));
}

run_result run_driver::finish(int exit_code, const std::string& out, const std::string& err) {
  run_result r;
  r.exit_code = exit_code;
  r.summary = nlohmann::json::parse(out, nullptr, false);
  if (r.summary.is_discarded())
    r.summary = nullptr;
  if (r.summary.is_object() && r.summary.contains("api_calls"))
    r.api_calls = r.summary["api_calls"].get<long>();
  r.err = err.size() > 4000 ? err.substr(err.size() - 4000) : err;
  const std::string marker = "[test harness: killed after timeout]";
  if (r.err.find(marker) != std::string::npos) {
    r.hung = true;
    r.err.erase(r.err.find(marker));
  }
  return r;
}

run_result run_driver::run() {
  auto p = testing::run_process(
      {testing::binary_path("backflow"), "run", sync_file_, "--state", state_dir_, "--json"}, {},
      run_timeout);
  return finish(p.exit_code, p.out, p.err);
}

run_result run_driver::run_killed(testing::emulator_process& emulator) {
  constexpr int latency_ms = 30;
  const long before = request_count(emulator);
  emulator.control_post("limits", {{"latency_ms", latency_ms}});
  testing::background_process run(
      {testing::binary_path("backflow"), "run", sync_file_, "--state", state_dir_, "--json"});
  bool killed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (run.running() && std::chrono::steady_clock::now() < deadline) {
    if (request_count(emulator) > before) {
      run.signal(SIGKILL);
      killed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  auto p = run.wait(run_timeout);
  emulator.control_post("limits", {{"latency_ms", 0}});
  // Requests in flight when it died still land: let them, before anyone looks.
  std::this_thread::sleep_for(std::chrono::milliseconds(2 * latency_ms + 20));
  if (killed && p.signal == SIGKILL) {
    run_result r;
    r.killed = true;
    r.err = p.err;
    return r;
  }
  return finish(p.exit_code, p.out, p.err);
}

void run_driver::lose_state() {
  std::filesystem::remove_all(state_dir_);
}

}  // namespace backflow::oracle
