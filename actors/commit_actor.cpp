// Owns the LMDB write transaction: commits settled records (one transaction per batch) and the
// checkpoints of running jobs.
#include "actors/apply_actors.hpp"

#include <spdlog/spdlog.h>

namespace backflow {
namespace {

struct commit_state {
  std::shared_ptr<state::state_dir> dir;
  std::shared_ptr<state::sync_state> st;
  uint64_t run_id = 0;
  std::shared_ptr<run_progress> progress;
};

commit_actor::behavior_type commit_impl(commit_actor::stateful_pointer<commit_state> self,
                                        std::shared_ptr<state::state_dir> dir,
                                        std::shared_ptr<state::sync_state> st, uint64_t run_id,
                                        std::shared_ptr<run_progress> progress) {
  self->state.dir = std::move(dir);
  self->state.st = std::move(st);
  self->state.run_id = run_id;
  self->state.progress = std::move(progress);
  return {
    [=](const settle_batch& batch) -> caf::result<outcome_counts> {
      auto& cs = self->state;
      try {
        cs.st->env().write([&](state::transaction& txn) {
          cs.st->settle(txn, batch.records, cs.run_id);
          cs.dir->add_quota(txn, batch.account, batch.quota_day, batch.api_calls);
          if (batch.pause_until_ms > 0)
            cs.dir->pause_account(txn, batch.account, batch.pause_until_ms);
          if (!batch.finished_job.empty())
            cs.st->remove_job(txn, batch.finished_job);
        });
      } catch (const std::exception& e) {
        if (dynamic_cast<const state::state_damaged*>(&e) != nullptr)
          cs.progress->state_damaged = true;
        spdlog::error("Commit failed: sync={} run={} error=\"{}\"", cs.st->name(), cs.run_id, e.what());
        return caf::make_error(caf::sec::runtime_error, std::string(e.what()));
      }
      outcome_counts ack;
      for (const auto& r : batch.records) {
        switch (r.how) {
          case state::settlement::delivered:
            ++ack.delivered;
            break;
          case state::settlement::rejected:
            ++ack.rejected;
            break;
          case state::settlement::retired:  // not settled: its new version is sent next
            break;
          case state::settlement::forgotten:
          case state::settlement::skipped:
            ++ack.skipped;
            break;
        }
      }
      cs.progress->add(ack);
      return ack;
    },
    [=](const job_record& job) -> caf::result<outcome_counts> {
      auto& cs = self->state;
      try {
        cs.st->env().write([&](state::transaction& txn) {
          if (!job.replaces.empty())
            cs.st->remove_job(txn, job.replaces);
          cs.st->store_job(txn, {job.checkpoint, job.batch_id, job.keys});
        });
      } catch (const std::exception& e) {
        spdlog::error("Saving a job failed: sync={} run={} error=\"{}\"", cs.st->name(), cs.run_id,
                      e.what());
        return caf::make_error(caf::sec::runtime_error, std::string(e.what()));
      }
      return outcome_counts{};
    },
  };
}

}  // namespace

commit_actor spawn_commit(caf::actor_system& sys, std::shared_ptr<state::state_dir> dir,
                          std::shared_ptr<state::sync_state> st, uint64_t run_id,
                          std::shared_ptr<run_progress> progress) {
  return sys.spawn<caf::detached>(commit_impl, std::move(dir), std::move(st), run_id,
                                  std::move(progress));
}

}  // namespace backflow
