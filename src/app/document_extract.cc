#include "app/document_extract.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/service.h"
#include "core/ledger.h"
#include "core/text.h"
#include "fmt/format.h"

namespace rectrack {
namespace {

constexpr size_t kMaxMessage = 16 * 1024;  // of the child's standard error kept

// A private folder, removed with everything in it when this goes.
class TempFolder {
 public:
  static Result<TempFolder> Make() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/rectrack-extract-XXXXXX";
    if (!::mkdtemp(tmpl.data()))
      return Fail(Error::Io(fmt::format("cannot make a temporary folder: {}", std::strerror(errno))));
    return TempFolder(tmpl);
  }
  TempFolder(TempFolder&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  TempFolder(const TempFolder&) = delete;
  ~TempFolder() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempFolder(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// The last component of an uploaded name, in letters, digits, '.', '-' and
// '_' only (others become '_'), at most 100 bytes, never hidden nor empty.
std::string LastComponent(const std::string& name) {
  const size_t slash = name.find_last_of("/\\");
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

std::string SafeFileName(const std::string& name) {
  const std::string base = LastComponent(name);
  std::string out;
  for (char c : base) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_';
    out += ok ? c : '_';
    if (out.size() == 100) break;
  }
  while (!out.empty() && out.front() == '.') out.erase(0, 1);
  return out.empty() ? "document" : out;
}

Status WriteWhole(const std::string& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  f.close();
  if (!f) return Fail(Error::Io(fmt::format("cannot write {}", path)));
  return {};
}

// The child's refusal in words: its "rectrack: error: " lines without that
// prefix and with the temporary folder left out of paths.
std::string ChildMessage(std::string text, const std::string& folder) {
  for (size_t at; (at = text.find(folder + "/")) != std::string::npos;)
    text.erase(at, folder.size() + 1);
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    constexpr std::string_view kPrefix = "rectrack: error: ";
    if (line.rfind(kPrefix, 0) == 0) line.erase(0, kPrefix.size());
    line = std::string(Trim(line));
    if (line.empty()) continue;
    if (!out.empty()) out += ' ';
    out += line;
  }
  return out;
}

}  // namespace

Result<DraftFile> ExtractDocumentInChild(const std::string& program, std::string_view bytes,
                                         const std::string& file_name, DocumentPreset preset,
                                         const ExtractLimits& limits) {
  auto folder = TempFolder::Make();
  if (!folder) return Fail(folder.error());
  const std::string name = SafeFileName(file_name);
  const std::string input = folder->path() + "/" + name;
  const std::string output = folder->path() + "/draft.json";
  RT_TRY(WriteWhole(input, bytes));

  // Everything the child needs, made before fork: after it, only calls that
  // are safe in the child of a threaded process.
  std::vector<std::string> args = {program, "import", "document", input, "--preset",
                                   std::string(PresetName(preset)), "--with-pages", "-o", output};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0)
    return Fail(Error::Io(fmt::format("cannot make a pipe: {}", std::strerror(errno))));
  const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) {
    ::close(err_pipe[0]);
    ::close(err_pipe[1]);
    return Fail(Error::Io("cannot open /dev/null"));
  }
  const rlimit cpu{static_cast<rlim_t>(limits.cpu_seconds), static_cast<rlim_t>(limits.cpu_seconds + 1)};
  const rlimit mem{limits.memory_bytes, limits.memory_bytes};
  const rlimit fsize{limits.output_bytes, limits.output_bytes};
  const rlimit none{0, 0};
  const rlimit files{64, 64};

  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(err_pipe[0]);
    ::close(err_pipe[1]);
    ::close(devnull);
    return Fail(Error::Io(fmt::format("cannot start the document reader: {}", std::strerror(errno))));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    // Signals as a new program expects them (the server blocks some).
    sigset_t all;
    sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    if (::dup2(devnull, 0) < 0 || ::dup2(devnull, 1) < 0 || ::dup2(err_pipe[1], 2) < 0) ::_exit(126);
    ::syscall(SYS_close_range, 3u, ~0u, 0u);
    if (::setrlimit(RLIMIT_CPU, &cpu) != 0 || ::setrlimit(RLIMIT_AS, &mem) != 0 ||
        ::setrlimit(RLIMIT_FSIZE, &fsize) != 0 || ::setrlimit(RLIMIT_CORE, &none) != 0 ||
        ::setrlimit(RLIMIT_NOFILE, &files) != 0)
      ::_exit(126);
    ::execv(argv[0], argv.data());
    static const char kExecFailed[] = "rectrack: error: cannot execute the program\n";
    (void)!::write(2, kExecFailed, sizeof kExecFailed - 1);
    ::_exit(127);
  }
  ::close(err_pipe[1]);
  ::close(devnull);

  // Its standard error as it comes (so that a chatty child never blocks on
  // a full pipe), until it ends or its time is up.
  std::string message;
  const auto deadline = std::chrono::steady_clock::now() + limits.wall;
  bool timed_out = false, pipe_open = true;
  int wstatus = 0;
  while (true) {
    const pid_t done = ::waitpid(pid, &wstatus, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      timed_out = true;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    if (pipe_open) {
      pollfd p{err_pipe[0], POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        char buf[4096];
        const ssize_t n = ::read(err_pipe[0], buf, sizeof buf);
        if (n > 0 && message.size() < kMaxMessage) message.append(buf, static_cast<size_t>(n));
        if (n == 0) pipe_open = false;
      }
    } else {
      ::usleep(20'000);
    }
  }
  // Whatever is left in the pipe, without waiting for a grandchild that holds it.
  ::fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
  for (char buf[4096]; message.size() < kMaxMessage;) {
    const ssize_t n = ::read(err_pipe[0], buf, sizeof buf);
    if (n <= 0) break;
    message.append(buf, static_cast<size_t>(n));
  }
  ::close(err_pipe[0]);

  std::string label = LastComponent(file_name);
  if (label.empty()) label = "document";
  if (timed_out)
    return Fail(Error::Invalid(fmt::format(
        "{}: reading it took longer than {} seconds, so it was stopped; a document this slow to "
        "read may be damaged or made to be slow",
        label, limits.wall.count() / 1000)));
  if (WIFSIGNALED(wstatus)) {
    const int sig = WTERMSIG(wstatus);
    if (sig == SIGXCPU || sig == SIGKILL)
      return Fail(Error::Invalid(fmt::format(
          "{}: reading it used more than {} seconds of processor time, so it was stopped", label,
          limits.cpu_seconds)));
    return Fail(Error::Invalid(fmt::format(
        "{}: the document reader stopped (signal {}) on this file: it may be damaged, or need more "
        "than the {} MB of memory a document may use",
        label, sig, limits.memory_bytes >> 20)));
  }
  const int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  if (code != 0) {
    std::string why = ChildMessage(message, folder->path());
    if (code == 126 || code == 127)  // exec or the dynamic loader failed: not the document's fault
      why = "the document reader could not be started" + (why.empty() ? "" : ": " + why);
    if (why.empty()) why = fmt::format("the document reader failed (exit {})", code);
    return Fail(Error::Invalid(why));
  }
  std::ifstream f(output, std::ios::binary);
  std::string json((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (!f.good() && !f.eof()) return Fail(Error::Io("cannot read the draft the document reader wrote"));
  auto draft = DraftFromJson(json, label);
  if (!draft) return Fail(draft.error());
  draft->file = label;
  return draft;
}

Result<ImportSummary> ConfirmDocumentDraft(Store& store, int64_t draft_id, int64_t expected_version,
                                           const DraftSource& source, const Actor& actor) {
  RT_TRY(store.Begin());
  auto result = [&]() -> Result<ImportSummary> {
    auto kept = store.GetDocumentDraft(draft_id);
    if (!kept) return Fail(kept.error());
    if (!*kept)  // confirmed or discarded meanwhile: the caller's view is stale
      return Fail(Error::Precondition(fmt::format("draft {} is gone", draft_id)));
    if ((*kept)->version != expected_version)
      return Fail(Error::Precondition(fmt::format(
          "draft {} was changed by someone else meanwhile (version {}, not {})", draft_id,
          (*kept)->version, expected_version)));
    auto draft = DraftFromJson((*kept)->draft, (*kept)->file_name);
    if (!draft) return Fail(draft.error());
    auto batch = DraftToBatch(*draft, source);
    if (!batch) return Fail(batch.error());
    // The ledger names the document as the command line's import does.
    auto summary = ImportWithPublications(
        store, *batch, actor, fmt::format("{} sha256:{}", (*kept)->file_name, (*kept)->file_sha256));
    if (!summary) return Fail(summary.error());
    RT_TRY(store.DeleteDocumentDraft(draft_id, expected_version));
    return summary;
  }();
  if (!result) {
    store.Rollback();
    return result;
  }
  RT_TRY(store.Commit());
  return result;
}

}  // namespace rectrack
