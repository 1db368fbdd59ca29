/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-hall.h"

#include "ow-catalog.h"
#include "ow-catalog-cache.h"
#include "ow-json.h"
#include "ow-stats.h"

#include <glib/gi18n-lib.h>
#include <sodium.h>
#include <string.h>

/* The hall engine: every rule about tickets, steps and windows lives here.  Each operation
 * is one BEGIN IMMEDIATE transaction that changes the state, appends its audit event and
 * updates the statistics together, so an acknowledged operation is whole or absent.  No
 * state is cached between operations: several processes may share one database file. */

#define DEFAULT_NO_SHOW_LIMIT 2
#define PIN_ATTEMPTS 5
#define PIN_LOCK_US (15 * 60 * G_USEC_PER_SEC)

struct _OwHall
{
  GObject  parent_instance;
  OwDb    *db;
  OwClock *clock;
  gint64   last_seq;  /* the newest event this object appended */
  GHashTable *names;  /* catalogue name JSON text -> parsed JsonNode */
  OwCatalogCache *catalog;
  GMutex      strangers_lock;
  GHashTable *strangers;  /* staff IDs that do not exist -> Stranger: their wrong PINs */
};

/* Sign-ins under a staff ID nobody has fail and lock like real ones, so that neither the
 * answers nor their timing tell which IDs exist.  Kept in memory only, and bounded. */
typedef struct
{
  int    failed;
  gint64 locked_until;
} Stranger;

#define STRANGERS_MAX 4096

enum {
  PROP_0,
  PROP_DB,
  PROP_CLOCK,
  N_PROPS
};

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (OwHall, ow_hall, G_TYPE_OBJECT)

G_DEFINE_QUARK (ow-hall-error-quark, ow_hall_error)

static const char *action_names[] = {
  [OW_WINDOW_CALL] = "call",
  [OW_WINDOW_RECALL] = "recall",
  [OW_WINDOW_NO_SHOW] = "no-show",
  [OW_WINDOW_START] = "start",
  [OW_WINDOW_COMPLETE] = "complete",
  [OW_WINDOW_RETURN] = "return",
  [OW_WINDOW_TRANSFER] = "transfer",
  [OW_WINDOW_PAUSE] = "pause",
  [OW_WINDOW_RESUME] = "resume",
};

typedef struct
{
  gint64  id;
  char   *day;
  char   *number;
  char   *token;
  char   *service;
  gboolean green;
  char   *green_category;
  char   *state;
  char   *step;
  char   *window;
  char   *target_window;
  int     priority;
  gint64  place;
  gint64  issued_at;
  gint64  queued_at;
  gint64  called_at;
  gint64  started_at;
  gint64  ended_at;
  int     no_shows;
  int     recalls;
  char   *missing;
  char   *promised;      /* 容缺受理: JSON array of the documents still owed, or NULL */
  char   *promised_by;   /* the day they are due */
  gint64  visit;         /* its latest visit: the open one while it waits or is served */
} Ticket;

static void
ticket_free (Ticket *t)
{
  if (t == NULL)
    return;
  g_free (t->day);
  g_free (t->number);
  g_free (t->token);
  g_free (t->service);
  g_free (t->green_category);
  g_free (t->state);
  g_free (t->step);
  g_free (t->window);
  g_free (t->target_window);
  g_free (t->missing);
  g_free (t->promised);
  g_free (t->promised_by);
  g_free (t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Ticket, ticket_free)

#define TICKET_COLUMNS "id, day, number, token, service, green, green_category, state, step, " \
                       "window, target_window, priority, place, issued_at, queued_at, " \
                       "called_at, started_at, ended_at, no_shows, recalls, missing, promised, promised_by, visit"

static char *
column_dup (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup (ow_db_column_text (stmt, column));
}

static Ticket *
ticket_from_row (sqlite3_stmt *stmt)
{
  Ticket *t = g_new0 (Ticket, 1);

  t->id = sqlite3_column_int64 (stmt, 0);
  t->day = column_dup (stmt, 1);
  t->number = column_dup (stmt, 2);
  t->token = column_dup (stmt, 3);
  t->service = column_dup (stmt, 4);
  t->green = sqlite3_column_int (stmt, 5);
  t->green_category = column_dup (stmt, 6);
  t->state = column_dup (stmt, 7);
  t->step = column_dup (stmt, 8);
  t->window = column_dup (stmt, 9);
  t->target_window = column_dup (stmt, 10);
  t->priority = sqlite3_column_int (stmt, 11);
  t->place = sqlite3_column_int64 (stmt, 12);
  t->issued_at = sqlite3_column_int64 (stmt, 13);
  t->queued_at = sqlite3_column_int64 (stmt, 14);
  t->called_at = sqlite3_column_int64 (stmt, 15);
  t->started_at = sqlite3_column_int64 (stmt, 16);
  t->ended_at = sqlite3_column_int64 (stmt, 17);
  t->no_shows = sqlite3_column_int (stmt, 18);
  t->recalls = sqlite3_column_int (stmt, 19);
  t->missing = column_dup (stmt, 20);
  t->promised = column_dup (stmt, 21);
  t->promised_by = column_dup (stmt, 22);
  t->visit = sqlite3_column_int64 (stmt, 23);
  return t;
}

static void
ow_hall_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  OwHall *self = OW_HALL (object);

  switch (prop_id)
    {
    case PROP_DB:
      g_value_set_object (value, self->db);
      break;
    case PROP_CLOCK:
      g_value_set_object (value, self->clock);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_hall_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  OwHall *self = OW_HALL (object);

  switch (prop_id)
    {
    case PROP_DB:
      self->db = g_value_dup_object (value);
      break;
    case PROP_CLOCK:
      self->clock = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_hall_dispose (GObject *object)
{
  OwHall *self = OW_HALL (object);

  g_clear_object (&self->db);
  g_clear_object (&self->clock);
  g_clear_pointer (&self->names, g_hash_table_unref);
  g_clear_pointer (&self->catalog, ow_catalog_cache_free);
  g_clear_pointer (&self->strangers, g_hash_table_unref);
  G_OBJECT_CLASS (ow_hall_parent_class)->dispose (object);
}

static void
ow_hall_finalize (GObject *object)
{
  OwHall *self = OW_HALL (object);

  g_mutex_clear (&self->strangers_lock);
  G_OBJECT_CLASS (ow_hall_parent_class)->finalize (object);
}

static void
ow_hall_class_init (OwHallClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ow_hall_get_property;
  object_class->set_property = ow_hall_set_property;
  object_class->dispose = ow_hall_dispose;
  object_class->finalize = ow_hall_finalize;

  properties[PROP_DB] =
    g_param_spec_object ("db", NULL, NULL, OW_TYPE_DB,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLOCK] =
    g_param_spec_object ("clock", NULL, NULL, OW_TYPE_CLOCK,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * OwHall::changed:
   * @head_seq: the newest audit sequence number after the change
   *
   * Emitted after a change has committed.
   */
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
ow_hall_init (OwHall *self)
{
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_node_unref);
  self->catalog = ow_catalog_cache_new ();
  self->strangers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_init (&self->strangers_lock);
}

OwHall *
ow_hall_new (OwDb    *db,
             OwClock *clock)
{
  g_return_val_if_fail (OW_IS_DB (db), NULL);
  g_return_val_if_fail (OW_IS_CLOCK (clock), NULL);

  if (sodium_init () < 0)
    g_error ("libsodium cannot be initialised");

  return g_object_new (OW_TYPE_HALL, "db", db, "clock", clock, NULL);
}

OwDb *
ow_hall_get_db (OwHall *self)
{
  g_return_val_if_fail (OW_IS_HALL (self), NULL);
  return self->db;
}

OwClock *
ow_hall_get_clock (OwHall *self)
{
  g_return_val_if_fail (OW_IS_HALL (self), NULL);
  return self->clock;
}

gboolean
ow_hall_window_action_from_string (const char     *name,
                                   OwWindowAction *action)
{
  for (guint i = 0; i < G_N_ELEMENTS (action_names); i++)
    {
      if (g_strcmp0 (name, action_names[i]) == 0)
        {
          *action = i;
          return TRUE;
        }
    }
  return FALSE;
}

const char *
ow_hall_window_action_to_string (OwWindowAction action)
{
  g_return_val_if_fail (action < G_N_ELEMENTS (action_names), NULL);
  return action_names[action];
}

/* Transactions */

static gboolean
begin_write (OwHall  *self,
             GError **error)
{
  return ow_db_begin (self->db, TRUE, error);
}

static gboolean
commit_write (OwHall  *self,
              GError **error)
{
  gboolean durable = ow_db_is_outermost (self->db);

  if (!ow_db_commit (self->db, error))
    return FALSE;
  /* Inside a caller's group commit, the caller announces the change once it is durable. */
  if (durable)
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0, self->last_seq);
  return TRUE;
}

static gboolean
log_event (OwHall        *self,
           const OwActor *actor,
           const char    *window,
           const Ticket  *ticket,
           const char    *action,
           JsonObject    *details,
           GError       **error)
{
  g_autofree char *text = ow_json_object_to_text (details);
  OwAuditEvent event = {
    .at = ow_clock_now (self->clock),
    .actor = actor != NULL && actor->actor != NULL ? actor->actor : "system",
    .terminal = actor != NULL ? actor->terminal : NULL,
    .window = window,
    .ticket = ticket != NULL ? ticket->number : NULL,
    .ticket_id = ticket != NULL ? ticket->id : 0,
    .action = action,
    .details = text,
  };

  return ow_audit_append (self->db, &event, &self->last_seq, error);
}

gboolean
ow_hall_log (OwHall        *self,
             const OwActor *actor,
             const char    *window,
             const char    *action,
             JsonObject    *details,
             GError       **error)
{
  g_return_val_if_fail (OW_IS_HALL (self), FALSE);

  if (!begin_write (self, error))
    return FALSE;
  if (!log_event (self, actor, window, NULL, action, details, error))
    {
      ow_db_rollback (self->db);
      return FALSE;
    }
  return commit_write (self, error);
}

/* Lookups */

static Ticket *
load_ticket (OwHall  *self,
             gint64   id,
             GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = ow_db_prepare (self->db, "SELECT " TICKET_COLUMNS " FROM tickets WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = ow_db_step_row (self->db, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND, _("no ticket with id %lld"), (long long) id);
      return NULL;
    }
  return ticket_from_row (stmt);
}

/* A number means today's ticket, or else the newest ticket with that number; anything else is
 * taken as a token (a status URL's last path segment also works, for barcode scanners). */
static Ticket *
find_ticket (OwHall      *self,
             const char  *key,
             GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *today = NULL;
  const char *slash;
  int rc;

  if (key == NULL || *key == '\0')
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID, _("no ticket number or token given"));
      return NULL;
    }

  slash = strrchr (key, '/');
  if (slash != NULL && slash[1] != '\0')
    key = slash + 1;

  stmt = ow_db_prepare (self->db,
                        "SELECT " TICKET_COLUMNS " FROM tickets WHERE token = ?1 OR"
                        " id = coalesce ((SELECT id FROM tickets WHERE day = ?2 AND number = upper(?1)),"
                        "               (SELECT id FROM tickets WHERE number = upper(?1) ORDER BY day DESC LIMIT 1))"
                        " ORDER BY token = ?1 DESC LIMIT 1",
                        error);
  if (stmt == NULL)
    return NULL;
  today = ow_clock_day (self->clock, ow_clock_now (self->clock));
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, today, -1, SQLITE_STATIC);
  rc = ow_db_step_row (self->db, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND, _("no ticket '%s'"), key);
      return NULL;
    }
  return ticket_from_row (stmt);
}

static gboolean
window_exists (OwHall      *self,
               const char  *window,
               gboolean    *paused,
               char       **staff,
               gint64      *ticket_id,
               GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = ow_db_prepare (self->db,
                        "SELECT paused, staff, ticket FROM windows WHERE id = ?1 AND active", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, window, -1, SQLITE_STATIC);
  rc = ow_db_step_row (self->db, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND, _("no window '%s'"), window);
      return FALSE;
    }
  if (paused != NULL)
    *paused = sqlite3_column_int (stmt, 0);
  if (staff != NULL)
    *staff = column_dup (stmt, 1);
  if (ticket_id != NULL)
    *ticket_id = sqlite3_column_int64 (stmt, 2);
  return TRUE;
}

static JsonNode *
json_from_text (const char *text)
{
  JsonNode *node = text != NULL ? json_from_string (text, NULL) : NULL;

  return node != NULL ? node : json_node_new (JSON_NODE_NULL);
}

/* json_node_copy () shares objects, arrays and values, whose reference counts are not
 * atomic: a result handed to another thread (the server answers on its HTTP threads while
 * the writer goes on) must share nothing with what stays here. */
static JsonNode *
json_node_deep_copy (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonNode *copy = json_node_new (JSON_NODE_OBJECT);
      JsonObject *object = json_object_new ();
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init_ordered (&iter, json_node_get_object (node));
      while (json_object_iter_next_ordered (&iter, &name, &member))
        json_object_set_member (object, name, json_node_deep_copy (member));
      json_node_take_object (copy, object);
      return copy;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonNode *copy = json_node_new (JSON_NODE_ARRAY);
      JsonArray *source = json_node_get_array (node);
      JsonArray *array = json_array_sized_new (json_array_get_length (source));

      for (guint i = 0; i < json_array_get_length (source); i++)
        json_array_add_element (array, json_node_deep_copy (json_array_get_element (source, i)));
      json_node_take_array (copy, array);
      return copy;
    }
  /* Even a string is shared by json_node_copy (), through a counted JsonValue. */
  if (JSON_NODE_HOLDS_VALUE (node))
    {
      JsonNode *copy = json_node_new (JSON_NODE_VALUE);
      GType type = json_node_get_value_type (node);

      if (type == G_TYPE_STRING)
        json_node_set_string (copy, json_node_get_string (node));
      else if (type == G_TYPE_INT64)
        json_node_set_int (copy, json_node_get_int (node));
      else if (type == G_TYPE_DOUBLE)
        json_node_set_double (copy, json_node_get_double (node));
      else
        json_node_set_boolean (copy, json_node_get_boolean (node));
      return copy;
    }
  return json_node_new (JSON_NODE_NULL);
}

/* Catalogue names ({"zh_CN": ..., "en": ...}) appear in every ticket and window object.
 * Parsing them once per text is safe across processes: the key is the text itself.  Each
 * result gets its own deep copy. */
static JsonNode *
name_node (OwHall     *self,
           const char *text)
{
  JsonNode *node;

  if (text == NULL)
    return json_node_new (JSON_NODE_NULL);
  node = g_hash_table_lookup (self->names, text);
  if (node == NULL)
    {
      node = json_from_text (text);
      g_hash_table_insert (self->names, g_strdup (text), node);
    }
  return json_node_deep_copy (node);
}

/* The catalogue as of the current transaction.  Should reading it fail, results are built
 * from the copy already held; the operation's own reads will report the failure. */
static OwCatalogCache *
catalog (OwHall *self)
{
  g_autoptr(GError) error = NULL;

  if (!ow_catalog_cache_refresh (self->catalog, self->db, &error))
    g_warning ("catalogue: %s", error != NULL ? error->message : "?");
  return self->catalog;
}

/* The first active step of @service after @position (G_MININT: its first step), or NULL. */
static const char *
step_after (OwHall     *self,
            const char *service,
            int         position)
{
  const OwCachedService *cached = ow_catalog_cache_service (self->catalog, service);

  for (guint i = 0; cached != NULL && i < cached->steps->len; i++)
    {
      const OwCachedStep *step = g_ptr_array_index (cached->steps, i);

      if (step->active && step->position > position)
        return step->id;
    }
  return NULL;
}

static void
set_time_or_null (OwHall     *self,
                  JsonObject *object,
                  const char *member,
                  gint64      at)
{
  if (at > 0)
    {
      g_autofree char *text = ow_clock_format_iso (self->clock, at);

      json_object_set_string_member (object, member, text);
    }
  else
    json_object_set_null_member (object, member);
}

static gint64
count_ahead (OwHall       *self,
             const Ticket *t)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (g_strcmp0 (t->state, "waiting") != 0)
    return 0;

  /* Two index range counts: higher priority, then same priority and earlier place. */
  stmt = ow_db_prepare (self->db,
                        "SELECT (SELECT count(*) FROM tickets WHERE state = 'waiting' AND step = ?1"
                        "         AND priority > ?2)"
                        "     + (SELECT count(*) FROM tickets WHERE state = 'waiting' AND step = ?1"
                        "         AND priority = ?2 AND (place, id) < (?3, ?4))",
                        NULL);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, t->step, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 2, t->priority);
  sqlite3_bind_int64 (stmt, 3, t->place);
  sqlite3_bind_int64 (stmt, 4, t->id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    return sqlite3_column_int64 (stmt, 0);
  return 0;
}

static JsonArray *
ticket_history (OwHall       *self,
                const Ticket *t)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  JsonArray *history = json_array_new ();

  stmt = ow_db_prepare (self->db,
                        "SELECT " OW_AUDIT_COLUMNS " FROM events WHERE seq BETWEEN"
                        " (SELECT first_seq FROM tickets WHERE id = ?1) AND"
                        " (SELECT last_seq FROM tickets WHERE id = ?1) AND ticket_id = ?1 ORDER BY seq",
                        NULL);
  if (stmt == NULL)
    return history;
  sqlite3_bind_int64 (stmt, 1, t->id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      JsonObject *event = ow_audit_event_to_json (stmt);

      json_object_remove_member (event, "hash");
      json_object_remove_member (event, "ticket");
      json_array_add_object_element (history, event);
    }
  return history;
}

static JsonObject *
ticket_to_json (OwHall       *self,
                const Ticket *t,
                gboolean      with_history)
{
  const OwCachedService *service;
  const OwCachedWindow *window;
  JsonObject *object = json_object_new ();
  JsonArray *step_list = json_array_new ();
  int step_index = 0;
  int position = 0;

  json_object_set_string_member (object, "number", t->number);
  json_object_set_string_member (object, "token", t->token);
  json_object_set_string_member (object, "day", t->day);
  json_object_set_string_member (object, "service", t->service);
  json_object_set_string_member (object, "state", t->state);
  ow_json_set_string_or_null (object, "step", t->step);
  ow_json_set_string_or_null (object, "window", t->window);
  json_object_set_int_member (object, "ahead", count_ahead (self, t));
  json_object_set_boolean_member (object, "green", t->green);
  ow_json_set_string_or_null (object, "green_category", t->green_category);
  ow_json_set_string_or_null (object, "target_window", t->target_window);
  json_object_set_int_member (object, "no_shows", t->no_shows);
  json_object_set_int_member (object, "recalls", t->recalls);
  set_time_or_null (self, object, "issued_at", t->issued_at);
  set_time_or_null (self, object, "queued_at", t->queued_at);
  set_time_or_null (self, object, "called_at", t->called_at);
  set_time_or_null (self, object, "started_at", t->started_at);
  set_time_or_null (self, object, "ended_at", t->ended_at);
  if (t->missing != NULL)
    json_object_set_member (object, "missing", json_from_text (t->missing));
  else
    json_object_set_array_member (object, "missing", json_array_new ());
  if (t->promised != NULL)
    {
      JsonObject *promise = json_object_new ();
      g_autofree char *today = ow_clock_day (self->clock, ow_clock_now (self->clock));

      json_object_set_member (promise, "documents", json_from_text (t->promised));
      json_object_set_string_member (promise, "deadline", t->promised_by);
      json_object_set_boolean_member (promise, "overdue", g_strcmp0 (t->promised_by, today) < 0);
      json_object_set_object_member (object, "promise", promise);
    }
  else
    json_object_set_null_member (object, "promise");

  service = ow_catalog_cache_service (catalog (self), t->service);
  window = ow_catalog_cache_window (self->catalog, t->window);
  json_object_set_member (object, "service_name", name_node (self, service != NULL ? service->name : NULL));
  if (window != NULL)
    {
      json_object_set_int_member (object, "window_number", window->number);
      json_object_set_member (object, "window_name", name_node (self, window->name));
    }
  else
    {
      json_object_set_null_member (object, "window_number");
      json_object_set_null_member (object, "window_name");
    }

  /* The whole flow, so screens can show where the citizen is in it. */
  for (guint i = 0; service != NULL && i < service->steps->len; i++)
    {
      const OwCachedStep *cached = g_ptr_array_index (service->steps, i);
      JsonObject *step;

      if (!cached->active && g_strcmp0 (cached->id, t->step) != 0)
        continue;
      step = json_object_new ();
      position++;
      json_object_set_string_member (step, "id", cached->id);
      json_object_set_member (step, "name", name_node (self, cached->name));
      json_object_set_int_member (step, "limit_minutes", cached->limit_minutes);
      if (g_strcmp0 (cached->id, t->step) == 0)
        {
          step_index = position;
          json_object_set_member (object, "step_name", name_node (self, cached->name));
          json_object_set_int_member (object, "step_limit_minutes", cached->limit_minutes);
        }
      json_array_add_object_element (step_list, step);
    }
  if (!json_object_has_member (object, "step_name"))
    json_object_set_null_member (object, "step_name");
  json_object_set_int_member (object, "step_index", step_index);
  json_object_set_array_member (object, "steps", step_list);

  if (with_history)
    json_object_set_array_member (object, "history", ticket_history (self, t));

  return object;
}

/* Commits and answers with the ticket as committed: built inside the write transaction, so
 * no second transaction is needed to read it back. */
static JsonObject *
commit_ticket (OwHall        *self,
               const Ticket  *t,
               GError       **error)
{
  JsonObject *result = ticket_to_json (self, t, FALSE);

  if (!commit_write (self, error))
    {
      json_object_unref (result);
      return NULL;
    }
  return result;
}

JsonObject *
ow_hall_find_ticket (OwHall      *self,
                     const char  *number_or_token,
                     gboolean     with_history,
                     GError     **error)
{
  g_autoptr(Ticket) t = NULL;

  g_return_val_if_fail (OW_IS_HALL (self), NULL);

  if (!ow_db_begin (self->db, FALSE, error))
    return NULL;
  t = find_ticket (self, number_or_token, error);
  if (t == NULL)
    {
      ow_db_rollback (self->db);
      return NULL;
    }
  {
    JsonObject *object = ticket_to_json (self, t, with_history);

    ow_db_rollback (self->db);
    return object;
  }
}

/* The ticket called or served at @window, with its history (the counter shows the steps
 * already done); NULL with no error when the window holds none. */
JsonObject *
ow_hall_window_ticket (OwHall      *self,
                       const char  *window,
                       GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(Ticket) t = NULL;
  JsonObject *object = NULL;
  gint64 id = 0;
  int rc;

  g_return_val_if_fail (OW_IS_HALL (self), NULL);
  g_return_val_if_fail (window != NULL, NULL);

  if (!ow_db_begin (self->db, FALSE, error))
    return NULL;
  stmt = ow_db_prepare (self->db, "SELECT ticket FROM windows WHERE id = ?1 AND active", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 1, window, -1, SQLITE_STATIC);
  rc = ow_db_step_row (self->db, stmt, error);
  if (rc < 0)
    goto out;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND, _("no window '%s'"), window);
      goto out;
    }
  id = sqlite3_column_int64 (stmt, 0);
  ow_db_release (g_steal_pointer (&stmt));
  if (id > 0)
    {
      t = load_ticket (self, id, error);
      if (t != NULL)
        object = ticket_to_json (self, t, TRUE);
    }

out:
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (self->db);
  return object;
}

/* Visits: one row per stay in a step's queue, for the statistics.  The ticket row points at
 * its latest one (tickets.visit); while the ticket waits or is served that is the open one. */

static gboolean
open_visit (OwHall      *self,
            Ticket      *t,
            const char  *step,
            gint64       now,
            GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = ow_db_prepare (self->db,
                        "INSERT INTO visits (ticket, step, day, queued_at) VALUES (?1, ?2, ?3, ?4)",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, t->id);
  sqlite3_bind_text (stmt, 2, step, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, t->day, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, now);
  if (!ow_db_step_done (self->db, stmt, error))
    return FALSE;
  ow_db_release (g_steal_pointer (&stmt));

  t->visit = sqlite3_last_insert_rowid (ow_db_get_handle (self->db));
  stmt = ow_db_prepare (self->db, "UPDATE tickets SET visit = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, t->id);
  sqlite3_bind_int64 (stmt, 2, t->visit);
  return ow_db_step_done (self->db, stmt, error);
}

static gboolean
update_visit (OwHall        *self,
              const Ticket  *t,
              const char    *sql_set,
              gint64         now,
              const char    *text,
              GError       **error)
{
  g_autofree char *sql = g_strdup_printf ("UPDATE visits SET %s WHERE id = ?1 AND ended_at IS NULL",
                                          sql_set);
  g_autoptr(sqlite3_stmt) stmt = ow_db_prepare (self->db, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, t->visit);
  sqlite3_bind_int64 (stmt, 2, now);
  sqlite3_bind_text (stmt, 3, text, -1, SQLITE_STATIC);
  return ow_db_step_done (self->db, stmt, error);
}

/* @staff, when known, is who finished the step: the statistics count the step's call and
 * its outcome for them. */
static gboolean
close_visit (OwHall        *self,
             const Ticket  *t,
             const char    *outcome,
             gint64         now,
             gint64         overdue_s,
             const char    *staff,
             GError       **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = ow_db_prepare (self->db,
                        "UPDATE visits SET ended_at = ?2, outcome = ?3, overdue_s = ?4,"
                        " staff = coalesce (?5, staff)"
                        " WHERE id = ?1 AND ended_at IS NULL",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, t->visit);
  sqlite3_bind_int64 (stmt, 2, now);
  sqlite3_bind_text (stmt, 3, outcome, -1, SQLITE_STATIC);
  if (overdue_s > 0)
    sqlite3_bind_int64 (stmt, 4, overdue_s);
  else
    sqlite3_bind_null (stmt, 4);
  sqlite3_bind_text (stmt, 5, staff, -1, SQLITE_STATIC);
  return ow_db_step_done (self->db, stmt, error);
}

/* The day's running counts the engine itself needs (db/004-sealed-stats.sql): tickets issued
 * per service for the daily cap, steps served and their seconds for estimated waits. */
static gboolean
count_today (OwHall      *self,
             const char  *day,
             const char  *kind,
             const char  *id,
             gint64       seconds,
             GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = ow_db_prepare (self->db,
                        "INSERT INTO day_counts (day, key, n, total) VALUES (?1, ?2 || ?3, 1, ?4)"
                        " ON CONFLICT (day, key) DO UPDATE SET n = n + 1, total = total + excluded.total",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, day, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, seconds);
  return ow_db_step_done (self->db, stmt, error);
}

/* Writes the ticket's mutable columns back. */
static gboolean
save_ticket (OwHall       *self,
             const Ticket *t,
             GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = ow_db_prepare (self->db,
                        "UPDATE tickets SET state = ?2, step = ?3, window = ?4, target_window = ?5,"
                        " priority = ?6, place = ?7, queued_at = ?8, called_at = ?9, started_at = ?10,"
                        " ended_at = ?11, no_shows = ?12, recalls = ?13, missing = ?14, promised = ?15,"
                        " promised_by = ?16 WHERE id = ?1",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, t->id);
  sqlite3_bind_text (stmt, 2, t->state, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, t->step, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, t->window, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, t->target_window, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 6, t->priority);
  sqlite3_bind_int64 (stmt, 7, t->place);
  sqlite3_bind_int64 (stmt, 8, t->queued_at);
  if (t->called_at > 0)
    sqlite3_bind_int64 (stmt, 9, t->called_at);
  if (t->started_at > 0)
    sqlite3_bind_int64 (stmt, 10, t->started_at);
  if (t->ended_at > 0)
    sqlite3_bind_int64 (stmt, 11, t->ended_at);
  sqlite3_bind_int (stmt, 12, t->no_shows);
  sqlite3_bind_int (stmt, 13, t->recalls);
  sqlite3_bind_text (stmt, 14, t->missing, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 15, t->promised, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 16, t->promised_by, -1, SQLITE_STATIC);
  return ow_db_step_done (self->db, stmt, error);
}

static void
ticket_set (char       **field,
            const char  *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

static gboolean
set_window_ticket (OwHall      *self,
                   const char  *window,
                   gint64       ticket_id,
                   const char  *staff,
                   GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = ow_db_prepare (self->db,
                        "UPDATE windows SET ticket = ?2, staff = coalesce (?3, staff) WHERE id = ?1",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, window, -1, SQLITE_STATIC);
  if (ticket_id > 0)
    sqlite3_bind_int64 (stmt, 2, ticket_id);
  sqlite3_bind_text (stmt, 3, staff, -1, SQLITE_STATIC);
  return ow_db_step_done (self->db, stmt, error);
}

/* Expiry: open tickets do not outlive their day. */

static gboolean
expire_old (OwHall  *self,
            GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *today = NULL;
  g_autofree char *swept = NULL;
  gint64 now = ow_clock_now (self->clock);
  int rc;

  today = ow_clock_day (self->clock, now);
  swept = ow_db_get_setting (self->db, "expired_before");
  if (g_strcmp0 (swept, today) >= 0)
    return TRUE;

  stmt = ow_db_prepare (self->db,
                        "SELECT id FROM tickets WHERE day >= ?2 AND day < ?1 AND ended_at IS NULL",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, today, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, swept != NULL ? swept : "", -1, SQLITE_STATIC);
  while ((rc = ow_db_step_row (self->db, stmt, error)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (ids, id);
    }
  if (rc < 0)
    return FALSE;
  ow_db_release (g_steal_pointer (&stmt));

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(Ticket) t = load_ticket (self, g_array_index (ids, gint64, i), error);
      g_autoptr(JsonObject) details = json_object_new ();

      if (t == NULL)
        return FALSE;
      json_object_set_string_member (details, "from_state", t->state);
      json_object_set_string_member (details, "day", t->day);
      if (t->window != NULL && !set_window_ticket (self, t->window, 0, NULL, error))
        return FALSE;
      ticket_set (&t->state, "expired");
      ticket_set (&t->window, NULL);
      t->ended_at = now;
      if (!close_visit (self, t, "expired", now, 0, NULL, error) ||
          !save_ticket (self, t, error) ||
          !log_event (self, NULL, NULL, t, "expire", details, error))
        return FALSE;
    }
  /* The waiting counts the triggers keep (db/008) are counted again once a day, while the
   * queues are short: a hand edit of the database cannot leave them wrong for longer. */
  if (!ow_db_exec (self->db,
                   "DELETE FROM step_waiting;"
                   "INSERT INTO step_waiting (step, n) SELECT step, count(*) FROM tickets"
                   " WHERE state = 'waiting' AND target_window IS NULL GROUP BY step",
                   error))
    return FALSE;
  /* Earlier days can no longer change: their statistics are worked out once and stored. */
  return ow_db_set_setting (self->db, "expired_before", today, error) &&
         ow_stats_seal (self->db, self->clock, today, error);
}

gboolean
ow_hall_expire_old_tickets (OwHall  *self,
                            GError **error)
{
  g_return_val_if_fail (OW_IS_HALL (self), FALSE);

  if (!begin_write (self, error))
    return FALSE;
  if (!expire_old (self, error))
    {
      ow_db_rollback (self->db);
      return FALSE;
    }
  return commit_write (self, error);
}

/* Issuing */

static gboolean
hours_open (const char *hours_json,
            int         minute)
{
  g_autoptr(JsonNode) node = json_from_text (hours_json);
  JsonArray *ranges;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  ranges = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (ranges); i++)
    {
      const char *range = json_array_get_string_element (ranges, i);
      int h1, m1, h2, m2;

      if (range != NULL && sscanf (range, "%d:%d-%d:%d", &h1, &m1, &h2, &m2) == 4 &&
          minute >= h1 * 60 + m1 && minute < h2 * 60 + m2)
        return TRUE;
    }
  return FALSE;
}

static char *
new_token (void)
{
  guint8 bytes[16];
  char hex[sizeof bytes * 2 + 1];

  /* 128 random bits: the token is the only key to a ticket's status page. */
  randombytes_buf (bytes, sizeof bytes);
  sodium_bin2hex (hex, sizeof hex, bytes, sizeof bytes);
  return g_strdup (hex);
}

static gboolean
first_step (OwHall      *self,
            const char  *service,
            char       **step,
            GError     **error)
{
  const char *first;

  if (!ow_catalog_cache_refresh (self->catalog, self->db, error))
    return FALSE;
  first = step_after (self, service, G_MININT);
  if (first == NULL)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND, _("service '%s' has no steps"), service);
      return FALSE;
    }
  *step = g_strdup (first);
  return TRUE;
}

/* The hall's waiting-count alert (DOMAIN.md): when a new ticket makes @threshold of the
 * service's tickets wait, the log says so once, and every board and supervisor hears it.  It
 * sounds again only after the queue has fallen below the threshold and filled up again. */
static gboolean
check_waiting_alert (OwHall      *self,
                     const char  *service,
                     int          threshold,
                     GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonObject) details = NULL;
  gint64 waiting;

  /* The kept counts (db/008), and the few tickets sent to a window through their own index
   * (the + keeps SQLite from taking the queue's index by step instead). */
  stmt = ow_db_prepare (self->db,
                        "SELECT (SELECT coalesce (sum (n), 0) FROM step_waiting"
                        "         WHERE step IN (SELECT id FROM steps WHERE service = ?1))"
                        "     + (SELECT count(*) FROM tickets WHERE state = 'waiting' AND target_window IS NOT NULL"
                        "         AND +step IN (SELECT id FROM steps WHERE service = ?1))",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, service, -1, SQLITE_STATIC);
  if (ow_db_step_row (self->db, stmt, error) != SQLITE_ROW)
    return FALSE;
  waiting = sqlite3_column_int64 (stmt, 0);
  ow_db_release (g_steal_pointer (&stmt));
  if (waiting != threshold)
    return TRUE;

  details = json_object_new ();
  json_object_set_string_member (details, "service", service);
  json_object_set_int_member (details, "waiting", waiting);
  json_object_set_int_member (details, "threshold", threshold);
  return log_event (self, NULL, NULL, NULL, "alert", details, error);
}

JsonObject *
ow_hall_issue_ticket (OwHall         *self,
                      const OwActor  *actor,
                      const char     *service,
                      gboolean        green,
                      const char     *green_category,
                      GError        **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(Ticket) t = NULL;
  g_autoptr(JsonObject) details = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *hours = NULL;
  g_autofree char *step = NULL;
  gint64 now;
  int cap, alert_waiting, seq = 1, rc;
  gboolean green_allowed;

  g_return_val_if_fail (OW_IS_HALL (self), NULL);

  if (service == NULL || *service == '\0')
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID, _("no service given"));
      return NULL;
    }

  if (!begin_write (self, error))
    return NULL;
  now = ow_clock_now (self->clock);
  if (!expire_old (self, error))
    goto fail;

  stmt = ow_db_prepare (self->db,
                        "SELECT prefix, daily_cap, hours, green_channel, alert_waiting FROM services"
                        " WHERE code = ?1 AND active",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, service, -1, SQLITE_STATIC);
  rc = ow_db_step_row (self->db, stmt, error);
  if (rc < 0)
    goto fail;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND, _("no service '%s'"), service);
      goto fail;
    }
  prefix = column_dup (stmt, 0);
  cap = sqlite3_column_int (stmt, 1);
  hours = column_dup (stmt, 2);
  green_allowed = sqlite3_column_int (stmt, 3);
  alert_waiting = sqlite3_column_int (stmt, 4);
  ow_db_release (g_steal_pointer (&stmt));

  if (green && !green_allowed)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_ALLOWED,
                   _("service '%s' has no green channel"), service);
      goto fail;
    }
  if (!hours_open (hours, ow_clock_minute_of_day (self->clock, now)))
    {
      g_autoptr(JsonNode) node = json_from_text (hours);
      g_autoptr(GString) list = g_string_new (NULL);

      if (JSON_NODE_HOLDS_ARRAY (node))
        for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
          /* Translators: between items of a list; 、 in Chinese. */
          g_string_append_printf (list, "%s%s", i ? _(", ") : "",
                                  json_array_get_string_element (json_node_get_array (node), i));
      /* Translators: the second %s is a list of time ranges such as "08:30-12:00, 13:30-17:30". */
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_CLOSED,
                   _("service '%s' issues tickets only during %s"), service, list->str);
      goto fail;
    }

  t = g_new0 (Ticket, 1);
  t->day = ow_clock_day (self->clock, now);

  stmt = ow_db_prepare (self->db,
                        "SELECT coalesce ((SELECT n FROM day_counts WHERE day = ?2 AND key = 'issued:' || ?1), 0)",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, service, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, t->day, -1, SQLITE_STATIC);
  if (ow_db_step_row (self->db, stmt, error) != SQLITE_ROW)
    goto fail;
  if (sqlite3_column_int (stmt, 0) >= cap)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_CAP_REACHED,
                   _("service '%s' has issued its %d tickets for today"), service, cap);
      goto fail;
    }
  ow_db_release (g_steal_pointer (&stmt));

  if (!first_step (self, service, &step, error))
    goto fail;

  /* Not RETURNING: SQLite buffers that in a temporary table, which costs more than a read. */
  stmt = ow_db_prepare (self->db,
                        "INSERT INTO counters (day, prefix, last, first_visit)"
                        " VALUES (?1, ?2, 1, (SELECT coalesce (max (id), 0) FROM visits))"
                        " ON CONFLICT (day, prefix) DO UPDATE SET last = last + 1",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, t->day, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, prefix, -1, SQLITE_STATIC);
  if (!ow_db_step_done (self->db, stmt, error))
    goto fail;
  ow_db_release (g_steal_pointer (&stmt));
  stmt = ow_db_prepare (self->db, "SELECT last FROM counters WHERE day = ?1 AND prefix = ?2", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, t->day, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, prefix, -1, SQLITE_STATIC);
  if (ow_db_step_row (self->db, stmt, error) != SQLITE_ROW)
    goto fail;
  seq = sqlite3_column_int (stmt, 0);
  ow_db_release (g_steal_pointer (&stmt));

  /* A001 ... A999, then A1000: never repeated within a day. */
  t->number = g_strdup_printf ("%s%03d", prefix, seq);
  t->token = new_token ();
  t->service = g_strdup (service);
  t->green = green;
  t->green_category = green ? g_strdup (green_category) : NULL;
  t->state = g_strdup ("waiting");
  t->step = g_strdup (step);
  t->priority = green ? 2 : 0;
  t->place = now;
  t->issued_at = now;
  t->queued_at = now;

  stmt = ow_db_prepare (self->db,
                        "INSERT INTO tickets (day, prefix, seq, number, token, service, green,"
                        " green_category, state, step, priority, place, issued_at, queued_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, t->day, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, prefix, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, seq);
  sqlite3_bind_text (stmt, 4, t->number, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, t->token, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, service, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 7, green);
  sqlite3_bind_text (stmt, 8, t->green_category, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 9, t->state, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 10, step, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 11, t->priority);
  sqlite3_bind_int64 (stmt, 12, t->place);
  sqlite3_bind_int64 (stmt, 13, now);
  sqlite3_bind_int64 (stmt, 14, now);
  if (!ow_db_step_done (self->db, stmt, error))
    goto fail;
  t->id = sqlite3_last_insert_rowid (ow_db_get_handle (self->db));

  details = json_object_new ();
  json_object_set_string_member (details, "service", service);
  json_object_set_string_member (details, "step", step);
  json_object_set_boolean_member (details, "green", green);
  if (t->green_category != NULL)
    json_object_set_string_member (details, "green_category", t->green_category);

  if (!open_visit (self, t, step, now, error) ||
      !count_today (self, t->day, "issued:", service, 0, error) ||
      !log_event (self, actor, NULL, t, "issue", details, error) ||
      (alert_waiting > 0 && !check_waiting_alert (self, service, alert_waiting, error)))
    goto fail;

  return commit_ticket (self, t, error);

fail:
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (self->db);
  return NULL;
}

/* Window actions */

static JsonObject *
window_to_json (OwHall      *self,
                const char  *window,
                GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  const OwCachedWindow *cached;
  JsonObject *object;
  JsonArray *step_list;
  int rc;

  stmt = ow_db_prepare (self->db,
                        "SELECT w.id, w.number, w.name, w.paused, w.pause_reason, w.staff, t.number,"
                        " t.state,"
                        " (SELECT coalesce (sum (sw.n), 0) FROM window_steps ws JOIN step_waiting sw"
                        "   ON sw.step = ws.step WHERE ws.window = w.id)"
                        " + (SELECT count(*) FROM tickets q WHERE q.state = 'waiting' AND q.target_window = w.id),"
                        " w.active"
                        " FROM windows w LEFT JOIN tickets t ON t.id = w.ticket WHERE w.id = ?1",
                        error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, window, -1, SQLITE_STATIC);
  rc = ow_db_step_row (self->db, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND, _("no window '%s'"), window);
      return NULL;
    }

  object = json_object_new ();
  json_object_set_string_member (object, "id", ow_db_column_text (stmt, 0));
  json_object_set_int_member (object, "number", sqlite3_column_int (stmt, 1));
  json_object_set_member (object, "name", name_node (self, ow_db_column_text (stmt, 2)));
  json_object_set_boolean_member (object, "paused", sqlite3_column_int (stmt, 3));
  ow_json_set_string_or_null (object, "pause_reason", ow_db_column_text (stmt, 4));
  ow_json_set_string_or_null (object, "staff", ow_db_column_text (stmt, 5));
  ow_json_set_string_or_null (object, "ticket", ow_db_column_text (stmt, 6));
  ow_json_set_string_or_null (object, "ticket_state", ow_db_column_text (stmt, 7));
  json_object_set_int_member (object, "waiting", sqlite3_column_int64 (stmt, 8));
  json_object_set_boolean_member (object, "active", sqlite3_column_int (stmt, 9));

  step_list = json_array_new ();
  cached = ow_catalog_cache_window (catalog (self), window);
  for (guint i = 0; cached != NULL && i < cached->steps->len; i++)
    json_array_add_string_element (step_list, g_ptr_array_index (cached->steps, i));
  json_object_set_array_member (object, "steps", step_list);
  return object;
}

JsonObject *
ow_hall_get_window (OwHall      *self,
                    const char  *window,
                    GError     **error)
{
  JsonObject *object;

  g_return_val_if_fail (OW_IS_HALL (self), NULL);

  if (!ow_db_begin (self->db, FALSE, error))
    return NULL;
  object = window_to_json (self, window, error);
  ow_db_rollback (self->db);
  return object;
}

JsonArray *
ow_hall_list_windows (OwHall  *self,
                      GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  JsonArray *windows;
  int rc;

  g_return_val_if_fail (OW_IS_HALL (self), NULL);

  if (!ow_db_begin (self->db, FALSE, error))
    return NULL;
  stmt = ow_db_prepare (self->db, "SELECT id FROM windows WHERE active ORDER BY ord, number", error);
  if (stmt == NULL)
    goto fail;
  while ((rc = ow_db_step_row (self->db, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (ids, column_dup (stmt, 0));
  if (rc < 0)
    goto fail;
  ow_db_release (g_steal_pointer (&stmt));

  windows = json_array_new ();
  for (guint i = 0; i < ids->len; i++)
    {
      JsonObject *window = window_to_json (self, g_ptr_array_index (ids, i), error);

      if (window == NULL)
        {
          json_array_unref (windows);
          goto fail;
        }
      json_array_add_object_element (windows, window);
    }
  ow_db_rollback (self->db);
  return windows;

fail:
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (self->db);
  return NULL;
}

JsonArray *
ow_hall_list_queues (OwHall  *self,
                     GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  JsonArray *queues;
  int rc;

  g_return_val_if_fail (OW_IS_HALL (self), NULL);

  stmt = ow_db_prepare (self->db,
                        "SELECT s.id, s.service, s.name, s.limit_minutes,"
                        " (SELECT count(*) FROM tickets t WHERE t.state = 'waiting' AND t.step = s.id),"
                        " (SELECT count(*) FROM tickets t WHERE t.state = 'waiting' AND t.step = s.id"
                        "   AND t.green),"
                        " (SELECT min(t.queued_at) FROM tickets t WHERE t.state = 'waiting' AND t.step = s.id),"
                        " (SELECT json_group_array (window) FROM window_steps ws WHERE ws.step = s.id),"
                        " v.alert_waiting,"
                        " (SELECT count(*) FROM tickets t WHERE t.state = 'waiting'"
                        "   AND t.step IN (SELECT id FROM steps WHERE service = s.service))"
                        " FROM steps s JOIN services v ON v.code = s.service"
                        " WHERE s.active ORDER BY v.ord, s.position",
                        error);
  if (stmt == NULL)
    return NULL;

  queues = json_array_new ();
  while ((rc = ow_db_step_row (self->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *queue = json_object_new ();
      gint64 oldest = sqlite3_column_int64 (stmt, 6);

      json_object_set_string_member (queue, "step", ow_db_column_text (stmt, 0));
      json_object_set_string_member (queue, "service", ow_db_column_text (stmt, 1));
      json_object_set_member (queue, "name", name_node (self, ow_db_column_text (stmt, 2)));
      json_object_set_int_member (queue, "limit_minutes", sqlite3_column_int (stmt, 3));
      json_object_set_int_member (queue, "waiting", sqlite3_column_int64 (stmt, 4));
      json_object_set_int_member (queue, "green", sqlite3_column_int64 (stmt, 5));
      json_object_set_int_member (queue, "oldest_wait_s",
                                  oldest > 0 ? (ow_clock_now (self->clock) - oldest) / G_USEC_PER_SEC : 0);
      json_object_set_member (queue, "windows", json_from_text (ow_db_column_text (stmt, 7)));
      /* The service's alert threshold counts its tickets at all its steps. */
      json_object_set_int_member (queue, "service_waiting", sqlite3_column_int64 (stmt, 9));
      if (sqlite3_column_int (stmt, 8) > 0)
        json_object_set_int_member (queue, "alert_waiting", sqlite3_column_int (stmt, 8));
      else
        json_object_set_null_member (queue, "alert_waiting");
      json_object_set_boolean_member (queue, "alert",
                                      sqlite3_column_int (stmt, 8) > 0 &&
                                      sqlite3_column_int64 (stmt, 9) >= sqlite3_column_int (stmt, 8));
      json_array_add_object_element (queues, queue);
    }
  if (rc < 0)
    {
      json_array_unref (queues);
      return NULL;
    }
  return queues;
}

/* The tickets a window would call, in the order it would call them: those waiting at the
 * steps it serves, and those transferred to it by name. */
#define WAITING_FOR_WINDOW_SQL \
  "SELECT " TICKET_COLUMNS " FROM tickets WHERE id IN (" \
  " SELECT t.id FROM window_steps ws JOIN steps s ON s.id = ws.step" \
  "  JOIN tickets t ON t.step = ws.step" \
  "  WHERE ws.window = ?1 AND s.active AND t.state = 'waiting' AND +t.target_window IS NULL" \
  " UNION ALL" \
  " SELECT id FROM tickets WHERE state = 'waiting' AND target_window = ?1)" \
  " ORDER BY priority DESC, place, id"

typedef struct
{
  gint64 id;
  int    priority;
  gint64 place;
} QueueHead;

/* Reads the first row of @stmt as a queue head and keeps it if it goes before @best. */
static gboolean
consider_head (OwDb          *db,
               sqlite3_stmt  *stmt,
               QueueHead     *best,
               GError       **error)
{
  int rc = ow_db_step_row (db, stmt, error);

  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      QueueHead head = { sqlite3_column_int64 (stmt, 0), sqlite3_column_int (stmt, 1),
                         sqlite3_column_int64 (stmt, 2) };

      if (best->id == 0 || head.priority > best->priority ||
          (head.priority == best->priority &&
           (head.place < best->place || (head.place == best->place && head.id < best->id))))
        *best = head;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

/* The calling rule: across the queues of every step the window serves (and the tickets
 * transferred to it by name), green channel first, then re-entries, then the earliest place.
 * Each queue's head comes straight from the tickets_queue index, so a call costs the same
 * with five or five thousand waiting. */
static gboolean
next_for_window (OwHall      *self,
                 const char  *window,
                 gint64      *out_id,
                 GError     **error)
{
  g_autoptr(sqlite3_stmt) head = NULL;
  g_autoptr(sqlite3_stmt) targeted = NULL;
  const OwCachedWindow *cached;
  QueueHead best = { 0 };

  if (!ow_catalog_cache_refresh (self->catalog, self->db, error))
    return FALSE;
  cached = ow_catalog_cache_window (self->catalog, window);
  head = ow_db_prepare (self->db,
                        "SELECT id, priority, place FROM tickets WHERE state = 'waiting' AND step = ?1"
                        " AND +target_window IS NULL ORDER BY priority DESC, place, id LIMIT 1",
                        error);
  targeted = ow_db_prepare (self->db,
                            "SELECT id, priority, place FROM tickets WHERE state = 'waiting'"
                            " AND target_window = ?1 ORDER BY priority DESC, place, id LIMIT 1",
                            error);
  if (head == NULL || targeted == NULL)
    return FALSE;

  for (guint i = 0; cached != NULL && i < cached->active_steps->len; i++)
    {
      sqlite3_bind_text (head, 1, g_ptr_array_index (cached->active_steps, i), -1, SQLITE_STATIC);
      if (!consider_head (self->db, head, &best, error))
        return FALSE;
    }

  sqlite3_bind_text (targeted, 1, window, -1, SQLITE_STATIC);
  if (!consider_head (self->db, targeted, &best, error))
    return FALSE;

  *out_id = best.id;
  return TRUE;
}

JsonArray *
ow_hall_list_waiting (OwHall      *self,
                      const char  *window,
                      GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  JsonArray *list;
  gint64 now;
  int rc;

  g_return_val_if_fail (OW_IS_HALL (self), NULL);

  if (!ow_db_begin (self->db, FALSE, error))
    return NULL;
  if (!window_exists (self, window, NULL, NULL, NULL, error))
    {
      ow_db_rollback (self->db);
      return NULL;
    }
  stmt = ow_db_prepare (self->db, WAITING_FOR_WINDOW_SQL " LIMIT 500", error);
  if (stmt == NULL)
    {
      ow_db_rollback (self->db);
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, window, -1, SQLITE_STATIC);
  now = ow_clock_now (self->clock);
  list = json_array_new ();
  while ((rc = ow_db_step_row (self->db, stmt, error)) == SQLITE_ROW)
    {
      g_autoptr(Ticket) t = ticket_from_row (stmt);
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "number", t->number);
      json_object_set_string_member (entry, "service", t->service);
      json_object_set_string_member (entry, "step", t->step);
      json_object_set_boolean_member (entry, "green", t->green);
      json_object_set_boolean_member (entry, "reentry", t->priority == 1);
      json_object_set_int_member (entry, "waited_s", (now - t->queued_at) / G_USEC_PER_SEC);
      json_array_add_object_element (list, entry);
    }
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (self->db);
  if (rc < 0)
    {
      json_array_unref (list);
      return NULL;
    }
  return list;
}

static gboolean
check_staff (OwHall      *self,
             const char  *staff,
             GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  if (staff == NULL)
    return TRUE;
  stmt = ow_db_prepare (self->db, "SELECT 1 FROM staff WHERE id = ?1 AND active", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, staff, -1, SQLITE_STATIC);
  rc = ow_db_step_row (self->db, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND, _("no staff member '%s'"), staff);
      return FALSE;
    }
  return TRUE;
}

static int
no_show_limit (OwHall *self)
{
  g_autofree char *value = ow_db_get_setting (self->db, "no_show_limit");
  gint64 limit = value != NULL ? g_ascii_strtoll (value, NULL, 10) : 0;

  return limit > 0 ? (int) limit : DEFAULT_NO_SHOW_LIMIT;
}

static gboolean
step_info (OwHall      *self,
           const char  *step,
           char       **service,
           int         *position,
           int         *limit_minutes,
           GError     **error)
{
  const OwCachedStep *cached;

  if (!ow_catalog_cache_refresh (self->catalog, self->db, error))
    return FALSE;
  cached = ow_catalog_cache_step (self->catalog, step);
  if (cached == NULL || !cached->active)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND, _("no step '%s'"), step);
      return FALSE;
    }
  if (service != NULL)
    *service = g_strdup (cached->service);
  if (position != NULL)
    *position = cached->position;
  if (limit_minutes != NULL)
    *limit_minutes = cached->limit_minutes;
  return TRUE;
}

static char *
next_step (OwHall      *self,
           const char  *service,
           int          position,
           GError     **error)
{
  if (!ow_catalog_cache_refresh (self->catalog, self->db, error))
    return NULL;
  return g_strdup (step_after (self, service, position));
}

static gboolean
validate_missing (OwHall              *self,
                  const Ticket        *t,
                  const char * const  *missing,
                  char               **out_json,
                  GError             **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonNode) listed = NULL;
  g_autoptr(JsonArray) chosen = json_array_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  JsonArray *documents;

  if (missing == NULL || missing[0] == NULL)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID,
                   _("a return needs the missing documents (--missing DOC_ID ...)"));
      return FALSE;
    }

  stmt = ow_db_prepare (self->db, "SELECT documents FROM services WHERE code = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, t->service, -1, SQLITE_STATIC);
  if (ow_db_step_row (self->db, stmt, error) != SQLITE_ROW)
    return FALSE;
  listed = json_from_text (ow_db_column_text (stmt, 0));
  documents = JSON_NODE_HOLDS_ARRAY (listed) ? json_node_get_array (listed) : NULL;

  for (guint i = 0; missing[i] != NULL; i++)
    {
      gboolean known = FALSE;

      for (guint j = 0; documents != NULL && j < json_array_get_length (documents); j++)
        known |= g_strcmp0 (json_array_get_string_element (documents, j), missing[i]) == 0;
      if (!known)
        {
          g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND,
                       _("document '%s' is not among the documents service '%s' requires"),
                       missing[i], t->service);
          return FALSE;
        }
      for (guint j = 0; j < json_array_get_length (chosen); j++)
        known &= g_strcmp0 (json_array_get_string_element (chosen, j), missing[i]) != 0;
      if (known)
        json_array_add_string_element (chosen, missing[i]);
    }

  node = json_node_init_array (json_node_alloc (), chosen);
  json_generator_set_root (generator, node);
  *out_json = json_generator_to_data (generator, NULL);
  return TRUE;
}

/* The union of two JSON arrays of strings, in order, as JSON text. */
static char *
merge_documents (const char *owed,
                 const char *more)
{
  g_autoptr(JsonNode) first = owed != NULL ? json_from_text (owed) : NULL;
  g_autoptr(JsonNode) second = json_from_text (more);
  g_autoptr(JsonArray) merged = json_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonNode) node = NULL;
  JsonNode *lists[] = { first, second };

  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    {
      JsonArray *list = lists[l] != NULL && JSON_NODE_HOLDS_ARRAY (lists[l]) ? json_node_get_array (lists[l]) : NULL;

      for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
        {
          const char *id = json_array_get_string_element (list, i);

          if (id != NULL && g_hash_table_add (seen, (gpointer) id))
            json_array_add_string_element (merged, id);
        }
    }
  node = json_node_init_array (json_node_alloc (), merged);
  return json_to_string (node, FALSE);
}

static int
promise_days (OwHall *self)
{
  return (int) ow_db_get_setting_number (self->db, "promise_days", 1, OW_PROMISE_DAYS_MAX,
                                         OW_PROMISE_DAYS_DEFAULT);
}

/* 容缺受理: the step is done although @missing are not there yet, on the citizen's promise to
 * bring them by @deadline (NULL: the hall's rules.promise_days working days from today).
 * Documents already owed stay owed, and the later deadline holds. */
static gboolean
record_promise (OwHall              *self,
                Ticket              *t,
                const char * const  *missing,
                const char          *deadline,
                gint64               now,
                JsonObject          *details,
                GError             **error)
{
  g_autofree char *documents = NULL;
  g_autofree char *merged = NULL;
  g_autofree char *today = ow_clock_day (self->clock, now);
  g_autofree char *due = NULL;
  g_auto(GStrv) holidays = NULL;
  g_auto(GStrv) workdays = NULL;
  JsonObject *promise;

  if (!validate_missing (self, t, missing, &documents, error))
    return FALSE;
  ow_catalog_calendar (self->db, &holidays, &workdays);
  if (deadline != NULL)
    {
      gint64 midnight = ow_clock_parse_day (self->clock, deadline);
      g_autofree char *canonical = midnight >= 0 ? ow_clock_day (self->clock, midnight) : NULL;
      g_autofree char *latest = ow_clock_working_days_after (today, OW_PROMISE_DAYS_MAX,
                                                             (const char * const *) holidays,
                                                             (const char * const *) workdays);

      if (g_strcmp0 (canonical, deadline) != 0 || strcmp (deadline, today) <= 0 || strcmp (deadline, latest) > 0)
        {
          /* Translators: the deadline as given, and the largest number of working days. */
          g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID,
                       _("the deadline '%s' must be a day after today, at most %d working days away, "
                         "written YYYY-MM-DD"), deadline, OW_PROMISE_DAYS_MAX);
          return FALSE;
        }
      due = g_strdup (deadline);
    }
  else
    due = ow_clock_working_days_after (today, promise_days (self), (const char * const *) holidays,
                                       (const char * const *) workdays);
  if (t->promised_by != NULL && strcmp (t->promised_by, due) > 0)
    ticket_set (&due, t->promised_by);

  merged = merge_documents (t->promised, documents);
  ticket_set (&t->promised, merged);
  ticket_set (&t->promised_by, due);
  promise = json_object_new ();
  json_object_set_member (promise, "documents", json_from_text (documents));
  json_object_set_string_member (promise, "deadline", due);
  json_object_set_object_member (details, "promise", promise);
  return TRUE;
}

/* A ticket state ("no_show") as the translated words people read ("no-show"). */
const char *
ow_hall_state_label (const char *state)
{
  if (g_strcmp0 (state, "waiting") == 0)
    return _("waiting");
  if (g_strcmp0 (state, "called") == 0)
    return _("called");
  if (g_strcmp0 (state, "serving") == 0)
    return _("being served");
  if (g_strcmp0 (state, "completed") == 0)
    return _("completed");
  if (g_strcmp0 (state, "no_show") == 0)
    return _("no-show");
  if (g_strcmp0 (state, "returned") == 0)
    return _("returned for missing documents");
  if (g_strcmp0 (state, "cancelled") == 0)
    return _("cancelled");
  if (g_strcmp0 (state, "expired") == 0)
    return _("expired");
  return state;
}

static void
set_reason (JsonObject *details,
            const char *reason)
{
  if (reason != NULL && *reason != '\0')
    json_object_set_string_member (details, "reason", reason);
}

/* Moves @t into the queue of @step and records it. */
static gboolean
enqueue (OwHall      *self,
         Ticket      *t,
         const char  *step,
         gint64       now,
         GError     **error)
{
  ticket_set (&t->state, "waiting");
  ticket_set (&t->step, step);
  ticket_set (&t->window, NULL);
  t->queued_at = now;
  t->called_at = 0;
  t->started_at = 0;
  return open_visit (self, t, step, now, error);
}

JsonObject *
ow_hall_window_act (OwHall              *self,
                    const OwActor       *actor,
                    const char          *window,
                    OwWindowAction       action,
                    const OwWindowArgs  *args,
                    GError             **error)
{
  static const OwWindowArgs no_args = { 0 };
  g_autoptr(Ticket) t = NULL;
  g_autoptr(JsonObject) details = json_object_new ();
  g_autofree char *window_staff = NULL;
  const char *staff;
  const char *event_action = ow_hall_window_action_to_string (action);
  g_autofree char *acted_step = NULL;  /* the step acted on: enqueue () replaces t->step */
  gboolean paused = FALSE;
  gint64 current = 0;
  gint64 now;

  g_return_val_if_fail (OW_IS_HALL (self), NULL);
  g_return_val_if_fail (window != NULL, NULL);

  if (args == NULL)
    args = &no_args;

  if (!begin_write (self, error))
    return NULL;
  now = ow_clock_now (self->clock);

  if (!window_exists (self, window, &paused, &window_staff, &current, error) ||
      !check_staff (self, args->staff, error))
    goto fail;
  staff = args->staff != NULL ? args->staff : window_staff;
  if (staff != NULL)
    json_object_set_string_member (details, "staff", staff);

  if (action == OW_WINDOW_CALL && !expire_old (self, error))
    goto fail;

  if (current > 0)
    {
      t = load_ticket (self, current, error);
      if (t == NULL)
        goto fail;
      /* A window's hold on a ticket ends when the ticket leaves its hands. */
      if (g_strcmp0 (t->window, window) != 0 ||
          (g_strcmp0 (t->state, "called") != 0 && g_strcmp0 (t->state, "serving") != 0))
        {
          g_clear_pointer (&t, ticket_free);
          current = 0;
        }
    }

  switch (action)
    {
    case OW_WINDOW_CALL:
      {
        gint64 next_id = 0;

        if (paused)
          {
            g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_PAUSED,
                         _("window '%s' is paused: resume it before calling"), window);
            goto fail;
          }
        if (t != NULL)
          {
            /* Translators: the window's ID, a ticket number such as "A001" and that ticket's
             * state such as "being served". */
            g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_WINDOW_BUSY,
                         _("window '%s' still has %s (%s): complete, return, transfer or mark it "
                           "no-show first"), window, t->number, ow_hall_state_label (t->state));
            goto fail;
          }
        if (!next_for_window (self, window, &next_id, error))
          goto fail;
        if (next_id == 0)
          {
            /* Nobody waits: not an error, and nothing to log. */
            if (staff != NULL && !set_window_ticket (self, window, 0, args->staff, error))
              goto fail;
            goto result;
          }
        t = load_ticket (self, next_id, error);
        if (t == NULL)
          goto fail;

        json_object_set_string_member (details, "from_state", t->state);
        ticket_set (&t->state, "called");
        ticket_set (&t->window, window);
        t->called_at = now;
        t->recalls = 0;
        json_object_set_string_member (details, "step", t->step);
        json_object_set_int_member (details, "waited_s", (now - t->queued_at) / G_USEC_PER_SEC);
        if (t->target_window != NULL)
          json_object_set_string_member (details, "target_window", t->target_window);
        if (!set_window_ticket (self, window, t->id, args->staff, error) ||
            !update_visit (self, t, "called_at = ?2, window = ?3", now, window, error) ||
            (staff != NULL && !update_visit (self, t, "staff = ?3", now, staff, error)))
          goto fail;
        break;
      }

    case OW_WINDOW_PAUSE:
    case OW_WINDOW_RESUME:
      {
        g_autoptr(sqlite3_stmt) stmt = NULL;
        gboolean pause = action == OW_WINDOW_PAUSE;

        if (pause == paused)
          {
            g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_WRONG_STATE,
                         pause ? _("window '%s' is already paused") : _("window '%s' is not paused"),
                         window);
            goto fail;
          }
        if (pause && t != NULL)
          {
            g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_WINDOW_BUSY,
                         _("window '%s' still has %s: finish with it before pausing"), window, t->number);
            goto fail;
          }
        stmt = ow_db_prepare (self->db,
                              "UPDATE windows SET paused = ?2, pause_reason = ?3 WHERE id = ?1", error);
        if (stmt == NULL)
          goto fail;
        sqlite3_bind_text (stmt, 1, window, -1, SQLITE_STATIC);
        sqlite3_bind_int (stmt, 2, pause);
        sqlite3_bind_text (stmt, 3, pause ? args->reason : NULL, -1, SQLITE_STATIC);
        if (!ow_db_step_done (self->db, stmt, error))
          goto fail;
        set_reason (details, args->reason);
        if (!log_event (self, actor, window, NULL, event_action, details, error))
          goto fail;
        goto result;
      }

    default:
      if (t == NULL)
        {
          g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NO_TICKET,
                       _("window '%s' has no ticket in hand: call one first"), window);
          goto fail;
        }
      break;
    }

  /* A call has said already: the state before it picked the ticket. */
  if (!json_object_has_member (details, "from_state"))
    json_object_set_string_member (details, "from_state", t->state);
  acted_step = g_strdup (t->step);

  switch (action)
    {
    case OW_WINDOW_CALL:
      break;

    case OW_WINDOW_RECALL:
      if (g_strcmp0 (t->state, "called") != 0)
        {
          g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_WRONG_STATE,
                       _("%s is already being served: only a called ticket can be recalled"), t->number);
          goto fail;
        }
      t->recalls++;
      json_object_set_int_member (details, "recalls", t->recalls);
      break;

    case OW_WINDOW_NO_SHOW:
      {
        int limit = no_show_limit (self);

        if (g_strcmp0 (t->state, "called") != 0)
          {
            g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_WRONG_STATE,
                         _("%s is being served: only a called ticket can be a no-show"), t->number);
            goto fail;
          }
        t->no_shows++;
        json_object_set_int_member (details, "no_shows", t->no_shows);
        json_object_set_int_member (details, "limit", limit);
        if (!close_visit (self, t, "no_show", now, 0, staff, error))
          goto fail;
        if (t->no_shows >= limit)
          {
            ticket_set (&t->state, "no_show");
            ticket_set (&t->window, NULL);
            t->ended_at = now;
            json_object_set_boolean_member (details, "ended", TRUE);
          }
        else
          {
            /* Back into the queue, behind those waiting now, so the next call moves on. */
            g_autofree char *step = g_strdup (t->step);

            t->place = now;
            if (!enqueue (self, t, step, now, error))
              goto fail;
            json_object_set_boolean_member (details, "ended", FALSE);
          }
        if (!set_window_ticket (self, window, 0, NULL, error))
          goto fail;
        break;
      }

    case OW_WINDOW_START:
      if (g_strcmp0 (t->state, "called") != 0)
        {
          g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_WRONG_STATE,
                       _("%s is already being served"), t->number);
          goto fail;
        }
      ticket_set (&t->state, "serving");
      t->started_at = now;
      if (!update_visit (self, t, "started_at = ?2", now, NULL, error))
        goto fail;
      break;

    case OW_WINDOW_COMPLETE:
      {
        g_autofree char *service = NULL;
        g_autofree char *next = NULL;
        g_autoptr(GError) local_error = NULL;
        int position = 0, limit_minutes = 0;
        gint64 service_s, over_s;

        /* Staff often skip "start": service then counts from the call. */
        if (t->started_at <= 0)
          {
            t->started_at = t->called_at;
            if (!update_visit (self, t, "started_at = ?2", t->called_at, NULL, error))
              goto fail;
          }
        service_s = (now - t->started_at) / G_USEC_PER_SEC;
        if (!step_info (self, t->step, &service, &position, &limit_minutes, &local_error))
          {
            /* A retired step still finishes; it just has no successor. */
            g_clear_error (&local_error);
            limit_minutes = 0;
            position = G_MAXINT;
          }
        over_s = limit_minutes > 0 ? service_s - (gint64) limit_minutes * 60 : 0;
        json_object_set_string_member (details, "step", t->step);
        json_object_set_int_member (details, "service_s", service_s);
        if (over_s > 0)
          json_object_set_int_member (details, "over_s", over_s);
        if (args->missing != NULL && args->missing[0] != NULL)
          {
            if (!record_promise (self, t, args->missing, args->deadline, now, details, error))
              goto fail;
          }
        else if (args->deadline != NULL)
          {
            g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID,
                         _("a deadline goes with the documents the citizen promises to bring: "
                           "give them too"));
            goto fail;
          }
        if (!close_visit (self, t, "done", now, over_s, staff, error) ||
            !count_today (self, t->day, "served:", acted_step, service_s, error))
          goto fail;

        next = next_step (self, t->service, position, &local_error);
        if (local_error != NULL)
          {
            g_propagate_error (error, g_steal_pointer (&local_error));
            goto fail;
          }
        t->target_window = (g_free (t->target_window), NULL);
        if (next != NULL)
          {
            /* The ticket keeps its place (its issue time) in the next step's queue. */
            if (t->priority == 1)
              t->priority = 0;
            if (!enqueue (self, t, next, now, error))
              goto fail;
            json_object_set_string_member (details, "next_step", next);
          }
        else
          {
            ticket_set (&t->state, "completed");
            ticket_set (&t->window, NULL);
            t->ended_at = now;
            json_object_set_null_member (details, "next_step");
          }
        if (!set_window_ticket (self, window, 0, NULL, error))
          goto fail;
        break;
      }

    case OW_WINDOW_RETURN:
      {
        g_autofree char *missing = NULL;
        g_autoptr(JsonNode) missing_node = NULL;

        if (!validate_missing (self, t, args->missing, &missing, error))
          goto fail;
        missing_node = json_from_text (missing);
        json_object_set_member (details, "missing", g_steal_pointer (&missing_node));
        ticket_set (&t->missing, missing);
        ticket_set (&t->state, "returned");
        ticket_set (&t->window, NULL);
        set_reason (details, args->reason);
        if (!close_visit (self, t, "returned", now, 0, staff, error) ||
            !set_window_ticket (self, window, 0, NULL, error))
          goto fail;
        break;
      }

    case OW_WINDOW_TRANSFER:
      {
        g_autofree char *step = NULL;

        if (args->reason == NULL || *args->reason == '\0')
          {
            g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID,
                         _("a transfer needs a reason (首问负责: say why and to where)"));
            goto fail;
          }
        if ((args->to_step == NULL) == (args->to_window == NULL))
          {
            g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID,
                         _("a transfer goes either to a step or to a window"));
            goto fail;
          }
        if (args->to_step != NULL)
          {
            if (!step_info (self, args->to_step, NULL, NULL, NULL, error))
              goto fail;
            step = g_strdup (args->to_step);
            ticket_set (&t->target_window, NULL);
            json_object_set_string_member (details, "to_step", step);
          }
        else
          {
            if (g_strcmp0 (args->to_window, window) == 0)
              {
                g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID,
                             _("a transfer must go to another window"));
                goto fail;
              }
            if (!window_exists (self, args->to_window, NULL, NULL, NULL, error))
              goto fail;
            step = g_strdup (t->step);
            ticket_set (&t->target_window, args->to_window);
            json_object_set_string_member (details, "to_window", args->to_window);
          }
        json_object_set_string_member (details, "from_step", t->step);
        set_reason (details, args->reason);
        if (!close_visit (self, t, "transferred", now, 0, staff, error) ||
            !enqueue (self, t, step, now, error) ||
            !set_window_ticket (self, window, 0, NULL, error))
          goto fail;
        break;
      }

    case OW_WINDOW_PAUSE:
    case OW_WINDOW_RESUME:
    default:
      g_assert_not_reached ();
    }

  if (!save_ticket (self, t, error) ||
      !log_event (self, actor, window, t, event_action, details, error))
    goto fail;

result:
  {
    /* Built inside the write transaction: what the caller sees is what commits, and no
     * second transaction (with its file locks) is needed to read it back. */
    g_autoptr(JsonObject) result = json_object_new ();
    JsonObject *window_object = window_to_json (self, window, error);

    if (window_object == NULL)
      goto fail;
    json_object_set_object_member (result, "window", window_object);
    if (t != NULL)
      json_object_set_object_member (result, "ticket", ticket_to_json (self, t, FALSE));
    else
      json_object_set_null_member (result, "ticket");
    if (!commit_write (self, error))
      return NULL;
    return g_steal_pointer (&result);
  }

fail:
  ow_db_rollback (self->db);
  return NULL;
}

/* Tickets outside a window's hands */

JsonObject *
ow_hall_reenter_ticket (OwHall         *self,
                        const OwActor  *actor,
                        const char     *number_or_token,
                        GError        **error)
{
  g_autoptr(Ticket) t = NULL;
  g_autoptr(JsonObject) details = json_object_new ();
  g_autofree char *step = NULL;
  gint64 now;

  g_return_val_if_fail (OW_IS_HALL (self), NULL);

  if (!begin_write (self, error))
    return NULL;
  now = ow_clock_now (self->clock);
  if (!expire_old (self, error))
    goto fail;
  t = find_ticket (self, number_or_token, error);
  if (t == NULL)
    goto fail;
  if (g_strcmp0 (t->state, "returned") != 0)
    {
      /* Translators: a ticket number such as "A001" and its state such as "waiting". */
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_WRONG_STATE,
                   _("%s is %s: only a returned ticket can re-enter"), t->number, ow_hall_state_label (t->state));
      goto fail;
    }
  /* 补正 done: the citizen comes back ahead of ordinary tickets, behind the green channel. */
  step = g_strdup (t->step);
  json_object_set_member (details, "missing", json_from_text (t->missing));
  if (t->priority < 1)
    t->priority = 1;
  ticket_set (&t->missing, NULL);
  if (!enqueue (self, t, step, now, error) ||
      !save_ticket (self, t, error) ||
      !log_event (self, actor, NULL, t, "reenter", details, error))
    goto fail;
  if (!commit_write (self, error))
    return NULL;
  return ow_hall_find_ticket (self, t->token, FALSE, error);

fail:
  ow_db_rollback (self->db);
  return NULL;
}

/* The citizen brings documents promised at a 容缺受理: @documents (NULL: all of them) are
 * owed no more.  Returns the TICKET. */
JsonObject *
ow_hall_supply_documents (OwHall              *self,
                          const OwActor       *actor,
                          const char          *number_or_token,
                          const char * const  *documents,
                          GError             **error)
{
  g_autoptr(Ticket) t = NULL;
  g_autoptr(JsonObject) details = json_object_new ();
  g_autoptr(JsonNode) owed = NULL;
  g_autoptr(JsonArray) supplied = json_array_new ();
  g_autoptr(JsonArray) remaining = json_array_new ();
  JsonArray *list;

  g_return_val_if_fail (OW_IS_HALL (self), NULL);

  if (!begin_write (self, error))
    return NULL;
  t = find_ticket (self, number_or_token, error);
  if (t == NULL)
    goto fail;
  if (t->promised == NULL)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_WRONG_STATE, _("%s owes no documents"), t->number);
      goto fail;
    }
  owed = json_from_text (t->promised);
  list = JSON_NODE_HOLDS_ARRAY (owed) ? json_node_get_array (owed) : NULL;
  for (guint i = 0; documents != NULL && documents[i] != NULL; i++)
    {
      gboolean known = FALSE;

      for (guint j = 0; list != NULL && j < json_array_get_length (list); j++)
        known |= g_strcmp0 (json_array_get_string_element (list, j), documents[i]) == 0;
      if (!known)
        {
          /* Translators: a ticket number such as "A001" and a document ID. */
          g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND,
                       _("%s does not owe document '%s'"), t->number, documents[i]);
          goto fail;
        }
    }
  for (guint j = 0; list != NULL && j < json_array_get_length (list); j++)
    {
      const char *id = json_array_get_string_element (list, j);

      if (documents == NULL || documents[0] == NULL || g_strv_contains (documents, id))
        json_array_add_string_element (supplied, id);
      else
        json_array_add_string_element (remaining, id);
    }

  json_object_set_array_member (details, "documents", json_array_ref (supplied));
  json_object_set_array_member (details, "remaining", json_array_ref (remaining));
  if (json_array_get_length (remaining) > 0)
    {
      g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), remaining);
      g_autofree char *text = json_to_string (node, FALSE);

      ticket_set (&t->promised, text);
    }
  else
    {
      ticket_set (&t->promised, NULL);
      ticket_set (&t->promised_by, NULL);
    }
  if (!save_ticket (self, t, error) ||
      !log_event (self, actor, NULL, t, "supply", details, error))
    goto fail;
  return commit_ticket (self, t, error);

fail:
  ow_db_rollback (self->db);
  return NULL;
}

/* Tickets whose promised documents are still owed (a cancelled case owes nothing), the
 * earliest deadline first: {"number", "day", "service", "documents", "deadline",
 * "overdue"}.  No token: this list is for staff. */
JsonArray *
ow_hall_list_promises (OwHall  *self,
                       GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonArray) list = json_array_new ();
  g_autofree char *today = NULL;
  int rc;

  g_return_val_if_fail (OW_IS_HALL (self), NULL);

  today = ow_clock_day (self->clock, ow_clock_now (self->clock));
  if (!ow_db_begin (self->db, FALSE, error))
    return NULL;
  stmt = ow_db_prepare (self->db,
                        "SELECT number, day, service, promised, promised_by FROM tickets"
                        " WHERE promised IS NOT NULL AND state <> 'cancelled' ORDER BY promised_by, id",
                        error);
  if (stmt == NULL)
    goto fail;
  while ((rc = ow_db_step_row (self->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *entry = json_object_new ();
      const char *due = ow_db_column_text (stmt, 4);

      json_object_set_string_member (entry, "number", ow_db_column_text (stmt, 0));
      json_object_set_string_member (entry, "day", ow_db_column_text (stmt, 1));
      json_object_set_string_member (entry, "service", ow_db_column_text (stmt, 2));
      json_object_set_member (entry, "documents", json_from_text (ow_db_column_text (stmt, 3)));
      json_object_set_string_member (entry, "deadline", due);
      json_object_set_boolean_member (entry, "overdue", g_strcmp0 (due, today) < 0);
      json_array_add_object_element (list, entry);
    }
  if (rc < 0)
    goto fail;
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (self->db);
  return g_steal_pointer (&list);

fail:
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (self->db);
  return NULL;
}

JsonObject *
ow_hall_cancel_ticket (OwHall         *self,
                       const OwActor  *actor,
                       const char     *number_or_token,
                       const char     *reason,
                       GError        **error)
{
  g_autoptr(Ticket) t = NULL;
  g_autoptr(JsonObject) details = json_object_new ();
  gint64 now;

  g_return_val_if_fail (OW_IS_HALL (self), NULL);

  if (!begin_write (self, error))
    return NULL;
  now = ow_clock_now (self->clock);
  t = find_ticket (self, number_or_token, error);
  if (t == NULL)
    goto fail;
  if (g_strcmp0 (t->state, "waiting") != 0 && g_strcmp0 (t->state, "returned") != 0 &&
      g_strcmp0 (t->state, "called") != 0 && g_strcmp0 (t->state, "serving") != 0)
    {
      /* Translators: a ticket number such as "A001" and its state such as "completed". */
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_WRONG_STATE,
                   _("%s is %s: only an open ticket can be cancelled"), t->number, ow_hall_state_label (t->state));
      goto fail;
    }
  json_object_set_string_member (details, "from_state", t->state);
  set_reason (details, reason);
  if (t->window != NULL && !set_window_ticket (self, t->window, 0, NULL, error))
    goto fail;
  ticket_set (&t->state, "cancelled");
  ticket_set (&t->window, NULL);
  t->ended_at = now;
  if (!close_visit (self, t, "cancelled", now, 0, NULL, error) ||
      !save_ticket (self, t, error) ||
      !log_event (self, actor, NULL, t, "cancel", details, error))
    goto fail;
  if (!commit_write (self, error))
    return NULL;
  return ow_hall_find_ticket (self, t->token, FALSE, error);

fail:
  ow_db_rollback (self->db);
  return NULL;
}

/* Staff */

static gboolean
valid_pin (const char *pin)
{
  gsize len = pin != NULL ? strlen (pin) : 0;

  if (len < 4 || len > 8)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (pin[i]))
      return FALSE;
  return TRUE;
}

static gboolean
valid_staff_id (const char *id)
{
  if (id == NULL || *id == '\0' || strlen (id) > 64)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

gboolean
ow_hall_add_staff (OwHall         *self,
                   const OwActor  *actor,
                   const char     *id,
                   const char     *name,
                   const char     *role,
                   const char     *pin,
                   GError        **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonObject) details = json_object_new ();
  char hash[crypto_pwhash_STRBYTES];

  g_return_val_if_fail (OW_IS_HALL (self), FALSE);

  if (!valid_staff_id (id))
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID,
                   _("staff ID '%s' must be 1 to 64 letters, digits, '-', '_' or '.'"), id ? id : "");
      return FALSE;
    }
  if (name == NULL || *name == '\0' || !g_utf8_validate (name, -1, NULL))
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID, _("staff member '%s' needs a name"), id);
      return FALSE;
    }
  if (g_strcmp0 (role, "counter") != 0 && g_strcmp0 (role, "supervisor") != 0 &&
      g_strcmp0 (role, "admin") != 0)
    {
      /* Translators: counter, supervisor and admin are the role names to type; keep them in
       * English. */
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID,
                   _("role '%s' is not one of counter, supervisor, admin"), role ? role : "");
      return FALSE;
    }
  if (!valid_pin (pin))
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID, _("a PIN is 4 to 8 digits"));
      return FALSE;
    }

  if (crypto_pwhash_str_alg (hash, pin, strlen (pin), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_FAILED, _("out of memory hashing the PIN"));
      return FALSE;
    }

  if (!begin_write (self, error))
    return FALSE;
  stmt = ow_db_prepare (self->db,
                        "INSERT INTO staff (id, name, role, pin_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, role, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, ow_clock_now (self->clock));
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      if ((sqlite3_extended_errcode (ow_db_get_handle (self->db)) & 0xff) == SQLITE_CONSTRAINT)
        g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_EXISTS, _("staff ID '%s' is taken"), id);
      else
        ow_db_set_error (self->db, sqlite3_errcode (ow_db_get_handle (self->db)), error);
      goto fail;
    }
  ow_db_release (g_steal_pointer (&stmt));

  json_object_set_string_member (details, "staff", id);
  json_object_set_string_member (details, "role", role);
  if (!log_event (self, actor, NULL, NULL, "staff_add", details, error))
    goto fail;
  return commit_write (self, error);

fail:
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (self->db);
  return FALSE;
}

JsonArray *
ow_hall_list_staff (OwHall  *self,
                    GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  JsonArray *list;
  gint64 now;
  int rc;

  g_return_val_if_fail (OW_IS_HALL (self), NULL);

  stmt = ow_db_prepare (self->db,
                        "SELECT id, name, role, active, locked_until FROM staff ORDER BY id", error);
  if (stmt == NULL)
    return NULL;
  now = ow_clock_now (self->clock);
  list = json_array_new ();
  while ((rc = ow_db_step_row (self->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "id", ow_db_column_text (stmt, 0));
      json_object_set_string_member (entry, "name", ow_db_column_text (stmt, 1));
      json_object_set_string_member (entry, "role", ow_db_column_text (stmt, 2));
      json_object_set_boolean_member (entry, "active", sqlite3_column_int (stmt, 3));
      json_object_set_boolean_member (entry, "locked", sqlite3_column_int64 (stmt, 4) > now);
      json_array_add_object_element (list, entry);
    }
  if (rc < 0)
    {
      json_array_unref (list);
      return NULL;
    }
  return list;
}

/* The answer to a sign-in at an account locked until @locked_until. */
static void
set_locked_error (GError     **error,
                  const char  *id,
                  gint64       locked_until,
                  gint64       now)
{
  g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_LOCKED,
               _("staff account '%s' is locked for %lld more minutes after %d wrong PINs"),
               id, (long long) ((locked_until - now + 60 * G_USEC_PER_SEC - 1) / (60 * G_USEC_PER_SEC)),
               PIN_ATTEMPTS);
}

/* Inside a write: logs the @failed-th wrong PIN in a row for @id and commits, then sets
 * @error to the answer (wrong, or now locked) and returns TRUE.  FALSE if the log or the
 * commit failed; the caller rolls back. */
static gboolean
record_wrong_pin (OwHall         *self,
                  const OwActor  *actor,
                  const char     *id,
                  int             failed,
                  GError        **error)
{
  g_autoptr(JsonObject) details = json_object_new ();

  json_object_set_string_member (details, "staff", id);
  json_object_set_int_member (details, "failed", failed);
  if (!log_event (self, actor, NULL, NULL, failed >= PIN_ATTEMPTS ? "staff_locked" : "login_failed", details,
                  error) ||
      !commit_write (self, error))
    return FALSE;
  if (failed >= PIN_ATTEMPTS)
    g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_LOCKED,
                 _("staff account '%s' is locked for 15 minutes after %d wrong PINs"), id, PIN_ATTEMPTS);
  else
    g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_AUTH, _("wrong staff ID or PIN"));
  return TRUE;
}

/* A hash of no one's PIN, made like staff's, for checking a PIN that cannot match in the
 * time a real check takes. */
static const char *
stranger_hash (void)
{
  static char hash[crypto_pwhash_STRBYTES];
  static gsize made = 0;

  if (g_once_init_enter (&made))
    {
      char pin[16];

      randombytes_buf (pin, sizeof pin);
      if (crypto_pwhash_str_alg (hash, pin, sizeof pin, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
        g_error ("cannot hash: out of memory");
      g_once_init_leave (&made, 1);
    }
  return hash;
}

void
ow_hall_prepare_pin_checks (void)
{
  stranger_hash ();
}

/* A sign-in under a staff ID that does not exist: refused as a wrong PIN for a real account
 * would be, after as long, and locked after as many tries, with the same words. */
static void
stranger_refuse (OwHall         *self,
                 const OwActor  *actor,
                 const char     *id,
                 const char     *pin,
                 GError        **error)
{
  gint64 now = ow_clock_now (self->clock);
  Stranger *stranger;
  gint64 locked_until = 0;
  int failed;

  g_mutex_lock (&self->strangers_lock);
  stranger = g_hash_table_lookup (self->strangers, id);
  if (stranger != NULL)
    locked_until = stranger->locked_until;
  g_mutex_unlock (&self->strangers_lock);
  if (locked_until > now)
    {
      set_locked_error (error, id, locked_until, now);
      return;
    }

  /* It never matches; only its time counts. */
  if (pin != NULL && crypto_pwhash_str_verify (stranger_hash (), pin, strlen (pin)) == 0)
    g_warn_if_reached ();

  g_mutex_lock (&self->strangers_lock);
  if (g_hash_table_size (self->strangers) >= STRANGERS_MAX)
    g_hash_table_remove_all (self->strangers);
  stranger = g_hash_table_lookup (self->strangers, id);
  if (stranger == NULL)
    {
      stranger = g_new0 (Stranger, 1);
      g_hash_table_insert (self->strangers, g_strdup (id), stranger);
    }
  failed = ++stranger->failed;
  if (failed >= PIN_ATTEMPTS)
    {
      stranger->failed = 0;
      stranger->locked_until = now + PIN_LOCK_US;
    }
  g_mutex_unlock (&self->strangers_lock);

  /* In the log as for a real account: a supervisor sees someone trying IDs. */
  if (begin_write (self, error) && !record_wrong_pin (self, actor, id, failed, error))
    ow_db_rollback (self->db);
}

char *
ow_hall_check_pin (OwHall         *self,
                   const OwActor  *actor,
                   const char     *id,
                   const char     *pin,
                   GError        **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *role = NULL;
  gint64 locked_until, now;
  int failed, rc;
  gboolean good;

  g_return_val_if_fail (OW_IS_HALL (self), NULL);

  /* Hash outside the write lock: argon2id takes tens of milliseconds on purpose. */
  stmt = ow_db_prepare (self->db,
                        "SELECT pin_hash, role, failed, locked_until FROM staff WHERE id = ?1 AND active",
                        error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  rc = ow_db_step_row (self->db, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      stranger_refuse (self, actor, id, pin, error);
      return NULL;
    }
  hash = column_dup (stmt, 0);
  role = column_dup (stmt, 1);
  locked_until = sqlite3_column_int64 (stmt, 3);
  ow_db_release (g_steal_pointer (&stmt));

  now = ow_clock_now (self->clock);
  if (locked_until > now)
    {
      set_locked_error (error, id, locked_until, now);
      return NULL;
    }

  good = pin != NULL && crypto_pwhash_str_verify (hash, pin, strlen (pin)) == 0;

  if (!begin_write (self, error))
    return NULL;
  /* Re-read the count inside the write lock: another terminal may have failed meanwhile. */
  stmt = ow_db_prepare (self->db, "SELECT failed FROM staff WHERE id = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  rc = ow_db_step_row (self->db, stmt, error);
  if (rc != SQLITE_ROW)
    goto fail;
  failed = good ? 0 : sqlite3_column_int (stmt, 0) + 1;
  ow_db_release (g_steal_pointer (&stmt));

  stmt = ow_db_prepare (self->db,
                        "UPDATE staff SET failed = ?2, locked_until = ?3 WHERE id = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 2, failed >= PIN_ATTEMPTS ? 0 : failed);
  sqlite3_bind_int64 (stmt, 3, failed >= PIN_ATTEMPTS ? now + PIN_LOCK_US : 0);
  if (!ow_db_step_done (self->db, stmt, error))
    goto fail;

  if (!good)
    {
      if (!record_wrong_pin (self, actor, id, failed, error))
        goto fail;
      return NULL;
    }

  if (!commit_write (self, error))
    return NULL;
  return g_steal_pointer (&role);

fail:
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (self->db);
  return NULL;
}
