// One sync's state in the shared LMDB environment (see sync_state.hpp).
#include "state/sync_state.hpp"

#include "state/model_profile.hpp"

namespace backflow::state {
namespace {

constexpr std::string_view plan_key = "plan";
constexpr std::string_view next_slot_key = "next_slot";
constexpr std::string_view run_counter_key = "run_counter";
constexpr std::string_view fingerprint_key = "fingerprint";

uint64_t read_u64(const transaction& txn, MDB_dbi db, std::string_view key) {
  auto v = txn.get(db, key);
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

}  // namespace

nlohmann::json plan_record::to_json() const {
  return {{"status", status_name(state)},
          {"run_id", run_id},
          {"fingerprint", fingerprint},
          {"config_fingerprint", config_fingerprint},
          {"columns", columns},
          {"counts", counts}};
}

plan_record plan_record::from_json(const nlohmann::json& j) {
  plan_record p;
  auto s = j.value("status", "none");
  p.state = s == "planning" ? status::planning : s == "applying" ? status::applying : status::none;
  p.run_id = j.value("run_id", uint64_t{0});
  p.fingerprint = j.value("fingerprint", uint64_t{0});
  p.config_fingerprint = j.value("config_fingerprint", uint64_t{0});
  p.columns = j.value("columns", std::vector<std::string>{});
  p.counts = j.value("counts", nlohmann::json::object());
  return p;
}

sync_state::sync_state(std::shared_ptr<environment> env, std::string sync_name)
    : env_(std::move(env)), name_(std::move(sync_name)) {
  keys = env_->db(db_name("keys"));
  changes = env_->db(db_name("changes"));
  meta = env_->db(db_name("meta"));
  runs = env_->db(db_name("runs"));
  rejects = env_->db(db_name("rejects"));
  slots = env_->db(db_name("slots"));
  jobs = env_->db(db_name("jobs"));
}

std::string sync_state::db_name(const char* part) const {
  return "sync/" + name_ + "/" + part;
}

plan_record sync_state::load_plan(transaction& txn) const {
  auto v = txn.get(meta, plan_key);
  if (!v)
    return {};
  auto j = nlohmann::json::parse(*v, nullptr, false);
  return j.is_discarded() ? plan_record{} : plan_record::from_json(j);
}

void sync_state::store_plan(transaction& txn, const plan_record& plan) const {
  txn.put(meta, plan_key, plan.to_json().dump());
}

plan_record sync_state::load_plan() const {
  plan_record p;
  env_->read([&](transaction& txn) { p = load_plan(txn); });
  return p;
}

uint64_t sync_state::next_slot(transaction& txn) const {
  return read_u64(txn, meta, next_slot_key);
}

uint64_t sync_state::committed_fingerprint(transaction& txn) const {
  return read_u64(txn, meta, fingerprint_key);
}

void sync_state::set_committed_fingerprint(transaction& txn, uint64_t fp) const {
  txn.put(meta, fingerprint_key, u64_key(fp));
}

uint64_t sync_state::new_run_id() const {
  uint64_t id = 0;
  env_->write([&](transaction& txn) {
    id = read_u64(txn, meta, run_counter_key) + 1;
    txn.put(meta, run_counter_key, u64_key(id));
  });
  return id;
}

uint64_t sync_state::allocate_slot(transaction& txn) const {
  uint64_t slot = 0;
  bool reused = false;
  txn.scan(slots, {}, [&](std::string_view k, std::string_view) {
    slot = u64_from_key(k);
    reused = true;
    return false;
  });
  if (reused) {
    txn.del(slots, u64_key(slot));
    return slot;
  }
  slot = next_slot(txn);
  txn.put(meta, next_slot_key, u64_key(slot + 1));
  return slot;
}

void sync_state::settle(transaction& txn, const std::vector<settled_record>& records,
                        uint64_t run_id) const {
  for (const auto& r : records) {
    auto existing_bytes = txn.get(keys, r.key);
    std::optional<key_record> existing;
    if (existing_bytes)
      existing = decode_key_record(*existing_bytes);
    switch (r.how) {
      case settlement::delivered:
      case settlement::skipped:
        if (r.change == change_kind::deleted) {
          if (existing) {
            txn.put(slots, u64_key(existing->slot), {});
            txn.del(keys, r.key);
          }
        } else {
          key_record kr;
          kr.hash = r.hash;
          kr.slot = existing ? existing->slot : allocate_slot(txn);
          kr.dest_id = !r.dest_id.empty() ? r.dest_id : existing ? existing->dest_id : std::string();
          txn.put(keys, r.key, encode(kr));
        }
        txn.del(rejects, r.key);
        break;
      case settlement::forgotten:
        if (existing) {
          txn.put(slots, u64_key(existing->slot), {});
          txn.del(keys, r.key);
        }
        txn.del(rejects, r.key);
        break;
      case settlement::rejected: {
        reject_record rr;
        if (auto prior = txn.get(rejects, r.key))
          if (auto decoded = decode_reject_record(*prior))
            rr.attempts = decoded->attempts;
        rr.hash = r.hash;
        rr.deletion = r.change == change_kind::deleted;
        rr.reason = r.reason;
        rr.run_id = run_id;
        rr.attempts += 1;
        txn.put(rejects, r.key, encode(rr));
        break;
      }
    }
    txn.del(changes, r.key);
  }
}

void sync_state::store_job(transaction& txn, const pending_job& job) const {
  nlohmann::json j = {{"batch_id", job.batch_id}, {"keys", job.keys}};
  txn.put(jobs, job.checkpoint, j.dump());
}

void sync_state::remove_job(transaction& txn, const std::string& checkpoint) const {
  txn.del(jobs, checkpoint);
}

std::vector<sync_state::pending_job> sync_state::pending_jobs() const {
  std::vector<pending_job> out;
  env_->read([&](transaction& txn) {
    txn.scan(jobs, {}, [&](std::string_view k, std::string_view v) {
      auto j = nlohmann::json::parse(v, nullptr, false);
      if (j.is_object())
        out.push_back({std::string(k), j.value("batch_id", std::string()),
                       j.value("keys", std::vector<std::string>{})});
      return true;
    });
  });
  return out;
}

void sync_state::store_run(uint64_t run_id, const nlohmann::json& summary) const {
  env_->write([&](transaction& txn) { txn.put(runs, u64_key(run_id), summary.dump()); });
}

std::vector<nlohmann::json> sync_state::recent_runs(size_t limit) const {
  std::vector<nlohmann::json> all;
  env_->read([&](transaction& txn) {
    txn.scan(runs, {}, [&](std::string_view, std::string_view v) {
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
  env_->write([&](transaction& txn) {
    std::vector<std::string> ids;  // big-endian run ids: oldest first
    txn.scan(runs, {}, [&](std::string_view k, std::string_view) {
      ids.emplace_back(k);
      return true;
    });
    removed = ids.size() > keep ? ids.size() - keep : 0;
    for (size_t i = 0; i < removed; ++i)
      txn.del(runs, ids[i]);
  });
  return removed;
}

std::vector<sync_state::reject_entry> sync_state::list_rejects(size_t limit) const {
  std::vector<reject_entry> out;
  if (limit == 0)
    return out;
  env_->read([&](transaction& txn) {
    txn.scan(rejects, {}, [&](std::string_view k, std::string_view v) {
      if (auto r = decode_reject_record(v))
        out.push_back({std::string(k), *r, txn.get(keys, k).has_value()});
      return out.size() < limit;
    });
  });
  return out;
}

nlohmann::json sync_state::load_run(uint64_t run_id) const {
  nlohmann::json out;
  env_->read([&](transaction& txn) {
    if (auto v = txn.get(runs, u64_key(run_id))) {
      auto j = nlohmann::json::parse(*v, nullptr, false);
      if (!j.is_discarded())
        out = std::move(j);
    }
  });
  return out;
}

void sync_state::reset() const {
  // Run history and the run counter survive a reset, so run ids never repeat.
  env_->write([&](transaction& txn) {
    for (auto db : {keys, changes, rejects, slots, jobs})
      txn.clear(db);
    for (auto key : {plan_key, next_slot_key, fingerprint_key, std::string_view(model_profile_key)})
      txn.del(meta, key);
  });
}

sync_state::sizes sync_state::count() const {
  sizes s;
  env_->read([&](transaction& txn) {
    s.keys = txn.count(keys);
    s.changes = txn.count(changes);
    s.rejects = txn.count(rejects);
  });
  return s;
}

}  // namespace backflow::state
