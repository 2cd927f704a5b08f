// How write-back reads a libpq command's result, shared by the PostgreSQL and Redshift writers.
#pragma once

#include <libpq-fe.h>

#include <string>

#include "connectors/sources/source_text.hpp"
#include "connectors/sources/warehouse_writer.hpp"

namespace backflow {

/// Success when `res` is a completed command; else "writeback: <engine>: <the server's
/// message>" (the connection's when there is no result), with the DSN's secrets redacted.
inline status pg_write_status(const PGresult* res, PGconn* conn, const std::string& engine,
                              const std::string& dsn) {
  if (res != nullptr && PQresultStatus(res) == PGRES_COMMAND_OK)
    return {};
  const char* primary = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string why = primary != nullptr ? primary : one_line(PQerrorMessage(conn));
  return failure{"writeback: " + engine + ": " + redact_secrets(why, dsn)};
}

}  // namespace backflow
