// Connecting to MySQL or MariaDB, and the server's errors as failures (see mysql_connection.hpp).
#include "connectors/sources/mysql_connection.hpp"

#include <errmsg.h>
#include <mysqld_error.h>

#include <charconv>
#include <string_view>
#include <utility>

#include "connectors/sources/source_text.hpp"

namespace backflow {
namespace {

/// Decodes %XX escapes of a URL part; false on a malformed escape.
bool decode_url_part(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    unsigned int v = 0;
    if (i + 2 >= in.size())
      return false;
    auto [end, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16);
    if (ec != std::errc() || end != in.data() + i + 3)
      return false;
    out += static_cast<char>(v);
    i += 2;
  }
  return true;
}

/// mysql://[user[:password]@]host[:port][/database]: the URL's parts into `p`.
status parse_mysql_url(std::string_view url, mysql_params& p) {
  const failure bad{"source.url: not a MySQL URL; expected "
                    "mysql://user:password@host:port/database"};
  std::string_view rest;
  for (std::string_view scheme : {"mysql://", "mariadb://"})
    if (url.substr(0, scheme.size()) == scheme)
      rest = url.substr(scheme.size());
  if (rest.empty() || rest.find('?') != std::string_view::npos)
    return bad;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view info = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = info.find(':');
    if (!decode_url_part(info.substr(0, colon), p.user) ||
        (colon != std::string_view::npos && !decode_url_part(info.substr(colon + 1), p.password)))
      return bad;
  }
  std::string_view authority = rest.substr(0, rest.find('/'));
  if (rest.size() > authority.size() && !decode_url_part(rest.substr(authority.size() + 1), p.database))
    return bad;
  if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    auto port = authority.substr(colon + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p.port);
    if (ec != std::errc() || end != port.data() + port.size() || p.port == 0 || p.port > 65535)
      return bad;
    authority = authority.substr(0, colon);
  }
  if (authority.empty())
    return bad;
  p.host = std::string(authority);
  return {};
}

std::string without_password(std::string_view message, const mysql_params& p) {
  std::vector<std::string> secrets;
  if (!p.password.empty())
    secrets.push_back(p.password);
  return redact_secrets(one_line(message), "", secrets);
}

/// "NAME (code): message" of the connection's last error.
std::string coded_error(MYSQL* conn, const mysql_params& p) {
  unsigned int code = mysql_errno(conn);
  return std::string(mysql_error_name(code)) + " (" + std::to_string(code) +
         "): " + without_password(mysql_error(conn), p);
}

bool is_lost_connection(unsigned int code) {
  switch (code) {
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case ER_QUERY_INTERRUPTED:  // the query was killed (KILL QUERY, a server shutting down)
    case ER_CONNECTION_KILLED:
    case ER_SERVER_SHUTDOWN:
    case ER_NET_READ_ERROR:
    case ER_NET_READ_INTERRUPTED:
    case ER_NET_ERROR_ON_WRITE:
    case ER_NET_WRITE_INTERRUPTED:
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_DEADLOCK:
    case ER_CON_COUNT_ERROR:
    case ER_OUT_OF_RESOURCES:
      return true;
    default:
      return false;
  }
}

}  // namespace

const char* mysql_error_name(unsigned int code) {
  switch (code) {
    case ER_PARSE_ERROR: return "ER_PARSE_ERROR";
    case ER_NO_SUCH_TABLE: return "ER_NO_SUCH_TABLE";
    case ER_BAD_FIELD_ERROR: return "ER_BAD_FIELD_ERROR";
    case ER_BAD_DB_ERROR: return "ER_BAD_DB_ERROR";
    case ER_NO_DB_ERROR: return "ER_NO_DB_ERROR";
    case ER_NON_UNIQ_ERROR: return "ER_NON_UNIQ_ERROR";
    case ER_ACCESS_DENIED_ERROR: return "ER_ACCESS_DENIED_ERROR";
    case ER_DBACCESS_DENIED_ERROR: return "ER_DBACCESS_DENIED_ERROR";
    case ER_TABLEACCESS_DENIED_ERROR: return "ER_TABLEACCESS_DENIED_ERROR";
    case ER_COLUMNACCESS_DENIED_ERROR: return "ER_COLUMNACCESS_DENIED_ERROR";
    case ER_SUBQUERY_NO_1_ROW: return "ER_SUBQUERY_NO_1_ROW";
    case ER_DIVISION_BY_ZERO: return "ER_DIVISION_BY_ZERO";
    case ER_TRUNCATED_WRONG_VALUE: return "ER_TRUNCATED_WRONG_VALUE";
    case ER_DATA_OUT_OF_RANGE: return "ER_DATA_OUT_OF_RANGE";
    case ER_SP_DOES_NOT_EXIST: return "ER_SP_DOES_NOT_EXIST";
    case ER_QUERY_INTERRUPTED: return "ER_QUERY_INTERRUPTED";
    case ER_CONNECTION_KILLED: return "ER_CONNECTION_KILLED";
    case ER_SERVER_SHUTDOWN: return "ER_SERVER_SHUTDOWN";
    case ER_LOCK_WAIT_TIMEOUT: return "ER_LOCK_WAIT_TIMEOUT";
    case ER_LOCK_DEADLOCK: return "ER_LOCK_DEADLOCK";
    case ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION: return "ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION";
    case ER_CON_COUNT_ERROR: return "ER_CON_COUNT_ERROR";
    case CR_CONNECTION_ERROR: return "CR_CONNECTION_ERROR";
    case CR_CONN_HOST_ERROR: return "CR_CONN_HOST_ERROR";
    case CR_UNKNOWN_HOST: return "CR_UNKNOWN_HOST";
    case CR_SERVER_GONE_ERROR: return "CR_SERVER_GONE_ERROR";
    case CR_SERVER_LOST: return "CR_SERVER_LOST";
    case CR_SSL_CONNECTION_ERROR: return "CR_SSL_CONNECTION_ERROR";
    default: return "error";
  }
}

result<mysql_params> mysql_params_of(const source_spec& spec) {
  mysql_params p;
  if (auto url = spec.string_option("url"); !url.empty()) {
    if (auto parsed = parse_mysql_url(url, p); !parsed)
      return parsed.error();
  } else {
    if (auto host = spec.string_option("host"); !host.empty())
      p.host = host;
    if (auto it = spec.options.find("port"); it != spec.options.end() && it->is_number_integer())
      p.port = it->get<unsigned int>();
    p.user = spec.string_option("user");
    p.password = spec.string_option("password");
    p.database = spec.string_option("database");
  }
  if (auto tls = spec.string_option("tls"); !tls.empty())
    p.tls = tls;
  p.tls_ca = spec.string_option("tls_ca");
  return p;
}

result<mysql_ptr> mysql_connect(const mysql_params& p) {
  mysql_ptr conn(mysql_init(nullptr));
  if (!conn)
    return failure{"source: cannot connect to MySQL: out of memory"};
  unsigned int timeout = 10;
  mysql_options(conn.get(), MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(conn.get(), MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // No MYSQL_READ_DEFAULT_FILE/GROUP: Connector/C then reads no option file (my.cnf).
  if (p.tls != "off") {
    my_bool on = 1;
    mysql_options(conn.get(), MYSQL_OPT_SSL_ENFORCE, &on);
    my_bool verify = p.tls == "verify_identity" ? 1 : 0;
    mysql_options(conn.get(), MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
    if (!p.tls_ca.empty())
      mysql_options(conn.get(), MYSQL_OPT_SSL_CA, p.tls_ca.c_str());
  }
  if (mysql_real_connect(conn.get(), p.host.c_str(), p.user.c_str(), p.password.c_str(),
                         p.database.empty() ? nullptr : p.database.c_str(), p.port, nullptr,
                         0) == nullptr) {
    unsigned int code = mysql_errno(conn.get());
    std::string why = coded_error(conn.get(), p);
    if (code == ER_ACCESS_DENIED_ERROR || code == ER_DBACCESS_DENIED_ERROR)
      return failure{"source.user: MySQL refused the login: " + why};
    if (code == ER_BAD_DB_ERROR)
      return failure{"source.database: " + why};
    return failure{"source: cannot connect to MySQL at " + p.host + ":" + std::to_string(p.port) +
                   ": " + why};
  }
  // Connector/C 3.3 was seen to connect in the clear to a server without TLS despite
  // MYSQL_OPT_SSL_ENFORCE: the session itself is checked, before any query is sent.
  if (p.tls != "off" && mysql_get_ssl_cipher(conn.get()) == nullptr)
    return failure{"source.tls: the connection to " + p.host + ":" + std::to_string(p.port) +
                   " is not encrypted (the server offers no TLS?); tls is \"" + p.tls + "\""};
  // TIMESTAMP values are read in UTC; a destination slower than net_write_timeout (60 s by
  // default) would otherwise make the server drop an unbuffered read it waits to send.
  const char* setup = "SET time_zone = '+00:00', net_write_timeout = 3600";
  if (mysql_query(conn.get(), setup) != 0)
    return failure{"source: could not set up the MySQL session: " + coded_error(conn.get(), p)};
  return result<mysql_ptr>(std::move(conn));
}

failure mysql_failure(MYSQL* conn, const mysql_params& p) {
  if (is_lost_connection(mysql_errno(conn)))
    return failure{"source: lost the connection to MySQL: " + coded_error(conn, p)};
  return failure{"source.query: MySQL error " + coded_error(conn, p)};
}

}  // namespace backflow
