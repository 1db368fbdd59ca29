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
 * opens its connections with synchronous=FULL. */

/* The default VFS writes at most 128 KiB - 1 in one call (seekAndWriteFd ()). */
#define BUFFER_MAX (120 * 1024)

typedef struct
{
  sqlite3_file   base;
  sqlite3_file  *real;       /* the default VFS's file, stored right after this struct */
  guint8        *buffer;
  sqlite3_int64  start;      /* the log offset of buffer[0] */
  int            length;
  int            size;
} WalFile;

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

/* Files other than logs are the default VFS's own, in the larger space SQLite allocates
 * for ours. */
static int
wal_vfs_open (sqlite3_vfs  *vfs,
              const char   *name,
              sqlite3_file *file,
              int           flags,
              int          *out_flags)
{
  WalFile *self = (WalFile *) file;
  int rc;

  if ((flags & SQLITE_OPEN_WAL) == 0)
    return real_vfs->xOpen (real_vfs, name, file, flags, out_flags);

  memset (self, 0, sizeof *self);
  self->real = (sqlite3_file *) (self + 1);
  rc = real_vfs->xOpen (real_vfs, name, self->real, flags, out_flags);
  /* SQLite calls xClose whenever pMethods is set, even after a failed open. */
  if (self->real->pMethods != NULL)
    self->base.pMethods = &wal_methods;
  return rc;
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
      vfs.szOsFile = sizeof (WalFile) + real_vfs->szOsFile;
      vfs.xOpen = wal_vfs_open;
      if (sqlite3_vfs_register (&vfs, 0) != SQLITE_OK)
        g_error ("cannot register the SQLite VFS %s", OW_WAL_VFS_NAME);
      g_once_init_leave (&once, 1);
    }
}
