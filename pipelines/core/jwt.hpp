// JSON Web Tokens signed with RS256 (RSA PKCS#1 v1.5, SHA-256) over OpenSSL: make and verify.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pipelines/core/result.hpp"

namespace backflow {

/// base64url without padding (RFC 7515 §2).
std::string base64url_encode(std::string_view bytes);
/// Decodes base64url with or without padding; a failure on a character outside its alphabet.
result<std::string> base64url_decode(std::string_view text);

/// An RSA private key read from PEM (PKCS#8 or PKCS#1, optionally encrypted).
class rsa_private_key {
 public:
  /// Reads `pem`; `passphrase` decrypts an encrypted key. The failure never quotes the key
  /// nor the passphrase.
  static result<rsa_private_key> from_pem(std::string_view pem, const std::string& passphrase = "");

  /// The raw RS256 signature of `data`.
  [[nodiscard]] result<std::string> sign(std::string_view data) const;

  /// "SHA256:" + standard base64 of the SHA-256 of the DER SubjectPublicKeyInfo of its public
  /// half: the fingerprint Snowflake shows as RSA_PUBLIC_KEY_FP.
  [[nodiscard]] std::string public_key_fingerprint() const;

 private:
  std::shared_ptr<void> key_;  // EVP_PKEY
};

/// An RSA public key read from PEM ("BEGIN PUBLIC KEY"), for verifying.
class rsa_public_key {
 public:
  static result<rsa_public_key> from_pem(std::string_view pem);
  /// True when `signature` is the RS256 signature of `data` by the matching private key.
  [[nodiscard]] bool verify(std::string_view data, std::string_view signature) const;
  /// Same form as rsa_private_key::public_key_fingerprint().
  [[nodiscard]] std::string fingerprint() const;

 private:
  std::shared_ptr<void> key_;  // EVP_PKEY
};

/// header.claims.signature with header {"alg":"RS256","typ":"JWT"}.
result<std::string> make_rs256_jwt(const nlohmann::json& claims, const rsa_private_key& key);

/// The claims of `token` when its header says RS256 and `key` verifies its signature; else a
/// failure saying which part is wrong. Expiry is the caller's to check.
result<nlohmann::json> verify_rs256_jwt(std::string_view token, const rsa_public_key& key);

}  // namespace backflow
