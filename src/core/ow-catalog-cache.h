/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ow-db.h"

G_BEGIN_DECLS

/* The engine's copy of the catalogue's services, steps and windows, which every operation
 * reads and only an import changes (ow-catalog-cache.c).  Inside the core library only. */

typedef struct
{
  char     *id;
  char     *service;
  char     *name;          /* JSON {"zh_CN": ..., "en": ...} as stored */
  int       position;
  int       limit_minutes;
  gboolean  active;
} OwCachedStep;

typedef struct
{
  char      *code;
  char      *name;
  GPtrArray *steps;        /* OwCachedStep *, by position, retired ones too */
} OwCachedService;

typedef struct
{
  char      *id;
  int        number;
  char      *name;
  GPtrArray *steps;        /* step ids in catalogue order, retired ones too */
  GPtrArray *active_steps; /* the same without retired steps */
} OwCachedWindow;

typedef struct _OwCatalogCache OwCatalogCache;

OwCatalogCache        *ow_catalog_cache_new     (void);
void                   ow_catalog_cache_free    (OwCatalogCache  *self);
gboolean               ow_catalog_cache_refresh (OwCatalogCache  *self,
                                                 OwDb            *db,
                                                 GError         **error);
const OwCachedService *ow_catalog_cache_service (OwCatalogCache  *self,
                                                 const char      *code);
const OwCachedStep    *ow_catalog_cache_step    (OwCatalogCache  *self,
                                                 const char      *id);
const OwCachedWindow  *ow_catalog_cache_window  (OwCatalogCache  *self,
                                                 const char      *id);

G_END_DECLS
