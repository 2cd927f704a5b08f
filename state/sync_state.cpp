// One sync's state in the shared LMDB environment (see sync_state.hpp).
#include "state/sync_state.hpp"

#include "state/cursor_mark.hpp"
#include "state/model_profile.hpp"

namespace backflow::state {
namespace {

constexpr std::string_view plan_key = "plan";
constexpr std::string_view next_slot_key = "next_slot";
constexpr std::string_view run_counter_key = "run_counter";
constexpr std::string_view fingerprint_key = "fingerprint";
constexpr std::string_view applied_config_key = "applied_config";

constexpr std::string_view counter_key(counter c) {
  switch (c) {
    case counter::keys:
      return "n_keys";
    case counter::changes:
      return "n_changes";
    case counter::rejects:
      return "n_rejects";
    case counter::orphans:
      return "n_orphans";
  }
  return "n_?";
}

uint64_t read_u64(const transaction& txn, const table& t, std::string_view key) {
  auto v = t.get(txn, key);
  return v ? u64_from_key(*v) : 0;
}

const char* status_name(plan_record::status s) {
  switch (s) {
    case plan_record::status::none:
      return "none";
    case plan_record::status::planning:
      return "planning";
    case plan_record::status::applying:
      return "applying";
  }
  return "none";
}

/// A key as an error message may show it: printable, and not too long.
std::string printable(std::string_view key) {
  std::string out;
  for (char c : key.substr(0, 80))
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  return key.size() > 80 ? out + "..." : out;
}

}  // namespace

nlohmann::json plan_record::to_json() const {
  return {{"status", status_name(state)},
          {"run_id", run_id},
          {"fingerprint", fingerprint},
          {"config_fingerprint", config_fingerprint},
          {"fields", fields},
          {"nonce", nonce},
          {"counts", counts}};
}

plan_record plan_record::from_json(const nlohmann::json& j) {
  plan_record p;
  auto s = j.value("status", "none");
  p.state = s == "planning" ? status::planning : s == "applying" ? status::applying : status::none;
  p.run_id = j.value("run_id", uint64_t{0});
  p.fingerprint = j.value("fingerprint", uint64_t{0});
  p.config_fingerprint = j.value("config_fingerprint", uint64_t{0});
  p.fields = j.value("fields", std::vector<std::string>{});
  p.nonce = j.value("nonce", std::string());
  p.counts = j.value("counts", nlohmann::json::object());
  return p;
}

sync_state::sync_state(std::shared_ptr<state_dir> dir, std::string sync_name)
    : dir_(std::move(dir)), name_(std::move(sync_name)) {
  auto prefix = dir_->sync_prefix(name_);
  const auto& dbs = dir_->databases();
  keys_ = table(dbs.keys, prefix);
  changes_ = table(dbs.changes, prefix);
  meta_ = table(dbs.meta, prefix);
  runs_ = table(dbs.runs, prefix);
  rejects_ = table(dbs.rejects, prefix);
  slots_ = table(dbs.slots, prefix);
  jobs_ = table(dbs.jobs, prefix);
  identities_ = table(dbs.identities, prefix);
  // The outcome log lives in the sync's slice of `meta` under its own prefix, so a state
  // directory keeps its fixed set of databases; no meta key of a sync starts with it.
  outcomes_ = table(dbs.meta, prefix + "~outcome/");
  spans_ = table(dbs.meta, prefix + "~spans/");
}

void sync_state::damaged(const char* what, std::string_view storage_key) const {
  throw state_damaged("sync \"" + name_ + "\": an entry of its " + what + " table (key \"" +
                      printable(storage_key) + "\") fails its checksum or cannot be read");
}

plan_record sync_state::load_plan(transaction& txn) const {
  auto v = meta_.get(txn, plan_key);
  if (!v)
    return {};
  auto j = nlohmann::json::parse(*v, nullptr, false);
  if (!j.is_object())
    damaged("meta", plan_key);
  return plan_record::from_json(j);
}

void sync_state::store_plan(transaction& txn, const plan_record& plan) const {
  meta_.put(txn, plan_key, plan.to_json().dump());
}

plan_record sync_state::load_plan() const {
  plan_record p;
  env().read([&](transaction& txn) { p = load_plan(txn); });
  return p;
}

uint64_t sync_state::next_slot(transaction& txn) const {
  return read_u64(txn, meta_, next_slot_key);
}

uint64_t sync_state::committed_fingerprint(transaction& txn) const {
  return read_u64(txn, meta_, fingerprint_key);
}

void sync_state::set_committed_fingerprint(transaction& txn, uint64_t fp) const {
  meta_.put(txn, fingerprint_key, u64_key(fp));
}

uint64_t sync_state::applied_config() const {
  uint64_t config = 0;
  env().read([&](transaction& txn) { config = read_u64(txn, meta_, applied_config_key); });
  return config;
}

void sync_state::set_applied_config(transaction& txn, uint64_t config) const {
  meta_.put(txn, applied_config_key, u64_key(config));
}

uint64_t sync_state::new_run_id() const {
  uint64_t id = 0;
  env().write([&](transaction& txn) {
    id = read_u64(txn, meta_, run_counter_key) + 1;
    meta_.put(txn, run_counter_key, u64_key(id));
  });
  return id;
}

uint64_t sync_state::last_run_id(const transaction& txn) const {
  return read_u64(txn, meta_, run_counter_key);
}

uint64_t sync_state::allocate_slot(transaction& txn) const {
  uint64_t slot = 0;
  bool reused = false;
  slots_.scan(txn, {}, [&](std::string_view k, std::string_view) {
    slot = u64_from_key(k);
    reused = true;
    return false;
  });
  if (reused) {
    slots_.del(txn, u64_key(slot));
    return slot;
  }
  slot = next_slot(txn);
  meta_.put(txn, next_slot_key, u64_key(slot + 1));
  return slot;
}

size_t sync_state::free_slots() const {
  size_t n = 0;
  env().read([&](transaction& txn) { n = slots_.count(txn); });
  return n;
}

std::vector<pending_change> sync_state::read_changes(
    std::string& after, size_t limit, const std::function<bool(const std::string&)>& skip) const {
  std::vector<pending_change> out;
  env().read([&](transaction& txn) {
    bool first = true;
    changes_.scan(txn, after, [&](std::string_view k, std::string_view v) {
      if (first && !after.empty() && k == after) {
        first = false;
        return true;  // exclusive of where the previous batch ended
      }
      first = false;
      after.assign(k.data(), k.size());  // also past keys left out below
      auto rec = decode_change_record(v);
      if (!rec)
        damaged("changes", k);
      auto key = canonical(k, rec->long_key);
      if (skip && skip(key))
        return true;
      out.push_back({std::move(key), std::move(*rec)});
      return out.size() < limit;
    });
  });
  return out;
}

std::optional<change_record> sync_state::load_change(transaction& txn,
                                                     const std::string& key) const {
  auto sk = storage_key(key);
  auto bytes = changes_.get(txn, sk);
  if (!bytes)
    return std::nullopt;
  auto rec = decode_change_record(*bytes);
  if (!rec)
    damaged("changes", sk);
  return rec;
}

void sync_state::clear_change_set() const {
  env().write([&](transaction& txn) {
    changes_.clear(txn);
    set_count(txn, counter::changes, 0);
    store_plan(txn, plan_record{});
  });
}

void sync_state::finish_change_set() const {
  env().write([&](transaction& txn) {
    // The run's incremental mark advances with the commit of its last change, never before.
    promote_pending_mark(txn, *this, load_plan(txn).run_id);
    store_plan(txn, plan_record{});
  });
}

std::vector<pending_change> sync_state::changes_of(const std::vector<std::string>& keys) const {
  std::vector<pending_change> out;
  env().read([&](transaction& txn) {
    for (const auto& key : keys)
      if (auto change = load_change(txn, key))
        out.push_back({key, std::move(*change)});
  });
  return out;
}

void sync_state::forget_jobs(const std::vector<std::string>& checkpoints) const {
  if (checkpoints.empty())
    return;
  env().write([&](transaction& txn) {
    for (const auto& c : checkpoints)
      remove_job(txn, c);
  });
}

void sync_state::store_job(transaction& txn, const pending_job& job) const {
  nlohmann::json j = {{"batch_id", job.batch_id}, {"keys", job.keys}};
  jobs_.put(txn, job.checkpoint, j.dump());
}

void sync_state::remove_job(transaction& txn, const std::string& checkpoint) const {
  jobs_.del(txn, checkpoint);
}

void sync_state::clear_jobs(transaction& txn) const {
  jobs_.clear(txn);
}

std::vector<sync_state::pending_job> sync_state::pending_jobs() const {
  std::vector<pending_job> out;
  env().read([&](transaction& txn) {
    jobs_.scan(txn, {}, [&](std::string_view k, std::string_view v) {
      auto j = nlohmann::json::parse(v, nullptr, false);
      if (!j.is_object())
        damaged("jobs", k);
      out.push_back({std::string(k), j.value("batch_id", std::string()),
                     j.value("keys", std::vector<std::string>{})});
      return true;
    });
  });
  return out;
}

void sync_state::store_run(uint64_t run_id, const nlohmann::json& summary) const {
  auto stored = redact_.json(summary).dump();
  env().write([&](transaction& txn) { runs_.put(txn, u64_key(run_id), stored); });
}

std::vector<nlohmann::json> sync_state::recent_runs(size_t limit) const {
  std::vector<nlohmann::json> all;
  env().read([&](transaction& txn) {
    runs_.scan(txn, {}, [&](std::string_view, std::string_view v) {
      auto j = nlohmann::json::parse(v, nullptr, false);
      if (!j.is_discarded())
        all.push_back(std::move(j));
      return true;
    });
  });
  std::vector<nlohmann::json> out;
  for (auto it = all.rbegin(); it != all.rend() && out.size() < limit; ++it)
    out.push_back(*it);
  return out;
}

size_t sync_state::prune_runs(size_t keep) const {
  size_t removed = 0;
  env().write([&](transaction& txn) {
    std::vector<std::string> ids;  // big-endian run ids: oldest first
    runs_.scan(txn, {}, [&](std::string_view k, std::string_view) {
      ids.emplace_back(k);
      return true;
    });
    removed = ids.size() > keep ? ids.size() - keep : 0;
    for (size_t i = 0; i < removed; ++i)
      runs_.del(txn, ids[i]);
  });
  return removed;
}

std::vector<sync_state::reject_entry> sync_state::list_rejects(size_t limit,
                                                               uint64_t run_id) const {
  std::vector<reject_entry> out;
  if (limit == 0)
    return out;
  env().read([&](transaction& txn) {
    rejects_.scan(txn, {}, [&](std::string_view k, std::string_view v) {
      auto r = decode_reject_record(v);
      if (!r)
        damaged("rejects", k);
      if (run_id == 0 || r->run_id == run_id)
        out.push_back({canonical(k, r->long_key), *r, keys_.get(txn, k).has_value()});
      return out.size() < limit;
    });
  });
  return out;
}

std::vector<nlohmann::json> sync_state::runs_after(uint64_t run_id, size_t limit) const {
  std::vector<nlohmann::json> out;
  env().read([&](transaction& txn) {
    runs_.scan(txn, u64_key(run_id + 1), [&](std::string_view, std::string_view v) {
      auto j = nlohmann::json::parse(v, nullptr, false);
      if (!j.is_discarded())
        out.push_back(std::move(j));
      return out.size() < limit;
    });
  });
  return out;
}

nlohmann::json sync_state::load_run(uint64_t run_id) const {
  nlohmann::json out;
  env().read([&](transaction& txn) {
    if (auto v = runs_.get(txn, u64_key(run_id))) {
      auto j = nlohmann::json::parse(*v, nullptr, false);
      if (!j.is_discarded())
        out = std::move(j);
    }
  });
  return out;
}

void sync_state::reset() const {
  // Run history and the run counter survive a reset, so run ids never repeat.
  env().write([&](transaction& txn) {
    for (const auto* t : {&keys_, &changes_, &rejects_, &slots_, &jobs_, &identities_, &spans_})
      t->clear(txn);
    for (auto key : {plan_key, next_slot_key, fingerprint_key, std::string_view(model_profile_key),
                     std::string_view(cursor_mark_key), std::string_view(pending_mark_key)})
      meta_.del(txn, key);
    for (auto c : {counter::keys, counter::changes, counter::rejects, counter::orphans})
      set_count(txn, c, 0);
  });
}

void sync_state::add_count(transaction& txn, counter c, int64_t delta) const {
  auto now = static_cast<int64_t>(read_u64(txn, meta_, counter_key(c))) + delta;
  set_count(txn, c, now < 0 ? 0 : static_cast<uint64_t>(now));
}

void sync_state::set_count(transaction& txn, counter c, uint64_t value) const {
  meta_.put(txn, counter_key(c), u64_key(value));
}

sync_state::sizes sync_state::count(transaction& txn) const {
  sizes s;
  s.keys = read_u64(txn, meta_, counter_key(counter::keys));
  s.changes = read_u64(txn, meta_, counter_key(counter::changes));
  s.rejects = read_u64(txn, meta_, counter_key(counter::rejects));
  s.orphans = read_u64(txn, meta_, counter_key(counter::orphans));
  return s;
}

sync_state::sizes sync_state::count() const {
  sizes s;
  env().read([&](transaction& txn) { s = count(txn); });
  return s;
}

}  // namespace backflow::state
