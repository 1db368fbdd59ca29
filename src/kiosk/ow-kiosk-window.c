/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-kiosk-window.h"

#include "ow-appkit.h"
#include "ow-kiosk-department-page.h"
#include "ow-kiosk-home-page.h"
#include "ow-kiosk-message-page.h"
#include "ow-kiosk-service-page.h"
#include "ow-kiosk-ticket-page.h"
#include "ow-kiosk-util.h"
#include "ow-ticket-render.h"

#include <glib/gi18n.h>

/* The kiosk's one window: a header with the hall's name, the time and the language switch,
 * and a stack of pages.  The window owns the state (where the citizen is, the catalogue,
 * the ticket on screen) and the pages only show it, so that switching the language can
 * simply build the pages again from their templates, in the new language, and show the same
 * state.
 *
 * The server is the only source of numbers.  When it cannot be reached the kiosk says that
 * ticketing is paused and keeps fetching the catalogue until it answers; it never retries an
 * issue by itself, because a lost answer may mean the ticket exists already. */

typedef enum
{
  VIEW_LOADING,
  VIEW_HOME,
  VIEW_DEPARTMENT,
  VIEW_SERVICE,
  VIEW_TICKET,
  VIEW_MESSAGE,
} View;

typedef enum
{
  MESSAGE_PAUSED,
  MESSAGE_CLOSED,
  MESSAGE_CAP_REACHED,
  MESSAGE_UNAUTHORIZED,
  MESSAGE_FAILED,
} Message;

static const char * const view_names[] = { "loading", "home", "department", "service", "ticket", "message" };
static const char * const message_names[] = { "paused", "closed", "cap_reached", "unauthorized", "failed" };

struct _OwKioskWindow
{
  AdwApplicationWindow   parent_instance;

  /* Template */
  GtkLabel              *hall_label;
  GtkLabel              *time_label;
  GtkLabel              *date_label;
  GtkStack              *stack;

  /* Pages, built again when the language changes */
  OwKioskHomePage       *home_page;
  OwKioskDepartmentPage *department_page;
  OwKioskServicePage    *service_page;
  OwKioskTicketPage     *ticket_page;
  OwKioskMessagePage    *message_page;

  OwKioskConfig         *config;
  OwClient              *client;
  OwPrinter             *printer;
  OwTicketRenderer      *renderer;
  GCancellable          *cancellable;

  /* State */
  char                  *language;
  JsonObject            *catalog;
  JsonArray             *queues;
  View                   view;
  Message                message;
  char                  *department;
  char                  *service;
  char                  *green_category;
  char                  *refused_service;
  JsonObject            *ticket;
  OwKioskPrintState      print_state;
  GError                *print_error;
  gboolean               issuing;
  gboolean               loading_catalog;
  gboolean               portrait;
  guint                  attempts;

  guint                  clock_source;
  guint                  idle_source;
  guint                  retry_source;
  guint                  refresh_source;
  guint                  layout_source;
};

enum
{
  PROP_0,
  PROP_LANGUAGE,
  PROP_VIEW,
  N_PROPS
};

enum
{
  SIGNAL_TICKET_ISSUED,
  SIGNAL_PRINT_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (OwKioskWindow, ow_kiosk_window, ADW_TYPE_APPLICATION_WINDOW)

static void show_view (OwKioskWindow *self,
                       View           view);
static void load_catalog (OwKioskWindow *self);

/* Pages */

static void
department_activated_cb (OwKioskHomePage *page,
                         const char      *department,
                         OwKioskWindow   *self)
{
  g_free (self->department);
  self->department = g_strdup (department);
  show_view (self, VIEW_DEPARTMENT);
}

static void
queues_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(OwKioskWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = ow_client_request_finish (OW_CLIENT (source), result, &error);

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (answer == NULL)
    {
      if (g_error_matches (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NETWORK))
        {
          self->message = MESSAGE_PAUSED;
          show_view (self, VIEW_MESSAGE);
        }
      else
        g_debug ("queues: %s", error->message);
      return;
    }
  g_clear_pointer (&self->queues, json_array_unref);
  if (json_object_has_member (answer, "queues"))
    self->queues = json_array_ref (json_object_get_array_member (answer, "queues"));
  if (self->view == VIEW_SERVICE)
    ow_kiosk_service_page_set_queues (self->service_page, self->queues);
}

static void
service_activated_cb (OwKioskDepartmentPage *page,
                      const char            *service,
                      OwKioskWindow         *self)
{
  g_free (self->service);
  self->service = g_strdup (service);
  g_clear_pointer (&self->green_category, g_free);
  g_clear_pointer (&self->queues, json_array_unref);
  show_view (self, VIEW_SERVICE);
  ow_client_list_queues_async (self->client, self->cancellable, queues_cb, g_object_ref (self));
}

static char *
print_error_message (const GError *error)
{
  const char *reason;

  if (error == NULL)
    return NULL;
  if (error->domain != OW_PRINTER_ERROR)
    reason = _("Your ticket could not be printed.");
  else
    switch ((OwPrinterError) error->code)
      {
      case OW_PRINTER_ERROR_NO_QUEUE:
        reason = _("The ticket printer is not set up, so your ticket could not be printed.");
        break;

      case OW_PRINTER_ERROR_QUEUE_STOPPED:
        reason = _("The ticket printer is stopped, so your ticket could not be printed.");
        break;

      case OW_PRINTER_ERROR_NEEDS_ATTENTION:
        reason = _("The ticket printer needs attention (it may be out of paper), so your ticket could not be printed.");
        break;

      case OW_PRINTER_ERROR_TIMEOUT:
        reason = _("The ticket printer did not respond, so your ticket could not be printed.");
        break;

      case OW_PRINTER_ERROR_JOB_ABORTED:
      case OW_PRINTER_ERROR_JOB_CANCELED:
      case OW_PRINTER_ERROR_UNREACHABLE:
      case OW_PRINTER_ERROR_FAILED:
      default:
        reason = _("Your ticket could not be printed.");
        break;
      }
  return g_strconcat (reason, "\n",
                      _("Your number is valid. Please take a photo of this screen, or ask staff to print the ticket again."),
                      NULL);
}

typedef struct
{
  GWeakRef  window;
  char     *token;
  char     *number;
} PrintJob;

static void
print_job_free (PrintJob *job)
{
  g_weak_ref_clear (&job->window);
  g_free (job->token);
  g_free (job->number);
  g_free (job);
}

static void
print_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      data)
{
  PrintJob *job = data;
  g_autoptr(OwKioskWindow) self = g_weak_ref_get (&job->window);
  g_autoptr(GError) error = NULL;
  int id;

  id = ow_printer_print_finish (OW_PRINTER (source), result, NULL, &error);
  if (self == NULL || g_cancellable_is_cancelled (self->cancellable))
    {
      print_job_free (job);
      return;
    }
  if (error != NULL)
    g_message ("ticket %s: %s", job->number, error->message);

  /* A slow job may finish after the next citizen took their ticket: only the ticket still on
   * screen shows its outcome. */
  if (self->ticket != NULL &&
      g_strcmp0 (json_object_get_string_member_with_default (self->ticket, "token", NULL), job->token) == 0)
    {
      g_clear_error (&self->print_error);
      self->print_state = error == NULL ? OW_KIOSK_PRINT_DONE : OW_KIOSK_PRINT_FAILED;
      self->print_error = error != NULL ? g_error_copy (error) : NULL;
      if (self->view == VIEW_TICKET)
        show_view (self, VIEW_TICKET);
    }
  g_signal_emit (self, signals[SIGNAL_PRINT_FINISHED], 0, id, error);
  print_job_free (job);
}

static void
start_print (OwKioskWindow *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pdf = NULL;
  g_autofree char *title = NULL;
  JsonObject *hall = NULL, *rules = NULL;
  PrintJob *job;

  if (self->catalog != NULL && json_object_has_member (self->catalog, "hall"))
    hall = json_object_get_object_member (self->catalog, "hall");
  if (self->catalog != NULL && json_object_has_member (self->catalog, "rules"))
    rules = json_object_get_object_member (self->catalog, "rules");
  if (hall != NULL && json_object_has_member (hall, "name"))
    ow_ticket_renderer_set_hall_name (self->renderer, json_object_get_object_member (hall, "name"));
  if (hall != NULL && json_object_has_member (hall, "status_base_url"))
    ow_ticket_renderer_set_status_base_url (self->renderer, json_object_get_string_member (hall, "status_base_url"));
  if (rules != NULL)
    ow_ticket_renderer_set_no_show_limit (self->renderer, json_object_get_int_member_with_default (rules, "no_show_limit", 2));
  ow_ticket_renderer_set_language (self->renderer, self->language);

  pdf = ow_ticket_renderer_render (self->renderer, self->ticket, &error);
  if (pdf == NULL)
    {
      g_warning ("cannot render ticket: %s", error->message);
      self->print_state = OW_KIOSK_PRINT_FAILED;
      self->print_error = g_steal_pointer (&error);
      g_signal_emit (self, signals[SIGNAL_PRINT_FINISHED], 0, 0, self->print_error);
      return;
    }
  job = g_new0 (PrintJob, 1);
  g_weak_ref_init (&job->window, self);
  job->token = g_strdup (json_object_get_string_member_with_default (self->ticket, "token", NULL));
  job->number = g_strdup (json_object_get_string_member_with_default (self->ticket, "number", NULL));
  title = g_strdup_printf ("ticket %s", json_object_get_string_member_with_default (self->ticket, "number", "?"));
  ow_printer_print_async (self->printer, pdf, title, self->cancellable, print_cb, job);
}

static void
issue_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      data)
{
  g_autoptr(OwKioskWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) ticket = ow_client_request_finish (OW_CLIENT (source), result, &error);
  const char *code;

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  self->issuing = FALSE;
  if (ticket == NULL)
    {
      code = ow_client_get_last_error_code (OW_CLIENT (source));
      g_message ("issue %s: %s (%s)", self->service, error->message, code != NULL ? code : "-");
      g_free (self->refused_service);
      self->refused_service = g_strdup (self->service);
      if (g_error_matches (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NETWORK) ||
          g_error_matches (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_PROTOCOL) ||
          g_error_matches (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_SERVER))
        self->message = MESSAGE_PAUSED;
      else if (g_error_matches (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_UNAUTHORIZED) ||
               g_error_matches (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_FORBIDDEN))
        self->message = MESSAGE_UNAUTHORIZED;
      else if (g_strcmp0 (code, "closed") == 0 || g_strcmp0 (code, "cap_reached") == 0)
        {
          /* The hall may have changed the hours or the cap since the catalogue was read:
           * the message shows them as they are now once the catalogue is fetched again. */
          self->message = g_str_equal (code, "closed") ? MESSAGE_CLOSED : MESSAGE_CAP_REACHED;
          load_catalog (self);
        }
      else
        {
          /* The catalogue may have changed under us (a service retired, the green channel
           * withdrawn): fetch it again. */
          self->message = MESSAGE_FAILED;
          load_catalog (self);
        }
      show_view (self, VIEW_MESSAGE);
      return;
    }

  g_clear_pointer (&self->ticket, json_object_unref);
  self->ticket = json_object_ref (ticket);
  self->print_state = OW_KIOSK_PRINT_PRINTING;
  g_clear_error (&self->print_error);
  show_view (self, VIEW_TICKET);
  g_signal_emit (self, signals[SIGNAL_TICKET_ISSUED], 0, ticket);
  start_print (self);
}

static void
take_ticket_cb (OwKioskServicePage *page,
                const char         *category,
                OwKioskWindow      *self)
{
  if (self->issuing || self->service == NULL)
    return;
  self->issuing = TRUE;
  g_free (self->green_category);
  self->green_category = g_strdup (category);
  ow_kiosk_service_page_set_busy (page, TRUE);
  ow_client_issue_ticket_async (self->client, self->service, category != NULL, category,
                                self->cancellable, issue_cb, g_object_ref (self));
}

static void
apply_layout (OwKioskWindow *self)
{
  if (self->service_page != NULL)
    ow_kiosk_service_page_set_portrait (self->service_page, self->portrait);
  if (self->ticket_page != NULL)
    ow_kiosk_ticket_page_set_portrait (self->ticket_page, self->portrait);
  gtk_widget_remove_css_class (GTK_WIDGET (self), self->portrait ? "landscape" : "portrait");
  gtk_widget_add_css_class (GTK_WIDGET (self), self->portrait ? "portrait" : "landscape");
}

static void
remove_page (OwKioskWindow  *self,
             gpointer       *page)
{
  if (*page != NULL)
    gtk_stack_remove (self->stack, GTK_WIDGET (*page));
  *page = NULL;
}

static void
build_pages (OwKioskWindow *self)
{
  if (self->service_page != NULL)
    {
      g_free (self->green_category);
      self->green_category = g_strdup (ow_kiosk_service_page_get_green_category (self->service_page));
    }
  remove_page (self, (gpointer *) &self->home_page);
  remove_page (self, (gpointer *) &self->department_page);
  remove_page (self, (gpointer *) &self->service_page);
  remove_page (self, (gpointer *) &self->ticket_page);
  remove_page (self, (gpointer *) &self->message_page);

  self->home_page = OW_KIOSK_HOME_PAGE (ow_kiosk_home_page_new ());
  self->department_page = OW_KIOSK_DEPARTMENT_PAGE (ow_kiosk_department_page_new ());
  self->service_page = OW_KIOSK_SERVICE_PAGE (ow_kiosk_service_page_new ());
  self->ticket_page = OW_KIOSK_TICKET_PAGE (ow_kiosk_ticket_page_new ());
  self->message_page = OW_KIOSK_MESSAGE_PAGE (ow_kiosk_message_page_new ());
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->home_page), "home");
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->department_page), "department");
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->service_page), "service");
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->ticket_page), "ticket");
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->message_page), "message");
  g_signal_connect_object (self->home_page, "department-activated", G_CALLBACK (department_activated_cb), self, 0);
  g_signal_connect_object (self->department_page, "service-activated", G_CALLBACK (service_activated_cb), self, 0);
  g_signal_connect_object (self->service_page, "take-ticket", G_CALLBACK (take_ticket_cb), self, 0);
  apply_layout (self);
}

/* The clock */

static const char *
weekday_name (int day)
{
  static const char * const names[] = {
    N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"),
  };

  return _(names[CLAMP (day, 1, 7) - 1]);
}

static void
update_clock (OwKioskWindow *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = g_date_time_format (now, "%H:%M");
  /* Translators: the date in the kiosk's header, a g_date_time_format() format; in Chinese
   * "%Y年%-m月%-d日". */
  g_autofree char *day = g_date_time_format (now, _("%-d/%-m/%Y"));
  g_autofree char *date = g_strdup_printf ("%s %s", day, weekday_name (g_date_time_get_day_of_week (now)));

  gtk_label_set_label (self->time_label, time);
  gtk_label_set_label (self->date_label, date);
}

static gboolean
clock_cb (gpointer data)
{
  update_clock (data);
  return G_SOURCE_CONTINUE;
}

/* Going back home after a while without a touch */

static gboolean
idle_cb (gpointer data)
{
  OwKioskWindow *self = data;

  self->idle_source = 0;
  ow_kiosk_window_go_home (self);
  return G_SOURCE_REMOVE;
}

static void
reset_idle (OwKioskWindow *self)
{
  guint timeout;

  g_clear_handle_id (&self->idle_source, g_source_remove);
  if (self->view == VIEW_HOME || self->view == VIEW_LOADING ||
      (self->view == VIEW_MESSAGE && (self->message == MESSAGE_PAUSED || self->message == MESSAGE_UNAUTHORIZED)))
    return;
  /* A ticket that did not print stays longer, so that it can be photographed. */
  timeout = self->view == VIEW_TICKET && self->print_state == OW_KIOSK_PRINT_FAILED
    ? self->config->ticket_timeout_ms : self->config->idle_timeout_ms;
  self->idle_source = g_timeout_add (timeout, idle_cb, self);
}

static gboolean
event_cb (GtkEventControllerLegacy *controller,
          GdkEvent                 *event,
          OwKioskWindow            *self)
{
  switch ((int) gdk_event_get_event_type (event))
    {
    case GDK_BUTTON_PRESS:
    case GDK_TOUCH_BEGIN:
    case GDK_KEY_PRESS:
    case GDK_SCROLL:
      reset_idle (self);
      break;

    default:
      break;
    }
  return GDK_EVENT_PROPAGATE;
}

/* Server state */

static gboolean
retry_cb (gpointer data)
{
  OwKioskWindow *self = data;

  self->retry_source = 0;
  load_catalog (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (OwKioskWindow *self)
{
  if (self->retry_source == 0)
    self->retry_source = g_timeout_add (self->config->retry_interval_ms, retry_cb, self);
}

static void
catalog_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr(OwKioskWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) catalog = ow_client_request_finish (OW_CLIENT (source), result, &error);
  gboolean waiting;

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  self->loading_catalog = FALSE;
  waiting = self->view == VIEW_LOADING ||
            (self->view == VIEW_MESSAGE && (self->message == MESSAGE_PAUSED || self->message == MESSAGE_UNAUTHORIZED));
  if (catalog == NULL)
    {
      /* Once per outage, not at every attempt. */
      if (self->attempts++ == 0)
        g_message ("catalogue: %s", error->message);
      if (g_error_matches (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_UNAUTHORIZED) ||
          g_error_matches (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_FORBIDDEN))
        self->message = MESSAGE_UNAUTHORIZED;
      else
        self->message = MESSAGE_PAUSED;
      /* A citizen in the middle of reading is left alone until they act. */
      if (waiting || self->view == VIEW_HOME)
        show_view (self, VIEW_MESSAGE);
      schedule_retry (self);
      return;
    }

  if (self->attempts > 0)
    g_message ("catalogue: the server answers again after %u attempts", self->attempts);
  self->attempts = 0;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_clear_pointer (&self->catalog, json_object_unref);
  self->catalog = json_object_ref (catalog);
  gtk_label_set_label (self->hall_label, ow_kiosk_hall_name (self->catalog));
  gtk_window_set_title (GTK_WINDOW (self), ow_kiosk_hall_name (self->catalog));
  if (waiting || self->view == VIEW_HOME)
    show_view (self, VIEW_HOME);
  else if (self->view == VIEW_MESSAGE)
    show_view (self, VIEW_MESSAGE);
}

static void
load_catalog (OwKioskWindow *self)
{
  if (self->loading_catalog)
    return;
  self->loading_catalog = TRUE;
  ow_client_get_catalog_async (self->client, self->cancellable, catalog_cb, g_object_ref (self));
}

static gboolean
refresh_cb (gpointer data)
{
  OwKioskWindow *self = data;

  if (self->view == VIEW_HOME)
    load_catalog (self);
  return G_SOURCE_CONTINUE;
}

/* Views */

static void
show_message (OwKioskWindow *self)
{
  JsonObject *service = ow_kiosk_catalog_find_service (self->catalog, self->refused_service);
  g_autofree char *hours = service != NULL ? ow_kiosk_format_hours (json_object_get_array_member (service, "hours")) : g_strdup ("");
  g_autofree char *description = NULL;
  g_autofree char *detail = NULL;

  switch (self->message)
    {
    case MESSAGE_PAUSED:
      if (self->attempts > 0)
        detail = g_strdup_printf (_("Trying again by itself (attempt %u)…"), self->attempts);
      else
        detail = g_strdup (_("Trying again by itself…"));
      ow_kiosk_message_page_set_message (self->message_page, "network-offline-symbolic",
                                         _("Ticketing is paused"),
                                         _("The kiosk cannot reach the hall's system right now. It keeps trying and carries on by itself as soon as the connection is back. Please wait a moment, or ask staff for help."),
                                         detail, TRUE, FALSE);
      break;

    case MESSAGE_CLOSED:
      /* Translators: %s is a service's name, then its issuing hours, "08:30–12:00, 13:30–17:30". */
      description = g_strdup_printf (_("Tickets for “%s” are issued only during %s. Please come back then."),
                                     ow_kiosk_name (service), hours);
      ow_kiosk_message_page_set_message (self->message_page, "alarm-symbolic",
                                         _("No tickets at this time"), description, NULL, FALSE, TRUE);
      break;

    case MESSAGE_CAP_REACHED:
      description = g_strdup_printf (_("All %d tickets for “%s” have been issued today. Tickets are issued during %s; please come back on the next working day."),
                                     service != NULL ? (int) json_object_get_int_member_with_default (service, "daily_cap", 0) : 0,
                                     ow_kiosk_name (service), hours);
      ow_kiosk_message_page_set_message (self->message_page, "dialog-information-symbolic",
                                         _("Today's tickets are all taken"), description, NULL, FALSE, TRUE);
      break;

    case MESSAGE_UNAUTHORIZED:
      ow_kiosk_message_page_set_message (self->message_page, "dialog-password-symbolic",
                                         _("This kiosk is not registered"),
                                         _("The hall's system does not accept this kiosk. Please ask staff to register it again."),
                                         _("Trying again by itself…"), TRUE, FALSE);
      break;

    case MESSAGE_FAILED:
    default:
      ow_kiosk_message_page_set_message (self->message_page, "dialog-warning-symbolic",
                                         _("The ticket could not be issued"),
                                         _("Please try again, or ask staff for help."), NULL, FALSE, TRUE);
      break;
    }
}

static void
show_view (OwKioskWindow *self,
           View           view)
{
  g_autofree char *print_message = NULL;
  GtkWidget *page = NULL;

  self->view = view;
  switch (view)
    {
    case VIEW_LOADING:
      ow_kiosk_message_page_set_message (self->message_page, "content-loading-symbolic",
                                         _("Starting…"), NULL, NULL, TRUE, FALSE);
      page = GTK_WIDGET (self->message_page);
      break;

    case VIEW_HOME:
      ow_kiosk_home_page_set_catalog (self->home_page, self->catalog);
      page = GTK_WIDGET (self->home_page);
      break;

    case VIEW_DEPARTMENT:
      ow_kiosk_department_page_set_department (self->department_page, self->catalog, self->department);
      page = GTK_WIDGET (self->department_page);
      break;

    case VIEW_SERVICE:
      ow_kiosk_service_page_set_service (self->service_page, self->catalog, self->service);
      ow_kiosk_service_page_set_green_category (self->service_page, self->green_category);
      ow_kiosk_service_page_set_queues (self->service_page, self->queues);
      ow_kiosk_service_page_set_busy (self->service_page, self->issuing);
      page = GTK_WIDGET (self->service_page);
      break;

    case VIEW_TICKET:
      ow_kiosk_ticket_page_set_ticket (self->ticket_page, self->ticket, self->catalog);
      if (self->print_state == OW_KIOSK_PRINT_FAILED)
        print_message = print_error_message (self->print_error);
      else if (self->print_state == OW_KIOSK_PRINT_DONE)
        print_message = g_strdup (_("Please take your printed ticket."));
      else
        print_message = g_strdup (_("Printing your ticket…"));
      ow_kiosk_ticket_page_set_print_state (self->ticket_page, self->print_state, print_message);
      page = GTK_WIDGET (self->ticket_page);
      break;

    case VIEW_MESSAGE:
      show_message (self);
      page = GTK_WIDGET (self->message_page);
      if (self->message == MESSAGE_PAUSED || self->message == MESSAGE_UNAUTHORIZED)
        schedule_retry (self);
      break;

    default:
      g_assert_not_reached ();
    }

  gtk_stack_set_visible_child (self->stack, page);
  reset_idle (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEW]);
}

/* Actions */

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  OwKioskWindow *self = OW_KIOSK_WINDOW (widget);

  switch (self->view)
    {
    case VIEW_SERVICE:
      if (!self->issuing)
        show_view (self, VIEW_DEPARTMENT);
      break;

    case VIEW_DEPARTMENT:
    case VIEW_TICKET:
      ow_kiosk_window_go_home (self);
      break;

    case VIEW_MESSAGE:
      if (self->message != MESSAGE_PAUSED && self->message != MESSAGE_UNAUTHORIZED)
        ow_kiosk_window_go_home (self);
      break;

    case VIEW_LOADING:
    case VIEW_HOME:
    default:
      break;
    }
}

static void
home_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  ow_kiosk_window_go_home (OW_KIOSK_WINDOW (widget));
}

static gboolean
layout_cb (gpointer data)
{
  OwKioskWindow *self = data;

  self->layout_source = 0;
  apply_layout (self);
  return G_SOURCE_REMOVE;
}

static void
ow_kiosk_window_size_allocate (GtkWidget *widget,
                               int        width,
                               int        height,
                               int        baseline)
{
  OwKioskWindow *self = OW_KIOSK_WINDOW (widget);
  gboolean portrait = height >= width;

  GTK_WIDGET_CLASS (ow_kiosk_window_parent_class)->size_allocate (widget, width, height, baseline);

  /* Changing the layout while it is being allocated would ask for another allocation in
   * the middle of this one: do it right after. */
  if (portrait != self->portrait && self->layout_source == 0)
    {
      self->portrait = portrait;
      self->layout_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, layout_cb, self, NULL);
    }
}

/* GObject */

static void
ow_kiosk_window_dispose (GObject *object)
{
  OwKioskWindow *self = OW_KIOSK_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->clock_source, g_source_remove);
  g_clear_handle_id (&self->idle_source, g_source_remove);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_clear_handle_id (&self->layout_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), OW_TYPE_KIOSK_WINDOW);
  g_clear_object (&self->client);
  g_clear_object (&self->printer);
  g_clear_object (&self->renderer);
  g_clear_pointer (&self->catalog, json_object_unref);
  g_clear_pointer (&self->queues, json_array_unref);
  g_clear_pointer (&self->ticket, json_object_unref);
  g_clear_error (&self->print_error);

  G_OBJECT_CLASS (ow_kiosk_window_parent_class)->dispose (object);
}

static void
ow_kiosk_window_finalize (GObject *object)
{
  OwKioskWindow *self = OW_KIOSK_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->config, ow_kiosk_config_free);
  g_free (self->language);
  g_free (self->department);
  g_free (self->service);
  g_free (self->green_category);
  g_free (self->refused_service);

  G_OBJECT_CLASS (ow_kiosk_window_parent_class)->finalize (object);
}

static void
ow_kiosk_window_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  OwKioskWindow *self = OW_KIOSK_WINDOW (object);

  switch (prop_id)
    {
    case PROP_LANGUAGE:
      g_value_set_string (value, self->language);
      break;

    case PROP_VIEW:
      g_value_set_string (value, ow_kiosk_window_get_view (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_kiosk_window_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  OwKioskWindow *self = OW_KIOSK_WINDOW (object);

  switch (prop_id)
    {
    case PROP_LANGUAGE:
      ow_kiosk_window_set_language (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_kiosk_window_class_init (OwKioskWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ow_kiosk_window_dispose;
  object_class->finalize = ow_kiosk_window_finalize;
  object_class->get_property = ow_kiosk_window_get_property;
  object_class->set_property = ow_kiosk_window_set_property;

  widget_class->size_allocate = ow_kiosk_window_size_allocate;

  properties[PROP_LANGUAGE] =
    g_param_spec_string ("language", NULL, NULL, "zh_CN",
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_VIEW] =
    g_param_spec_string ("view", NULL, NULL, "loading",
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * OwKioskWindow::ticket-issued:
   * @ticket: the server's TICKET object
   */
  signals[SIGNAL_TICKET_ISSUED] =
    g_signal_new ("ticket-issued", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
  /**
   * OwKioskWindow::print-finished:
   * @job: the CUPS job ID, 0 when it failed
   * @error: (nullable): why it failed
   */
  signals[SIGNAL_PRINT_FINISHED] =
    g_signal_new ("print-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_ERROR);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/onewindow/kiosk/ow-kiosk-window.ui");
  gtk_widget_class_bind_template_child (widget_class, OwKioskWindow, hall_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskWindow, time_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskWindow, date_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskWindow, stack);

  gtk_widget_class_install_action (widget_class, "kiosk.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "kiosk.home", NULL, home_action);
  gtk_widget_class_install_property_action (widget_class, "kiosk.language", "language");

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "kiosk.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_BackSpace, GDK_ALT_MASK, "kiosk.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "kiosk.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Home, GDK_ALT_MASK, "kiosk.home", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK, "kiosk.language", "s", "zh_CN");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK, "kiosk.language", "s", "en");
}

static void
ow_kiosk_window_init (OwKioskWindow *self)
{
  static gsize style_loaded = 0;
  GtkEventController *controller;

  if (g_once_init_enter (&style_loaded))
    {
      ow_appkit_load_css ("/org/onewindow/kiosk/style.css");
      g_once_init_leave (&style_loaded, 1);
    }

  /* The language toggles read the property while the template is built. */
  self->language = g_strdup (ow_appkit_get_language ());
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->portrait = TRUE;

  controller = gtk_event_controller_legacy_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "event", G_CALLBACK (event_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  build_pages (self);
  update_clock (self);
  self->clock_source = g_timeout_add_seconds (1, clock_cb, self);
}

OwKioskWindow *
ow_kiosk_window_new (GtkApplication      *application,
                     const OwKioskConfig *config)
{
  OwKioskWindow *self;

  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (OW_TYPE_KIOSK_WINDOW, "application", application, NULL);
  self->config = ow_kiosk_config_copy (config);
  self->client = ow_client_new (config->server, config->token);
  self->printer = ow_printer_new (config->printer);
  if (config->cups_server != NULL)
    ow_printer_set_server (self->printer, config->cups_server);
  ow_printer_set_timeout (self->printer, config->print_timeout_ms);
  self->renderer = ow_ticket_renderer_new ();

  ow_kiosk_window_set_language (self, config->language);
  show_view (self, VIEW_LOADING);
  load_catalog (self);
  self->refresh_source = g_timeout_add (config->refresh_interval_ms, refresh_cb, self);
  if (config->fullscreen)
    gtk_window_fullscreen (GTK_WINDOW (self));
  return self;
}

const char *
ow_kiosk_window_get_view (OwKioskWindow *self)
{
  g_return_val_if_fail (OW_IS_KIOSK_WINDOW (self), NULL);

  return view_names[self->view];
}

const char *
ow_kiosk_window_get_message_kind (OwKioskWindow *self)
{
  g_return_val_if_fail (OW_IS_KIOSK_WINDOW (self), NULL);

  return self->view == VIEW_MESSAGE ? message_names[self->message] : NULL;
}

const char *
ow_kiosk_window_get_language (OwKioskWindow *self)
{
  g_return_val_if_fail (OW_IS_KIOSK_WINDOW (self), NULL);

  return self->language;
}

void
ow_kiosk_window_set_language (OwKioskWindow *self,
                              const char    *language)
{
  g_return_if_fail (OW_IS_KIOSK_WINDOW (self));
  g_return_if_fail (language != NULL);

  if (g_strcmp0 (language, "zh_CN") != 0 && g_strcmp0 (language, "en") != 0)
    {
      g_warning ("the kiosk speaks zh_CN and en, not %s", language);
      return;
    }
  if (g_strcmp0 (self->language, language) == 0 && g_strcmp0 (ow_appkit_get_language (), language) == 0)
    return;
  g_free (self->language);
  self->language = g_strdup (language);
  ow_appkit_set_language (language);

  /* The templates translate their strings when they are built: build them again. */
  build_pages (self);
  update_clock (self);
  gtk_label_set_label (self->hall_label, ow_kiosk_hall_name (self->catalog));
  show_view (self, self->view);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LANGUAGE]);
}

JsonObject *
ow_kiosk_window_get_ticket (OwKioskWindow *self)
{
  g_return_val_if_fail (OW_IS_KIOSK_WINDOW (self), NULL);

  return self->ticket;
}

OwClient *
ow_kiosk_window_get_client (OwKioskWindow *self)
{
  g_return_val_if_fail (OW_IS_KIOSK_WINDOW (self), NULL);

  return self->client;
}

OwPrinter *
ow_kiosk_window_get_printer (OwKioskWindow *self)
{
  g_return_val_if_fail (OW_IS_KIOSK_WINDOW (self), NULL);

  return self->printer;
}

void
ow_kiosk_window_go_home (OwKioskWindow *self)
{
  g_return_if_fail (OW_IS_KIOSK_WINDOW (self));

  if (self->issuing)
    return;
  if (self->view == VIEW_LOADING ||
      (self->view == VIEW_MESSAGE && (self->message == MESSAGE_PAUSED || self->message == MESSAGE_UNAUTHORIZED)))
    return;
  g_clear_pointer (&self->department, g_free);
  g_clear_pointer (&self->service, g_free);
  g_clear_pointer (&self->green_category, g_free);
  g_clear_pointer (&self->ticket, json_object_unref);
  /* The next citizen starts in the language the hall chose. */
  if (g_strcmp0 (self->language, self->config->language) != 0)
    {
      self->view = VIEW_HOME;
      ow_kiosk_window_set_language (self, self->config->language);
    }
  show_view (self, VIEW_HOME);
}
