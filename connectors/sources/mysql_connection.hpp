// Connecting to MySQL or MariaDB from a source spec, and the server's errors as failures.
#pragma once

#include <mysql.h>

#include <memory>
#include <string>

#include "connectors/sources/source.hpp"

namespace backflow {

/// Where and as whom to connect: from the `url` option or from host, port, user, password,
/// database. `tls` is "off", "required" or "verify_identity".
struct mysql_params {
  std::string host = "127.0.0.1";
  unsigned int port = 3306;
  std::string user;
  std::string password;
  std::string database;
  std::string tls = "off";
  std::string tls_ca;
};

/// Reads the spec's options; a malformed `url` is a failure naming `source.url`.
result<mysql_params> mysql_params_of(const source_spec& spec);

struct mysql_closer {
  void operator()(MYSQL* conn) const { mysql_close(conn); }
};
using mysql_ptr = std::unique_ptr<MYSQL, mysql_closer>;

/// Connects with utf8mb4 and sets the session up: time_zone '+00:00' (TIMESTAMP read as UTC),
/// a long net_write_timeout (a slow destination may pause the read). Access denied is a
/// failure under `source.user`, an unknown database under `source.database`; the rest
/// (server down, unknown host) is "source: cannot connect ...", which a later run may not meet.
result<mysql_ptr> mysql_connect(const mysql_params& params);

/// The connection's last error as "ER_NO_SUCH_TABLE (1146): Table 'x.y' doesn't exist", the
/// password removed. Lost connections and interrupted queries become "source: lost the
/// connection to MySQL: ..." (transient); other server errors "source.query: MySQL error ...".
failure mysql_failure(MYSQL* conn, const mysql_params& params);

/// "ER_NO_SUCH_TABLE" for the codes a model meets often, else "error"; from mysqld_error.h and
/// errmsg.h (MariaDB Connector/C).
const char* mysql_error_name(unsigned int code);

}  // namespace backflow
