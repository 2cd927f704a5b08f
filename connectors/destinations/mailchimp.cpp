// Mailchimp audience members connector and its options (see mailchimp.hpp,
// docs/connectors/mailchimp.md).
#include "connectors/destinations/mailchimp.hpp"

#include <algorithm>
#include <unordered_map>

#include <openssl/evp.h>

#include "pipelines/core/crypto.hpp"
#include "pipelines/core/option_spec.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

constexpr size_t mc_max_members = 500;
constexpr const char* mc_merge_prefix = "merge_fields.";

std::string mc_lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// The member object of one record: its email, status and mapped fields (`merge_fields.NAME`
/// nested under merge_fields); a removal is the member unsubscribed.
nlohmann::json mc_member(const delivery_batch& batch, const outbound_record& r,
                         const std::string& status) {
  nlohmann::json member = nlohmann::json::object();
  if (r.op != delivery_op::remove) {
    auto fields = fields_to_json(batch.field_names, r.fields, nullptr, number_style::exact);
    for (auto& [name, value] : fields.items()) {
      if (name.rfind(mc_merge_prefix, 0) == 0)
        member["merge_fields"][name.substr(std::char_traits<char>::length(mc_merge_prefix))] =
            std::move(value);
      else
        member[name] = std::move(value);
    }
  }
  member["email_address"] = r.key;
  if (r.op == delivery_op::remove)
    member["status"] = "unsubscribed";
  else if (!member.contains("status") || !member["status"].is_string())
    member["status"] = status;  // a mapped status wins
  return member;
}

}  // namespace

std::string mailchimp_endpoint_of(const std::string& api_key) {
  auto dash = api_key.rfind('-');
  if (dash == std::string::npos || dash + 1 >= api_key.size())
    return {};
  auto dc = api_key.substr(dash + 1);
  bool plain = std::all_of(dc.begin(), dc.end(), [](unsigned char c) { return std::isalnum(c); });
  return plain ? "https://" + dc + ".api.mailchimp.com" : std::string();
}

std::string mailchimp_subscriber_hash(const std::string& email) {
  auto text = mc_lower(email);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_md5(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

destination_type mailchimp_destination::type() {
  destination_type t;
  t.name = "mailchimp";
  t.summary = "Mailchimp audience members: batch subscribe or update by email, 500 per request";
  t.modes = {sync_mode::upsert, sync_mode::mirror};
  t.options = {
    option("api_key", option_type::string,
           "API key with its data center, e.g. \"${MAILCHIMP_API_KEY}\" (…-us6)")
        .mandatory().secret_value(),
    option("endpoint", option_type::url,
           "API base URL (default: https://DC.api.mailchimp.com from the key; an emulator's, to test)"),
    option("list_id", option_type::string, "the audience (list) id").mandatory().shapes_payload(),
    option("status", option_type::string, "the status members are sent with (unless mapped)")
        .defaults_to("subscribed").one_of({"subscribed", "pending", "transactional"})
        .shapes_payload(),
    option("batch_size", option_type::integer, "members per request (Mailchimp allows 500)")
        .defaults_to(500).between(1, 500),
  };
  t.make = [](const destination_context& ctx) {
    return std::make_unique<mailchimp_destination>(ctx);
  };
  t.check = [](const destination_context& ctx, const std::string& path, config_errors& errors) {
    if (!ctx.options.contains("endpoint") &&
        mailchimp_endpoint_of(ctx.options.value("api_key", "")).empty())
      errors.add(join_path(path, "api_key"),
                 "names no data center (it ends in -us6 or the like); give endpoint otherwise");
    if (ctx.key_columns.size() != 1)
      errors.add("source.key", "mailchimp needs exactly one key column: its value is the "
                               "member's email address");
  };
  return t;
}

mailchimp_destination::mailchimp_destination(const destination_context& ctx)
    : api_key_(ctx.options.value("api_key", "")),
      list_id_(ctx.options.value("list_id", "")),
      status_(ctx.options.value("status", "subscribed")),
      batch_size_(std::min<size_t>(ctx.options.value("batch_size", mc_max_members), mc_max_members)) {
  endpoint_ = ctx.options.value("endpoint", mailchimp_endpoint_of(api_key_));
}

http_request mailchimp_destination::build_request(const delivery_batch& batch) const {
  nlohmann::json members = nlohmann::json::array();
  for (const auto& r : batch.records)
    members.push_back(mc_member(batch, r, status_));
  http_request req;
  req.method = "POST";
  req.url = join_url(endpoint_, "/3.0/lists/" + list_id_);
  req.headers = {{"Authorization", "Basic " + base64_encode("backflow:" + api_key_)},
                 {"Content-Type", "application/json"},
                 {"Accept", "application/json"}};
  req.body = dump_exact(nlohmann::json{{"members", std::move(members)}, {"update_existing", true}});
  return req;
}

batch_verdict mailchimp_destination::interpret(const delivery_batch& batch,
                                               const http_response& response) const {
  const size_t n = batch.records.size();
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (classify_status(response.status) != status_class::delivered) {
    auto verdict = classify_response(response, n);
    auto title = json_text(body, "title");
    if (!title.empty())  // problem details: {type, title, status, detail, instance}
      verdict.reason = "Mailchimp " + std::to_string(response.status) + " " + title + ": " +
                       json_text(body, "detail");
    return verdict;
  }
  if (!body.is_object())
    return batch_verdict::whole(batch_verdict::kind::retry,
                                "Mailchimp answered " + std::to_string(response.status) +
                                    " without a batch result");
  std::unordered_map<std::string, record_outcome> by_email;
  for (const char* list : {"new_members", "updated_members"}) {
    auto it = body.find(list);
    if (it != body.end() && it->is_array())
      for (const auto& m : *it) {
        auto email = json_text(m, "email_address");
        by_email[mc_lower(email)] = record_outcome::delivered(
            json_text(m, "id", mailchimp_subscriber_hash(email)));  // the id is that hash
      }
  }
  if (auto errors = body.find("errors"); errors != body.end() && errors->is_array())
    for (const auto& e : *errors) {
      auto code = json_text(e, "error_code", "ERROR");
      by_email[mc_lower(json_text(e, "email_address"))] =
          record_outcome::rejected("Mailchimp " + code + ": " + json_text(e, "error"));
    }
  batch_verdict v;
  for (const auto& r : batch.records) {
    auto it = by_email.find(mc_lower(r.key));
    v.outcomes.push_back(it != by_email.end()
                             ? it->second
                             : record_outcome::retryable("Mailchimp returned no result for it"));
  }
  return v;
}

std::string mailchimp_destination::account() const {
  return account_id("mailchimp", endpoint_, api_key_);
}

}  // namespace backflow
