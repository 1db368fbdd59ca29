/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-checkpointer.h"

/* SQLite's own threshold.  A larger one made commits slower here: while the log grows,
 * every sync also writes the file's new size; once it wraps, it does not. */
#define CHECKPOINT_PAGES 1000

struct _OwCheckpointer
{
  sqlite3  *handle;     /* used by the thread only */
  GThread  *thread;
  GMutex    lock;
  GCond     wake;
  gboolean  requested;
  gboolean  stopping;
  guint64   count;
  int       requested_at;  /* the log's size when a checkpoint was last asked for */
};

static gpointer
checkpoint_thread (gpointer data)
{
  OwCheckpointer *self = data;

  g_mutex_lock (&self->lock);
  for (;;)
    {
      while (!self->requested && !self->stopping)
        g_cond_wait (&self->wake, &self->lock);
      if (self->stopping)
        break;
      self->requested = FALSE;
      g_mutex_unlock (&self->lock);

      /* PASSIVE neither waits for nor blocks writers and readers: it copies what it can.
       * What it leaves, the next request copies. */
      if (sqlite3_wal_checkpoint_v2 (self->handle, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) != SQLITE_OK &&
          sqlite3_errcode (self->handle) != SQLITE_BUSY)
        g_warning ("checkpoint: %s", sqlite3_errmsg (self->handle));

      g_mutex_lock (&self->lock);
      self->count++;
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

OwCheckpointer *
ow_checkpointer_new (const char  *path,
                     GError     **error)
{
  OwCheckpointer *self;
  sqlite3 *handle = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (sqlite3_open_v2 (path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      g_set_error (error, OW_DB_ERROR, OW_DB_ERROR_CANTOPEN, "%s: %s", path,
                   handle != NULL ? sqlite3_errmsg (handle) : "out of memory");
      sqlite3_close (handle);
      return NULL;
    }
  /* A checkpoint syncs the database file before the log may be reused. */
  sqlite3_exec (handle, "PRAGMA synchronous = FULL", NULL, NULL, NULL);

  self = g_new0 (OwCheckpointer, 1);
  self->handle = handle;
  g_mutex_init (&self->lock);
  g_cond_init (&self->wake);
  self->thread = g_thread_new ("ow-checkpoint", checkpoint_thread, self);
  return self;
}

static int
wal_hook_cb (gpointer    data,
             sqlite3    *handle,
             const char *name,
             int         pages)
{
  OwCheckpointer *self = data;

  /* Once per CHECKPOINT_PAGES of growth, not at every commit past it: while readers keep
   * the log from starting over, that would checkpoint (and sync) continuously. */
  g_mutex_lock (&self->lock);
  if (pages < self->requested_at)
    self->requested_at = 0;   /* the log started over */
  if (pages >= self->requested_at + CHECKPOINT_PAGES)
    {
      self->requested_at = pages;
      self->requested = TRUE;
      g_cond_signal (&self->wake);
    }
  g_mutex_unlock (&self->lock);
  return SQLITE_OK;
}

/* From now on, commits on @db leave the checkpoints to @self.  @db must not outlive @self. */
void
ow_checkpointer_watch (OwCheckpointer *self,
                       OwDb           *db)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (OW_IS_DB (db));

  /* This replaces SQLite's automatic checkpoint, which is a WAL hook too. */
  sqlite3_wal_hook (ow_db_get_handle (db), wal_hook_cb, self);
}

guint64
ow_checkpointer_get_count (OwCheckpointer *self)
{
  guint64 count;

  g_mutex_lock (&self->lock);
  count = self->count;
  g_mutex_unlock (&self->lock);
  return count;
}

void
ow_checkpointer_free (OwCheckpointer *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->thread);
  sqlite3_close (self->handle);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->wake);
  g_free (self);
}
