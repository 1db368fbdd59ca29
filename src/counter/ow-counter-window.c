/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-counter-window.h"

#include "ow-appkit.h"
#include "ow-counter-reason-dialog.h"
#include "ow-counter-resources.h"
#include "ow-counter-return-dialog.h"
#include "ow-counter-transfer-dialog.h"
#include "ow-counter-waiting-row.h"
#ifdef HAVE_PRINT
#include "ow-print.h"
#endif

#include <glib/gi18n.h>
#include <string.h>

struct _OwCounterWindow
{
  AdwApplicationWindow  parent_instance;

  AdwToastOverlay      *toasts;
  AdwWindowTitle       *title;
  GtkLabel             *staff_label;
  GtkRevealer          *offline_revealer;
  GtkStack             *stack;
  GtkEntry             *staff_entry;
  GtkPasswordEntry     *pin_entry;
  GtkLabel             *sign_in_error;
  GtkLabel             *number_label;
  GtkLabel             *state_label;
  GtkLabel             *service_label;
  GtkLabel             *step_label;
  GtkLabel             *timer_label;
  GtkLabel             *limit_label;
  GtkLabel             *outcome_label;
  GtkBox               *history_box;
  GtkBox               *documents_box;
  GtkSearchEntry       *search_entry;
  GtkLabel             *lookup_label;
  GtkLabel             *waiting_title;
  GtkListBox           *waiting_list;
  GtkLabel             *figures_label;
  GtkButton            *pause_button;
  GtkGrid              *actions_grid;

  OwCounterSession     *session;
  GtkWindow            *dialog;
  char                 *printer;
  guint                 tick_source;
};

G_DEFINE_FINAL_TYPE (OwCounterWindow, ow_counter_window, ADW_TYPE_APPLICATION_WINDOW)

static const struct
{
  const char       *action;
  OwCounterAllowed  allowed;
} action_rules[] = {
  { "counter.call-next", OW_COUNTER_CAN_CALL },
  { "counter.recall", OW_COUNTER_CAN_RECALL },
  { "counter.no-show", OW_COUNTER_CAN_NO_SHOW },
  { "counter.start", OW_COUNTER_CAN_START },
  { "counter.complete", OW_COUNTER_CAN_COMPLETE },
  { "counter.promise", OW_COUNTER_CAN_COMPLETE },
  { "counter.return", OW_COUNTER_CAN_RETURN },
  { "counter.transfer", OW_COUNTER_CAN_TRANSFER },
  { "counter.pause", OW_COUNTER_CAN_PAUSE | OW_COUNTER_CAN_RESUME },
  { "counter.reprint", OW_COUNTER_CAN_REPRINT },
};

static const char *
state_name (const char *state)
{
  if (g_strcmp0 (state, "waiting") == 0)
    return _("Waiting");
  if (g_strcmp0 (state, "called") == 0)
    return _("Called: waiting for the citizen");
  if (g_strcmp0 (state, "serving") == 0)
    return _("Being served");
  if (g_strcmp0 (state, "completed") == 0)
    return _("Completed");
  if (g_strcmp0 (state, "no_show") == 0)
    return _("Ended: no-show");
  if (g_strcmp0 (state, "returned") == 0)
    return _("Returned for missing documents");
  if (g_strcmp0 (state, "cancelled") == 0)
    return _("Cancelled");
  if (g_strcmp0 (state, "expired") == 0)
    return _("Expired");
  return state != NULL ? state : "";
}

static gint64
parse_time (JsonObject *object,
            const char *member)
{
  const char *text = json_object_get_string_member_with_default (object, member, NULL);
  g_autoptr(GDateTime) time = text != NULL ? g_date_time_new_from_iso8601 (text, NULL) : NULL;

  return time != NULL ? g_date_time_to_unix (time) : 0;
}

static void
clear_box (GtkWidget *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (box)) != NULL)
    {
      if (GTK_IS_LIST_BOX (box))
        gtk_list_box_remove (GTK_LIST_BOX (box), child);
      else
        gtk_box_remove (GTK_BOX (box), child);
    }
}

static void
add_line (GtkBox     *box,
          const char *text,
          const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  gtk_box_append (box, label);
}

/* The step the ticket is at, from its "steps" and "step_index". */
static JsonObject *
current_step (JsonObject *ticket)
{
  JsonArray *steps = json_object_has_member (ticket, "steps") ? json_object_get_array_member (ticket, "steps") : NULL;
  gint64 index = json_object_get_int_member_with_default (ticket, "step_index", 0);

  if (steps == NULL || index < 1 || index > json_array_get_length (steps))
    return NULL;
  return json_array_get_object_element (steps, index - 1);
}

/* Timer */

static void
update_timer (OwCounterWindow *self)
{
  JsonObject *ticket = ow_counter_session_get_ticket (self->session);
  JsonObject *step;
  g_autofree char *elapsed_text = NULL;
  g_autofree char *limit_text = NULL;
  gint64 since, elapsed, limit_s;
  GtkWidget *timer = GTK_WIDGET (self->timer_label);

  gtk_widget_remove_css_class (timer, "timer-near");
  gtk_widget_remove_css_class (timer, "timer-over");
  if (ticket == NULL)
    {
      gtk_label_set_label (self->timer_label, "");
      gtk_label_set_label (self->limit_label, "");
      return;
    }
  since = parse_time (ticket, "started_at");
  if (since == 0)
    since = parse_time (ticket, "called_at");
  if (since == 0)
    {
      gtk_label_set_label (self->timer_label, "");
      gtk_label_set_label (self->limit_label, "");
      return;
    }
  elapsed = MAX (0, g_get_real_time () / G_USEC_PER_SEC - since);
  elapsed_text = ow_counter_format_duration (elapsed);
  gtk_label_set_label (self->timer_label, elapsed_text);

  step = current_step (ticket);
  limit_s = step != NULL ? json_object_get_int_member_with_default (step, "limit_minutes", 0) * 60 : 0;
  if (limit_s <= 0)
    {
      gtk_label_set_label (self->limit_label, _("no time limit"));
      return;
    }
  switch (ow_counter_timer_level (elapsed, limit_s))
    {
    case OW_COUNTER_TIMER_OVER:
      {
        g_autofree char *over = ow_counter_format_duration (elapsed - limit_s);

        gtk_widget_add_css_class (timer, "timer-over");
        limit_text = g_strdup_printf (_("over the %d min limit by %s"), (int) (limit_s / 60), over);
        break;
      }
    case OW_COUNTER_TIMER_NEAR:
      gtk_widget_add_css_class (timer, "timer-near");
      G_GNUC_FALLTHROUGH;
    case OW_COUNTER_TIMER_OK:
    default:
      limit_text = g_strdup_printf (_("of %d min limit"), (int) (limit_s / 60));
      break;
    }
  gtk_label_set_label (self->limit_label, limit_text);
}

static void
update_waited (OwCounterWindow *self)
{
  gint64 since = ow_counter_session_get_waiting_age (self->session);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->waiting_list));
       row != NULL; row = gtk_widget_get_next_sibling (row))
    if (OW_IS_COUNTER_WAITING_ROW (row))
      ow_counter_waiting_row_set_age (OW_COUNTER_WAITING_ROW (row), since);
}

static gboolean
tick_cb (gpointer data)
{
  update_timer (data);
  update_waited (data);
  return G_SOURCE_CONTINUE;
}

/* Refreshing from the session */

static void
update_actions (OwCounterWindow *self)
{
  OwCounterAllowed allowed = ow_counter_session_get_allowed (self->session);
  gboolean signed_in = ow_counter_session_get_signed_in (self->session);
  gboolean busy = ow_counter_session_get_busy (self->session);

  for (guint i = 0; i < G_N_ELEMENTS (action_rules); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), action_rules[i].action,
                                   (allowed & action_rules[i].allowed) != 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "counter.sign-in", !signed_in && !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "counter.sign-out", signed_in && !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "counter.find", signed_in);
  gtk_button_set_label (self->pause_button, (allowed & OW_COUNTER_CAN_RESUME) ? _("Resume (F8)") : _("Pause (F8)"));
  gtk_revealer_set_reveal_child (self->offline_revealer,
                                 signed_in && !ow_counter_session_get_online (self->session));
}

static void
update_history (OwCounterWindow *self,
                JsonObject      *ticket)
{
  JsonArray *steps = json_object_has_member (ticket, "steps") ? json_object_get_array_member (ticket, "steps") : NULL;
  gint64 index = json_object_get_int_member_with_default (ticket, "step_index", 0);
  const char *state = json_object_get_string_member_with_default (ticket, "state", "");
  const char *number = json_object_get_string_member_with_default (ticket, "number", NULL);
  GPtrArray *events = ow_counter_session_get_history (self->session, number);
  g_autoptr(GPtrArray) from_ticket = NULL;
  guint done;

  /* The server's history once the window's ticket has been read back; right after an action,
   * until then, this counter's own record of the day's events. */
  if (json_object_has_member (ticket, "history"))
    {
      JsonArray *history = json_object_get_array_member (ticket, "history");

      from_ticket = g_ptr_array_new ();
      for (guint i = 0; history != NULL && i < json_array_get_length (history); i++)
        g_ptr_array_add (from_ticket, json_array_get_object_element (history, i));
      events = from_ticket;
    }

  done = g_str_equal (state, "completed") && steps != NULL ? json_array_get_length (steps) : (guint) MAX (0, index - 1);
  for (guint i = 0; steps != NULL && i < done && i < json_array_get_length (steps); i++)
    {
      JsonObject *step = json_array_get_object_element (steps, i);
      const char *id = json_object_get_string_member_with_default (step, "id", "");
      const char *name = ow_appkit_localized (json_object_get_member (step, "name"), NULL);
      g_autofree char *line = NULL;

      for (guint j = 0; events != NULL && j < events->len && line == NULL; j++)
        {
          JsonObject *event = g_ptr_array_index (events, j);
          JsonObject *details = json_object_get_object_member (event, "details");
          const char *actor = json_object_get_string_member_with_default (event, "actor", "");
          const char *time = json_object_get_string_member_with_default (event, "time", "");
          g_autofree char *hhmm = strlen (time) >= 16 ? g_strndup (time + 11, 5) : g_strdup ("");
          g_autofree char *took = NULL;
          const char *who;

          if (details == NULL ||
              g_strcmp0 (json_object_get_string_member_with_default (event, "action", NULL), "complete") != 0 ||
              g_strcmp0 (json_object_get_string_member_with_default (details, "step", NULL), id) != 0)
            continue;
          who = json_object_get_string_member_with_default (details, "staff", NULL);
          if (who == NULL)
            who = g_str_has_prefix (actor, "staff:") ? actor + 6 : actor;
          took = ow_counter_format_duration (json_object_get_int_member_with_default (details, "service_s", 0));
          /* Translators: a step done: its name, the window, who, at what time, how long. */
          line = g_strdup_printf (_("✓ %s — %s, %s by %s, took %s"), name,
                                  ow_counter_session_window_name (self->session,
                                                                  json_object_get_string_member_with_default (event, "window", "")),
                                  hhmm, who, took);
          if (json_object_get_int_member_with_default (details, "over_s", 0) > 0)
            {
              g_autofree char *plain = g_steal_pointer (&line);

              line = g_strdup_printf (_("%s (over the limit)"), plain);
            }
        }
      add_line (self->history_box, line != NULL ? line : (line = g_strdup_printf ("✓ %s", name)), NULL);
    }
  if (done == 0)
    add_line (self->history_box, _("None yet: this is the first step"), "dim-label");
}

static void
update_documents (OwCounterWindow *self,
                  JsonObject      *ticket)
{
  JsonObject *service = ow_counter_session_find_service (self->session,
                                                         json_object_get_string_member_with_default (ticket, "service", NULL));
  JsonArray *documents = service != NULL && json_object_has_member (service, "documents")
                         ? json_object_get_array_member (service, "documents") : NULL;
  JsonArray *missing = json_object_has_member (ticket, "missing") ? json_object_get_array_member (ticket, "missing") : NULL;
  JsonObject *promise = json_object_has_member (ticket, "promise") && !json_object_get_null_member (ticket, "promise")
                        ? json_object_get_object_member (ticket, "promise") : NULL;
  JsonArray *owed = promise != NULL ? json_object_get_array_member (promise, "documents") : NULL;

  for (guint i = 0; documents != NULL && i < json_array_get_length (documents); i++)
    {
      const char *id = json_array_get_string_element (documents, i);
      gboolean was_missing = FALSE;
      g_autofree char *line = NULL;

      gboolean is_owed = FALSE;

      for (guint j = 0; missing != NULL && j < json_array_get_length (missing); j++)
        was_missing |= g_strcmp0 (json_array_get_string_element (missing, j), id) == 0;
      for (guint j = 0; owed != NULL && j < json_array_get_length (owed); j++)
        is_owed |= g_strcmp0 (json_array_get_string_element (owed, j), id) == 0;
      if (is_owed)
        {
          /* Translators: a document the citizen promised to bring (容缺受理), and the day. */
          line = g_strdup_printf (_("• %s (promised by %s)"), ow_counter_session_document_name (self->session, id),
                                  json_object_get_string_member (promise, "deadline"));
          add_line (self->documents_box, line, "warning");
          continue;
        }
      if (was_missing)
        line = g_strdup_printf (_("• %s (was missing)"), ow_counter_session_document_name (self->session, id));
      else
        line = g_strdup_printf ("• %s", ow_counter_session_document_name (self->session, id));
      add_line (self->documents_box, line, was_missing ? "warning" : NULL);
    }
}

static void
update_ticket (OwCounterWindow *self)
{
  JsonObject *ticket = ow_counter_session_get_ticket (self->session);
  const char *outcome = ow_counter_session_get_outcome (self->session);

  clear_box (GTK_WIDGET (self->history_box));
  clear_box (GTK_WIDGET (self->documents_box));
  gtk_label_set_label (self->outcome_label, outcome != NULL ? outcome : "");

  if (ticket == NULL)
    {
      JsonObject *window = ow_counter_session_get_window (self->session);
      gboolean paused = window != NULL && json_object_get_boolean_member_with_default (window, "paused", FALSE);

      gtk_label_set_label (self->number_label, "—");
      gtk_label_set_label (self->state_label, paused ? _("Window paused") : _("No ticket in hand"));
      gtk_label_set_label (self->service_label, paused ? json_object_get_string_member_with_default (window, "pause_reason", "") : _("Press F1 to call the next ticket"));
      gtk_label_set_label (self->step_label, "");
    }
  else
    {
      JsonObject *step = current_step (ticket);
      JsonArray *steps = json_object_has_member (ticket, "steps") ? json_object_get_array_member (ticket, "steps") : NULL;
      g_autofree char *step_text = NULL;
      g_autofree char *state_text = NULL;
      gint64 recalls = json_object_get_int_member_with_default (ticket, "recalls", 0);
      gint64 no_shows = json_object_get_int_member_with_default (ticket, "no_shows", 0);

      gtk_label_set_label (self->number_label, json_object_get_string_member_with_default (ticket, "number", "?"));
      if (json_object_get_boolean_member_with_default (ticket, "green", FALSE))
        state_text = g_strdup_printf (_("%s · Green channel"), state_name (json_object_get_string_member_with_default (ticket, "state", NULL)));
      else
        state_text = g_strdup (state_name (json_object_get_string_member_with_default (ticket, "state", NULL)));
      if (recalls > 0 || no_shows > 0)
        {
          g_autofree char *plain = g_steal_pointer (&state_text);

          state_text = g_strdup_printf (_("%s · recalled %d× · no-shows %d"), plain, (int) recalls, (int) no_shows);
        }
      gtk_label_set_label (self->state_label, state_text);
      gtk_label_set_label (self->service_label,
                           ow_appkit_localized (json_object_get_member (ticket, "service_name"), NULL));
      if (step != NULL && steps != NULL)
        step_text = g_strdup_printf (_("Step %d of %d: %s"),
                                     (int) json_object_get_int_member_with_default (ticket, "step_index", 0),
                                     (int) json_array_get_length (steps),
                                     ow_appkit_localized (json_object_get_member (step, "name"), NULL));
      gtk_label_set_label (self->step_label, step_text != NULL ? step_text : "");
      update_history (self, ticket);
      update_documents (self, ticket);
    }
  update_timer (self);
}

static gboolean
window_serves (OwCounterWindow *self,
               const char      *step)
{
  JsonObject *window = ow_counter_session_get_window (self->session);
  JsonArray *steps = window != NULL && json_object_has_member (window, "steps")
                     ? json_object_get_array_member (window, "steps") : NULL;

  for (guint i = 0; step != NULL && steps != NULL && i < json_array_get_length (steps); i++)
    if (g_strcmp0 (json_array_get_string_element (steps, i), step) == 0)
      return TRUE;
  return FALSE;
}

static void
update_lookup (OwCounterWindow *self)
{
  JsonObject *ticket = ow_counter_session_get_lookup (self->session);
  g_autoptr(GString) text = g_string_new (NULL);
  const char *step, *state;
  JsonArray *missing;

  gtk_widget_set_visible (GTK_WIDGET (self->lookup_label), ticket != NULL);
  if (ticket == NULL)
    return;
  step = json_object_get_string_member_with_default (ticket, "step", NULL);
  state = json_object_get_string_member_with_default (ticket, "state", NULL);
  g_string_append_printf (text, "<b>%s</b>", json_object_get_string_member_with_default (ticket, "number", "?"));
  if (json_object_has_member (ticket, "service_name"))
    {
      g_autofree char *service = g_markup_escape_text (ow_appkit_localized (json_object_get_member (ticket, "service_name"), NULL), -1);

      g_string_append_printf (text, " · %s", service);
    }
  if (step != NULL)
    {
      g_autofree char *name = g_markup_escape_text (ow_counter_session_step_name (self->session, step), -1);

      g_string_append_printf (text, " · %s", name);
    }
  g_string_append_printf (text, "\n%s", state_name (state));
  if (json_object_get_boolean_member_with_default (ticket, "green", FALSE))
    g_string_append_printf (text, " · %s", _("Green channel"));
  if (g_strcmp0 (state, "waiting") == 0 && window_serves (self, step))
    {
      gint64 position = json_object_get_int_member_with_default (ticket, "position", 0);
      gint64 ahead = json_object_get_int_member_with_default (ticket, "ahead", position > 0 ? position - 1 : 0);

      g_string_append (text, "\n");
      /* The API calls the next ticket by the calling rule; it has no call of a named one. */
      g_string_append_printf (text, _("Waiting for this window: %d ahead of it; F1 calls in turn."), (int) ahead);
    }
  else if (g_strcmp0 (state, "waiting") == 0 && step != NULL)
    {
      g_autofree char *windows = ow_counter_session_windows_for_step (self->session, step);
      g_autofree char *escaped = g_markup_escape_text (windows, -1);

      g_string_append (text, "\n");
      g_string_append_printf (text, _("Not this window's step: send the citizen to %s."), escaped);
    }
  else if (json_object_has_member (ticket, "window_name") && !json_object_get_null_member (ticket, "window_name"))
    {
      g_autofree char *escaped = g_markup_escape_text (ow_appkit_localized (json_object_get_member (ticket, "window_name"), NULL), -1);

      g_string_append_printf (text, " · %s", escaped);
    }
  missing = json_object_has_member (ticket, "missing_documents") ? json_object_get_array_member (ticket, "missing_documents") : NULL;
  for (guint i = 0; missing != NULL && i < json_array_get_length (missing); i++)
    {
      JsonObject *document = json_array_get_object_element (missing, i);
      g_autofree char *escaped = g_markup_escape_text (ow_appkit_localized (json_object_get_member (document, "name"), NULL), -1);

      g_string_append_printf (text, "\n%s %s", _("Missing:"), escaped);
    }
  gtk_label_set_markup (self->lookup_label, text->str);
}

static void
update_waiting (OwCounterWindow *self)
{
  JsonArray *waiting = ow_counter_session_get_waiting (self->session);
  guint n = waiting != NULL ? json_array_get_length (waiting) : 0;
  g_autofree char *title = g_strdup_printf (_("Waiting for this window (%u)"), n);
  guint served, average_s, over;
  g_autofree char *average = NULL;
  g_autofree char *figures = NULL;

  gtk_label_set_label (self->waiting_title, title);
  clear_box (GTK_WIDGET (self->waiting_list));
  for (guint i = 0; i < n; i++)
    {
      JsonObject *entry = json_array_get_object_element (waiting, i);
      JsonObject *service = ow_counter_session_find_service (self->session,
                                                             json_object_get_string_member_with_default (entry, "service", NULL));
      const char *step = ow_counter_session_step_name (self->session, json_object_get_string_member_with_default (entry, "step", NULL));
      g_autofree char *what = NULL;

      /* The window may serve steps of several services: say which. */
      what = service != NULL
             ? g_strdup_printf ("%s · %s", ow_appkit_localized (json_object_get_member (service, "name"), NULL), step)
             : g_strdup (step);
      gtk_list_box_append (self->waiting_list,
                           ow_counter_waiting_row_new (json_object_get_string_member_with_default (entry, "number", "?"),
                                                       json_object_get_boolean_member_with_default (entry, "green", FALSE),
                                                       json_object_get_boolean_member_with_default (entry, "reentry", FALSE),
                                                       what,
                                                       json_object_get_int_member_with_default (entry, "waited_s", 0)));
    }

  update_waited (self);
  ow_counter_session_get_figures (self->session, &served, &average_s, &over);
  average = ow_counter_format_duration (average_s);
  figures = g_strdup_printf (_("Served: %u    Average service time: %s    Over the limit: %u"), served, average, over);
  gtk_label_set_label (self->figures_label, figures);
}

static void
refresh (OwCounterWindow *self)
{
  JsonObject *window = ow_counter_session_get_window (self->session);
  gboolean signed_in = ow_counter_session_get_signed_in (self->session);
  const char *window_id = ow_counter_session_get_window_id (self->session);
  g_autofree char *staff = NULL;

  if (window != NULL && json_object_has_member (window, "name"))
    adw_window_title_set_title (self->title, ow_appkit_localized (json_object_get_member (window, "name"), NULL));
  else
    adw_window_title_set_title (self->title, window_id);
  adw_window_title_set_subtitle (self->title, _("OneWindow counter"));
  if (signed_in)
    staff = g_strdup_printf (_("Signed in: %s"), ow_counter_session_get_staff (self->session));
  gtk_label_set_label (self->staff_label, staff != NULL ? staff : "");
  gtk_widget_set_visible (GTK_WIDGET (self->staff_label), signed_in);

  if (signed_in && !g_str_equal (gtk_stack_get_visible_child_name (self->stack), "work"))
    {
      gtk_stack_set_visible_child_name (self->stack, "work");
      gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
    }
  else if (!signed_in && !g_str_equal (gtk_stack_get_visible_child_name (self->stack), "sign-in"))
    {
      gtk_stack_set_visible_child_name (self->stack, "sign-in");
      gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), "");
      gtk_widget_grab_focus (GTK_WIDGET (self->staff_entry));
    }

  update_ticket (self);
  update_lookup (self);
  update_waiting (self);
  update_actions (self);
}

static void
session_changed_cb (OwCounterWindow *self)
{
  refresh (self);
}

static void
session_state_cb (OwCounterWindow *self)
{
  refresh (self);
}

static void
session_notice_cb (OwCounterWindow *self,
                   const char      *message,
                   gboolean         error)
{
  AdwToast *toast;

  if (!ow_counter_session_get_signed_in (self->session))
    {
      gtk_label_set_label (self->sign_in_error, message);
      return;
    }
  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, error ? 8 : 4);
  adw_toast_set_priority (toast, error ? ADW_TOAST_PRIORITY_HIGH : ADW_TOAST_PRIORITY_NORMAL);
  adw_toast_overlay_add_toast (self->toasts, toast);
}

/* Actions */

static void
act (OwCounterWindow *self,
     const char      *action,
     JsonObject      *args)
{
  if (!ow_counter_session_act (self->session, action, args))
    session_notice_cb (self, _("Not sent: offline, or the last action is still on its way"), TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
simple_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  OwCounterWindow *self = OW_COUNTER_WINDOW (widget);
  const char *action = action_name + strlen ("counter.");

  if (g_str_equal (action, "call-next"))
    action = "call";
  act (self, action, NULL);
}

static void
dialog_submit_cb (GtkWindow  *dialog,
                  JsonObject *args,
                  gpointer    data)
{
  OwCounterWindow *self = OW_COUNTER_WINDOW (gtk_window_get_transient_for (dialog));

  act (self, data, args);
}

static void
show_dialog (OwCounterWindow *self,
             GtkWidget       *dialog,
             const char      *action)
{
  if (self->dialog != NULL)
    gtk_window_destroy (self->dialog);
  self->dialog = GTK_WINDOW (dialog);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->dialog);
  g_signal_connect (dialog, "submit", G_CALLBACK (dialog_submit_cb), (gpointer) action);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
return_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  OwCounterWindow *self = OW_COUNTER_WINDOW (widget);
  JsonObject *ticket = ow_counter_session_get_ticket (self->session);

  if (ticket != NULL)
    show_dialog (self, ow_counter_return_dialog_new (GTK_WINDOW (self), self->session, ticket), "return");
}

static void
promise_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  OwCounterWindow *self = OW_COUNTER_WINDOW (widget);
  JsonObject *ticket = ow_counter_session_get_ticket (self->session);

  if (ticket != NULL)
    show_dialog (self, ow_counter_return_dialog_new_promise (GTK_WINDOW (self), self->session, ticket), "complete");
}

static void
transfer_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  OwCounterWindow *self = OW_COUNTER_WINDOW (widget);
  JsonObject *ticket = ow_counter_session_get_ticket (self->session);

  if (ticket != NULL)
    show_dialog (self, ow_counter_transfer_dialog_new (GTK_WINDOW (self), self->session, ticket), "transfer");
}

static void
pause_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  OwCounterWindow *self = OW_COUNTER_WINDOW (widget);
  OwCounterAllowed allowed = ow_counter_session_get_allowed (self->session);

  if (allowed & OW_COUNTER_CAN_RESUME)
    show_dialog (self, ow_counter_reason_dialog_new (GTK_WINDOW (self), _("Open the window again"),
                                                     _("Resume (Enter)"), FALSE), "resume");
  else if (allowed & OW_COUNTER_CAN_PAUSE)
    show_dialog (self, ow_counter_reason_dialog_new (GTK_WINDOW (self), _("Pause this window: the board shows it as paused"),
                                                     _("Pause (Enter)"), TRUE), "pause");
}

#ifdef HAVE_PRINT
static void
printed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr(OwCounterWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *queue = NULL;
  g_autofree char *message = NULL;

  if (ow_printer_print_finish (OW_PRINTER (source), result, &queue, &error) <= 0)
    message = g_strdup_printf (_("The ticket was not printed: %s"), error->message);
  else
    message = g_strdup_printf (_("Ticket printed on %s"), queue);
  session_notice_cb (self, message, error != NULL);
}
#endif

static void
reprint_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  OwCounterWindow *self = OW_COUNTER_WINDOW (widget);
#ifdef HAVE_PRINT
  JsonObject *ticket = ow_counter_session_get_ticket (self->session);
  JsonObject *catalog = ow_counter_session_get_catalog (self->session);
  JsonObject *hall = catalog != NULL && json_object_has_member (catalog, "hall") ? json_object_get_object_member (catalog, "hall") : NULL;
  JsonObject *rules = catalog != NULL && json_object_has_member (catalog, "rules") ? json_object_get_object_member (catalog, "rules") : NULL;
  g_autoptr(OwTicketRenderer) renderer = ow_ticket_renderer_new ();
  g_autoptr(OwPrinter) printer = NULL;
  g_autoptr(GBytes) pdf = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;

  if (ticket == NULL)
    return;
  if (hall != NULL && json_object_has_member (hall, "name"))
    ow_ticket_renderer_set_hall_name (renderer, json_object_get_object_member (hall, "name"));
  if (hall != NULL && json_object_get_string_member_with_default (hall, "status_base_url", NULL) != NULL)
    ow_ticket_renderer_set_status_base_url (renderer, json_object_get_string_member (hall, "status_base_url"));
  if (rules != NULL && json_object_has_member (rules, "no_show_limit"))
    ow_ticket_renderer_set_no_show_limit (renderer, json_object_get_int_member (rules, "no_show_limit"));
  ow_ticket_renderer_set_language (renderer, ow_appkit_get_language ());
  pdf = ow_ticket_renderer_render (renderer, ticket, &error);
  if (pdf == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The ticket was not printed: %s"), error->message);

      session_notice_cb (self, message, TRUE);
      return;
    }
  printer = ow_printer_new (self->printer);
  title = g_strdup_printf ("ticket %s", json_object_get_string_member_with_default (ticket, "number", ""));
  ow_printer_print_async (printer, pdf, title, NULL, printed_cb, g_object_ref (self));
#else
  session_notice_cb (self, _("This build cannot print"), TRUE);
#endif
}

static void
find_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  OwCounterWindow *self = OW_COUNTER_WINDOW (widget);

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
  gtk_editable_select_region (GTK_EDITABLE (self->search_entry), 0, -1);
}

static void
sign_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  OwCounterWindow *self = OW_COUNTER_WINDOW (widget);
  g_autofree char *staff = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->staff_entry))));
  const char *pin = gtk_editable_get_text (GTK_EDITABLE (self->pin_entry));

  if (*staff == '\0' || *pin == '\0')
    {
      gtk_label_set_label (self->sign_in_error, _("Type your staff ID and PIN"));
      return;
    }
  gtk_label_set_label (self->sign_in_error, "");
  ow_counter_session_sign_in (self->session, staff, pin);
  gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), "");
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  ow_counter_session_sign_out (OW_COUNTER_WINDOW (widget)->session);
}

static void
staff_activate_cb (OwCounterWindow *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self->pin_entry));
}

static void
pin_activate_cb (OwCounterWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "counter.sign-in", NULL);
}

static void
search_activate_cb (OwCounterWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  if (*text == '\0')
    {
      ow_counter_session_clear_lookup (self->session);
      return;
    }
  ow_counter_session_lookup (self->session, text);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
}

/* Object */

static void
ensure_resources (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      ow_counter_register_resource ();
      g_once_init_leave (&registered, 1);
    }
}

void
ow_counter_window_load_style (void)
{
  ensure_resources ();
  ow_appkit_load_css ("/org/onewindow/counter/style.css");
}

static void
ow_counter_window_dispose (GObject *object)
{
  OwCounterWindow *self = OW_COUNTER_WINDOW (object);

  g_clear_handle_id (&self->tick_source, g_source_remove);
  if (self->dialog != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->dialog), (gpointer *) &self->dialog);
      gtk_window_destroy (self->dialog);
      self->dialog = NULL;
    }
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), OW_TYPE_COUNTER_WINDOW);
  G_OBJECT_CLASS (ow_counter_window_parent_class)->dispose (object);
}

static void
ow_counter_window_finalize (GObject *object)
{
  OwCounterWindow *self = OW_COUNTER_WINDOW (object);

  g_free (self->printer);
  G_OBJECT_CLASS (ow_counter_window_parent_class)->finalize (object);
}

static void
ow_counter_window_class_init (OwCounterWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  static const struct
  {
    const char      *name;
    GtkWidgetActionActivateFunc activate;
    guint            key;
    GdkModifierType  mods;
  } actions[] = {
    { "counter.call-next", simple_action, GDK_KEY_F1, 0 },
    { "counter.recall", simple_action, GDK_KEY_F2, 0 },
    { "counter.no-show", simple_action, GDK_KEY_F3, 0 },
    { "counter.start", simple_action, GDK_KEY_F4, 0 },
    { "counter.complete", simple_action, GDK_KEY_F5, 0 },
    { "counter.return", return_action, GDK_KEY_F6, 0 },
    { "counter.promise", promise_action, GDK_KEY_F5, GDK_SHIFT_MASK },
    { "counter.transfer", transfer_action, GDK_KEY_F7, 0 },
    { "counter.pause", pause_action, GDK_KEY_F8, 0 },
    { "counter.find", find_action, GDK_KEY_F9, 0 },
    { "counter.reprint", reprint_action, GDK_KEY_p, GDK_CONTROL_MASK },
    { "counter.sign-out", sign_out_action, GDK_KEY_q, GDK_CONTROL_MASK | GDK_SHIFT_MASK },
    { "counter.sign-in", sign_in_action, 0, 0 },
  };

  object_class->dispose = ow_counter_window_dispose;
  object_class->finalize = ow_counter_window_finalize;

  ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, "/org/onewindow/counter/ui/ow-counter-window.ui");
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, toasts);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, title);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, staff_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, offline_revealer);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, staff_entry);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, pin_entry);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, sign_in_error);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, number_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, state_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, service_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, step_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, timer_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, limit_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, outcome_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, history_box);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, documents_box);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, lookup_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, waiting_title);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, waiting_list);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, figures_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWindow, actions_grid);
  gtk_widget_class_bind_template_callback (widget_class, staff_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, pin_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      gtk_widget_class_install_action (widget_class, actions[i].name, NULL, actions[i].activate);
      if (actions[i].key != 0)
        gtk_widget_class_add_binding_action (widget_class, actions[i].key, actions[i].mods, actions[i].name, NULL);
    }
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "counter.find", NULL);
}

static void
ow_counter_window_init (OwCounterWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Long action names wrap inside their button rather than widen the window. */
  for (GtkWidget *button = gtk_widget_get_first_child (GTK_WIDGET (self->actions_grid));
       button != NULL; button = gtk_widget_get_next_sibling (button))
    {
      GtkWidget *label = GTK_IS_BUTTON (button) ? gtk_button_get_child (GTK_BUTTON (button)) : NULL;

      if (GTK_IS_LABEL (label))
        {
          gtk_label_set_wrap (GTK_LABEL (label), TRUE);
          gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
        }
    }
  self->tick_source = g_timeout_add_seconds (1, tick_cb, self);
}

OwCounterWindow *
ow_counter_window_new (GtkApplication   *application,
                       OwCounterSession *session)
{
  OwCounterWindow *self;

  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (OW_IS_COUNTER_SESSION (session), NULL);

  self = g_object_new (OW_TYPE_COUNTER_WINDOW, "application", application, NULL);
  self->session = g_object_ref (session);
  g_signal_connect_swapped (session, "changed", G_CALLBACK (session_changed_cb), self);
  g_signal_connect_swapped (session, "notice", G_CALLBACK (session_notice_cb), self);
  g_signal_connect_swapped (session, "notify::signed-in", G_CALLBACK (session_state_cb), self);
  g_signal_connect_swapped (session, "notify::online", G_CALLBACK (session_state_cb), self);
  g_signal_connect_swapped (session, "notify::busy", G_CALLBACK (session_state_cb), self);
  refresh (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->staff_entry));
  return self;
}

OwCounterSession *
ow_counter_window_get_session (OwCounterWindow *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_WINDOW (self), NULL);
  return self->session;
}

void
ow_counter_window_set_printer (OwCounterWindow *self,
                               const char      *queue)
{
  g_return_if_fail (OW_IS_COUNTER_WINDOW (self));

  g_free (self->printer);
  self->printer = g_strdup (queue);
}

GtkWindow *
ow_counter_window_get_dialog (OwCounterWindow *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_WINDOW (self), NULL);
  return self->dialog;
}
