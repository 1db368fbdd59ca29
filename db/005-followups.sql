-- SPDX-License-Identifier: GPL-3.0-or-later
-- 好差评 follow-up (DOMAIN.md "Ratings"): every bad rating (level 1 or 2) is followed up:
-- verified, the citizen contacted, and fixed or explained, within rules.followup_days
-- working days of the rating; whoever owns the rating may appeal.
-- ratings.followup is where it stands: NULL when none is needed, else 'open', 'verified',
-- 'contacted', 'appealed', 'fixed' or 'explained' (the last two end it).
ALTER TABLE ratings ADD COLUMN followup TEXT;
ALTER TABLE ratings ADD COLUMN followup_due TEXT;     -- the day by which it is fixed or explained
ALTER TABLE ratings ADD COLUMN followup_at INTEGER;   -- when it last moved
CREATE INDEX ratings_followup ON ratings (followup_due) WHERE followup IS NOT NULL;

-- Each move with its note.  Notes may hold personal data (what the citizen said on the
-- phone), so, like rating comments, they stay here; the audit event of the move carries
-- the note's SHA-256, which proves the note unchanged without putting it in the log.
CREATE TABLE followup_notes (
  id      INTEGER PRIMARY KEY,
  rating  INTEGER NOT NULL REFERENCES ratings (id),
  at      INTEGER NOT NULL,
  actor   TEXT NOT NULL,
  state   TEXT NOT NULL,
  note    TEXT NOT NULL,
  seq     INTEGER NOT NULL      -- the audit event of the move
);
CREATE INDEX followup_notes_by_rating ON followup_notes (rating);

-- Bad ratings given before this version: due three days after the rating.
UPDATE ratings SET followup = 'open', followup_due = date (day, '+3 days') WHERE level <= 2;
