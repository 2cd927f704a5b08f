// Standard Webhooks signing: the key behind a "whsec_" secret, signing, verifying.
#pragma once

#include <string>
#include <string_view>

#include "pipelines/core/result.hpp"

namespace backflow::emulators {

/// The HMAC key of a signing secret: the base64-decoded part after a "whsec_" prefix, or the
/// secret's own bytes when it has no prefix. Fails on a "whsec_" secret that is not base64.
result<std::string> signing_key(const std::string& secret);

/// The signature entry "v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>".
std::string sign_webhook(std::string_view key, std::string_view id, std::string_view timestamp,
                         std::string_view body);

/// True when any space-separated "v1,..." entry of a webhook-signature header matches.
bool signature_matches(std::string_view key, std::string_view header, std::string_view id,
                       std::string_view timestamp, std::string_view body);

}  // namespace backflow::emulators
