/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-catalog-cache.h"

/* Four catalogue reads ran in every engine operation (the service's steps and names, the
 * window's steps, the next step).  The whole catalogue is a few dozen rows, so it is loaded
 * at once and kept until settings.catalog_generation changes, which every import does
 * (ow-catalog.c), in this process or another.  The generation is read once per transaction
 * (OwDb's serials start at 1, so 0 means "not checked in one"). */

struct _OwCatalogCache
{
  char       *generation;   /* NULL until loaded */
  guint64     checked_in;   /* the transaction serial it was last checked in */
  GHashTable *services;     /* code -> OwCachedService */
  GHashTable *steps;        /* id -> OwCachedStep */
  GHashTable *windows;      /* id -> OwCachedWindow */
};

static void
step_free (OwCachedStep *step)
{
  g_free (step->id);
  g_free (step->service);
  g_free (step->name);
  g_free (step);
}

static void
service_free (OwCachedService *service)
{
  g_free (service->code);
  g_free (service->name);
  g_ptr_array_unref (service->steps);
  g_free (service);
}

static void
window_free (OwCachedWindow *window)
{
  g_free (window->id);
  g_free (window->name);
  g_ptr_array_unref (window->steps);
  g_ptr_array_unref (window->active_steps);
  g_free (window);
}

OwCatalogCache *
ow_catalog_cache_new (void)
{
  OwCatalogCache *self = g_new0 (OwCatalogCache, 1);

  self->services = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) service_free);
  self->steps = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) step_free);
  self->windows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) window_free);
  return self;
}

void
ow_catalog_cache_free (OwCatalogCache *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->services);
  g_hash_table_unref (self->steps);
  g_hash_table_unref (self->windows);
  g_free (self->generation);
  g_free (self);
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup (ow_db_column_text (stmt, column));
}

static GHashTable *
new_table (GDestroyNotify free_func)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, NULL, free_func);
}

/* Reads the catalogue into fresh tables, which replace the held ones only when all went well:
 * a failed reload leaves the last good copy. */
static gboolean
load (OwCatalogCache  *self,
      OwDb            *db,
      GError         **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GHashTable) services = new_table ((GDestroyNotify) service_free);
  g_autoptr(GHashTable) steps = new_table ((GDestroyNotify) step_free);
  g_autoptr(GHashTable) windows = new_table ((GDestroyNotify) window_free);
  int rc;

  stmt = ow_db_prepare (db, "SELECT code, name FROM services", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      OwCachedService *service = g_new0 (OwCachedService, 1);

      service->code = column_dup (stmt, 0);
      service->name = column_dup (stmt, 1);
      service->steps = g_ptr_array_new ();
      g_hash_table_insert (services, service->code, service);
    }
  if (rc < 0)
    return FALSE;
  ow_db_release (g_steal_pointer (&stmt));

  stmt = ow_db_prepare (db,
                        "SELECT id, service, position, name, limit_minutes, active FROM steps"
                        " ORDER BY service, position",
                        error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      OwCachedStep *step = g_new0 (OwCachedStep, 1);
      OwCachedService *service;

      step->id = column_dup (stmt, 0);
      step->service = column_dup (stmt, 1);
      step->position = sqlite3_column_int (stmt, 2);
      step->name = column_dup (stmt, 3);
      step->limit_minutes = sqlite3_column_int (stmt, 4);
      step->active = sqlite3_column_int (stmt, 5);
      g_hash_table_insert (steps, step->id, step);
      service = g_hash_table_lookup (services, step->service);
      if (service != NULL)
        g_ptr_array_add (service->steps, step);
    }
  if (rc < 0)
    return FALSE;
  ow_db_release (g_steal_pointer (&stmt));

  stmt = ow_db_prepare (db, "SELECT id, number, name FROM windows", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      OwCachedWindow *window = g_new0 (OwCachedWindow, 1);

      window->id = column_dup (stmt, 0);
      window->number = sqlite3_column_int (stmt, 1);
      window->name = column_dup (stmt, 2);
      window->steps = g_ptr_array_new ();
      window->active_steps = g_ptr_array_new ();
      g_hash_table_insert (windows, window->id, window);
    }
  if (rc < 0)
    return FALSE;
  ow_db_release (g_steal_pointer (&stmt));

  /* Windows list the ids held by the step structs. */
  stmt = ow_db_prepare (db,
                        "SELECT ws.window, ws.step FROM window_steps ws JOIN steps s ON s.id = ws.step"
                        " JOIN services v ON v.code = s.service"
                        " ORDER BY ws.window, v.ord, s.position",
                        error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      OwCachedWindow *window = g_hash_table_lookup (windows, ow_db_column_text (stmt, 0));
      OwCachedStep *step = g_hash_table_lookup (steps, ow_db_column_text (stmt, 1));

      if (window == NULL || step == NULL)
        continue;
      g_ptr_array_add (window->steps, step->id);
      if (step->active)
        g_ptr_array_add (window->active_steps, step->id);
    }
  if (rc != SQLITE_DONE)
    return FALSE;

  /* Steps are referred to by services and windows: they go last. */
  g_hash_table_unref (self->services);
  g_hash_table_unref (self->windows);
  g_hash_table_unref (self->steps);
  self->services = g_steal_pointer (&services);
  self->windows = g_steal_pointer (&windows);
  self->steps = g_steal_pointer (&steps);
  return TRUE;
}

gboolean
ow_catalog_cache_refresh (OwCatalogCache  *self,
                          OwDb            *db,
                          GError         **error)
{
  guint64 serial = ow_db_get_transaction_serial (db);
  gboolean in_transaction = ow_db_in_transaction (db);
  g_autofree char *generation = NULL;
  gboolean ok = TRUE;

  if (self->generation != NULL && in_transaction && self->checked_in == serial)
    return TRUE;
  /* Outside a transaction, one of its own, so that the generation and the rows agree; and
   * the check is made again next time. */
  if (!in_transaction && !ow_db_begin (db, FALSE, error))
    return FALSE;
  generation = ow_db_get_setting (db, "catalog_generation");
  if (generation == NULL)
    generation = g_strdup ("0");
  if (g_strcmp0 (generation, self->generation) != 0)
    {
      ok = load (self, db, error);
      if (ok)
        {
          g_free (self->generation);
          self->generation = g_steal_pointer (&generation);
        }
    }
  if (!in_transaction)
    ow_db_rollback (db);
  self->checked_in = in_transaction && ok ? serial : 0;
  return ok;
}

const OwCachedService *
ow_catalog_cache_service (OwCatalogCache *self,
                          const char     *code)
{
  return code != NULL ? g_hash_table_lookup (self->services, code) : NULL;
}

const OwCachedStep *
ow_catalog_cache_step (OwCatalogCache *self,
                       const char     *id)
{
  return id != NULL ? g_hash_table_lookup (self->steps, id) : NULL;
}

const OwCachedWindow *
ow_catalog_cache_window (OwCatalogCache *self,
                         const char     *id)
{
  return id != NULL ? g_hash_table_lookup (self->windows, id) : NULL;
}
