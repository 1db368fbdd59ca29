/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-feed.h"

#include "ow-audit.h"

JsonArray *
ow_feed_read (OwDb    *db,
              gint64   since_seq,
              guint    limit,
              GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonArray) events = json_array_new ();
  int rc;

  g_return_val_if_fail (OW_IS_DB (db), NULL);

  stmt = ow_db_prepare (db,
                        "SELECT " OW_AUDIT_COLUMNS " FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                        error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, since_seq);
  sqlite3_bind_int64 (stmt, 2, limit);
  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    json_array_add_object_element (events, ow_audit_event_to_json (stmt));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&events);
}
