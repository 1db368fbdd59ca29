/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-counter-reason-dialog.h"

#include <json-glib/json-glib.h>

struct _OwCounterReasonDialog
{
  GtkWindow  parent_instance;

  GtkLabel  *heading_label;
  GtkEntry  *reason_entry;
  GtkButton *submit_button;

  gboolean   required;
};

G_DEFINE_FINAL_TYPE (OwCounterReasonDialog, ow_counter_reason_dialog, GTK_TYPE_WINDOW)

enum {
  SIGNAL_SUBMIT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *
reason_text (OwCounterReasonDialog *self)
{
  return gtk_editable_get_text (GTK_EDITABLE (self->reason_entry));
}

static void
reason_changed_cb (OwCounterReasonDialog *self)
{
  g_autofree char *reason = g_strstrip (g_strdup (reason_text (self)));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.submit", !self->required || *reason != '\0');
}

static void
submit_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  OwCounterReasonDialog *self = OW_COUNTER_REASON_DIALOG (widget);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autofree char *reason = g_strstrip (g_strdup (reason_text (self)));

  if (self->required && *reason == '\0')
    return;
  if (*reason != '\0')
    json_object_set_string_member (args, "reason", reason);
  g_signal_emit (self, signals[SIGNAL_SUBMIT], 0, args);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
ow_counter_reason_dialog_class_init (OwCounterReasonDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/onewindow/counter/ui/ow-counter-reason-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, OwCounterReasonDialog, heading_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterReasonDialog, reason_entry);
  gtk_widget_class_bind_template_child (widget_class, OwCounterReasonDialog, submit_button);
  gtk_widget_class_bind_template_callback (widget_class, reason_changed_cb);

  gtk_widget_class_install_action (widget_class, "dialog.submit", NULL, submit_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "dialog.submit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  /**
   * OwCounterReasonDialog::submit:
   * @args: {"reason": ...}, the arguments of the window action
   */
  signals[SIGNAL_SUBMIT] =
    g_signal_new ("submit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
}

static void
ow_counter_reason_dialog_init (OwCounterReasonDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->submit_button));
}

GtkWidget *
ow_counter_reason_dialog_new (GtkWindow  *parent,
                              const char *heading,
                              const char *submit_label,
                              gboolean    required)
{
  OwCounterReasonDialog *self = g_object_new (OW_TYPE_COUNTER_REASON_DIALOG,
                                              "transient-for", parent,
                                              "title", heading,
                                              NULL);

  self->required = required;
  gtk_label_set_label (self->heading_label, heading);
  gtk_button_set_label (self->submit_button, submit_label);
  reason_changed_cb (self);
  return GTK_WIDGET (self);
}
