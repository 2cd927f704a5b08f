// JSON Web Tokens signed with RS256 over OpenSSL (see jwt.hpp).
#include "pipelines/core/jwt.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pipelines/core/crypto.hpp"

namespace backflow {
namespace {

std::shared_ptr<void> own(EVP_PKEY* key) {
  return std::shared_ptr<void>(key, [](void* k) { EVP_PKEY_free(static_cast<EVP_PKEY*>(k)); });
}

std::string fingerprint_of(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  if (len <= 0)
    return {};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_Digest(der, static_cast<size_t>(len), digest, &digest_len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  return "SHA256:" +
         base64_encode(std::string_view(reinterpret_cast<const char*>(digest), digest_len));
}

int passphrase_callback(char* buf, int size, int, void* user) {
  const auto* pass = static_cast<const std::string*>(user);
  int n = static_cast<int>(std::min<size_t>(pass->size(), static_cast<size_t>(size)));
  std::copy(pass->data(), pass->data() + n, buf);
  return n;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out = base64_encode(bytes);
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  for (auto& c : out)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

result<std::string> base64url_decode(std::string_view text) {
  std::string standard(text);
  for (auto& c : standard)
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (standard.size() % 4 != 0)
    standard.push_back('=');
  auto decoded = base64_decode(standard);
  if (!decoded)
    return failure{"not base64url"};
  return *decoded;
}

result<rsa_private_key> rsa_private_key::from_pem(std::string_view pem,
                                                  const std::string& passphrase) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  std::string pass = passphrase;
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, passphrase_callback, &pass);
  BIO_free(bio);
  if (key == nullptr)
    return failure{passphrase.empty()
                       ? "not a PEM private key (or it is encrypted and no passphrase was given)"
                       : "not a PEM private key, or the passphrase does not decrypt it"};
  if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
    EVP_PKEY_free(key);
    return failure{"not an RSA key; RS256 needs one"};
  }
  rsa_private_key out;
  out.key_ = own(key);
  return out;
}

result<std::string> rsa_private_key::sign(std::string_view data) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string signature;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr,
                               static_cast<EVP_PKEY*>(key_.get())) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len,
                           reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  if (ok) {
    signature.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &len,
                        reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
    signature.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok)
    return failure{"RS256 signing failed"};
  return signature;
}

std::string rsa_private_key::public_key_fingerprint() const {
  return fingerprint_of(static_cast<EVP_PKEY*>(key_.get()));
}

result<rsa_public_key> rsa_public_key::from_pem(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr)
    return failure{"not a PEM public key (BEGIN PUBLIC KEY)"};
  rsa_public_key out;
  out.key_ = own(key);
  return out;
}

bool rsa_public_key::verify(std::string_view data, std::string_view signature) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr,
                                 static_cast<EVP_PKEY*>(key_.get())) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                             data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string rsa_public_key::fingerprint() const {
  return fingerprint_of(static_cast<EVP_PKEY*>(key_.get()));
}

result<std::string> make_rs256_jwt(const nlohmann::json& claims, const rsa_private_key& key) {
  std::string signing_input = base64url_encode(R"({"alg":"RS256","typ":"JWT"})") + "." +
                              base64url_encode(claims.dump());
  auto signature = key.sign(signing_input);
  if (!signature)
    return signature.error();
  return signing_input + "." + base64url_encode(*signature);
}

result<nlohmann::json> verify_rs256_jwt(std::string_view token, const rsa_public_key& key) {
  size_t first = token.find('.');
  size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return failure{"not a JWT (three base64url parts separated by dots)"};
  auto header = base64url_decode(token.substr(0, first));
  auto claims = base64url_decode(token.substr(first + 1, second - first - 1));
  auto signature = base64url_decode(token.substr(second + 1));
  if (!header || !claims || !signature)
    return failure{"a JWT part is not base64url"};
  auto header_json = nlohmann::json::parse(*header, nullptr, false);
  if (!header_json.is_object() || header_json.value("alg", "") != "RS256")
    return failure{"the JWT header does not say alg RS256"};
  if (!key.verify(token.substr(0, second), *signature))
    return failure{"the JWT signature does not verify against the public key"};
  auto claims_json = nlohmann::json::parse(*claims, nullptr, false);
  if (!claims_json.is_object())
    return failure{"the JWT claims are not a JSON object"};
  return claims_json;
}

}  // namespace backflow
