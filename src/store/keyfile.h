#pragma once

#include <string>

#include "core/result.h"
#include "core/signing.h"
#include "store/store.h"

namespace rectrack {

// The tracker's signing key lives outside the store: in a file (0600) beside
// it by default, or given in the environment. The store keeps public keys only,
// so a copy of the database cannot sign as the tracker. docs/trust.md.

// PATH + ".key": where a file store's key is unless told otherwise.
std::string DefaultKeyFile(const std::string& store_path);

// Reads a key file: lines starting with '#' are comments; one line
// "ed25519-seed HEX" (64 hex digits). Refuses a file that others than its
// owner may read or write, as ssh does.
Result<SigningKeyPair> ReadKeyFile(const std::string& path);

// Writes `key` to `path`, mode 0600, through a temporary file renamed over it
// (fsynced, then the directory): a crash leaves the old file or the new one.
// With `must_be_new`, an existing file is an error (kConflict) and nothing is
// written.
Status WriteKeyFile(const std::string& path, const SigningKeyPair& key, bool must_be_new);

// The key file `options` name for the store at `store_path` ("" when there is
// no file: an in-memory store without an explicit file).
std::string KeyFileFor(const std::string& store_path, const KeyOptions& options);

// The key `options` give: the seed from the environment, else the key file;
// kNotFound when neither holds one.
Result<SigningKeyPair> LoadKey(const std::string& store_path, const KeyOptions& options);

}  // namespace rectrack
