/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-db.h"

#include "ow-db-resources.h"
#include "ow-wal-vfs.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <string.h>

/* Migrations live in db/ and are compiled into the library as resources. */
static const char *migrations[] = {
  "/org/onewindow/db/001-initial.sql",
  "/org/onewindow/db/002-server.sql",
  "/org/onewindow/db/003-alerts.sql",
  "/org/onewindow/db/004-sealed-stats.sql",
  "/org/onewindow/db/005-followups.sql",
  "/org/onewindow/db/006-promises.sql",
  "/org/onewindow/db/007-visit-link.sql",
  "/org/onewindow/db/008-waiting-counts.sql",
};

struct _OwDb
{
  GObject     parent_instance;
  char       *path;
  sqlite3    *handle;
  GHashTable *statements;  /* SQL text -> sqlite3_stmt * (owns them) */
  GHashTable *by_address;  /* SQL string address -> sqlite3_stmt *, a cache of the above */
  guint       depth;       /* nesting of ow_db_begin () */
  guint64     serial;      /* outermost transactions begun */
};

G_DEFINE_FINAL_TYPE (OwDb, ow_db, G_TYPE_OBJECT)

G_DEFINE_QUARK (ow-db-error-quark, ow_db_error)

static void
finalize_statement (gpointer data)
{
  sqlite3_finalize (data);
}

static void
ow_db_finalize (GObject *object)
{
  OwDb *self = OW_DB (object);

  g_clear_pointer (&self->by_address, g_hash_table_unref);
  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->handle != NULL)
    sqlite3_close (self->handle);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (ow_db_parent_class)->finalize (object);
}

static void
ow_db_class_init (OwDbClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ow_db_finalize;
}

static void
ow_db_init (OwDb *self)
{
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, finalize_statement);
  self->by_address = g_hash_table_new (g_direct_hash, g_direct_equal);
}

gboolean
ow_db_set_error (OwDb    *self,
                 int      rc,
                 GError **error)
{
  OwDbError code;

  switch (rc & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = OW_DB_ERROR_BUSY;
      break;
    case SQLITE_CONSTRAINT:
      code = OW_DB_ERROR_CONSTRAINT;
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      code = OW_DB_ERROR_CORRUPT;
      break;
    case SQLITE_CANTOPEN:
      code = OW_DB_ERROR_CANTOPEN;
      break;
    case SQLITE_READONLY:
      code = OW_DB_ERROR_READONLY;
      break;
    default:
      code = OW_DB_ERROR_FAILED;
      break;
    }

  g_set_error (error, OW_DB_ERROR, code, "%s: %s",
               self->path,
               self->handle != NULL ? sqlite3_errmsg (self->handle) : sqlite3_errstr (rc));
  return FALSE;
}

gboolean
ow_db_exec (OwDb        *self,
            const char  *sql,
            GError     **error)
{
  int rc;

  g_return_val_if_fail (OW_IS_DB (self), FALSE);

  rc = sqlite3_exec (self->handle, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return ow_db_set_error (self, rc, error);
  return TRUE;
}

int
ow_db_get_schema_version (OwDb *self)
{
  g_autoptr(sqlite3_stmt) stmt = ow_db_prepare (self, "PRAGMA user_version", NULL);

  if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    return sqlite3_column_int (stmt, 0);
  return -1;
}

static gboolean
ow_db_migrate (OwDb    *self,
               GError **error)
{
  int version;

  if (!ow_db_begin (self, TRUE, error))
    return FALSE;

  version = ow_db_get_schema_version (self);
  if (version > (int) G_N_ELEMENTS (migrations))
    {
      ow_db_rollback (self);
      /* Translators: the database file, the schema version it has and the newest version
       * this program knows. */
      g_set_error (error, OW_DB_ERROR, OW_DB_ERROR_SCHEMA,
                   _("%s: schema version %d is newer than this program knows (%d)"),
                   self->path, version, (int) G_N_ELEMENTS (migrations));
      return FALSE;
    }

  for (int i = MAX (version, 0); i < (int) G_N_ELEMENTS (migrations); i++)
    {
      g_autoptr(GBytes) bytes = NULL;
      g_autofree char *sql = NULL;
      g_autofree char *pragma = NULL;

      bytes = g_resource_lookup_data (ow_db_get_resource (), migrations[i],
                                      G_RESOURCE_LOOKUP_FLAGS_NONE, error);
      if (bytes == NULL)
        {
          ow_db_rollback (self);
          return FALSE;
        }
      sql = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      pragma = g_strdup_printf ("PRAGMA user_version = %d", i + 1);
      if (!ow_db_exec (self, sql, error) || !ow_db_exec (self, pragma, error))
        {
          ow_db_rollback (self);
          return FALSE;
        }
    }

  return ow_db_commit (self, error);
}

/* SQLite's own busy timeout sleeps up to 100 ms between tries, so a second process can
 * starve while the first commits many short transactions.  Retry every 200 µs instead,
 * for 10 s at most: a window waiting for the lock gets its turn within a commit or two. */
#define BUSY_RETRY_US 200
#define BUSY_GIVE_UP_US (10 * G_USEC_PER_SEC)

static int
busy_cb (gpointer user_data,
         int      attempts)
{
  if ((gint64) attempts * BUSY_RETRY_US >= BUSY_GIVE_UP_US)
    return 0;
  g_usleep (BUSY_RETRY_US);
  return 1;
}

/* SQLite's page caches start with a bulk allocation (about 87 KB) that glibc hands back to
 * the system as soon as a temporary b-tree closes: several page faults per operation.
 * Allocating pages one by one avoids that; it must be set before SQLite initialises. */
static void
configure_sqlite_once (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      sqlite3_config (SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
      ow_wal_vfs_register ();
      g_once_init_leave (&once, 1);
    }
}

OwDb *
ow_db_open (const char  *path,
            GError     **error)
{
  g_autoptr(OwDb) self = NULL;
  gboolean memory;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  configure_sqlite_once ();

  memory = g_str_equal (path, ":memory:");
  if (!memory)
    {
      g_autofree char *dir = g_path_get_dirname (path);

      if (g_mkdir_with_parents (dir, 0750) != 0)
        {
          int saved_errno = errno;

          /* Translators: the database file, its folder and the system's reason. */
          g_set_error (error, OW_DB_ERROR, OW_DB_ERROR_CANTOPEN,
                       _("%s: cannot create folder %s: %s"), path, dir, g_strerror (saved_errno));
          return NULL;
        }
    }

  self = g_object_new (OW_TYPE_DB, NULL);
  self->path = g_strdup (path);

  rc = sqlite3_open_v2 (path, &self->handle,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        OW_WAL_VFS_NAME);
  if (rc != SQLITE_OK)
    {
      ow_db_set_error (self, rc, error);
      return NULL;
    }

  sqlite3_extended_result_codes (self->handle, 1);
  sqlite3_busy_handler (self->handle, busy_cb, self);

  /* An acknowledged ticket must survive a power cut: WAL with full syncs, which the log's
   * VFS relies on too (ow-wal-vfs.c): never lower synchronous.  Reads go through
   * a memory map, which saves a system call per page when verifying or summing a year.
   * A commit writes every page it touched whole, so an operation's six or seven small
   * changes cost six or seven pages of log: 1 KiB pages write a quarter of the bytes of
   * SQLite's default 4 KiB (docs/PERFORMANCE.md).  It only applies to a new file, and must
   * come before WAL mode writes the first page; an existing database keeps its size.  A
   * database in memory (the simulator's) writes no log and keeps the default: there each
   * commit scans SQLite's whole page cache, and four times the pages cost four times that. */
  if (!memory && !ow_db_exec (self, "PRAGMA page_size = " G_STRINGIFY (OW_DB_PAGE_SIZE), error))
    return NULL;
  if (!ow_db_exec (self,
                   "PRAGMA journal_mode = WAL;"
                   "PRAGMA synchronous = FULL;"
                   "PRAGMA foreign_keys = ON;"
                   "PRAGMA mmap_size = 268435456;"
                   "PRAGMA trusted_schema = OFF;",
                   error))
    return NULL;

  if (!ow_db_migrate (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

const char *
ow_db_get_path (OwDb *self)
{
  g_return_val_if_fail (OW_IS_DB (self), NULL);
  return self->path;
}

sqlite3 *
ow_db_get_handle (OwDb *self)
{
  g_return_val_if_fail (OW_IS_DB (self), NULL);
  return self->handle;
}

sqlite3_stmt *
ow_db_prepare (OwDb        *self,
               const char  *sql,
               GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (OW_IS_DB (self), NULL);
  g_return_val_if_fail (sql != NULL, NULL);

  /* Most SQL is a string literal: try its address first (cheap), confirm the text, and only
   * then hash the text. */
  stmt = g_hash_table_lookup (self->by_address, sql);
  if (stmt == NULL || strcmp (sqlite3_sql (stmt), sql) != 0)
    {
      stmt = g_hash_table_lookup (self->statements, sql);
      if (stmt != NULL)
        g_hash_table_insert (self->by_address, (gpointer) sql, stmt);
    }
  if (stmt != NULL)
    {
      /* A statement still running means a caller forgot to release it. */
      g_assert (!sqlite3_stmt_busy (stmt));
      return stmt;
    }

  rc = sqlite3_prepare_v3 (self->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      ow_db_set_error (self, rc, error);
      return NULL;
    }

  g_hash_table_insert (self->statements, g_strdup (sql), stmt);
  g_hash_table_insert (self->by_address, (gpointer) sql, stmt);
  return stmt;
}

void
ow_db_release (sqlite3_stmt *stmt)
{
  if (stmt == NULL)
    return;
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

gboolean
ow_db_step_done (OwDb          *self,
                 sqlite3_stmt  *stmt,
                 GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      ow_db_set_error (self, rc, error);
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

/* Returns SQLITE_ROW, SQLITE_DONE, or -1 with @error set. */
int
ow_db_step_row (OwDb          *self,
                sqlite3_stmt  *stmt,
                GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;
  ow_db_set_error (self, rc, error);
  sqlite3_reset (stmt);
  return -1;
}

/* Transaction control runs several times per operation: prepared once, not parsed by
 * sqlite3_exec () each time. */
static gboolean
exec_cached (OwDb        *self,
             const char  *sql,
             GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = ow_db_prepare (self, sql, error);

  return stmt != NULL && ow_db_step_done (self, stmt, error);
}

/* Transactions nest: an inner begin is a savepoint.  That lets a server run many engine
 * operations, each all-or-nothing, inside one durable commit (group commit). */
gboolean
ow_db_begin (OwDb     *self,
             gboolean  immediate,
             GError  **error)
{
  const char *sql;

  if (self->depth > 0 && sqlite3_get_autocommit (self->handle))
    self->depth = 0;  /* SQLite rolled back by itself after an error */
  if (self->depth > 0)
    sql = "SAVEPOINT ow";
  else
    sql = immediate ? "BEGIN IMMEDIATE" : "BEGIN";
  if (!exec_cached (self, sql, error))
    return FALSE;
  if (self->depth++ == 0)
    self->serial++;
  return TRUE;
}

/* Changes whenever an outermost transaction begins: what was read in the current one stays
 * true until the serial changes. */
guint64
ow_db_get_transaction_serial (OwDb *self)
{
  g_return_val_if_fail (OW_IS_DB (self), 0);
  return self->serial;
}

gboolean
ow_db_commit (OwDb    *self,
              GError **error)
{
  g_return_val_if_fail (self->depth > 0, FALSE);

  if (!exec_cached (self, self->depth > 1 ? "RELEASE ow" : "COMMIT", error))
    {
      ow_db_rollback (self);
      return FALSE;
    }
  self->depth--;
  return TRUE;
}

void
ow_db_rollback (OwDb *self)
{
  if (sqlite3_get_autocommit (self->handle))
    {
      self->depth = 0;
      return;
    }
  if (self->depth > 1)
    {
      sqlite3_exec (self->handle, "ROLLBACK TO ow; RELEASE ow", NULL, NULL, NULL);
      self->depth--;
      return;
    }
  sqlite3_exec (self->handle, "ROLLBACK", NULL, NULL, NULL);
  self->depth = 0;
}

/* Whether a commit now would reach the disk, rather than release a savepoint. */
gboolean
ow_db_is_outermost (OwDb *self)
{
  return self->depth <= 1;
}

gboolean
ow_db_in_transaction (OwDb *self)
{
  return !sqlite3_get_autocommit (self->handle);
}

const char *
ow_db_column_text (sqlite3_stmt *stmt,
                   int           column)
{
  return (const char *) sqlite3_column_text (stmt, column);
}

char *
ow_db_get_setting (OwDb       *self,
                   const char *key)
{
  g_autoptr(sqlite3_stmt) stmt = ow_db_prepare (self, "SELECT value FROM settings WHERE key = ?", NULL);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    return g_strdup (ow_db_column_text (stmt, 0));
  return NULL;
}

/* A whole-number setting from @min to @max, or @fallback when it is missing or out of range. */
guint64
ow_db_get_setting_number (OwDb       *self,
                          const char *key,
                          guint64     min,
                          guint64     max,
                          guint64     fallback)
{
  g_autofree char *text = ow_db_get_setting (self, key);
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, min, max, &value, NULL))
    return fallback;
  return value;
}

gboolean
ow_db_set_setting (OwDb        *self,
                   const char  *key,
                   const char  *value,
                   GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = ow_db_prepare (self,
                        "INSERT INTO settings (key, value) VALUES (?1, ?2) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
  return ow_db_step_done (self, stmt, error);
}
