// Owning handles for libpq's connection and result, shared by the PostgreSQL and Redshift code.
#pragma once

#include <libpq-fe.h>

#include <memory>

namespace backflow {

/// Closes a libpq connection (PQfinish).
struct pg_conn_closer {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
/// Frees a libpq result (PQclear).
struct pg_result_clearer {
  void operator()(PGresult* res) const { PQclear(res); }
};
/// A libpq connection, closed when dropped.
using pg_conn_ptr = std::unique_ptr<PGconn, pg_conn_closer>;
/// A libpq result, cleared when dropped.
using pg_result = std::unique_ptr<PGresult, pg_result_clearer>;

}  // namespace backflow
