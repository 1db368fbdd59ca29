/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A private CUPS scheduler for the print tests and the print bench (docs/PRINTING.md).
 *
 * cupsd runs in the foreground on a loopback port and a domain socket in its own folder, with
 * its own spool, state and logs, and `file:` queues whose PPD passes PDF through unchanged, so
 * that the output file is the submitted PDF byte for byte.  A few filters written here stand
 * in for a printer that runs out of paper, one that fails, and one that is slow.  Clients are
 * pointed at it with $CUPS_SERVER.
 *
 * Run as root, cupsd runs its filters as `lp`: every folder on the way must be traversable by
 * `lp`, so the base folder is made 0755 (g_dir_make_tmp makes 0700).  Filters must be owned by
 * root and writable only by it, which holds for files root writes here. */

#include <cups/cups.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

typedef struct
{
  char        *base;
  char        *socket;
  int          port;
  GSubprocess *cupsd;
} TestCups;

/* The PPD of a receipt printer fed PDF: FILTER is the program that turns the PDF into what
 * the `file:` device gets ("gziptoany" passes it through). */
static const char test_cups_ppd[] =
  "*PPD-Adobe: \"4.3\"\n"
  "*FormatVersion: \"4.3\"\n"
  "*FileVersion: \"1.0\"\n"
  "*LanguageVersion: English\n"
  "*LanguageEncoding: ISOLatin1\n"
  "*PCFileName: \"OWTICKET.PPD\"\n"
  "*Manufacturer: \"OneWindow\"\n"
  "*Product: \"(OneWindow Test Receipt)\"\n"
  "*ModelName: \"OneWindow Test Receipt\"\n"
  "*ShortNickName: \"OneWindow Test Receipt\"\n"
  "*NickName: \"OneWindow Test Receipt, PDF\"\n"
  "*PSVersion: \"(3010.000) 0\"\n"
  "*LanguageLevel: \"3\"\n"
  "*ColorDevice: False\n"
  "*DefaultColorSpace: Gray\n"
  "*FileSystem: False\n"
  "*Throughput: \"1\"\n"
  "*LandscapeOrientation: Plus90\n"
  "*TTRasterizer: Type42\n"
  "*cupsVersion: 2.4\n"
  "*cupsFilter2: \"application/pdf application/vnd.cups-pdf 0 @FILTER@\"\n"
  "*OpenUI *PageSize/Media Size: PickOne\n"
  "*OrderDependency: 10 AnySetup *PageSize\n"
  "*DefaultPageSize: X80MM\n"
  "*PageSize X80MM/80 mm Roll: \"<</PageSize[226.77 841.89]>>setpagedevice\"\n"
  "*CloseUI: *PageSize\n"
  "*OpenUI *PageRegion: PickOne\n"
  "*OrderDependency: 10 AnySetup *PageRegion\n"
  "*DefaultPageRegion: X80MM\n"
  "*PageRegion X80MM/80 mm Roll: \"<</PageSize[226.77 841.89]>>setpagedevice\"\n"
  "*CloseUI: *PageRegion\n"
  "*DefaultImageableArea: X80MM\n"
  "*ImageableArea X80MM/80 mm Roll: \"0 0 226.77 841.89\"\n"
  "*DefaultPaperDimension: X80MM\n"
  "*PaperDimension X80MM/80 mm Roll: \"226.77 841.89\"\n";

/* Filters standing in for printers in trouble.  CUPS reads "STATE:" and "ERROR:" lines from a
 * filter's standard error. */
static const struct
{
  const char *name;
  const char *script;
} test_cups_filters[] = {
  { "ow-test-paper-out",
    "#!/bin/sh\necho 'STATE: +media-empty-error' >&2\necho 'ERROR: Out of paper' >&2\nexec sleep 60\n" },
  /* The pause lets cupsd read the ERROR line before it sees the backend exit; otherwise, on
   * a busy machine, it reports only its own "Filter failed". */
  { "ow-test-fail",
    "#!/bin/sh\necho 'ERROR: Print head overheated' >&2\nsleep 1\nexit 1\n" },
  { "ow-test-slow",
    "#!/bin/sh\nsleep 60\n" },
};

static inline char *
test_cups_find_program (const char *name)
{
  static const char * const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
  char *path = g_find_program_in_path (name);

  /* A non-root user's PATH often lacks the sbin folders, where cupsd and lpadmin live. */
  for (guint i = 0; path == NULL && i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *candidate = g_build_filename (dirs[i], name, NULL);

      if (g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE))
        path = g_steal_pointer (&candidate);
    }
  return path;
}

/* NULL when a private cupsd can run here, else why not. */
static inline char *
test_cups_missing (void)
{
  static const char * const programs[] = { "cupsd", "lpadmin", "cupsdisable", "cupsreject" };

  for (guint i = 0; i < G_N_ELEMENTS (programs); i++)
    {
      g_autofree char *path = test_cups_find_program (programs[i]);

      if (path == NULL)
        return g_strdup_printf ("%s is not installed (Debian packages cups, cups-bsd)", programs[i]);
    }
  if (!g_file_test ("/usr/lib/cups/filter/gziptoany", G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup ("the CUPS filter gziptoany is not installed (Debian package cups)");
  return NULL;
}

static inline void
test_cups_remove_tree (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *child = g_build_filename (dir, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        test_cups_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (dir);
}

static inline int
test_cups_free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  if (socket == NULL || !g_socket_bind (socket, any, FALSE, NULL))
    return 0;
  bound = g_socket_get_local_address (socket, NULL);
  return bound != NULL ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)) : 0;
}

static inline gboolean
test_cups_write (const char  *dir,
                 const char  *name,
                 const char  *contents,
                 int          mode,
                 GError     **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  if (!g_file_set_contents (path, contents, -1, error))
    return FALSE;
  g_chmod (path, mode);
  return TRUE;
}

static inline void
test_cups_child_setup (gpointer user_data)
{
  /* If the test dies, its cupsd dies with it. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* The last lines of the scheduler's log, for a failing test's message. */
static inline char *
test_cups_log_tail (TestCups *cups)
{
  g_autofree char *path = g_build_filename (cups->base, "log", "error_log", NULL);
  g_autofree char *text = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &text, &length, NULL))
    return g_strdup ("(no log)");
  return g_strdup (length > 4000 ? text + length - 4000 : text);
}

static inline void
test_cups_stop (TestCups *cups)
{
  if (cups == NULL)
    return;
  if (cups->cupsd != NULL)
    {
      g_subprocess_send_signal (cups->cupsd, SIGTERM);
      g_subprocess_wait (cups->cupsd, NULL, NULL);
      g_clear_object (&cups->cupsd);
    }
  if (cups->base != NULL && g_getenv ("OW_TEST_KEEP_CUPS") == NULL)
    test_cups_remove_tree (cups->base);
  g_free (cups->socket);
  g_free (cups->base);
  g_free (cups);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestCups, test_cups_stop)

/* Starts a private cupsd and points this process's libcups (and the children it starts) at
 * it.  Returns NULL with @error set when it does not come up within five seconds. */
static inline TestCups *
test_cups_start (GError **error)
{
  g_autoptr(TestCups) cups = g_new0 (TestCups, 1);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *cupsd = test_cups_find_program ("cupsd");
  g_autofree char *files = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *files_path = NULL;
  g_autofree char *conf_path = NULL;
  g_autofree char *filter_dir = NULL;
  g_autofree char *bin_dir = NULL;
  g_autoptr(GDir) filters = NULL;
  const char *user_lines;
  const char *name;
  gint64 deadline;

  cups->base = g_dir_make_tmp ("ow-cups-XXXXXX", error);
  if (cups->base == NULL)
    return NULL;
  g_chmod (cups->base, 0755);
  for (const char *sub = "spool\0cache\0state\0log\0tmp\0out\0bin\0bin/filter\0"; *sub; sub += strlen (sub) + 1)
    {
      g_autofree char *path = g_build_filename (cups->base, sub, NULL);

      /* The output and temporary folders are written by the filters' user. */
      if (g_mkdir (path, 0755) != 0 ||
          ((g_str_equal (sub, "out") || g_str_equal (sub, "tmp")) && g_chmod (path, 01777) != 0))
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot make %s", path);
          return NULL;
        }
    }

  /* Its own ServerBin: CUPS's programs, plus the test filters. */
  bin_dir = g_build_filename (cups->base, "bin", NULL);
  for (const char *sub = "backend\0cgi-bin\0daemon\0driver\0monitor\0notifier\0"; *sub; sub += strlen (sub) + 1)
    {
      g_autofree char *target = g_build_filename ("/usr/lib/cups", sub, NULL);
      g_autofree char *link = g_build_filename (bin_dir, sub, NULL);

      if (g_file_test (target, G_FILE_TEST_IS_DIR) && symlink (target, link) != 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot link %s", link);
          return NULL;
        }
    }
  filter_dir = g_build_filename (bin_dir, "filter", NULL);
  filters = g_dir_open ("/usr/lib/cups/filter", 0, error);
  if (filters == NULL)
    return NULL;
  while ((name = g_dir_read_name (filters)) != NULL)
    {
      g_autofree char *target = g_build_filename ("/usr/lib/cups/filter", name, NULL);
      g_autofree char *link = g_build_filename (filter_dir, name, NULL);

      if (symlink (target, link) != 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot link %s", link);
          return NULL;
        }
    }
  for (guint i = 0; i < G_N_ELEMENTS (test_cups_filters); i++)
    if (!test_cups_write (filter_dir, test_cups_filters[i].name, test_cups_filters[i].script, 0755, error))
      return NULL;

  cups->port = test_cups_free_port ();
  cups->socket = g_build_filename (cups->base, "cups.sock", NULL);

  /* As root, cupsd drops to lp for filters; its Group must differ from SystemGroup.  As
   * another user, it runs everything as that user. */
  if (getuid () == 0 && getpwnam ("lp") != NULL && getgrnam ("lp") != NULL)
    user_lines = "User lp\nGroup lp\nSystemGroup root\n";
  else
    user_lines = "SystemGroup root\n";
  files = g_strdup_printf ("ServerRoot %1$s\n"
                           "ServerBin %1$s/bin\n"
                           "StateDir %1$s/state\n"
                           "CacheDir %1$s/cache\n"
                           "RequestRoot %1$s/spool\n"
                           "TempDir %1$s/tmp\n"
                           "AccessLog %1$s/log/access_log\n"
                           "ErrorLog %1$s/log/error_log\n"
                           "PageLog %1$s/log/page_log\n"
                           "Printcap %1$s/printcap\n"
                           "FileDevice Yes\n"
                           "%2$s",
                           cups->base, user_lines);
  conf = g_strdup_printf ("Listen 127.0.0.1:%d\n"
                          "Listen %s\n"
                          "LogLevel info\n"
                          "MaxLogSize 0\n"
                          "Browsing No\n"
                          "WebInterface No\n"
                          "DefaultAuthType None\n"
                          "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
                          "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n",
                          cups->port, cups->socket);
  if (!test_cups_write (cups->base, "cups-files.conf", files, 0644, error) ||
      !test_cups_write (cups->base, "cupsd.conf", conf, 0644, error))
    return NULL;

  files_path = g_build_filename (cups->base, "cups-files.conf", NULL);
  conf_path = g_build_filename (cups->base, "cupsd.conf", NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, test_cups_child_setup, NULL, NULL);
  cups->cupsd = g_subprocess_launcher_spawn (launcher, error, cupsd, "-f", "-c", conf_path, "-s", files_path, NULL);
  if (cups->cupsd == NULL)
    return NULL;

  /* Point libcups, in this thread and in every program started from now on, at it. */
  g_setenv ("CUPS_SERVER", cups->socket, TRUE);
  g_unsetenv ("PRINTER");
  g_unsetenv ("LPDEST");
  cupsSetServer (NULL);

  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      http_t *http = NULL;

      if (g_file_test (cups->socket, G_FILE_TEST_EXISTS))
        http = httpConnect2 (cups->socket, 0, NULL, AF_LOCAL, HTTP_ENCRYPTION_NEVER, 1, 500, NULL);
      if (http != NULL)
        {
          httpClose (http);
          return g_steal_pointer (&cups);
        }
      /* GLib reaps its children as they exit; an identifier no more means cupsd is gone. */
      if (g_subprocess_get_identifier (cups->cupsd) == NULL)
        break;
      g_usleep (10000);
    }
  {
    g_autofree char *log = test_cups_log_tail (cups);

    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "cupsd did not start; its log:\n%s", log);
  }
  return NULL;
}

/* Runs a CUPS command-line tool (lpadmin, cupsdisable, ...) against the private scheduler. */
static inline gboolean
test_cups_tool (TestCups    *cups,
                GError     **error,
                const char  *tool,
                ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  char *path = test_cups_find_program (tool);
  const char *arg;
  va_list args;

  if (path == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s is not installed", tool);
      return FALSE;
    }
  g_ptr_array_add (argv, path);
  va_start (args, tool);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_setenv (launcher, "CUPS_SERVER", cups->socket, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, error);
  if (process == NULL || !g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, error))
    return FALSE;
  if (!g_subprocess_get_successful (process))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed: %s", tool, err);
      return FALSE;
    }
  return TRUE;
}

/* Adds an enabled, accepting `file:` queue whose output is OUT/<name>.pdf, through @filter
 * ("gziptoany" passes the PDF through; or one of test_cups_filters).  Returns the output's
 * path, or NULL with @error set. */
static inline char *
test_cups_add_queue (TestCups    *cups,
                     const char  *name,
                     const char  *filter,
                     GError     **error)
{
  g_autoptr(GString) ppd = g_string_new (test_cups_ppd);
  g_autofree char *ppd_name = g_strdup_printf ("%s.ppd", name);
  g_autofree char *ppd_path = g_build_filename (cups->base, ppd_name, NULL);
  g_autofree char *output_name = g_strdup_printf ("%s.pdf", name);
  g_autofree char *output = g_build_filename (cups->base, "out", output_name, NULL);
  g_autofree char *uri = g_strdup_printf ("file://%s", output);

  g_string_replace (ppd, "@FILTER@", filter, 1);
  if (!test_cups_write (cups->base, ppd_name, ppd->str, 0644, error) ||
      !test_cups_tool (cups, error, "lpadmin", "-p", name, "-E", "-v", uri, "-P", ppd_path, NULL))
    return NULL;
  return g_steal_pointer (&output);
}
