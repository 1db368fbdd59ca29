/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-counter-session.h"

#include "ow-appkit.h"

#include <glib/gi18n.h>
#include <string.h>

struct _OwCounterSession
{
  GObject       parent_instance;

  OwClient     *client;
  char         *window_id;
  char         *staff;
  char         *state_file;
  GCancellable *cancellable;

  gboolean      signed_in;
  gboolean      busy;
  gboolean      online;

  JsonObject   *catalog;
  JsonObject   *window;      /* WINDOW with "waiting_list" */
  gint64        window_read; /* monotonic time of the last read of the waiting list */
  JsonObject   *ticket;      /* the ticket in hand, as the server last described it */
  char         *token;       /* its token: the window object only names the number */
  JsonObject   *lookup;
  char         *outcome;

  GHashTable   *history;     /* number -> GPtrArray of events, today's only */
  char         *day;         /* the local day the figures and history are for */
  guint         served;
  guint64       service_s;
  guint         over;

  guint         resync_source;
  guint         act_serial;  /* bumped by every action: older reads of the window are stale */
  gboolean      resync_running;
  gboolean      resync_again;
  gulong        event_id;
  gulong        online_id;
};

G_DEFINE_FINAL_TYPE (OwCounterSession, ow_counter_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SIGNED_IN,
  PROP_ONLINE,
  PROP_BUSY,
  N_PROPS
};

enum {
  SIGNAL_CHANGED,
  SIGNAL_NOTICE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void schedule_resync (OwCounterSession *self);

static char *
today (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_format (now, "%Y-%m-%d");
}

static void
emit_changed (OwCounterSession *self)
{
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
notice (OwCounterSession *self,
        gboolean          error,
        const char       *message)
{
  g_signal_emit (self, signals[SIGNAL_NOTICE], 0, message, error);
}

static void
set_busy (OwCounterSession *self,
          gboolean          busy)
{
  if (self->busy == busy)
    return;
  self->busy = busy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
set_online (OwCounterSession *self,
            gboolean          online)
{
  if (self->online == online)
    return;
  self->online = online;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ONLINE]);
}

static void
set_signed_in (OwCounterSession *self,
               gboolean          signed_in)
{
  if (self->signed_in == signed_in)
    return;
  self->signed_in = signed_in;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGNED_IN]);
}

static void
set_object (JsonObject **slot,
            JsonObject  *object)
{
  if (object != NULL)
    json_object_ref (object);
  g_clear_pointer (slot, json_object_unref);
  *slot = object;
}

/* Figures and history */

static void
reset_day (OwCounterSession *self,
           const char       *day)
{
  g_free (self->day);
  self->day = g_strdup (day);
  self->served = 0;
  self->service_s = 0;
  self->over = 0;
  g_hash_table_remove_all (self->history);
}

static void
save_state (OwCounterSession *self)
{
  g_autoptr(GKeyFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;

  if (self->state_file == NULL || self->day == NULL)
    return;
  file = g_key_file_new ();
  g_key_file_set_string (file, "figures", "day", self->day);
  g_key_file_set_string (file, "figures", "server", ow_client_get_base_url (self->client));
  g_key_file_set_int64 (file, "figures", "seq", ow_client_get_last_seq (self->client));
  g_key_file_set_uint64 (file, "figures", "served", self->served);
  g_key_file_set_uint64 (file, "figures", "service_s", self->service_s);
  g_key_file_set_uint64 (file, "figures", "over", self->over);
  dir = g_path_get_dirname (self->state_file);
  g_mkdir_with_parents (dir, 0700);
  if (!g_key_file_save_to_file (file, self->state_file, &error))
    g_debug ("cannot keep the counter's figures: %s", error->message);
}

/* Today's figures survive a restart: the counter resumes the event stream after the last
 * event it counted, so nothing is counted twice and nothing is missed. */
static gint64
load_state (OwCounterSession *self)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *day = today ();
  g_autofree char *saved_day = NULL;
  g_autofree char *server = NULL;

  reset_day (self, day);
  if (self->state_file == NULL ||
      !g_key_file_load_from_file (file, self->state_file, G_KEY_FILE_NONE, NULL))
    return -1;
  saved_day = g_key_file_get_string (file, "figures", "day", NULL);
  server = g_key_file_get_string (file, "figures", "server", NULL);
  if (g_strcmp0 (saved_day, day) != 0 ||
      g_strcmp0 (server, ow_client_get_base_url (self->client)) != 0)
    return -1;
  self->served = g_key_file_get_uint64 (file, "figures", "served", NULL);
  self->service_s = g_key_file_get_uint64 (file, "figures", "service_s", NULL);
  self->over = g_key_file_get_uint64 (file, "figures", "over", NULL);
  return g_key_file_get_int64 (file, "figures", "seq", NULL);
}

static char *
event_day (JsonObject *event)
{
  gint64 at = json_object_get_int_member_with_default (event, "at", 0);
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (at / G_USEC_PER_SEC);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%d") : NULL;
}

static JsonObject *find_in (OwCounterSession *self,
                            const char       *array,
                            const char       *key,
                            const char       *value);

/* Whether this window serves a step of @service. */
static gboolean
serves_service (OwCounterSession *self,
                JsonObject       *service)
{
  JsonObject *window = find_in (self, "windows", "id", self->window_id);
  JsonArray *window_steps, *steps;

  if (window == NULL || service == NULL ||
      !json_object_has_member (window, "steps") || !json_object_has_member (service, "steps"))
    return FALSE;
  window_steps = json_object_get_array_member (window, "steps");
  steps = json_object_get_array_member (service, "steps");
  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      const char *step = json_object_get_string_member_with_default (json_array_get_object_element (steps, i),
                                                                     "id", "");

      for (guint j = 0; j < json_array_get_length (window_steps); j++)
        if (g_strcmp0 (json_array_get_string_element (window_steps, j), step) == 0)
          return TRUE;
    }
  return FALSE;
}

/* The hall's waiting-count alert, for the windows that can do something about it. */
static void
announce_alert (OwCounterSession *self,
                JsonObject       *details)
{
  JsonObject *service;
  g_autofree char *message = NULL;

  if (details == NULL)
    return;
  service = find_in (self, "services", "code", json_object_get_string_member_with_default (details, "service", NULL));
  if (!serves_service (self, service))
    return;
  /* Translators: a service's name and how many of its tickets wait, now that the hall's
   * alert threshold is reached. */
  message = g_strdup_printf (ngettext ("Queue alert: %s, %d person waiting", "Queue alert: %s, %d people waiting",
                                       json_object_get_int_member_with_default (details, "waiting", 0)),
                             ow_appkit_localized (json_object_get_member (service, "name"), NULL),
                             (int) json_object_get_int_member_with_default (details, "waiting", 0));
  notice (self, TRUE, message);
}

static void
event_cb (OwClient         *client,
          JsonObject       *event,
          OwCounterSession *self)
{
  const char *window = json_object_get_string_member_with_default (event, "window", NULL);
  const char *ticket = json_object_get_string_member_with_default (event, "ticket", NULL);
  const char *action = json_object_get_string_member_with_default (event, "action", "");
  g_autofree char *day = event_day (event);
  gboolean ours = g_strcmp0 (window, self->window_id) == 0;

  if (day != NULL && g_strcmp0 (day, self->day) > 0)
    reset_day (self, day);

  if (g_strcmp0 (day, self->day) == 0)
    {
      if (ticket != NULL)
        {
          GPtrArray *events = g_hash_table_lookup (self->history, ticket);

          if (events == NULL)
            {
              events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
              g_hash_table_insert (self->history, g_strdup (ticket), events);
            }
          /* A ticket's number starts afresh each day: an issue begins its history. */
          if (g_str_equal (action, "issue"))
            g_ptr_array_set_size (events, 0);
          g_ptr_array_add (events, json_object_ref (event));
        }
      if (ours && g_str_equal (action, "complete"))
        {
          JsonObject *details = json_object_get_object_member (event, "details");

          self->served++;
          if (details != NULL)
            {
              self->service_s += MAX (0, json_object_get_int_member_with_default (details, "service_s", 0));
              if (json_object_get_int_member_with_default (details, "over_s", 0) > 0)
                self->over++;
            }
        }
    }
  if (g_str_equal (action, "alert"))
    announce_alert (self, json_object_get_object_member (event, "details"));
  save_state (self);

  /* Anything about a ticket may change this window's queues; a burst costs one refresh. */
  if (ours || ticket != NULL)
    schedule_resync (self);
  else
    emit_changed (self);
}

static void
client_online_cb (OwClient         *client,
                  GParamSpec       *pspec,
                  OwCounterSession *self)
{
  gboolean online = ow_client_get_online (client);

  set_online (self, online);
  /* Back from an outage: what happened meanwhile comes as events, but the window and the
   * ticket in hand are read afresh too. */
  if (online && self->signed_in)
    schedule_resync (self);
}

/* Reading the window */

/* A read of the window or the ticket, and the action count when it was sent. */
typedef struct
{
  OwCounterSession *self;
  guint             serial;
} ResyncData;

static ResyncData *
resync_data_new (OwCounterSession *self)
{
  ResyncData *data = g_new0 (ResyncData, 1);

  data->self = g_object_ref (self);
  data->serial = self->act_serial;
  return data;
}

/* The ticket in hand as the server has it, with its token and history (the steps done
 * before it reached this window, also those from before this counter started). */
static void
window_ticket_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  ResyncData *data = user_data;
  g_autoptr(OwCounterSession) self = data->self;
  guint serial = data->serial;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *ticket;

  g_free (data);
  answer = ow_client_request_finish (OW_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* An action since this read was sent makes it stale; an error keeps what is shown. */
  if (answer == NULL || serial != self->act_serial || self->busy)
    return;
  ticket = json_object_get_null_member (answer, "ticket") ? NULL : json_object_get_object_member (answer, "ticket");
  set_object (&self->ticket, ticket);
  g_free (self->token);
  self->token = ticket != NULL ? g_strdup (json_object_get_string_member_with_default (ticket, "token", NULL)) : NULL;
  emit_changed (self);
}

static void
resync_done (OwCounterSession *self)
{
  self->resync_running = FALSE;
  if (self->resync_again)
    {
      self->resync_again = FALSE;
      schedule_resync (self);
    }
}

static void
window_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ResyncData *data = user_data;
  g_autoptr(OwCounterSession) self = data->self;
  guint serial = data->serial;
  g_autoptr(JsonObject) window = NULL;
  g_autoptr(GError) error = NULL;
  const char *number;

  g_free (data);
  window = ow_client_request_finish (OW_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  resync_done (self);
  if (serial != self->act_serial || self->busy)
    {
      /* An action ran meanwhile: this answer may predate it. */
      schedule_resync (self);
      return;
    }
  if (window == NULL)
    {
      if (g_error_matches (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_UNAUTHORIZED))
        {
          set_signed_in (self, FALSE);
          notice (self, TRUE, _("The session has ended: sign in again"));
        }
      return;
    }
  set_object (&self->window, window);
  self->window_read = g_get_monotonic_time ();

  number = json_object_get_string_member_with_default (window, "ticket", NULL);
  if (number == NULL)
    {
      g_clear_pointer (&self->ticket, json_object_unref);
      g_clear_pointer (&self->token, g_free);
    }
  else
    {
      if (self->ticket == NULL ||
          g_strcmp0 (json_object_get_string_member_with_default (self->ticket, "number", NULL), number) != 0)
        {
          /* Held from an earlier session: show the number at once, the rest follows. */
          g_autoptr(JsonObject) minimal = json_object_new ();

          json_object_set_string_member (minimal, "number", number);
          json_object_set_string_member (minimal, "state",
                                         json_object_get_string_member_with_default (window, "ticket_state", "called"));
          set_object (&self->ticket, minimal);
          g_clear_pointer (&self->token, g_free);
        }
      ow_client_get_window_ticket_async (self->client, self->window_id, self->cancellable, window_ticket_cb,
                                         resync_data_new (self));
    }
  emit_changed (self);
}

static gboolean
resync_cb (gpointer data)
{
  OwCounterSession *self = data;

  self->resync_source = 0;
  /* A read sent while an action is in flight may be answered before or after the action
   * lands, out of order with it; the action's answer schedules a fresh read anyway. */
  if (!self->signed_in || self->busy)
    return G_SOURCE_REMOVE;
  if (self->resync_running)
    {
      self->resync_again = TRUE;
      return G_SOURCE_REMOVE;
    }
  self->resync_running = TRUE;
  ow_client_get_window_async (self->client, self->window_id, self->cancellable, window_cb,
                              resync_data_new (self));
  return G_SOURCE_REMOVE;
}

static void
schedule_resync (OwCounterSession *self)
{
  if (self->resync_source == 0)
    self->resync_source = g_timeout_add (100, resync_cb, self);
}

/* Signing in and out */

static void
catalog_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr(OwCounterSession) self = data;
  g_autoptr(JsonObject) catalog = NULL;
  g_autoptr(GError) error = NULL;

  catalog = ow_client_request_finish (OW_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (catalog == NULL)
    {
      notice (self, TRUE, error->message);
      return;
    }
  set_object (&self->catalog, catalog);
  emit_changed (self);
}

static void
login_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      data)
{
  g_autoptr(OwCounterSession) self = data;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  gint64 since;

  answer = ow_client_request_finish (OW_CLIENT (source), result, &error);
  set_busy (self, FALSE);
  if (answer == NULL)
    {
      const char *code = ow_client_get_last_error_code (self->client);

      g_clear_pointer (&self->staff, g_free);
      if (g_error_matches (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_LOCKED))
        notice (self, TRUE, _("Too many wrong PINs: this staff ID is locked for a while"));
      else if (g_error_matches (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_UNAUTHORIZED) ||
               g_strcmp0 (code, "auth") == 0)
        notice (self, TRUE, _("Wrong staff ID or PIN"));
      else if (g_error_matches (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NETWORK))
        notice (self, TRUE, _("The hall server does not answer"));
      else
        notice (self, TRUE, error->message);
      return;
    }

  since = load_state (self);
  set_signed_in (self, TRUE);
  ow_client_get_catalog_async (self->client, self->cancellable, catalog_cb, g_object_ref (self));
  ow_client_start_events (self->client, since);
  schedule_resync (self);
  emit_changed (self);
}

void
ow_counter_session_sign_in (OwCounterSession *self,
                            const char       *staff,
                            const char       *pin)
{
  g_return_if_fail (OW_IS_COUNTER_SESSION (self));
  g_return_if_fail (staff != NULL && pin != NULL);

  if (self->busy || self->signed_in)
    return;
  g_free (self->staff);
  self->staff = g_strdup (staff);
  set_busy (self, TRUE);
  ow_client_login_async (self->client, staff, pin, self->window_id, self->cancellable, login_cb,
                         g_object_ref (self));
}

static void
logout_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(OwCounterSession) self = data;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = ow_client_request_finish (OW_CLIENT (source), result, &error);
  set_busy (self, FALSE);
  if (answer == NULL && !g_error_matches (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_UNAUTHORIZED))
    {
      notice (self, TRUE, error->message);
      return;
    }
  ow_client_stop_events (self->client);
  ow_client_set_token (self->client, NULL);
  g_clear_handle_id (&self->resync_source, g_source_remove);
  g_clear_pointer (&self->staff, g_free);
  g_clear_pointer (&self->window, json_object_unref);
  g_clear_pointer (&self->ticket, json_object_unref);
  g_clear_pointer (&self->token, g_free);
  g_clear_pointer (&self->lookup, json_object_unref);
  g_clear_pointer (&self->outcome, g_free);
  set_signed_in (self, FALSE);
  emit_changed (self);
}

void
ow_counter_session_sign_out (OwCounterSession *self)
{
  g_return_if_fail (OW_IS_COUNTER_SESSION (self));

  if (!self->signed_in || self->busy)
    return;
  set_busy (self, TRUE);
  ow_client_logout_async (self->client, self->cancellable, logout_cb, g_object_ref (self));
}

/* Acting */

typedef struct
{
  OwCounterSession *self;
  char             *action;
  char             *number;    /* the ticket acted on */
} ActData;

static void
act_data_free (ActData *data)
{
  g_object_unref (data->self);
  g_free (data->action);
  g_free (data->number);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ActData, act_data_free)

/* Says where a ticket went when it left the window. */
static char *
describe_outcome (OwCounterSession *self,
                  const char       *action,
                  const char       *number,
                  JsonObject       *ticket)
{
  const char *state = json_object_get_string_member_with_default (ticket, "state", "");
  const char *step = json_object_get_string_member_with_default (ticket, "step", NULL);
  const char *target = json_object_get_string_member_with_default (ticket, "target_window", NULL);

  if (g_str_equal (state, "completed"))
    return g_strdup_printf (_("%s → completed: all steps done"), number);
  if (g_str_equal (state, "no_show"))
    return g_strdup_printf (_("%s: no-show again, the ticket has ended"), number);
  if (g_str_equal (action, "no-show"))
    return g_strdup_printf (_("%s: no-show, back in the queue"), number);
  if (g_str_equal (state, "returned"))
    {
      JsonArray *missing = json_object_get_array_member (ticket, "missing");
      g_autoptr(GString) names = g_string_new (NULL);

      for (guint i = 0; missing != NULL && i < json_array_get_length (missing); i++)
        {
          if (i > 0)
            g_string_append (names, _(", "));
          g_string_append (names, ow_counter_session_document_name (self, json_array_get_string_element (missing, i)));
        }
      return g_strdup_printf (_("%s returned for missing documents: %s"), number, names->str);
    }
  if (target != NULL)
    return g_strdup_printf (_("%s → %s (transferred)"), number, ow_counter_session_window_name (self, target));
  if (step != NULL)
    {
      g_autofree char *windows = ow_counter_session_windows_for_step (self, step);

      if (g_str_equal (action, "transfer"))
        return g_strdup_printf (_("%s → %s %s (transferred)"), number, windows,
                                ow_counter_session_step_name (self, step));
      return g_strdup_printf ("%s → %s %s", number, windows, ow_counter_session_step_name (self, step));
    }
  return g_strdup (number);
}

static void
act_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(ActData) data = user_data;
  OwCounterSession *self = data->self;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *window, *ticket;

  answer = ow_client_request_finish (OW_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (answer == NULL)
    {
      if (g_error_matches (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NETWORK))
        notice (self, TRUE, _("The hall server does not answer; nothing was sent twice. Try again when online."));
      else if (g_error_matches (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_UNAUTHORIZED))
        {
          set_signed_in (self, FALSE);
          notice (self, TRUE, _("The session has ended: sign in again"));
        }
      else
        notice (self, TRUE, error->message);
      schedule_resync (self);
      emit_changed (self);
      return;
    }

  window = json_object_get_object_member (answer, "window");
  ticket = json_object_get_null_member (answer, "ticket") ? NULL : json_object_get_object_member (answer, "ticket");
  if (window != NULL)
    {
      /* The action's answer has no waiting list: keep the last one until the refresh. */
      if (self->window != NULL && json_object_has_member (self->window, "waiting_list"))
        json_object_set_member (window, "waiting_list",
                                json_node_copy (json_object_get_member (self->window, "waiting_list")));
      set_object (&self->window, window);
    }

  if (g_str_equal (data->action, "call") || g_str_equal (data->action, "recall") ||
      g_str_equal (data->action, "start"))
    {
      if (ticket == NULL)
        {
          notice (self, FALSE, _("Nobody is waiting for this window"));
          g_clear_pointer (&self->ticket, json_object_unref);
        }
      else
        {
          set_object (&self->ticket, ticket);
          g_free (self->token);
          self->token = g_strdup (json_object_get_string_member_with_default (ticket, "token", NULL));
          g_clear_pointer (&self->outcome, g_free);
          if (g_str_equal (data->action, "call"))
            g_clear_pointer (&self->lookup, json_object_unref);
        }
    }
  else if (ticket != NULL && data->number != NULL)
    {
      g_free (self->outcome);
      self->outcome = describe_outcome (self, data->action, data->number, ticket);
      g_clear_pointer (&self->ticket, json_object_unref);
      g_clear_pointer (&self->token, g_free);
      notice (self, FALSE, self->outcome);
    }
  else if (g_str_equal (data->action, "pause"))
    notice (self, FALSE, _("Window paused"));
  else if (g_str_equal (data->action, "resume"))
    notice (self, FALSE, _("Window open again"));

  schedule_resync (self);
  emit_changed (self);
}

gboolean
ow_counter_session_act (OwCounterSession *self,
                        const char       *action,
                        JsonObject       *args)
{
  ActData *data;

  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), FALSE);
  g_return_val_if_fail (action != NULL, FALSE);

  /* The guard that makes a double click call one ticket: one request at a time. */
  if (!self->signed_in || self->busy || !self->online)
    return FALSE;
  set_busy (self, TRUE);
  self->act_serial++;
  data = g_new0 (ActData, 1);
  data->self = g_object_ref (self);
  data->action = g_strdup (action);
  if (self->ticket != NULL)
    data->number = g_strdup (json_object_get_string_member_with_default (self->ticket, "number", NULL));
  ow_client_window_act_async (self->client, self->window_id, action, args, self->cancellable,
                              act_cb, data);
  return TRUE;
}

/* Looking up */

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(OwCounterSession) self = data;
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(GError) error = NULL;

  ticket = ow_client_request_finish (OW_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (ticket == NULL)
    {
      if (g_error_matches (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NOT_FOUND))
        notice (self, TRUE, _("No such ticket"));
      else
        notice (self, TRUE, error->message);
      return;
    }
  set_object (&self->lookup, ticket);
  emit_changed (self);
}

static gboolean
is_token (const char *text)
{
  if (strlen (text) != 32)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

static gboolean
is_number (const char *text)
{
  gsize length = strlen (text);

  if (length < 4 || !g_ascii_isalpha (text[0]))
    return FALSE;
  for (gsize i = 1; i < length; i++)
    if (!g_ascii_isdigit (text[i]))
      return FALSE;
  return TRUE;
}

void
ow_counter_session_lookup (OwCounterSession *self,
                           const char       *text)
{
  g_autofree char *input = NULL;
  const char *slash;
  const char *candidate;

  g_return_if_fail (OW_IS_COUNTER_SESSION (self));
  g_return_if_fail (text != NULL);

  input = g_strstrip (g_strdup (text));
  /* A scanner types the status URL (…/t/TOKEN) or the token itself. */
  slash = strrchr (input, '/');
  candidate = slash != NULL ? slash + 1 : input;
  if (is_token (candidate))
    {
      g_autofree char *token = g_ascii_strdown (candidate, -1);

      ow_client_get_ticket_async (self->client, token, self->cancellable, lookup_cb, g_object_ref (self));
      return;
    }
  if (is_number (input))
    {
      g_autofree char *number = g_ascii_strup (input, -1);
      JsonArray *waiting = ow_counter_session_get_waiting (self);

      if (self->ticket != NULL &&
          g_strcmp0 (json_object_get_string_member_with_default (self->ticket, "number", NULL), number) == 0)
        {
          set_object (&self->lookup, self->ticket);
          emit_changed (self);
          return;
        }
      for (guint i = 0; waiting != NULL && i < json_array_get_length (waiting); i++)
        {
          JsonObject *entry = json_array_get_object_element (waiting, i);

          if (g_strcmp0 (json_object_get_string_member_with_default (entry, "number", NULL), number) == 0)
            {
              g_autoptr(JsonObject) found = json_object_new ();
              GList *members = json_object_get_members (entry);

              for (GList *l = members; l != NULL; l = l->next)
                json_object_set_member (found, l->data, json_node_copy (json_object_get_member (entry, l->data)));
              g_list_free (members);
              json_object_set_string_member (found, "state", "waiting");
              json_object_set_int_member (found, "position", i + 1);
              set_object (&self->lookup, found);
              emit_changed (self);
              return;
            }
        }
      notice (self, TRUE, _("That number is not waiting at this window; scan its QR code to see where it is"));
      return;
    }
  notice (self, TRUE, _("Not a ticket: scan the QR code or type a number like A005"));
}

void
ow_counter_session_clear_lookup (OwCounterSession *self)
{
  g_return_if_fail (OW_IS_COUNTER_SESSION (self));

  g_clear_pointer (&self->lookup, json_object_unref);
  emit_changed (self);
}

/* Getters */

OwClient *
ow_counter_session_get_client (OwCounterSession *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), NULL);
  return self->client;
}

const char *
ow_counter_session_get_window_id (OwCounterSession *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), NULL);
  return self->window_id;
}

const char *
ow_counter_session_get_staff (OwCounterSession *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), NULL);
  return self->staff;
}

gboolean
ow_counter_session_get_signed_in (OwCounterSession *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), FALSE);
  return self->signed_in;
}

gboolean
ow_counter_session_get_online (OwCounterSession *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), FALSE);
  return self->online;
}

gboolean
ow_counter_session_get_busy (OwCounterSession *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), FALSE);
  return self->busy;
}

OwCounterAllowed
ow_counter_session_get_allowed (OwCounterSession *self)
{
  OwCounterAllowed allowed = 0;
  const char *state;
  gboolean paused;

  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), 0);

  if (!self->signed_in || !self->online || self->busy || self->window == NULL)
    return 0;
  paused = json_object_get_boolean_member_with_default (self->window, "paused", FALSE);
  if (self->ticket == NULL)
    return paused ? OW_COUNTER_CAN_RESUME : (OW_COUNTER_CAN_CALL | OW_COUNTER_CAN_PAUSE);

  state = json_object_get_string_member_with_default (self->ticket, "state", "");
  if (g_str_equal (state, "called"))
    allowed |= OW_COUNTER_CAN_RECALL | OW_COUNTER_CAN_NO_SHOW | OW_COUNTER_CAN_START;
  if (g_str_equal (state, "called") || g_str_equal (state, "serving"))
    allowed |= OW_COUNTER_CAN_COMPLETE | OW_COUNTER_CAN_RETURN | OW_COUNTER_CAN_TRANSFER;
  if (self->token != NULL)
    allowed |= OW_COUNTER_CAN_REPRINT;
  return allowed;
}

JsonObject *
ow_counter_session_get_catalog (OwCounterSession *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), NULL);
  return self->catalog;
}

JsonObject *
ow_counter_session_get_window (OwCounterSession *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), NULL);
  return self->window;
}

JsonObject *
ow_counter_session_get_ticket (OwCounterSession *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), NULL);
  return self->ticket;
}

JsonArray *
ow_counter_session_get_waiting (OwCounterSession *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), NULL);

  if (self->window == NULL || !json_object_has_member (self->window, "waiting_list"))
    return NULL;
  return json_object_get_array_member (self->window, "waiting_list");
}

JsonObject *
ow_counter_session_get_lookup (OwCounterSession *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), NULL);
  return self->lookup;
}

gint64
ow_counter_session_get_waiting_age (OwCounterSession *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), 0);

  if (self->window_read == 0)
    return 0;
  return (g_get_monotonic_time () - self->window_read) / G_USEC_PER_SEC;
}

const char *
ow_counter_session_get_outcome (OwCounterSession *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), NULL);
  return self->outcome;
}

GPtrArray *
ow_counter_session_get_history (OwCounterSession *self,
                                const char       *number)
{
  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), NULL);
  return number != NULL ? g_hash_table_lookup (self->history, number) : NULL;
}

void
ow_counter_session_get_figures (OwCounterSession *self,
                                guint            *served,
                                guint            *average_s,
                                guint            *over_limit)
{
  g_return_if_fail (OW_IS_COUNTER_SESSION (self));

  if (served != NULL)
    *served = self->served;
  if (average_s != NULL)
    *average_s = self->served > 0 ? (guint) (self->service_s / self->served) : 0;
  if (over_limit != NULL)
    *over_limit = self->over;
}

void
ow_counter_session_set_state_file (OwCounterSession *self,
                                   const char       *path)
{
  g_return_if_fail (OW_IS_COUNTER_SESSION (self));

  g_free (self->state_file);
  self->state_file = g_strdup (path);
}

/* Catalogue look-ups */

static JsonObject *
find_in (OwCounterSession *self,
         const char       *array,
         const char       *key,
         const char       *value)
{
  JsonArray *items;

  if (self->catalog == NULL || value == NULL || !json_object_has_member (self->catalog, array))
    return NULL;
  items = json_object_get_array_member (self->catalog, array);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (item, key, NULL), value) == 0)
        return item;
    }
  return NULL;
}

JsonObject *
ow_counter_session_find_service (OwCounterSession *self,
                                 const char       *code)
{
  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), NULL);
  return find_in (self, "services", "code", code);
}

const char *
ow_counter_session_document_name (OwCounterSession *self,
                                  const char       *id)
{
  JsonObject *document;

  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), NULL);

  document = find_in (self, "documents", "id", id);
  return document != NULL ? ow_appkit_localized (json_object_get_member (document, "name"), NULL) : id;
}

const char *
ow_counter_session_step_name (OwCounterSession *self,
                              const char       *step)
{
  g_autofree char *code = NULL;
  JsonObject *service;
  JsonArray *steps;

  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), NULL);

  if (step == NULL)
    return "";
  code = g_strndup (step, strcspn (step, "/"));
  service = find_in (self, "services", "code", code);
  if (service == NULL || !json_object_has_member (service, "steps"))
    return step;
  steps = json_object_get_array_member (service, "steps");
  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *item = json_array_get_object_element (steps, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (item, "id", NULL), step) == 0)
        return ow_appkit_localized (json_object_get_member (item, "name"), NULL);
    }
  return step;
}

const char *
ow_counter_session_window_name (OwCounterSession *self,
                                const char       *window)
{
  JsonObject *item;

  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), NULL);

  item = find_in (self, "windows", "id", window);
  return item != NULL ? ow_appkit_localized (json_object_get_member (item, "name"), NULL) : window;
}

char *
ow_counter_session_windows_for_step (OwCounterSession *self,
                                     const char       *step)
{
  g_autoptr(GString) names = g_string_new (NULL);
  JsonArray *windows;

  g_return_val_if_fail (OW_IS_COUNTER_SESSION (self), NULL);

  if (self->catalog == NULL || !json_object_has_member (self->catalog, "windows"))
    return g_strdup ("");
  windows = json_object_get_array_member (self->catalog, "windows");
  for (guint i = 0; i < json_array_get_length (windows); i++)
    {
      JsonObject *window = json_array_get_object_element (windows, i);
      JsonArray *steps = json_object_has_member (window, "steps") ? json_object_get_array_member (window, "steps") : NULL;

      for (guint j = 0; steps != NULL && j < json_array_get_length (steps); j++)
        if (g_strcmp0 (json_array_get_string_element (steps, j), step) == 0)
          {
            if (names->len > 0)
              g_string_append (names, " / ");
            g_string_append (names, ow_appkit_localized (json_object_get_member (window, "name"), NULL));
            break;
          }
    }
  return g_string_free (g_steal_pointer (&names), FALSE);
}

OwCounterTimerLevel
ow_counter_timer_level (gint64 elapsed_s,
                        gint64 limit_s)
{
  if (limit_s <= 0)
    return OW_COUNTER_TIMER_OK;
  if (elapsed_s > limit_s)
    return OW_COUNTER_TIMER_OVER;
  if (elapsed_s * 5 >= limit_s * 4)
    return OW_COUNTER_TIMER_NEAR;
  return OW_COUNTER_TIMER_OK;
}

/* Object */

static void
ow_counter_session_dispose (GObject *object)
{
  OwCounterSession *self = OW_COUNTER_SESSION (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->resync_source, g_source_remove);
  if (self->client != NULL)
    {
      g_clear_signal_handler (&self->event_id, self->client);
      g_clear_signal_handler (&self->online_id, self->client);
      ow_client_stop_events (self->client);
    }
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (ow_counter_session_parent_class)->dispose (object);
}

static void
ow_counter_session_finalize (GObject *object)
{
  OwCounterSession *self = OW_COUNTER_SESSION (object);

  g_free (self->window_id);
  g_free (self->staff);
  g_free (self->state_file);
  g_free (self->token);
  g_free (self->outcome);
  g_free (self->day);
  g_clear_pointer (&self->catalog, json_object_unref);
  g_clear_pointer (&self->window, json_object_unref);
  g_clear_pointer (&self->ticket, json_object_unref);
  g_clear_pointer (&self->lookup, json_object_unref);
  g_clear_pointer (&self->history, g_hash_table_unref);
  G_OBJECT_CLASS (ow_counter_session_parent_class)->finalize (object);
}

static void
ow_counter_session_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  OwCounterSession *self = OW_COUNTER_SESSION (object);

  switch (prop_id)
    {
    case PROP_SIGNED_IN:
      g_value_set_boolean (value, self->signed_in);
      break;
    case PROP_ONLINE:
      g_value_set_boolean (value, self->online);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_counter_session_class_init (OwCounterSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_counter_session_dispose;
  object_class->finalize = ow_counter_session_finalize;
  object_class->get_property = ow_counter_session_get_property;

  properties[PROP_SIGNED_IN] =
    g_param_spec_boolean ("signed-in", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ONLINE] =
    g_param_spec_boolean ("online", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * OwCounterSession::changed:
   *
   * The window, the ticket in hand, the waiting list, the figures or a look-up changed.
   */
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  /**
   * OwCounterSession::notice:
   * @message: what to tell the staff
   * @error: whether something was refused or failed
   */
  signals[SIGNAL_NOTICE] =
    g_signal_new ("notice", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
}

static void
ow_counter_session_init (OwCounterSession *self)
{
  self->cancellable = g_cancellable_new ();
  self->history = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
}

OwCounterSession *
ow_counter_session_new (OwClient   *client,
                        const char *window_id)
{
  OwCounterSession *self;

  g_return_val_if_fail (OW_IS_CLIENT (client), NULL);
  g_return_val_if_fail (window_id != NULL, NULL);

  self = g_object_new (OW_TYPE_COUNTER_SESSION, NULL);
  self->client = g_object_ref (client);
  self->window_id = g_strdup (window_id);
  self->online = ow_client_get_online (client);
  self->event_id = g_signal_connect (client, "event", G_CALLBACK (event_cb), self);
  self->online_id = g_signal_connect (client, "notify::online", G_CALLBACK (client_online_cb), self);
  return self;
}
