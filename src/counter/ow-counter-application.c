/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-counter-application.h"

#include "ow-appkit.h"
#include "ow-client.h"
#include "ow-counter-session.h"
#include "ow-counter-window.h"

#include <glib/gi18n.h>

struct _OwCounterApplication
{
  AdwApplication  parent_instance;

  char           *server;
  char           *window;
  char           *printer;
};

G_DEFINE_FINAL_TYPE (OwCounterApplication, ow_counter_application, ADW_TYPE_APPLICATION)

static void
take_string (GVariantDict  *options,
             const char    *key,
             char         **slot)
{
  const char *value = NULL;

  if (g_variant_dict_lookup (options, key, "&s", &value))
    {
      g_free (*slot);
      *slot = g_strdup (value);
    }
}

/* A config file (GKeyFile, group [counter]: server, window, printer) gives the defaults; the
 * command line wins. */
static gboolean
load_config (OwCounterApplication  *self,
             const char            *path,
             GError               **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  static const char *keys[] = { "server", "window", "printer" };
  char **slots[] = { &self->server, &self->window, &self->printer };

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *value = g_key_file_get_string (file, "counter", keys[i], NULL);

      if (value != NULL)
        {
          g_free (*slots[i]);
          *slots[i] = g_strstrip (g_steal_pointer (&value));
        }
    }
  return TRUE;
}

static int
ow_counter_application_handle_local_options (GApplication *application,
                                             GVariantDict *options)
{
  OwCounterApplication *self = OW_COUNTER_APPLICATION (application);
  const char *config = NULL;

  /* A filename option arrives as a bytestring. */
  if (g_variant_dict_lookup (options, "config", "^&ay", &config))
    {
      g_autoptr(GError) error = NULL;

      if (!load_config (self, config, &error))
        {
          g_printerr (_("Cannot read %s: %s\n"), config, error->message);
          return 2;
        }
    }
  take_string (options, "server", &self->server);
  take_string (options, "window", &self->window);
  take_string (options, "printer", &self->printer);
  if (self->server == NULL || self->window == NULL)
    {
      g_printerr (_("Usage: onewindow-counter --server URL --window WINDOW_ID [--printer QUEUE] [--config FILE]\n"));
      return 2;
    }
  if (!g_str_has_prefix (self->server, "http://") && !g_str_has_prefix (self->server, "https://"))
    {
      g_printerr (_("The server must be an http:// or https:// URL: %s\n"), self->server);
      return 2;
    }
  return -1;
}

static void
ow_counter_application_activate (GApplication *application)
{
  OwCounterApplication *self = OW_COUNTER_APPLICATION (application);
  g_autoptr(OwClient) client = NULL;
  g_autoptr(OwCounterSession) session = NULL;
  g_autofree char *basename = NULL;
  g_autofree char *state_file = NULL;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));
  OwCounterWindow *counter;

  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }
  ow_counter_window_load_style ();
  client = ow_client_new (self->server, NULL);
  session = ow_counter_session_new (client, self->window);
  basename = g_strdup_printf ("counter-%s.ini", self->window);
  state_file = g_build_filename (g_get_user_state_dir (), "onewindow", basename, NULL);
  ow_counter_session_set_state_file (session, state_file);
  counter = ow_counter_window_new (GTK_APPLICATION (application), session);
  ow_counter_window_set_printer (counter, self->printer);
  gtk_window_present (GTK_WINDOW (counter));
}

static void
ow_counter_application_finalize (GObject *object)
{
  OwCounterApplication *self = OW_COUNTER_APPLICATION (object);

  g_free (self->server);
  g_free (self->window);
  g_free (self->printer);
  G_OBJECT_CLASS (ow_counter_application_parent_class)->finalize (object);
}

static void
ow_counter_application_class_init (OwCounterApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = ow_counter_application_finalize;
  app_class->handle_local_options = ow_counter_application_handle_local_options;
  app_class->activate = ow_counter_application_activate;
}

static void
ow_counter_application_init (OwCounterApplication *self)
{
  static const GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, NULL, N_("The hall server's URL"), "URL" },
    { "window", 0, 0, G_OPTION_ARG_STRING, NULL, N_("The window this counter is at"), "WINDOW_ID" },
    { "printer", 0, 0, G_OPTION_ARG_STRING, NULL, N_("The CUPS queue for reprinted tickets"), "QUEUE" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("A settings file ([counter] server, window, printer)"), "FILE" },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
}

OwCounterApplication *
ow_counter_application_new (void)
{
  /* Several counters may run on one machine (tests, a training room): not unique. */
  return g_object_new (OW_TYPE_COUNTER_APPLICATION,
                       "application-id", "org.onewindow.Counter",
                       "flags", G_APPLICATION_NON_UNIQUE,
                       NULL);
}
