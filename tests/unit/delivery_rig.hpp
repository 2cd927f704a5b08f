// A rig for the delivery machine's tests: it answers tokens, commits and timers by itself
// (moving a fake clock on) and requests with a scripted function, and keeps all it saw.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pipelines/delivery/delivery_machine.hpp"
#include "pipelines/delivery/status_classifier.hpp"
#include "tests/unit/connector_fixture.hpp"

namespace backflow::delivery::machine_rig {

using nlohmann::json;
using unit::batch_of;
using unit::response;


/// A destination with the shared classifier only; its requests name their keys ("a,b,c"). A 207
/// answer's body names the keys to retry; the others are delivered as "id-<key>".
class plain_destination : public destination {
 public:
  size_t batch_size(delivery_op) const override { return 100; }
  http_request build_request(const delivery_batch& batch) const override {
    http_request r;
    r.url = "http://dest/send";
    for (const auto& rec : batch.records)
      r.body += (r.body.empty() ? "" : ",") + rec.key;
    return r;
  }
  batch_verdict interpret(const delivery_batch& batch, const http_response& r) const override {
    if (r.status != 207)
      return classify_response(r, batch.records.size());
    batch_verdict v;
    for (const auto& rec : batch.records)
      v.outcomes.push_back(("," + r.body + ",").find("," + rec.key + ",") != std::string::npos
                               ? record_outcome::retryable("try again")
                               : record_outcome::delivered("id-" + rec.key));
    return v;
  }
  std::string account() const override { return "plain"; }
  rate_limit_spec rate_limits() const override { return {}; }
};

/// Answers the machine's effects: tokens granted, commits acknowledged, timers fired (moving
/// the fake clock on), requests answered by `answer`. Everything it saw is kept for checks.
struct rig {
  using responder = std::function<http_response(const http_request&)>;

  std::chrono::system_clock::time_point wall{std::chrono::seconds(1'790'000'000)};
  std::chrono::steady_clock::time_point steady{};
  std::unique_ptr<delivery_machine> machine;
  responder answer;
  /// Requests it says yes to stay unanswered in `held` (answered by the test, or never).
  std::function<bool(const http_request&)> hold_if = [](const http_request&) { return false; };
  bool hold_commits = false;   ///< keep commits unacknowledged in `held_commits`

  std::vector<http_request> sent;
  std::vector<std::string> trail;  ///< "METHOD url", "checkpoint", "settle", in order
  std::vector<send_request> held;
  std::vector<uint64_t> held_commits;
  std::vector<settled_outcome> settled;
  std::vector<std::string> finished_jobs;
  std::vector<checkpoint_job> checkpoints;
  std::vector<std::chrono::milliseconds> parks, pauses;
  uint32_t credits = 0;
  int tokens = 0;  ///< rate-limit tokens the machine asked for
  int finishes = 0;
  delivery_report report;

  explicit rig(std::shared_ptr<const destination> dest, int concurrency = 4,
               std::function<void(machine_settings&)> tune = {}) {
    machine_settings s;
    s.dest = std::move(dest);
    s.concurrency = concurrency;
    s.seed = 42;
    s.clock = {[this] { return wall; }, [this] { return steady; }};
    if (tune)
      tune(s);
    machine = std::make_unique<delivery_machine>(std::move(s));
  }

  /// Carries out `fx` and everything they lead to, breadth first.
  void run(effects fx) {
    std::deque<delivery_effect> queue(std::make_move_iterator(fx.begin()),
                                      std::make_move_iterator(fx.end()));
    while (!queue.empty()) {
      auto e = std::move(queue.front());
      queue.pop_front();
      auto next = carry_out(e);
      for (auto& n : next)
        queue.push_back(std::move(n));
    }
  }

  effects carry_out(delivery_effect& e) {
    auto& m = *machine;
    if (auto* a = std::get_if<acquire_token>(&e)) {
      ++tokens;
      return m.on_token(a->ticket, {});
    }
    if (auto* s = std::get_if<send_request>(&e)) {
      sent.push_back(s->request);
      trail.push_back(s->request.method + " " + s->request.url);
      if (hold_if(s->request)) {
        held.push_back(*s);
        return {};
      }
      return m.on_response(s->ticket, answer(s->request));
    }
    if (auto* s = std::get_if<settle_records>(&e)) {
      for (auto& o : s->records)
        settled.push_back(o);
      trail.push_back("settle");
      if (!s->finished_job.empty())
        finished_jobs.push_back(s->finished_job);
      if (hold_commits) {
        held_commits.push_back(s->ticket);
        return {};
      }
      return m.on_committed(s->ticket);
    }
    if (auto* c = std::get_if<checkpoint_job>(&e)) {
      checkpoints.push_back(*c);
      trail.push_back("checkpoint");
      if (hold_commits) {
        held_commits.push_back(c->ticket);
        return {};
      }
      return m.on_committed(c->ticket);
    }
    if (auto* p = std::get_if<park_until>(&e)) {
      parks.push_back(p->delay);
      wall += p->delay;
      steady += p->delay;
      return m.on_timer(p->timer);
    }
    if (auto* p = std::get_if<pause_account>(&e))
      pauses.push_back(p->wait);
    else if (auto* c = std::get_if<give_credit>(&e))
      credits += c->batches;
    else if (auto* f = std::get_if<finish>(&e)) {
      ++finishes;
      report = f->report;
    }
    return {};
  }

  void deliver(delivery_batch b) { run(machine->on_batch(std::move(b))); }
  /// Answers the held request `i` with `response` (and carries out what follows).
  void answer_held(size_t i, const http_response& response) {
    auto ticket = held.at(i).ticket;
    held.erase(held.begin() + static_cast<long>(i));
    run(machine->on_response(ticket, response));
  }
  void end() { run(machine->on_upstream_done()); }

  [[nodiscard]] const settled_outcome* outcome_of(const std::string& key) const {
    const settled_outcome* found = nullptr;
    for (const auto& o : settled)
      if (o.record.key == key) {
        BOOST_TEST_REQUIRE(!found, "settled twice: " << key);
        found = &o;
      }
    return found;
  }
};

inline http_response timeout_after_sending() {
  http_response r;
  r.transport_error = "Timeout was reached";
  r.request_sent = true;
  return r;
}

/// HubSpot's answer to a batch create or read: one result per email, ids "id-<email>".
inline http_response hubspot_results(const std::vector<std::string>& emails) {
  json results = json::array();
  for (const auto& e : emails)
    results.push_back({{"id", "id-" + e}, {"properties", {{"email", e}}}});
  return response(200, {{"status", "COMPLETE"}, {"results", results}});
}

/// The emails a HubSpot batch request names (its inputs' `email` or `id`).
/// A batch of `op` records with the given keys and an id of its own.
inline delivery_batch batch_named(const std::string& id, delivery_op op,
                                  const std::vector<std::string>& keys) {
  auto b = batch_of(op, keys);
  b.batch_id = id;
  return b;
}

inline std::vector<std::string> emails_in(const http_request& r) {
  std::vector<std::string> out;
  auto body = json::parse(r.body);
  for (const auto& in : body["inputs"])
    out.push_back(in.contains("id") ? in["id"].get<std::string>()
                                    : in["properties"]["email"].get<std::string>());
  return out;
}

inline bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}


}  // namespace backflow::delivery::machine_rig
