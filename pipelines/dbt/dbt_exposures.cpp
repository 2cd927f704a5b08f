// dbt exposures for syncs (see dbt_exposures.hpp).
#include "pipelines/dbt/dbt_exposures.hpp"

#include <cctype>
#include <sstream>

namespace backflow::dbt {
namespace {

/// A YAML double-quoted scalar: JSON's string escapes are YAML's.
std::string quoted(const std::string& text) { return nlohmann::json(text).dump(); }

}  // namespace

std::string exposure_name(const std::string& name) {
  std::string out;
  for (unsigned char c : name)
    out += std::isalnum(c) || c == '_' ? static_cast<char>(c) : '_';
  return out;
}

std::string exposures_yaml(const std::vector<sync_config>& syncs) {
  std::ostringstream out;
  out << "# Written by `backflow dbt exposures`: one exposure per Backflow sync of a dbt model.\n"
      << "version: 2\n\nexposures:\n";
  size_t written = 0;
  for (const auto& s : syncs) {
    if (!s.dbt)
      continue;
    ++written;
    auto description = s.description.empty()
                           ? "Backflow syncs this model to " + s.destination_type + " (" +
                                 to_string(s.mode) + " mode)."
                           : s.description;
    out << "  - name: " << exposure_name("backflow_" + s.name) << "\n"
        << "    label: " << quoted(s.name + " (Backflow)") << "\n"
        << "    type: application\n"
        << "    maturity: high\n"
        << "    description: " << quoted(description) << "\n"
        << "    depends_on:\n"
        << "      - ref(" << quoted(s.dbt->model_name) << ")\n"
        << "    owner:\n";
    auto owner_name = s.owner.is_object() ? s.owner.value("name", "") : std::string();
    auto owner_email = s.owner.is_object() ? s.owner.value("email", "") : std::string();
    if (owner_name.empty() && owner_email.empty())
      owner_name = "Backflow sync " + s.name;
    if (!owner_name.empty())
      out << "      name: " << quoted(owner_name) << "\n";
    if (!owner_email.empty())
      out << "      email: " << quoted(owner_email) << "\n";
    out << "    meta:\n"
        << "      backflow_sync: " << quoted(s.name) << "\n"
        << "      destination: " << quoted(s.destination_type) << "\n"
        << "      mode: " << quoted(to_string(s.mode)) << "\n";
  }
  if (written == 0)
    return "# Written by `backflow dbt exposures`: no sync reads a dbt model.\nversion: 2\n";
  return out.str();
}

}  // namespace backflow::dbt
