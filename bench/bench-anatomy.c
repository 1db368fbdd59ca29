/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sqlite3.h>

#include "bench-common.h"

/* What one engine operation writes and runs, to see where a durable operation's time goes
 * (docs/PERFORMANCE.md): WAL pages per commit by operation and by the table or index they
 * belong to, the SQL statements run per operation, most frequent first, and what a durable
 * commit costs on this disk by the pages it writes.  A raw commit of one tiny row writes one
 * page.
 *
 *   bench-anatomy [DIR] [TICKETS]   (DIR: where the temporary database goes) */

enum { OP_ISSUE, OP_CALL, OP_COMPLETE, N_OPS };

static const char *op_names[N_OPS] = { "issue", "call", "complete" };

typedef struct
{
  int         wal_pages;     /* the log's size after the latest commit */
  int         statements;
  GHashTable *by_text;       /* statement text -> count */
} Anatomy;

static int
wal_hook_cb (gpointer    data,
             sqlite3    *handle,
             const char *name,
             int         pages)
{
  ((Anatomy *) data)->wal_pages = pages;
  return SQLITE_OK;
}

static int
trace_cb (unsigned  type,
          gpointer  data,
          gpointer  statement,
          gpointer  unused)
{
  Anatomy *anatomy = data;
  const char *sql = sqlite3_sql (statement);
  char key[100];

  g_strlcpy (key, sql != NULL ? sql : "?", sizeof key);
  g_hash_table_insert (anatomy->by_text, g_strdup (key),
                       GINT_TO_POINTER (GPOINTER_TO_INT (g_hash_table_lookup (anatomy->by_text, key)) + 1));
  anatomy->statements++;
  return 0;
}

/* What a commit costs on this disk by the pages it writes: one tiny row into each of 1, 2,
 * 4 and 8 tables per commit, WAL, synchronous=FULL, the engine's page size, interleaved so
 * the disk's drift hits them alike. */
static void
page_costs (const char *dir)
{
  enum { SIZES = 4, ROUNDS = 20, COMMITS = 25 };
  g_autofree char *path = g_build_filename (dir, "pages.db", NULL);
  sqlite3_stmt *insert[8];
  double seconds[SIZES] = { 0 };
  sqlite3 *db;

  if (sqlite3_open (path, &db) != SQLITE_OK ||
      sqlite3_exec (db, "PRAGMA page_size = " G_STRINGIFY (OW_DB_PAGE_SIZE) ";"
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", NULL, NULL, NULL) != SQLITE_OK)
    g_error ("%s: %s", path, sqlite3_errmsg (db));
  for (int t = 0; t < 8; t++)
    {
      g_autofree char *create = g_strdup_printf ("CREATE TABLE t%d (id INTEGER PRIMARY KEY, x TEXT)", t);
      g_autofree char *sql = g_strdup_printf ("INSERT INTO t%d (x) VALUES ('A001')", t);

      sqlite3_exec (db, create, NULL, NULL, NULL);
      sqlite3_prepare_v2 (db, sql, -1, &insert[t], NULL);
    }
  for (int r = 0; r < ROUNDS; r++)
    for (int size = 0; size < SIZES; size++)
      {
        gint64 start = g_get_monotonic_time ();

        for (int c = 0; c < COMMITS; c++)
          {
            sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
            for (int t = 0; t < (1 << size); t++)
              {
                sqlite3_step (insert[t]);
                sqlite3_reset (insert[t]);
              }
            sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
          }
        seconds[size] += bench_seconds (start);
      }
  g_print ("a durable commit by the %d-byte pages it writes:\n", OW_DB_PAGE_SIZE);
  for (int size = 0; size < SIZES; size++)
    g_print ("  %d page%s %8.0f us\n", 1 << size, size ? "s" : " ", seconds[size] / (ROUNDS * COMMITS) * 1e6);
  for (int t = 0; t < 8; t++)
    sqlite3_finalize (insert[t]);
  sqlite3_close (db);
}

typedef struct
{
  int op;
  int first_frame;
  int end_frame;
} Commit;

/* Which b-tree each frame of the log belongs to, read back from the log and dbstat. */
static void
pages_by_btree (sqlite3    *handle,
                const char *path,
                GArray     *commits,
                const int  *counts)
{
  g_autofree char *wal_path = g_strconcat (path, "-wal", NULL);
  g_autofree char *wal = NULL;
  g_autoptr(GHashTable) owners = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  sqlite3_stmt *stmt;
  gsize length;
  int page_size = 0;

  if (!g_file_get_contents (wal_path, &wal, &length, NULL) || length < 32 ||
      sqlite3_prepare_v2 (handle, "SELECT pageno, name FROM dbstat", -1, &stmt, NULL) != SQLITE_OK)
    {
      g_print ("(pages by b-tree: the log or dbstat cannot be read)\n");
      return;
    }
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_hash_table_insert (owners, GINT_TO_POINTER (sqlite3_column_int (stmt, 0)),
                         g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
  sqlite3_finalize (stmt);
  page_size = GUINT32_FROM_BE (*(guint32 *) (wal + 8));

  g_print ("WAL pages per operation by b-tree:\n");
  for (int op = 0; op < N_OPS; op++)
    {
      g_autoptr(GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
      GHashTableIter iter;
      gpointer name, count;

      for (guint i = 0; i < commits->len; i++)
        {
          const Commit *commit = &g_array_index (commits, Commit, i);

          for (int frame = commit->first_frame; commit->op == op && frame < commit->end_frame; frame++)
            {
              gsize offset = 32 + (gsize) frame * (24 + page_size);
              const char *owner;

              if (offset + 4 > length)
                break;
              owner = g_hash_table_lookup (owners, GUINT_TO_POINTER (GUINT32_FROM_BE (*(guint32 *) (wal + offset))));
              owner = owner != NULL ? owner : "(free)";
              g_hash_table_insert (by_name, (gpointer) owner,
                                   GINT_TO_POINTER (GPOINTER_TO_INT (g_hash_table_lookup (by_name, owner)) + 1));
            }
        }
      g_print ("  %s:", op_names[op]);
      g_hash_table_iter_init (&iter, by_name);
      while (g_hash_table_iter_next (&iter, &name, &count))
        g_print (" %s %.2f", (const char *) name, GPOINTER_TO_INT (count) / (double) counts[op]);
      g_print ("\n");
    }
}

static int
compare_counts (gconstpointer a,
                gconstpointer b,
                gpointer      table)
{
  int x = GPOINTER_TO_INT (g_hash_table_lookup (table, *(const char **) a));
  int y = GPOINTER_TO_INT (g_hash_table_lookup (table, *(const char **) b));

  return y - x;
}

int
main (int    argc,
      char **argv)
{
  const char *base = argc > 1 ? argv[1] : g_get_tmp_dir ();
  int tickets = argc > 2 ? MAX (1, atoi (argv[2])) : 200;
  g_autofree char *dir = g_build_filename (base, "ow-bench-anatomy-XXXXXX", NULL);
  g_autofree char *path = NULL;
  g_autoptr(OwClock) clock = NULL;
  g_autoptr(OwHall) hall = NULL;
  g_autoptr(GHashTable) by_text = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) texts = g_ptr_array_new ();
  g_autoptr(GArray) commits = g_array_new (FALSE, FALSE, sizeof (Commit));
  Anatomy anatomy = { 0, 0, by_text };
  int pages[N_OPS] = { 0 }, counts[N_OPS] = { 0 }, total_pages = 0, total_ops = 0;
  sqlite3 *handle;
  GHashTableIter iter;
  gpointer key;

  if (g_mkdtemp (dir) == NULL)
    g_error ("cannot create %s", dir);
  path = g_build_filename (dir, "hall.db", NULL);
  clock = ow_clock_new_virtual (bench_morning ());
  hall = bench_hall_new (path, clock);
  handle = ow_db_get_handle (ow_hall_get_db (hall));

  /* Checkpoints would restart the log and hide what each commit adds. */
  sqlite3_exec (handle, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
  sqlite3_wal_autocheckpoint (handle, 0);
  sqlite3_wal_hook (handle, wal_hook_cb, &anatomy);
  sqlite3_trace_v2 (handle, SQLITE_TRACE_STMT, trace_cb, &anatomy);

  for (int i = 0; i < tickets; i++)
    {
      const char *windows[] = { "w1", "w2" };
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) ticket = NULL;
      int before = anatomy.wal_pages;

      ticket = ow_hall_issue_ticket (hall, NULL, "s", FALSE, NULL, &error);
      if (ticket == NULL)
        g_error ("issue: %s", error->message);
      pages[OP_ISSUE] += anatomy.wal_pages - before;
      counts[OP_ISSUE]++;
      g_array_append_val (commits, ((Commit) { OP_ISSUE, before, anatomy.wal_pages }));
      for (guint w = 0; w < G_N_ELEMENTS (windows); w++)
        {
          for (int op = OP_CALL; op <= OP_COMPLETE; op++)
            {
              g_autoptr(JsonObject) result = NULL;

              before = anatomy.wal_pages;
              result = ow_hall_window_act (hall, NULL, windows[w], op == OP_CALL ? OW_WINDOW_CALL : OW_WINDOW_COMPLETE,
                                           NULL, &error);
              if (result == NULL)
                g_error ("%s: %s", op_names[op], error->message);
              pages[op] += anatomy.wal_pages - before;
              counts[op]++;
              g_array_append_val (commits, ((Commit) { op, before, anatomy.wal_pages }));
              ow_clock_advance (clock, G_USEC_PER_SEC);
            }
        }
    }
  sqlite3_trace_v2 (handle, 0, NULL, NULL);
  sqlite3_wal_hook (handle, NULL, NULL);

  g_print ("folder:                  %s\n", dir);
  g_print ("WAL pages per commit     (a raw commit of one tiny row: 1)\n");
  for (int op = 0; op < N_OPS; op++)
    {
      g_print ("  %-22s %.2f\n", op_names[op], (double) pages[op] / counts[op]);
      total_pages += pages[op];
      total_ops += counts[op];
    }
  g_print ("  %-22s %.2f\n", "all", (double) total_pages / total_ops);
  pages_by_btree (handle, path, commits, counts);
  g_print ("SQL statements per operation: %.1f; the most frequent:\n", (double) anatomy.statements / total_ops);
  g_hash_table_iter_init (&iter, by_text);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (texts, key);
  g_ptr_array_sort_with_data (texts, compare_counts, by_text);
  for (guint i = 0; i < MIN (texts->len, 30); i++)
    g_print ("  %5.2f  %s\n", GPOINTER_TO_INT (g_hash_table_lookup (by_text, texts->pdata[i])) / (double) total_ops,
             (const char *) texts->pdata[i]);
  page_costs (dir);
  return 0;
}
