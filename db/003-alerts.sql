-- SPDX-License-Identifier: GPL-3.0-or-later
-- A service's waiting-count alert threshold (DOMAIN.md "Tickets and calling"): when issuing
-- a ticket makes this many of the service's tickets wait, the engine logs an "alert" event.
-- 0 means no alert.
ALTER TABLE services ADD COLUMN alert_waiting INTEGER NOT NULL DEFAULT 0;
