/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-kiosk-application.h"

#include "ow-appkit.h"
#include "ow-kiosk-config.h"
#include "ow-kiosk-window.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* onewindow-kiosk --server URL --token DEVICE_TOKEN [--printer QUEUE] [--fullscreen]
 *                 [--config FILE] [--language zh_CN|en] [--idle-timeout SECONDS]
 *
 * Settings come from the [kiosk] group of the key file first; the command line wins. */

struct _OwKioskApplication
{
  AdwApplication  parent_instance;

  OwKioskConfig  *config;
  gint64          started_usec;
  gint64          first_frame_usec;
  gboolean        exit_after_first_frame;
};

G_DEFINE_FINAL_TYPE (OwKioskApplication, ow_kiosk_application, ADW_TYPE_APPLICATION)

static const GOptionEntry options[] = {
  { "server", 's', 0, G_OPTION_ARG_STRING, NULL, N_("The hall server's URL"), "URL" },
  { "token", 't', 0, G_OPTION_ARG_STRING, NULL, N_("This kiosk's device token"), "TOKEN" },
  { "printer", 'p', 0, G_OPTION_ARG_STRING, NULL, N_("The CUPS queue for tickets (default: the CUPS default)"), "QUEUE" },
  { "fullscreen", 'f', 0, G_OPTION_ARG_NONE, NULL, N_("Fill the screen"), NULL },
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, NULL, N_("Read settings from the [kiosk] group of FILE"), "FILE" },
  { "language", 'l', 0, G_OPTION_ARG_STRING, NULL, N_("The language shown first: zh_CN (default) or en"), "LANG" },
  { "idle-timeout", 0, 0, G_OPTION_ARG_DOUBLE, NULL, N_("Seconds without a touch before going home (default 30)"), "SECONDS" },
  { NULL }
};

static int
ow_kiosk_application_handle_local_options (GApplication *application,
                                           GVariantDict *dict)
{
  OwKioskApplication *self = OW_KIOSK_APPLICATION (application);
  g_autoptr(OwKioskConfig) config = ow_kiosk_config_new ();
  g_autoptr(GError) error = NULL;
  const char *string;
  double seconds;

  if (g_variant_dict_lookup (dict, "config", "^&ay", &string) &&
      !ow_kiosk_config_load_file (config, string, &error))
    {
      g_printerr ("onewindow-kiosk: %s\n", error->message);
      return 2;
    }
  if (g_variant_dict_lookup (dict, "server", "&s", &string))
    {
      g_free (config->server);
      config->server = g_strdup (string);
    }
  if (g_variant_dict_lookup (dict, "token", "&s", &string))
    {
      g_free (config->token);
      config->token = g_strdup (string);
    }
  if (g_variant_dict_lookup (dict, "printer", "&s", &string))
    {
      g_free (config->printer);
      config->printer = g_strdup (string);
    }
  if (g_variant_dict_lookup (dict, "language", "&s", &string))
    {
      g_free (config->language);
      config->language = g_strdup (string);
    }
  if (g_variant_dict_contains (dict, "fullscreen"))
    config->fullscreen = TRUE;
  if (g_variant_dict_lookup (dict, "idle-timeout", "d", &seconds))
    {
      if (!(seconds > 0 && seconds <= 24 * 3600))
        {
          g_printerr ("onewindow-kiosk: %s\n", _("--idle-timeout must be from 0 to 86400 seconds"));
          return 2;
        }
      config->idle_timeout_ms = (guint) (seconds * 1000);
    }
  if (!ow_kiosk_config_validate (config, &error))
    {
      g_printerr ("onewindow-kiosk: %s\n", error->message);
      return 2;
    }
  /* The kiosk's screens are still pictures with a spinner: cairo draws them in a few
   * milliseconds, and not loading the GL stack (Mesa, LLVM) halves the start-up time and the
   * memory (docs/KIOSK.md).  GTK reads this when the application starts, which is next. */
  if (config->software_rendering && g_getenv ("GDK_DEBUG") == NULL && g_getenv ("GSK_RENDERER") == NULL)
    g_setenv ("GDK_DEBUG", "gl-disable", TRUE);
  self->config = g_steal_pointer (&config);
  return -1;
}

static long
resident_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmRSS:")) == NULL)
    return -1;
  return strtol (line + strlen ("VmRSS:"), NULL, 10);
}

/* For bench/bench-kiosk.c: the time from process start to the first painted frame, and to
 * the first frame that shows the departments; then the resident memory, and exit. */
static void
after_paint_cb (GdkFrameClock      *clock,
                OwKioskApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (self->first_frame_usec == 0)
    self->first_frame_usec = g_get_monotonic_time ();
  if (window == NULL || g_strcmp0 (ow_kiosk_window_get_view (OW_KIOSK_WINDOW (window)), "home") != 0)
    return;
  g_print ("first-frame-ms %.1f\nhome-frame-ms %.1f\nvmrss-kb %ld\n",
           (self->first_frame_usec - self->started_usec) / 1000.0,
           (g_get_monotonic_time () - self->started_usec) / 1000.0,
           resident_kb ());
  g_signal_handlers_disconnect_by_func (clock, after_paint_cb, self);
  g_application_quit (G_APPLICATION (self));
}

static void
ow_kiosk_application_activate (GApplication *application)
{
  OwKioskApplication *self = OW_KIOSK_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  if (window == NULL)
    window = GTK_WINDOW (ow_kiosk_window_new (GTK_APPLICATION (application), self->config));
  if (self->exit_after_first_frame)
    {
      gtk_widget_realize (GTK_WIDGET (window));
      g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint",
                        G_CALLBACK (after_paint_cb), self);
    }
  gtk_window_present (window);
}

static void
ow_kiosk_application_finalize (GObject *object)
{
  OwKioskApplication *self = OW_KIOSK_APPLICATION (object);

  g_clear_pointer (&self->config, ow_kiosk_config_free);

  G_OBJECT_CLASS (ow_kiosk_application_parent_class)->finalize (object);
}

static void
ow_kiosk_application_class_init (OwKioskApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = ow_kiosk_application_finalize;
  application_class->handle_local_options = ow_kiosk_application_handle_local_options;
  application_class->activate = ow_kiosk_application_activate;
}

static void
ow_kiosk_application_init (OwKioskApplication *self)
{
  self->started_usec = g_get_monotonic_time ();
  self->exit_after_first_frame = g_getenv ("OW_KIOSK_EXIT_AFTER_FIRST_FRAME") != NULL;
  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("The OneWindow ticket kiosk: departments, services, tickets."));
}

OwKioskApplication *
ow_kiosk_application_new (void)
{
  /* Non-unique: a hall may test a second kiosk on one machine, and tests run several. */
  return g_object_new (OW_TYPE_KIOSK_APPLICATION,
                       "application-id", "org.onewindow.Kiosk",
                       "flags", G_APPLICATION_NON_UNIQUE,
                       NULL);
}
