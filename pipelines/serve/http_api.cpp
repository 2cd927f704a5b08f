// The HTTP interface of `backflow serve` (see http_api.hpp).
#include "pipelines/serve/http_api.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "pipelines/core/crypto.hpp"
#include "pipelines/core/exception_text.hpp"

namespace backflow {
namespace {

constexpr size_t default_runs_limit = 20;
constexpr size_t max_runs_limit = 1000;
constexpr const char* json_type = "application/json";
constexpr const char* metrics_type = "text/plain; version=0.0.4; charset=utf-8";

std::shared_ptr<spdlog::logger> serve_log() {
  auto log = spdlog::get("serve");
  return log ? log : spdlog::default_logger();
}

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(dump(body), json_type);
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
  reply(res, status, {{"error", message}});
}

/// The Authorization header carries `token` as a bearer credential (scheme case-insensitive).
bool bearer_matches(const httplib::Request& req, const std::string& token) {
  const std::string header = req.get_header_value("Authorization");
  constexpr size_t scheme_length = 7;  // "Bearer "
  if (header.size() < scheme_length)
    return false;
  std::string scheme = header.substr(0, scheme_length);
  for (auto& c : scheme)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scheme == "bearer " && constant_time_equals(header.substr(scheme_length), token);
}

/// limit=N of GET /syncs/{name}/runs; 0 when malformed or out of range.
size_t runs_limit(const httplib::Request& req) {
  if (!req.has_param("limit"))
    return default_runs_limit;
  const std::string text = req.get_param_value("limit");
  size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max_runs_limit)
    return 0;
  return value;
}

}  // namespace

result<listen_address> listen_address::parse(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return failure{"invalid listen address \"" + text + "\": " + why};
  };
  listen_address out;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return bad("expected [ipv6]:port");
    out.host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos)
      return bad("expected host:port, e.g. 127.0.0.1:8484");
    out.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (out.host.find(':') != std::string::npos)
      return bad("write IPv6 addresses in brackets, e.g. [::1]:8484");
  }
  if (out.host.empty())
    return bad("no host (use 127.0.0.1 for this machine only)");
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), out.port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      out.port < 0 || out.port > 65535)
    return bad("port must be a number from 0 to 65535");
  return out;
}

bool listen_address::is_loopback() const {
  if (host == "localhost" || host == "::1")
    return true;
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

bool constant_time_equals(const std::string& a, const std::string& b) {
  // Comparing digests keeps the time independent of where (and whether) the lengths differ.
  const std::string da = sha256_hex(a);
  const std::string db = sha256_hex(b);
  unsigned char diff = 0;
  for (size_t i = 0; i < da.size(); ++i)
    diff |= static_cast<unsigned char>(da[i] ^ db[i]);
  return diff == 0;
}

http_api::http_api(service_control& service, std::string listen, std::string token)
    : service_(service),
      listen_(std::move(listen)),
      token_(std::move(token)),
      server_(std::make_unique<httplib::Server>()) {
  // A few threads suffice for scrapes and operators; they must not compete with the runs.
  server_->new_task_queue = [] { return new httplib::ThreadPool(4); };
  server_->set_keep_alive_timeout(2);  // idle keep-alive connections would delay stop()
  server_->set_read_timeout(10);
  server_->set_payload_max_length(64 * 1024);
  // httplib's default adds SO_REUSEPORT, which would let a second `backflow serve` share the port
  // silently; SO_REUSEADDR alone still allows a quick restart over TIME_WAIT connections.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  install_routes();
}

http_api::~http_api() { stop(); }

void http_api::install_routes() {
  auto& s = *server_;
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (token_.empty() || req.path == "/healthz" || bearer_matches(req, token_))
      return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Bearer realm=\"backflow\"");
    reply_error(res, 401, "missing or wrong bearer token (Authorization: Bearer <token>)");
    return httplib::Server::HandlerResponse::Handled;
  });
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty())
      return;
    if (res.status == 404)
      reply_error(res, 404, "no route " + req.method + " " + req.path);
    else  // e.g. a POST without Content-Length, which the HTTP library refuses before routing
      reply_error(res, res.status, "cannot read the request " + req.method + " " + req.path +
                                       " (a POST needs a body or Content-Length: 0; curl: -d '')");
  });
  s.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        auto what = exception_text(ep);
        serve_log()->error("HTTP handler failed: method={} path={} error=\"{}\"", req.method,
                           req.path, what);
        reply_error(res, 500, what);
      });

  s.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    const bool healthy = service_.healthy();
    res.status = healthy ? 200 : 503;
    res.set_content(healthy ? "ok\n" : "stopping\n", "text/plain");
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(service_.metrics(), metrics_type);
  });
  s.Get("/syncs", [this](const httplib::Request&, httplib::Response& res) {
    reply(res, 200, service_.syncs());
  });
  s.Get(R"(/syncs/([^/]+)/runs)", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    const size_t limit = runs_limit(req);
    if (limit == 0)
      return reply_error(res, 400, "limit must be a number from 1 to " +
                                       std::to_string(max_runs_limit));
    auto runs = service_.runs(name, limit);
    if (runs.is_null())
      return reply_error(res, 404, no_sync_named(name));
    reply(res, 200, {{"sync", name}, {"runs", std::move(runs)}});
  });

  // POST /syncs/{name}/<verb>: 404 for an unknown sync, 409 when the service says why not.
  const auto action = [this](const char* verb, int ok_status,
                             std::string (service_control::*call)(const std::string&)) {
    return [this, verb, ok_status, call](const httplib::Request& req, httplib::Response& res) {
      const std::string name = req.matches[1];
      if (!service_.has_sync(name))
        return reply_error(res, 404, no_sync_named(name));
      const std::string why_not = (service_.*call)(name);
      if (!why_not.empty())
        return reply_error(res, 409, why_not);
      serve_log()->info("Sync {} over HTTP: sync={} remote={}", verb, name, req.remote_addr);
      reply(res, ok_status, {{"ok", true}});
    };
  };
  s.Post(R"(/syncs/([^/]+)/run)", action("triggered", 202, &service_control::trigger));
  s.Post(R"(/syncs/([^/]+)/pause)", action("paused", 200, &service_control::pause));
  s.Post(R"(/syncs/([^/]+)/resume)", action("resumed", 200, &service_control::resume));
  s.Post(R"(/syncs/([^/]+)/unpause)", action("unpaused", 200, &service_control::unpause));
}

std::string http_api::start() {
  if (thread_.joinable())
    return "the HTTP interface is already running on " + listen_;
  auto address = listen_address::parse(listen_);
  if (!address)
    return address.error().message;
  if (!address->is_loopback() && token_.empty())
    return "refusing to listen on " + listen_ +
           " without a bearer token: anyone who can reach it could trigger and pause syncs; "
           "set a token or listen on 127.0.0.1";
  errno = 0;
  if (address->port == 0) {
    port_ = server_->bind_to_any_port(address->host);
  } else {
    port_ = server_->bind_to_port(address->host, address->port) ? address->port : -1;
  }
  if (port_ <= 0) {
    const int error = errno;
    port_ = 0;
    return "cannot listen on " + listen_ +
           (error != 0 ? std::string(": ") + std::strerror(error) : std::string()) +
           " (is another process using the port, or is the address not on this machine?)";
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib ignores stop() until its accept loop runs; wait so an early stop() is not lost.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server_->is_running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  serve_log()->info("HTTP interface listening: address={} port={} auth={}", listen_, port_,
                    token_.empty() ? "none" : "bearer");
  return "";
}

void http_api::stop() {
  if (!thread_.joinable())
    return;
  server_->stop();
  thread_.join();
}

}  // namespace backflow
