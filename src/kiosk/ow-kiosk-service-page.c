/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-kiosk-service-page.h"

#include "ow-kiosk-util.h"

#include <glib/gi18n.h>
#include <math.h>

/* One service before the ticket: its steps with their promised time limits, every document
 * at once (一次性告知), how many people wait at its first step and about how long, and the
 * green-channel choice where the service has one.  "Take a ticket" emits ::take-ticket with
 * the chosen category (NULL: none); the window issues it. */

struct _OwKioskServicePage
{
  GtkBox      parent_instance;

  GtkLabel   *title_label;
  GtkLabel   *department_label;
  GtkBox     *columns;
  GtkBox     *steps_box;
  GtkBox     *documents_box;
  GtkLabel   *waiting_label;
  GtkLabel   *estimate_label;
  GtkLabel   *hours_label;
  GtkLabel   *closed_label;
  GtkBox     *green_box;
  GtkFlowBox *green_choices;
  GtkButton  *take_button;
  GtkSpinner *spinner;

  JsonObject *service;
  char       *code;
  char       *green_category;
  gboolean    open;
  gboolean    busy;
};

enum
{
  SIGNAL_TAKE_TICKET,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (OwKioskServicePage, ow_kiosk_service_page, GTK_TYPE_BOX)

static void
update_action (OwKioskServicePage *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "service.take", self->service != NULL && self->open && !self->busy);
}

static void
take_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  OwKioskServicePage *self = OW_KIOSK_SERVICE_PAGE (widget);

  if (self->service == NULL || self->busy)
    return;
  g_signal_emit (self, signals[SIGNAL_TAKE_TICKET], 0, self->green_category);
}

static GtkWidget *
make_row (const char *lead,
          const char *text,
          const char *trail)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 16);
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_add_css_class (row, "kiosk-row");
  if (lead != NULL)
    {
      GtkWidget *badge = gtk_label_new (lead);

      gtk_widget_add_css_class (badge, "row-lead");
      gtk_widget_set_valign (badge, GTK_ALIGN_START);
      gtk_box_append (GTK_BOX (row), badge);
    }
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (row), label);
  if (trail != NULL)
    {
      GtkWidget *right = gtk_label_new (trail);

      gtk_widget_add_css_class (right, "row-trail");
      gtk_widget_set_valign (right, GTK_ALIGN_START);
      gtk_box_append (GTK_BOX (row), right);
    }
  return row;
}

static void
green_toggled_cb (GtkToggleButton    *button,
                  OwKioskServicePage *self)
{
  if (!gtk_toggle_button_get_active (button))
    return;
  g_free (self->green_category);
  self->green_category = g_strdup (g_object_get_data (G_OBJECT (button), "category"));
}

static void
build_green_choices (OwKioskServicePage *self)
{
  const OwKioskGreenCategory *categories;
  GtkToggleButton *group = NULL;
  guint n;

  ow_kiosk_remove_children (GTK_WIDGET (self->green_choices));
  categories = ow_kiosk_green_categories (&n);
  for (guint i = 0; i <= n; i++)
    {
      const char *id = i == 0 ? NULL : categories[i - 1].id;
      /* Translators: the green-channel choice for citizens who are in no priority group. */
      const char *label = i == 0 ? _("Not needed") : _(categories[i - 1].label);
      g_autofree char *name = g_strdup_printf ("green-%s", id != NULL ? id : "none");
      GtkWidget *button = gtk_toggle_button_new_with_label (label);

      gtk_widget_set_name (button, name);
      gtk_widget_add_css_class (button, "choice");
      g_object_set_data_full (G_OBJECT (button), "category", g_strdup (id), g_free);
      if (group == NULL)
        group = GTK_TOGGLE_BUTTON (button);
      else
        gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (button), group);
      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (button), g_strcmp0 (id, self->green_category) == 0);
      g_signal_connect_object (button, "toggled", G_CALLBACK (green_toggled_cb), self, 0);
      gtk_flow_box_append (self->green_choices, button);
      gtk_widget_set_focusable (gtk_widget_get_last_child (GTK_WIDGET (self->green_choices)), FALSE);
    }
}

static void
update_closed (OwKioskServicePage *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  JsonArray *hours;
  g_autofree char *text = NULL;
  g_autofree char *notice = NULL;
  g_autofree char *line = NULL;

  if (self->service == NULL)
    return;
  hours = json_object_get_array_member (self->service, "hours");
  text = ow_kiosk_format_hours (hours);
  line = g_strdup_printf (_("Tickets are issued: %s"), text);
  gtk_label_set_label (self->hours_label, line);
  self->open = ow_kiosk_hours_open (hours, g_date_time_get_hour (now) * 60 + g_date_time_get_minute (now));
  notice = g_strdup_printf (_("No tickets for this service now. Tickets are issued only during %s. Please come back then."), text);
  gtk_label_set_label (self->closed_label, notice);
  gtk_widget_set_visible (GTK_WIDGET (self->closed_label), !self->open);
  update_action (self);
}

static void
ow_kiosk_service_page_dispose (GObject *object)
{
  OwKioskServicePage *self = OW_KIOSK_SERVICE_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), OW_TYPE_KIOSK_SERVICE_PAGE);
  g_clear_pointer (&self->service, json_object_unref);
  g_clear_pointer (&self->code, g_free);
  g_clear_pointer (&self->green_category, g_free);

  G_OBJECT_CLASS (ow_kiosk_service_page_parent_class)->dispose (object);
}

static void
ow_kiosk_service_page_class_init (OwKioskServicePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ow_kiosk_service_page_dispose;

  /**
   * OwKioskServicePage::take-ticket:
   * @category: (nullable): the green-channel category, or %NULL
   */
  signals[SIGNAL_TAKE_TICKET] =
    g_signal_new ("take-ticket", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/onewindow/kiosk/ow-kiosk-service-page.ui");
  gtk_widget_class_bind_template_child (widget_class, OwKioskServicePage, title_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskServicePage, department_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskServicePage, columns);
  gtk_widget_class_bind_template_child (widget_class, OwKioskServicePage, steps_box);
  gtk_widget_class_bind_template_child (widget_class, OwKioskServicePage, documents_box);
  gtk_widget_class_bind_template_child (widget_class, OwKioskServicePage, waiting_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskServicePage, estimate_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskServicePage, hours_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskServicePage, closed_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskServicePage, green_box);
  gtk_widget_class_bind_template_child (widget_class, OwKioskServicePage, green_choices);
  gtk_widget_class_bind_template_child (widget_class, OwKioskServicePage, take_button);
  gtk_widget_class_bind_template_child (widget_class, OwKioskServicePage, spinner);

  gtk_widget_class_install_action (widget_class, "service.take", NULL, take_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "service.take", NULL);
}

static void
ow_kiosk_service_page_init (OwKioskServicePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update_action (self);
}

GtkWidget *
ow_kiosk_service_page_new (void)
{
  return g_object_new (OW_TYPE_KIOSK_SERVICE_PAGE, NULL);
}

void
ow_kiosk_service_page_set_service (OwKioskServicePage *self,
                                   JsonObject         *catalog,
                                   const char         *code)
{
  JsonObject *service;
  JsonArray *steps, *documents;

  g_return_if_fail (OW_IS_KIOSK_SERVICE_PAGE (self));

  service = ow_kiosk_catalog_find_service (catalog, code);
  g_clear_pointer (&self->service, json_object_unref);
  g_free (self->code);
  self->code = g_strdup (code);
  ow_kiosk_remove_children (GTK_WIDGET (self->steps_box));
  ow_kiosk_remove_children (GTK_WIDGET (self->documents_box));
  if (service == NULL)
    {
      update_action (self);
      return;
    }
  self->service = json_object_ref (service);

  gtk_label_set_label (self->title_label, ow_kiosk_name (service));
  gtk_label_set_label (self->department_label,
                       ow_kiosk_name (ow_kiosk_catalog_find (catalog, "departments", "id",
                                                             json_object_get_string_member (service, "department"))));

  steps = json_object_get_array_member (service, "steps");
  for (guint i = 0; steps != NULL && i < json_array_get_length (steps); i++)
    {
      JsonObject *step = json_array_get_object_element (steps, i);
      g_autofree char *number = g_strdup_printf ("%u", i + 1);
      g_autofree char *limit = ow_kiosk_format_minutes (json_object_get_int_member_with_default (step, "limit_minutes", 0));
      /* Translators: the promised time limit (承诺时限) of one step, e.g. "within 15 minutes". */
      g_autofree char *trail = g_strdup_printf (_("within %s"), limit);

      gtk_box_append (self->steps_box, make_row (number, ow_kiosk_name (step), trail));
    }

  documents = json_object_get_array_member (service, "documents");
  for (guint i = 0; documents != NULL && i < json_array_get_length (documents); i++)
    {
      const char *id = json_array_get_string_element (documents, i);
      JsonObject *document = ow_kiosk_catalog_find (catalog, "documents", "id", id);

      gtk_box_append (self->documents_box, make_row ("✓", document != NULL ? ow_kiosk_name (document) : id, NULL));
    }
  if (documents == NULL || json_array_get_length (documents) == 0)
    gtk_box_append (self->documents_box, make_row (NULL, _("No documents are needed."), NULL));

  if (!json_object_get_boolean_member_with_default (service, "green_channel", FALSE))
    g_clear_pointer (&self->green_category, g_free);
  gtk_widget_set_visible (GTK_WIDGET (self->green_box),
                          json_object_get_boolean_member_with_default (service, "green_channel", FALSE));
  build_green_choices (self);
  ow_kiosk_service_page_set_queues (self, NULL);
  update_closed (self);
}

const char *
ow_kiosk_service_page_get_service (OwKioskServicePage *self)
{
  g_return_val_if_fail (OW_IS_KIOSK_SERVICE_PAGE (self), NULL);

  return self->code;
}

void
ow_kiosk_service_page_set_queues (OwKioskServicePage *self,
                                  JsonArray          *queues)
{
  JsonArray *steps;
  JsonObject *first = NULL;
  gint64 waiting = -1, windows = 1, limit = 0;

  g_return_if_fail (OW_IS_KIOSK_SERVICE_PAGE (self));

  if (self->service == NULL)
    return;
  steps = json_object_get_array_member (self->service, "steps");
  if (steps != NULL && json_array_get_length (steps) > 0)
    first = json_array_get_object_element (steps, 0);
  for (guint i = 0; first != NULL && queues != NULL && i < json_array_get_length (queues); i++)
    {
      JsonObject *queue = json_array_get_object_element (queues, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (queue, "step", NULL),
                     json_object_get_string_member (first, "id")) == 0)
        {
          waiting = json_object_get_int_member_with_default (queue, "waiting", 0);
          limit = json_object_get_int_member_with_default (queue, "limit_minutes", 0);
          if (json_object_has_member (queue, "windows") && JSON_NODE_HOLDS_ARRAY (json_object_get_member (queue, "windows")))
            windows = MAX (json_array_get_length (json_object_get_array_member (queue, "windows")), 1);
        }
    }

  if (waiting < 0)
    {
      gtk_label_set_label (self->waiting_label, _("People waiting: …"));
      gtk_label_set_label (self->estimate_label, "");
    }
  else
    {
      g_autofree char *count = g_strdup_printf (ngettext ("%d person waiting", "%d people waiting", (gulong) waiting),
                                                (int) waiting);

      gtk_label_set_label (self->waiting_label, count);
      if (waiting == 0)
        gtk_label_set_label (self->estimate_label, _("You will be called soon."));
      else
        {
          /* The same rule of thumb as the server before it has a day's service times: each
           * person takes the first step's promised time, shared among its windows. */
          gint64 minutes = (gint64) ceil ((double) waiting * limit / windows);
          g_autofree char *duration = ow_kiosk_format_minutes (MAX (minutes, 1));
          g_autofree char *estimate = g_strdup_printf (_("Estimated wait: about %s"), duration);

          gtk_label_set_label (self->estimate_label, estimate);
        }
    }
}

const char *
ow_kiosk_service_page_get_green_category (OwKioskServicePage *self)
{
  g_return_val_if_fail (OW_IS_KIOSK_SERVICE_PAGE (self), NULL);

  return self->green_category;
}

void
ow_kiosk_service_page_set_green_category (OwKioskServicePage *self,
                                          const char         *category)
{
  g_return_if_fail (OW_IS_KIOSK_SERVICE_PAGE (self));

  g_free (self->green_category);
  self->green_category = g_strdup (category);
  build_green_choices (self);
}

void
ow_kiosk_service_page_set_busy (OwKioskServicePage *self,
                                gboolean            busy)
{
  g_return_if_fail (OW_IS_KIOSK_SERVICE_PAGE (self));

  self->busy = busy;
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  update_action (self);
}

void
ow_kiosk_service_page_set_portrait (OwKioskServicePage *self,
                                    gboolean            portrait)
{
  g_return_if_fail (OW_IS_KIOSK_SERVICE_PAGE (self));

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->columns),
                                  portrait ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL);
  gtk_box_set_homogeneous (self->columns, !portrait);
}
