// CSV for Salesforce Bulk API 2.0 jobs: uploaded rows into write rows, outcomes into result files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "emulators/salesforce_types.hpp"
#include "pipelines/core/csv.hpp"

namespace backflow::emulators {

/// Turns a parsed upload (header first) into write rows for `op`. CSV semantics: an empty value
/// leaves the field unchanged, `#N/A` sets it to null. Returns the job's errorMessage when the
/// upload cannot be processed at all (no header, duplicate or empty column names, rows of the
/// wrong width, or no external id / Id column); rows of unknown fields fail one by one.
std::optional<std::string> bulk_write_rows(const std::vector<csv_row>& csv, sf_operation op,
                                           const std::string& object, const std::string& ext_field,
                                           const sf_object_rules& rules,
                                           std::vector<sf_write_row>& out);

/// The result file `kind` (successfulResults, failedResults, unprocessedrecords) of a job
/// whose upload parsed into `csv`; `outcomes` is empty when the job processed nothing.
std::string bulk_result_csv(const std::vector<csv_row>& csv,
                            const std::vector<sf_write_result>& outcomes, const std::string& kind,
                            const std::string& line_ending);

}  // namespace backflow::emulators
