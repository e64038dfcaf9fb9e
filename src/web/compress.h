#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rectrack::web {

// Bodies smaller than this are not worth a gzip header and a CPU's time.
constexpr size_t kMinGzipBytes = 1024;

// `in` gzipped (RFC 1952) at zlib level 5 into `out`; false if zlib fails.
// Reuses one deflate stream per thread.
bool Gzip(std::string_view in, std::string* out);

// Text, JSON, XML, SVG: worth compressing. Images, XLSX and the like are not.
bool IsCompressibleType(std::string_view content_type);

}  // namespace rectrack::web
