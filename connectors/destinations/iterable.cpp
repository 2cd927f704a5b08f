// Iterable bulkUpdate and list membership connector (see iterable.hpp and
// docs/connectors/iterable.md).
#include "connectors/destinations/iterable.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <unordered_map>

#include "pipelines/core/option_spec.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

constexpr size_t it_default_batch = 1000;  // users per request (Iterable caps the body: 4 MB)
constexpr size_t it_max_batch = 10000;
const char* const it_us = "https://api.iterable.com";
const char* const it_eu = "https://api.eu.iterable.com";

/// The lists of a bulkUpdate or subscribe answer that name failed users, with what each means.
/// `failedUpdates.<name>Emails` or `<name>UserIds`; the top-level `invalidEmails` and
/// `invalidUserIds` are the deprecated copies of the last pair.
struct failure_list {
  const char* name;  ///< without its Emails/UserIds suffix
  const char* reason;
};
const failure_list it_failures[] = {
    {"conflict", "another user already holds this identifier"},
    {"forgotten", "the user was forgotten (GDPR) and is not updated"},
    {"invalidData", "invalid data in dataFields"},
    {"invalid", nullptr},  // malformed: the email address or userId, by the key field
    {"notFound", "no such user in the project"},
};

/// `text` as one URL path segment: RFC 3986 unreserved characters and '@' kept, the rest as %XX
/// (a '/' in an email address must not end the segment).
std::string it_path_segment(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '@') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string it_lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// The strings of `object[key]` when it is an array (others are skipped).
std::vector<std::string> it_strings(const nlohmann::json& object, const std::string& key) {
  std::vector<std::string> out;
  auto it = object.is_object() ? object.find(key) : object.end();
  if (it == object.end() || !it->is_array())
    return out;
  for (const auto& v : *it)
    if (v.is_string())
      out.push_back(v.get<std::string>());
  return out;
}

/// "Iterable 400 BadParams: <msg>" from an error answer `{"msg","code","params"}`.
std::string it_reason(const http_response& response, const nlohmann::json& body) {
  auto code = json_text(body, "code");
  auto msg = json_text(body, "msg");
  if (code.empty() && msg.empty())
    return describe_http_failure(response);
  return "Iterable " + std::to_string(response.status) + (code.empty() ? "" : " " + code) +
         (msg.empty() ? "" : ": " + msg);
}

}  // namespace

destination_type iterable_destination::type() {
  destination_type t;
  t.name = "iterable";
  t.summary = "Iterable users by email or userId (/api/users/bulkUpdate; mirror deletes one "
              "user per request); static list membership for audience mode (/api/lists/subscribe, "
              "unsubscribe)";
  t.modes = {sync_mode::upsert, sync_mode::audience, sync_mode::mirror};
  t.credential_names_account = true;  // keys are per project, and every project shares a host
  t.options = {
    option("api_key", option_type::string,
           "server-side API key of the project, e.g. \"${ITERABLE_API_KEY}\"")
        .mandatory().secret_value(),
    option("region", option_type::string, "the project's data center: us (api.iterable.com) "
           "or eu (api.eu.iterable.com)").defaults_to("us").one_of({"us", "eu"}),
    option("endpoint", option_type::url, "API base URL instead of the region's (an emulator's, "
           "to test)"),
    option("key_field", option_type::string, "what the key is: the user's email, or their "
           "userId (sent with preferUserId, so a new userId creates a user)")
        .defaults_to("email").one_of({"email", "userId"}).shapes_payload(),
    option("merge_nested_objects", option_type::boolean, "merge top-level objects of dataFields "
           "into the profile's instead of replacing them").defaults_to(false).shapes_payload(),
    option("list_id", option_type::integer, "audience mode: the static list the rows are the "
           "members of").at_least(1).shapes_payload(),
    option("update_existing_users_only", option_type::boolean, "audience mode: never create a "
           "user by subscribing it (an unknown one is rejected)").defaults_to(false)
        .shapes_payload(),
    option("batch_size", option_type::integer, "users per request (Iterable caps the body at "
           "4 MB; a larger batch is split)").defaults_to(1000).between(1, 10000),
    option("rate_limit", option_type::object, "the project's limits").with({
      option("per_second", option_type::integer, "bulkUpdate requests per second (Iterable: 5 "
             "per project; 0 = unlimited)").defaults_to(5).between(0, 1e6),
      option("lists_per_second", option_type::integer, "subscribe and unsubscribe requests per "
             "second (Iterable states none: 2 by default; 0 = unlimited)")
          .defaults_to(2).between(0, 1e6),
    }),
  };
  t.make = [](const destination_context& ctx) {
    return std::make_unique<iterable_destination>(ctx);
  };
  t.check = [](const destination_context& ctx, const std::string& path, config_errors& errors) {
    if (ctx.mode == sync_mode::audience && !ctx.options.contains("list_id"))
      errors.add(join_path(path, "list_id"), "audience mode needs the static list's id");
    const bool by_email = ctx.options.value("key_field", "email") == "email";
    if (by_email && ctx.key_columns.size() != 1)
      errors.add("source.key", "iterable with key_field email needs exactly one key column: its "
                               "value is the user's email address");
    for (const auto& field : ctx.mapped_fields)
      if (field == "email" || field == "userId")
        errors.add("mapping", "iterable: \"" + field + "\" identifies the user and is set from "
                              "the key; map the column to another field");
  };
  return t;
}

iterable_destination::iterable_destination(const destination_context& ctx)
    : api_key_(ctx.options.value("api_key", "")),
      by_user_id_(ctx.options.value("key_field", "email") == "userId"),
      merge_nested_(ctx.options.value("merge_nested_objects", false)),
      audience_(ctx.mode == sync_mode::audience),
      list_id_(ctx.options.value("list_id", int64_t{0})),
      existing_only_(ctx.options.value("update_existing_users_only", false)),
      batch_size_(std::min<size_t>(ctx.options.value("batch_size", it_default_batch), it_max_batch)) {
  endpoint_ = ctx.options.value("endpoint", ctx.options.value("region", "us") == "eu" ? it_eu : it_us);
  auto limits = ctx.options.value("rate_limit", nlohmann::json::object());
  per_second_ = audience_ ? limits.value("lists_per_second", 2.0) : limits.value("per_second", 5.0);
}

size_t iterable_destination::batch_size(delivery_op op) const {
  // Iterable deletes users one at a time: DELETE /api/users/{email} or byUserId/{userId}.
  return op == delivery_op::remove && !audience_ ? 1 : batch_size_;
}

http_request iterable_destination::build_request(const delivery_batch& batch) const {
  const bool removing = batch.records.front().op == delivery_op::remove;
  if (removing && !audience_) {
    http_request req;
    req.method = "DELETE";
    req.url = join_url(endpoint_, (by_user_id_ ? "/api/users/byUserId/" : "/api/users/") +
                                      it_path_segment(batch.records.front().key));
    req.headers = {{"Api-Key", api_key_}};
    return req;
  }
  const char* id_name = by_user_id_ ? "userId" : "email";
  nlohmann::json users = nlohmann::json::array();
  for (const auto& r : batch.records) {
    nlohmann::json user = {{id_name, r.key}};
    if (!removing) {
      // null sets the field to null; numbers go as their exact text.
      auto fields = fields_to_json(batch.field_names, r.fields, nullptr, number_style::exact);
      if (!fields.empty())
        user["dataFields"] = std::move(fields);
      if (by_user_id_)
        user["preferUserId"] = true;  // an unknown userId creates the user (email-based projects)
      if (merge_nested_)
        user["mergeNestedObjects"] = true;
    }
    users.push_back(std::move(user));
  }
  nlohmann::json body;
  std::string path;
  if (!audience_) {
    path = "/api/users/bulkUpdate";
    body = {{"users", std::move(users)}};
  } else {
    path = removing ? "/api/lists/unsubscribe" : "/api/lists/subscribe";
    body = {{"listId", list_id_}, {"subscribers", std::move(users)}};
    if (!removing)
      body["updateExistingUsersOnly"] = existing_only_;
  }
  http_request req;
  req.method = "POST";
  req.url = join_url(endpoint_, path);
  req.headers = {{"Api-Key", api_key_}, {"Content-Type", "application/json"}};
  req.body = dump_exact(body);
  return req;
}

batch_verdict iterable_destination::per_user(const delivery_batch& batch,
                                             const nlohmann::json& body, bool unsubscribing) const {
  const size_t n = batch.records.size();
  // Emails may come back in another case than sent: look them up lowercased too.
  std::unordered_map<std::string, size_t> exact;
  std::unordered_map<std::string, size_t> folded;
  for (size_t i = 0; i < n; ++i) {
    exact.emplace(batch.records[i].key, i);
    if (!by_user_id_)
      folded.emplace(it_lower(batch.records[i].key), i);
  }
  auto find = [&](const std::string& id) -> std::optional<size_t> {
    if (auto it = exact.find(id); it != exact.end())
      return it->second;
    if (auto it = by_user_id_ ? folded.end() : folded.find(it_lower(id)); it != folded.end())
      return it->second;
    return std::nullopt;
  };
  auto v = batch_verdict::all(n, record_outcome::delivered());
  std::map<size_t, std::string> named;  // index → reason
  const std::string suffix = by_user_id_ ? "UserIds" : "Emails";
  auto failed = body.find("failedUpdates");
  for (const auto& list : it_failures) {
    const std::string name = list.name + suffix;
    auto ids = failed != body.end() ? it_strings(*failed, name) : std::vector<std::string>{};
    if (std::string(list.name) == "invalid")  // the deprecated top-level copy
      for (auto& id : it_strings(body, name))
        ids.push_back(std::move(id));
    const std::string reason = list.reason != nullptr ? list.reason
                               : by_user_id_          ? "malformed userId"
                                                      : "malformed email address";
    for (const auto& id : ids)
      if (auto i = find(id); i && named.count(*i) == 0)
        named[*i] = "Iterable: " + reason + " (" + name + ")";
  }
  for (const auto& [i, reason] : named) {
    // A user Iterable does not know is on no list: taking it off one is done.
    if (unsubscribing && reason.find("(notFound") != std::string::npos)
      continue;
    v.outcomes[i] = record_outcome::rejected(reason);
  }
  // Failures counted but not named: which users they were is unknown, and sending a user's
  // values (or membership) again is harmless.
  const auto fail_count = json_count(body, "failCount");
  if (fail_count > named.size())
    for (size_t i = 0; i < n; ++i)
      if (named.count(i) == 0)
        v.outcomes[i] = record_outcome::retryable(
            "Iterable counted " + std::to_string(fail_count) + " failures but named " +
            std::to_string(named.size()));
  return v;
}

batch_verdict iterable_destination::interpret(const delivery_batch& batch,
                                              const http_response& response) const {
  const size_t n = batch.records.size();
  const bool removing = batch.records.front().op == delivery_op::remove;
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (classify_status(response.status) == status_class::delivered) {
    if (removing && !audience_)  // {"msg", "code": "Success"}: the delete is queued
      return batch_verdict::all(n, record_outcome::delivered());
    if (!body.is_object())  // which users failed is unknown; sending them again is harmless
      return batch_verdict::whole(batch_verdict::kind::retry,
                                  "Iterable answered " + std::to_string(response.status) +
                                      " with a body that is not JSON");
    return per_user(batch, body, audience_ && removing);
  }
  const auto code = json_text(body, "code");
  if (removing && !audience_ && (code == "UnknownEmailError" || code == "UnknownUserIdError"))
    return batch_verdict::all(n, record_outcome::delivered());  // no such user: gone either way
  if (response.status == 413 || code == "BatchTooLarge")
    return n > 1 ? batch_verdict::whole(batch_verdict::kind::split,
                                        "Iterable: the request is over 4 MB")
                 : batch_verdict::whole(batch_verdict::kind::reject,
                                        "Iterable: this user alone is over the 4 MB request limit");
  auto verdict = classify_response(response, n);
  if (body.is_object())
    verdict.reason = it_reason(response, body);
  return verdict;
}

std::string iterable_destination::account() const {
  // Iterable limits each endpoint per project: bulkUpdate and the list endpoints apart.
  return account_id("iterable", join_url(endpoint_, audience_ ? "/api/lists" : "/api/users"),
                    api_key_);
}

rate_limit_spec iterable_destination::rate_limits() const {
  rate_limit_spec spec;
  spec.requests_per_window = per_second_;
  spec.window = std::chrono::seconds(1);
  return spec;
}

}  // namespace backflow
