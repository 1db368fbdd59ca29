/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-server.h"
#include "ow-server-private.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* The status page picks its language per request through LANGUAGE (ow_i18n_init () keeps
 * gettext from ignoring it). */
static void
setup_locale (void)
{
  ow_i18n_init ();
  ow_server_init_language ();
}

/* Every client connection holds a descriptor, and a big hall (counters, kiosks, boards, and
 * phones on the status page) can pass the usual soft limit of 1,024.  GLib waits with
 * poll (), which has no such bound, so the soft limit goes up to the hard one. */
static void
raise_descriptor_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        g_warning ("cannot raise the limit of open files: %s", g_strerror (errno));
    }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(OwServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *db = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  gboolean no_group_commit = FALSE;
  int keepalive = 0;
  int http_threads = 0;
  OwServerOptions options = { 0 };
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, N_("The hall database"), "PATH" },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen, N_("Address to listen on (default 127.0.0.1:8080)"), "HOST:PORT" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, N_("TLS certificate (PEM)"), "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, N_("TLS private key (PEM)"), "FILE" },
    { "no-group-commit", 0, 0, G_OPTION_ARG_NONE, &no_group_commit, N_("Commit every write on its own"), NULL },
    { "keepalive", 0, 0, G_OPTION_ARG_INT, &keepalive, N_("Seconds between WebSocket pings (default 20)"), "S" },
    { "http-threads", 0, 0, G_OPTION_ARG_INT, &http_threads, N_("Threads answering HTTP (default: one per processor, at most 4)"), "N" },
    { NULL }
  };

  setup_locale ();
  raise_descriptor_limit ();
  signal (SIGPIPE, SIG_IGN);

  context = g_option_context_new (_("- OneWindow hall server"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("onewindow-server: %s\n", error->message);
      return 2;
    }
  if (db == NULL || argc > 1 || keepalive < 0 || keepalive > 3600 || http_threads < 0 || http_threads > 16)
    {
      g_printerr ("%s\n", _("usage: onewindow-server --db PATH --listen HOST:PORT [--tls-cert FILE --tls-key FILE]"));
      return 2;
    }

  options.db_path = db;
  options.listen = listen;
  options.tls_cert = tls_cert;
  options.tls_key = tls_key;
  options.no_group_commit = no_group_commit;
  options.keepalive_s = (guint) keepalive;
  options.http_threads = (guint) http_threads;

  server = ow_server_new (&options, &error);
  if (server == NULL || !ow_server_start (server, &error))
    {
      g_printerr ("onewindow-server: %s\n", error->message);
      return 1;
    }

  /* Before the line below: whoever reads it may stop the server at once, and must get a
   * clean stop, not the default action of the signal. */
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);

  /* Tests and scripts read the port from this line when they asked for port 0. */
  printf ("listening on %s\n", ow_server_get_url (server));
  fflush (stdout);
  g_main_loop_run (loop);

  g_message ("stopping");
  ow_server_stop (server);
  return 0;
}
