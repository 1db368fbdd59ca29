-- SPDX-License-Identifier: GPL-3.0-or-later
-- A ticket points at its latest visit, the open one while it waits or is served.  The
-- engine finds that visit through the ticket row it rewrites anyway, so the index
-- visits_open, one more page written by almost every operation, goes.
ALTER TABLE tickets ADD COLUMN visit INTEGER;
UPDATE tickets SET visit = latest.id
  FROM (SELECT ticket, max (id) AS id FROM visits GROUP BY ticket) AS latest
  WHERE latest.ticket = tickets.id;
DROP INDEX visits_open;
