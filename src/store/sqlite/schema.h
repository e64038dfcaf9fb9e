#pragma once

#include <string_view>

namespace rectrack::sqlite {

// Versioned migrations, applied in order on open; PRAGMA user_version records
// how many have run. Never edit a released migration: add the next one.
inline constexpr std::string_view kMigrations[] = {
    // 1: the domain, the ledger and full-text search.
    R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE owners (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  tier TEXT NOT NULL DEFAULT 'unclassified'
) STRICT;

CREATE TABLE owner_aliases (
  alias    TEXT PRIMARY KEY,
  owner_id INTEGER NOT NULL REFERENCES owners(id)
) STRICT;

CREATE TABLE sources (
  id              INTEGER PRIMARY KEY,
  slug            TEXT NOT NULL UNIQUE,
  kind            TEXT NOT NULL,
  title           TEXT NOT NULL,
  author          TEXT NOT NULL DEFAULT '',
  commissioned_by TEXT NOT NULL DEFAULT '',
  date            TEXT,
  url             TEXT NOT NULL DEFAULT '',
  response_days   INTEGER,
  recorded_on     TEXT,
  stated_total    INTEGER,
  notes           TEXT NOT NULL DEFAULT '',
  vocabulary      TEXT NOT NULL DEFAULT 'canonical'
) STRICT;

CREATE TABLE recommendations (
  id        INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources(id),
  ref       TEXT NOT NULL,
  text      TEXT NOT NULL,
  themes    TEXT NOT NULL DEFAULT '[]',
  made      TEXT,
  target    TEXT,
  made_by   TEXT NOT NULL DEFAULT '',
  url       TEXT NOT NULL DEFAULT '',
  UNIQUE (source_id, ref)
) STRICT;

CREATE TABLE assignments (
  id                INTEGER PRIMARY KEY,
  recommendation_id INTEGER NOT NULL REFERENCES recommendations(id),
  owner_id          INTEGER NOT NULL REFERENCES owners(id),
  due               TEXT,
  response          TEXT NOT NULL DEFAULT 'none',
  response_text     TEXT NOT NULL DEFAULT '',
  response_date     TEXT,
  status            TEXT NOT NULL DEFAULT 'pending',
  implementation    TEXT NOT NULL DEFAULT 'not_started',
  raw_status        TEXT NOT NULL DEFAULT '',
  raw_response      TEXT NOT NULL DEFAULT '',
  version           INTEGER NOT NULL DEFAULT 1,
  UNIQUE (recommendation_id, owner_id)
) STRICT;
CREATE INDEX assignments_owner ON assignments(owner_id);

CREATE TABLE updates (
  id              INTEGER PRIMARY KEY,
  assignment_id   INTEGER NOT NULL REFERENCES assignments(id),
  date            TEXT NOT NULL,
  response        TEXT,
  response_text   TEXT NOT NULL DEFAULT '',
  response_status TEXT,
  implementation  TEXT,
  narrative       TEXT NOT NULL DEFAULT '',
  evidence        TEXT NOT NULL DEFAULT '[]',
  author          TEXT NOT NULL DEFAULT '',
  state           TEXT NOT NULL DEFAULT 'validated',
  return_reason   TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX updates_assignment ON updates(assignment_id, date);

CREATE TABLE funding (
  id        INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources(id),
  owner_id  INTEGER NOT NULL REFERENCES owners(id),
  item      TEXT NOT NULL,
  period    TEXT NOT NULL DEFAULT '',
  cost      INTEGER NOT NULL,
  funded    INTEGER NOT NULL,
  currency  TEXT NOT NULL DEFAULT 'GBP',
  note      TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE publications (
  id              INTEGER PRIMARY KEY,
  source_id       INTEGER NOT NULL REFERENCES sources(id),
  title           TEXT NOT NULL,
  as_of           TEXT NOT NULL,
  ledger_seq      INTEGER NOT NULL,
  ledger_hash     TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  snapshot        TEXT NOT NULL,
  snapshot_sha256 TEXT NOT NULL
) STRICT;

-- Append-only: the triggers refuse edits through SQL that goes through SQLite's
-- own engine; `rectrack verify` catches anything that bypasses them.
CREATE TABLE ledger (
  seq       INTEGER PRIMARY KEY,
  ts        TEXT NOT NULL,
  actor     TEXT NOT NULL,
  kind      TEXT NOT NULL,
  payload   TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
) STRICT;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;

CREATE VIRTUAL TABLE recommendation_fts USING fts5(
  text, responses, tokenize = 'porter unicode61 remove_diacritics 2'
);
)sql",
    // 2: FTS5 keeps up to 16 MB of new terms in memory before it writes them out
    // as a segment (the default is 1 MB). A bulk import then writes a sixteenth
    // of the segments, and merges them far less: a tenth of its time.
    R"sql(
INSERT INTO recommendation_fts(recommendation_fts, rank) VALUES('hashsize', 16777216);
)sql",
};

}  // namespace rectrack::sqlite
