// A running backflow-emulator with its control API (see emulator_process.hpp).
#include "tests/support/emulator_process.hpp"

#include <stdexcept>

namespace backflow::testing {
namespace {

std::vector<std::string> command(const std::string& kind, const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {binary_path("backflow-emulator"), kind, "--port", "0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

/// `backflow-emulator --list`, read once.
const nlohmann::json& emulator_list() {
  static const nlohmann::json list = [] {
    auto listed = run_process({binary_path("backflow-emulator"), "--list"});
    if (listed.exit_code != 0)
      throw std::runtime_error("backflow-emulator --list failed: " + listed.err);
    return nlohmann::json::parse(listed.out);
  }();
  return list;
}

/// The name of the emulator whose `field` ("destinations", "sources") lists `type`, or "".
std::string emulator_listing(const std::string& field, const std::string& type) {
  for (const auto& e : emulator_list())
    for (const auto& t : e.value(field, nlohmann::json::array()))
      if (t == type)
        return e["name"].get<std::string>();
  return {};
}

nlohmann::json checked(const test_response& r, const std::string& what) {
  if (r.status != 200)
    throw std::runtime_error("emulator control " + what + " answered " + std::to_string(r.status) +
                             " " + r.body + r.error);
  return r.json();
}

}  // namespace

emulator_process::emulator_process(const std::string& kind, const std::vector<std::string>& extra)
    : process_(command(kind, extra)) {
  const std::string prefix = "listening on ";
  auto line = process_.wait_for_line(prefix);
  auto at = line.find(prefix);
  if (at == std::string::npos)
    throw std::runtime_error("backflow-emulator did not start: " +
                             process_.wait(std::chrono::seconds(2)).err);
  base_ = line.substr(at + prefix.size());
}

std::string emulator_process::for_destination(const std::string& destination_type) {
  auto name = emulator_listing("destinations", destination_type);
  if (name.empty())
    throw std::runtime_error("no emulator stands in for destination '" + destination_type +
                             "' (emulators/registry.cpp)");
  return name;
}

std::string emulator_process::for_source(const std::string& source_type) {
  return emulator_listing("sources", source_type);
}

nlohmann::json emulator_process::control_get(const std::string& name) {
  return checked(http_get(url("/__emulator/" + name)), name);
}

nlohmann::json emulator_process::control_post(const std::string& name, const nlohmann::json& body) {
  return checked(http_post_json(url("/__emulator/" + name), body), name);
}

}  // namespace backflow::testing
