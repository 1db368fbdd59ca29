/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "ow-audit.h"
#include "ow-clock.h"
#include "ow-db.h"

G_BEGIN_DECLS

#define OW_CATALOG_ERROR (ow_catalog_error_quark ())

typedef enum
{
  OW_CATALOG_ERROR_READ,     /* the file cannot be read */
  OW_CATALOG_ERROR_SYNTAX,   /* not JSON */
  OW_CATALOG_ERROR_INVALID,  /* JSON, but a field is missing, mistyped or inconsistent */
} OwCatalogError;

GQuark      ow_catalog_error_quark  (void);

/* Validates the whole catalogue, then replaces the database's catalogue in one transaction,
 * with one audit event.  On any error the database is exactly as it was.  Error messages
 * read "NAME: $.services[2].steps[0].limit_minutes: what is wrong". */
gboolean    ow_catalog_import_file  (OwDb           *db,
                                     OwClock        *clock,
                                     const OwActor  *actor,
                                     const char     *path,
                                     JsonObject    **out_summary,
                                     GError        **error);
gboolean    ow_catalog_import_data  (OwDb           *db,
                                     OwClock        *clock,
                                     const OwActor  *actor,
                                     const char     *name,
                                     const char     *data,
                                     gssize          length,
                                     JsonObject    **out_summary,
                                     GError        **error);

/* The active catalogue in the import shape. */
JsonObject *ow_catalog_export       (OwDb           *db,
                                     GError        **error);

void        ow_catalog_calendar     (OwDb            *db,
                                     GStrv           *out_holidays,
                                     GStrv           *out_workdays);

G_END_DECLS
