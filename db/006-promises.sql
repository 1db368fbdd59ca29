-- SPDX-License-Identifier: GPL-3.0-or-later
-- 容缺受理 (DOMAIN.md "Rules of conduct"): a step may be completed although some of the
-- service's documents are missing, on the citizen's signed promise to bring them by a day.
ALTER TABLE tickets ADD COLUMN promised TEXT;      -- JSON array of the document ids still owed; NULL: none
ALTER TABLE tickets ADD COLUMN promised_by TEXT;   -- the day they are due
CREATE INDEX tickets_promised ON tickets (promised_by) WHERE promised IS NOT NULL;
