// backflow-emulator: runs a destination emulator on 127.0.0.1 until SIGTERM or SIGINT.
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>

#include "emulators/emulator_server.hpp"
#include "emulators/hubspot_emulator.hpp"
#include "emulators/meta_emulator.hpp"
#include "emulators/salesforce_emulator.hpp"
#include "emulators/webhook_emulator.hpp"
#include "emulators/webhook_signature.hpp"
#include "pipelines/core/result.hpp"

namespace backflow::emulators {
namespace {

constexpr const char* usage = R"(usage: backflow-emulator hubspot|salesforce|meta|webhook [options]
  --port N           listen on 127.0.0.1:N (default 0: an ephemeral port)
  --token T          hubspot, salesforce, meta: the accepted token (default emulator-token)
  --secret S         webhook: the signing secret (default whsec_ + base64 of "emulator-secret")
  --latency-ms N     sleep N ms before every API request (default 0)
  --per-10s N        hubspot: requests per rolling 10 s (default 190; 0 = unlimited)
  --daily N          hubspot: requests per day (default 1000000; 0 = unlimited)
                     salesforce: API requests per day (default 100000; 0 = unlimited)
  --bulk-delay-ms N  salesforce: Bulk 2.0 processing time after UploadComplete (default 200)
  --audience ID      meta: an existing custom audience; repeatable (default 23850000000000001)
  --hourly N         meta: calls per ad account per rolling hour (default 0 = unlimited)
  --per-second N     webhook: requests per rolling second (default 0 = unlimited)
  --max-batch N      webhook: records per request (default 0 = unlimited)
  --threads N        server threads; each keep-alive connection holds one (default 64)
  --verbose          log every request to stderr
  --log-bodies       keep request bodies in /__emulator/requests (tests reading exact values)
Prints "listening on http://127.0.0.1:PORT" once ready. Control API under /__emulator/.
)";

struct cli {
  std::string kind;
  server_options server;
  std::optional<std::string> token;
  std::optional<std::string> secret;
  std::vector<std::string> audiences;
};

/// The limits an emulator kind starts with.
limits initial_limits(const std::string& kind) {
  if (kind == "hubspot")
    return hubspot_emulator::default_limits();
  if (kind == "salesforce")
    return salesforce_emulator::default_limits();
  return limits{};
}

/// Parses argv; a message on failure (empty message: --help).
result<cli> parse_cli(int argc, char** argv) {
  cli out;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty())
    return failure{"missing emulator kind"};
  out.kind = args[0];
  if (out.kind == "--help" || out.kind == "-h")
    return failure{""};
  static const std::set<std::string> kinds = {"hubspot", "salesforce", "meta", "webhook"};
  if (kinds.count(out.kind) == 0)
    return failure{"unknown emulator '" + out.kind +
                   "' (expected hubspot, salesforce, meta or webhook)"};
  out.server.initial = initial_limits(out.kind);
  std::map<std::string, std::int64_t*> numbers = {
      {"--latency-ms", &out.server.initial.latency_ms},
      {"--per-10s", &out.server.initial.per_10s},
      {"--daily", &out.server.initial.daily},
      {"--per-second", &out.server.initial.per_second},
      {"--max-batch", &out.server.initial.max_batch},
      {"--bulk-delay-ms", &out.server.initial.bulk_delay_ms},
      {"--hourly", &out.server.initial.hourly}};
  const std::map<std::string, std::set<std::string>> only = {
      {"--token", {"hubspot", "salesforce", "meta"}},
      {"--per-10s", {"hubspot"}},
      {"--daily", {"hubspot", "salesforce"}},
      {"--bulk-delay-ms", {"salesforce"}},
      {"--audience", {"meta"}},
      {"--hourly", {"meta"}},
      {"--secret", {"webhook"}},
      {"--per-second", {"webhook"}},
      {"--max-batch", {"webhook"}}};
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
    if (auto it = only.find(name); it != only.end() && it->second.count(out.kind) == 0) {
      std::string kinds_list;
      for (const auto& kind : it->second)
        kinds_list += (kinds_list.empty() ? "" : ", ") + kind;
      return failure{name + " applies to these emulators only: " + kinds_list};
    }
    if (!value && i + 1 < args.size())
      value = args[++i];
    if (!value)
      return failure{"missing value for " + name};
    if (name == "--token" || name == "--secret") {
      (name == "--token" ? out.token : out.secret) = *value;
      continue;
    }
    if (name == "--audience") {
      out.audiences.push_back(*value);
      continue;
    }
    std::int64_t n = -1;
    auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
    if (ec != std::errc() || end != value->data() + value->size() || n < 0)
      return failure{name + " needs a non-negative integer, got '" + *value + "'"};
    if (name == "--port" && n <= 65535)
      out.server.port = static_cast<int>(n);
    else if (name == "--threads" && n >= 1 && n <= 1024)
      out.server.threads = static_cast<std::size_t>(n);
    else if (auto it = numbers.find(name); it != numbers.end())
      *it->second = n;
    else
      return failure{"unknown option or value out of range: " + name};
  }
  return out;
}

result<std::unique_ptr<emulator>> make_emulator(const cli& options) {
  if (options.kind == "hubspot")
    return std::unique_ptr<emulator>(std::make_unique<hubspot_emulator>(
        options.token.value_or(hubspot_emulator::default_token)));
  if (options.kind == "salesforce")
    return std::unique_ptr<emulator>(std::make_unique<salesforce_emulator>(
        options.token.value_or(salesforce_emulator::default_token)));
  if (options.kind == "meta") {
    static const std::string id_chars =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
    for (const auto& id : options.audiences)
      if (id.empty() || id.size() > 64 || id.find_first_not_of(id_chars) != std::string::npos)
        return failure{"--audience needs an id of digits (or letters, '_'), got '" + id + "'"};
    return std::unique_ptr<emulator>(std::make_unique<meta_emulator>(
        options.token.value_or(meta_emulator::default_token), options.audiences));
  }
  auto key = signing_key(options.secret.value_or(webhook_emulator::default_secret()));
  if (!key)
    return failure{"--secret: " + key.error().message};
  return std::unique_ptr<emulator>(std::make_unique<webhook_emulator>(*key));
}

int run(int argc, char** argv) {
  auto options = parse_cli(argc, argv);
  if (!options) {
    if (options.error().message.empty()) {
      std::fputs(usage, stdout);
      return 0;
    }
    std::fprintf(stderr, "backflow-emulator: %s\n%s", options.error().message.c_str(), usage);
    return 2;
  }
  auto vendor = make_emulator(*options);
  if (!vendor) {
    std::fprintf(stderr, "backflow-emulator: %s\n", vendor.error().message.c_str());
    return 2;
  }
  // Block the stop signals before any thread starts, so only sigtimedwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  emulator_server server(**vendor, options->server);
  const int port = server.bind();
  if (port < 0) {
    std::fprintf(stderr, "backflow-emulator: cannot bind 127.0.0.1:%d\n", options->server.port);
    return 1;
  }
  std::printf("listening on http://127.0.0.1:%d\n", port);
  std::fflush(stdout);

  std::promise<bool> served;
  auto finished = served.get_future();
  std::thread serving([&] { served.set_value(server.serve()); });
  bool signalled = false;
  const timespec poll_interval{0, 200'000'000};
  while (!signalled && finished.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    signalled = sigtimedwait(&stop_signals, nullptr, &poll_interval) > 0;
  server.stop();
  // Idle keep-alive connections can hold a worker for up to 5 s; don't make the caller wait.
  if (finished.wait_for(std::chrono::seconds(2)) != std::future_status::ready) {
    std::fflush(nullptr);
    std::_Exit(0);
  }
  serving.join();
  return signalled || finished.get() ? 0 : 1;
}

}  // namespace
}  // namespace backflow::emulators

int main(int argc, char** argv) { return backflow::emulators::run(argc, argv); }
