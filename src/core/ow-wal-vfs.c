/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-wal-vfs.h"

#include <sqlite3.h>
#include <string.h>

/* SQLite appends a commit to the write-ahead log with two pwrite () calls per page (the
 * frame's header, then the page) and then syncs the log.  On a virtual machine each system
 * call costs several microseconds, about as much as the bytes themselves, so an engine
 * operation that commits eight pages paid some hundred microseconds for sixteen calls.
 *
 * This VFS is the default one, except that a log's contiguous writes are gathered in memory
 * and handed to the system in one call: before the log is synced, read, truncated or sized,
 * before a write elsewhere in it, and when the gathered bytes reach BUFFER_MAX.
 *
 * It is only correct while the log is synced at every commit (synchronous=FULL or EXTRA),
 * because SQLite publishes a commit to other connections right after that sync: with a
 * lower setting, another connection could be told about frames still held here.  OwDb
 * opens its connections with synchronous=FULL.
 *
 * A transaction too big for the page cache writes ("spills") frames before its commit; if
 * it then rolls back, SQLite leaves them in the log unsynced, to be overwritten.  Held here,
 * they could reach the file later, over frames another connection committed meanwhile.  So
 * the database file is watched too, and whatever is held is written out before the write
 * lock (WAL_WRITE_LOCK, shared-memory lock slot 0) is let go, as SQLite itself would have. */

/* The default VFS writes at most 128 KiB - 1 in one call (seekAndWriteFd ()). */
#define BUFFER_MAX (120 * 1024)

#define WAL_WRITE_LOCK 0

/* Our part of a file, before the default VFS's: room for either kind, kept aligned. */
#define FILE_HEADER ((MAX (sizeof (WalFile), sizeof (DbFile)) + 15) & ~(gsize) 15)

typedef struct _WalFile WalFile;
typedef struct _DbFile DbFile;

struct _WalFile
{
  sqlite3_file   base;
  sqlite3_file  *real;       /* the default VFS's file, stored right after this struct */
  DbFile        *db;         /* the database it is the log of, while both are open */
  guint8        *buffer;
  sqlite3_int64  start;      /* the log offset of buffer[0] */
  int            length;
  int            size;
};

struct _DbFile
{
  sqlite3_file   base;
  sqlite3_file  *real;
  WalFile       *wal;
};

G_STATIC_ASSERT (G_STRUCT_OFFSET (WalFile, real) == G_STRUCT_OFFSET (DbFile, real));

static sqlite3_vfs *real_vfs;

static int
wal_flush (WalFile *self)
{
  int rc;

  if (self->length == 0)
    return SQLITE_OK;
  rc = self->real->pMethods->xWrite (self->real, self->buffer, self->length, self->start);
  self->length = 0;
  return rc;
}

static int
wal_close (sqlite3_file *file)
{
  WalFile *self = (WalFile *) file;
  int rc = wal_flush (self);
  int close_rc = self->real->pMethods->xClose (self->real);

  if (self->db != NULL)
    self->db->wal = NULL;

  g_clear_pointer (&self->buffer, g_free);
  return rc != SQLITE_OK ? rc : close_rc;
}

static int
wal_read (sqlite3_file  *file,
          void          *data,
          int            amount,
          sqlite3_int64  offset)
{
  WalFile *self = (WalFile *) file;

  if (self->length > 0 && offset < self->start + self->length && offset + amount > self->start)
    {
      int rc = wal_flush (self);

      if (rc != SQLITE_OK)
        return rc;
    }
  return self->real->pMethods->xRead (self->real, data, amount, offset);
}

static int
wal_write (sqlite3_file  *file,
           const void    *data,
           int            amount,
           sqlite3_int64  offset)
{
  WalFile *self = (WalFile *) file;

  if (self->length == 0 || offset != self->start + self->length ||
      self->length + amount > BUFFER_MAX)
    {
      int rc = wal_flush (self);

      if (rc != SQLITE_OK)
        return rc;
      if (amount > BUFFER_MAX)
        return self->real->pMethods->xWrite (self->real, data, amount, offset);
      self->start = offset;
    }
  if (self->length + amount > self->size)
    {
      self->size = BUFFER_MAX;
      self->buffer = g_realloc (self->buffer, self->size);
    }
  memcpy (self->buffer + self->length, data, amount);
  self->length += amount;
  return SQLITE_OK;
}

/* Everything else flushes first where the gathered bytes could matter, then passes on. */

static int
wal_truncate (sqlite3_file  *file,
              sqlite3_int64  size)
{
  WalFile *self = (WalFile *) file;
  int rc = wal_flush (self);

  return rc != SQLITE_OK ? rc : self->real->pMethods->xTruncate (self->real, size);
}

static int
wal_sync (sqlite3_file *file,
          int           flags)
{
  WalFile *self = (WalFile *) file;
  int rc = wal_flush (self);

  return rc != SQLITE_OK ? rc : self->real->pMethods->xSync (self->real, flags);
}

static int
wal_file_size (sqlite3_file  *file,
               sqlite3_int64 *size)
{
  WalFile *self = (WalFile *) file;
  int rc = wal_flush (self);

  return rc != SQLITE_OK ? rc : self->real->pMethods->xFileSize (self->real, size);
}

static int
wal_file_control (sqlite3_file *file,
                  int           op,
                  void         *arg)
{
  WalFile *self = (WalFile *) file;
  int rc = wal_flush (self);

  return rc != SQLITE_OK ? rc : self->real->pMethods->xFileControl (self->real, op, arg);
}

/* Methods passed straight to the default VFS's file.  Both kinds of wrapped file begin
 * alike: SQLite's header, then the default VFS's file. */
#define REAL(file) (((WalFile *) (file))->real)

static int
pass_read (sqlite3_file *file, void *data, int amount, sqlite3_int64 offset)
{
  return REAL (file)->pMethods->xRead (REAL (file), data, amount, offset);
}

static int
pass_write (sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset)
{
  return REAL (file)->pMethods->xWrite (REAL (file), data, amount, offset);
}

static int
pass_truncate (sqlite3_file *file, sqlite3_int64 size)
{
  return REAL (file)->pMethods->xTruncate (REAL (file), size);
}

static int
pass_sync (sqlite3_file *file, int flags)
{
  return REAL (file)->pMethods->xSync (REAL (file), flags);
}

static int
pass_file_size (sqlite3_file *file, sqlite3_int64 *size)
{
  return REAL (file)->pMethods->xFileSize (REAL (file), size);
}

static int
pass_lock (sqlite3_file *file, int level)
{
  return REAL (file)->pMethods->xLock (REAL (file), level);
}

static int
pass_unlock (sqlite3_file *file, int level)
{
  return REAL (file)->pMethods->xUnlock (REAL (file), level);
}

static int
pass_check_reserved_lock (sqlite3_file *file, int *out)
{
  return REAL (file)->pMethods->xCheckReservedLock (REAL (file), out);
}

static int
pass_file_control (sqlite3_file *file, int op, void *arg)
{
  return REAL (file)->pMethods->xFileControl (REAL (file), op, arg);
}

static int
pass_sector_size (sqlite3_file *file)
{
  return REAL (file)->pMethods->xSectorSize (REAL (file));
}

static int
pass_device_characteristics (sqlite3_file *file)
{
  return REAL (file)->pMethods->xDeviceCharacteristics (REAL (file));
}

static int
pass_shm_map (sqlite3_file *file, int region, int size, int extend, volatile void **out)
{
  return REAL (file)->pMethods->xShmMap (REAL (file), region, size, extend, out);
}

static void
pass_shm_barrier (sqlite3_file *file)
{
  REAL (file)->pMethods->xShmBarrier (REAL (file));
}

static int
pass_shm_unmap (sqlite3_file *file, int delete_flag)
{
  return REAL (file)->pMethods->xShmUnmap (REAL (file), delete_flag);
}

static int
pass_fetch (sqlite3_file *file, sqlite3_int64 offset, int amount, void **out)
{
  return REAL (file)->pMethods->xFetch (REAL (file), offset, amount, out);
}

static int
pass_unfetch (sqlite3_file *file, sqlite3_int64 offset, void *page)
{
  return REAL (file)->pMethods->xUnfetch (REAL (file), offset, page);
}

/* Version 1: SQLite maps and locks shared memory through the database file, and fetches
 * pages only from it, never from its log. */
static const sqlite3_io_methods wal_methods = {
  .iVersion = 1,
  .xClose = wal_close,
  .xRead = wal_read,
  .xWrite = wal_write,
  .xTruncate = wal_truncate,
  .xSync = wal_sync,
  .xFileSize = wal_file_size,
  .xLock = pass_lock,
  .xUnlock = pass_unlock,
  .xCheckReservedLock = pass_check_reserved_lock,
  .xFileControl = wal_file_control,
  .xSectorSize = pass_sector_size,
  .xDeviceCharacteristics = pass_device_characteristics,
};

/* The database file: the default VFS's, passed through, with the end of a write transaction
 * noticed in xShmLock. */

static int
db_close (sqlite3_file *file)
{
  DbFile *self = (DbFile *) file;

  if (self->wal != NULL)
    self->wal->db = NULL;
  return self->real->pMethods->xClose (self->real);
}

static int
db_shm_lock (sqlite3_file *file,
             int           offset,
             int           n,
             int           flags)
{
  DbFile *self = (DbFile *) file;

  if (self->wal != NULL && (flags & SQLITE_SHM_UNLOCK) != 0 && (flags & SQLITE_SHM_EXCLUSIVE) != 0 &&
      offset <= WAL_WRITE_LOCK && WAL_WRITE_LOCK < offset + n)
    {
      int rc = wal_flush (self->wal);
      int unlock_rc = self->real->pMethods->xShmLock (self->real, offset, n, flags);

      return rc != SQLITE_OK ? rc : unlock_rc;
    }
  return self->real->pMethods->xShmLock (self->real, offset, n, flags);
}

static const sqlite3_io_methods db_methods = {
  .iVersion = 3,
  .xClose = db_close,
  .xRead = pass_read,
  .xWrite = pass_write,
  .xTruncate = pass_truncate,
  .xSync = pass_sync,
  .xFileSize = pass_file_size,
  .xLock = pass_lock,
  .xUnlock = pass_unlock,
  .xCheckReservedLock = pass_check_reserved_lock,
  .xFileControl = pass_file_control,
  .xSectorSize = pass_sector_size,
  .xDeviceCharacteristics = pass_device_characteristics,
  .xShmMap = pass_shm_map,
  .xShmLock = db_shm_lock,
  .xShmBarrier = pass_shm_barrier,
  .xShmUnmap = pass_shm_unmap,
  .xFetch = pass_fetch,
  .xUnfetch = pass_unfetch,
};

static const sqlite3_io_methods db_methods_v1 = {
  .iVersion = 1,
  .xClose = db_close,
  .xRead = pass_read,
  .xWrite = pass_write,
  .xTruncate = pass_truncate,
  .xSync = pass_sync,
  .xFileSize = pass_file_size,
  .xLock = pass_lock,
  .xUnlock = pass_unlock,
  .xCheckReservedLock = pass_check_reserved_lock,
  .xFileControl = pass_file_control,
  .xSectorSize = pass_sector_size,
  .xDeviceCharacteristics = pass_device_characteristics,
};

/* Main databases and logs are wrapped; other files (temporary ones) are the default VFS's
 * own, in the larger space SQLite allocates for ours. */
static int
wal_vfs_open (sqlite3_vfs  *vfs,
              const char   *name,
              sqlite3_file *file,
              int           flags,
              int          *out_flags)
{
  int rc;

  if ((flags & SQLITE_OPEN_MAIN_DB) != 0)
    {
      DbFile *db = (DbFile *) file;

      memset (db, 0, sizeof *db);
      db->real = (sqlite3_file *) ((char *) file + FILE_HEADER);
      rc = real_vfs->xOpen (real_vfs, name, db->real, flags, out_flags);
      /* SQLite calls xClose whenever pMethods is set, even after a failed open.  A file
       * without shared memory (methods before version 3) cannot be in WAL mode at all. */
      if (db->real->pMethods != NULL)
        db->base.pMethods = db->real->pMethods->iVersion >= 3 ? &db_methods : &db_methods_v1;
      return rc;
    }

  if ((flags & SQLITE_OPEN_WAL) != 0)
    {
      WalFile *self = (WalFile *) file;
      sqlite3_file *database;

      memset (self, 0, sizeof *self);
      self->real = (sqlite3_file *) ((char *) file + FILE_HEADER);
      rc = real_vfs->xOpen (real_vfs, name, self->real, flags, out_flags);
      if (self->real->pMethods == NULL)
        return rc;
      self->base.pMethods = &wal_methods;
      /* The log's name is SQLite's own string, from which it finds the database's file. */
      database = sqlite3_database_file_object (name);
      if (database != NULL && database->pMethods == &db_methods)
        {
          self->db = (DbFile *) database;
          self->db->wal = self;
        }
      return rc;
    }

  return real_vfs->xOpen (real_vfs, name, file, flags, out_flags);
}

void
ow_wal_vfs_register (void)
{
  static gsize once = 0;
  static sqlite3_vfs vfs;

  if (g_once_init_enter (&once))
    {
      real_vfs = sqlite3_vfs_find (NULL);
      g_assert (real_vfs != NULL);
      /* Everything but opening and the file size is the default VFS's; its other methods do
       * not look at the VFS they are called through. */
      vfs = *real_vfs;
      vfs.pNext = NULL;
      vfs.zName = OW_WAL_VFS_NAME;
      vfs.szOsFile = FILE_HEADER + real_vfs->szOsFile;
      vfs.xOpen = wal_vfs_open;
      if (sqlite3_vfs_register (&vfs, 0) != SQLITE_OK)
        g_error ("cannot register the SQLite VFS %s", OW_WAL_VFS_NAME);
      g_once_init_leave (&once, 1);
    }
}
