#pragma once

#include <string>

#include "core/result.h"

namespace rectrack::cli {

// GETs `url` (http or https, redirects not followed) with a time limit and a
// size limit; the body of a 200 answer, else an error naming the status.
Result<std::string> HttpGet(const std::string& url, long timeout_seconds = 60,
                            size_t max_bytes = 256u << 20);

}  // namespace rectrack::cli
