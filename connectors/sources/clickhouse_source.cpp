// A ClickHouse warehouse read over HTTP as TabSeparatedWithNamesAndTypes (see clickhouse_source.hpp).
#include "connectors/sources/clickhouse_source.hpp"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "connectors/sources/clickhouse_http.hpp"
#include "connectors/sources/clickhouse_values.hpp"
#include "connectors/sources/clickhouse_window.hpp"
#include "connectors/sources/registry.hpp"
#include "connectors/sources/source_text.hpp"
#include "connectors/sources/source_retry.hpp"
#include "pipelines/delivery/retry_policy.hpp"

namespace backflow {
namespace {

constexpr std::string_view result_format = "\nFORMAT TabSeparatedWithNamesAndTypes";

/// "backflow-" and 32 random hex digits: names this run's query for KILL QUERY.
std::string new_query_id() {
  std::random_device random;
  std::string id = "backflow-";
  for (int i = 0; i < 4; ++i) {
    char part[9];
    std::snprintf(part, sizeof part, "%08x", static_cast<unsigned>(random()));
    id += part;
  }
  return id;
}

result<std::string> ch_model_query(const source_spec& spec) {
  std::string_view query = strip_query_terminator(spec.query);
  if (query.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return failure{"source.query: is empty; give the SELECT that returns the model's rows"};
  return ch_bind_window(std::string(query), spec.params);  // an incremental read's bound
}

void split_tabs(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  size_t start = 0;
  for (size_t tab = line.find('\t'); tab != std::string_view::npos; tab = line.find('\t', start)) {
    fields.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
  fields.push_back(line.substr(start));
}

bool uses_server_zone(const ch_type& t) {
  if (t.kind == ch_kind::array)
    return uses_server_zone(*t.element);
  return t.kind == ch_kind::date_time && t.zone.empty();
}

/// The zones DateTime columns print in: the server's is asked only when a column needs it.
result<ch_zones> zones_for(const ch_endpoint& endpoint, const std::vector<ch_type>& types) {
  bool needed = false;
  for (const auto& t : types)
    needed = needed || uses_server_zone(t);
  if (!needed)
    return ch_zones();
  auto answer = ch_short_query(endpoint, "SELECT timezone() FORMAT TabSeparated");
  if (!answer)
    return answer.error();
  std::string name = one_line(*answer);
  while (!name.empty() && name.back() == ' ')
    name.pop_back();
  auto zone = time_zone::load(name);
  if (!zone)
    return failure{"source: ClickHouse's time zone \"" + name +
                   "\" is not known here (is tzdata installed?): " + zone.error().message};
  return ch_zones(std::move(*zone));
}

/// Streams the rows after the two header lines; see fetch() for how a failed end is caught.
class clickhouse_cursor final : public source_cursor {
 public:
  clickhouse_cursor(ch_endpoint endpoint, std::unique_ptr<ch_stream> stream, std::string query_id,
                    schema cols, std::vector<ch_type> types, ch_zones zones, size_t pos)
      : endpoint_(std::move(endpoint)), stream_(std::move(stream)),
        query_id_(std::move(query_id)), columns_(std::move(cols)), types_(std::move(types)),
        zones_(std::move(zones)), pos_(pos) {}

  ~clickhouse_cursor() override {
    if (!stream_ || stream_->done())
      return;
    stream_.reset();  // closes the connection
    // Closing alone leaves the query running until it next writes; kill it now.
    (void)ch_short_query(endpoint_, "KILL QUERY WHERE query_id = '" + query_id_ + "' ASYNC",
                         false);
  }

  [[nodiscard]] const schema& columns() const override { return columns_; }

  result<size_t> fetch(packed_rows& out, size_t max_rows) override {
    if (!error_.empty())
      return failure{error_};
    const size_t bytes_before = out.bytes.size();
    const size_t rows_before = out.ends.size();
    size_t fetched = 0;
    while (fetched < max_rows && stream_) {
      std::string_view line;
      bool last = false;
      status st = next_line(line, last) ? write_row(out, line, last) : finish();
      if (!st) {
        error_ = st.error().message;
        out.bytes.resize(bytes_before);
        out.ends.resize(rows_before);
        stream_.reset();
        return failure{error_};
      }
      if (!line.data())
        break;
      ++fetched;
    }
    return fetched;
  }

 private:
  /// The next whole line. A line is handed out only once more bytes follow it or the answer
  /// has ended, so the last line is known to be last: that is where ClickHouse writes an
  /// exception that happens after the 200 and the first rows were sent.
  bool next_line(std::string_view& line, bool& last) {
    line = {};
    std::string& buffer = stream_->buffer();
    for (;;) {
      size_t newline = buffer.find('\n', pos_);
      if (newline != std::string::npos && (newline + 1 < buffer.size() || stream_->done())) {
        line = std::string_view(buffer).substr(pos_, newline - pos_);
        last = stream_->done() && newline + 1 == buffer.size();
        pos_ = newline + 1;
        return true;
      }
      if (stream_->done())
        return false;
      buffer.erase(0, pos_);
      pos_ = 0;
      stream_->pump();
    }
  }

  status write_row(packed_rows& out, std::string_view line, bool last) {
    if (last)
      if (auto e = parse_ch_error(line))
        return broke_off(line);
    split_tabs(line, fields_);
    if (fields_.size() != types_.size())
      return line.find("Code: ") != std::string_view::npos ? broke_off(line.substr(line.find("Code: ")))
                                                           : unreadable(line);
    const size_t start = out.bytes.size();
    row_writer writer(out.bytes);
    for (size_t c = 0; c < types_.size(); ++c) {
      if (!write_ch_field(writer, types_[c], fields_[c], zones_, scratch_)) {
        out.bytes.resize(start);
        return failure{"source.query: column \"" + columns_[c].name + "\" of row " +
                       std::to_string(rows_ + 1) + ": ClickHouse value \"" +
                       std::string(fields_[c].substr(0, 80)) + "\" is not what its type prints"};
      }
    }
    out.finish_row();
    ++rows_;
    return {};
  }

  /// The answer ended: fine only after a whole last line and a transfer that completed.
  status finish() {
    const std::string& buffer = stream_->buffer();
    std::string_view rest = std::string_view(buffer).substr(pos_);
    if (!stream_->transport_error().empty())
      return failure{endpoint_.redacted("source: the ClickHouse answer broke off after " +
                                        std::to_string(rows_) + " rows: " +
                                        stream_->transport_error())};
    if (!rest.empty()) {
      size_t code = rest.find("Code: ");
      return code != std::string_view::npos ? broke_off(rest.substr(code)) : unreadable(rest);
    }
    stream_.reset();
    return {};
  }

  failure broke_off(std::string_view error_text) {
    failure f = ch_failure(endpoint_, 200, error_text, "");
    f.message += " (the query failed after " + std::to_string(rows_) +
                 " rows had been sent; the read fails rather than end short)";
    return f;
  }

  failure unreadable(std::string_view line) {
    return failure{endpoint_.redacted(
        "source: unexpected ClickHouse answer after row " + std::to_string(rows_) + ": \"" +
        std::string(line.substr(0, 120)) + "\" is not a row of " +
        std::to_string(types_.size()) + " tab-separated fields")};
  }

  ch_endpoint endpoint_;
  std::unique_ptr<ch_stream> stream_;  // null once read to the end or failed
  std::string query_id_;
  schema columns_;
  std::vector<ch_type> types_;
  ch_zones zones_;
  size_t pos_;  // where the unread part of the stream's buffer starts
  size_t rows_ = 0;
  std::vector<std::string_view> fields_;
  std::string scratch_;
  std::string error_;
};

/// Reads the two header lines (names, then types) of an answer that has started.
result<std::pair<schema, std::vector<ch_type>>> read_header(std::string_view names_line,
                                                            std::string_view types_line) {
  std::vector<std::string_view> names;
  std::vector<std::string_view> type_names;
  split_tabs(names_line, names);
  split_tabs(types_line, type_names);
  if (names.size() != type_names.size())
    return failure{"source: unexpected ClickHouse answer: " + std::to_string(names.size()) +
                   " column names but " + std::to_string(type_names.size()) + " types"};
  schema cols;
  std::vector<ch_type> types;
  std::string name;
  for (size_t i = 0; i < names.size(); ++i) {
    unescape_tsv(names[i], name);
    types.push_back(parse_ch_type(type_names[i]));
    cols.push_back(column{name, ch_column_kind(types.back())});
  }
  if (auto unique = check_unique_columns(cols); !unique)
    return unique.error();
  return std::make_pair(std::move(cols), std::move(types));
}

/// Starts the query and waits for its header; the failure says whether a retry may help.
result<std::unique_ptr<source_cursor>> start_read(const ch_endpoint& endpoint,
                                                  const std::string& query) {
  std::string query_id = new_query_id();
  auto stream = std::make_unique<ch_stream>(endpoint, query + std::string(result_format), query_id);
  std::string& buffer = stream->buffer();
  size_t first = std::string::npos;
  size_t second = std::string::npos;
  while (second == std::string::npos) {
    if (stream->status() != 0 && stream->status() != 200 && !stream->done()) {
      stream->pump();  // an error answer is short: read it whole
      continue;
    }
    first = buffer.find('\n');
    second = first == std::string::npos ? first : buffer.find('\n', first + 1);
    if (second != std::string::npos)
      break;
    if (stream->done())
      return ch_failure(endpoint, stream->status(), buffer, stream->transport_error());
    stream->pump();
  }
  if (stream->status() != 200)
    return ch_failure(endpoint, stream->status(), buffer, stream->transport_error());
  auto header = read_header(std::string_view(buffer).substr(0, first),
                            std::string_view(buffer).substr(first + 1, second - first - 1));
  if (!header)
    return header.error();
  auto zones = zones_for(endpoint, header->second);
  if (!zones)
    return zones.error();
  return std::unique_ptr<source_cursor>(std::make_unique<clickhouse_cursor>(
      endpoint, std::move(stream), std::move(query_id), std::move(header->first),
      std::move(header->second), std::move(*zones), second + 1));
}

std::string clickhouse_location(const source_spec& spec) {
  std::string url = spec.string_option("url");
  if (size_t scheme = url.find("://"); scheme != std::string::npos)
    if (size_t at = url.find('@', scheme); at != std::string::npos && url.find('/', scheme + 3) > at)
      url.erase(scheme + 3, at + 1 - (scheme + 3));  // no user info
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  auto database = spec.string_option("database");
  return "clickhouse:" + url + "/" + (database.empty() ? "(default)" : database);
}

void check_options(const nlohmann::json& options, const std::string& path, config_errors& errors) {
  auto url = options.find("url");
  if (url != options.end() && url->is_string()) {
    auto text = url->get<std::string>();
    size_t scheme = text.find("://");
    if (scheme != std::string::npos && text.find('@', scheme) != std::string::npos)
      errors.add(join_path(path, "url"), "holds a user or password; give them as user and password");
  }
  auto settings = options.find("settings");
  if (settings == options.end() || settings->is_null())
    return;
  if (!settings->is_object()) {
    errors.add(join_path(path, "settings"), "must be an object of ClickHouse settings");
    return;
  }
  for (const auto& [key, value] : settings->items())
    if (!value.is_string() && !value.is_number() && !value.is_boolean())
      errors.add(join_path(join_path(path, "settings"), key), "must be a string, number or boolean");
}

}  // namespace

result<std::unique_ptr<source_cursor>> open_clickhouse_source(const source_spec& spec) {
  auto query = ch_model_query(spec);
  if (!query)
    return query.error();
  const ch_endpoint endpoint = ch_endpoint::of(spec);
  return retry_transient<std::unique_ptr<source_cursor>>(
      retry_policy{}, [&] { return start_read(endpoint, *query); }, is_transient_ch_failure);
}

result<schema> describe_clickhouse_source(const source_spec& spec) {
  auto query = ch_model_query(spec);
  if (!query)
    return query.error();
  const ch_endpoint endpoint = ch_endpoint::of(spec);
  auto answer =
      ch_short_query(endpoint, "DESCRIBE TABLE (" + *query + "\n) FORMAT TabSeparated");
  if (!answer)
    return answer.error();
  schema cols;
  std::vector<std::string_view> fields;
  std::string name;
  std::string_view rest = *answer;
  while (!rest.empty()) {
    size_t newline = rest.find('\n');
    split_tabs(rest.substr(0, newline), fields);
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    if (fields.size() < 2)
      return failure{"source: unexpected ClickHouse DESCRIBE answer: " + std::string(fields[0])};
    unescape_tsv(fields[0], name);
    cols.push_back(column{name, ch_column_kind(parse_ch_type(fields[1]))});
  }
  if (cols.empty())
    return failure{"source.query: returns no columns; a model is a SELECT"};
  if (auto unique = check_unique_columns(cols); !unique)
    return unique.error();
  return cols;
}

source_type clickhouse_source_type() {
  source_type t;
  t.name = "clickhouse";
  t.summary = "a ClickHouse server over its HTTP interface, streamed with a killable query id";
  t.options = {
    option("url", option_type::url, "HTTP interface, e.g. \"http://127.0.0.1:8123\"").mandatory(),
    option("user", option_type::string, "user name (X-ClickHouse-User)").defaults_to("default"),
    option("password", option_type::string, "password (X-ClickHouse-Key), e.g. \"${CH_PASSWORD}\"")
        .secret_value().defaults_to(""),
    option("database", option_type::string, "database for unqualified table names")
        .defaults_to(""),
    option("settings", option_type::custom,
           "an object of ClickHouse settings (string, number or boolean values) sent with "
           "each query as URL parameters, e.g. {\"max_threads\": 4}"),
    option("compression", option_type::boolean,
           "gzip the answer (enable_http_compression); default: on, off for a loopback url"),
  };
  t.open = open_clickhouse_source;
  t.describe = describe_clickhouse_source;
  t.check = check_options;
  t.location = clickhouse_location;
  t.window_query = ch_window_query;
  t.key_query = ch_key_query;
  t.config_problem_options = {"url", "password", "database"};
  return t;
}

}  // namespace backflow
