#pragma once

#include <string_view>
#include <vector>

namespace rectrack::web {

// A file of the repository's web/ folder (templates, static assets, the OpenAPI
// document), compiled into the executable so that it serves without its source
// tree. `name` is the path under web/, e.g. "openapi.json". Empty if unknown.
std::string_view EmbeddedFile(std::string_view name);

// Every embedded file's name, sorted ("openapi.json", "static/rectrack.css",
// "templates/layout.mustache", ...).
const std::vector<std::string_view>& EmbeddedFileNames();

}  // namespace rectrack::web
