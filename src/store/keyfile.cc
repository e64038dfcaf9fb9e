#include "store/keyfile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/text.h"
#include "fmt/format.h"

namespace rectrack {

std::string DefaultKeyFile(const std::string& store_path) { return store_path + ".key"; }

std::string KeyFileFor(const std::string& store_path, const KeyOptions& options) {
  if (!options.key_file.empty()) return options.key_file;
  // No file of its own to put the key beside: an in-memory SQLite store, or a
  // PostgreSQL database (whose key file must be named).
  if (store_path.empty() || store_path == ":memory:" || store_path.rfind("file:", 0) == 0 ||
      IsPostgresUrl(store_path))
    return "";
  return DefaultKeyFile(store_path);
}

Result<SigningKeyPair> ReadKeyFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return Fail(Error::NotFound(fmt::format("the key file '{}' does not exist", path)));
    return Fail(Error::Io(fmt::format("the key file '{}': {}", path, std::strerror(errno))));
  }
  if (!S_ISREG(st.st_mode))
    return Fail(Error::Io(fmt::format("the key file '{}' is not a regular file", path)));
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    return Fail(Error::Invalid(fmt::format(
        "the key file '{}' may be read or written by others (mode {:04o}): it holds the "
        "tracker's signing key; chmod 600 it",
        path, st.st_mode & 07777)));
  std::ifstream in(path);
  if (!in) return Fail(Error::Io(fmt::format("the key file '{}' cannot be read", path)));
  std::string line;
  while (std::getline(in, line)) {
    std::string_view l = Trim(line);
    if (l.empty() || l[0] == '#') continue;
    constexpr std::string_view kTag = "ed25519-seed ";
    if (l.substr(0, kTag.size()) != kTag) break;
    auto key = SigningKeyFromSeed(Trim(l.substr(kTag.size())));
    if (!key)
      return Fail(Error::Invalid(fmt::format("the key file '{}' holds no valid key: {}", path,
                                             key.error().message)));
    return key;
  }
  return Fail(Error::Invalid(fmt::format(
      "the key file '{}' holds no key (expected a line 'ed25519-seed' and 64 hex digits)", path)));
}

Status WriteKeyFile(const std::string& path, const SigningKeyPair& key, bool must_be_new) {
  std::string text = fmt::format(
      "# rectrack signing key (Ed25519). Keep it secret and back it up apart from the store:\n"
      "# whoever holds it can sign as the tracker. Public key: {}\n"
      "ed25519-seed {}\n",
      key.public_key_hex, key.seed_hex);
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return Fail(Error::Io(fmt::format("cannot write the key file '{}': {}", tmp, std::strerror(errno))));
  (void)fchmod(fd, 0600);  // whatever the umask or an older file said
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            fsync(fd) == 0;
  int saved = errno;
  close(fd);
  if (!ok) {
    unlink(tmp.c_str());
    return Fail(Error::Io(fmt::format("cannot write the key file '{}': {}", tmp, std::strerror(saved))));
  }
  if (must_be_new) {
    // link() fails if the name exists: no key file is ever overwritten by accident.
    if (link(tmp.c_str(), path.c_str()) != 0) {
      saved = errno;
      unlink(tmp.c_str());
      if (saved == EEXIST)
        return Fail(Error::Conflict(fmt::format("the key file '{}' exists already", path)));
      return Fail(Error::Io(fmt::format("cannot write the key file '{}': {}", path, std::strerror(saved))));
    }
    unlink(tmp.c_str());
  } else if (rename(tmp.c_str(), path.c_str()) != 0) {
    saved = errno;
    unlink(tmp.c_str());
    return Fail(Error::Io(fmt::format("cannot write the key file '{}': {}", path, std::strerror(saved))));
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)fsync(dfd);
    close(dfd);
  }
  return {};
}

Result<SigningKeyPair> LoadKey(const std::string& store_path, const KeyOptions& options) {
  if (!options.seed_hex.empty()) {
    auto key = SigningKeyFromSeed(Trim(options.seed_hex));
    if (!key)
      return Fail(Error::Invalid("RECTRACK_SIGNING_KEY is not a key (64 hex digits expected)"));
    return key;
  }
  std::string file = KeyFileFor(store_path, options);
  if (file.empty())
    return Fail(Error::NotFound(
        "no signing key: give --key-file (or RECTRACK_KEY_FILE, or the seed in "
        "RECTRACK_SIGNING_KEY)"));
  return ReadKeyFile(file);
}

}  // namespace rectrack
