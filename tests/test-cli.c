/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sqlite3.h>

#include "ow-test-common.h"

/* The command-line contract, through the real `onewindow` binary.  The CLI always runs on the
 * real clock, so the catalogue used here keeps every service open around the clock. */

typedef struct
{
  char *dir;
  char *db;
  char *catalog;
} CliFixture;

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* @env: NAME=VALUE pairs to set (an empty VALUE unsets NAME), or NULL. */
static Run
run_cli_valist (CliFixture         *fixture,
                const char         *input,
                const char * const *env,
                const char         *first,
                va_list             args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  Run run = { 0 };

  g_ptr_array_add (argv, (gpointer) g_getenv ("ONEWINDOW_CLI"));
  g_assert_nonnull (g_ptr_array_index (argv, 0));
  if (fixture != NULL)
    {
      g_ptr_array_add (argv, (gpointer) "--db");
      g_ptr_array_add (argv, fixture->db);
    }
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  g_ptr_array_add (argv, NULL);

  if (fixture != NULL)
    g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", fixture->dir, TRUE);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (env[i], "=", 2);

      if (pair[1] == NULL || *pair[1] == '\0')
        g_subprocess_launcher_unsetenv (launcher, pair[0]);
      else
        g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
    }
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, &run.out, &run.err, &error);
  g_assert_no_error (error);
  run.status = g_subprocess_get_exit_status (process);
  return run;
}

static Run
run_cli_stdin (CliFixture *fixture,
               const char *input,
               const char *first,
               ...)
{
  va_list args;
  Run run;

  va_start (args, first);
  run = run_cli_valist (fixture, input, NULL, first, args);
  va_end (args);
  return run;
}

static Run
run_cli_env (CliFixture         *fixture,
             const char * const *env,
             const char         *first,
             ...)
{
  va_list args;
  Run run;

  va_start (args, first);
  run = run_cli_valist (fixture, NULL, env, first, args);
  va_end (args);
  return run;
}

#define run_cli(fixture, ...) run_cli_stdin (fixture, NULL, __VA_ARGS__, NULL)

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static JsonObject *
run_json_ok (CliFixture *fixture,
             Run        *run)
{
  if (run->status != 0)
    g_test_message ("stderr: %s", run->err);
  g_assert_cmpint (run->status, ==, 0);
  return parse_object (run->out);
}

static void
cli_set_up (CliFixture    *fixture,
            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *demo = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "db", "demo-catalog.json", NULL);
  g_autoptr(GRegex) hours = g_regex_new ("\"hours\"\\s*:\\s*\\[[^\\]]*\\]", 0, 0, NULL);
  g_autofree char *open_all_day = NULL;

  fixture->dir = g_dir_make_tmp ("ow-cli-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->db = g_build_filename (fixture->dir, "hall.db", NULL);
  fixture->catalog = g_build_filename (fixture->dir, "catalog.json", NULL);

  g_assert_true (g_file_get_contents (path, &demo, NULL, &error));
  open_all_day = g_regex_replace_literal (hours, demo, -1, 0, "\"hours\": [\"00:00-24:00\"]", 0, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (fixture->catalog, open_all_day, -1, &error));

  {
    g_auto(Run) init = run_cli (fixture, "--json", "init");
    g_auto(Run) import = run_cli (fixture, "--json", "catalog", "import", fixture->catalog);

    g_assert_cmpint (init.status, ==, 0);
    g_assert_cmpint (import.status, ==, 0);
  }
}

static void
cli_tear_down (CliFixture    *fixture,
               gconstpointer  user_data)
{
  remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->db);
  g_free (fixture->catalog);
}

static void
test_init_and_catalog (CliFixture    *fixture,
                       gconstpointer  user_data)
{
  g_auto(Run) init = run_cli (fixture, "--json", "init");
  g_auto(Run) show = run_cli (fixture, "--json", "catalog", "show");
  g_auto(Run) reimport = { 0 };
  g_auto(Run) show_again = { 0 };
  g_autoptr(JsonObject) result = run_json_ok (fixture, &init);
  g_autoptr(JsonObject) catalog = run_json_ok (fixture, &show);
  g_autofree char *shown = g_build_filename (fixture->dir, "shown.json", NULL);

  g_assert_cmpstr (json_object_get_string_member (result, "db"), ==, fixture->db);
  g_assert_cmpint (json_object_get_int_member (result, "schema_version"), >=, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (catalog, "services")), ==, 15);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (catalog, "windows")), ==, 10);
  g_assert_true (json_object_has_member (catalog, "hall"));

  /* What `catalog show` prints imports again and shows the same. */
  g_assert_true (g_file_set_contents (shown, show.out, -1, NULL));
  reimport = run_cli (fixture, "--json", "catalog", "import", shown);
  g_assert_cmpint (reimport.status, ==, 0);
  show_again = run_cli (fixture, "--json", "catalog", "show");
  g_assert_cmpstr (show_again.out, ==, show.out);
}

static void
test_import_rejected (CliFixture    *fixture,
                      gconstpointer  user_data)
{
  g_autofree char *bad = g_build_filename (fixture->dir, "bad.json", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *broken = NULL;
  g_auto(Run) before = run_cli (fixture, "--json", "catalog", "show");
  g_auto(Run) rejected = { 0 };
  g_auto(Run) garbage = { 0 };
  g_auto(Run) after = { 0 };
  g_auto(Run) verify_before = run_cli (fixture, "--json", "audit", "verify");
  g_auto(Run) verify_after = { 0 };
  g_autoptr(JsonObject) error_object = NULL;

  g_assert_true (g_file_get_contents (fixture->catalog, &contents, NULL, NULL));
  broken = g_strdup (contents);
  {
    /* A negative time limit on some step. */
    char *limit = strstr (broken, "\"limit_minutes\": ");

    g_assert_nonnull (limit);
    limit[strlen ("\"limit_minutes\": ")] = '-';
  }
  g_assert_true (g_file_set_contents (bad, broken, -1, NULL));
  rejected = run_cli (fixture, "--json", "catalog", "import", bad);
  g_assert_cmpint (rejected.status, ==, 2);
  g_assert_cmpstr (rejected.out, ==, "");
  error_object = parse_object (rejected.err);
  {
    const char *message = json_object_get_string_member (json_object_get_object_member (error_object, "error"), "message");

    g_assert_nonnull (strstr (message, bad));
    g_assert_nonnull (strstr (message, "$.services[0].steps[0].limit_minutes"));
  }

  g_assert_true (g_file_set_contents (bad, "{\"hall\": ", -1, NULL));
  garbage = run_cli (fixture, "catalog", "import", bad);
  g_assert_cmpint (garbage.status, ==, 2);
  g_assert_nonnull (strstr (garbage.err, bad));

  /* Nothing changed, not even the log. */
  after = run_cli (fixture, "--json", "catalog", "show");
  g_assert_cmpstr (after.out, ==, before.out);
  verify_after = run_cli (fixture, "--json", "audit", "verify");
  g_assert_cmpstr (verify_after.out, ==, verify_before.out);
}

static void
test_ticket_and_window (CliFixture    *fixture,
                        gconstpointer  user_data)
{
  const char *ticket_keys[] = { "number", "token", "service", "state", "step", "window", "ahead", "green" };
  g_auto(Run) issued = run_cli (fixture, "--json", "ticket", "issue", "biz-reg");
  g_auto(Run) second = run_cli (fixture, "--json", "ticket", "issue", "biz-reg", "--green");
  g_auto(Run) call = run_cli (fixture, "--json", "window", "call", "w1");
  g_auto(Run) busy = run_cli (fixture, "--json", "window", "call", "w1");
  g_auto(Run) show = { 0 };
  g_auto(Run) complete = { 0 };
  g_autoptr(JsonObject) ticket = run_json_ok (fixture, &issued);
  g_autoptr(JsonObject) green = run_json_ok (fixture, &second);
  g_autoptr(JsonObject) called = run_json_ok (fixture, &call);
  g_autoptr(JsonObject) shown = NULL;
  g_autoptr(JsonObject) done = NULL;
  g_autoptr(JsonObject) busy_error = NULL;
  JsonObject *t;

  for (guint i = 0; i < G_N_ELEMENTS (ticket_keys); i++)
    g_assert_true (json_object_has_member (ticket, ticket_keys[i]));
  g_assert_cmpstr (json_object_get_string_member (ticket, "number"), ==, "A001");
  g_assert_cmpstr (json_object_get_string_member (ticket, "service"), ==, "biz-reg");
  g_assert_cmpstr (json_object_get_string_member (ticket, "state"), ==, "waiting");
  g_assert_true (json_object_get_null_member (ticket, "window"));
  g_assert_true (json_object_get_boolean_member (green, "green"));

  /* The green channel goes first. */
  t = json_object_get_object_member (called, "ticket");
  g_assert_cmpstr (json_object_get_string_member (t, "number"), ==, "A002");
  g_assert_cmpstr (json_object_get_string_member (t, "state"), ==, "called");
  g_assert_cmpstr (json_object_get_string_member (t, "window"), ==, "w1");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (called, "window"), "id"), ==, "w1");

  g_assert_cmpint (busy.status, !=, 0);
  g_assert_cmpstr (busy.out, ==, "");
  busy_error = parse_object (busy.err);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (busy_error, "error"), "code"), ==, "window_busy");

  complete = run_cli (fixture, "--json", "window", "complete", "w1");
  done = run_json_ok (fixture, &complete);
  t = json_object_get_object_member (done, "ticket");
  g_assert_cmpstr (json_object_get_string_member (t, "state"), ==, "waiting");
  g_assert_cmpstr (json_object_get_string_member (t, "step"), ==, "biz-reg/accept");

  show = run_cli (fixture, "--json", "ticket", "show", json_object_get_string_member (green, "token"));
  shown = run_json_ok (fixture, &show);
  g_assert_cmpstr (json_object_get_string_member (shown, "number"), ==, "A002");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (shown, "history")), ==, 3);

  {
    g_auto(Run) unknown = run_cli (fixture, "--json", "ticket", "show", "Z999");
    g_auto(Run) bad_service = run_cli (fixture, "ticket", "issue", "no-such-service");

    g_assert_cmpint (unknown.status, ==, 1);
    g_assert_cmpint (bad_service.status, ==, 1);
    g_assert_nonnull (strstr (bad_service.err, "no-such-service"));
  }
}

static void
test_window_paths (CliFixture    *fixture,
                   gconstpointer  user_data)
{
  g_auto(Run) a = run_cli (fixture, "--json", "ticket", "issue", "biz-reg");
  g_auto(Run) b = run_cli (fixture, "--json", "ticket", "issue", "biz-reg");
  g_auto(Run) call = run_cli (fixture, "--json", "window", "call", "w1");
  g_auto(Run) ret = run_cli (fixture, "--json", "window", "return", "w1", "--missing", "id-card", "premises-proof");
  g_auto(Run) call2 = run_cli (fixture, "--json", "window", "call", "w1");
  g_auto(Run) transfer = run_cli (fixture, "--json", "window", "transfer", "w1", "--to-window", "w2", "--reason", "second opinion");
  g_auto(Run) pause = run_cli (fixture, "--json", "window", "pause", "w1", "--reason", "lunch");
  g_auto(Run) paused_call = run_cli (fixture, "--json", "window", "call", "w1");
  g_auto(Run) resume = run_cli (fixture, "--json", "window", "resume", "w1");
  g_auto(Run) no_reason = run_cli (fixture, "window", "transfer", "w1", "--to-step", "biz-reg/fee");
  g_autoptr(JsonObject) returned = NULL;
  g_autoptr(JsonObject) transferred = NULL;
  g_autoptr(JsonObject) paused = NULL;
  JsonObject *t;

  returned = run_json_ok (fixture, &ret);
  t = json_object_get_object_member (returned, "ticket");
  g_assert_cmpstr (json_object_get_string_member (t, "state"), ==, "returned");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (t, "missing")), ==, 2);
  /* For people: the documents by name, in the language's punctuation. */
  {
    const char *zh_env[] = { "LANGUAGE=zh_CN", NULL };
    g_auto(Run) zh = run_cli_env (fixture, zh_env, "ticket", "show", json_object_get_string_member (t, "number"),
                                  NULL);
    g_auto(Run) en = run_cli (fixture, "--lang", "en", "ticket", "show", json_object_get_string_member (t, "number"));

    g_assert_nonnull (strstr (zh.out, "  状态：退回补正\n"));
    g_assert_nonnull (strstr (zh.out, "  缺少材料：居民身份证、"));
    g_assert_nonnull (strstr (en.out, "  Missing documents: Resident ID card, "));
    /* Its history says what happened in words, not the log's action names. */
    g_assert_nonnull (strstr (zh.out, " 取号  cli:"));
    g_assert_nonnull (strstr (zh.out, " 退回补正  cli:"));
    g_assert_nonnull (strstr (en.out, " issued  cli:"));
    g_assert_nonnull (strstr (en.out, " returned for documents  cli:"));
  }
  transferred = run_json_ok (fixture, &transfer);
  t = json_object_get_object_member (transferred, "ticket");
  g_assert_cmpstr (json_object_get_string_member (t, "target_window"), ==, "w2");
  paused = run_json_ok (fixture, &pause);
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (paused, "window"), "paused"));
  g_assert_true (json_object_get_null_member (paused, "ticket"));
  g_assert_cmpint (paused_call.status, ==, 1);
  g_assert_cmpint (resume.status, ==, 0);
  g_assert_cmpint (no_reason.status, ==, 2);
  g_assert_cmpint (a.status + b.status + call.status + call2.status, ==, 0);
}

static void
test_staff (CliFixture    *fixture,
            gconstpointer  user_data)
{
  g_auto(Run) added = run_cli_stdin (fixture, "2468\n", "--json", "staff", "add", "zhang", "--name", "张三", "--role", "counter", NULL);
  g_auto(Run) bad_pin = run_cli_stdin (fixture, "12ab\n", "staff", "add", "li", "--name", "李四", "--role", "counter", NULL);
  g_auto(Run) list = run_cli (fixture, "--json", "staff", "list");
  g_auto(Run) call = run_cli (fixture, "--json", "window", "call", "w1", "--staff", "zhang");
  g_autoptr(JsonObject) staff = NULL;
  g_autoptr(JsonObject) window = NULL;
  JsonArray *entries;

  g_assert_cmpint (added.status, ==, 0);
  g_assert_cmpint (bad_pin.status, ==, 2);
  g_assert_nonnull (strstr (bad_pin.err, "PIN"));
  staff = run_json_ok (fixture, &list);
  entries = json_object_get_array_member (staff, "staff");
  g_assert_cmpuint (json_array_get_length (entries), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 0), "name"), ==, "张三");
  g_assert_false (json_object_has_member (json_array_get_object_element (entries, 0), "pin_hash"));
  {
    const char *zh_env[] = { "LANGUAGE=zh_CN", NULL };
    g_auto(Run) zh = run_cli_env (fixture, zh_env, "staff", "list", NULL);

    g_assert_nonnull (strstr (zh.out, "窗口人员 张三"));
  }
  window = run_json_ok (fixture, &call);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (window, "window"), "staff"), ==, "zhang");
}

static void
tamper (CliFixture *fixture,
        const char *sql)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (fixture->db, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static void
test_audit (CliFixture    *fixture,
            gconstpointer  user_data)
{
  g_auto(Run) t1 = run_cli (fixture, "ticket", "issue", "biz-reg");
  g_auto(Run) t2 = run_cli (fixture, "ticket", "issue", "edu-enrol");
  g_auto(Run) verify = run_cli (fixture, "--json", "audit", "verify");
  g_auto(Run) csv = run_cli (fixture, "audit", "export", "--format", "csv");
  g_auto(Run) jsonl = run_cli (fixture, "audit", "export", "--format", "jsonl", "--since", "2");
  g_auto(Run) anchored = { 0 };
  g_auto(Run) broken = { 0 };
  g_auto(Run) broken_anchor = { 0 };
  g_autoptr(JsonObject) ok = run_json_ok (fixture, &verify);
  g_autoptr(JsonObject) bad = NULL;
  g_autofree char *anchor = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_true (json_object_get_boolean_member (ok, "ok"));
  g_assert_cmpint (json_object_get_int_member (ok, "events"), ==, 4);   /* init, import, 2 issues */
  g_assert_cmpint (json_object_get_int_member (ok, "head_seq"), ==, 4);
  g_assert_cmpuint (strlen (json_object_get_string_member (ok, "head")), ==, 64);

  lines = g_strsplit (csv.out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 6);   /* header, 4 events, final empty */
  g_strfreev (lines);
  lines = g_strsplit (jsonl.out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);

  anchor = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", json_object_get_int_member (ok, "head_seq"),
                            json_object_get_string_member (ok, "head"));
  anchored = run_cli (fixture, "--json", "audit", "verify", "--anchor", anchor);
  g_assert_cmpint (anchored.status, ==, 0);

  tamper (fixture, "DROP TRIGGER events_no_update; UPDATE events SET actor = 'staff:nobody' WHERE seq = 3");
  broken = run_cli (fixture, "--json", "audit", "verify");
  g_assert_cmpint (broken.status, ==, 1);
  bad = parse_object (broken.out);
  g_assert_false (json_object_get_boolean_member (bad, "ok"));
  g_assert_cmpint (json_object_get_int_member (bad, "first_bad_seq"), ==, 3);

  broken_anchor = run_cli (fixture, "audit", "verify", "--anchor", "2:zz");
  g_assert_cmpint (broken_anchor.status, ==, 2);
  g_assert_cmpint (t1.status + t2.status, ==, 0);
}

static void
test_stats_and_simulate (CliFixture    *fixture,
                         gconstpointer  user_data)
{
  g_auto(Run) t1 = run_cli (fixture, "ticket", "issue", "biz-reg");
  g_auto(Run) stats = run_cli (fixture, "--json", "stats");
  g_auto(Run) sim1 = run_cli (NULL, "--json", "simulate", "--windows", "2", "--arrivals-per-hour", "20",
                              "--service-minutes", "5", "--hours", "2", "--seed", "7");
  g_auto(Run) sim2 = run_cli (NULL, "--json", "simulate", "--windows", "2", "--arrivals-per-hour", "20",
                              "--service-minutes", "5", "--hours", "2", "--seed", "7");
  g_auto(Run) bad = run_cli (NULL, "simulate", "--windows", "zero");
  g_autoptr(JsonObject) figures = run_json_ok (fixture, &stats);
  g_autoptr(JsonObject) sim = run_json_ok (NULL, &sim1);
  const char *keys[] = { "served", "mean_wait_s", "p90_wait_s", "utilisation" };

  g_assert_cmpint (json_object_get_int_member (figures, "issued"), ==, 1);
  /* For people, steps and windows by name: "受理" alone would be half the hall's steps. */
  {
    g_auto(Run) zh = run_cli (fixture, "--lang", "zh_CN", "stats");

    g_assert_nonnull (strstr (zh.out, "\n个体工商户登记 · 材料预审 "));
    g_assert_nonnull (strstr (zh.out, "\n1号综合窗口 "));
    g_assert_null (strstr (zh.out, "biz-reg/"));
  }
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_assert_true (json_object_has_member (sim, keys[i]));
  g_assert_cmpint (json_object_get_int_member (sim, "served"), >, 10);
  g_assert_cmpstr (sim1.out, ==, sim2.out);
  g_assert_cmpint (bad.status, ==, 2);

  /* A whole hall in text: a row per service, in the chosen language. */
  {
    g_auto(Run) hall = run_cli (NULL, "--lang", "zh_CN", "simulate", "--catalog", fixture->catalog,
                                "--hours", "2", "--arrivals-per-hour", "20", "--seed", "3");

    g_assert_cmpint (hall.status, ==, 0);
    g_assert_nonnull (strstr (hall.out, "个体工商户登记"));
    g_assert_nonnull (strstr (hall.out, "平均等候"));
  }
  g_assert_cmpint (t1.status, ==, 0);
}

static void
test_languages (CliFixture    *fixture,
                gconstpointer  user_data)
{
  g_auto(Run) zh = run_cli (fixture, "--lang", "zh_CN", "ticket", "issue", "biz-reg");
  g_auto(Run) en = run_cli (fixture, "--lang", "en", "ticket", "issue", "biz-reg");
  g_auto(Run) bad = run_cli (fixture, "--lang", "fr", "stats");

  g_assert_cmpint (zh.status, ==, 0);
  g_assert_nonnull (strstr (zh.out, "您已领取 A001 号"));
  g_assert_nonnull (strstr (zh.out, "个体工商户登记"));
  g_assert_nonnull (strstr (en.out, "You have taken number A002; 1 person is ahead of you."));
  g_assert_nonnull (strstr (en.out, "Sole proprietor registration"));
  g_assert_cmpint (bad.status, ==, 2);
  /* Refused in the environment's language (English here), not in the one asked for. */
  g_assert_nonnull (strstr (bad.err, "--lang is zh_CN or en"));
}

/* LANG alone picks the language, even where the system never generated that locale (a bare
 * Debian has only C.UTF-8): setlocale () fails, the messages must not fall back to English. */
static void
test_language_from_lang (CliFixture    *fixture,
                         gconstpointer  user_data)
{
  const char *zh_env[] = { "LANG=zh_CN.UTF-8", "LANGUAGE=", "LC_ALL=", "LC_MESSAGES=", NULL };
  const char *en_env[] = { "LANG=en_US.UTF-8", "LANGUAGE=", "LC_ALL=", "LC_MESSAGES=", NULL };
  const char *c_env[] = { "LANG=C", "LANGUAGE=", "LC_ALL=", "LC_MESSAGES=", NULL };
  const char *both_env[] = { "LANG=zh_CN.UTF-8", "LANGUAGE=en", "LC_ALL=", "LC_MESSAGES=", NULL };
  const char *bad_env[] = { "LANG=zh_CN.UTF-8", "LANGUAGE=", "LC_ALL=", "LC_MESSAGES=", NULL };
  g_auto(Run) zh = run_cli_env (fixture, zh_env, "ticket", "issue", "no-such-service", NULL);
  g_auto(Run) en = run_cli_env (fixture, en_env, "ticket", "issue", "no-such-service", NULL);
  g_auto(Run) c = run_cli_env (fixture, c_env, "ticket", "issue", "no-such-service", NULL);
  g_auto(Run) both = run_cli_env (fixture, both_env, "ticket", "issue", "no-such-service", NULL);
  g_auto(Run) bad = run_cli_env (fixture, bad_env, "--lang", "fr", "stats", NULL);

  g_assert_nonnull (strstr (zh.err, "没有事项“no-such-service”"));
  g_assert_nonnull (strstr (en.err, "no service 'no-such-service'"));
  g_assert_nonnull (strstr (c.err, "no service 'no-such-service'"));
  /* An explicit LANGUAGE still wins over LANG. */
  g_assert_nonnull (strstr (both.err, "no service 'no-such-service'"));
  g_assert_nonnull (strstr (bad.err, "--lang 只能是 zh_CN 或 en"));
}

/* A catalogue that is not JSON: the line and column in either language, json-glib's
 * "<data>" and its label left out. */
static void
test_syntax_error_languages (CliFixture    *fixture,
                             gconstpointer  user_data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "broken.json", NULL);
  const char *zh_env[] = { "LANGUAGE=zh_CN", NULL };
  const char *en_env[] = { "LANGUAGE=en", NULL };

  g_assert_true (g_file_set_contents (path, "{\n  \"hall\": ,\n}\n", -1, NULL));
  {
    g_auto(Run) zh = run_cli_env (fixture, zh_env, "catalog", "import", path, NULL);
    g_auto(Run) en = run_cli_env (fixture, en_env, "catalog", "import", path, NULL);

    g_assert_cmpint (zh.status, ==, 2);
    g_assert_cmpint (en.status, ==, 2);
    g_assert_nonnull (strstr (zh.err, "broken.json：第 2 行第 11 列：不是有效的 JSON："));
    g_assert_nonnull (strstr (en.err, "broken.json: line 2, column 11: not valid JSON: "));
    g_assert_null (strstr (zh.err, "<data>"));
    g_assert_null (strstr (en.err, "Parse error"));
  }
}

static void
test_default_db_and_usage (CliFixture    *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *expected = g_build_filename (fixture->dir, "onewindow", "hall.db", NULL);
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", fixture->dir, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("ONEWINDOW_CLI"), "--json", "init", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_true (g_file_test (expected, G_FILE_TEST_EXISTS));

  {
    g_auto(Run) unknown = run_cli (fixture, "frobnicate");
    g_auto(Run) option = run_cli (fixture, "window", "call", "w1", "--bogus");

    g_assert_cmpint (unknown.status, ==, 2);
    g_assert_cmpint (option.status, ==, 2);
    g_assert_nonnull (strstr (option.err, "--bogus"));
  }
}

/* 容缺受理 from the command line: complete with a document promised, list what is owed,
 * record it brought. */
static void
test_promise (CliFixture    *fixture,
              gconstpointer  user_data)
{
  g_autoptr(JsonObject) issued = NULL;
  g_autoptr(JsonObject) done = NULL;
  g_autoptr(JsonObject) owed = NULL;
  g_autoptr(JsonObject) supplied = NULL;
  const char *number;
  JsonObject *promise;

  {
    g_auto(Run) issue = run_cli (fixture, "--json", "ticket", "issue", "biz-reg");
    g_auto(Run) call = run_cli (fixture, "--json", "window", "call", "w1");
    g_auto(Run) bad_day = run_cli (fixture, "--json", "window", "complete", "w1", "--missing", "premises-proof",
                                   "--deadline", "2000-01-01");
    g_auto(Run) complete = run_cli (fixture, "--json", "window", "complete", "w1", "--missing", "premises-proof");

    issued = run_json_ok (fixture, &issue);
    g_assert_cmpint (call.status, ==, 0);
    g_assert_cmpint (bad_day.status, !=, 0);
    done = run_json_ok (fixture, &complete);
  }
  number = json_object_get_string_member (issued, "number");
  promise = json_object_get_object_member (json_object_get_object_member (done, "ticket"), "promise");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (promise, "documents"), 0),
                   ==, "premises-proof");
  {
    g_auto(Run) list = run_cli (fixture, "--json", "promise", "list");
    g_auto(Run) supply = run_cli (fixture, "--json", "ticket", "supply", number, "--documents", "premises-proof");
    g_auto(Run) again = run_cli (fixture, "--json", "ticket", "supply", number);

    owed = run_json_ok (fixture, &list);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (owed, "promises")), ==, 1);
    supplied = run_json_ok (fixture, &supply);
    g_assert_true (json_object_get_null_member (supplied, "promise"));
    g_assert_cmpint (again.status, !=, 0);
  }
}

/* followup list|update: a bad rating (given through the engine, as the server would) is
 * listed and moved on from the command line, which logs each move. */
static void
test_followup (CliFixture    *fixture,
               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) issued = NULL;
  g_autoptr(JsonObject) listed = NULL;
  g_autoptr(JsonObject) moved = NULL;
  g_autofree char *id = NULL;
  JsonArray *followups;

  {
    g_auto(Run) issue = run_cli (fixture, "--json", "ticket", "issue", "pension-enrol");
    g_auto(Run) call = run_cli (fixture, "--json", "window", "call", "w8");
    g_auto(Run) done = run_cli (fixture, "--json", "window", "complete", "w8");

    issued = run_json_ok (fixture, &issue);
    g_assert_cmpint (call.status, ==, 0);
    g_assert_cmpint (done.status, ==, 0);
  }
  {
    g_autoptr(OwDb) db = ow_db_open (fixture->db, &error);
    g_autoptr(OwClock) clock = ow_clock_new_system ();
    g_autoptr(OwHall) hall = NULL;
    g_autoptr(JsonObject) rated = NULL;

    g_assert_no_error (error);
    hall = ow_hall_new (db, clock);
    rated = ow_public_rate (hall, NULL, json_object_get_string_member (issued, "token"), 2, NULL, &error);
    g_assert_no_error (error);
  }

  {
    g_auto(Run) list = run_cli (fixture, "--json", "followup", "list");

    listed = run_json_ok (fixture, &list);
  }
  followups = json_object_get_array_member (listed, "followups");
  g_assert_cmpuint (json_array_get_length (followups), ==, 1);
  id = g_strdup_printf ("%" G_GINT64_FORMAT,
                        json_object_get_int_member (json_array_get_object_element (followups, 0), "id"));
  {
    g_auto(Run) no_note = run_cli (fixture, "--json", "followup", "update", id, "--state", "contacted");
    g_auto(Run) backwards = run_cli (fixture, "--json", "followup", "update", id, "--state", "open", "--note", "x");
    g_auto(Run) update = run_cli (fixture, "--json", "followup", "update", id, "--state", "contacted",
                                  "--note", "已电话回访");
    g_auto(Run) human = run_cli (fixture, "--lang", "en", "followup", "list", "--all");
    g_autofree char *label = g_strdup_printf ("#%s", id);

    g_assert_cmpint (no_note.status, !=, 0);
    g_assert_cmpint (backwards.status, !=, 0);
    g_assert_nonnull (strstr (backwards.err, "cannot become"));
    moved = run_json_ok (fixture, &update);
    g_assert_cmpstr (json_object_get_string_member (moved, "state"), ==, "contacted");
    g_assert_cmpint (human.status, ==, 0);
    g_assert_nonnull (strstr (human.out, label));
    g_assert_nonnull (strstr (human.out, "citizen contacted"));
  }
  {
    g_auto(Run) stats = run_cli (fixture, "--json", "stats");
    g_autoptr(JsonObject) figures = run_json_ok (fixture, &stats);
    JsonObject *followup = json_object_get_object_member (json_object_get_object_member (figures, "ratings"),
                                                          "followup");

    g_assert_cmpint (json_object_get_int_member (followup, "bad"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (followup, "followed_up"), ==, 1);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, CliFixture, NULL, cli_set_up, fn, cli_tear_down)
  ADD ("/ow/cli/init-and-catalog", test_init_and_catalog);
  ADD ("/ow/cli/import-rejected", test_import_rejected);
  ADD ("/ow/cli/ticket-and-window", test_ticket_and_window);
  ADD ("/ow/cli/window-paths", test_window_paths);
  ADD ("/ow/cli/staff", test_staff);
  ADD ("/ow/cli/audit", test_audit);
  ADD ("/ow/cli/stats-and-simulate", test_stats_and_simulate);
  ADD ("/ow/cli/followup", test_followup);
  ADD ("/ow/cli/promise", test_promise);
  ADD ("/ow/cli/languages", test_languages);
  ADD ("/ow/cli/language-from-lang", test_language_from_lang);
  ADD ("/ow/cli/syntax-error-languages", test_syntax_error_languages);
  ADD ("/ow/cli/default-db-and-usage", test_default_db_and_usage);
#undef ADD

  return g_test_run ();
}
