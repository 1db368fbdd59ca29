/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The name of a SQLite VFS that writes each commit's frames to the write-ahead log in one
 * system call instead of two per page (ow-wal-vfs.c).  Only for connections that sync the
 * log at every commit (synchronous=FULL or EXTRA), as OwDb's do. */
#define OW_WAL_VFS_NAME "ow-wal"

void ow_wal_vfs_register (void);

G_END_DECLS
