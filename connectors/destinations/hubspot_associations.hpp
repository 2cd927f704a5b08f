// HubSpot associations written from model fields: the option, the remembered ids, and the job
// that upserts a batch, finds the other records by their unique property and links them (v4).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/core/option_spec.hpp"
#include "pipelines/delivery/destination.hpp"

namespace backflow {

/// One `associations` entry: the field holding the other record's unique value, and where that
/// record lives. A type id of 0 asks for HubSpot's default (most generic) association.
struct hubspot_association {
  std::string field;           ///< the mapped field (not sent as a property)
  std::string to_object;       ///< e.g. "companies", "2-12345"
  std::string to_id_property;  ///< the other object's unique property the field's value matches
  int64_t type_id = 0;
  std::string category = "HUBSPOT_DEFINED";
};

/// Reads the validated `associations` option (empty when absent).
std::vector<hubspot_association> parse_associations(const nlohmann::json& options);

/// Reports what is wrong with `associations` (shape, fields the mapping lacks, modes), all at once.
void check_associations(const destination_context& ctx, const std::string& path,
                        config_errors& errors);

/// The HubSpot record id inside a kept destination id ("101" or "101|9001|").
std::string hubspot_record_id(const std::string& dest_id);

/// The other records' ids a kept destination id remembers, one per association ("" for none).
std::vector<std::string> hubspot_associated_ids(const std::string& dest_id, size_t associations);

/// What the connector needs from its destination to run an association job.
struct hubspot_job_context {
  const destination* dest = nullptr;  ///< builds the upsert and reads its answer
  std::string endpoint;
  std::string token;
  std::string object;
  std::vector<hubspot_association> associations;
};

/// Upsert, then per association: batch read of the other records by their unique property,
/// archive of the links a changed field moved away from, and the new links. Delivered records
/// keep "id|other id|..." so the next change knows which link to remove. Nothing is checkpointed:
/// every step is idempotent, so a crash repeats the whole job on the next run.
std::unique_ptr<delivery_job> make_hubspot_association_job(const hubspot_job_context& ctx,
                                                           const delivery_batch& batch);

}  // namespace backflow
