#pragma once

#include <string>
#include <string_view>

#include "web/http.h"

namespace rectrack::web {

// Serves the file at `rel_path` under `root` (web/static/ in the repository):
// 200 with its Content-Type, a strong ETag and Cache-Control; 404 when it is
// missing, is not a regular file, or would lie outside root once "..",
// backslashes and symlinks are taken into account. Thread-safe. File contents
// are cached in memory and re-read when the file's size or mtime changes.
Response ServeStatic(const std::string& root, std::string_view rel_path,
                     std::string_view cache_control = "public, max-age=3600");

// The Content-Type for a file name, by extension ("application/octet-stream" if unknown).
std::string_view ContentTypeFor(std::string_view file_name);

}  // namespace rectrack::web
