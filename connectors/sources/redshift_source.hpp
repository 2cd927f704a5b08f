// Amazon Redshift, read through the PostgreSQL source's code with what Redshift accepts.
#pragma once

#include <optional>

#include "connectors/sources/postgres_source.hpp"

namespace backflow {

struct source_type;

/// The registry entry: the postgres source's options (`dsn`), with Redshift's defaults.
source_type redshift_source_type();

/// What is sent to Redshift: port 5439 and sslmode=require unless the DSN says otherwise, SETs
/// of documented parameters only, BEGIN READ ONLY, a plain DECLARE, FETCH of at most 1000 rows
/// (docs/connectors/redshift.md lists each with its source).
const pg_dialect& redshift_dialect();

/// The cell kind of a Redshift type OID (SUPER as its JSON text, VARBYTE's hex as bytes);
/// nothing for a type without one (GEOMETRY, GEOGRAPHY, HLLSKETCH, ...).
std::optional<pg_cell> redshift_cell_of(unsigned int type_oid);

}  // namespace backflow
