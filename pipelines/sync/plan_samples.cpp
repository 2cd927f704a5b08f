// The sampled changes `backflow plan` shows (see plan_samples.hpp).
#include "pipelines/sync/plan_samples.hpp"

#include "actors/change_routing.hpp"
#include "pipelines/delivery/payload.hpp"

namespace backflow {
namespace {

/// The longest text a plan sample shows of one value (the whole value goes when run).
constexpr size_t sample_value_bytes = 80;

/// `fields` with long text values cut (at a character boundary) and their length said.
nlohmann::json capped(nlohmann::json fields) {
  for (auto& [name, value] : fields.items()) {
    if (!value.is_string() || value.get_ref<const std::string&>().size() <= sample_value_bytes)
      continue;
    const auto& text = value.get_ref<const std::string&>();
    size_t cut = sample_value_bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
      --cut;  // not inside a UTF-8 sequence
    value = text.substr(0, cut) + "… (" + std::to_string(text.size()) + " bytes)";
  }
  return fields;
}

}  // namespace

planned_change describe_change(const sync_config& cfg, const std::vector<std::string>& fields,
                               const std::string& key, const state::change_record& change,
                               bool cap) {
  planned_change p;
  p.kind = state::to_string(change.kind);
  p.key = key;
  auto route = route_change(cfg.mode, change.kind);
  if (!route.send) {
    p.op = route.settle == state::settlement::skipped ? "skip (mode does not send changes)"
                                                      : "forget (mode does not send deletes)";
  } else if (*route.send == delivery_op::remove) {
    p.op = "remove";
    p.fields = {{"destination_id", change.dest_id}};
  } else if (change.mapping_failed) {
    p.op = "reject";
    p.fields = {{"mapping_error", change.payload}};
  } else {
    p.op = to_string(*route.send);
    p.fields = fields_to_json(fields, change.payload);
    if (cap)
      p.fields = capped(std::move(p.fields));
  }
  return p;
}

std::vector<planned_change> describe_samples(const sync_config& cfg, const state::sync_state& st,
                                             const model_shape& shape,
                                             const state::diff_tally& tally) {
  std::vector<planned_change> out;
  auto add = [&](const std::vector<std::string>& keys) {
    for (const auto& [key, change] : st.changes_of(keys))
      out.push_back(describe_change(cfg, shape.fields, key, change, true));
  };
  add(tally.added_samples);
  add(tally.changed_samples);
  add(tally.deleted_samples);
  return out;
}

}  // namespace backflow
