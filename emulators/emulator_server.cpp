// The HTTP side every emulator shares (see emulator_server.hpp).
#include "emulators/emulator_server.hpp"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <thread>

#include <spdlog/sinks/stdout_sinks.h>

#include "emulators/emulator_util.hpp"
#include "pipelines/core/exception_text.hpp"

namespace backflow::emulators {
namespace {

constexpr std::string_view control_prefix = "/__emulator/";

void sleep_ms(std::int64_t ms) {
  if (ms > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

void send(httplib::Response& res, api_response& reply) {
  res.status = reply.status;
  std::string content_type = json_content_type;  // unless the emulator answers otherwise (CSV)
  for (auto& header : reply.headers) {
    if (to_lower(header.first) == "content-type")
      content_type = header.second;
    else
      res.headers.insert(std::move(header));
  }
  if (!reply.body.empty())
    res.set_content(std::move(reply.body), content_type);
}

/// Sets a headers-only fault's headers on the emulator's own answer, replacing same-named ones.
void decorate(api_response& reply, const fault& f) {
  for (const auto& [name, value] : f.headers) {
    reply.headers.erase(name);  // httplib::Headers compares names case-insensitively
    reply.headers.emplace(name, value);
  }
}

void send_fault(httplib::Response& res, const fault& f) {
  res.status = f.status;
  std::string content_type = json_content_type;
  for (const auto& [name, value] : f.headers) {
    if (to_lower(name) == "content-type")
      content_type = value;
    else
      res.set_header(name, value);
  }
  if (!f.body.empty())
    res.set_content(f.body, content_type);
}

/// Promises more body than it sends, then gives up: httplib closes the connection short of
/// Content-Length, so the client sees a transport error after the status line and headers.
void break_connection(httplib::Response& res, const fault& f, const api_response& reply) {
  res.status = f.status != 0 ? f.status : 200;
  for (const auto& [name, value] : f.headers)
    res.set_header(name, value);
  std::string partial =
      reply.body.empty() ? R"({"status":")" : reply.body.substr(0, reply.body.size() / 2);
  const std::size_t promised = std::max(reply.body.size(), partial.size() + 64);
  res.set_content_provider(promised, json_content_type,
                           [partial](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                             if (offset == 0 && !partial.empty())
                               sink.write(partial.data(), partial.size());
                             return false;
                           });
}

}  // namespace

emulator_server::emulator_server(emulator& vendor, server_options options)
    : vendor_(vendor),
      options_(std::move(options)),
      logger_(std::make_shared<spdlog::logger>("emulator",
                                               std::make_shared<spdlog::sinks::stderr_sink_mt>())),
      limits_(options_.initial) {
  logger_->set_level(options_.verbose ? spdlog::level::info : spdlog::level::warn);
  const auto threads = std::max<std::size_t>(options_.threads, 2);
  http_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle holds the body back.
  http_.set_tcp_nodelay(true);
  http_.set_keep_alive_max_count(1'000'000);
  http_.set_payload_max_length(64u << 20);
  auto dispatch = [this](const httplib::Request& req, httplib::Response& res) {
    if (req.path.compare(0, control_prefix.size(), control_prefix) == 0)
      handle_control(req, res);
    else
      handle_api(req, res);
  };
  http_.Get(".*", dispatch);
  http_.Post(".*", dispatch);
  http_.Put(".*", dispatch);
  http_.Patch(".*", dispatch);
  http_.Delete(".*", dispatch);
  http_.set_exception_handler(
      [this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        auto what = exception_text(ep);
        logger_->error("Handler failed: method={} path={} error=\"{}\"", req.method, req.path, what);
        reply_json(res, 500, {{"error", "emulator failure: " + what}});
      });
}

int emulator_server::bind() {
  if (options_.port == 0)
    return http_.bind_to_any_port("127.0.0.1");
  return http_.bind_to_port("127.0.0.1", options_.port) ? options_.port : -1;
}

bool emulator_server::serve() {
  const bool ok = http_.listen_after_bind();
  served_ = true;
  return ok;
}

void emulator_server::stop() {
  // httplib ignores stop() until the listener runs; a signal right after startup must not be lost.
  for (int i = 0; i < 2000 && !http_.is_running() && !served_; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  http_.stop();
}

limits emulator_server::current_limits() const {
  std::lock_guard lock(limits_mutex_);
  return limits_;
}

void emulator_server::handle_api(const httplib::Request& req, httplib::Response& res) {
  const auto started = std::chrono::steady_clock::now();
  const auto current = current_limits();
  sleep_ms(current.latency_ms);
  const auto due = faults_.next(req.method, req.path);
  if (due)
    sleep_ms(due->delay_ms);
  api_response reply;
  if (!due || !due->answers() || due->apply)
    reply = vendor_.handle(req, current);
  else
    vendor_.describe(req, reply);
  int logged_status = reply.status;
  if (due && due->drop) {
    break_connection(res, *due, reply);
    logged_status = 0;
  } else if (due && due->answers()) {
    send_fault(res, *due);
    logged_status = due->status;
  } else {
    if (due)
      decorate(reply, *due);
    send(res, reply);
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  if (options_.verbose)
    logger_->info("Request method={} path={} status={} inputs={} ms={:.2f}{}", req.method, req.path,
                  logged_status, reply.inputs, ms, due ? " fault=" + std::to_string(due->id) : "");
  log_.record(reply.endpoint, {req.method, req.path, logged_status, reply.inputs, ms,
                               options_.log_bodies ? req.body : std::string()});
}

void emulator_server::handle_control(const httplib::Request& req, httplib::Response& res) {
  auto name = req.path.substr(control_prefix.size());
  if (!name.empty() && name.back() == '/')
    name.pop_back();
  const bool get = req.method == "GET";
  if (name == "records" && get) {
    res.status = 200;
    res.set_content(vendor_.records_text(req), json_content_type);
    return;
  }
  if (name == "records" && req.method == "PATCH")
    return edit_records(req, res);
  if (name == "requests" && get)
    return reply_json(res, 200, log_.to_json());
  if (name == "health" && get)
    return reply_json(res, 200, {{"ok", true}, {"emulator", vendor_.name()}});
  if (name == "reset" && req.method == "POST") {
    reset();
    return reply_json(res, 200, {{"reset", true}});
  }
  if (name == "limits" && (get || req.method == "POST"))
    return handle_limits(req, res);
  if (name == "faults" && (get || req.method == "POST" || req.method == "DELETE"))
    return handle_faults(req, res);
  if (vendor_.control(name, req, res))
    return;
  reply_json(res, 404, {{"error", "no control endpoint " + req.method + " " + req.path}});
}

void emulator_server::edit_records(const httplib::Request& req, httplib::Response& res) {
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_object())
    body = nlohmann::json::array({body});
  if (!body.is_array())
    return reply_json(res, 400, {{"error", "expected an edit object or an array of them"}});
  nlohmann::json not_found = nlohmann::json::array();
  size_t edited = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    std::string error;
    int status = body[i].is_object() ? vendor_.edit_record(body[i], error) : 400;
    if (status == 404) {
      not_found.push_back(i);
      continue;
    }
    if (status != 200)
      return reply_json(res, status,
                        {{"error", error.empty() ? "edit " + std::to_string(i) + " is not an object"
                                                 : error},
                         {"edited", edited}});
    ++edited;
  }
  reply_json(res, 200, {{"edited", edited}, {"not_found", not_found}});
}

void emulator_server::handle_limits(const httplib::Request& req, httplib::Response& res) {
  std::lock_guard lock(limits_mutex_);
  if (req.method == "POST") {
    auto update = nlohmann::json::parse(req.body, nullptr, false);
    auto next = apply_limits(limits_, update, options_.limit_keys);
    if (!next)
      return reply_json(res, 400, {{"error", next.error().message}});
    limits_ = *next;
  }
  reply_json(res, 200, limits_to_json(limits_, options_.limit_keys));
}

void emulator_server::handle_faults(const httplib::Request& req, httplib::Response& res) {
  if (req.method == "POST") {
    auto parsed = parse_fault(nlohmann::json::parse(req.body, nullptr, false));
    if (!parsed)
      return reply_json(res, 400, {{"error", parsed.error().message}});
    auto id = faults_.push(std::move(*parsed));
    return reply_json(res, 200, {{"id", id}, {"faults", faults_.to_json()}});
  }
  if (req.method == "DELETE")
    faults_.clear();
  reply_json(res, 200, {{"faults", faults_.to_json()}});
}

void emulator_server::reset() {
  faults_.clear();
  log_.clear();
  {
    std::lock_guard lock(limits_mutex_);
    limits_ = options_.initial;
  }
  vendor_.reset();
}

}  // namespace backflow::emulators
