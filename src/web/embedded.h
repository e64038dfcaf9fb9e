#pragma once

#include <string_view>

namespace rectrack::web {

// A file of the repository's web/ folder (templates, static assets, the OpenAPI
// document), compiled into the executable so that it serves without its source
// tree. `name` is the path under web/, e.g. "openapi.json". Empty if unknown.
std::string_view EmbeddedFile(std::string_view name);

}  // namespace rectrack::web
