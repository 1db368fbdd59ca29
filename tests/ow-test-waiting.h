/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ow-db.h"

/* The waiting counts the triggers of db/008-waiting-counts.sql keep, against the tickets
 * themselves: checked after every test that runs on a hall. */
static inline void
assert_waiting_counts (OwDb *db)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GError) error = NULL;

  stmt = ow_db_prepare (db,
                        "WITH counted AS (SELECT step, count(*) AS n FROM tickets"
                        "                 WHERE state = 'waiting' AND target_window IS NULL GROUP BY step),"
                        "     kept AS (SELECT step, n FROM step_waiting WHERE n != 0)"
                        " SELECT (SELECT count(*) FROM (SELECT * FROM counted EXCEPT SELECT * FROM kept))"
                        "      + (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM counted))",
                        &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 0);
}
