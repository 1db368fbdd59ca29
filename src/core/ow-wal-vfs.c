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
wal_lock (sqlite3_file *file,
          int           level)
{
  WalFile *self = (WalFile *) file;

  return self->real->pMethods->xLock (self->real, level);
}

static int
wal_unlock (sqlite3_file *file,
            int           level)
{
  WalFile *self = (WalFile *) file;

  return self->real->pMethods->xUnlock (self->real, level);
}

static int
wal_check_reserved_lock (sqlite3_file *file,
                         int          *out)
{
  WalFile *self = (WalFile *) file;

  return self->real->pMethods->xCheckReservedLock (self->real, out);
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

static int
wal_sector_size (sqlite3_file *file)
{
  WalFile *self = (WalFile *) file;

  return self->real->pMethods->xSectorSize (self->real);
}

static int
wal_device_characteristics (sqlite3_file *file)
{
  WalFile *self = (WalFile *) file;

  return self->real->pMethods->xDeviceCharacteristics (self->real);
}

/* A log has no shared memory of its own and is never memory-mapped; these exist only so
 * that the method table is complete. */
static int
wal_shm_map (sqlite3_file  *file,
             int            region,
             int            size,
             int            extend,
             volatile void **out)
{
  return SQLITE_IOERR_SHMMAP;
}

static int
wal_shm_lock (sqlite3_file *file,
              int           offset,
              int           n,
              int           flags)
{
  return SQLITE_IOERR_SHMLOCK;
}

static void
wal_shm_barrier (sqlite3_file *file)
{
}

static int
wal_shm_unmap (sqlite3_file *file,
               int           delete_flag)
{
  return SQLITE_OK;
}

static int
wal_fetch (sqlite3_file   *file,
           sqlite3_int64   offset,
           int             amount,
           void          **out)
{
  *out = NULL;
  return SQLITE_OK;
}

static int
wal_unfetch (sqlite3_file  *file,
             sqlite3_int64  offset,
             void          *page)
{
  return SQLITE_OK;
}

static const sqlite3_io_methods wal_methods = {
  .iVersion = 3,
  .xClose = wal_close,
  .xRead = wal_read,
  .xWrite = wal_write,
  .xTruncate = wal_truncate,
  .xSync = wal_sync,
  .xFileSize = wal_file_size,
  .xLock = wal_lock,
  .xUnlock = wal_unlock,
  .xCheckReservedLock = wal_check_reserved_lock,
  .xFileControl = wal_file_control,
  .xSectorSize = wal_sector_size,
  .xDeviceCharacteristics = wal_device_characteristics,
  .xShmMap = wal_shm_map,
  .xShmLock = wal_shm_lock,
  .xShmBarrier = wal_shm_barrier,
  .xShmUnmap = wal_shm_unmap,
  .xFetch = wal_fetch,
  .xUnfetch = wal_unfetch,
};

/* The database file: the default VFS's, passed through, with the end of a write transaction
 * noticed in xShmLock. */

#define DB_REAL(file) (((DbFile *) (file))->real)

static int
db_close (sqlite3_file *file)
{
  DbFile *self = (DbFile *) file;

  if (self->wal != NULL)
    self->wal->db = NULL;
  return self->real->pMethods->xClose (self->real);
}

static int
db_read (sqlite3_file *file, void *data, int amount, sqlite3_int64 offset)
{
  return DB_REAL (file)->pMethods->xRead (DB_REAL (file), data, amount, offset);
}

static int
db_write (sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset)
{
  return DB_REAL (file)->pMethods->xWrite (DB_REAL (file), data, amount, offset);
}

static int
db_truncate (sqlite3_file *file, sqlite3_int64 size)
{
  return DB_REAL (file)->pMethods->xTruncate (DB_REAL (file), size);
}

static int
db_sync (sqlite3_file *file, int flags)
{
  return DB_REAL (file)->pMethods->xSync (DB_REAL (file), flags);
}

static int
db_file_size (sqlite3_file *file, sqlite3_int64 *size)
{
  return DB_REAL (file)->pMethods->xFileSize (DB_REAL (file), size);
}

static int
db_lock (sqlite3_file *file, int level)
{
  return DB_REAL (file)->pMethods->xLock (DB_REAL (file), level);
}

static int
db_unlock (sqlite3_file *file, int level)
{
  return DB_REAL (file)->pMethods->xUnlock (DB_REAL (file), level);
}

static int
db_check_reserved_lock (sqlite3_file *file, int *out)
{
  return DB_REAL (file)->pMethods->xCheckReservedLock (DB_REAL (file), out);
}

static int
db_file_control (sqlite3_file *file, int op, void *arg)
{
  return DB_REAL (file)->pMethods->xFileControl (DB_REAL (file), op, arg);
}

static int
db_sector_size (sqlite3_file *file)
{
  return DB_REAL (file)->pMethods->xSectorSize (DB_REAL (file));
}

static int
db_device_characteristics (sqlite3_file *file)
{
  return DB_REAL (file)->pMethods->xDeviceCharacteristics (DB_REAL (file));
}

static int
db_shm_map (sqlite3_file *file, int region, int size, int extend, volatile void **out)
{
  return DB_REAL (file)->pMethods->xShmMap (DB_REAL (file), region, size, extend, out);
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

static void
db_shm_barrier (sqlite3_file *file)
{
  DB_REAL (file)->pMethods->xShmBarrier (DB_REAL (file));
}

static int
db_shm_unmap (sqlite3_file *file, int delete_flag)
{
  return DB_REAL (file)->pMethods->xShmUnmap (DB_REAL (file), delete_flag);
}

static int
db_fetch (sqlite3_file *file, sqlite3_int64 offset, int amount, void **out)
{
  return DB_REAL (file)->pMethods->xFetch (DB_REAL (file), offset, amount, out);
}

static int
db_unfetch (sqlite3_file *file, sqlite3_int64 offset, void *page)
{
  return DB_REAL (file)->pMethods->xUnfetch (DB_REAL (file), offset, page);
}

static const sqlite3_io_methods db_methods = {
  .iVersion = 3,
  .xClose = db_close,
  .xRead = db_read,
  .xWrite = db_write,
  .xTruncate = db_truncate,
  .xSync = db_sync,
  .xFileSize = db_file_size,
  .xLock = db_lock,
  .xUnlock = db_unlock,
  .xCheckReservedLock = db_check_reserved_lock,
  .xFileControl = db_file_control,
  .xSectorSize = db_sector_size,
  .xDeviceCharacteristics = db_device_characteristics,
  .xShmMap = db_shm_map,
  .xShmLock = db_shm_lock,
  .xShmBarrier = db_shm_barrier,
  .xShmUnmap = db_shm_unmap,
  .xFetch = db_fetch,
  .xUnfetch = db_unfetch,
};

static const sqlite3_io_methods db_methods_v1 = {
  .iVersion = 1,
  .xClose = db_close,
  .xRead = db_read,
  .xWrite = db_write,
  .xTruncate = db_truncate,
  .xSync = db_sync,
  .xFileSize = db_file_size,
  .xLock = db_lock,
  .xUnlock = db_unlock,
  .xCheckReservedLock = db_check_reserved_lock,
  .xFileControl = db_file_control,
  .xSectorSize = db_sector_size,
  .xDeviceCharacteristics = db_device_characteristics,
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
