// One Intercom contact as a delivery job: search by external_id (or email), then create, update,
// archive or delete; a 409 on create is resolved by a second search and an update, never by
// another create.
#include <optional>

#include "connectors/destinations/intercom.hpp"
#include "pipelines/core/text.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

/// The contacts of one record, in batch order (the delivery layer sends one per job).
class intercom_contact_job final : public delivery_job {
 public:
  intercom_contact_job(intercom_settings s, delivery_batch batch)
      : s_(std::move(s)), batch_(std::move(batch)) {}

  job_step start() override { return begin(); }
  job_step next(const http_response& response) override;
  [[nodiscard]] std::string checkpoint() const override { return {}; }  // searching again is safe

 private:
  enum class phase { search, create, fetch, update, unarchive, remove };

  const outbound_record& record() const { return batch_.records[index_]; }
  job_step begin();
  job_step search();
  job_step write(const std::string& id);
  job_step settle(record_outcome o);
  job_step after_search(const http_response& response);
  /// The contact a 409 named: ours (same key) is updated, another one's is a conflict.
  job_step after_fetch(const http_response& response);

  intercom_settings s_;
  delivery_batch batch_;
  size_t index_ = 0;
  phase phase_ = phase::search;
  bool conflicted_ = false;    ///< a create was answered 409: the contact exists
  std::string conflict_id_;    ///< the id the 409 named
  bool researched_ = false;    ///< an update by a stale id (404) searched again already
  bool unarchived_ = false;    ///< the 409's contact was archived and has been unarchived
  std::vector<record_outcome> outcomes_;
};

job_step intercom_contact_job::begin() {
  conflicted_ = researched_ = unarchived_ = false;
  conflict_id_.clear();
  const auto& r = record();
  if (!r.dest_id.empty() && r.op != delivery_op::insert)
    return write(r.dest_id);  // the id from an earlier run: no search needed
  return search();
}

job_step intercom_contact_job::search() {
  phase_ = phase::search;
  return job_step::send(s_.search(record().key));
}

job_step intercom_contact_job::write(const std::string& id) {
  const auto& r = record();
  if (r.op == delivery_op::remove) {
    phase_ = phase::remove;
    return job_step::send(s_.archive ? s_.request("POST", "/contacts/" + id + "/archive")
                                     : s_.request("DELETE", "/contacts/" + id));
  }
  auto body = dump_exact(s_.body_of(batch_, r));
  if (id.empty()) {
    phase_ = phase::create;
    return job_step::send(s_.request("POST", "/contacts", std::move(body)));
  }
  phase_ = phase::update;
  return job_step::send(s_.request("PUT", "/contacts/" + id, std::move(body)));
}

job_step intercom_contact_job::settle(record_outcome o) {
  outcomes_.push_back(std::move(o));
  if (++index_ < batch_.records.size())
    return begin();
  return job_step::finished(std::move(outcomes_));
}

job_step intercom_contact_job::after_search(const http_response& response) {
  if (classify_status(response.status) != status_class::delivered)
    return job_step::fail(intercom_settings::failure(response));
  auto found = s_.found_in(response, record().key);
  if (!found)
    return job_step::fail(batch_verdict::whole(batch_verdict::kind::retry,
                                               "Intercom answered a search without a data list"));
  const auto op = record().op;
  if (!found->empty()) {
    if (op == delivery_op::insert)  // insert only: it exists, so it is not created again
      return settle(record_outcome::found_existing(*found));
    return write(*found);
  }
  if (conflicted_ && !conflict_id_.empty()) {
    // Search lags behind a create, skips archived contacts, or the 409 is about another
    // contact's email: read the contact the 409 named before writing to it.
    phase_ = phase::fetch;
    return job_step::send(s_.request("GET", "/contacts/" + conflict_id_));
  }
  if (conflicted_)
    return job_step::fail(batch_verdict::whole(
        batch_verdict::kind::retry, "Intercom said the contact exists but search did not find it"));
  if (op == delivery_op::remove)
    return settle(record_outcome::delivered());  // nothing to archive
  if (op == delivery_op::update)
    return settle(record_outcome::rejected("no Intercom contact with " + s_.match_by + " " +
                                           record().key + " (update mode only updates)"));
  return write({});
}

job_step intercom_contact_job::after_fetch(const http_response& response) {
  auto contact = nlohmann::json::parse(response.body, nullptr, false);
  auto held = json_text(contact, s_.match_by.c_str());
  bool same = s_.match_by == "email" ? ascii_lower(held) == ascii_lower(record().key)
                                     : held == record().key;
  if (same)
    return write(conflict_id_);  // ours, not yet searchable or archived: update it
  return settle(record_outcome::rejected(
      "Intercom refused the create with 409: contact " + conflict_id_ + " already holds its " +
      "external_id or email (" + s_.match_by + " " + (held.empty() ? "unset" : held) +
      "); merge or fix the contacts in Intercom"));
}

job_step intercom_contact_job::next(const http_response& response) {
  switch (phase_) {
    case phase::search:
      return after_search(response);
    case phase::create:
      if (response.status == 409) {
        // It exists (an earlier create landed, or another contact holds the email): find it.
        conflicted_ = true;
        auto reason = intercom_settings::reason_of(response);
        auto at = reason.rfind("id=");
        conflict_id_ = at == std::string::npos ? std::string() : reason.substr(at + 3);
        return search();
      }
      break;
    case phase::update:
      if (response.status == 404 && conflicted_ && !unarchived_) {
        // The contact the 409 named is archived (search skips those): bring it back.
        unarchived_ = true;
        phase_ = phase::unarchive;
        return job_step::send(s_.request("POST", "/contacts/" + conflict_id_ + "/unarchive"));
      }
      if (response.status == 404 && !researched_) {
        researched_ = true;  // the id we kept is gone (merged, deleted): find or create anew
        return search();
      }
      break;
    case phase::fetch:
      if (classify_status(response.status) == status_class::delivered)
        return after_fetch(response);
      break;
    case phase::unarchive:
      if (classify_status(response.status) == status_class::delivered)
        return write(conflict_id_);
      break;
    case phase::remove:
      if (response.status == 404)
        return settle(record_outcome::delivered());  // already gone
      break;
  }
  if (classify_status(response.status) != status_class::delivered) {
    auto verdict = intercom_settings::failure(response);
    if (verdict.what == batch_verdict::kind::reject)
      return settle(record_outcome::rejected(verdict.reason));
    return job_step::fail(std::move(verdict));
  }
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  auto id = json_text(body, "id");
  if (id.empty() && phase_ != phase::remove)
    return job_step::fail(batch_verdict::whole(batch_verdict::kind::retry,
                                               "Intercom answered without the contact's id"));
  return settle(record_outcome::delivered(id.empty() ? record().dest_id : id));
}

}  // namespace

std::unique_ptr<delivery_job> make_intercom_contact_job(const intercom_settings& s,
                                                        const delivery_batch& batch) {
  return std::make_unique<intercom_contact_job>(s, batch);
}

}  // namespace backflow
