/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-counter-waiting-row.h"

#include <glib/gi18n.h>

struct _OwCounterWaitingRow
{
  GtkListBoxRow  parent_instance;

  GtkLabel      *number_label;
  GtkLabel      *badge_label;
  GtkLabel      *step_label;
  GtkLabel      *waited_label;

  char          *number;
  gboolean       green;
  gint64         waited_s;
  gint64         age_s;
};

G_DEFINE_FINAL_TYPE (OwCounterWaitingRow, ow_counter_waiting_row, GTK_TYPE_LIST_BOX_ROW)

char *
ow_counter_format_duration (gint64 seconds)
{
  seconds = MAX (0, seconds);
  if (seconds >= 3600)
    return g_strdup_printf ("%d:%02d:%02d", (int) (seconds / 3600), (int) (seconds / 60 % 60), (int) (seconds % 60));
  return g_strdup_printf ("%d:%02d", (int) (seconds / 60), (int) (seconds % 60));
}

static void
ow_counter_waiting_row_finalize (GObject *object)
{
  OwCounterWaitingRow *self = OW_COUNTER_WAITING_ROW (object);

  g_free (self->number);
  G_OBJECT_CLASS (ow_counter_waiting_row_parent_class)->finalize (object);
}

static void
ow_counter_waiting_row_class_init (OwCounterWaitingRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ow_counter_waiting_row_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/onewindow/counter/ui/ow-counter-waiting-row.ui");
  gtk_widget_class_bind_template_child (widget_class, OwCounterWaitingRow, number_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWaitingRow, badge_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWaitingRow, step_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterWaitingRow, waited_label);
}

static void
ow_counter_waiting_row_init (OwCounterWaitingRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
ow_counter_waiting_row_new (const char *number,
                            gboolean    green,
                            gboolean    reentry,
                            const char *step_name,
                            gint64      waited_s)
{
  OwCounterWaitingRow *self = g_object_new (OW_TYPE_COUNTER_WAITING_ROW, NULL);
  g_autofree char *waited = ow_counter_format_duration (waited_s);
  g_autofree char *accessible = NULL;

  self->number = g_strdup (number);
  self->green = green;
  self->waited_s = waited_s;
  gtk_label_set_label (self->number_label, number);
  gtk_label_set_label (self->step_label, step_name);
  gtk_label_set_label (self->waited_label, waited);
  if (green || reentry)
    {
      gtk_label_set_label (self->badge_label, green ? _("Green channel") : _("Back with documents"));
      gtk_widget_add_css_class (GTK_WIDGET (self->badge_label), green ? "green-channel" : "reentry");
      gtk_widget_set_visible (GTK_WIDGET (self->badge_label), TRUE);
    }
  gtk_widget_set_name (GTK_WIDGET (self), number);
  accessible = g_strdup_printf (_("%s, %s, waited %s"), number, step_name, waited);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  return GTK_WIDGET (self);
}

const char *
ow_counter_waiting_row_get_number (OwCounterWaitingRow *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_WAITING_ROW (self), NULL);
  return self->number;
}

gboolean
ow_counter_waiting_row_get_green (OwCounterWaitingRow *self)
{
  g_return_val_if_fail (OW_IS_COUNTER_WAITING_ROW (self), FALSE);
  return self->green;
}

void
ow_counter_waiting_row_set_age (OwCounterWaitingRow *self,
                                gint64               age_s)
{
  g_autofree char *waited = NULL;

  g_return_if_fail (OW_IS_COUNTER_WAITING_ROW (self));

  if (age_s == self->age_s)
    return;
  self->age_s = age_s;
  waited = ow_counter_format_duration (self->waited_s + MAX (0, age_s));
  gtk_label_set_label (self->waited_label, waited);
}
