// Reviewable plans: written from the change set, checked, and taken back in (see reviewed_plan.hpp).
#include "pipelines/sync/reviewed_plan.hpp"

#include <filesystem>

#include "pipelines/core/crypto.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/sync/plan_samples.hpp"
#include "state/table.hpp"

namespace backflow {
namespace {

/// Records read from the change set, or taken into it, per LMDB transaction.
constexpr size_t records_per_batch = 4096;

nlohmann::json counts_json(const plan_counts& c) {
  return {{"extracted", c.extracted}, {"added", c.added},         {"changed", c.changed},
          {"deleted", c.deleted},     {"unchanged", c.unchanged}, {"stored_before", c.stored_before}};
}

plan_counts counts_of(const nlohmann::json& j) {
  plan_counts c;
  c.extracted = j.value("extracted", uint64_t{0});
  c.added = j.value("added", uint64_t{0});
  c.changed = j.value("changed", uint64_t{0});
  c.deleted = j.value("deleted", uint64_t{0});
  c.unchanged = j.value("unchanged", uint64_t{0});
  c.stored_before = j.value("stored_before", uint64_t{0});
  return c;
}

/// Each top-level part of the sync file (secrets blanked) → its SHA-256: which part moved.
nlohmann::json sync_file_digests(const sync_config& cfg) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [part, value] : cfg.redacted.items())
    out[part] = sha256_hex(value.dump());
  return out;
}

std::string absolute_path(const std::filesystem::path& p) {
  std::error_code ec;
  auto a = std::filesystem::absolute(p, ec);
  return ec ? p.string() : a.lexically_normal().string();
}

/// One record line: the change as apply sends it, and its encoded form.
nlohmann::json record_line(const sync_config& cfg, const model_shape& shape,
                           const state::pending_change& c) {
  auto shown = describe_change(cfg, shape.fields, c.key, c.change, false);
  nlohmann::json line = {{"key", c.key}, {"kind", shown.kind}, {"op", shown.op},
                         {"record", base64_encode(state::encode(c.change))}};
  if (!shown.fields.is_null())
    line["fields"] = shown.fields;
  if (!c.change.dest_id.empty())
    line["destination_id"] = c.change.dest_id;
  return line;
}

nlohmann::json header_of(const sync_config& cfg, const model_shape& shape,
                         const plan_context& context) {
  return {{"format", plan_file_format},
          {"version", plan_file_version},
          {"sync", cfg.name},
          {"sync_file", absolute_path(cfg.file)},
          {"state_dir", absolute_path(context.state_dir)},
          {"created_at", iso_now()},
          {"run_id", context.run_id},
          {"mode", to_string(cfg.mode)},
          {"destination", cfg.destination_type},
          {"config_fingerprint", state::fingerprint_hex(cfg.config_fingerprint())},
          {"sync_file_digests", sync_file_digests(cfg)},
          {"shape", {{"fingerprint", state::fingerprint_hex(shape.fingerprint)},
                     {"fields", shape.fields},
                     {"columns", shape.column_names()}}},
          {"state", context.position.to_json()},
          {"counts", counts_json(context.counts)},
          {"profile", state::profile_to_json(context.profile)},
          {"pending_mark", context.mark ? nlohmann::json(context.mark->to_json_text())
                                        : nlohmann::json()}};
}

}  // namespace

status write_plan_file(plan_file_writer& out, const sync_config& cfg,
                       const state::sync_state& st, const model_shape& shape,
                       const plan_context& context) {
  redactor redact(cfg.secrets);
  auto write = [&](const nlohmann::json& line, const std::string& what) -> status {
    if (!redact.empty() && redact.json(line) != line)
      return failure{what + " holds a secret of the sync file: a plan file never holds one; "
                            "no plan file was written"};
    return out.line(line);
  };
  if (auto s = write(header_of(cfg, shape, context), "the plan's header"); !s)
    return s;
  std::string after;
  for (;;) {
    auto batch = st.read_changes(after, records_per_batch, nullptr);
    if (batch.empty())
      break;
    for (const auto& c : batch)
      if (auto s = write(record_line(cfg, shape, c), "record \"" + redact.text(c.key) + "\""); !s)
        return s;
  }
  return out.finish();
}

std::variant<reviewed_plan, plan_refusal> check_plan_file(const plan_file_reader& file,
                                                          const sync_config& cfg) {
  auto refuse = [](std::string why, run_status s = run_status::aborted) {
    return plan_refusal{s, std::move(why)};
  };
  auto digest = file.verify();
  if (!digest)
    return refuse(digest.error().message);
  const auto& h = file.header();
  reviewed_plan plan;
  plan.file = &file;
  plan.digest = *digest;
  plan.run_id = h.value("run_id", uint64_t{0});
  auto position = state::state_position::from_json(h.value("state", nlohmann::json()));
  auto profile = state::profile_from_json(h.value("profile", nlohmann::json()));
  auto config = state::fingerprint_from_hex(h.value("config_fingerprint", nlohmann::json()));
  const auto shape = h.value("shape", nlohmann::json::object());
  auto shape_fp = state::fingerprint_from_hex(shape.value("fingerprint", nlohmann::json()));
  if (plan.run_id == 0 || !position || !profile || !config || !shape_fp ||
      !shape.value("fields", nlohmann::json()).is_array())
    return refuse("the plan file's header is incomplete: not a plan this backflow reads",
                  run_status::config_error);
  if (h.value("sync", "") != cfg.name)
    return refuse("the plan is for sync \"" + h.value("sync", "") + "\", the sync file is \"" +
                  cfg.name + "\"", run_status::config_error);
  if (*config != cfg.config_fingerprint())
    return refuse("the sync file's mode, key, mapping or destination changed since the plan");
  std::vector<std::string> moved;
  auto then = h.value("sync_file_digests", nlohmann::json::object());
  auto now = sync_file_digests(cfg);
  for (const auto& [part, d] : now.items())
    if (then.value(part, "") != d)
      moved.push_back(part);
  for (const auto& [part, d] : then.items())
    if (!now.contains(part))
      moved.push_back(part);
  if (!moved.empty()) {
    std::string parts;
    for (const auto& p : moved)
      parts += (parts.empty() ? "" : ", ") + p;
    return refuse("the sync file changed since the plan (" + parts + ")");
  }
  plan.shape = model_shape::of_stored(cfg, shape["fields"].get<std::vector<std::string>>());
  if (plan.shape.fingerprint != *shape_fp)
    return refuse("the model's shape (payload fingerprint) changed since the plan");
  plan.counts = counts_of(h.value("counts", nlohmann::json::object()));
  plan.position = *position;
  plan.profile = *profile;
  if (auto mark = h.value("pending_mark", nlohmann::json()); mark.is_string()) {
    plan.mark = state::cursor_mark::from_json_text(mark.get<std::string>());
    if (!plan.mark)
      return refuse("the plan file's incremental mark is unreadable", run_status::config_error);
  }
  return plan;
}

admission admit_plan(const reviewed_plan& plan, const state::sync_state& st) {
  using action = admission::action;
  auto pending = st.load_plan();
  auto marker = state::load_import_marker(st);
  auto now = state::read_position(st);
  bool applying = pending.state == state::plan_record::status::applying;
  if (marker && marker->digest == plan.digest) {
    if (marker->imported && applying && pending.run_id == marker->run_id)
      return {action::resume, {}};
    auto same = now;
    same.last_run_id = plan.position.last_run_id;
    bool counter_ours = now.last_run_id + 1 == plan.run_id || now.last_run_id == plan.run_id;
    if (!marker->imported && !applying && counter_ours && plan.position.moved(same).empty())
      return {action::import, {}};  // taken in half-way before a crash: start the import over
    return {action::refuse,
            marker->imported
                ? "this plan was applied already, as run " + std::to_string(marker->run_id) +
                      " (finished, or finished by a later run); plan again"
                : "a run started since this plan's apply was cut short; plan again"};
  }
  if (applying)
    return {action::refuse, "run " + std::to_string(pending.run_id) +
                                " was interrupted with changes left: `backflow run` finishes "
                                "it; then plan again"};
  auto moved = plan.position.moved(now);
  if (moved.empty())
    return {action::import, {}};
  std::string why;
  for (const auto& m : moved)
    why += (why.empty() ? "" : "; ") + m;
  return {action::refuse, "the state moved on since the plan: " + why + "; plan again"};
}

namespace {

/// The change a record line carries, checked against what the line shows.
result<state::imported_change> parse_plan_record(const sync_config& cfg, const model_shape& shape,
                                           uint64_t number, const nlohmann::json& line,
                                           plan_counts& seen) {
  auto where = "line " + std::to_string(number) + " of the plan file";
  auto key = line.value("key", nlohmann::json());
  auto encoded = line.value("record", nlohmann::json());
  if (!key.is_string() || key.get_ref<const std::string&>().empty() || !encoded.is_string())
    return failure{where + " is not a record (key, record)"};
  auto bytes = base64_decode(encoded.get<std::string>());
  auto change = bytes ? state::decode_change_record(*bytes) : std::nullopt;
  const auto& k = key.get_ref<const std::string&>();
  if (!change || change->long_key != (state::is_long_key(k) ? k : std::string()))
    return failure{where + " (key \"" + k + "\"): its record is unreadable"};
  auto shown = describe_change(cfg, shape.fields, k, *change, false);
  if (line.value("kind", "") != shown.kind || line.value("op", "") != shown.op ||
      line.value("fields", nlohmann::json()) != shown.fields)
    return failure{where + " (key \"" + k + "\"): what it shows is not what it would send"};
  auto& count = change->kind == state::change_kind::added     ? seen.added
                : change->kind == state::change_kind::changed ? seen.changed
                                                              : seen.deleted;
  ++count;
  return state::imported_change{k, std::move(*bytes)};
}

}  // namespace

status import_plan(const reviewed_plan& plan, const sync_config& cfg,
                   const state::sync_state& st) {
  state::begin_import(st, plan.digest, plan.run_id);
  std::vector<state::imported_change> batch;
  plan_counts seen;
  auto s = plan.file->each_record([&](uint64_t number, const nlohmann::json& line) -> status {
    auto change = parse_plan_record(cfg, plan.shape, number, line, seen);
    if (!change)
      return change.error();
    batch.push_back(std::move(*change));
    if (batch.size() >= records_per_batch) {
      state::import_changes(st, batch);
      batch.clear();
    }
    return {};
  });
  if (!s) {
    st.clear_change_set();
    return s;
  }
  state::import_changes(st, batch);
  if (seen.added != plan.counts.added || seen.changed != plan.counts.changed ||
      seen.deleted != plan.counts.deleted) {
    st.clear_change_set();
    return failure{"the plan file's records do not add up to its counts"};
  }
  if (plan.mark) {
    auto mark = *plan.mark;
    mark.run_id = plan.run_id;
    state::store_pending_mark(st, mark);
  }
  state::plan_record record;
  record.state = state::plan_record::status::applying;
  record.run_id = plan.run_id;
  record.fingerprint = plan.shape.fingerprint;
  record.config_fingerprint = cfg.config_fingerprint();
  record.fields = plan.shape.fields;
  record.counts = counts_json(plan.counts);
  auto profile = plan.profile;
  profile.run_id = plan.run_id;
  state::finish_import(st, record, profile, plan.digest);
  return {};
}

}  // namespace backflow
