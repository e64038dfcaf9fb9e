#include "ingest/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fmt/format.h"

namespace rectrack {

Result<std::unique_ptr<MappedFile>> MappedFile::Open(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Fail(Error::Io(fmt::format("{}: no such file", path)));
  if (S_ISDIR(st.st_mode)) return Fail(Error::Io(fmt::format("{}: is a directory", path)));
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(Error::Io(fmt::format("{}: cannot be read", path)));
  if (fstat(fd, &st) != 0) {
    close(fd);
    return Fail(Error::Io(fmt::format("{}: cannot be read", path)));
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size == 0) {  // mmap refuses empty mappings
    close(fd);
    return std::unique_ptr<MappedFile>(new MappedFile("", 0));
  }
  void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);  // the mapping keeps the file open
  if (p == MAP_FAILED) return Fail(Error::Io(fmt::format("{}: cannot be read", path)));
  madvise(p, size, MADV_SEQUENTIAL);
  return std::unique_ptr<MappedFile>(new MappedFile(static_cast<const char*>(p), size));
}

MappedFile::~MappedFile() {
  if (size_ > 0) munmap(const_cast<char*>(data_), size_);
}

void MappedFile::Release(size_t offset) {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t end = std::min(offset, size_) / page * page;
  if (end <= released_) return;
  madvise(const_cast<char*>(data_) + released_, end - released_, MADV_DONTNEED);
  released_ = end;
}

}  // namespace rectrack
