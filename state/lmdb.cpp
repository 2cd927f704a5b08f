// Thin RAII wrappers over LMDB (see lmdb.hpp).
#include "state/lmdb.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "state/fault_guard.hpp"

namespace backflow::state {
namespace {

constexpr size_t initial_map_size = size_t{1} << 30;  // 1 GiB of address space; the file stays small
/// A state directory has a fixed set of databases, whatever the number of syncs (they share them
/// through key prefixes); the room beyond that set is for reading an older layout.
constexpr unsigned max_named_dbs = 64;
/// Below this much free space, a failed write is reported as a full disk.
constexpr unsigned long long low_space_bytes = 4ull << 20;

constexpr uint32_t seal_seed = 0x42464c57;  // "BFLW"

/// Entries up to this size are sealed in one XXH32 call over a copy on the stack (the same
/// digest as the streaming one over the same bytes, at a fraction of its cost for small entries).
constexpr size_t seal_stack_bytes = 512;

uint32_t seal_of(std::string_view key, std::string_view value) {
  auto key_size = static_cast<uint32_t>(key.size());
  if (sizeof key_size + key.size() + value.size() <= seal_stack_bytes) {
    char buf[seal_stack_bytes];
    std::memcpy(buf, &key_size, sizeof key_size);
    if (!key.empty())  // an empty view may have no data pointer, which memcpy may not take
      std::memcpy(buf + sizeof key_size, key.data(), key.size());
    if (!value.empty())
      std::memcpy(buf + sizeof key_size + key.size(), value.data(), value.size());
    return XXH32(buf, sizeof key_size + key.size() + value.size(), seal_seed);
  }
  XXH32_state_t state;
  XXH32_reset(&state, seal_seed);
  XXH32_update(&state, &key_size, sizeof key_size);
  XXH32_update(&state, key.data(), key.size());
  XXH32_update(&state, value.data(), value.size());
  return XXH32_digest(&state);
}

/// LMDB's own consistency checks failed on what it read: a damaged file, not a bug to crash on.
extern "C" void on_lmdb_assert(MDB_env*, const char* msg) {
  static const char prefix[] = "backflow: the state directory is damaged (LMDB found its file "
                               "inconsistent: ";
  static const char suffix[] = "); nothing more was sent. Restore it from a backup, or "
                               "`backflow reset` the sync to resend everything.\n";
  (void)!::write(STDERR_FILENO, prefix, sizeof prefix - 1);
  (void)!::write(STDERR_FILENO, msg, std::strlen(msg));
  (void)!::write(STDERR_FILENO, suffix, sizeof suffix - 1);
  ::_exit(exit_state_damaged);
}

/// Thrown inside write() to restart the transaction after growing the map.
struct map_full {};

}  // namespace

void check(int rc, const std::string& what) {
  if (rc == MDB_SUCCESS)
    return;
  // MDB_BAD_TXN: an operation of the transaction failed inside LMDB on pages it could not use.
  if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID ||
      rc == MDB_VERSION_MISMATCH || rc == MDB_BAD_TXN || rc == MDB_CURSOR_FULL ||
      rc == MDB_PAGE_FULL)
    throw state_damaged("state (LMDB) " + what + ": " + mdb_strerror(rc));
  throw lmdb_error(what, rc);
}

lmdb_error::lmdb_error(const std::string& what, int code)
    : std::runtime_error("state (LMDB) " + what + ": " + mdb_strerror(code)), code_(code) {}

std::string sealed(std::string_view key, std::string_view value) {
  std::string out;
  out.reserve(value.size() + 4);
  out.append(value);
  auto seal = seal_of(key, value);
  out.append(reinterpret_cast<const char*>(&seal), 4);  // little endian where we build
  return out;
}

std::string_view unsealed(std::string_view key, std::string_view stored, const std::string& where) {
  if (stored.size() < 4)
    throw state_damaged("an entry of " + where + " is too short to be one the state wrote");
  auto value = stored.substr(0, stored.size() - 4);
  uint32_t seal;
  std::memcpy(&seal, stored.data() + value.size(), 4);
  if (seal != seal_of(key, value)) {
    std::string shown;
    for (char c : key.substr(0, 60))
      shown.push_back(static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e ? '?' : c);
    throw state_damaged("the entry of " + where + " under key \"" + shown +
                        "\" fails its checksum");
  }
  return value;
}

state_damaged::state_damaged(const std::string& what)
    : std::runtime_error("the state directory is damaged: " + what +
                         "; nothing was sent from it. Restore it from a backup, or `backflow "
                         "reset` the sync to resend everything") {}

environment::environment(std::filesystem::path dir) : dir_(std::move(dir)) {}

std::shared_ptr<environment> environment::open(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw lmdb_error("cannot create state directory " + dir.string() + " (" + ec.message() + ")",
                     MDB_INVALID);
  ::chmod(dir.c_str(), 0700);
  std::shared_ptr<environment> env(new environment(dir));
  check(mdb_env_create(&env->env_), "create environment");
  check(mdb_env_set_maxdbs(env->env_, max_named_dbs), "set max dbs");
  mdb_env_set_assert(env->env_, on_lmdb_assert);
  check(mdb_env_set_maxreaders(env->env_, 256), "set max readers");
  // Keep the map at least twice the data already stored, so a large state opens roomy.
  size_t map = initial_map_size;
  auto data_file = dir / "data.mdb";
  if (std::filesystem::exists(data_file, ec))
    while (map < 2 * std::filesystem::file_size(data_file, ec))
      map *= 2;
  check(mdb_env_set_mapsize(env->env_, map), "set map size");
  // NOTLS: read transactions are not tied to threads (actors migrate between workers).
  // NORDAHEAD: random key lookups gain nothing from read-ahead and it inflates RSS.
  check(mdb_env_open(env->env_, dir.c_str(), MDB_NOTLS | MDB_NORDAHEAD, 0600),
        "open environment in " + dir.string());
  env->check_whole_file();
  install_fault_guard();
  env->register_mapping();
  auto* raw = env.get();
  env->statm_fd_ = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  env->resident_guard_ = std::thread([raw] {
    std::unique_lock<std::mutex> lock(raw->guard_mutex_);
    while (!raw->guard_wakeup_.wait_for(lock, resident_check_interval,
                                        [raw] { return raw->guard_stop_; }))
      raw->keep_resident_below(resident_budget);
  });
  return env;
}

environment::~environment() {
  unguard_map(this);
  if (resident_guard_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(guard_mutex_);
      guard_stop_ = true;
    }
    guard_wakeup_.notify_all();
    resident_guard_.join();
  }
  if (statm_fd_ >= 0)
    ::close(statm_fd_);
  if (env_ != nullptr)
    mdb_env_close(env_);
}

void environment::check_whole_file() const {
  // Pages up to the last one in use must be in the file: reading past its end faults (SIGBUS).
  MDB_envinfo info;
  MDB_stat stat;
  check(mdb_env_info(env_, &info), "read environment info");
  check(mdb_env_stat(env_, &stat), "read environment statistics");
  std::error_code ec;
  auto file = dir_ / "data.mdb";
  auto size = std::filesystem::file_size(file, ec);
  auto needed = (static_cast<uintmax_t>(info.me_last_pgno) + 1) * stat.ms_psize;
  if (!ec && size < needed)
    throw state_damaged(file.string() + " is truncated: it holds " + std::to_string(size) +
                        " bytes, its pages need " + std::to_string(needed));
}

void environment::register_mapping() const {
  // LMDB reports the map's address only when it is fixed (MDB_FIXEDMAP): find it in the
  // process's mappings instead.
  auto [begin, size] = find_mapping();
  if (size == 0)
    return;
  guard_map(this, begin, size);
  auto* self = const_cast<environment*>(this);
  self->map_begin_ = begin;
  self->map_end_ = begin + size;
}

std::string_view environment::checked(const MDB_val& v, bool read_only) const {
  /// No value we write comes near this; a larger one is a size read from garbage.
  constexpr size_t max_value = size_t{1} << 30;
  auto data = reinterpret_cast<uintptr_t>(v.mv_data);
  auto begin = map_begin_.load();
  auto end = map_end_.load();
  bool in_map = begin != 0 && data >= begin && data < end;
  bool plausible = v.mv_size <= max_value && (data != 0 || v.mv_size == 0) &&
                   (in_map ? v.mv_size <= end - data
                           : !read_only || begin == 0);  // write: may be a page being changed
  if (!plausible)
    throw state_damaged("LMDB returned a value of " + std::to_string(v.mv_size) +
                        " bytes outside its file");
  return view(v);
}

void environment::rethrow_write_failure(const lmdb_error& e) const {
  // A page number read from garbage points past any sane file size (EFBIG) or before its start
  // (EINVAL); a size read from garbage asks LMDB for more memory than there is (ENOMEM). The
  // state never asks LMDB for any of these on a sound file.
  if (e.code() == EFBIG || e.code() == ENOMEM || e.code() == EINVAL)
    throw state_damaged(std::string("writing ") + dir_.string() + "/data.mdb failed: " + e.what());
  struct statvfs fs {};
  if ((e.code() == EIO || e.code() == ENOSPC || e.code() == EDQUOT) &&
      ::statvfs(dir_.c_str(), &fs) == 0 &&
      static_cast<unsigned long long>(fs.f_bavail) * fs.f_frsize < low_space_bytes)
    throw lmdb_error("write to " + dir_.string() + " failed: no space left on the device (" +
                         std::to_string(static_cast<unsigned long long>(fs.f_bavail) *
                                        fs.f_frsize / 1024) +
                         " KiB free); free some space, the next run resumes",
                     ENOSPC);
  throw e;
}

std::vector<std::string> environment::database_names() {
  std::vector<std::string> names;
  read([&](transaction& txn) {
    MDB_dbi main = 0;
    check(mdb_dbi_open(txn.raw(), nullptr, 0, &main), "open the main database");
    txn.scan_unsealed(main, {}, [&](std::string_view k, std::string_view) {  // LMDB's own
      names.emplace_back(k);
      return true;
    });
  });
  return names;
}

std::string environment::name_of(MDB_dbi dbi) {
  std::lock_guard<std::mutex> guard(dbi_mutex_);
  for (const auto& [name, handle] : dbis_)
    if (handle == dbi)
      return name;
  return "?";
}

size_t environment::map_size() const {
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  return info.me_mapsize;
}

void environment::release_resident_pages() const {
  // Safe while other threads read: the map is read-only and file-backed (no MDB_WRITEMAP), so
  // MADV_DONTNEED only unmaps pages that the next access faults back in from the page cache.
  std::lock_guard<std::mutex> guard(mapping_mutex_);
  if (mapping_.second == 0)
    mapping_ = find_mapping();
  if (mapping_.second > 0)
    ::madvise(reinterpret_cast<void*>(mapping_.first), mapping_.second, MADV_DONTNEED);
}

void environment::keep_resident_below(size_t budget_bytes) const {
  // /proc/self/statm: "size resident shared ..." in pages; one small read.
  static const long page = ::sysconf(_SC_PAGESIZE);
  char buf[128];
  ssize_t n = statm_fd_ < 0 ? -1 : ::pread(statm_fd_, buf, sizeof buf - 1, 0);
  if (n <= 0)
    return;
  buf[n] = '\0';
  unsigned long size = 0;
  unsigned long resident = 0;
  if (std::sscanf(buf, "%lu %lu", &size, &resident) == 2 &&
      resident * static_cast<unsigned long>(page) > budget_bytes)
    release_resident_pages();
}

std::pair<uintptr_t, size_t> environment::find_mapping() const {
  // LMDB does not expose where it mapped the file: look it up in /proc/self/maps.
  std::ifstream maps("/proc/self/maps");
  auto data_file = std::filesystem::weakly_canonical(dir_ / "data.mdb").string();
  std::string line;
  while (std::getline(maps, line)) {
    if (line.size() < data_file.size() ||
        line.compare(line.size() - data_file.size(), data_file.size(), data_file) != 0)
      continue;
    unsigned long begin = 0;
    unsigned long end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx", &begin, &end) == 2 && end > begin)
      return {begin, end - begin};
  }
  return {0, 0};
}

void environment::forget_mapping() {
  std::lock_guard<std::mutex> guard(mapping_mutex_);
  mapping_ = {0, 0};
}

MDB_dbi environment::db(const std::string& name) {
  {
    std::lock_guard<std::mutex> guard(dbi_mutex_);
    auto it = dbis_.find(name);
    if (it != dbis_.end())
      return it->second;
  }
  MDB_dbi dbi = 0;
  write([&](transaction& txn) {
    check(mdb_dbi_open(txn.raw(), name.c_str(), MDB_CREATE, &dbi), "open database " + name);
  });
  std::lock_guard<std::mutex> guard(dbi_mutex_);
  dbis_.emplace(name, dbi);
  return dbi;
}

void environment::grow() {
  std::unique_lock<std::shared_mutex> exclusive(resize_mutex_);
  size_t next = map_size() * 2;
  check(mdb_env_set_mapsize(env_, next), "grow map to " + std::to_string(next >> 20) + " MiB");
  forget_mapping();
  register_mapping();
}

void environment::write(const std::function<void(transaction&)>& fn) {
  for (;;) {
    try {
      std::shared_lock<std::shared_mutex> shared(resize_mutex_);
      MDB_txn* raw = nullptr;
      int rc = mdb_txn_begin(env_, nullptr, 0, &raw);
      if (rc == MDB_MAP_RESIZED) {
        // Another process grew the map: adopt its size.
        check(mdb_env_set_mapsize(env_, 0), "adopt map size");
        forget_mapping();
        register_mapping();
        rc = mdb_txn_begin(env_, nullptr, 0, &raw);
      }
      check(rc, "begin write transaction");
      transaction txn(raw, *this, false);
      try {
        fn(txn);
      } catch (const lmdb_error& e) {
        mdb_txn_abort(raw);
        if (e.code() == MDB_MAP_FULL)
          throw map_full{};
        throw;
      } catch (...) {
        mdb_txn_abort(raw);
        throw;
      }
      {
        lmdb_call inside;  // writes the pages it copied: their sizes come from the file
        rc = mdb_txn_commit(raw);
      }
      if (rc == MDB_MAP_FULL)
        throw map_full{};
      check(rc, "commit");
      return;
    } catch (const map_full&) {
      grow();
    } catch (const lmdb_error& e) {
      rethrow_write_failure(e);
    }
  }
}

void environment::read(const std::function<void(transaction&)>& fn) {
  std::shared_lock<std::shared_mutex> shared(resize_mutex_);
  MDB_txn* raw = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &raw);
  if (rc == MDB_MAP_RESIZED) {
    check(mdb_env_set_mapsize(env_, 0), "adopt map size");
    forget_mapping();
    register_mapping();
    rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &raw);
  }
  check(rc, "begin read transaction");
  transaction txn(raw, *this, true);
  try {
    fn(txn);
  } catch (...) {
    mdb_txn_abort(raw);
    throw;
  }
  mdb_txn_abort(raw);
}

void environment::drop(const std::string& name, bool remove) {
  auto dbi = db(name);
  write([&](transaction& txn) { check(mdb_drop(txn.raw(), dbi, remove ? 1 : 0), "drop " + name); });
  if (remove) {
    std::lock_guard<std::mutex> guard(dbi_mutex_);
    dbis_.erase(name);
  }
}

}  // namespace backflow::state
