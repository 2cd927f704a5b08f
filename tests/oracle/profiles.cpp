// The oracle's destination flavours (see profiles.hpp), read from the test registry.
#include "tests/oracle/profiles.hpp"

#include <stdexcept>

#include "tests/destinations/test_destination.hpp"

namespace backflow::oracle {

nlohmann::json profile::destination(const std::string& url) const {
  return destination_at(url);
}

const std::string& profile::field(const std::string& role) const {
  auto it = fields.find(role);
  if (it == fields.end())
    throw std::logic_error("oracle: profile '" + name + "' maps no field for '" + role + "'");
  return it->second;
}

std::vector<mapping_entry> profile::mapping(const mapping_choice& choice) const {
  if (audience) {
    std::vector<mapping_entry> m = {{"email", field("email"), ""}, {"fn", field("fn"), ""}};
    if (choice.optional_field)
      m.push_back({"ln", field("ln"), ""});
    if (choice.second_field)
      m.push_back({"phone", field("phone"), ""});
    return m;
  }
  std::vector<mapping_entry> m = {{"fn", field("fn"), ""},
                                  {"score", field("score"), "number"},
                                  {"big", field("big"), "number"},
                                  {"amount", field("amount"), "number"}};
  if (choice.optional_field)
    m.push_back({"tier", field("tier"), ""});
  if (choice.second_field)
    m.push_back({"note", field(choice.renamed ? "notes" : "note"), ""});
  if (choice.float_as_text)
    m.push_back({"score", field("score_text"), "string"});
  return m;
}

void profile::apply_mapping(const mapping_choice& choice, sync_setup& setup) const {
  setup.implicit_mapping = false;
  setup.mapping = mapping(choice);
  if (choice.implicit && implicit_mapping)
    setup.use_implicit_mapping();
}

std::vector<std::string> profile::emulator_args() const {
  auto args = emulator_options;
  args.push_back(log_bodies);
  return args;
}

const std::vector<profile>& profiles() {
  static const std::vector<profile> all = [] {
    std::vector<profile> out;
    for (const auto& d : testing::test_destinations())
      out.insert(out.end(), d.oracle.begin(), d.oracle.end());
    return out;
  }();
  return all;
}

std::vector<std::string> destinations_without_profiles() {
  std::vector<std::string> out;
  for (const auto& type : testing::registered_destinations()) {
    const auto* d = testing::find_test_destination(type);
    if (d == nullptr || d->oracle.empty())
      out.push_back(type);
  }
  return out;
}

const profile& profile_named(const std::string& name) {
  std::string names;
  for (const auto& p : profiles()) {
    if (p.name == name)
      return p;
    names += (names.empty() ? "" : ", ") + p.name;
  }
  throw std::invalid_argument("oracle: no destination '" + name + "' (" + names + ")");
}

}  // namespace backflow::oracle
