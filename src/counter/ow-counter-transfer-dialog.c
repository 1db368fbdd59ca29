/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-counter-transfer-dialog.h"

#include "ow-appkit.h"

#include <glib/gi18n.h>

struct _OwCounterTransferDialog
{
  GtkWindow       parent_instance;

  GtkLabel       *heading_label;
  GtkCheckButton *to_step_check;
  GtkCheckButton *to_window_check;
  GtkDropDown    *step_dropdown;
  GtkDropDown    *window_dropdown;
  GtkEntry       *reason_entry;
  GtkButton      *submit_button;

  GPtrArray      *step_ids;
  GPtrArray      *window_ids;
};

G_DEFINE_FINAL_TYPE (OwCounterTransferDialog, ow_counter_transfer_dialog, GTK_TYPE_WINDOW)

enum {
  SIGNAL_SUBMIT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
to_window (OwCounterTransferDialog *self)
{
  return gtk_check_button_get_active (self->to_window_check);
}

static void
update (OwCounterTransferDialog *self)
{
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->reason_entry))));
  GPtrArray *ids = to_window (self) ? self->window_ids : self->step_ids;
  GtkDropDown *dropdown = to_window (self) ? self->window_dropdown : self->step_dropdown;
  guint selected = gtk_drop_down_get_selected (dropdown);

  gtk_widget_set_sensitive (GTK_WIDGET (self->step_dropdown), !to_window (self));
  gtk_widget_set_sensitive (GTK_WIDGET (self->window_dropdown), to_window (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.submit",
                                 *reason != '\0' && selected < ids->len);
}

static void
target_toggled_cb (OwCounterTransferDialog *self)
{
  update (self);
}

static void
reason_changed_cb (OwCounterTransferDialog *self)
{
  update (self);
}

static void
submit_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  OwCounterTransferDialog *self = OW_COUNTER_TRANSFER_DIALOG (widget);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->reason_entry))));
  GPtrArray *ids = to_window (self) ? self->window_ids : self->step_ids;
  guint selected = gtk_drop_down_get_selected (to_window (self) ? self->window_dropdown : self->step_dropdown);

  if (*reason == '\0' || selected >= ids->len)
    return;
  json_object_set_string_member (args, to_window (self) ? "to_window" : "to_step", g_ptr_array_index (ids, selected));
  json_object_set_string_member (args, "reason", reason);
  g_signal_emit (self, signals[SIGNAL_SUBMIT], 0, args);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
ow_counter_transfer_dialog_finalize (GObject *object)
{
  OwCounterTransferDialog *self = OW_COUNTER_TRANSFER_DIALOG (object);

  g_clear_pointer (&self->step_ids, g_ptr_array_unref);
  g_clear_pointer (&self->window_ids, g_ptr_array_unref);
  G_OBJECT_CLASS (ow_counter_transfer_dialog_parent_class)->finalize (object);
}

static void
ow_counter_transfer_dialog_class_init (OwCounterTransferDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ow_counter_transfer_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/onewindow/counter/ui/ow-counter-transfer-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, OwCounterTransferDialog, heading_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterTransferDialog, to_step_check);
  gtk_widget_class_bind_template_child (widget_class, OwCounterTransferDialog, to_window_check);
  gtk_widget_class_bind_template_child (widget_class, OwCounterTransferDialog, step_dropdown);
  gtk_widget_class_bind_template_child (widget_class, OwCounterTransferDialog, window_dropdown);
  gtk_widget_class_bind_template_child (widget_class, OwCounterTransferDialog, reason_entry);
  gtk_widget_class_bind_template_child (widget_class, OwCounterTransferDialog, submit_button);
  gtk_widget_class_bind_template_callback (widget_class, target_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, reason_changed_cb);

  gtk_widget_class_install_action (widget_class, "dialog.submit", NULL, submit_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "dialog.submit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  /**
   * OwCounterTransferDialog::submit:
   * @args: {"to_step"|"to_window": ..., "reason": ...}, the arguments of the window action
   */
  signals[SIGNAL_SUBMIT] =
    g_signal_new ("submit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
}

static void
ow_counter_transfer_dialog_init (OwCounterTransferDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->submit_button));
  self->step_ids = g_ptr_array_new_with_free_func (g_free);
  self->window_ids = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect_swapped (self->step_dropdown, "notify::selected", G_CALLBACK (update), self);
  g_signal_connect_swapped (self->window_dropdown, "notify::selected", G_CALLBACK (update), self);
}

GtkWidget *
ow_counter_transfer_dialog_new (GtkWindow        *parent,
                                OwCounterSession *session,
                                JsonObject       *ticket)
{
  OwCounterTransferDialog *self = g_object_new (OW_TYPE_COUNTER_TRANSFER_DIALOG, "transient-for", parent, NULL);
  g_autoptr(GtkStringList) steps = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) windows = gtk_string_list_new (NULL);
  JsonObject *catalog = ow_counter_session_get_catalog (session);
  const char *own = ow_counter_session_get_window_id (session);
  const char *service = json_object_get_string_member_with_default (ticket, "service", NULL);
  const char *current = json_object_get_string_member_with_default (ticket, "step", NULL);
  g_autofree char *heading = g_strdup_printf (_("Transfer %s to another step or window"),
                                              json_object_get_string_member_with_default (ticket, "number", ""));
  JsonArray *services = catalog != NULL && json_object_has_member (catalog, "services")
                        ? json_object_get_array_member (catalog, "services") : NULL;
  JsonArray *all_windows = catalog != NULL && json_object_has_member (catalog, "windows")
                           ? json_object_get_array_member (catalog, "windows") : NULL;

  gtk_label_set_label (self->heading_label, heading);

  /* The ticket's own service first: most transfers stay within it. */
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; services != NULL && i < json_array_get_length (services); i++)
      {
        JsonObject *item = json_array_get_object_element (services, i);
        gboolean same = g_strcmp0 (json_object_get_string_member_with_default (item, "code", NULL), service) == 0;
        JsonArray *item_steps = json_object_has_member (item, "steps") ? json_object_get_array_member (item, "steps") : NULL;

        if (same != (pass == 0))
          continue;
        for (guint j = 0; item_steps != NULL && j < json_array_get_length (item_steps); j++)
          {
            JsonObject *step = json_array_get_object_element (item_steps, j);
            const char *id = json_object_get_string_member_with_default (step, "id", NULL);
            g_autofree char *label = NULL;

            if (id == NULL || g_strcmp0 (id, current) == 0)
              continue;
            label = g_strdup_printf ("%s · %s", ow_appkit_localized (json_object_get_member (item, "name"), NULL),
                                     ow_appkit_localized (json_object_get_member (step, "name"), NULL));
            gtk_string_list_append (steps, label);
            g_ptr_array_add (self->step_ids, g_strdup (id));
          }
      }

  for (guint i = 0; all_windows != NULL && i < json_array_get_length (all_windows); i++)
    {
      JsonObject *item = json_array_get_object_element (all_windows, i);
      const char *id = json_object_get_string_member_with_default (item, "id", NULL);

      if (id == NULL || g_strcmp0 (id, own) == 0)
        continue;
      gtk_string_list_append (windows, ow_appkit_localized (json_object_get_member (item, "name"), NULL));
      g_ptr_array_add (self->window_ids, g_strdup (id));
    }

  gtk_drop_down_set_model (self->step_dropdown, G_LIST_MODEL (steps));
  gtk_drop_down_set_model (self->window_dropdown, G_LIST_MODEL (windows));
  update (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->step_dropdown));
  return GTK_WIDGET (self);
}

gboolean
ow_counter_transfer_dialog_select (OwCounterTransferDialog *self,
                                   const char              *step_or_window)
{
  g_return_val_if_fail (OW_IS_COUNTER_TRANSFER_DIALOG (self), FALSE);

  for (guint i = 0; i < self->step_ids->len; i++)
    if (g_str_equal (g_ptr_array_index (self->step_ids, i), step_or_window))
      {
        gtk_check_button_set_active (self->to_step_check, TRUE);
        gtk_drop_down_set_selected (self->step_dropdown, i);
        update (self);
        return TRUE;
      }
  for (guint i = 0; i < self->window_ids->len; i++)
    if (g_str_equal (g_ptr_array_index (self->window_ids, i), step_or_window))
      {
        gtk_check_button_set_active (self->to_window_check, TRUE);
        gtk_drop_down_set_selected (self->window_dropdown, i);
        update (self);
        return TRUE;
      }
  return FALSE;
}
