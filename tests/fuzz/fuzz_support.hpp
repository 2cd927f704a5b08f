// Helpers the fuzz targets share: fuzz bytes as HTTP answers, realistic batches, invariant checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/delivery/destination.hpp"

namespace backflow::fuzz {

/// Reports a broken invariant and aborts, so libFuzzer keeps the input as a crash.
void require(bool ok, const char* what);

/// One HTTP answer written as text, like a raw response without the "HTTP/1.1" prefix:
///
///     STATUS [WORD...]          e.g. "207 insert": the status, then words the target reads
///     Name: value               headers, up to the first empty line
///
///     BODY                      everything after the empty line (no empty line: no headers)
///
/// A status below 100 (or none) becomes 100 + its value: transport failures (status 0) never
/// reach a connector's interpret().
struct answer {
  http_response response;
  std::vector<std::string> words;
  [[nodiscard]] bool has(std::string_view word) const;
};

answer parse_answer(std::string_view text);

/// Several answers in one input, separated by lines that are exactly "~~~".
std::vector<std::string_view> split_answers(std::string_view text);

/// The op named by a word (upsert, update, insert, remove), else `fallback`.
delivery_op op_from(const answer& a, delivery_op fallback);

/// A destination built as the engine builds it: options through the type's table, defaults in.
std::unique_ptr<destination> make_destination(const std::string& type, const nlohmann::json& options,
                                              sync_mode mode, std::vector<std::string> mapped = {});

/// Three contacts keyed by email (one upper-cased), fields firstname/pql_score. For remove, the
/// last record has no destination id (never acknowledged).
delivery_batch contact_batch(delivery_op op);

/// Three Meta members with EMAIL, FN, COUNTRY: one full, one email only, one with nothing to
/// match. For remove, the destination ids are the identifier rows they were added with.
delivery_batch meta_batch(delivery_op op);

/// Invariants of every verdict: per-record verdicts cover the batch; waits are not negative.
void check_verdict(const batch_verdict& v, size_t batch_size);

/// Invariants of a rate signal: no negative pause, window or limit.
void check_signal(const rate_signal& s);

}  // namespace backflow::fuzz
