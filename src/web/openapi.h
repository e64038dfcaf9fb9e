#pragma once

#include <string_view>

#include "web/embedded.h"

namespace rectrack::web {

// The OpenAPI 3.1 description of the JSON API (web/openapi.json).
inline std::string_view OpenApiJson() { return EmbeddedFile("openapi.json"); }

}  // namespace rectrack::web
