// A state directory: environment, sync registry, quotas and run locks (see state_dir.hpp).
#include "state/state_dir.hpp"

#include "pipelines/core/crypto.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace backflow::state {

namespace {

constexpr std::string_view format_key = "format";
constexpr std::string_view next_sync_id_key = "next_sync_id";

uint64_t read_u64(const transaction& txn, MDB_dbi db, std::string_view key) {
  auto v = txn.get(db, key);
  return v ? u64_from_key(*v) : 0;
}

/// The prefix of `name`, allocated in `txn` when it has none yet.
std::string allocate_prefix(transaction& txn, MDB_dbi ids, MDB_dbi catalog,
                            const std::string& name) {
  if (auto v = txn.get(ids, name))
    return std::string(*v);
  auto id = std::max<uint64_t>(1, read_u64(txn, catalog, next_sync_id_key));
  txn.put(catalog, next_sync_id_key, u64_key(id + 1));
  auto prefix = u64_key(id);
  txn.put(ids, name, prefix);
  return prefix;
}

}  // namespace

state_dir::state_dir(std::shared_ptr<environment> env) : env_(std::move(env)) {
  bool fresh = env_->database_names().empty();
  syncs_db_ = env_->db("syncs");
  quota_db = env_->db("quota");
  sync_ids_db_ = env_->db("sync_ids");
  catalog_db_ = env_->db("catalog");
  dbs_.keys = env_->db("keys");
  dbs_.changes = env_->db("changes");
  dbs_.meta = env_->db("meta");
  dbs_.runs = env_->db("runs");
  dbs_.rejects = env_->db("rejects");
  dbs_.slots = env_->db("slots");
  dbs_.jobs = env_->db("jobs");
  dbs_.identities = env_->db("identities");
  uint64_t format = 0;
  env_->read([&](transaction& txn) { format = read_u64(txn, catalog_db_, format_key); });
  if (format > state_format)
    throw std::runtime_error("the state directory " + env_->dir().string() +
                             " was written by a newer Backflow (layout " + std::to_string(format) +
                             "); this one reads layout " + std::to_string(state_format));
  if (format == state_format)
    return;
  if (!fresh && format < 2)  // layout 2 becomes 3 as it is: no span is remembered yet
    migrate_v1(*env_, dbs_, {syncs_db_, quota_db}, [&](transaction& txn, const std::string& name) {
      return allocate_prefix(txn, sync_ids_db_, catalog_db_, name);
    });
  env_->write([&](transaction& txn) { txn.put(catalog_db_, format_key, u64_key(state_format)); });
}

result<std::shared_ptr<state_dir>> state_dir::open(const std::filesystem::path& dir) {
  try {
    return std::shared_ptr<state_dir>(new state_dir(environment::open(dir)));
  } catch (const state_damaged&) {
    throw;
  } catch (const std::exception& e) {
    return failure{std::string("--state: ") + e.what()};
  }
}

std::string state_dir::sync_prefix(const std::string& name) const {
  auto registered = sync_info(name);
  auto recorded = registered.is_object() ? registered.value("prefix", std::string()) : std::string();
  if (auto existing = existing_prefix(name)) {
    if (!recorded.empty() && recorded != hex_encode(*existing))
      throw state_damaged("sync \"" + name + "\" is registered with key prefix " + recorded +
                          " but its id says " + hex_encode(*existing));
    return *existing;
  }
  // A sync that was registered with a prefix has lost it: its state would silently start over.
  if (!recorded.empty())
    throw state_damaged("sync \"" + name + "\" is registered (key prefix " + recorded +
                        ") but its id is missing");
  std::string prefix;
  env_->write([&](transaction& txn) {
    prefix = allocate_prefix(txn, sync_ids_db_, catalog_db_, name);
  });
  return prefix;
}

std::optional<std::string> state_dir::existing_prefix(const std::string& name) const {
  std::optional<std::string> out;
  env_->read([&](transaction& txn) {
    if (auto v = txn.get(sync_ids_db_, name))
      out = std::string(*v);
  });
  return out;
}

void state_dir::register_sync(const std::string& name, const nlohmann::json& info) const {
  auto entry = info;
  if (auto prefix = existing_prefix(name))
    entry["prefix"] = hex_encode(*prefix);  // cross-checked whenever the sync is opened
  env_->write([&](transaction& txn) { txn.put(syncs_db_, name, entry.dump()); });
}

nlohmann::json state_dir::sync_info(const std::string& name) const {
  nlohmann::json out;
  env_->read([&](transaction& txn) {
    if (auto v = txn.get(syncs_db_, name)) {
      auto j = nlohmann::json::parse(*v, nullptr, false);
      if (j.is_object())
        out = std::move(j);
    }
  });
  return out;
}

void state_dir::forget_sync(const std::string& name) const {
  env_->write([&](transaction& txn) { txn.del(syncs_db_, name); });
}

std::vector<std::pair<std::string, nlohmann::json>> state_dir::syncs() const {
  std::vector<std::pair<std::string, nlohmann::json>> out;
  env_->read([&](transaction& txn) {
    txn.scan(syncs_db_, {}, [&](std::string_view k, std::string_view v) {
      auto j = nlohmann::json::parse(v, nullptr, false);
      out.emplace_back(std::string(k), j.is_discarded() ? nlohmann::json::object() : j);
      return true;
    });
  });
  return out;
}

namespace {

/// The stored usage record of an account (day, used, paused_until_ms), or an empty one.
nlohmann::json quota_record(const transaction& txn, MDB_dbi db, const std::string& account) {
  if (auto v = txn.get(db, account)) {
    auto j = nlohmann::json::parse(*v, nullptr, false);
    if (j.is_object())
      return j;
  }
  return nlohmann::json::object();
}

}  // namespace

quota_usage state_dir::quota(const std::string& account, const std::string& day) const {
  quota_usage q{day, 0, 0};
  env_->read([&](transaction& txn) {
    auto j = quota_record(txn, quota_db, account);
    if (j.value("day", "") == q.day)
      q.used = j.value("used", int64_t{0});
    q.paused_until_ms = j.value("paused_until_ms", int64_t{0});
  });
  return q;
}

void state_dir::add_quota(transaction& txn, const std::string& account, const std::string& day,
                          int64_t calls) const {
  if (calls == 0)
    return;
  auto j = quota_record(txn, quota_db, account);
  int64_t used = j.value("day", "") == day ? j.value("used", int64_t{0}) : 0;
  j["day"] = day;
  j["used"] = used + calls;
  txn.put(quota_db, account, j.dump());
}

void state_dir::pause_account(transaction& txn, const std::string& account, int64_t until_ms) const {
  auto j = quota_record(txn, quota_db, account);
  if (j.value("paused_until_ms", int64_t{0}) >= until_ms)
    return;
  j["paused_until_ms"] = until_ms;
  txn.put(quota_db, account, j.dump());
}

std::vector<account_pause> state_dir::pauses(int64_t now_ms) const {
  std::vector<account_pause> out;
  env_->read([&](transaction& txn) {
    txn.scan(quota_db, {}, [&](std::string_view k, std::string_view v) {
      auto j = nlohmann::json::parse(v, nullptr, false);
      auto until = j.is_object() ? j.value("paused_until_ms", int64_t{0}) : 0;
      if (until > now_ms)
        out.push_back({std::string(k), until});
      return true;
    });
  });
  return out;
}

int64_t state_dir::unpause(const std::string& account) const {
  int64_t was = 0;
  env_->write([&](transaction& txn) {
    auto j = quota_record(txn, quota_db, account);
    was = j.value("paused_until_ms", int64_t{0});
    if (was == 0)
      return;
    j.erase("paused_until_ms");
    txn.put(quota_db, account, j.dump());
  });
  return was;
}

result<std::unique_ptr<sync_lock>> sync_lock::acquire(const std::filesystem::path& state_dir,
                                                      const std::string& sync_name) {
  auto locks = state_dir / "locks";
  std::error_code ec;
  std::filesystem::create_directories(locks, ec);
  auto path = locks / (sync_name + ".lock");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return failure{"cannot open lock file " + path.string() + ": " + std::strerror(errno)};
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "another process";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' '))
      holder.pop_back();
    return failure{"sync \"" + sync_name + "\" is already running (pid " + holder +
                   ") on state directory " + state_dir.string() +
                   "; wait for it to finish, or stop it"};
  }
  auto pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0)
    (void)::pwrite(fd, pid.data(), pid.size(), 0);
  return std::unique_ptr<sync_lock>(new sync_lock(fd));
}

sync_lock::~sync_lock() {
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace backflow::state
