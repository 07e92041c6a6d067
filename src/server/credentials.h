// The access keys `ferry serve` accepts, kept under ROOT/.ferry/credentials.json (mode 0600).
// On first start a random pair is created there unless one is given; later starts reuse it,
// so clients configured once keep working.
#pragma once

#include <optional>
#include <string>

#include "ferry/result.h"
#include "s3/sigv4.h"

namespace ferry::server {

// Returns the stored credentials, creating them when absent. A given pair (from flags or the
// environment) replaces what is stored. *created reports whether a new pair was made.
Result<s3::Credentials> LoadOrCreateCredentials(const std::string& root,
                                                const std::optional<s3::Credentials>& given,
                                                bool* created);

}  // namespace ferry::server
