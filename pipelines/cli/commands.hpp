// The CLI's commands; each returns the process exit code.
#pragma once

#include "pipelines/cli/cli_args.hpp"

namespace backflow {

int cmd_validate(const cli_args& args);
int cmd_describe(const cli_args& args);
int cmd_plan(const cli_args& args);
int cmd_run(const cli_args& args);
int cmd_status(const cli_args& args);
int cmd_runs(const cli_args& args);
int cmd_reset(const cli_args& args);
/// Lists the records the destination rejected, with their reasons.
int cmd_rejects(const cli_args& args);
/// One run that also sends every rejected record again, changed or not.
int cmd_retry(const cli_args& args);
/// Lifts a pause a destination asked for (a sync's account, or an account named directly).
int cmd_unpause(const cli_args& args);
/// Runs every sync of a directory on its schedule, with an HTTP interface, until stopped.
int cmd_serve(const cli_args& args);
/// Applies a reviewed plan file (`plan --out`): exactly its records, or a refusal (exit 3)
/// naming what moved since.
int cmd_apply(const cli_args& args);
/// dbt helpers: `dbt exposures` writes the syncs of dbt models as dbt exposures.
int cmd_dbt(const cli_args& args);

/// Reads back synced records from the destination and reports drift; --repair marks it for
/// resend by the next run.
int cmd_verify(const cli_args& args);

/// Exit code for usage and configuration errors.
constexpr int exit_usage = 2;

}  // namespace backflow
