// `backflow verify`: model → eligible synced records → read back → compare (see drift_check.hpp).
//
//   model rows ─► prepare (key, mapped payload, hash) ─► state: synced, same hash, nothing pending?
//                                                             │ eligible
//                 compare field by field ◄─ read_back_client ◄┘ (a sample, or all, in batches)
//                        │ drifted
//                        └─► report; --repair: one LMDB transaction clears their hashes
#include "pipelines/sync/drift_check.hpp"

#include <chrono>
#include <functional>
#include <random>
#include <set>

#include <spdlog/spdlog.h>

#include "actors/plan_actors.hpp"
#include "connectors/destinations/registry.hpp"
#include "connectors/sources/source.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/sync/model_shape.hpp"
#include "pipelines/sync/read_back_client.hpp"
#include "pipelines/sync/sync_identity.hpp"
#include "state/drift_marks.hpp"

namespace backflow {
namespace {

constexpr size_t fetch_rows = 1000;
constexpr size_t drift_shown = 100;

/// A synced record whose last delivered payload is the model's current one.
struct eligible_record {
  read_back_key id;
  std::string payload;  ///< mapped fields (row_codec), in shape.fields order
  hash128 hash;
};

/// Carries one check from the model to the report.
class drift_checker {
 public:
  drift_checker(read_back_client& client, std::shared_ptr<const destination> dest,
                std::vector<std::string> fields, verify_report& report)
      : client_(client), dest_(std::move(dest)), fields_(std::move(fields)), report_(report),
        rules_(dest_->read_back_rules_of()) {}

  /// Reads back and compares one batch; false when the destination failed for good.
  bool check(const std::vector<eligible_record>& batch) {
    std::vector<read_back_key> ids;
    for (const auto& r : batch)
      ids.push_back(r.id);
    auto answer = client_.read(ids, fields_);
    if (answer.fatal) {
      report_.error = answer.error;
      return false;
    }
    std::set<std::string> unchecked(answer.unchecked.begin(), answer.unchecked.end());
    for (const auto& r : batch) {
      if (unchecked.count(r.id.key) != 0) {
        ++report_.unchecked;
        continue;
      }
      ++report_.checked;
      drifted_record d{r.id.key, false, nlohmann::json::object()};
      auto found = answer.found.find(r.id.key);
      if (found == answer.found.end())
        d.missing = true;
      else
        compare(r, found->second, d);
      if (!d.missing && d.fields.empty())
        continue;
      ++(d.missing ? report_.missing : report_.changed);
      drifted_keys.push_back(r.id.key);
      drifted_hashes.push_back(r.hash);
      if (report_.drift.size() < drift_shown)
        report_.drift.push_back(std::move(d));
    }
    return true;
  }

  std::vector<std::string> drifted_keys;
  std::vector<hash128> drifted_hashes;

 private:
  void compare(const eligible_record& r, const read_record& held, drifted_record& d) const {
    auto cells = decode_row(r.payload);
    for (size_t i = 0; i < fields_.size() && i < cells.size(); ++i) {
      auto value = held.find(fields_[i]);
      if (value == held.end())
        continue;  // a field the destination does not read back (a link)
      if (same_value(cells[i], value->second, rules_, fields_[i]))
        continue;
      nlohmann::json found;
      switch (value->second.what) {
        case read_value::kind::absent:
        case read_value::kind::null:
          break;
        case read_value::kind::number:
          found = exact_number(value->second.text);
          break;
        case read_value::kind::boolean:
          found = value->second.text == "true";
          break;
        case read_value::kind::text:
          found = value->second.text;
      }
      d.fields[fields_[i]] = {{"sent", cell_to_json(cells[i], nullptr, number_style::exact)},
                              {"found", std::move(found)}};
    }
  }

  read_back_client& client_;
  std::shared_ptr<const destination> dest_;
  std::vector<std::string> fields_;
  verify_report& report_;
  read_back_rules rules_;
};

bool stopped(const verify_options& opts) {
  return opts.interrupted != nullptr && opts.interrupted->load();
}

/// Streams the model and hands each eligible record to `take`; false (report.error set) when
/// the model cannot be read.
bool read_eligible(const sync_config& cfg, const state::sync_state& st, const verify_options& opts,
                   verify_report& report, std::vector<std::string>& fields,
                   const std::function<bool(eligible_record)>& take) {
  auto cursor = open_source(cfg.source);
  if (!cursor) {
    report.error = cursor.error().message;
    report.status = verify_report::outcome::failed;
    return false;
  }
  auto& source = **cursor;
  config_errors errors;
  check_model_columns(cfg, source.columns(), errors);
  if (!errors.empty()) {
    report.error = "the model does not return the columns the sync file names: " +
                   errors.items().front();
    report.status = verify_report::outcome::config_error;
    return false;
  }
  auto shape = model_shape::of(cfg, source.columns());
  auto mapper = row_mapper::compile(shape.mapping, shape.projected);
  if (!mapper) {
    report.error = mapper.error().message;
    report.status = verify_report::outcome::config_error;
    return false;
  }
  fields = shape.fields;
  diff_settings settings;
  settings.fingerprint = shape.fingerprint;
  settings.key_columns = cfg.key_columns.size();
  settings.projection = shape.projection;
  settings.model_width = source.columns().size();
  settings.column_names = shape.column_names();
  settings.max_value_bytes = cfg.guards.max_value_bytes;
  settings.mapper = std::move(*mapper);
  auto preparer = make_preparer(settings);
  packed_rows rows;
  while (!stopped(opts)) {
    rows.clear();
    auto got = source.fetch(rows, fetch_rows);
    if (!got) {
      report.error = got.error().message;
      report.status = verify_report::outcome::failed;
      return false;
    }
    if (*got == 0)
      return true;
    report.rows_read += *got;
    planned_batch planned;
    preparer->prepare(rows, planned);
    const auto& p = planned.rows;
    std::vector<std::string> keys;
    for (size_t i = 0; i < p.size(); ++i)
      keys.emplace_back(p.keys[i]);
    auto versions = state::synced_versions(st, keys);
    for (size_t i = 0; i < p.size(); ++i) {
      const auto& v = versions[i];
      // What the destination should hold is known only for a row delivered as it is now.
      if (!v.synced || v.pending || v.rejected || p.mapping_failed[i] != 0 ||
          v.hash != p.hashes[i] || v.hash == hash128{}) {
        ++report.pending;
        continue;
      }
      ++report.eligible;
      if (!take({{std::move(keys[i]), v.dest_id}, std::string(p.payloads[i]), p.hashes[i]}))
        return false;
    }
  }
  report.error = "interrupted";
  report.status = verify_report::outcome::failed;
  return false;
}

/// Whether the state was built for the sync file's destination and source (or for none yet).
bool state_belongs_to(const sync_config& cfg, const state::state_dir& dir) {
  auto known = dir.sync_info(cfg.name);
  auto recorded = known.is_object() && known.contains("identity_digest") &&
                          known["identity_digest"].is_string()
                      ? known["identity_digest"].get<std::string>()
                      : std::string();
  return recorded.empty() || recorded == identity_digest(sync_identity(cfg));
}

/// Chooses the records to read back as the model streams by: every one, in read-back batches
/// (--all: memory bounded by one batch), or a uniform sample (reservoir, Algorithm R).
class record_picker {
 public:
  record_picker(const verify_options& opts, size_t batch_size)
      : opts_(opts), batch_size_(batch_size) {}

  /// Offers the `seen`-th eligible record; false when checking a full batch failed.
  bool offer(eligible_record r, uint64_t seen, drift_checker& checker) {
    if (opts_.all) {
      picked_.push_back(std::move(r));
      return picked_.size() < batch_size_ || flush(checker);
    }
    if (picked_.size() < opts_.sample)
      picked_.push_back(std::move(r));
    else if (auto slot = std::uniform_int_distribution<uint64_t>(0, seen - 1)(rng_);
             slot < opts_.sample)
      picked_[slot] = std::move(r);
    return true;
  }

  /// Checks what is picked and not checked yet, batch by batch; false when one failed.
  bool flush(drift_checker& checker) {
    bool ok = true;
    for (size_t from = 0; ok && from < picked_.size(); from += batch_size_) {
      if (stopped(opts_))
        return false;
      auto to = std::min(picked_.size(), from + batch_size_);
      ok = checker.check({picked_.begin() + static_cast<long>(from),
                          picked_.begin() + static_cast<long>(to)});
    }
    picked_.clear();
    return ok;
  }

 private:
  const verify_options& opts_;
  size_t batch_size_;
  std::vector<eligible_record> picked_;
  std::mt19937_64 rng_{std::random_device{}()};
};

verify_report check_sync(caf::actor_system& sys, rate_limiter_actor limiter,
                         std::shared_ptr<state::state_dir> dir, const sync_config& cfg,
                         const verify_options& opts) {
  const auto started = std::chrono::steady_clock::now();
  verify_report report;
  report.sync = cfg.name;
  report.destination = cfg.destination_type;
  auto finish = [&](verify_report::outcome status) {
    if (report.status == verify_report::outcome::clean)
      report.status = status;
    report.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started).count();
    return report;
  };
  std::shared_ptr<const destination> dest =
      find_destination_type(cfg.destination_type)->make(cfg.connector_context(0));
  const size_t batch_size = dest->read_back_size();
  if (batch_size == 0) {
    report.error = cfg.destination_type + " cannot read records back, so its drift cannot be "
                                          "checked; nothing was read or changed";
    return finish(verify_report::outcome::cannot_read_back);
  }
  auto lock = state::sync_lock::acquire(dir->path(), cfg.name);
  if (!lock) {
    report.error = lock.error().message;
    return finish(verify_report::outcome::failed);
  }
  // What was delivered elsewhere says nothing about this destination: never mark it all.
  if (!state_belongs_to(cfg, *dir)) {
    report.error = "the state of " + cfg.name + " was built for another destination or source "
                   "than the sync file names; `backflow run --adopt` takes it over if it is the "
                   "same one under a new address or credential";
    return finish(verify_report::outcome::config_error);
  }
  state::sync_state st(dir, cfg.name);
  read_back_client client(sys, limiter, dir, cfg, dest);
  std::vector<std::string> fields;
  std::unique_ptr<drift_checker> checker;
  record_picker picker(opts, batch_size);
  bool ok = true;
  bool read = read_eligible(cfg, st, opts, report, fields, [&](eligible_record r) {
    if (!checker)
      checker = std::make_unique<drift_checker>(client, dest, fields, report);
    return ok = picker.offer(std::move(r), report.eligible, *checker);
  });
  if (read && checker)
    ok = picker.flush(*checker);
  if (!ok && report.error.empty())
    report.error = "interrupted";
  report.api_calls = client.api_calls();
  client.save_quota();
  if (!read || !ok)
    return finish(verify_report::outcome::failed);  // unless read_eligible said more
  if (opts.repair && checker && !checker->drifted_keys.empty())
    report.repaired = state::mark_for_resend(st, checker->drifted_keys, checker->drifted_hashes);
  spdlog::info("Verified: sync={} checked={} changed={} missing={} repaired={} api_calls={}",
               cfg.name, report.checked, report.changed, report.missing, report.repaired,
               report.api_calls);
  return finish(report.changed + report.missing > 0 ? verify_report::outcome::drifted
                                                    : verify_report::outcome::clean);
}

}  // namespace

verify_report verify_sync(caf::actor_system& sys, rate_limiter_actor limiter,
                          std::shared_ptr<state::state_dir> dir, const sync_config& cfg,
                          const verify_options& opts) {
  try {
    return check_sync(sys, std::move(limiter), std::move(dir), cfg, opts);
  } catch (const state::state_damaged& e) {
    verify_report report;
    report.sync = cfg.name;
    report.destination = cfg.destination_type;
    report.status = verify_report::outcome::damaged;
    report.error = e.what();
    return report;
  }
}

}  // namespace backflow
