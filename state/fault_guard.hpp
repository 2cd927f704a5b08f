// Turns a fault while reading a damaged data.mdb into a clear "state is damaged" exit instead of a
// crash: LMDB trusts its file, so garbage in it can make LMDB read past the map or follow a
// wild pointer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace backflow::state {

/// Installs the SIGBUS/SIGSEGV handler (once per process). A fault at an address inside a
/// guarded map, or raised by LMDB's own code, writes the damaged-state message and ends the
/// process with exit_state_damaged; any other fault crashes as usual.
void install_fault_guard();

/// Guards the map of the environment `owner` (replacing its earlier range).
void guard_map(const void* owner, uintptr_t begin, size_t size);
/// Stops guarding the map of `owner` (it is being closed).
void unguard_map(const void* owner);

/// Marks the calling thread as inside an LMDB call for its lifetime: a fault there (in LMDB or
/// in the libc routines it calls, copying a page whose sizes are garbage) is a damaged file.
class lmdb_call {
 public:
  lmdb_call();
  ~lmdb_call();
  lmdb_call(const lmdb_call&) = delete;
  lmdb_call& operator=(const lmdb_call&) = delete;
};

}  // namespace backflow::state
