#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rectrack {

// A file mapped read-only into memory, so that a big input is parsed in place
// without a copy. Pages already parsed can be let go (Release): resident memory
// then follows what is in flight, not the file's size. The file must not be
// truncated while mapped.
class MappedFile {
 public:
  // Errors, worded as for any input: "PATH: no such file", "PATH: is a
  // directory", "PATH: cannot be read".
  static Result<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view data() const { return {data_, size_}; }
  // Drops the whole pages before `offset` from this process's memory; reading
  // them again reads the file again. Offsets may only grow.
  void Release(size_t offset);

 private:
  MappedFile(const char* data, size_t size) : data_(data), size_(size) {}
  const char* data_;
  size_t size_;
  size_t released_ = 0;
};

}  // namespace rectrack
