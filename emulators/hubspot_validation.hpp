// Validation of HubSpot batch bodies: a whole batch passes or fails before anything is applied.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulators/hubspot_types.hpp"

namespace backflow::emulators {

/// The largest batch the CRM v3 batch endpoints accept.
inline constexpr std::size_t max_batch_inputs = 100;

/// A parsed batch: its inputs, or the error that rejects all of them.
struct parsed_batch {
  std::vector<write_input> inputs;
  std::size_t received = 0;  ///< entries in the body's "inputs" array, valid or not
  std::optional<batch_error> error;
};

/// Parses and validates a batch body for `kind` on `object` ("contacts" or "companies").
/// `query_id_property` is the ?idProperty= parameter (an input's own idProperty wins).
/// Checks the batch size, required ids, property names against `catalog`, value types, email
/// syntax (contacts) and keys that occur twice; emails are lowercased as HubSpot stores them.
parsed_batch parse_batch(batch_kind kind, const std::string& object, const std::string& body,
                         const std::string& query_id_property, const property_catalog& catalog);

/// Entries in the body's "inputs" array; 0 when the body has none.
std::size_t count_inputs(const std::string& body);

/// True for a syntactically valid email: one '@', a local part, a dotted domain, no spaces.
bool is_valid_email(std::string_view text);

}  // namespace backflow::emulators
