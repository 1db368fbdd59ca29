-- SPDX-License-Identifier: GPL-3.0-or-later
-- OneWindow hall database, migration 1: catalogue, tickets, staff, audit log.
-- Times are microseconds since the Unix epoch (UTC); days are the hall's local 'YYYY-MM-DD'.
-- Catalogue rows are never deleted: an import retires what it no longer lists, so history
-- and open tickets keep pointing at real rows.

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE departments (
  id      TEXT PRIMARY KEY,
  name    TEXT NOT NULL,            -- JSON {"zh_CN": ..., "en": ...}
  ord     INTEGER NOT NULL,
  active  INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE documents (
  id      TEXT PRIMARY KEY,
  name    TEXT NOT NULL,
  ord     INTEGER NOT NULL,
  active  INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE services (
  code          TEXT PRIMARY KEY,
  prefix        TEXT NOT NULL,
  department    TEXT NOT NULL REFERENCES departments (id),
  name          TEXT NOT NULL,
  daily_cap     INTEGER NOT NULL,
  hours         TEXT NOT NULL,      -- JSON array of "HH:MM-HH:MM"
  green_channel INTEGER NOT NULL,
  documents     TEXT NOT NULL,      -- JSON array of document ids
  extra         TEXT,               -- JSON object: keys of the catalogue entry we do not model
  ord           INTEGER NOT NULL,
  active        INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE steps (
  id            TEXT PRIMARY KEY,
  service       TEXT NOT NULL REFERENCES services (code),
  position      INTEGER NOT NULL,
  name          TEXT NOT NULL,
  limit_minutes INTEGER NOT NULL,
  active        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX steps_by_service ON steps (service, position);

CREATE TABLE windows (
  id            TEXT PRIMARY KEY,
  number        INTEGER NOT NULL,
  name          TEXT NOT NULL,
  ord           INTEGER NOT NULL,
  active        INTEGER NOT NULL DEFAULT 1,
  paused        INTEGER NOT NULL DEFAULT 0,
  pause_reason  TEXT,
  staff         TEXT,               -- staff signed in (or last acting) at the window
  ticket        INTEGER             -- ticket currently called or served here
);

CREATE TABLE window_steps (
  window  TEXT NOT NULL REFERENCES windows (id),
  step    TEXT NOT NULL REFERENCES steps (id),
  PRIMARY KEY (window, step)
) WITHOUT ROWID;
CREATE INDEX window_steps_by_step ON window_steps (step);

CREATE TABLE counters (
  day     TEXT NOT NULL,
  prefix  TEXT NOT NULL,
  last    INTEGER NOT NULL,
  PRIMARY KEY (day, prefix)
) WITHOUT ROWID;

-- priority: 2 green channel, 1 re-entry after a return, 0 ordinary.
-- place: the time that orders the ticket in its queue (its issue time, kept across steps).
CREATE TABLE tickets (
  id            INTEGER PRIMARY KEY,
  day           TEXT NOT NULL,
  prefix        TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  number        TEXT NOT NULL,
  token         TEXT NOT NULL UNIQUE,
  service       TEXT NOT NULL REFERENCES services (code),
  green         INTEGER NOT NULL DEFAULT 0,
  green_category TEXT,
  state         TEXT NOT NULL,
  step          TEXT REFERENCES steps (id),
  window        TEXT REFERENCES windows (id),
  target_window TEXT REFERENCES windows (id),
  priority      INTEGER NOT NULL DEFAULT 0,
  place         INTEGER NOT NULL,
  issued_at     INTEGER NOT NULL,
  queued_at     INTEGER NOT NULL,
  called_at     INTEGER,
  started_at    INTEGER,
  ended_at      INTEGER,
  no_shows      INTEGER NOT NULL DEFAULT 0,
  recalls       INTEGER NOT NULL DEFAULT 0,
  missing       TEXT,               -- JSON array of document ids when returned
  first_seq     INTEGER,            -- the ticket's first and latest audit events: its history
  last_seq      INTEGER             -- is read from that stretch of the log, without an index
);
CREATE INDEX tickets_queue ON tickets (step, priority DESC, place) WHERE state = 'waiting';
-- Only tickets transferred to a named window are in it, so ordinary tickets never touch it.
CREATE INDEX tickets_targeted ON tickets (target_window, priority DESC, place)
  WHERE state = 'waiting' AND target_window IS NOT NULL;
-- Open tickets (waiting, called, serving, returned) are those not yet ended.  The daily
-- expiry sweep reads them by day through tickets_number; settings.expired_before remembers
-- how far it got, so it runs once a day, not on every operation.
-- A number is never repeated within a day; the counters table hands them out.
CREATE UNIQUE INDEX tickets_number ON tickets (day, number);

-- One row each time a ticket waits at a step: the raw material of the statistics.
CREATE TABLE visits (
  id          INTEGER PRIMARY KEY,
  ticket      INTEGER NOT NULL REFERENCES tickets (id),
  step        TEXT NOT NULL REFERENCES steps (id),
  day         TEXT NOT NULL,
  queued_at   INTEGER NOT NULL,
  called_at   INTEGER,
  started_at  INTEGER,
  ended_at    INTEGER,
  window      TEXT,
  staff       TEXT,
  outcome     TEXT,                 -- done, no_show, returned, transferred, expired, cancelled
  overdue_s   INTEGER               -- seconds over the step's limit, when over
);
CREATE INDEX visits_open ON visits (ticket) WHERE ended_at IS NULL;
CREATE INDEX visits_overdue ON visits (day, overdue_s) WHERE overdue_s > 0;

-- Daily aggregates kept in step with every change so that a year of statistics reads
-- thousands of rows, not millions.  dim is '' (hall), 'service:CODE', 'step:ID',
-- 'window:ID' or 'staff:ID'.
CREATE TABLE stat_daily (
  day         TEXT NOT NULL,
  dim         TEXT NOT NULL,
  issued      INTEGER NOT NULL DEFAULT 0,
  called      INTEGER NOT NULL DEFAULT 0,
  served      INTEGER NOT NULL DEFAULT 0,
  no_shows    INTEGER NOT NULL DEFAULT 0,
  returned    INTEGER NOT NULL DEFAULT 0,
  wait_n      INTEGER NOT NULL DEFAULT 0,
  wait_sum    INTEGER NOT NULL DEFAULT 0,  -- seconds
  service_n   INTEGER NOT NULL DEFAULT 0,
  service_sum INTEGER NOT NULL DEFAULT 0,  -- seconds
  overdue     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, dim)
) WITHOUT ROWID;

-- Histograms of waits and service times by day: dim is 'wait' (every wait) or
-- 'service:STEP'; counts is an array of little-endian 32-bit counts, one per bucket
-- (buckets: ow-stats-record.c).  One row per day and dimension keeps a year's read short.
CREATE TABLE stat_hist (
  day     TEXT NOT NULL,
  dim     TEXT NOT NULL,
  counts  BLOB NOT NULL,
  PRIMARY KEY (day, dim)
) WITHOUT ROWID;

CREATE TABLE staff (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('counter', 'supervisor', 'admin')),
  pin_hash      TEXT NOT NULL,
  failed        INTEGER NOT NULL DEFAULT 0,
  locked_until  INTEGER NOT NULL DEFAULT 0,
  active        INTEGER NOT NULL DEFAULT 1,
  created_at    INTEGER NOT NULL
);

-- The audit log: an append-only hash chain.  hash = SHA-256 (prev hash || canonical fields).
CREATE TABLE events (
  seq       INTEGER PRIMARY KEY,
  at        INTEGER NOT NULL,
  actor     TEXT NOT NULL,
  terminal  TEXT,
  window    TEXT,
  ticket    TEXT,                   -- the ticket's number, as shown to people
  ticket_id INTEGER,                -- tickets.id, since numbers restart every day
  action    TEXT NOT NULL,
  details   TEXT NOT NULL,          -- canonical JSON object
  hash      BLOB NOT NULL
);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
  SELECT RAISE (ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
  SELECT RAISE (ABORT, 'the audit log is append-only');
END;
