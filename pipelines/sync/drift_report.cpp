// How a drift check is shown: JSON, text, exit code (see drift_check.hpp).
#include <sstream>

#include "pipelines/delivery/payload.hpp"
#include "pipelines/sync/drift_check.hpp"

namespace backflow {
namespace {

const char* outcome_name(verify_report::outcome o) {
  switch (o) {
    case verify_report::outcome::clean:
      return "clean";
    case verify_report::outcome::drifted:
      return "drifted";
    case verify_report::outcome::cannot_read_back:
      return "cannot_read_back";
    case verify_report::outcome::failed:
      return "incomplete";
    case verify_report::outcome::config_error:
      return "config_error";
    case verify_report::outcome::damaged:
      return "damaged";
  }
  return "incomplete";
}

}  // namespace

nlohmann::json verify_report::to_json() const {
  nlohmann::json records = nlohmann::json::array();
  for (const auto& d : drift)
    records.push_back({{"key", d.key}, {"drift", d.missing ? "missing" : "changed"},
                       {"fields", d.fields}});
  nlohmann::json out = {{"sync", sync},          {"destination", destination},
                        {"status", outcome_name(status)},
                        {"rows_read", rows_read}, {"eligible", eligible},
                        {"pending", pending},     {"checked", checked},
                        {"unchecked", unchecked}, {"changed", changed},
                        {"missing", missing},     {"repaired", repaired},
                        {"api_calls", api_calls}, {"duration_ms", duration_ms},
                        {"records", std::move(records)}};
  out["error"] = error.empty() ? nlohmann::json() : nlohmann::json(error);
  return out;
}

std::string verify_report::to_text() const {
  std::ostringstream out;
  out << "verify " << sync << " (" << destination << "): " << outcome_name(status) << "\n";
  if (!error.empty())
    out << "  error: " << error << "\n";
  if (status == outcome::cannot_read_back || status == outcome::config_error)
    return out.str();
  out << "  " << rows_read << " rows read, " << eligible << " synced as they are now, " << pending
      << " left out (changed in the model, pending, rejected or never sent)\n"
      << "  " << checked << " records read back (" << api_calls << " API calls): " << changed
      << " changed at the destination, " << missing << " missing";
  if (unchecked > 0)
    out << ", " << unchecked << " could not be looked up (no destination id kept)";
  out << "\n";
  for (const auto& d : drift) {
    out << "  " << (d.missing ? "missing  " : "changed  ") << d.key;
    for (const auto& [field, values] : d.fields.items())
      out << "  " << field << ": sent " << dump_exact(values["sent"]) << ", found "
          << dump_exact(values["found"]);
    out << "\n";
  }
  if (changed + missing > drift.size())
    out << "  ... and " << (changed + missing - drift.size()) << " more\n";
  if (repaired > 0)
    out << "  " << repaired << " records marked for resend: the next run sends them again\n";
  else if (changed + missing > 0)
    out << "  `backflow verify SYNC.json --repair` marks them for resend by the next run\n";
  return out.str();
}

int verify_report::exit_code() const {
  switch (status) {
    case outcome::clean:
      return 0;
    case outcome::drifted:
      return 1;
    case outcome::config_error:
      return 2;
    case outcome::failed:
      return 4;
    case outcome::damaged:
      return 6;
    case outcome::cannot_read_back:
      return 7;
  }
  return 4;
}

}  // namespace backflow
