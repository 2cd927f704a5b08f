// TLS certificates are verified for every host but loopback: a self-signed server proves both.
#include <boost/test/unit_test.hpp>

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <future>
#include <thread>

#include "pipelines/delivery/http_client.hpp"
#include "tests/support/temp_dir.hpp"

using namespace backflow;

namespace {

/// Writes a fresh self-signed certificate for `host` and its key as PEM files in `dir`.
void self_signed(const std::string& host, const std::string& cert_file, const std::string& key_file) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(host.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  FILE* f = std::fopen(cert_file.c_str(), "w");
  PEM_write_X509(f, cert);
  std::fclose(f);
  f = std::fopen(key_file.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
}

/// An HTTPS server with a self-signed certificate on 127.0.0.1, answering "ok".
struct tls_server {
  testing::temp_dir dir;
  std::unique_ptr<httplib::SSLServer> server;
  std::thread thread;
  int port = 0;

  tls_server() {
    self_signed("backflow.test", dir.file("cert.pem"), dir.file("key.pem"));
    server = std::make_unique<httplib::SSLServer>(dir.file("cert.pem").c_str(),
                                                  dir.file("key.pem").c_str());
    server->Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    port = server->bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server->listen_after_bind(); });
    while (!server->is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~tls_server() {
    server->stop();
    thread.join();
  }
};

http_response get_over_tls(const std::string& url, http_client_options options = {}) {
  options.request_timeout = std::chrono::seconds(5);
  http_client client(options);
  std::promise<http_response> answer;
  http_request req;
  req.method = "GET";
  req.url = url;
  client.submit(req, [&](http_response r) { answer.set_value(std::move(r)); });
  return answer.get_future().get();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls_verification)

BOOST_AUTO_TEST_CASE(a_loopback_emulator_with_a_self_signed_certificate_is_reachable) {
  tls_server tls;
  auto r = get_over_tls("https://127.0.0.1:" + std::to_string(tls.port) + "/");
  BOOST_TEST(r.status == 200, r.transport_error);
  BOOST_TEST(r.body == "ok");
}

BOOST_AUTO_TEST_CASE(the_same_server_under_a_host_name_is_refused) {
  tls_server tls;
  // Same address, but the URL names a host: the certificate must be verified, and it fails.
  http_client_options pinned;
  pinned.resolve = {"backflow.test:" + std::to_string(tls.port) + ":127.0.0.1"};
  auto r = get_over_tls("https://backflow.test:" + std::to_string(tls.port) + "/", pinned);
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.transport_error.find("certificate") != std::string::npos, r.transport_error);
}

BOOST_AUTO_TEST_SUITE_END()
