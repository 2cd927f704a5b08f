// HubSpot associations from model fields (see hubspot_associations.hpp, docs/connectors/hubspot.md).
#include "connectors/destinations/hubspot_associations.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "pipelines/core/text.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

constexpr char memory_separator = '|';

/// The other record's unique value as HubSpot compares it (emails case-insensitively).
std::string comparable(const std::string& property, const std::string& value) {
  return property == "email" ? ascii_lower(value) : value;
}

std::vector<std::string> split_memory(const std::string& dest_id) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    auto end = dest_id.find(memory_separator, start);
    parts.push_back(dest_id.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos)
      return parts;
    start = end + 1;
  }
}

/// A field's value as text: NULL and "" both mean "no association".
std::string field_text(const nlohmann::json& fields, const std::string& name) {
  auto it = fields.find(name);
  if (it == fields.end() || it->is_null())
    return {};
  return it->is_string() ? it->get<std::string>() : dump_exact(*it);
}

/// An id HubSpot gave as a string or a number.
std::string id_text(const nlohmann::json& id) {
  return id.is_string() ? id.get<std::string>() : id.is_number_integer() ? id.dump() : "";
}

class association_job final : public delivery_job {
 public:
  association_job(hubspot_job_context ctx, delivery_batch batch)
      : ctx_(std::move(ctx)), batch_(std::move(batch)) {
    const size_t n = batch_.records.size();
    values_.assign(n, std::vector<std::string>(ctx_.associations.size()));
    to_ids_.assign(n, std::vector<std::string>(ctx_.associations.size()));
    for (size_t i = 0; i < n; ++i) {
      auto fields = fields_to_json(batch_.field_names, batch_.records[i].fields, nullptr,
                                   number_style::exact_decimal_strings);
      for (size_t a = 0; a < ctx_.associations.size(); ++a)
        values_[i][a] = field_text(fields, ctx_.associations[a].field);
    }
  }

  job_step start() override {
    phase_ = phase::upsert;
    return job_step::send(ctx_.dest->build_request(batch_));
  }

  job_step next(const http_response& response) override {
    if (classify_status(response.status) != status_class::delivered) {
      auto verdict = ctx_.dest->interpret(batch_, response);  // HubSpot's words for the error
      if (phase_ != phase::upsert && verdict.what == batch_verdict::kind::per_record)
        verdict = batch_verdict::whole(batch_verdict::kind::reject, describe_http_failure(response));
      return job_step::fail(std::move(verdict));
    }
    switch (phase_) {
      case phase::upsert:
        return after_upsert(response);
      case phase::read:
        read_targets(response);
        return archive_or_link();
      case phase::archive:
        return link();
      case phase::link:
        read_links(response);
        ++association_;
        return next_association();
    }
    return job_step::finished(outcomes_);
  }

  [[nodiscard]] std::string checkpoint() const override { return {}; }

 private:
  enum class phase { upsert, read, archive, link };

  http_request post(const std::string& path, const nlohmann::json& body) const {
    http_request req;
    req.method = "POST";
    req.url = join_url(ctx_.endpoint, path);
    req.headers = {{"Authorization", "Bearer " + ctx_.token}, {"Content-Type", "application/json"}};
    req.body = dump_exact(body);
    return req;
  }

  [[nodiscard]] const hubspot_association& current() const {
    return ctx_.associations[association_];
  }

  [[nodiscard]] bool delivered(size_t i) const {
    return outcomes_[i].what == record_outcome::kind::delivered;
  }

  job_step after_upsert(const http_response& response) {
    auto verdict = ctx_.dest->interpret(batch_, response);
    if (verdict.what != batch_verdict::kind::per_record)
      return job_step::fail(std::move(verdict));
    outcomes_ = std::move(verdict.outcomes);
    outcomes_.resize(batch_.records.size(),
                     record_outcome::retryable("HubSpot returned no result for this input"));
    for (auto& o : outcomes_)
      if (o.what == record_outcome::kind::retryable)  // sent again without its job: link lost
        o = record_outcome::rejected(o.reason + "; its associations were not written "
                                     "(`backflow retry` sends it again)");
    association_ = 0;
    return next_association();
  }

  /// Reads the other records of the current association, or finishes.
  job_step next_association() {
    if (association_ < ctx_.associations.size()) {
      const auto& a = current();
      std::set<std::string> wanted;
      for (size_t i = 0; i < batch_.records.size(); ++i)
        if (delivered(i) && !values_[i][association_].empty())
          wanted.insert(values_[i][association_]);
      found_.clear();
      if (wanted.empty())  // nothing to find: only links that moved away are removed
        return archive_or_link();
      nlohmann::json inputs = nlohmann::json::array();
      for (const auto& v : wanted)
        inputs.push_back({{"id", v}});
      phase_ = phase::read;
      return job_step::send(post("/crm/v3/objects/" + a.to_object + "/batch/read",
                                 {{"idProperty", a.to_id_property},
                                  {"properties", nlohmann::json::array({a.to_id_property})},
                                  {"inputs", std::move(inputs)}}));
    }
    std::vector<record_outcome> done = outcomes_;
    for (size_t i = 0; i < done.size(); ++i)
      if (done[i].what == record_outcome::kind::delivered) {
        std::string memory = done[i].dest_id;
        for (const auto& id : to_ids_[i])
          memory += memory_separator + id;
        done[i].dest_id = std::move(memory);
      }
    return job_step::finished(std::move(done));
  }

  /// The batch read's results: unique value → HubSpot id; values it lacks reject their records.
  void read_targets(const http_response& response) {
    const auto& a = current();
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_object())
      if (auto results = body.find("results"); results != body.end() && results->is_array())
        for (const auto& r : *results) {
          if (!r.is_object())
            continue;
          auto props = r.value("properties", nlohmann::json::object());
          auto value = props.find(a.to_id_property);
          if (value != props.end() && value->is_string())
            found_[comparable(a.to_id_property, value->get<std::string>())] = json_text(r, "id");
        }
    for (size_t i = 0; i < batch_.records.size(); ++i) {
      const auto& value = values_[i][association_];
      if (!delivered(i) || value.empty())
        continue;
      auto it = found_.find(comparable(a.to_id_property, value));
      if (it == found_.end() || it->second.empty())
        outcomes_[i] = record_outcome::rejected(
            "no HubSpot " + a.to_object + " record with " + a.to_id_property + " \"" + value +
            "\" to associate with (field " + a.field + "); the record itself was written");
      else
        to_ids_[i][association_] = it->second;
    }
  }

  /// A 207 to the links: records whose link is not among the results are rejected.
  void read_links(const http_response& response) {
    if (response.status != 207)
      return;
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    std::set<std::pair<std::string, std::string>> made;
    std::string why = "HubSpot did not make the association";
    if (body.is_object()) {
      for (const auto& r : body.value("results", nlohmann::json::array())) {
        if (!r.is_object())
          continue;
        if (r.contains("fromObjectId"))  // batch/create answers with the ids as numbers
          made.insert({id_text(r["fromObjectId"]), id_text(r.value("toObjectId", nlohmann::json()))});
        else
          made.insert({json_text(r.value("from", nlohmann::json::object()), "id"),
                       json_text(r.value("to", nlohmann::json::object()), "id")});
      }
      auto errors = body.value("errors", nlohmann::json::array());
      if (errors.is_array() && !errors.empty() && errors[0].is_object())
        why += ": " + json_text(errors[0], "message");
    }
    for (size_t i = 0; i < batch_.records.size(); ++i) {
      const auto& to = to_ids_[i][association_];
      if (delivered(i) && !to.empty() && !made.count({outcomes_[i].dest_id, to}))
        outcomes_[i] = record_outcome::rejected(why + " (field " + current().field + ")");
    }
  }

  [[nodiscard]] std::string v4_base() const {
    return "/crm/v4/associations/" + ctx_.object + "/" + current().to_object + "/batch/";
  }

  /// Removes the links whose field changed (the old other record is remembered in dest_id).
  job_step archive_or_link() {
    nlohmann::json inputs = nlohmann::json::array();
    for (size_t i = 0; i < batch_.records.size(); ++i) {
      if (!delivered(i))
        continue;
      auto old = hubspot_associated_ids(batch_.records[i].dest_id, ctx_.associations.size());
      const auto& before = old[association_];
      if (!before.empty() && before != to_ids_[i][association_])
        inputs.push_back({{"from", {{"id", outcomes_[i].dest_id}}},
                          {"to", nlohmann::json::array({{{"id", before}}})}});
    }
    if (inputs.empty())
      return link();
    phase_ = phase::archive;
    return job_step::send(post(v4_base() + "archive", {{"inputs", std::move(inputs)}}));
  }

  /// Makes the links (idempotent: linking twice leaves one link).
  job_step link() {
    const auto& a = current();
    nlohmann::json inputs = nlohmann::json::array();
    for (size_t i = 0; i < batch_.records.size(); ++i) {
      if (!delivered(i) || to_ids_[i][association_].empty())
        continue;
      nlohmann::json input = {{"from", {{"id", outcomes_[i].dest_id}}},
                              {"to", {{"id", to_ids_[i][association_]}}}};
      if (a.type_id != 0)
        input["types"] = nlohmann::json::array(
            {{{"associationCategory", a.category}, {"associationTypeId", a.type_id}}});
      inputs.push_back(std::move(input));
    }
    phase_ = phase::link;
    if (inputs.empty()) {
      ++association_;
      return next_association();
    }
    return job_step::send(post(v4_base() + (a.type_id != 0 ? "create" : "associate/default"),
                               {{"inputs", std::move(inputs)}}));
  }

  hubspot_job_context ctx_;
  delivery_batch batch_;
  phase phase_ = phase::upsert;
  size_t association_ = 0;
  std::vector<record_outcome> outcomes_;
  std::vector<std::vector<std::string>> values_;  ///< record → association → unique value
  std::vector<std::vector<std::string>> to_ids_;  ///< record → association → other record id
  std::map<std::string, std::string> found_;      ///< unique value → HubSpot id (current read)
};

}  // namespace

std::vector<hubspot_association> parse_associations(const nlohmann::json& options) {
  std::vector<hubspot_association> out;
  auto list = options.find("associations");
  if (list == options.end() || !list->is_array())
    return out;
  for (const auto& e : *list) {
    if (!e.is_object())
      continue;
    hubspot_association a;
    a.field = e.value("field", "");
    a.to_object = e.value("to_object", "");
    a.to_id_property = e.value("to_id_property", "");
    a.type_id = e.value("type_id", int64_t{0});
    a.category = e.value("category", std::string("HUBSPOT_DEFINED"));
    out.push_back(std::move(a));
  }
  return out;
}

void check_associations(const destination_context& ctx, const std::string& path,
                        config_errors& errors) {
  auto list = ctx.options.find("associations");
  if (list == ctx.options.end() || list->is_null())
    return;
  const auto at = join_path(path, "associations");
  if (!list->is_array()) {
    errors.add(at, "must be a list of {field, to_object, to_id_property[, type_id, category]}");
    return;
  }
  static const std::set<std::string> known = {"field", "to_object", "to_id_property", "type_id",
                                              "category"};
  for (size_t i = 0; i < list->size(); ++i) {
    const auto& e = (*list)[i];
    const auto here = index_path(at, i);
    if (!e.is_object()) {
      errors.add(here, "must be an object {field, to_object, to_id_property}");
      continue;
    }
    for (const auto& [key, value] : e.items())
      if (!known.count(key))
        errors.add(join_path(here, key), "unknown key");
    for (const char* key : {"field", "to_object", "to_id_property"})
      if (!e.contains(key) || !e[key].is_string() || e[key].get<std::string>().empty())
        errors.add(join_path(here, key), "is required (a non-empty string)");
    if (e.contains("type_id") && (!e["type_id"].is_number_integer() || e["type_id"].get<int64_t>() <= 0))
      errors.add(join_path(here, "type_id"), "must be a positive integer (an association type id)");
    if (e.contains("category") &&
        (!e["category"].is_string() ||
         !std::set<std::string>{"HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED"}.count(
             e["category"].get<std::string>())))
      errors.add(join_path(here, "category"),
                 "must be one of \"HUBSPOT_DEFINED\", \"USER_DEFINED\", \"INTEGRATOR_DEFINED\"");
    auto field = e.value("field", nlohmann::json()).is_string() ? e["field"].get<std::string>() : "";
    if (!field.empty() && !ctx.mapped_fields.empty() &&
        std::find(ctx.mapped_fields.begin(), ctx.mapped_fields.end(), field) ==
            ctx.mapped_fields.end())
      errors.add(join_path(here, "field"), "\"" + field + "\" is not a field of the mapping");
  }
  if (!list->empty() && ctx.mode == sync_mode::insert)
    errors.add(at, "are written in upsert, update and mirror modes only (insert mode looks "
                   "creates up instead)");
}

std::string hubspot_record_id(const std::string& dest_id) {
  return dest_id.substr(0, dest_id.find(memory_separator));
}

std::vector<std::string> hubspot_associated_ids(const std::string& dest_id, size_t associations) {
  auto parts = split_memory(dest_id);
  std::vector<std::string> out(associations);
  for (size_t a = 0; a < associations && a + 1 < parts.size(); ++a)
    out[a] = parts[a + 1];
  return out;
}

std::unique_ptr<delivery_job> make_hubspot_association_job(const hubspot_job_context& ctx,
                                                           const delivery_batch& batch) {
  return std::make_unique<association_job>(ctx, batch);
}

}  // namespace backflow
