/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

G_BEGIN_DECLS

#define OW_DB_ERROR (ow_db_error_quark ())

/* The page size of a new hall database file, in bytes (see ow_db_open ()). */
#define OW_DB_PAGE_SIZE 1024

typedef enum
{
  OW_DB_ERROR_FAILED,
  OW_DB_ERROR_BUSY,
  OW_DB_ERROR_CONSTRAINT,
  OW_DB_ERROR_CORRUPT,
  OW_DB_ERROR_CANTOPEN,
  OW_DB_ERROR_SCHEMA,
  OW_DB_ERROR_READONLY,
} OwDbError;

#define OW_TYPE_DB (ow_db_get_type ())
G_DECLARE_FINAL_TYPE (OwDb, ow_db, OW, DB, GObject)

GQuark        ow_db_error_quark   (void);
OwDb         *ow_db_open          (const char    *path,
                                   GError       **error);
const char   *ow_db_get_path      (OwDb          *self);
sqlite3      *ow_db_get_handle    (OwDb          *self);
int           ow_db_get_schema_version (OwDb     *self);
sqlite3_stmt *ow_db_prepare       (OwDb          *self,
                                   const char    *sql,
                                   GError       **error);
void          ow_db_release       (sqlite3_stmt  *stmt);
gboolean      ow_db_exec          (OwDb          *self,
                                   const char    *sql,
                                   GError       **error);
gboolean      ow_db_step_done     (OwDb          *self,
                                   sqlite3_stmt  *stmt,
                                   GError       **error);
int           ow_db_step_row      (OwDb          *self,
                                   sqlite3_stmt  *stmt,
                                   GError       **error);
gboolean      ow_db_begin         (OwDb          *self,
                                   gboolean       immediate,
                                   GError       **error);
gboolean      ow_db_commit        (OwDb          *self,
                                   GError       **error);
void          ow_db_rollback      (OwDb          *self);
gboolean      ow_db_in_transaction (OwDb         *self);
guint64       ow_db_get_transaction_serial (OwDb *self);
gboolean      ow_db_is_outermost  (OwDb          *self);
gboolean      ow_db_set_error     (OwDb          *self,
                                   int            rc,
                                   GError       **error);
char         *ow_db_get_setting   (OwDb          *self,
                                   const char    *key);
guint64       ow_db_get_setting_number (OwDb    *self,
                                        const char *key,
                                        guint64  min,
                                        guint64  max,
                                        guint64  fallback);
gboolean      ow_db_set_setting   (OwDb          *self,
                                   const char    *key,
                                   const char    *value,
                                   GError       **error);
const char   *ow_db_column_text   (sqlite3_stmt  *stmt,
                                   int            column);

/* A cached statement is released (reset, bindings cleared), never finalized, by its owner. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, ow_db_release)

G_END_DECLS
