// backflow-emulator: runs a registered destination emulator on 127.0.0.1 until SIGTERM or SIGINT.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>

#include <pthread.h>

#include "emulators/emulator_cli.hpp"
#include "emulators/emulator_server.hpp"

namespace backflow::emulators {
namespace {

int run(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--list") {
    std::fputs(emulator_list_json().c_str(), stdout);
    return 0;
  }
  auto options = parse_emulator_cli(argc, argv);
  if (!options) {
    const auto usage = emulator_usage();
    if (options.error().message.empty()) {
      std::fputs(usage.c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "backflow-emulator: %s\n%s", options.error().message.c_str(),
                 usage.c_str());
    return 2;
  }
  // Block the stop signals before any thread starts, so only sigtimedwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  emulator_server server(*options->vendor, options->server);
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
