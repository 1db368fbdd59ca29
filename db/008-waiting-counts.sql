-- SPDX-License-Identifier: GPL-3.0-or-later
-- How many tickets wait at each step, not counting those transferred to a named window: kept
-- by triggers in every transaction that changes a ticket, whichever process makes it.  Every
-- window action answers with the window's waiting count, which counted the whole queue of
-- every step the window serves: under a backlog of a few thousand tickets, half the writer's
-- time.  Tickets transferred to a window are few, and still counted from tickets_targeted.
CREATE TABLE step_waiting (
  step TEXT PRIMARY KEY,
  n    INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO step_waiting (step, n)
  SELECT step, count(*) FROM tickets
  WHERE state = 'waiting' AND target_window IS NULL GROUP BY step;

CREATE TRIGGER step_waiting_insert AFTER INSERT ON tickets
  WHEN NEW.state = 'waiting' AND NEW.target_window IS NULL
BEGIN
  INSERT INTO step_waiting (step, n) VALUES (NEW.step, 1)
    ON CONFLICT (step) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER step_waiting_delete AFTER DELETE ON tickets
  WHEN OLD.state = 'waiting' AND OLD.target_window IS NULL
BEGIN
  UPDATE step_waiting SET n = n - 1 WHERE step = OLD.step;
END;

CREATE TRIGGER step_waiting_update AFTER UPDATE OF state, step, target_window ON tickets
  WHEN (OLD.state = 'waiting' AND OLD.target_window IS NULL) IS NOT
       (NEW.state = 'waiting' AND NEW.target_window IS NULL)
    OR (OLD.state = 'waiting' AND OLD.target_window IS NULL AND OLD.step IS NOT NEW.step)
BEGIN
  UPDATE step_waiting SET n = n - 1
    WHERE step = OLD.step AND OLD.state = 'waiting' AND OLD.target_window IS NULL;
  INSERT INTO step_waiting (step, n)
    SELECT NEW.step, 1 WHERE NEW.state = 'waiting' AND NEW.target_window IS NULL
    ON CONFLICT (step) DO UPDATE SET n = n + 1;
END;
