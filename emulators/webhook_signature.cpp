// Standard Webhooks signing (see webhook_signature.hpp).
#include "emulators/webhook_signature.hpp"

#include "emulators/emulator_util.hpp"
#include "pipelines/core/crypto.hpp"

namespace backflow::emulators {

result<std::string> signing_key(const std::string& secret) {
  static constexpr std::string_view prefix = "whsec_";
  if (secret.rfind(prefix, 0) != 0)
    return secret;
  auto key = base64_decode(std::string_view(secret).substr(prefix.size()));
  if (!key || key->empty())
    return failure{"the part of the secret after whsec_ must be base64"};
  return *key;
}

std::string sign_webhook(std::string_view key, std::string_view id, std::string_view timestamp,
                         std::string_view body) {
  std::string message;
  message.reserve(id.size() + timestamp.size() + body.size() + 2);
  message.append(id).append(".").append(timestamp).append(".").append(body);
  return "v1," + base64_encode(hmac_sha256(key, message));
}

bool signature_matches(std::string_view key, std::string_view header, std::string_view id,
                       std::string_view timestamp, std::string_view body) {
  const auto expected = sign_webhook(key, id, timestamp, body);
  bool matched = false;
  std::size_t start = 0;
  while (start < header.size()) {
    auto end = header.find(' ', start);
    if (end == std::string_view::npos)
      end = header.size();
    matched |= constant_time_equal(header.substr(start, end - start), expected);
    start = end + 1;
  }
  return matched;
}

}  // namespace backflow::emulators
