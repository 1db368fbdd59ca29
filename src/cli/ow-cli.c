/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-cli.h"

#include "ow-core.h"
#include "ow-print.h"

#include <gio/gunixoutputstream.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The command-line contract (docs/CLI.md): with --json every command prints exactly one JSON
 * object on stdout; errors go to stderr with a non-zero exit status. */

enum
{
  EXIT_OK = 0,
  EXIT_FAILED = 1,   /* refused by the hall's rules, or a broken audit chain */
  EXIT_USAGE = 2,    /* bad command line or bad input file */
  EXIT_DATABASE = 3, /* the database cannot be opened or written */
};

typedef struct
{
  char      *db_path;
  gboolean   json;
  char      *lang;     /* "zh_CN" or "en": which catalogue names to show */
  OwDb      *db;
  OwHall    *hall;
  OwClock   *clock;
  char      *actor_name;
  OwActor    actor;
} Cli;

static void
cli_clear (Cli *cli)
{
  g_clear_object (&cli->hall);
  g_clear_object (&cli->db);
  g_clear_object (&cli->clock);
  g_clear_pointer (&cli->db_path, g_free);
  g_clear_pointer (&cli->lang, g_free);
  g_clear_pointer (&cli->actor_name, g_free);
}

static void
print_json (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static const char *
error_code_name (const GError *error)
{
  static const char *hall_codes[] = {
    "failed", "not_found", "invalid", "closed", "cap_reached", "paused", "window_busy",
    "no_ticket", "wrong_state", "auth", "locked", "not_allowed", "exists",
  };

  if (error->domain == OW_HALL_ERROR && error->code >= 0 && error->code < (int) G_N_ELEMENTS (hall_codes))
    return hall_codes[error->code];
  if (error->domain == OW_CATALOG_ERROR)
    return "invalid_catalog";
  if (error->domain == OW_DB_ERROR)
    return "database";
  if (ow_print_error_code (error) != NULL)
    return ow_print_error_code (error);
  return "invalid";
}

static int
fail (Cli          *cli,
      int           status,
      const GError *error,
      const char   *message)
{
  const char *text = message != NULL ? message : error->message;

  if (cli->json)
    {
      g_autoptr(JsonObject) outer = json_object_new ();
      JsonObject *inner = json_object_new ();
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autofree char *out = NULL;

      json_object_set_string_member (inner, "code", error != NULL ? error_code_name (error) : "usage");
      json_object_set_string_member (inner, "message", text);
      json_object_set_object_member (outer, "error", inner);
      node = json_node_init_object (json_node_alloc (), outer);
      json_generator_set_root (generator, node);
      out = json_generator_to_data (generator, NULL);
      g_printerr ("%s\n", out);
    }
  else
    g_printerr ("onewindow: %s\n", text);
  return status;
}

static int
fail_error (Cli          *cli,
            const GError *error)
{
  int status = EXIT_FAILED;

  if (error->domain == OW_DB_ERROR)
    status = EXIT_DATABASE;
  else if (error->domain == OW_CATALOG_ERROR || error->domain == G_IO_ERROR ||
           (error->domain == OW_HALL_ERROR && error->code == OW_HALL_ERROR_INVALID))
    status = EXIT_USAGE;
  return fail (cli, status, error, NULL);
}

static int
usage (Cli        *cli,
       const char *message)
{
  return fail (cli, EXIT_USAGE, NULL, message);
}

/* A catalogue name object in the chosen language, falling back to the other. */
static const char *
localized (JsonNode   *name,
           const char *lang)
{
  JsonObject *object;

  if (name == NULL || !JSON_NODE_HOLDS_OBJECT (name))
    return "";
  object = json_node_get_object (name);
  if (json_object_has_member (object, lang))
    return json_object_get_string_member (object, lang);
  if (json_object_has_member (object, "en"))
    return json_object_get_string_member (object, "en");
  return "";
}

typedef struct
{
  const char *key;
  const char *label;   /* N_()-marked */
} Label;

/* @key's label from @labels, translated; a key the table does not have (a newer server's)
 * as it is. */
static const char *
label_for (const Label *labels,
           gsize        n_labels,
           const char  *key)
{
  for (gsize i = 0; key != NULL && i < n_labels; i++)
    if (g_str_equal (key, labels[i].key))
      return _(labels[i].label);
  return key != NULL ? key : "";
}

/* What happened to a ticket, as a ticket's history says it. */
static const char *
action_label (const char *action)
{
  static const Label labels[] = {
    { "issue", N_("issued") },
    { "call", N_("called") },
    { "recall", N_("called again") },
    { "no-show", N_("no-show") },
    { "start", N_("service started") },
    { "complete", N_("step completed") },
    { "return", N_("returned for documents") },
    { "transfer", N_("transferred") },
    { "reenter", N_("back in the queue") },
    { "cancel", N_("cancelled") },
    { "expire", N_("expired") },
    { "supply", N_("documents brought") },
    { "rate", N_("rated") },
    { "follow_up", N_("rating followed up") },
  };

  return label_for (labels, G_N_ELEMENTS (labels), action);
}

/* A staff member's or device's role in words. */
static const char *
role_label (const char *role)
{
  static const Label labels[] = {
    { "counter", N_("counter staff") },
    { "supervisor", N_("supervisor") },
    { "admin", N_("administrator") },
    { "kiosk", N_("kiosk") },
    { "board", N_("hall board") },
  };

  return label_for (labels, G_N_ELEMENTS (labels), role);
}

/* A number of seconds with its unit, "42 s" or "42 秒". */
static char *
seconds_text (gint64 seconds)
{
  /* Translators: a number of seconds. */
  return g_strdup_printf (_("%lld s"), (long long) seconds);
}

/* "  Label: value" in the language's own punctuation. */
static void
print_field (const char *label,
             const char *value)
{
  /* Translators: a label and its value in the command line's ticket text; use your
   * language's colon ("：" in Chinese). */
  g_print (_("  %s: %s\n"), label, value);
}

/* The documents @ids by their names in the catalogue, joined as a list. */
static char *
document_names (Cli       *cli,
                JsonArray *ids)
{
  g_autoptr(JsonArray) named = ow_public_document_names (cli->db, ids);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (named); i++)
    {
      JsonObject *document = json_array_get_object_element (named, i);
      JsonNode *name = json_object_get_member (document, "name");

      if (i > 0)
        g_string_append (text, _(", "));
      if (name != NULL && JSON_NODE_HOLDS_OBJECT (name))
        g_string_append (text, localized (name, cli->lang));
      else
        g_string_append (text, json_object_get_string_member (document, "id"));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
print_ticket_text (Cli        *cli,
                   JsonObject *ticket)
{
  const char *state = json_object_get_string_member (ticket, "state");

  g_print ("%s  %s\n", json_object_get_string_member (ticket, "number"),
           localized (json_object_get_member (ticket, "service_name"), cli->lang));
  print_field (_("State"), ow_hall_state_label (state));
  if (!json_object_get_null_member (ticket, "step_name"))
    {
      g_autofree char *step = g_strdup_printf ("%s (%" G_GINT64_FORMAT "/%u)",
                                               localized (json_object_get_member (ticket, "step_name"), cli->lang),
                                               json_object_get_int_member (ticket, "step_index"),
                                               json_array_get_length (json_object_get_array_member (ticket, "steps")));

      print_field (_("Step"), step);
    }
  if (g_strcmp0 (state, "waiting") == 0)
    {
      g_autofree char *ahead = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (ticket, "ahead"));

      print_field (_("People ahead"), ahead);
    }
  if (!json_object_get_null_member (ticket, "window_number"))
    {
      g_autofree char *window = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                 json_object_get_int_member (ticket, "window_number"));

      print_field (_("Window"), window);
    }
  if (json_object_get_boolean_member (ticket, "green"))
    g_print ("  %s\n", _("Green channel"));
  if (json_array_get_length (json_object_get_array_member (ticket, "missing")) > 0)
    {
      g_autofree char *missing = document_names (cli, json_object_get_array_member (ticket, "missing"));

      print_field (_("Missing documents"), missing);
    }
  if (json_object_has_member (ticket, "promise") && !json_object_get_null_member (ticket, "promise"))
    {
      JsonObject *promise = json_object_get_object_member (ticket, "promise");
      g_autofree char *owed = document_names (cli, json_object_get_array_member (promise, "documents"));
      /* Translators: the documents a citizen promised to bring, and the day they are due. */
      g_autofree char *text = g_strdup_printf (_("%s, by %s%s"), owed,
                                               json_object_get_string_member (promise, "deadline"),
                                               json_object_get_boolean_member (promise, "overdue") ? _("  (overdue)") : "");

      print_field (_("Documents promised"), text);
    }
  print_field (_("Token"), json_object_get_string_member (ticket, "token"));
  if (json_object_has_member (ticket, "history"))
    {
      JsonArray *history = json_object_get_array_member (ticket, "history");

      g_print ("  %s\n", _("History:"));
      for (guint i = 0; i < json_array_get_length (history); i++)
        {
          JsonObject *event = json_array_get_object_element (history, i);
          const char *window = json_object_get_string_member (event, "window");

          g_print ("    #%-6" G_GINT64_FORMAT " %s  %-10s %s  %s\n",
                   json_object_get_int_member (event, "seq"),
                   json_object_get_string_member (event, "time"),
                   window != NULL ? window : "",
                   action_label (json_object_get_string_member (event, "action")),
                   json_object_get_string_member (event, "actor"));
        }
    }
}

/* Option parsing shared by the sub-commands: a tiny getopt for "--name value" pairs. */
typedef struct
{
  const char *name;
  gboolean    takes_value;
  gboolean    multiple;   /* collects every following non-option word */
} OptSpec;

static gboolean
parse_options (Cli            *cli,
               int             argc,
               char          **argv,
               const OptSpec  *specs,
               GHashTable     *values,
               GPtrArray      *positional,
               char          **error_message)
{
  for (int i = 0; i < argc; i++)
    {
      const char *arg = argv[i];
      const OptSpec *spec = NULL;

      if (!g_str_has_prefix (arg, "--"))
        {
          g_ptr_array_add (positional, (gpointer) arg);
          continue;
        }
      for (const OptSpec *s = specs; s != NULL && s->name != NULL; s++)
        if (g_str_equal (arg + 2, s->name))
          spec = s;
      if (spec == NULL)
        {
          *error_message = g_strdup_printf (_("unknown option %s"), arg);
          return FALSE;
        }
      if (!spec->takes_value)
        {
          g_hash_table_insert (values, (gpointer) spec->name, (gpointer) "");
          continue;
        }
      if (spec->multiple)
        {
          GPtrArray *list = g_ptr_array_new ();

          while (i + 1 < argc && !g_str_has_prefix (argv[i + 1], "--"))
            g_ptr_array_add (list, argv[++i]);
          g_ptr_array_add (list, NULL);
          if (list->len == 1)
            {
              g_ptr_array_unref (list);
              *error_message = g_strdup_printf (_("%s needs at least one value"), arg);
              return FALSE;
            }
          g_hash_table_insert (values, (gpointer) spec->name, g_ptr_array_free (list, FALSE));
          continue;
        }
      if (i + 1 >= argc)
        {
          *error_message = g_strdup_printf (_("%s needs a value"), arg);
          return FALSE;
        }
      g_hash_table_insert (values, (gpointer) spec->name, argv[++i]);
    }
  return TRUE;
}

static gboolean
open_hall (Cli     *cli,
           GError **error)
{
  cli->db = ow_db_open (cli->db_path, error);
  if (cli->db == NULL)
    return FALSE;
  /* The shipped programs always use the real clock: nothing sets the log's time. */
  cli->clock = ow_clock_new_system ();
  cli->hall = ow_hall_new (cli->db, cli->clock);
  return TRUE;
}

static int
cmd_init (Cli   *cli,
          int    argc,
          char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) result = json_object_new ();

  if (argc > 0)
    return usage (cli, _("init takes no arguments"));
  if (!open_hall (cli, &error))
    return fail_error (cli, error);
  if (ow_audit_head_seq (cli->db) == 0)
    {
      g_autoptr(JsonObject) details = json_object_new ();

      json_object_set_int_member (details, "schema_version", ow_db_get_schema_version (cli->db));
      if (!ow_hall_log (cli->hall, &cli->actor, NULL, "init", details, &error))
        return fail_error (cli, error);
    }
  json_object_set_string_member (result, "db", cli->db_path);
  json_object_set_int_member (result, "schema_version", ow_db_get_schema_version (cli->db));
  if (cli->json)
    print_json (result);
  else
    g_print (_("Hall database ready: %s\n"), cli->db_path);
  return EXIT_OK;
}

static int
cmd_catalog (Cli   *cli,
             int    argc,
             char **argv)
{
  g_autoptr(GError) error = NULL;

  if (argc < 1)
    return usage (cli, _("usage: onewindow catalog import FILE | catalog show"));

  if (g_str_equal (argv[0], "import"))
    {
      g_autoptr(JsonObject) summary = NULL;

      if (argc != 2)
        return usage (cli, _("usage: onewindow catalog import FILE"));
      if (!open_hall (cli, &error))
        return fail_error (cli, error);
      if (!ow_catalog_import_file (cli->db, cli->clock, &cli->actor, argv[1], &summary, &error))
        return fail (cli, EXIT_USAGE, error, NULL);
      if (cli->json)
        {
          g_autoptr(JsonObject) result = json_object_new ();

          json_object_set_boolean_member (result, "ok", TRUE);
          json_object_set_object_member (result, "imported", g_steal_pointer (&summary));
          print_json (result);
        }
      else
        g_print (_("Imported %s: %lld services, %lld steps, %lld windows.\n"),
                 argv[1],
                 (long long) json_object_get_int_member (summary, "services"),
                 (long long) json_object_get_int_member (summary, "steps"),
                 (long long) json_object_get_int_member (summary, "windows"));
      return EXIT_OK;
    }

  if (g_str_equal (argv[0], "show"))
    {
      g_autoptr(JsonObject) catalog = NULL;

      if (argc != 1)
        return usage (cli, _("usage: onewindow catalog show"));
      if (!open_hall (cli, &error))
        return fail_error (cli, error);
      catalog = ow_catalog_export (cli->db, &error);
      if (catalog == NULL)
        return fail_error (cli, error);
      /* The import shape in both modes: it is what an administrator edits and re-imports. */
      print_json (catalog);
      return EXIT_OK;
    }

  return usage (cli, _("usage: onewindow catalog import FILE | catalog show"));
}

static int
cmd_ticket (Cli   *cli,
            int    argc,
            char **argv)
{
  static const OptSpec specs[] = {
    { "green", FALSE, FALSE },
    { "category", TRUE, FALSE },
    { "reason", TRUE, FALSE },
    { "printer", TRUE, FALSE },
    { "output", TRUE, FALSE },
    { "documents", TRUE, TRUE },
    { NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, NULL);
  g_autoptr(GPtrArray) positional = g_ptr_array_new ();
  g_autoptr(JsonObject) ticket = NULL;
  g_autofree char **documents = NULL;   /* points into argv */
  g_autofree char *message = NULL;
  const char *verb;

  if (argc < 2)
    return usage (cli, _("usage: onewindow ticket issue SERVICE_CODE [--green] | ticket show|reenter|cancel NUMBER|TOKEN | "
                         "ticket print NUMBER|TOKEN [--printer QUEUE] [--output FILE] | "
                         "ticket supply NUMBER|TOKEN [--documents DOC_ID...]"));
  verb = argv[0];
  if (!parse_options (cli, argc - 1, argv + 1, specs, values, positional, &message))
    return usage (cli, message);
  documents = g_hash_table_lookup (values, "documents");
  if (positional->len != 1)
    return usage (cli, _("give exactly one service code, number or token"));
  if (!open_hall (cli, &error))
    return fail_error (cli, error);

  if (g_str_equal (verb, "issue"))
    ticket = ow_hall_issue_ticket (cli->hall, &cli->actor, g_ptr_array_index (positional, 0),
                                   g_hash_table_contains (values, "green"),
                                   g_hash_table_lookup (values, "category"), &error);
  else if (g_str_equal (verb, "show"))
    ticket = ow_hall_find_ticket (cli->hall, g_ptr_array_index (positional, 0), TRUE, &error);
  else if (g_str_equal (verb, "reenter"))
    ticket = ow_hall_reenter_ticket (cli->hall, &cli->actor, g_ptr_array_index (positional, 0), &error);
  else if (g_str_equal (verb, "cancel"))
    ticket = ow_hall_cancel_ticket (cli->hall, &cli->actor, g_ptr_array_index (positional, 0),
                                    g_hash_table_lookup (values, "reason"), &error);
  else if (g_str_equal (verb, "supply"))
    ticket = ow_hall_supply_documents (cli->hall, &cli->actor, g_ptr_array_index (positional, 0),
                                       (const char * const *) documents, &error);
  else if (g_str_equal (verb, "print"))
    {
      g_autoptr(JsonObject) printed = NULL;
      const char *output = g_hash_table_lookup (values, "output");
      const char *number;

      ticket = ow_hall_find_ticket (cli->hall, g_ptr_array_index (positional, 0), FALSE, &error);
      if (ticket == NULL)
        return fail_error (cli, error);
      number = json_object_get_string_member (ticket, "number");
      printed = ow_ticket_print (cli->db, ticket, cli->lang, OW_TICKET_PAPER_ROLL_80MM,
                                 g_hash_table_lookup (values, "printer"), output, &error);
      if (printed == NULL)
        {
          /* The ticket lives in the database whatever happens to the paper. */
          g_autofree char *text = g_strdup_printf (_("%s (ticket %s is kept; print it again with 'onewindow ticket print %s')"),
                                                   error->message, number, number);

          return fail (cli, EXIT_FAILED, error, text);
        }
      if (cli->json)
        print_json (printed);
      else if (output != NULL)
        g_print (_("Ticket %s written to %s\n"), number, output);
      else
        g_print (_("Ticket %s printed on %s (job %lld)\n"), number,
                 json_object_get_string_member (printed, "printer"),
                 (long long) json_object_get_int_member (printed, "job"));
      return EXIT_OK;
    }
  else
    return usage (cli, _("usage: onewindow ticket issue SERVICE_CODE [--green] | ticket show|reenter|cancel NUMBER|TOKEN | "
                         "ticket print NUMBER|TOKEN [--printer QUEUE] [--output FILE] | "
                         "ticket supply NUMBER|TOKEN [--documents DOC_ID...]"));

  if (ticket == NULL)
    return fail_error (cli, error);
  if (cli->json)
    print_json (ticket);
  else if (g_str_equal (verb, "issue"))
    {
      gint64 ahead = json_object_get_int_member (ticket, "ahead");

      g_print (g_dngettext (GETTEXT_PACKAGE, "You have taken number %s; %lld person is ahead of you.\n",
                            "You have taken number %s; %lld people are ahead of you.\n", (gulong) ahead),
               json_object_get_string_member (ticket, "number"), (long long) ahead);
      print_ticket_text (cli, ticket);
    }
  else
    print_ticket_text (cli, ticket);
  return EXIT_OK;
}

static void
print_window_text (Cli        *cli,
                   JsonObject *window)
{
  g_print ("%s  ", localized (json_object_get_member (window, "name"), cli->lang));
  if (json_object_get_boolean_member (window, "paused"))
    g_print ("%s  ", _("paused"));
  if (!json_object_get_null_member (window, "ticket"))
    g_print (_("has %s (%s)"), json_object_get_string_member (window, "ticket"),
             ow_hall_state_label (json_object_get_string_member (window, "ticket_state")));
  else
    g_print ("%s", _("free"));
  g_print (_("  %lld waiting\n"), (long long) json_object_get_int_member (window, "waiting"));
}

static int
cmd_window (Cli   *cli,
            int    argc,
            char **argv)
{
  static const OptSpec specs[] = {
    { "staff", TRUE, FALSE },
    { "reason", TRUE, FALSE },
    { "missing", TRUE, TRUE },
    { "deadline", TRUE, FALSE },
    { "to-step", TRUE, FALSE },
    { "to-window", TRUE, FALSE },
    { NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, NULL);
  g_autoptr(GPtrArray) positional = g_ptr_array_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *message = NULL;
  g_autofree char **missing = NULL;
  OwWindowAction action;
  OwWindowArgs args = { 0 };
  const char *window;

  if (argc >= 1 && g_str_equal (argv[0], "list"))
    {
      g_autoptr(JsonArray) windows = NULL;

      if (!open_hall (cli, &error))
        return fail_error (cli, error);
      windows = ow_hall_list_windows (cli->hall, &error);
      if (windows == NULL)
        return fail_error (cli, error);
      result = json_object_new ();
      json_object_set_array_member (result, "windows", json_array_ref (windows));
      if (cli->json)
        print_json (result);
      else
        for (guint i = 0; i < json_array_get_length (windows); i++)
          print_window_text (cli, json_array_get_object_element (windows, i));
      return EXIT_OK;
    }

  if (argc >= 1 && g_str_equal (argv[0], "waiting"))
    {
      g_autoptr(JsonArray) waiting = NULL;

      if (argc != 2)
        return usage (cli, _("usage: onewindow window waiting WINDOW"));
      if (!open_hall (cli, &error))
        return fail_error (cli, error);
      waiting = ow_hall_list_waiting (cli->hall, argv[1], &error);
      if (waiting == NULL)
        return fail_error (cli, error);
      result = json_object_new ();
      json_object_set_string_member (result, "window", argv[1]);
      json_object_set_array_member (result, "waiting", json_array_ref (waiting));
      if (cli->json)
        print_json (result);
      else
        for (guint i = 0; i < json_array_get_length (waiting); i++)
          {
            JsonObject *entry = json_array_get_object_element (waiting, i);

            g_autofree char *waited = seconds_text (json_object_get_int_member (entry, "waited_s"));

            g_print ("%-6s %-20s %s%s\n",
                     json_object_get_string_member (entry, "number"),
                     json_object_get_string_member (entry, "step"),
                     json_object_get_boolean_member (entry, "green") ? _("green ") : "",
                     waited);
          }
      return EXIT_OK;
    }

  if (argc < 2 || !ow_hall_window_action_from_string (argv[0], &action))
    return usage (cli, _("usage: onewindow window call|recall|no-show|start|complete|pause|resume|return|transfer WINDOW [options] | window list | window waiting WINDOW"));

  if (!parse_options (cli, argc - 1, argv + 1, specs, values, positional, &message))
    return usage (cli, message);
  if (positional->len != 1)
    return usage (cli, _("give exactly one window"));
  window = g_ptr_array_index (positional, 0);
  missing = g_hash_table_lookup (values, "missing");
  args.staff = g_hash_table_lookup (values, "staff");
  args.reason = g_hash_table_lookup (values, "reason");
  args.missing = (const char * const *) missing;
  args.to_step = g_hash_table_lookup (values, "to-step");
  args.to_window = g_hash_table_lookup (values, "to-window");
  args.deadline = g_hash_table_lookup (values, "deadline");

  if (action == OW_WINDOW_RETURN && missing == NULL)
    return usage (cli, _("usage: onewindow window return WINDOW --missing DOC_ID [DOC_ID...]"));
  if (action == OW_WINDOW_TRANSFER &&
      ((args.to_step == NULL) == (args.to_window == NULL) || args.reason == NULL))
    return usage (cli, _("usage: onewindow window transfer WINDOW (--to-step STEP_ID | --to-window WINDOW) --reason TEXT"));

  if (!open_hall (cli, &error))
    return fail_error (cli, error);
  result = ow_hall_window_act (cli->hall, &cli->actor, window, action, &args, &error);
  if (result == NULL)
    return fail_error (cli, error);

  if (cli->json)
    print_json (result);
  else
    {
      JsonObject *window_object = json_object_get_object_member (result, "window");

      if (json_object_get_null_member (result, "ticket"))
        {
          if (action == OW_WINDOW_CALL)
            g_print ("%s\n", _("Nobody is waiting."));
        }
      else
        print_ticket_text (cli, json_object_get_object_member (result, "ticket"));
      print_window_text (cli, window_object);
    }
  return EXIT_OK;
}

static char *
read_pin (GError **error)
{
  char buf[64];
  size_t len;

  if (fgets (buf, sizeof buf, stdin) == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("no PIN on standard input"));
      return NULL;
    }
  len = strcspn (buf, "\r\n");
  buf[len] = '\0';
  return g_strdup (buf);
}

static int
cmd_staff (Cli   *cli,
           int    argc,
           char **argv)
{
  static const OptSpec specs[] = {
    { "name", TRUE, FALSE },
    { "role", TRUE, FALSE },
    { NULL },
  };
  g_autoptr(GError) error = NULL;

  if (argc >= 1 && g_str_equal (argv[0], "list"))
    {
      g_autoptr(JsonArray) staff = NULL;
      g_autoptr(JsonObject) result = json_object_new ();

      if (!open_hall (cli, &error))
        return fail_error (cli, error);
      staff = ow_hall_list_staff (cli->hall, &error);
      if (staff == NULL)
        return fail_error (cli, error);
      json_object_set_array_member (result, "staff", json_array_ref (staff));
      if (cli->json)
        print_json (result);
      else
        for (guint i = 0; i < json_array_get_length (staff); i++)
          {
            JsonObject *entry = json_array_get_object_element (staff, i);

            g_print ("%-12s %-12s %s%s\n", json_object_get_string_member (entry, "id"),
                     role_label (json_object_get_string_member (entry, "role")),
                     json_object_get_string_member (entry, "name"),
                     json_object_get_boolean_member (entry, "locked") ? _("  (locked)") : "");
          }
      return EXIT_OK;
    }

  if (argc >= 1 && g_str_equal (argv[0], "add"))
    {
      g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr(GPtrArray) positional = g_ptr_array_new ();
      g_autofree char *message = NULL;
      g_autofree char *pin = NULL;
      const char *id;

      if (!parse_options (cli, argc - 1, argv + 1, specs, values, positional, &message))
        return usage (cli, message);
      if (positional->len != 1 || !g_hash_table_contains (values, "name") ||
          !g_hash_table_contains (values, "role"))
        return usage (cli, _("usage: onewindow staff add ID --name NAME --role counter|supervisor|admin (PIN on standard input)"));
      id = g_ptr_array_index (positional, 0);
      if (isatty (STDIN_FILENO))
        g_printerr ("%s", _("PIN (4 to 8 digits): "));
      pin = read_pin (&error);
      if (pin == NULL)
        return fail_error (cli, error);
      if (!open_hall (cli, &error))
        return fail_error (cli, error);
      if (!ow_hall_add_staff (cli->hall, &cli->actor, id, g_hash_table_lookup (values, "name"),
                              g_hash_table_lookup (values, "role"), pin, &error))
        {
          sodium_memzero (pin, strlen (pin));
          return fail_error (cli, error);
        }
      sodium_memzero (pin, strlen (pin));
      if (cli->json)
        {
          g_autoptr(JsonObject) result = json_object_new ();

          json_object_set_string_member (result, "id", id);
          json_object_set_string_member (result, "role", g_hash_table_lookup (values, "role"));
          print_json (result);
        }
      else
        g_print (_("Staff member %s added.\n"), id);
      return EXIT_OK;
    }

  return usage (cli, _("usage: onewindow staff add ID --name NAME --role ROLE | staff list"));
}

static int
cmd_audit (Cli   *cli,
           int    argc,
           char **argv)
{
  static const OptSpec specs[] = {
    { "anchor", TRUE, FALSE },
    { "format", TRUE, FALSE },
    { "since", TRUE, FALSE },
    { NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) positional = g_ptr_array_new ();
  g_autofree char *message = NULL;

  if (argc < 1)
    return usage (cli, _("usage: onewindow audit verify [--anchor SEQ:HASH] | audit export [--format csv|jsonl] [--since SEQ]"));
  if (!parse_options (cli, argc - 1, argv + 1, specs, values, positional, &message))
    return usage (cli, message);
  if (positional->len != 0)
    return usage (cli, _("audit takes no further arguments"));

  if (g_str_equal (argv[0], "verify"))
    {
      g_auto(OwAuditVerdict) verdict = { 0 };
      g_autoptr(JsonObject) result = json_object_new ();
      g_autofree char *anchor_hex = NULL;
      gint64 anchor_seq = 0;
      char head[OW_AUDIT_HASH_LEN * 2 + 1];

      if (g_hash_table_contains (values, "anchor") &&
          !ow_audit_parse_anchor (g_hash_table_lookup (values, "anchor"), &anchor_seq, &anchor_hex, &error))
        return fail_error (cli, error);
      if (!open_hall (cli, &error))
        return fail_error (cli, error);
      if (!ow_audit_verify (cli->db, anchor_seq, anchor_hex, &verdict, &error))
        return fail_error (cli, error);

      json_object_set_boolean_member (result, "ok", verdict.ok);
      if (verdict.ok)
        {
          sodium_bin2hex (head, sizeof head, verdict.head, sizeof verdict.head);
          json_object_set_int_member (result, "events", verdict.events);
          json_object_set_int_member (result, "head_seq", verdict.head_seq);
          json_object_set_string_member (result, "head", head);
          if (cli->json)
            print_json (result);
          else
            g_print (_("Audit chain intact: %lld events, head %lld:%s\n"),
                     (long long) verdict.events, (long long) verdict.head_seq, head);
          return EXIT_OK;
        }
      json_object_set_int_member (result, "first_bad_seq", verdict.first_bad_seq);
      json_object_set_string_member (result, "reason", verdict.reason);
      if (cli->json)
        print_json (result);
      else
        g_print (_("Audit chain BROKEN at event %lld: %s\n"),
                 (long long) verdict.first_bad_seq, verdict.reason);
      return EXIT_FAILED;
    }

  if (g_str_equal (argv[0], "export"))
    {
      g_autoptr(GOutputStream) out = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
      const char *format = g_hash_table_lookup (values, "format");
      const char *since = g_hash_table_lookup (values, "since");
      guint64 since_seq = 0;
      OwAuditFormat fmt;

      if (format == NULL || g_str_equal (format, "jsonl"))
        fmt = OW_AUDIT_FORMAT_JSONL;
      else if (g_str_equal (format, "csv"))
        fmt = OW_AUDIT_FORMAT_CSV;
      else
        return usage (cli, _("--format is csv or jsonl"));
      if (since != NULL && !g_ascii_string_to_unsigned (since, 10, 0, G_MAXINT64, &since_seq, NULL))
        return usage (cli, _("--since takes a sequence number"));
      if (!open_hall (cli, &error))
        return fail_error (cli, error);
      /* The export is the output: a JSON-lines or CSV stream, also with --json. */
      if (!ow_audit_export (cli->db, fmt, (gint64) since_seq, out, &error))
        return fail_error (cli, error);
      return EXIT_OK;
    }

  return usage (cli, _("usage: onewindow audit verify [--anchor SEQ:HASH] | audit export [--format csv|jsonl] [--since SEQ]"));
}

static int
text_columns (const char *text)
{
  int columns = 0;

  for (const char *p = text; *p; p = g_utf8_next_char (p))
    columns += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
  return columns;
}

/* Pads @text to @width terminal columns: CJK characters take two. */
static void
print_padded (const char *text,
              int         width)
{
  g_print ("%s%*s", text, MAX (width - text_columns (text), 1), "");
}

/* Right-aligns @text in @width columns, after one space. */
static void
print_right (const char *text,
             int         width)
{
  g_print ("%*s%s", MAX (width - text_columns (text), 0) + 1, "", text);
}

/* The steps and windows of @stats by ID, with the names it carries in the CLI's language:
 * what the statistics tables show instead of IDs. */
static void
stats_names (Cli        *cli,
             JsonObject *stats,
             GHashTable *steps,
             GHashTable *windows)
{
  g_autoptr(GHashTable) services = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *list;

  list = json_object_get_array_member (stats, "services");
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonObject *service = json_array_get_object_element (list, i);

      g_hash_table_insert (services, (gpointer) json_object_get_string_member (service, "service"),
                           (gpointer) localized (json_object_get_member (service, "name"), cli->lang));
    }
  list = json_object_get_array_member (stats, "steps");
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonObject *step = json_array_get_object_element (list, i);
      JsonNode *service = json_object_get_member (step, "service");
      const char *service_name = service != NULL && JSON_NODE_HOLDS_VALUE (service)
                                   ? g_hash_table_lookup (services, json_node_get_string (service)) : NULL;
      const char *name = localized (json_object_get_member (step, "name"), cli->lang);

      if (*name == '\0')
        continue;
      /* "受理" alone is half the hall's steps: with its service, as the counter shows it. */
      g_hash_table_insert (steps, g_strdup (json_object_get_string_member (step, "step")),
                           service_name != NULL && *service_name != '\0'
                             ? g_strdup_printf ("%s · %s", service_name, name)
                             : g_strdup (name));
    }
  list = json_object_get_array_member (stats, "windows");
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonObject *window = json_array_get_object_element (list, i);
      const char *name = localized (json_object_get_member (window, "name"), cli->lang);

      if (*name != '\0')
        g_hash_table_insert (windows, g_strdup (json_object_get_string_member (window, "window")),
                             g_strdup (name));
    }
}

/* @id's name from @names, or @id itself for one the catalogue no longer has. */
static const char *
name_or_id (GHashTable *names,
            const char *id)
{
  const char *name = id != NULL ? g_hash_table_lookup (names, id) : NULL;

  return name != NULL && *name != '\0' ? name : (id != NULL ? id : "");
}

static int
cmd_stats (Cli   *cli,
           int    argc,
           char **argv)
{
  static const OptSpec specs[] = {
    { "from", TRUE, FALSE },
    { "to", TRUE, FALSE },
    { NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) positional = g_ptr_array_new ();
  g_autoptr(JsonObject) stats = NULL;
  g_autofree char *message = NULL;
  const char *from, *to;

  if (!parse_options (cli, argc, argv, specs, values, positional, &message))
    return usage (cli, message);
  if (positional->len != 0)
    return usage (cli, _("usage: onewindow stats [--from DAY] [--to DAY]"));
  if (!open_hall (cli, &error))
    return fail_error (cli, error);
  from = g_hash_table_lookup (values, "from");
  to = g_hash_table_lookup (values, "to");
  /* One day given means that day. */
  stats = ow_stats_query (cli->db, cli->clock, from != NULL ? from : to, to != NULL ? to : from, &error);
  if (stats == NULL)
    return fail_error (cli, error);
  /* As GET /api/v1/stats: the ratings (好差评) of the same days and their follow-up. */
  {
    JsonObject *ratings = ow_public_rating_stats (cli->hall, json_object_get_string_member (stats, "from"),
                                                  json_object_get_string_member (stats, "to"), &error);

    if (ratings == NULL)
      return fail_error (cli, error);
    json_object_set_object_member (stats, "ratings", ratings);
  }
  if (cli->json)
    {
      print_json (stats);
      return EXIT_OK;
    }

  {
    JsonObject *wait = json_object_get_object_member (stats, "wait");
    JsonArray *steps = json_object_get_array_member (stats, "steps");
    g_autoptr(GHashTable) step_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) window_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    JsonArray *windows = json_object_get_array_member (stats, "windows");
    JsonArray *hours = json_object_get_array_member (stats, "hours");
    JsonObject *ratings = json_object_get_object_member (stats, "ratings");
    JsonObject *followup = json_object_get_object_member (ratings, "followup");

    g_print (_("Statistics %s to %s\n"), json_object_get_string_member (stats, "from"),
             json_object_get_string_member (stats, "to"));
    g_print (_("Issued %lld, steps served %lld, no-shows %lld, returned %lld\n"),
             (long long) json_object_get_int_member (stats, "issued"),
             (long long) json_object_get_int_member (stats, "served"),
             (long long) json_object_get_int_member (stats, "no_shows"),
             (long long) json_object_get_int_member (stats, "returned"));
    /* Translators: counts of 好差评 ratings, the share at least 基本满意, then the follow-up
     * of the bad ones: followed up, fixed, past their day. */
    g_print (_("Ratings %lld, satisfied %.0f %%; bad %lld: followed up %lld, fixed %lld, overdue %lld\n"),
             (long long) json_object_get_int_member (ratings, "ratings"),
             json_object_get_double_member (ratings, "satisfaction_rate") * 100,
             (long long) json_object_get_int_member (followup, "bad"),
             (long long) json_object_get_int_member (followup, "followed_up"),
             (long long) json_object_get_int_member (followup, "fixed"),
             (long long) json_object_get_int_member (followup, "overdue"));
    g_print (_("Wait: mean %.0f s, p50 %lld s, p90 %lld s\n"),
             json_object_get_double_member (wait, "mean_s"),
             (long long) json_object_get_int_member (wait, "p50_s"),
             (long long) json_object_get_int_member (wait, "p90_s"));
    /* Headers are translated: padded by terminal columns, not bytes. */
    g_print ("\n");
    print_padded (_("Step"), 46);
    print_right (_("Served"), 8);
    print_right (_("Mean (s)"), 10);
    print_right (_("Limit (s)"), 10);
    print_right (_("Overdue"), 8);
    g_print ("\n");
    stats_names (cli, stats, step_names, window_names);
    for (guint i = 0; i < json_array_get_length (steps); i++)
      {
        JsonObject *step = json_array_get_object_element (steps, i);

        print_padded (name_or_id (step_names, json_object_get_string_member (step, "step")), 46);
        g_print (" %8" G_GINT64_FORMAT " %10.0f %10" G_GINT64_FORMAT " %8" G_GINT64_FORMAT "\n",
                 json_object_get_int_member (step, "served"),
                 json_object_get_double_member (step, "mean_service_s"),
                 json_object_get_int_member (step, "limit_minutes") * 60,
                 json_object_get_int_member (step, "overdue"));
      }
    g_print ("\n");
    print_padded (_("Window"), 16);
    print_right (_("Called"), 8);
    print_right (_("Served"), 8);
    print_right (_("Mean (s)"), 10);
    g_print ("\n");
    for (guint i = 0; i < json_array_get_length (windows); i++)
      {
        JsonObject *window = json_array_get_object_element (windows, i);

        print_padded (name_or_id (window_names, json_object_get_string_member (window, "window")), 16);
        g_print (" %8" G_GINT64_FORMAT " %8" G_GINT64_FORMAT " %10.0f\n",
                 json_object_get_int_member (window, "called"),
                 json_object_get_int_member (window, "served"),
                 json_object_get_double_member (window, "mean_service_s"));
      }
    g_print ("\n");
    print_padded (_("Hour"), 6);
    print_right (_("Issued"), 8);
    print_right (_("Called"), 8);
    print_right (_("Served"), 8);
    print_right (_("No-shows"), 8);
    g_print ("\n");
    for (guint i = 0; i < json_array_get_length (hours); i++)
      {
        JsonObject *hour = json_array_get_object_element (hours, i);

        g_print ("%02" G_GINT64_FORMAT ":00  %8" G_GINT64_FORMAT " %8" G_GINT64_FORMAT " %8" G_GINT64_FORMAT
                 " %8" G_GINT64_FORMAT "\n",
                 json_object_get_int_member (hour, "hour"),
                 json_object_get_int_member (hour, "issued"),
                 json_object_get_int_member (hour, "called"),
                 json_object_get_int_member (hour, "served"),
                 json_object_get_int_member (hour, "no_shows"));
      }
  }
  return EXIT_OK;
}

static gboolean
parse_double_option (GHashTable  *values,
                     const char  *name,
                     double       min,
                     double       max,
                     double      *out,
                     char       **message)
{
  const char *text = g_hash_table_lookup (values, name);
  char *end = NULL;
  double value;

  if (text == NULL)
    return TRUE;
  value = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !(value >= min && value <= max))
    {
      *message = g_strdup_printf (_("--%s must be a number from %g to %g, not '%s'"), name, min, max, text);
      return FALSE;
    }
  *out = value;
  return TRUE;
}

static void
print_sim_line (const char *label,
                const char *value)
{
  g_print ("  ");
  print_padded (label, 26);
  g_print ("%s\n", value);
}

static void
print_sim_summary (JsonObject *result)
{
  g_autofree char *served = g_strdup_printf ("%lld", (long long) json_object_get_int_member (result, "served"));
  g_autofree char *mean = seconds_text ((gint64) (json_object_get_double_member (result, "mean_wait_s") + 0.5));
  g_autofree char *p90 = seconds_text ((gint64) (json_object_get_double_member (result, "p90_wait_s") + 0.5));
  g_autofree char *use = g_strdup_printf ("%.0f %%", 100 * json_object_get_double_member (result, "utilisation"));

  g_print ("%s\n", _("Simulated hall (virtual time, temporary database)"));
  print_sim_line (_("Served"), served);
  print_sim_line (_("Mean wait"), mean);
  print_sim_line (_("p90 wait"), p90);
  print_sim_line (_("Window utilisation"), use);
}

static double
member_double (JsonObject *object,
               const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? json_node_get_double (node) : 0.0;
}

/* The morning at the simulated hall: its totals, then a row per service and per window. */
static void
print_simulated_hall (Cli        *cli,
                      JsonObject *result,
                      const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OwDb) db = ow_db_open (path, &error);
  g_autoptr(OwClock) clock = ow_clock_new_system ();
  g_autoptr(JsonObject) stats = NULL;
  g_autofree char *day = NULL;
  JsonArray *services, *windows;

  print_sim_summary (result);
  if (db != NULL)
    {
      g_autoptr(sqlite3_stmt) stmt = ow_db_prepare (db, "SELECT min (day) FROM tickets", NULL);

      if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
        day = g_strdup (ow_db_column_text (stmt, 0));
    }
  if (day == NULL || (stats = ow_stats_query (db, clock, day, day, &error)) == NULL)
    return;

  services = json_object_get_array_member (stats, "services");
  g_print ("\n  ");
  print_padded (_("Service"), 40);
  print_right (_("Issued"), 8);
  print_right (_("Steps done"), 10);
  print_right (_("No-shows"), 8);
  g_print ("\n");
  for (guint i = 0; i < json_array_get_length (services); i++)
    {
      JsonObject *service = json_array_get_object_element (services, i);

      g_print ("  ");
      print_padded (localized (json_object_get_member (service, "name"), cli->lang), 40);
      g_print ("%9lld %10lld %8lld\n",
               (long long) json_object_get_int_member (service, "issued"),
               (long long) json_object_get_int_member (service, "served"),
               (long long) json_object_get_int_member (service, "no_shows"));
    }

  windows = json_object_get_array_member (stats, "windows");
  g_print ("\n  ");
  print_padded (_("Window"), 10);
  print_right (_("Called"), 8);
  print_right (_("Served"), 8);
  print_right (_("Mean (s)"), 12);
  g_print ("\n");
  for (guint i = 0; i < json_array_get_length (windows); i++)
    {
      JsonObject *window = json_array_get_object_element (windows, i);
      g_autofree char *number = g_strdup_printf ("%lld", (long long) json_object_get_int_member (window, "number"));

      g_print ("  ");
      print_padded (number, 10);
      g_print ("%8lld %8lld %12.0f\n",
               (long long) json_object_get_int_member (window, "called"),
               (long long) json_object_get_int_member (window, "served"),
               member_double (window, "mean_service_s"));
    }
}

static void
remove_sim_db (const char *dir,
               const char *path)
{
  const char *suffixes[] = { "", "-wal", "-shm" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);

      g_unlink (file);
    }
  g_rmdir (dir);
}

static int
cmd_simulate (Cli   *cli,
              int    argc,
              char **argv)
{
  static const OptSpec specs[] = {
    { "windows", TRUE, FALSE },
    { "arrivals-per-hour", TRUE, FALSE },
    { "service-minutes", TRUE, FALSE },
    { "hours", TRUE, FALSE },
    { "seed", TRUE, FALSE },
    { "service-dist", TRUE, FALSE },
    { "catalog", TRUE, FALSE },
    { NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) positional = g_ptr_array_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *message = NULL;
  OwSimParams params = { .windows = 3, .arrivals_per_hour = 30, .service_minutes = 5, .hours = 4,
                         .seed = 1, .dist = OW_SIM_DIST_EXP };
  double windows = params.windows, seed = params.seed;
  g_autofree char *sim_dir = NULL;
  g_autofree char *sim_db = NULL;
  const char *dist;

  if (!parse_options (cli, argc, argv, specs, values, positional, &message))
    return usage (cli, message);
  if (positional->len != 0)
    return usage (cli, _("simulate takes only options"));
  if (!parse_double_option (values, "windows", 1, 500, &windows, &message) ||
      !parse_double_option (values, "arrivals-per-hour", 0.01, 100000, &params.arrivals_per_hour, &message) ||
      !parse_double_option (values, "service-minutes", 0.01, 1440, &params.service_minutes, &message) ||
      !parse_double_option (values, "hours", 0.01, 23.9, &params.hours, &message) ||
      !parse_double_option (values, "seed", 0, 1e15, &seed, &message))
    return usage (cli, message);
  params.windows = (guint) windows;
  params.seed = (guint64) seed;
  params.catalog_path = g_hash_table_lookup (values, "catalog");
  dist = g_hash_table_lookup (values, "service-dist");
  if (dist == NULL || g_str_equal (dist, "exp"))
    params.dist = OW_SIM_DIST_EXP;
  else if (g_str_equal (dist, "lognormal"))
    params.dist = OW_SIM_DIST_LOGNORMAL;
  else
    return usage (cli, _("--service-dist is exp or lognormal"));

  /* A whole hall in text mode: keep the simulated database to print its statistics. */
  if (params.catalog_path != NULL && !cli->json)
    {
      sim_dir = g_dir_make_tmp ("onewindow-sim-XXXXXX", &error);
      if (sim_dir == NULL)
        return fail_error (cli, error);
      sim_db = g_build_filename (sim_dir, "hall.db", NULL);
      params.db_path = sim_db;
    }

  result = ow_sim_run (&params, &error);
  if (result != NULL && sim_db != NULL)
    print_simulated_hall (cli, result, sim_db);
  if (sim_db != NULL)
    remove_sim_db (sim_dir, sim_db);
  if (result == NULL)
    return fail_error (cli, error);
  if (cli->json)
    print_json (result);
  else if (sim_db == NULL)
    print_sim_summary (result);
  return EXIT_OK;
}

/* 容缺受理: tickets whose promised documents are still owed. */
static int
cmd_promise (Cli   *cli,
             int    argc,
             char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) list = NULL;
  g_autoptr(JsonObject) result = json_object_new ();

  if (argc != 1 || !g_str_equal (argv[0], "list"))
    return usage (cli, _("usage: onewindow promise list"));
  if (!open_hall (cli, &error))
    return fail_error (cli, error);
  list = ow_hall_list_promises (cli->hall, &error);
  if (list == NULL)
    return fail_error (cli, error);
  json_object_set_array_member (result, "promises", json_array_ref (list));
  if (cli->json)
    {
      print_json (result);
      return EXIT_OK;
    }
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *entry = json_array_get_object_element (list, i);
      JsonArray *documents = json_object_get_array_member (entry, "documents");
      g_autoptr(GString) ids = g_string_new (NULL);

      for (guint d = 0; d < json_array_get_length (documents); d++)
        g_string_append_printf (ids, "%s%s", d > 0 ? ", " : "", json_array_get_string_element (documents, d));
      /* Translators: a ticket number, its day, the documents owed, their deadline, and
       * "  (overdue)" or nothing. */
      g_print (_("%-6s %s  owes %s by %s%s\n"),
               json_object_get_string_member (entry, "number"),
               json_object_get_string_member (entry, "day"), ids->str,
               json_object_get_string_member (entry, "deadline"),
               json_object_get_boolean_member (entry, "overdue") ? _("  (overdue)") : "");
    }
  return EXIT_OK;
}

/* 好差评 follow-up: the bad ratings and where each stands; moving one on with a note. */
static int
cmd_followup (Cli   *cli,
              int    argc,
              char **argv)
{
  static const OptSpec specs[] = {
    { "all", FALSE, FALSE },
    { "from", TRUE, FALSE },
    { "to", TRUE, FALSE },
    { "state", TRUE, FALSE },
    { "note", TRUE, FALSE },
    { NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) positional = g_ptr_array_new ();
  g_autoptr(JsonObject) result = json_object_new ();
  g_autofree char *message = NULL;
  const char *usage_text = _("usage: onewindow followup list [--all] [--from DAY] [--to DAY] | "
                             "followup update ID --state verified|contacted|appealed|fixed|explained --note TEXT");

  if (argc < 1)
    return usage (cli, usage_text);
  if (!parse_options (cli, argc - 1, argv + 1, specs, values, positional, &message))
    return usage (cli, message);

  if (g_str_equal (argv[0], "list") && positional->len == 0)
    {
      g_autoptr(JsonArray) list = NULL;

      if (!open_hall (cli, &error))
        return fail_error (cli, error);
      list = ow_followup_list (cli->hall, g_hash_table_contains (values, "all"),
                               g_hash_table_lookup (values, "from"), g_hash_table_lookup (values, "to"), &error);
      if (list == NULL)
        return fail_error (cli, error);
      json_object_set_array_member (result, "followups", json_array_ref (list));
      if (cli->json)
        {
          print_json (result);
          return EXIT_OK;
        }
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          JsonObject *entry = json_array_get_object_element (list, i);

          /* Translators: a bad rating's id, its ticket number and day, level, staff, follow-up
           * state, due day, and "  (overdue)" or nothing. */
          g_print (_("#%-5lld %-6s %s  level %lld  staff %s  %s, due %s%s\n"),
                   (long long) json_object_get_int_member (entry, "id"),
                   json_object_get_string_member (entry, "ticket"),
                   json_object_get_string_member (entry, "day"),
                   (long long) json_object_get_int_member (entry, "level"),
                   json_object_get_string_member_with_default (entry, "staff", "-"),
                   ow_followup_state_label (json_object_get_string_member (entry, "state")),
                   json_object_get_string_member (entry, "due"),
                   json_object_get_boolean_member (entry, "overdue") ? _("  (overdue)") : "");
        }
      return EXIT_OK;
    }

  if (g_str_equal (argv[0], "update") && positional->len == 1)
    {
      g_autoptr(JsonObject) moved = NULL;
      gint64 id;

      if (!g_ascii_string_to_signed (g_ptr_array_index (positional, 0), 10, 1, G_MAXINT64, &id, NULL) ||
          !g_hash_table_contains (values, "state") || !g_hash_table_contains (values, "note"))
        return usage (cli, usage_text);
      if (!open_hall (cli, &error))
        return fail_error (cli, error);
      moved = ow_followup_move (cli->hall, &cli->actor, id, g_hash_table_lookup (values, "state"),
                                g_hash_table_lookup (values, "note"), NULL, &error);
      if (moved == NULL)
        return fail_error (cli, error);
      if (cli->json)
        print_json (moved);
      else
        /* Translators: a bad rating's id and its new follow-up state. */
        g_print (_("Rating #%lld: %s.\n"), (long long) id,
                 ow_followup_state_label (json_object_get_string_member (moved, "state")));
      return EXIT_OK;
    }

  return usage (cli, usage_text);
}

static int
cmd_device (Cli   *cli,
            int    argc,
            char **argv)
{
  static const OptSpec specs[] = {
    { "role", TRUE, FALSE },
    { NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) positional = g_ptr_array_new ();
  g_autoptr(JsonObject) result = json_object_new ();
  g_autofree char *message = NULL;
  const char *usage_text = _("usage: onewindow device add NAME --role kiosk|board | device list | device revoke NAME");

  if (argc < 1)
    return usage (cli, usage_text);
  if (!parse_options (cli, argc - 1, argv + 1, specs, values, positional, &message))
    return usage (cli, message);

  if (g_str_equal (argv[0], "add"))
    {
      g_autofree char *token = NULL;
      const char *role = g_hash_table_lookup (values, "role");

      if (positional->len != 1 || role == NULL)
        return usage (cli, usage_text);
      if (!open_hall (cli, &error))
        return fail_error (cli, error);
      token = ow_auth_device_add (cli->hall, &cli->actor, g_ptr_array_index (positional, 0), role, &error);
      if (token == NULL)
        return fail_error (cli, error);
      /* The token is shown this once; the database keeps only its hash. */
      json_object_set_string_member (result, "name", g_ptr_array_index (positional, 0));
      json_object_set_string_member (result, "role", role);
      json_object_set_string_member (result, "token", token);
      if (cli->json)
        print_json (result);
      else
        g_print (_("Device %s (%s) added.  Its token, shown only now:\n%s\n"),
                 (const char *) g_ptr_array_index (positional, 0), role, token);
      sodium_memzero (token, strlen (token));
      return EXIT_OK;
    }

  if (g_str_equal (argv[0], "list"))
    {
      g_autoptr(JsonArray) devices = NULL;

      if (positional->len != 0)
        return usage (cli, usage_text);
      if (!open_hall (cli, &error))
        return fail_error (cli, error);
      devices = ow_auth_device_list (cli->hall, &error);
      if (devices == NULL)
        return fail_error (cli, error);
      json_object_set_array_member (result, "devices", json_array_ref (devices));
      if (cli->json)
        print_json (result);
      else
        for (guint i = 0; i < json_array_get_length (devices); i++)
          {
            JsonObject *entry = json_array_get_object_element (devices, i);

            g_print ("%-20s %-6s %s%s\n", json_object_get_string_member (entry, "name"),
                     role_label (json_object_get_string_member (entry, "role")),
                     json_object_get_string_member (entry, "created_at"),
                     json_object_get_boolean_member (entry, "revoked") ? _("  (revoked)") : "");
          }
      return EXIT_OK;
    }

  if (g_str_equal (argv[0], "revoke"))
    {
      if (positional->len != 1)
        return usage (cli, usage_text);
      if (!open_hall (cli, &error))
        return fail_error (cli, error);
      if (!ow_auth_device_revoke (cli->hall, &cli->actor, g_ptr_array_index (positional, 0), &error))
        return fail_error (cli, error);
      json_object_set_string_member (result, "name", g_ptr_array_index (positional, 0));
      json_object_set_boolean_member (result, "revoked", TRUE);
      if (cli->json)
        print_json (result);
      else
        g_print (_("Device %s revoked.\n"), (const char *) g_ptr_array_index (positional, 0));
      return EXIT_OK;
    }

  return usage (cli, usage_text);
}

static void
print_help (void)
{
  g_print ("%s", _("Usage: onewindow [--db PATH] [--json] [--lang zh_CN|en] COMMAND\n"
                   "\n"
                   "Commands:\n"
                   "  init\n"
                   "  catalog import FILE | catalog show\n"
                   "  ticket issue SERVICE_CODE [--green] [--category CATEGORY]\n"
                   "  ticket show|reenter|cancel NUMBER|TOKEN\n"
                   "  ticket print NUMBER|TOKEN [--printer QUEUE] [--output FILE.pdf]\n"
                   "  window call|recall|no-show|start|complete|pause|resume WINDOW [--staff ID] [--reason TEXT]\n"
                   "  window return WINDOW --missing DOC_ID [DOC_ID...]\n"
                   "  window complete WINDOW --missing DOC_ID [DOC_ID...] [--deadline DAY]   (容缺受理)\n"
                   "  ticket supply NUMBER|TOKEN [--documents DOC_ID...] | promise list\n"
                   "  window transfer WINDOW (--to-step STEP_ID | --to-window WINDOW) --reason TEXT\n"
                   "  window list | window waiting WINDOW\n"
                   "  staff add ID --name NAME --role counter|supervisor|admin   (PIN on standard input)\n"
                   "  staff list\n"
                   "  device add NAME --role kiosk|board   (prints the device's token once)\n"
                   "  device list | device revoke NAME\n"
                   "  audit verify [--anchor SEQ:HASH]\n"
                   "  audit export [--format csv|jsonl] [--since SEQ]\n"
                   "  stats [--from DAY] [--to DAY]\n"
                   "  followup list [--all] [--from DAY] [--to DAY]\n"
                   "  followup update ID --state verified|contacted|appealed|fixed|explained --note TEXT\n"
                   "  simulate --windows N --arrivals-per-hour L --service-minutes M [--hours H] [--seed S]\n"
                   "           [--service-dist exp|lognormal] [--catalog FILE]\n"));
}

static void
setup_locale (const char *lang)
{
  /* --lang wins over the environment's locale. */
  if (lang != NULL)
    g_setenv ("LANGUAGE", lang, TRUE);
  ow_i18n_init ();
}

static char *
language_from_locale (void)
{
  const char * const *names = g_get_language_names ();

  for (guint i = 0; names[i] != NULL; i++)
    {
      if (g_str_has_prefix (names[i], "zh"))
        return g_strdup ("zh_CN");
      if (g_str_has_prefix (names[i], "en"))
        return g_strdup ("en");
    }
  return g_strdup ("en");
}

int
ow_cli_run (int    argc,
            char **argv)
{
  Cli cli = { 0 };
  const char *lang = NULL;
  const char *db = NULL;
  const char *command;
  int status;
  int i;

  for (i = 1; i < argc && g_str_has_prefix (argv[i], "--"); i++)
    {
      if (g_str_equal (argv[i], "--json"))
        cli.json = TRUE;
      else if (g_str_equal (argv[i], "--db") && i + 1 < argc)
        db = argv[++i];
      else if (g_str_equal (argv[i], "--lang") && i + 1 < argc)
        lang = argv[++i];
      else if (g_str_equal (argv[i], "--help"))
        {
          setup_locale (lang);
          print_help ();
          return EXIT_OK;
        }
      else
        break;
    }

  if (lang != NULL && !g_str_equal (lang, "zh_CN") && !g_str_equal (lang, "en"))
    {
      /* Said in the environment's language, not in the one refused. */
      setup_locale (NULL);
      return usage (&cli, _("--lang is zh_CN or en"));
    }
  setup_locale (lang);
  if (i < argc && g_str_has_prefix (argv[i], "--"))
    {
      g_autofree char *message = g_strdup_printf (_("unknown option %s"), argv[i]);

      return usage (&cli, message);
    }
  if (i >= argc)
    {
      print_help ();
      return EXIT_USAGE;
    }

  cli.lang = lang != NULL ? g_strdup (lang) : language_from_locale ();
  cli.db_path = db != NULL ? g_strdup (db)
                           : g_build_filename (g_get_user_data_dir (), "onewindow", "hall.db", NULL);
  cli.actor_name = g_strdup_printf ("cli:%s", g_get_user_name ());
  cli.actor.actor = cli.actor_name;
  cli.actor.terminal = g_get_host_name ();

  command = argv[i];
  argc -= i + 1;
  argv += i + 1;

  if (g_str_equal (command, "init"))
    status = cmd_init (&cli, argc, argv);
  else if (g_str_equal (command, "catalog"))
    status = cmd_catalog (&cli, argc, argv);
  else if (g_str_equal (command, "ticket"))
    status = cmd_ticket (&cli, argc, argv);
  else if (g_str_equal (command, "window"))
    status = cmd_window (&cli, argc, argv);
  else if (g_str_equal (command, "staff"))
    status = cmd_staff (&cli, argc, argv);
  else if (g_str_equal (command, "device"))
    status = cmd_device (&cli, argc, argv);
  else if (g_str_equal (command, "audit"))
    status = cmd_audit (&cli, argc, argv);
  else if (g_str_equal (command, "stats"))
    status = cmd_stats (&cli, argc, argv);
  else if (g_str_equal (command, "followup"))
    status = cmd_followup (&cli, argc, argv);
  else if (g_str_equal (command, "promise"))
    status = cmd_promise (&cli, argc, argv);
  else if (g_str_equal (command, "simulate"))
    status = cmd_simulate (&cli, argc, argv);
  else
    {
      g_autofree char *message = g_strdup_printf (_("unknown command '%s'"), command);

      status = usage (&cli, message);
    }

  cli_clear (&cli);
  return status;
}
