// Amazon Redshift through the PostgreSQL wire protocol (see redshift_source.hpp).
#include "connectors/sources/redshift_source.hpp"

#include "connectors/sources/registry.hpp"

namespace backflow {

std::optional<pg_cell> redshift_cell_of(unsigned int type_oid) {
  // OIDs as Redshift's JDBC driver names them (com.amazon.redshift.core.Oid).
  switch (type_oid) {
    case 4000:  // SUPER: printed as JSON text
    case 25:    // text
    case 1043:  // varchar
    case 1042:  // bpchar
    case 19:    // name
    case 18:    // "char"
    case 1083:  // time
    case 1266:  // timetz
    case 1186:  // interval
    case 1188:  // interval year to month
    case 1190:  // interval day to second
      return pg_cell::text;
    case 6551:  // VARBYTE: printed as bare hex digits
      return pg_cell::hex_bytes;
    case 16:    // bool
    case 20:    // int8
    case 21:    // int2
    case 23:    // int4
    case 26:    // oid
    case 700:   // float4
    case 701:   // float8
    case 1700:  // numeric
    case 1082:  // date
    case 1114:  // timestamp
    case 1184:  // timestamptz
      return pg_cell_of(type_oid);
    default:  // GEOMETRY 3000, GEOGRAPHY 3001, HLLSKETCH 2935, and any other
      return std::nullopt;
  }
}

const pg_dialect& redshift_dialect() {
  static const pg_dialect d = [] {
    pg_dialect r;
    r.server = "Redshift";
    r.location = "redshift";
    r.default_port = "5439";
    r.connect_defaults = {{"port", "5439"}, {"sslmode", "require"}};
    // Redshift has no bytea_output (VARBYTE always prints as hex) and takes extra_float_digits
    // up to 2 only; 2 prints 17 significant digits, which read back the same double.
    r.session_setup = {"SET timezone TO 'UTC'", "SET datestyle TO 'ISO, YMD'",
                       "SET extra_float_digits TO 2"};
    // Redshift's isolation is serializable or snapshot, set per database; both give a
    // transaction one snapshot, and it maps any ISOLATION LEVEL to SERIALIZABLE.
    r.begin = "BEGIN READ ONLY";
    r.declare_prefix = "DECLARE backflow_cursor CURSOR FOR ";  // no NO SCROLL in its grammar
    r.min_fetch_rows = r.max_fetch_rows = 1000;  // the most a single-node cluster fetches
    r.cell_of = redshift_cell_of;
    return r;
  }();
  return d;
}

source_type redshift_source_type() {
  source_type t = postgres_source_type();
  t.name = "redshift";
  t.summary = "Amazon Redshift (PostgreSQL wire, port 5439, SSL required), read through a cursor "
              "in one read-only transaction";
  t.options.at(0).description =
      "libpq connection string or URI of the cluster's endpoint, e.g. \"${REDSHIFT_DSN}\"";
  t.open = [](const source_spec& spec) { return open_pg_wire_source(spec, redshift_dialect()); };
  t.describe = [](const source_spec& spec) {
    return describe_pg_wire_source(spec, redshift_dialect());
  };
  t.location = [](const source_spec& spec) {
    return pg_wire_location(spec.string_option("dsn"), redshift_dialect());
  };
  return t;
}

}  // namespace backflow
