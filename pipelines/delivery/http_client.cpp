// Asynchronous HTTP over libcurl's multi interface (see http_client.hpp).
#include "pipelines/delivery/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <curl/curl.h>

namespace backflow {

struct http_client::transfer {
  http_request request;
  http_response response;
  completion done;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::chrono::steady_clock::time_point started;

  ~transfer() {
    if (headers != nullptr)
      curl_slist_free_all(headers);
    if (easy != nullptr)
      curl_easy_cleanup(easy);
  }
};

size_t curl_body_callback(char* data, size_t size, size_t n, void* user) {
  static_cast<http_response*>(user)->body.append(data, size * n);
  return size * n;
}

size_t curl_header_callback(char* data, size_t size, size_t n, void* user) {
  auto* response = static_cast<http_response*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    response->headers.clear();  // a new status line (after 100-continue or a redirect)
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos)
    return size * n;
  auto value = line.substr(colon + 1);
  auto b = value.find_first_not_of(" \t");
  auto e = value.find_last_not_of(" \t\r\n");
  response->headers.push_back({std::string(line.substr(0, colon)),
                               b == std::string_view::npos ? std::string()
                                                           : std::string(value.substr(b, e - b + 1))});
  return size * n;
}

bool is_loopback_url(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return false;
  auto host_begin = scheme_end + 3;
  auto authority_end = url.find_first_of("/?#", host_begin);
  auto authority = url.substr(host_begin, authority_end == std::string::npos
                                              ? std::string::npos
                                              : authority_end - host_begin);
  if (auto at = authority.rfind('@'); at != std::string::npos)
    authority = authority.substr(at + 1);
  if (!authority.empty() && authority.front() == '[')
    return authority.rfind("[::1]", 0) == 0;
  auto host = authority.substr(0, authority.find(':'));
  if (host == "localhost")
    return true;
  // Only a literal IPv4 address in 127.0.0.0/8: "127.example.com" is a name, not loopback.
  in_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1 &&
         (ntohl(address.s_addr) >> 24) == 127;
}

http_client::http_client(http_client_options options) : options_(std::move(options)) {
  auto* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, options_.max_connections_per_host);
  multi_ = multi;
  curl_slist* pins = nullptr;
  for (const auto& pin : options_.resolve)
    pins = curl_slist_append(pins, pin.c_str());
  resolve_ = pins;
  thread_ = std::thread([this] { run(); });
}

http_client::~http_client() {
  stop_ = true;
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
  thread_.join();
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
  curl_slist_free_all(static_cast<curl_slist*>(resolve_));
}

void http_client::submit(http_request request, completion done) {
  auto t = std::make_unique<transfer>();
  t->request = std::move(request);
  t->done = std::move(done);
  {
    std::lock_guard<std::mutex> guard(mutex_);
    pending_.push_back(std::move(t));
  }
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

void http_client::start_pending(void* multi_ptr) {
  auto* multi = static_cast<CURLM*>(multi_ptr);
  std::deque<std::unique_ptr<transfer>> batch;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    batch.swap(pending_);
  }
  for (auto& t : batch) {
    CURL* easy = curl_easy_init();
    t->easy = easy;
    const auto& req = t->request;
    curl_easy_setopt(easy, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (req.method != "GET" && req.method != "HEAD") {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req.body.data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    }
    for (const auto& h : req.headers)
      t->headers = curl_slist_append(t->headers, (h.name + ": " + h.value).c_str());
    t->headers = curl_slist_append(t->headers, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, curl_body_callback);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t->response);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, curl_header_callback);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t->response);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    if (resolve_ != nullptr)
      curl_easy_setopt(easy, CURLOPT_RESOLVE, static_cast<curl_slist*>(resolve_));
    if (is_loopback_url(req.url)) {
      curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(easy, CURLOPT_PRIVATE, t.get());
    t->started = std::chrono::steady_clock::now();
    curl_multi_add_handle(multi, easy);
    active_.insert(t.release());  // owned via active_ until it completes
  }
}

void http_client::run() {
  auto* multi = static_cast<CURLM*>(multi_);
  int running = 0;
  while (!stop_) {
    start_pending(multi);
    curl_multi_perform(multi, &running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      transfer* raw = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &raw);
      std::unique_ptr<transfer> t(raw);
      active_.erase(raw);
      auto code = msg->data.result;
      curl_multi_remove_handle(multi, msg->easy_handle);
      auto& resp = t->response;
      resp.elapsed_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t->started).count();
      if (code == CURLE_OK) {
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &resp.status);
        resp.request_sent = true;
      } else {
        resp.status = 0;
        resp.transport_error = curl_easy_strerror(code);
        long request_bytes = 0;
        curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &request_bytes);
        resp.request_sent = request_bytes > 0;
        resp.headers.clear();
        resp.body.clear();
      }
      t->done(std::move(resp));
    }
    curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  // The client is going away: abandon transfers still running, without calling them back.
  for (auto* t : active_) {
    curl_multi_remove_handle(multi, t->easy);
    delete t;
  }
  active_.clear();
}

}  // namespace backflow
