// Fuzzes every registered destination's answer handling, built from options synthesised from its
// own option table: interpret(), interpret_lookup(), read_rate_signal(), read_back() and, where
// it offers one, its job loop. A new destination is fuzzed here without a target of its own.
#include <algorithm>

#include "connectors/destinations/registry.hpp"
#include "pipelines/delivery/status_classifier.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace backflow;

namespace {

/// A value the option accepts: its default, else a plain one of its type (a string's example
/// when it has a pattern, its first allowed value when it has a list).
nlohmann::json synthesise(const option_spec& o) {
  if (!o.default_value.is_null())
    return o.default_value;
  switch (o.type) {
    case option_type::url:
      return "http://127.0.0.1:9";
    case option_type::integer:
    case option_type::number:
      return std::max(o.minimum, 1.0);
    case option_type::duration:
      return "1s";
    case option_type::boolean:
      return false;
    case option_type::string_list:
      return nlohmann::json::array({"fuzz"});
    case option_type::object: {
      auto out = nlohmann::json::object();
      for (const auto& child : o.children)
        if (child.required)
          out[child.name] = synthesise(child);
      return out;
    }
    default:
      if (!o.allowed.empty())
        return o.allowed.front();
      if (!o.pattern.empty())
        return o.example;
      return o.secret ? "fuzz-secret" : "fuzz";
  }
}

/// One built destination per registered type, with its default mode.
struct built {
  std::unique_ptr<destination> dest;
  bool audience = false;  ///< members are identities: Meta-style batches
};

std::vector<built> build_all() {
  std::vector<built> out;
  for (const auto& t : destination_types()) {
    nlohmann::json options = nlohmann::json::object();
    for (const auto& o : t.options)
      if (o.required)
        options[o.name] = synthesise(o);
    const auto mode = t.modes.front();
    const bool audience = mode == sync_mode::audience;
    std::vector<std::string> mapped;
    if (audience)
      mapped = {"EMAIL", "FN", "COUNTRY"};  // the fields of fuzz::meta_batch
    out.push_back({fuzz::make_destination(t.name, options, mode, mapped), audience});
  }
  return out;
}

/// Drives a job through the answers as the delivery machine does (fuzz_salesforce_bulk.cpp).
void drive_job(const destination& d, std::unique_ptr<delivery_job> job,
               const std::vector<std::string_view>& parts, size_t n) {
  // A job may finish before any request (Google Ads: no member has an identifier to send);
  // the delivery machine settles it at once, so the checks below apply to its first step too.
  auto step = job->start();
  for (const auto& part : parts) {
    if (step.what != job_step::kind::send)
      break;
    fuzz::require(step.delay.count() >= 0, "a job never asks for a negative delay");
    auto a = fuzz::parse_answer(part);
    fuzz::check_signal(d.read_rate_signal(a.response));
    if (classify_status(a.response.status) == status_class::retryable) {
      fuzz::check_verdict(classify_response(a.response, n), n);
      continue;
    }
    step = job->next(a.response);
  }
  if (step.what == job_step::kind::done)
    fuzz::require(step.outcomes.size() == n, "a finished job has one outcome per record");
  if (step.what == job_step::kind::failed)
    fuzz::check_verdict(step.verdict, n);
}

}  // namespace

// Input: one byte choosing the destination (modulo their number) and the op (the rest), then
// answers separated by "~~~" lines (fuzz_support.hpp). The first answer goes to interpret(),
// interpret_lookup(), read_rate_signal() and read_back(); all of them, in turn, to a job when
// there is one.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto all = build_all();
  if (size == 0 || all.empty())
    return 0;
  const auto& target = all[data[0] % all.size()];
  static constexpr delivery_op ops[] = {delivery_op::upsert, delivery_op::update,
                                        delivery_op::insert, delivery_op::remove};
  const auto op = ops[(data[0] / all.size()) % 4];
  auto parts = fuzz::split_answers({reinterpret_cast<const char*>(data) + 1, size - 1});
  auto batch = target.audience ? fuzz::meta_batch(op) : fuzz::contact_batch(op);
  const size_t n = batch.records.size();
  auto first = fuzz::parse_answer(parts.front());
  const auto& d = *target.dest;
  fuzz::check_verdict(d.interpret(batch, first.response), n);
  fuzz::check_verdict(d.interpret_lookup(batch, first.response), n);
  fuzz::check_signal(d.read_rate_signal(first.response));
  // Drift checks read the same answers back (HubSpot batch/read, Salesforce retrieve).
  std::vector<read_back_key> keys;
  for (const auto& r : batch.records)
    keys.push_back({r.key, r.dest_id.empty() ? "003000000000001AAA" : r.dest_id});
  auto back = d.read_back(keys, batch.field_names, first.response);
  fuzz::require(back.found.size() + back.unchecked.size() <= keys.size(),
                "a read-back answer holds no more records than were asked for");
  if (d.job_size(op, 1u << 20) == 0)
    return 0;
  batch.as_job = true;
  auto job = d.make_job(batch);
  if (job != nullptr)
    drive_job(d, std::move(job), parts, n);
  return 0;
}
