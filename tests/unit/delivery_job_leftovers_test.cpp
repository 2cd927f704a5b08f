// Records a finished job answers "retry" go again through a job when the destination delivers
// that op only through jobs (HubSpot with associations, Intercom contacts, Zendesk, Marketo
// lists): a plain request would skip the job's other steps. Scripted answers, no sockets.
#include <boost/test/unit_test.hpp>

#include "tests/unit/delivery_rig.hpp"

using namespace backflow;
using namespace backflow::delivery;
using namespace backflow::delivery::machine_rig;
using namespace backflow::unit;

namespace {

/// One request per job ("POST http://dest/job" naming its keys); each key listed in
/// `retry_once` is answered "retry" the first time a job carries it. A job size of `job_size_`
/// for every op: 0 makes leftovers plain requests ("POST http://dest/plain").
class one_step_job_destination : public plain_destination {
 public:
  explicit one_step_job_destination(size_t job_size) : job_size_(job_size) {}
  size_t job_size(delivery_op, uint64_t) const override { return job_size_; }
  http_request build_request(const delivery_batch& batch) const override {
    auto r = plain_destination::build_request(batch);
    r.url = "http://dest/plain";
    return r;
  }
  std::unique_ptr<delivery_job> make_job(const delivery_batch& batch) const override {
    return std::make_unique<job>(*this, batch);
  }
  mutable std::set<std::string> retry_once;

 private:
  class job : public delivery_job {
   public:
    job(const one_step_job_destination& dest, delivery_batch batch)
        : dest_(dest), batch_(std::move(batch)) {}
    job_step start() override {
      auto r = dest_.plain_destination::build_request(batch_);
      r.method = "POST";
      r.url = "http://dest/job";
      return job_step::send(std::move(r));
    }
    job_step next(const http_response&) override {
      std::vector<record_outcome> outcomes;
      for (const auto& rec : batch_.records)
        outcomes.push_back(dest_.retry_once.erase(rec.key) > 0
                               ? record_outcome::retryable("busy, try again")
                               : record_outcome::delivered("id-" + rec.key));
      return job_step::finished(std::move(outcomes));
    }
    std::string checkpoint() const override { return {}; }

   private:
    const one_step_job_destination& dest_;
    delivery_batch batch_;
  };
  size_t job_size_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(delivery_job_leftovers)

BOOST_AUTO_TEST_CASE(a_record_a_job_answers_retry_goes_again_through_a_job) {
  auto dest = std::make_shared<one_step_job_destination>(100);
  dest->retry_once = {"b"};
  rig r(dest);
  r.answer = [](const http_request&) { return response(200, nullptr); };
  auto batch = batch_of(delivery_op::upsert, {"a", "b", "c"});
  batch.as_job = true;
  r.deliver(batch);
  r.end();
  BOOST_REQUIRE(r.sent.size() == 2u);
  BOOST_TEST(r.sent[0].url == "http://dest/job");
  BOOST_TEST(r.sent[0].body == "a,b,c");
  BOOST_TEST(r.sent[1].url == "http://dest/job");  // not a plain request
  BOOST_TEST(r.sent[1].body == "b");
  for (const char* key : {"a", "b", "c"}) {
    BOOST_REQUIRE(r.outcome_of(key));
    BOOST_TEST((r.outcome_of(key)->what == settled_outcome::kind::delivered));
  }
  BOOST_TEST(r.finishes == 1);
}

BOOST_AUTO_TEST_CASE(leftovers_below_the_job_threshold_go_as_plain_requests) {
  // Salesforce: a bulk job only above its threshold; a few leftovers go through collections.
  auto dest = std::make_shared<one_step_job_destination>(0);
  dest->retry_once = {"b"};
  rig r(dest);
  r.answer = [](const http_request&) { return response(200, nullptr); };
  auto batch = batch_of(delivery_op::upsert, {"a", "b", "c"});
  batch.as_job = true;
  r.deliver(batch);
  r.end();
  BOOST_REQUIRE(r.sent.size() == 2u);
  BOOST_TEST(r.sent[0].url == "http://dest/job");
  BOOST_TEST(r.sent[1].url == "http://dest/plain");
  BOOST_TEST(r.sent[1].body == "b");
  BOOST_TEST((r.outcome_of("b") && r.outcome_of("b")->what == settled_outcome::kind::delivered));
}

BOOST_AUTO_TEST_SUITE_END()
