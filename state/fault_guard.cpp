// Turns a fault while reading a damaged data.mdb into a clear exit (see fault_guard.hpp).
#include "state/fault_guard.hpp"

#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>

#include <dlfcn.h>
#include <lmdb.h>
#include <ucontext.h>
#include <unistd.h>

#include "state/lmdb.hpp"

namespace backflow::state {
namespace {

constexpr size_t max_maps = 16;
std::array<std::atomic<uintptr_t>, max_maps> map_begin{};
std::array<std::atomic<uintptr_t>, max_maps> map_end{};
std::array<const void*, max_maps> map_owner{};
std::mutex owners_mutex;
/// Where LMDB's machine code is: a fault raised there comes from reading a damaged file.
std::atomic<uintptr_t> lmdb_code_begin{0};
std::atomic<uintptr_t> lmdb_code_end{0};

/// How deep the thread is in LMDB calls (static TLS: readable from a signal handler).
thread_local volatile sig_atomic_t lmdb_depth = 0;

bool inside_a_map(uintptr_t addr) {
  for (size_t i = 0; i < max_maps; ++i) {
    auto begin = map_begin[i].load();
    if (begin != 0 && addr >= begin && addr < map_end[i].load())
      return true;
  }
  return false;
}

uintptr_t faulting_pc(void* context) {
  auto* uc = static_cast<ucontext_t*>(context);
#if defined(__x86_64__)
  return static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<uintptr_t>(uc->uc_mcontext.pc);
#else
  (void)uc;
  return 0;
#endif
}

extern "C" void on_fault(int sig, siginfo_t* info, void* context) {
  auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  auto pc = faulting_pc(context);
  bool in_lmdb = lmdb_depth > 0 ||
                 (pc != 0 && pc >= lmdb_code_begin.load() && pc < lmdb_code_end.load());
  if (inside_a_map(addr) || in_lmdb) {
    static const char message[] =
        "backflow: the state directory is damaged (data.mdb could not be read: it was "
        "truncated or overwritten); nothing more was sent. Restore it from a backup, or "
        "`backflow reset` the sync to resend everything.\n";
    (void)!::write(STDERR_FILENO, message, sizeof message - 1);
    ::_exit(exit_state_damaged);
  }
  ::signal(sig, SIG_DFL);  // not ours: crash as usual
  ::raise(sig);
}

/// Finds the executable mapping of the library that holds `symbol`.
void find_code_of(const void* symbol) {
  Dl_info info{};
  if (dladdr(symbol, &info) == 0 || info.dli_fname == nullptr)
    return;
  std::string library = info.dli_fname;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  auto target = reinterpret_cast<uintptr_t>(symbol);
  while (std::getline(maps, line)) {
    unsigned long begin = 0;
    unsigned long end = 0;
    char perms[5] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %4s", &begin, &end, perms) != 3 || perms[2] != 'x')
      continue;
    if (target >= begin && target < end) {
      lmdb_code_begin = begin;
      lmdb_code_end = end;
      return;
    }
  }
}

}  // namespace

void install_fault_guard() {
  static std::once_flag once;
  std::call_once(once, [] {
    find_code_of(reinterpret_cast<const void*>(&mdb_get));
    struct sigaction sa {};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, nullptr);
    sigaction(SIGSEGV, &sa, nullptr);
  });
}

lmdb_call::lmdb_call() {
  lmdb_depth = lmdb_depth + 1;
}

lmdb_call::~lmdb_call() {
  lmdb_depth = lmdb_depth - 1;
}

void guard_map(const void* owner, uintptr_t begin, size_t size) {
  std::lock_guard<std::mutex> lock(owners_mutex);
  size_t free_slot = max_maps;
  for (size_t i = 0; i < max_maps; ++i) {
    if (map_owner[i] == owner) {
      map_begin[i] = 0;
      map_owner[i] = nullptr;
    }
    if (map_owner[i] == nullptr && free_slot == max_maps)
      free_slot = i;
  }
  if (free_slot == max_maps)
    return;  // more open environments than slots: the newest goes unguarded
  map_owner[free_slot] = owner;
  map_end[free_slot] = begin + size;
  map_begin[free_slot] = begin;
}

void unguard_map(const void* owner) {
  std::lock_guard<std::mutex> lock(owners_mutex);
  for (size_t i = 0; i < max_maps; ++i)
    if (map_owner[i] == owner) {
      map_begin[i] = 0;
      map_owner[i] = nullptr;
    }
}

}  // namespace backflow::state
