// backflow-emulator's command line (see emulator_cli.hpp).
#include "emulators/emulator_cli.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace backflow::emulators {
namespace {

/// The options every emulator takes (limits other than latency come from the registry).
const std::vector<emulator_option>& shared_options() {
  static const std::vector<emulator_option> options = {
      {"--port", "N", "listen on 127.0.0.1:N (default 0: an ephemeral port)"},
      {"--latency-ms", "N", "sleep N ms before every API request (default 0)"},
      {"--threads", "N", "server threads; each keep-alive connection holds one (default 64)"},
      {"--verbose", "", "log every request to stderr"},
      {"--log-bodies", "", "keep request bodies in /__emulator/requests (tests reading exact values)"},
  };
  return options;
}

std::string flag_of(const std::string& limit_key) {
  std::string flag = "--" + limit_key;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

std::string option_line(const std::string& flag, const std::string& value,
                        const std::string& help) {
  std::string head = "  " + flag + (value.empty() ? "" : " " + value);
  head.resize(std::max<std::size_t>(head.size() + 1, 21), ' ');
  return head + help + "\n";
}

std::string names() {
  std::string out;
  for (const auto& t : emulator_types())
    out += (out.empty() ? "" : "|") + t.name;
  return out;
}

const emulator_option* find_option(const emulator_type& type, const std::string& flag) {
  for (const auto& o : type.options)
    if (o.flag == flag)
      return &o;
  return nullptr;
}

/// Where a limit flag of `type` goes in `l`, or nullptr when the emulator has no such limit.
std::int64_t* limit_target(const emulator_type& type, const std::string& flag, limits& l) {
  for (const auto& key : type.limit_keys())
    if (flag_of(key) == flag)
      return limit_field(l, key);
  return nullptr;
}

/// The emulators that take `flag`, for the message when another one is given it.
std::string emulators_taking(const std::string& flag) {
  std::string out;
  limits scratch;
  for (const auto& t : emulator_types())
    if (find_option(t, flag) != nullptr || limit_target(t, flag, scratch) != nullptr)
      out += (out.empty() ? "" : ", ") + t.name;
  return out;
}

std::optional<std::int64_t> non_negative(const std::string& text) {
  std::int64_t n = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 0)
    return std::nullopt;
  return n;
}

}  // namespace

std::string emulator_usage() {
  std::string out = "usage: backflow-emulator " + names() + " [options]\n";
  out += "       backflow-emulator --list   (the emulators as JSON: name, summary, destinations, sources)\n";
  out += "emulators:\n";
  for (const auto& t : emulator_types())
    out += option_line(t.name, "", t.summary);
  out += "options of every emulator:\n";
  for (const auto& o : shared_options())
    out += option_line(o.flag, o.value, o.help);
  for (const auto& t : emulator_types()) {
    out += t.name + " options:\n";
    for (const auto& o : t.options)
      out += option_line(o.flag, o.value, o.help + (o.repeatable ? "; repeatable" : ""));
    auto initial = t.initial;
    for (const auto& l : t.own_limits)
      out += option_line(flag_of(l.key), "N",
                         l.help + " (default " + std::to_string(*limit_field(initial, l.key)) + ")");
  }
  out += "Prints \"listening on http://127.0.0.1:PORT\" once ready. Control API under "
         "/__emulator/.\n";
  return out;
}

std::string emulator_list_json() {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& t : emulator_types())
    list.push_back({{"name", t.name}, {"summary", t.summary}, {"destinations", t.destinations},
                    {"sources", t.sources}});
  return list.dump() + "\n";
}

result<emulator_cli> parse_emulator_cli(int argc, const char* const* argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty())
    return failure{"missing emulator name"};
  if (args[0] == "--help" || args[0] == "-h")
    return failure{""};
  emulator_cli out;
  out.type = find_emulator_type(args[0]);
  if (out.type == nullptr)
    return failure{"unknown emulator '" + args[0] + "' (expected " + names() + ")"};
  const auto& type = *out.type;
  out.server.initial = type.initial;
  out.server.limit_keys = type.limit_keys();
  emulator_settings settings;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (name == "--help" || name == "-h")
      return failure{""};
    if (name == "--verbose" || name == "--log-bodies") {
      (name == "--verbose" ? out.server.verbose : out.server.log_bodies) = true;
      continue;
    }
    const auto* own = find_option(type, name);
    auto* limit = limit_target(type, name, out.server.initial);
    const bool shared = name == "--port" || name == "--threads";
    if (own == nullptr && limit == nullptr && !shared) {
      auto takers = emulators_taking(name);
      if (!takers.empty())
        return failure{name + " applies to these emulators only: " + takers};
      return failure{"unknown option: " + name};
    }
    if (!value && i + 1 < args.size())
      value = args[++i];
    if (!value)
      return failure{"missing value for " + name};
    if (own != nullptr) {
      settings.add(name, *value);
      continue;
    }
    auto n = non_negative(*value);
    if (!n)
      return failure{name + " needs a non-negative integer, got '" + *value + "'"};
    if (limit != nullptr)
      *limit = *n;
    else if (name == "--port" && *n <= 65535)
      out.server.port = static_cast<int>(*n);
    else if (name == "--threads" && *n >= 1 && *n <= 1024)
      out.server.threads = static_cast<std::size_t>(*n);
    else
      return failure{"value out of range for " + name + ": " + *value};
  }
  auto vendor = type.make(settings);
  if (!vendor)
    return failure{vendor.error().message};
  out.vendor = std::move(*vendor);
  return out;
}

}  // namespace backflow::emulators
