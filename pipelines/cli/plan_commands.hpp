// `plan --out FILE` and `plan --full`: the whole change set written as a reviewable plan file,
// and listed for review.
#pragma once

#include "pipelines/cli/cli_args.hpp"
#include "pipelines/cli/run_session.hpp"

namespace backflow {

/// Plans `session`'s sync into the plan file --out names (or a temporary one, for --full
/// alone), then prints the counts, or with --full every record (--json: one object whose
/// "records" lists them, streamed from the file). Exit 0 when the file was written, else the
/// plan's status (3 when a guard, a bad model or an interrupted run left no file).
int plan_with_file(const cli_args& args, const run_session& session);

}  // namespace backflow
