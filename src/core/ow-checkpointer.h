/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ow-db.h"

G_BEGIN_DECLS

/* Copies the write-ahead log back into the database on a thread of its own, so that no
 * commit pays for it.  SQLite's automatic checkpoint runs inside the commit that fills the
 * log: a 4 MB copy and a sync of the database file, tens of milliseconds added to whichever
 * request happened to commit then. */
typedef struct _OwCheckpointer OwCheckpointer;

OwCheckpointer *ow_checkpointer_new   (const char      *path,
                                       GError         **error);
void            ow_checkpointer_watch (OwCheckpointer  *self,
                                       OwDb            *db);
guint64         ow_checkpointer_get_count (OwCheckpointer *self);
void            ow_checkpointer_free  (OwCheckpointer  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwCheckpointer, ow_checkpointer_free)

G_END_DECLS
