/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-audit.h"
#include "ow-catalog.h"
#include "ow-clock.h"
#include "ow-db.h"
#include "ow-test-waiting.h"

#include <glib/gstdio.h>
#include <string.h>

/* A small valid catalogue.  Each rejection test changes exactly one thing in it, so every
 * substring a test replaces must occur here exactly once. */
static const char base_catalog[] =
  "{\n"
  " \"hall\": {\"name\": {\"zh_CN\": \"测试政务服务中心\", \"en\": \"Test Service Centre\"},\n"
  "          \"status_base_url\": \"http://127.0.0.1:8080\"},\n"
  " \"rules\": {\"no_show_limit\": 2},\n"
  " \"departments\": [\n"
  "  {\"id\": \"market\","
  " \"name\": {\"zh_CN\": \"市场监督管理局\", \"en\": \"Market Regulation Bureau\"}},\n"
  "  {\"id\": \"stats\", \"name\": {\"zh_CN\": \"统计局\", \"en\": \"Statistics Bureau\"}}\n"
  " ],\n"
  " \"documents\": [\n"
  "  {\"id\": \"id-card\", \"name\": {\"zh_CN\": \"居民身份证\", \"en\": \"Resident ID card\"}},\n"
  "  {\"id\": \"licence\", \"name\": {\"zh_CN\": \"营业执照\", \"en\": \"Business licence\"}}\n"
  " ],\n"
  " \"services\": [\n"
  "  {\"code\": \"biz-reg\", \"prefix\": \"A\", \"department\": \"market\",\n"
  "   \"name\": {\"zh_CN\": \"个体工商户登记\", \"en\": \"Sole proprietor registration\"},\n"
  "   \"daily_cap\": 300, \"hours\": [\"08:30-12:00\", \"13:30-17:30\"], \"green_channel\": true,\n"
  "   \"documents\": [\"id-card\"],\n"
  "   \"steps\": [\n"
  "    {\"id\": \"biz-reg/review\", \"name\": {\"zh_CN\": \"材料预审\", \"en\": \"Pre-review\"},"
  " \"limit_minutes\": 15},\n"
  "    {\"id\": \"biz-reg/accept\", \"name\": {\"zh_CN\": \"受理\", \"en\": \"Acceptance\"},"
  " \"limit_minutes\": 30},\n"
  "    {\"id\": \"biz-reg/issue\", \"name\": {\"zh_CN\": \"发照\", \"en\": \"Issuance\"},"
  " \"limit_minutes\": 10}\n"
  "   ]},\n"
  "  {\"code\": \"stats-report\", \"prefix\": \"B\", \"department\": \"stats\",\n"
  "   \"name\": {\"zh_CN\": \"企业统计报表报送\", \"en\": \"Statistical reporting\"},\n"
  "   \"daily_cap\": 80, \"hours\": [\"09:00-11:30\"], \"green_channel\": false,\n"
  "   \"documents\": [\"licence\"],\n"
  "   \"steps\": [\n"
  "    {\"id\": \"stats-report/review\","
  " \"name\": {\"zh_CN\": \"报表审核\", \"en\": \"Report review\"}, \"limit_minutes\": 20}\n"
  "   ]}\n"
  " ],\n"
  " \"windows\": [\n"
  "  {\"id\": \"w1\", \"number\": 1, \"name\": {\"zh_CN\": \"1号窗口\", \"en\": \"Window 1\"},\n"
  "   \"steps\": [\"biz-reg/review\", \"stats-report/review\"]},\n"
  "  {\"id\": \"w2\", \"number\": 2, \"name\": {\"zh_CN\": \"2号窗口\", \"en\": \"Window 2\"},\n"
  "   \"steps\": [\"biz-reg/accept\", \"biz-reg/issue\"]}\n"
  " ]\n"
  "}\n";

typedef struct
{
  char    *dir;
  char    *path;
  OwDb    *db;
  OwClock *clock;
} Fixture;

static gint64
test_morning (void)
{
  g_autoptr(GTimeZone) zone = g_time_zone_new_local ();
  g_autoptr(GDateTime) dt = g_date_time_new (zone, 2026, 3, 2, 9, 0, 0);

  return g_date_time_to_unix (dt) * G_USEC_PER_SEC;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("ow-test-catalog-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "hall.db", NULL);
  fixture->db = ow_db_open (fixture->path, &error);
  g_assert_no_error (error);
  fixture->clock = ow_clock_new_virtual (test_morning ());
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *child = g_build_filename (dir, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (dir);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  assert_waiting_counts (fixture->db);
  g_clear_object (&fixture->clock);
  g_assert_finalize_object (fixture->db);
  remove_tree (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

/* Helpers */

static char *
write_file (Fixture    *fixture,
            const char *name,
            const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (fixture->dir, name, NULL);

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

/* @text with the one occurrence of @from replaced by @to. */
static char *
replace_once (const char *text,
              const char *from,
              const char *to)
{
  const char *at = strstr (text, from);

  g_assert_nonnull (at);
  g_assert_null (strstr (at + 1, from));
  return g_strdup_printf ("%.*s%s%s", (int) (at - text), text, to, at + strlen (from));
}

/* @text with every occurrence of @from replaced by @to. */
static char *
replace_all (const char *text,
             const char *from,
             const char *to)
{
  g_auto(GStrv) parts = g_strsplit (text, from, -1);

  g_assert_cmpuint (g_strv_length (parts), >, 1);
  return g_strjoinv (to, parts);
}

static char *
demo_path (void)
{
  return g_test_build_filename (G_TEST_DIST, "..", "db", "demo-catalog.json", NULL);
}

/* @text without the part from @start up to (not including) @end. */
static char *
cut (const char *text,
     const char *start,
     const char *end)
{
  const char *from = strstr (text, start);
  const char *to = from != NULL ? strstr (from, end) : NULL;

  g_assert_nonnull (to);
  return g_strdup_printf ("%.*s%s", (int) (from - text), text, to);
}

static JsonObject *
import_text (Fixture    *fixture,
             const char *name,
             const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = write_file (fixture, name, text);
  JsonObject *summary = NULL;

  g_assert_true (ow_catalog_import_file (fixture->db, fixture->clock, NULL, path, &summary,
                                         &error));
  g_assert_no_error (error);
  g_assert_nonnull (summary);
  return summary;
}

static gint64
query_int (Fixture    *fixture,
           const char *sql)
{
  sqlite3 *handle = ow_db_get_handle (fixture->db);
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_prepare_v2 (handle, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

/* The first column of the first row, or NULL. */
static char *
query_text (Fixture    *fixture,
            const char *sql)
{
  sqlite3 *handle = ow_db_get_handle (fixture->db);
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (handle, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return value;
}

static void
exec_sql (Fixture    *fixture,
          const char *sql)
{
  char *message = NULL;
  int rc = sqlite3_exec (ow_db_get_handle (fixture->db), sql, NULL, NULL, &message);

  if (rc != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

/* Every row of every table an import may touch, plus the number of events and imports (the
 * catalogue's generation): two dumps are equal exactly when the import changed nothing. */
static char *
dump_database (Fixture  *fixture,
               gboolean  with_events)
{
  static const char * const queries[] = {
    "SELECT * FROM departments ORDER BY id",
    "SELECT * FROM documents ORDER BY id",
    "SELECT * FROM services ORDER BY code",
    "SELECT * FROM steps ORDER BY id",
    "SELECT * FROM windows ORDER BY id",
    "SELECT * FROM window_steps ORDER BY window, step",
    "SELECT * FROM settings WHERE key <> 'catalog_generation' ORDER BY key",
    "SELECT * FROM tickets ORDER BY id",
    "SELECT * FROM visits ORDER BY id",
  };
  sqlite3 *handle = ow_db_get_handle (fixture->db);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      sqlite3_stmt *stmt = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (handle, queries[i], -1, &stmt, NULL), ==, SQLITE_OK);
      g_string_append_printf (out, "%s\n", queries[i]);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          for (int c = 0; c < sqlite3_column_count (stmt); c++)
            {
              if (sqlite3_column_type (stmt, c) == SQLITE_NULL)
                g_string_append (out, "NULL|");
              else
                g_string_append_printf (out, "'%s'|", sqlite3_column_text (stmt, c));
            }
          g_string_append_c (out, '\n');
        }
      sqlite3_finalize (stmt);
    }
  if (with_events)
    g_string_append_printf (out, "events %" G_GINT64_FORMAT ", generation %" G_GINT64_FORMAT "\n",
                            query_int (fixture, "SELECT count(*) FROM events"),
                            query_int (fixture, "SELECT coalesce ((SELECT value FROM settings"
                                                " WHERE key = 'catalog_generation'), 0)"));
  return g_string_free (out, FALSE);
}

static char *
export_text (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) exported = ow_catalog_export (fixture->db, &error);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  g_assert_no_error (error);
  g_assert_nonnull (exported);
  node = json_node_init_object (json_node_alloc (), exported);
  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

static void
assert_audit_ok (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  OwAuditVerdict verdict;

  g_assert_true (ow_audit_verify (fixture->db, 0, NULL, &verdict, &error));
  g_assert_no_error (error);
  if (!verdict.ok)
    g_error ("audit chain broken at %" G_GINT64_FORMAT ": %s", verdict.first_bad_seq,
             verdict.reason);
  ow_audit_verdict_clear (&verdict);
}

static void
assert_summary (JsonObject *summary,
                gint64      departments,
                gint64      documents,
                gint64      services,
                gint64      steps,
                gint64      windows,
                gint64      retired,
                gint64      moved)
{
  g_assert_cmpint (json_object_get_int_member (summary, "departments"), ==, departments);
  g_assert_cmpint (json_object_get_int_member (summary, "documents"), ==, documents);
  g_assert_cmpint (json_object_get_int_member (summary, "services"), ==, services);
  g_assert_cmpint (json_object_get_int_member (summary, "steps"), ==, steps);
  g_assert_cmpint (json_object_get_int_member (summary, "windows"), ==, windows);
  g_assert_cmpint (json_object_get_int_member (summary, "retired"), ==, retired);
  g_assert_cmpint (json_object_get_int_member (summary, "moved"), ==, moved);
}

/* Imports and round trips */

static void
test_demo (Fixture       *fixture,
           gconstpointer  user_data)
{
  g_autofree char *path = demo_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) summary = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *hall_name = NULL;
  g_autofree char *url = NULL;
  g_autofree char *limit = NULL;
  gsize length;

  g_assert_true (ow_catalog_import_file (fixture->db, fixture->clock, NULL, path, &summary,
                                         &error));
  g_assert_no_error (error);
  assert_summary (summary, 7, 26, 15, 31, 10, 0, 0);
  g_assert_cmpstr (json_object_get_string_member (summary, "source"), ==, path);

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
  g_assert_cmpstr (json_object_get_string_member (summary, "sha256"), ==, sha256);

  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM departments WHERE active"), ==, 7);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM documents WHERE active"), ==, 26);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM services WHERE active"), ==, 15);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM steps WHERE active"), ==, 31);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM windows WHERE active"), ==, 10);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM window_steps"), ==, 53);
  g_assert_cmpint (query_int (fixture, "SELECT position FROM steps WHERE id = 'biz-reg/issue'"),
                   ==, 3);
  g_assert_cmpint (query_int (fixture, "SELECT ord FROM services WHERE code = 'unemployment-reg'"),
                   ==, 14);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM services WHERE extra IS NOT NULL"),
                   ==, 0);

  hall_name = ow_db_get_setting (fixture->db, "hall_name");
  g_assert_cmpstr (hall_name, ==,
                   "{\"zh_CN\":\"娄烦县政务服务中心\",\"en\":\"Loufan County Government Service Centre\"}");
  url = ow_db_get_setting (fixture->db, "status_base_url");
  g_assert_cmpstr (url, ==, "http://127.0.0.1:8080");
  limit = ow_db_get_setting (fixture->db, "no_show_limit");
  g_assert_cmpstr (limit, ==, "2");

  assert_audit_ok (fixture);
}

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *path = demo_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) summary = NULL;
  g_autoptr(JsonNode) demo = NULL;
  g_autoptr(JsonNode) exported_node = NULL;
  g_autofree char *exported = NULL;
  g_autofree char *again = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *contents = NULL;

  g_assert_true (ow_catalog_import_file (fixture->db, fixture->clock, NULL, path, NULL, &error));
  g_assert_no_error (error);

  /* The export says what the file said. */
  exported = export_text (fixture);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  demo = json_from_string (contents, &error);
  g_assert_no_error (error);
  exported_node = json_from_string (exported, &error);
  g_assert_no_error (error);
  g_assert_true (json_node_equal (demo, exported_node));

  /* And importing it changes nothing but the log. */
  before = dump_database (fixture, FALSE);
  ow_clock_advance (fixture->clock, 60 * G_USEC_PER_SEC);
  g_assert_true (ow_catalog_import_data (fixture->db, fixture->clock, NULL, "export.json",
                                         exported, -1, &summary, &error));
  g_assert_no_error (error);
  assert_summary (summary, 7, 26, 15, 31, 10, 0, 0);
  after = dump_database (fixture, FALSE);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM events"), ==, 2);

  again = export_text (fixture);
  g_assert_cmpstr (exported, ==, again);
  assert_audit_ok (fixture);
}

/* Keys the schema does not model survive on services, and are ignored elsewhere. */
static void
test_extra_keys (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *step1 = NULL;
  g_autofree char *step2 = NULL;
  g_autofree char *text = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *exported = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(JsonObject) summary = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(JsonNode) exported_node = NULL;
  JsonObject *service;

  step1 = replace_once (base_catalog, "\"daily_cap\": 80,",
                        "\"daily_cap\": 80, \"online\": {\"url\": \"https://example.org\"},"
                        " \"fee_yuan\": 0, \"alert_waiting\": 25,");
  step2 = replace_once (step1, "\"rules\":", "\"comment\": \"ignored\", \"rules\":");
  text = replace_once (step2, "\"number\": 2,", "\"number\": 2, \"floor\": 1,");
  summary = import_text (fixture, "extra.json", text);

  extra = query_text (fixture, "SELECT extra FROM services WHERE code = 'stats-report'");
  g_assert_cmpstr (extra, ==, "{\"online\":{\"url\":\"https://example.org\"},\"fee_yuan\":0}");

  exported = export_text (fixture);
  exported_node = json_from_string (exported, NULL);
  service = json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (exported_node), "services"), 1);
  g_assert_cmpint (json_object_get_int_member (service, "fee_yuan"), ==, 0);
  /* A modelled key is a column, not an extra, and comes back as it was given. */
  g_assert_cmpint (json_object_get_int_member (service, "alert_waiting"), ==, 25);
  g_assert_false (json_object_has_member (json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (exported_node), "services"), 0), "alert_waiting"));
  g_assert_true (json_object_has_member (service, "online"));
  g_assert_false (json_object_has_member (json_node_get_object (exported_node), "comment"));

  before = dump_database (fixture, FALSE);
  again = import_text (fixture, "again.json", exported);
  after = dump_database (fixture, FALSE);
  g_assert_cmpstr (before, ==, after);
}

static void
test_defaults (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autofree char *step1 = NULL;
  g_autofree char *text = NULL;
  g_autofree char *url = NULL;
  g_autofree char *limit = NULL;
  g_autoptr(JsonObject) summary = NULL;

  step1 = replace_once (base_catalog, " \"rules\": {\"no_show_limit\": 2},\n", "");
  text = replace_once (step1, ",\n          \"status_base_url\": \"http://127.0.0.1:8080\"", "");
  summary = import_text (fixture, "defaults.json", text);
  url = ow_db_get_setting (fixture->db, "status_base_url");
  g_assert_cmpstr (url, ==, "http://127.0.0.1:8080");
  limit = ow_db_get_setting (fixture->db, "no_show_limit");
  g_assert_cmpstr (limit, ==, "2");
}

static void
test_one_event_per_import (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autofree char *demo = demo_path ();
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) third = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) details = NULL;
  g_autoptr(JsonNode) first_node = NULL;
  g_autofree char *details_text = NULL;
  g_autofree char *actor = NULL;
  g_autofree char *sha256 = NULL;
  OwActor cli = { "cli:clerk", "desk-7" };

  first = import_text (fixture, "one.json", base_catalog);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM events"), ==, 1);

  g_assert_true (ow_catalog_import_file (fixture->db, fixture->clock, &cli, demo, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM events"), ==, 2);
  actor = query_text (fixture, "SELECT actor || '@' || terminal FROM events WHERE seq = 2");
  g_assert_cmpstr (actor, ==, "cli:clerk@desk-7");

  /* Back to the small catalogue: the demo's extra rows are retired, not deleted. */
  third = import_text (fixture, "three.json", base_catalog);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM events"), ==, 3);
  g_assert_cmpint (query_int (fixture,
                              "SELECT count(*) FROM events WHERE action = 'catalog_import'"),
                   ==, 3);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM services"), ==, 15);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM services WHERE active"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (third, "retired"), ==,
                   query_int (fixture,
                              "SELECT (SELECT count(*) FROM departments WHERE NOT active)"
                              " + (SELECT count(*) FROM documents WHERE NOT active)"
                              " + (SELECT count(*) FROM services WHERE NOT active)"
                              " + (SELECT count(*) FROM steps WHERE NOT active)"
                              " + (SELECT count(*) FROM windows WHERE NOT active)"));

  /* The details are compact JSON in a fixed order, and the summary is the same object. */
  details_text = query_text (fixture, "SELECT details FROM events WHERE seq = 1");
  sha256 = g_compute_checksum_for_string (G_CHECKSUM_SHA256, base_catalog, -1);
  g_assert_true (g_str_has_prefix (details_text, "{\"source\":\""));
  g_assert_nonnull (strstr (details_text, sha256));
  g_assert_nonnull (strstr (details_text,
                            "\"departments\":2,\"documents\":2,\"services\":2,\"steps\":4,"
                            "\"windows\":2,\"retired\":0,\"moved\":0"));
  details = json_from_string (details_text, &error);
  g_assert_no_error (error);
  first_node = json_node_init_object (json_node_alloc (), first);
  g_assert_true (json_node_equal (details, first_node));

  assert_audit_ok (fixture);
}

/* Rejections: each leaves the database exactly as it was */

typedef struct
{
  const char     *name;
  const char     *from;      /* NULL: use @to as the whole file */
  const char     *to;
  OwCatalogError  code;
  const char     *path;      /* the JSON path the message must name; NULL for syntax errors */
  const char     *also;      /* another substring the message must contain, or NULL */
} Rejection;

static const Rejection rejections[] = {
  { "not-json", "\"rules\": {\"no_show_limit\": 2},", "\"rules\": {\"no_show_limit\": 2},,",
    OW_CATALOG_ERROR_SYNTAX, NULL, "line 4, column" },
  { "empty", NULL, "", OW_CATALOG_ERROR_SYNTAX, NULL, "not empty" },
  { "bad-holiday", "\"rules\": {\"no_show_limit\": 2}",
    "\"rules\": {\"no_show_limit\": 2, \"holidays\": [\"2026-10-01\", \"2026-10-32\"]}",
    OW_CATALOG_ERROR_INVALID, "$.rules.holidays[1]", "\"2026-10-32\"" },
  { "duplicate-workday", "\"rules\": {\"no_show_limit\": 2}",
    "\"rules\": {\"no_show_limit\": 2, \"workdays\": [\"2026-10-10\", \"2026-10-10\"]}",
    OW_CATALOG_ERROR_INVALID, "$.rules.workdays[1]", "twice" },
  { "not-object", NULL, "[1, 2, 3]", OW_CATALOG_ERROR_SYNTAX, "$", "not an array" },
  { "missing-field", "\"daily_cap\": 300, ", "", OW_CATALOG_ERROR_INVALID,
    "$.services[0].daily_cap", "missing" },
  { "missing-hall", "\"hall\":", "\"hall_\":", OW_CATALOG_ERROR_INVALID, "$.hall", "missing" },
  { "missing-windows", "\"windows\": [", "\"counters\": [", OW_CATALOG_ERROR_INVALID, "$.windows",
    "missing" },
  { "wrong-type-string", "\"daily_cap\": 300", "\"daily_cap\": \"300\"", OW_CATALOG_ERROR_INVALID,
    "$.services[0].daily_cap", "not a string" },
  { "wrong-type-boolean", "\"green_channel\": false", "\"green_channel\": \"no\"",
    OW_CATALOG_ERROR_INVALID, "$.services[1].green_channel", "true or false" },
  { "wrong-type-array", "\"steps\": [\"biz-reg/accept\", \"biz-reg/issue\"]",
    "\"steps\": \"biz-reg/accept\"", OW_CATALOG_ERROR_INVALID, "$.windows[1].steps",
    "not a string" },
  { "wrong-type-object", "\"rules\": {\"no_show_limit\": 2}", "\"rules\": [2]",
    OW_CATALOG_ERROR_INVALID, "$.rules", "not an array" },
  { "wrong-type-null", "\"prefix\": \"B\"", "\"prefix\": null", OW_CATALOG_ERROR_INVALID,
    "$.services[1].prefix", "not null" },
  { "fraction", "\"limit_minutes\": 30", "\"limit_minutes\": 30.5", OW_CATALOG_ERROR_INVALID,
    "$.services[0].steps[1].limit_minutes", "30.5" },
  { "bad-name-empty", "\"en\": \"Statistics Bureau\"", "\"en\": \"  \"", OW_CATALOG_ERROR_INVALID,
    "$.departments[1].name.en", "non-empty" },
  { "bad-name-missing", "{\"zh_CN\": \"受理\", \"en\": \"Acceptance\"}", "{\"en\": \"Acceptance\"}",
    OW_CATALOG_ERROR_INVALID, "$.services[0].steps[1].name.zh_CN", "missing" },
  { "bad-name-string", "\"name\": {\"zh_CN\": \"1号窗口\", \"en\": \"Window 1\"}",
    "\"name\": \"Window 1\"", OW_CATALOG_ERROR_INVALID, "$.windows[0].name", "not a string" },
  { "bad-id", "\"id\": \"licence\"", "\"id\": \"Licence\"", OW_CATALOG_ERROR_INVALID,
    "$.documents[1].id", "\"Licence\"" },
  { "long-id", "\"code\": \"stats-report\"",
    "\"code\": \"stats-report-0123456789012345678901234567890123456789012345678901234\"",
    OW_CATALOG_ERROR_INVALID, "$.services[1].code", "bytes long" },
  { "unknown-department", "\"department\": \"stats\"", "\"department\": \"tax\"",
    OW_CATALOG_ERROR_INVALID, "$.services[1].department", "unknown department \"tax\"" },
  { "unknown-document", "\"documents\": [\"licence\"]",
    "\"documents\": [\"licence\", \"passport\"]", OW_CATALOG_ERROR_INVALID,
    "$.services[1].documents[1]", "unknown document \"passport\"" },
  { "unknown-step", "\"steps\": [\"biz-reg/accept\", \"biz-reg/issue\"]",
    "\"steps\": [\"biz-reg/accept\", \"biz-reg/issue\", \"biz-reg/fee\"]", OW_CATALOG_ERROR_INVALID,
    "$.windows[1].steps[2]", "unknown step \"biz-reg/fee\"" },
  { "duplicate-department", "{\"id\": \"stats\", \"name\"", "{\"id\": \"market\", \"name\"",
    OW_CATALOG_ERROR_INVALID, "$.departments[1].id", "$.departments[0].id" },
  { "duplicate-document", "\"id\": \"licence\"", "\"id\": \"id-card\"", OW_CATALOG_ERROR_INVALID,
    "$.documents[1].id", "$.documents[0].id" },
  { "duplicate-code", "\"code\": \"stats-report\"", "\"code\": \"biz-reg\"",
    OW_CATALOG_ERROR_INVALID, "$.services[1].code", "$.services[0].code" },
  { "duplicate-step", "{\"id\": \"stats-report/review\",", "{\"id\": \"biz-reg/accept\",",
    OW_CATALOG_ERROR_INVALID, "$.services[1].steps[0].id", "$.services[0].steps[1].id" },
  { "duplicate-window", "{\"id\": \"w2\"", "{\"id\": \"w1\"", OW_CATALOG_ERROR_INVALID,
    "$.windows[1].id", "$.windows[0].id" },
  { "duplicate-window-number", "\"number\": 2", "\"number\": 1", OW_CATALOG_ERROR_INVALID,
    "$.windows[1].number", "$.windows[0].number" },
  { "duplicate-key", "\"daily_cap\": 80,", "\"daily_cap\": 80, \"daily_cap\": 90,",
    OW_CATALOG_ERROR_INVALID, "$.services[1].daily_cap", "twice" },
  { "step-not-served", "\"steps\": [\"biz-reg/accept\", \"biz-reg/issue\"]",
    "\"steps\": [\"biz-reg/accept\"]", OW_CATALOG_ERROR_INVALID, "$.services[0].steps[2]",
    "no window serves this step" },
  { "no-steps", "\"steps\": [\n    {\"id\": \"stats-report/review\","
    " \"name\": {\"zh_CN\": \"报表审核\", \"en\": \"Report review\"}, \"limit_minutes\": 20}\n   ]",
    "\"steps\": []", OW_CATALOG_ERROR_INVALID, "$.services[1].steps", "at least one step" },
  { "negative-limit", "\"limit_minutes\": 20", "\"limit_minutes\": -5", OW_CATALOG_ERROR_INVALID,
    "$.services[1].steps[0].limit_minutes", "not -5" },
  { "absurd-limit", "\"limit_minutes\": 20", "\"limit_minutes\": 100000", OW_CATALOG_ERROR_INVALID,
    "$.services[1].steps[0].limit_minutes", "not 100000" },
  { "zero-cap", "\"daily_cap\": 300", "\"daily_cap\": 0", OW_CATALOG_ERROR_INVALID,
    "$.services[0].daily_cap", "1 to 9999" },
  { "bad-hours", "\"09:00-11:30\"", "\"25:00-26:00\"", OW_CATALOG_ERROR_INVALID,
    "$.services[1].hours[0]", "\"25:00-26:00\"" },
  { "reversed-hours", "\"09:00-11:30\"", "\"11:30-09:00\"", OW_CATALOG_ERROR_INVALID,
    "$.services[1].hours[0]", "start before it ends" },
  { "overlapping-hours", "\"13:30-17:30\"", "\"11:00-17:30\"", OW_CATALOG_ERROR_INVALID,
    "$.services[0].hours[1]", "$.services[0].hours[0]" },
  { "no-hours", "[\"09:00-11:30\"]", "[]", OW_CATALOG_ERROR_INVALID, "$.services[1].hours",
    "at least one" },
  { "bad-prefix", "\"prefix\": \"B\"", "\"prefix\": \"b\"", OW_CATALOG_ERROR_INVALID,
    "$.services[1].prefix", "one uppercase letter" },
  { "long-prefix", "\"prefix\": \"A\"", "\"prefix\": \"AB\"", OW_CATALOG_ERROR_INVALID,
    "$.services[0].prefix", "one uppercase letter" },
  { "window-number", "\"number\": 2", "\"number\": 1000", OW_CATALOG_ERROR_INVALID,
    "$.windows[1].number", "1 to 999" },
  { "no-show-limit", "\"no_show_limit\": 2", "\"no_show_limit\": 10", OW_CATALOG_ERROR_INVALID,
    "$.rules.no_show_limit", "1 to 9" },
  { "status-url", "\"http://127.0.0.1:8080\"", "\"ftp://127.0.0.1\"", OW_CATALOG_ERROR_INVALID,
    "$.hall.status_base_url", "http://" },
  { "zero-alert", "\"daily_cap\": 300,", "\"daily_cap\": 300, \"alert_waiting\": 0,",
    OW_CATALOG_ERROR_INVALID, "$.services[0].alert_waiting", "1 to 9999" },
  { "text-alert", "\"daily_cap\": 300,", "\"daily_cap\": 300, \"alert_waiting\": \"30\",",
    OW_CATALOG_ERROR_INVALID, "$.services[0].alert_waiting", "not a string" },
};

static void
test_reject (Fixture       *fixture,
             gconstpointer  user_data)
{
  const Rejection *rejection = user_data;
  g_autoptr(JsonObject) summary = NULL;
  g_autoptr(JsonObject) bad_summary = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  summary = import_text (fixture, "good.json", base_catalog);
  before = dump_database (fixture, TRUE);

  if (rejection->from != NULL)
    text = replace_once (base_catalog, rejection->from, rejection->to);
  else
    text = g_strdup (rejection->to);
  name = g_strdup_printf ("%s.json", rejection->name);
  path = write_file (fixture, name, text);

  ow_clock_advance (fixture->clock, 60 * G_USEC_PER_SEC);
  g_assert_false (ow_catalog_import_file (fixture->db, fixture->clock, NULL, path, &bad_summary,
                                          &error));
  g_assert_error (error, OW_CATALOG_ERROR, (int) rejection->code);
  g_assert_null (bad_summary);
  g_test_message ("%s", error->message);

  /* "NAME: $.json.path: what is wrong": the path must be exact, not a prefix of another. */
  if (rejection->path != NULL)
    prefix = g_strdup_printf ("%s: %s: ", path, rejection->path);
  else
    prefix = g_strdup_printf ("%s: ", path);
  if (!g_str_has_prefix (error->message, prefix))
    g_error ("message \"%s\" does not start with \"%s\"", error->message, prefix);
  if (rejection->also != NULL && strstr (error->message, rejection->also) == NULL)
    g_error ("message \"%s\" does not mention \"%s\"", error->message, rejection->also);

  after = dump_database (fixture, TRUE);
  g_assert_cmpstr (before, ==, after);
  g_assert_false (ow_db_in_transaction (fixture->db));
}

static void
test_reject_unreadable (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (fixture->dir, "missing.json", NULL);
  g_autofree char *before = dump_database (fixture, TRUE);
  g_autofree char *after = NULL;

  g_assert_false (ow_catalog_import_file (fixture->db, fixture->clock, NULL, path, NULL, &error));
  g_assert_error (error, OW_CATALOG_ERROR, OW_CATALOG_ERROR_READ);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_clear_error (&error);

  /* A folder opens but does not read. */
  g_assert_false (ow_catalog_import_file (fixture->db, fixture->clock, NULL, fixture->dir, NULL,
                                          &error));
  g_assert_error (error, OW_CATALOG_ERROR, OW_CATALOG_ERROR_READ);

  after = dump_database (fixture, TRUE);
  g_assert_cmpstr (before, ==, after);
}

/* Re-import and open tickets */

static void
run_bound (Fixture    *fixture,
           const char *sql,
           ...)
{
  sqlite3 *handle = ow_db_get_handle (fixture->db);
  sqlite3_stmt *stmt = NULL;
  va_list args;

  g_assert_cmpint (sqlite3_prepare_v2 (handle, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  va_start (args, sql);
  for (int i = 1; i <= sqlite3_bind_parameter_count (stmt); i++)
    {
      const char *kind = va_arg (args, const char *);

      if (g_str_equal (kind, "i"))
        sqlite3_bind_int64 (stmt, i, va_arg (args, gint64));
      else
        {
          const char *text = va_arg (args, const char *);

          if (text != NULL)
            sqlite3_bind_text (stmt, i, text, -1, SQLITE_TRANSIENT);
        }
    }
  va_end (args);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    g_error ("%s: %s", sql, sqlite3_errmsg (handle));
  sqlite3_finalize (stmt);
}

/* An open ticket as the engine would leave it, written directly: a called or serving ticket
 * is in @window's hands; a returned one has no open visit, since it waits for its citizen. */
static gint64
insert_ticket (Fixture    *fixture,
               const char *number,
               const char *service,
               const char *step,
               const char *state,
               const char *window)
{
  g_autofree char *day = ow_clock_day (fixture->clock, ow_clock_now (fixture->clock));
  g_autofree char *prefix = g_strndup (number, 1);
  g_autofree char *token = g_strdup_printf ("token-%s", number);
  gboolean returned = g_str_equal (state, "returned");
  gint64 now = ow_clock_now (fixture->clock);
  gint64 id;

  run_bound (fixture,
             "INSERT INTO tickets (day, prefix, seq, number, token, service, state, step, window,"
             " place, issued_at, queued_at, called_at)"
             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?10,"
             " CASE WHEN ?9 IS NULL THEN NULL ELSE ?10 END)",
             "s", day, "s", prefix, "i", g_ascii_strtoll (number + 1, NULL, 10), "s", number,
             "s", token, "s", service, "s", state, "s", step, "s", window, "i", now);
  id = sqlite3_last_insert_rowid (ow_db_get_handle (fixture->db));

  run_bound (fixture,
             "INSERT INTO visits (ticket, step, day, queued_at, called_at, window, ended_at,"
             " outcome)"
             " VALUES (?1, ?2, ?3, ?4, CASE WHEN ?5 IS NULL THEN NULL ELSE ?4 END, ?5,"
             " CASE WHEN ?6 IS NULL THEN NULL ELSE ?4 END, ?6)",
             "i", id, "s", step, "s", day, "i", now, "s", window,
             "s", returned ? "returned" : NULL);
  run_bound (fixture, "UPDATE tickets SET visit = last_insert_rowid () WHERE id = ?1", "i", id);

  if (window != NULL)
    run_bound (fixture, "UPDATE windows SET ticket = ?1 WHERE id = ?2", "i", id, "s", window);
  return id;
}

static char *
ticket_column (Fixture    *fixture,
               gint64      id,
               const char *column)
{
  g_autofree char *sql = g_strdup_printf ("SELECT %s FROM tickets WHERE id = %" G_GINT64_FORMAT,
                                          column, id);

  return query_text (fixture, sql);
}

static void
assert_open_visit (Fixture    *fixture,
                   gint64      id,
                   const char *step,
                   gint64      queued_at)
{
  g_autofree char *sql = g_strdup_printf ("SELECT step || '@' || queued_at FROM visits"
                                          " WHERE ticket = %" G_GINT64_FORMAT
                                          " AND ended_at IS NULL", id);
  g_autofree char *count_sql = g_strdup_printf ("SELECT count(*) FROM visits WHERE ticket = %"
                                                G_GINT64_FORMAT " AND ended_at IS NULL", id);
  g_autofree char *expected = g_strdup_printf ("%s@%" G_GINT64_FORMAT, step, queued_at);
  g_autofree char *actual = query_text (fixture, sql);

  g_assert_cmpint (query_int (fixture, count_sql), ==, 1);
  g_assert_cmpstr (actual, ==, expected);
}

static char *
event_details (Fixture    *fixture,
               gint64      ticket_id,
               const char *action)
{
  g_autofree char *sql = g_strdup_printf ("SELECT details FROM events WHERE ticket_id = %"
                                          G_GINT64_FORMAT " AND action = '%s'", ticket_id, action);

  return query_text (fixture, sql);
}

#define UNTOUCHED_COLUMNS \
  "quote (state) || quote (step) || quote (window) || quote (queued_at) || quote (called_at)"

static void
test_reimport_moves_tickets (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *renamed = NULL;
  g_autofree char *shortened = NULL;
  g_autofree char *text = NULL;
  g_autofree char *state = NULL;
  g_autofree char *step = NULL;
  g_autofree char *details = NULL;
  g_autofree char *ticket_no = NULL;
  g_autofree char *untouched_before = NULL;
  g_autofree char *untouched_after = NULL;
  g_autofree char *returned_state = NULL;
  g_autofree char *returned_step = NULL;
  gint64 waiting, called, returned, untouched;
  gint64 now;

  first = import_text (fixture, "first.json", base_catalog);

  waiting = insert_ticket (fixture, "A001", "biz-reg", "biz-reg/accept", "waiting", NULL);
  called = insert_ticket (fixture, "A002", "biz-reg", "biz-reg/issue", "called", "w2");
  returned = insert_ticket (fixture, "A003", "biz-reg", "biz-reg/accept", "returned", NULL);
  untouched = insert_ticket (fixture, "A004", "biz-reg", "biz-reg/review", "waiting", NULL);
  untouched_before = ticket_column (fixture, untouched, UNTOUCHED_COLUMNS);

  /* biz-reg/accept becomes biz-reg/check at the same place; biz-reg/issue goes away. */
  renamed = replace_all (base_catalog, "biz-reg/accept", "biz-reg/check");
  shortened = replace_once (renamed,
                            ",\n    {\"id\": \"biz-reg/issue\", \"name\": {\"zh_CN\": \"发照\","
                            " \"en\": \"Issuance\"}, \"limit_minutes\": 10}", "");
  text = replace_once (shortened, ", \"biz-reg/issue\"]", "]");

  ow_clock_advance (fixture->clock, 5 * 60 * G_USEC_PER_SEC);
  now = ow_clock_now (fixture->clock);
  second = import_text (fixture, "second.json", text);
  g_assert_cmpint (json_object_get_int_member (second, "retired"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (second, "moved"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (second, "steps"), ==, 3);
  g_assert_cmpint (query_int (fixture,
                              "SELECT count(*) FROM steps WHERE active = 0"
                              " AND id IN ('biz-reg/accept', 'biz-reg/issue')"), ==, 2);

  /* The waiting ticket moved to the step now at the same position. */
  state = ticket_column (fixture, waiting, "state");
  step = ticket_column (fixture, waiting, "step");
  g_assert_cmpstr (state, ==, "waiting");
  g_assert_cmpstr (step, ==, "biz-reg/check");
  g_clear_pointer (&step, g_free);
  step = ticket_column (fixture, waiting, "queued_at");
  g_assert_cmpint (g_ascii_strtoll (step, NULL, 10), ==, now);
  assert_open_visit (fixture, waiting, "biz-reg/check", now);
  g_assert_cmpint (query_int (fixture,
                              "SELECT count(*) FROM visits v JOIN tickets t ON t.id = v.ticket"
                              " WHERE t.number = 'A001' AND v.step = 'biz-reg/accept'"
                              " AND v.outcome = 'transferred' AND v.ended_at IS NOT NULL"), ==, 1);
  details = event_details (fixture, waiting, "catalog_moved");
  g_assert_nonnull (details);
  g_assert_true (g_str_has_prefix (details, "{\"from_step\":\"biz-reg/accept\","
                                            "\"to_step\":\"biz-reg/check\""));
  g_clear_pointer (&details, g_free);
  ticket_no = query_text (fixture, "SELECT ticket FROM events WHERE action = 'catalog_moved'"
                                   " ORDER BY seq LIMIT 1");
  g_assert_cmpstr (ticket_no, ==, "A001");

  /* The called ticket's flow got shorter: it goes to the last step, out of the window's hands. */
  g_clear_pointer (&state, g_free);
  g_clear_pointer (&step, g_free);
  state = ticket_column (fixture, called, "state");
  step = ticket_column (fixture, called, "step");
  g_assert_cmpstr (state, ==, "waiting");
  g_assert_cmpstr (step, ==, "biz-reg/check");
  g_clear_pointer (&step, g_free);
  step = ticket_column (fixture, called,
                        "coalesce (window, 'none') || coalesce (called_at, 'none')");
  g_assert_cmpstr (step, ==, "nonenone");
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM windows WHERE ticket NOT NULL"),
                   ==, 0);
  assert_open_visit (fixture, called, "biz-reg/check", now);
  details = event_details (fixture, called, "catalog_moved");
  g_assert_true (g_str_has_prefix (details, "{\"from_step\":\"biz-reg/issue\","
                                            "\"to_step\":\"biz-reg/check\""));
  g_clear_pointer (&details, g_free);

  /* A returned ticket keeps waiting for its citizen, now at the new step. */
  returned_state = ticket_column (fixture, returned, "state");
  returned_step = ticket_column (fixture, returned, "step");
  g_assert_cmpstr (returned_state, ==, "returned");
  g_assert_cmpstr (returned_step, ==, "biz-reg/check");
  details = event_details (fixture, returned, "catalog_moved");
  g_assert_nonnull (details);
  g_clear_pointer (&details, g_free);

  /* A ticket at a step that stays is left alone. */
  untouched_after = ticket_column (fixture, untouched, UNTOUCHED_COLUMNS);
  g_assert_cmpstr (untouched_before, ==, untouched_after);
  details = event_details (fixture, untouched, "catalog_moved");
  g_assert_null (details);

  g_assert_cmpint (query_int (fixture,
                              "SELECT count(*) FROM events WHERE action = 'catalog_import'"),
                   ==, 2);
  g_assert_cmpint (query_int (fixture, "SELECT action = 'catalog_import' FROM events"
                                       " ORDER BY seq DESC LIMIT 1"), ==, 1);
  assert_audit_ok (fixture);
}

static void
test_reimport_cancels_tickets (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *without_service = NULL;
  g_autofree char *text = NULL;
  g_autofree char *state = NULL;
  g_autofree char *ended = NULL;
  g_autofree char *details = NULL;
  g_autofree char *outcome = NULL;
  gint64 id;
  gint64 now;

  first = import_text (fixture, "first.json", base_catalog);
  id = insert_ticket (fixture, "B001", "stats-report", "stats-report/review", "called", "w1");

  /* The whole stats-report service goes, and window 1 no longer lists its step. */
  without_service = cut (base_catalog, ",\n  {\"code\": \"stats-report\"", "\n ],\n \"windows\"");
  text = replace_once (without_service, ", \"stats-report/review\"]", "]");

  ow_clock_advance (fixture->clock, 60 * G_USEC_PER_SEC);
  now = ow_clock_now (fixture->clock);
  second = import_text (fixture, "second.json", text);
  g_assert_cmpint (json_object_get_int_member (second, "services"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (second, "retired"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (second, "moved"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (second, "cancelled"), ==, 1);

  state = ticket_column (fixture, id, "state");
  g_assert_cmpstr (state, ==, "cancelled");
  ended = ticket_column (fixture, id, "ended_at");
  g_assert_cmpint (g_ascii_strtoll (ended, NULL, 10), ==, now);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM windows WHERE ticket NOT NULL"),
                   ==, 0);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM visits WHERE ended_at IS NULL"),
                   ==, 0);
  outcome = query_text (fixture, "SELECT outcome FROM visits WHERE step = 'stats-report/review'");
  g_assert_cmpstr (outcome, ==, "cancelled");
  details = event_details (fixture, id, "cancel");
  g_assert_cmpstr (details, ==, "{\"reason\":\"catalogue: service removed\"}");

  /* The retired rows are still there for the history that points at them. */
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM services WHERE code = 'stats-report'"
                                       " AND active = 0"), ==, 1);
  assert_audit_ok (fixture);
}

#define TARGET_COLUMNS "state || '/' || step || '/' || coalesce (target_window, '-')"

/* A window that goes away hands its ticket back to the step's queue. */
static void
test_reimport_retired_window (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *text = NULL;
  g_autofree char *state = NULL;
  g_autofree char *details = NULL;
  g_autofree char *paused = NULL;
  gint64 queued_at = ow_clock_now (fixture->clock);
  gint64 id, to_w2, to_w1;

  first = import_text (fixture, "first.json", base_catalog);
  id = insert_ticket (fixture, "A001", "biz-reg", "biz-reg/accept", "serving", "w2");
  to_w2 = insert_ticket (fixture, "A002", "biz-reg", "biz-reg/issue", "waiting", NULL);
  to_w1 = insert_ticket (fixture, "A003", "biz-reg", "biz-reg/issue", "waiting", NULL);
  run_bound (fixture, "UPDATE tickets SET target_window = ?2 WHERE id = ?1", "i", to_w2, "s", "w2");
  run_bound (fixture, "UPDATE tickets SET target_window = ?2 WHERE id = ?1", "i", to_w1, "s", "w1");
  exec_sql (fixture, "UPDATE windows SET paused = 1, pause_reason = 'lunch', staff = 's1'"
                     " WHERE id = 'w1'");

  text = replace_once (base_catalog, "{\"id\": \"w2\", \"number\": 2",
                       "{\"id\": \"w9\", \"number\": 9");
  ow_clock_advance (fixture->clock, 60 * G_USEC_PER_SEC);
  second = import_text (fixture, "second.json", text);
  g_assert_cmpint (json_object_get_int_member (second, "retired"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (second, "moved"), ==, 2);

  state = ticket_column (fixture, id, "state || '/' || step || '/' || coalesce (window, '-')");
  g_assert_cmpstr (state, ==, "waiting/biz-reg/accept/-");
  assert_open_visit (fixture, id, "biz-reg/accept", ow_clock_now (fixture->clock));
  details = event_details (fixture, id, "catalog_moved");
  g_assert_nonnull (strstr (details, "window removed"));

  /* A ticket sent to the retired window waits in its step's common queue, its visit (and so
   * its measured wait) unbroken; one sent to a window that stays keeps its target, even though
   * that window does not list the step, as a transfer to a window allows. */
  g_clear_pointer (&state, g_free);
  state = ticket_column (fixture, to_w2, TARGET_COLUMNS);
  g_assert_cmpstr (state, ==, "waiting/biz-reg/issue/-");
  assert_open_visit (fixture, to_w2, "biz-reg/issue", queued_at);
  g_clear_pointer (&details, g_free);
  details = event_details (fixture, to_w2, "catalog_moved");
  g_assert_nonnull (strstr (details, "target window removed"));
  g_clear_pointer (&state, g_free);
  state = ticket_column (fixture, to_w1, TARGET_COLUMNS);
  g_assert_cmpstr (state, ==, "waiting/biz-reg/issue/w1");
  g_clear_pointer (&details, g_free);
  details = event_details (fixture, to_w1, "catalog_moved");
  g_assert_null (details);

  /* The state of a window that stays is not the catalogue's business. */
  paused = query_text (fixture,
                       "SELECT paused || pause_reason || staff FROM windows WHERE id = 'w1'");
  g_assert_cmpstr (paused, ==, "1lunchs1");
  assert_audit_ok (fixture);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/ow/catalog/demo", test_demo);
  ADD ("/ow/catalog/round-trip", test_round_trip);
  ADD ("/ow/catalog/extra-keys", test_extra_keys);
  ADD ("/ow/catalog/defaults", test_defaults);
  ADD ("/ow/catalog/one-event-per-import", test_one_event_per_import);
  ADD ("/ow/catalog/reject/unreadable", test_reject_unreadable);
  ADD ("/ow/catalog/reimport/moves-tickets", test_reimport_moves_tickets);
  ADD ("/ow/catalog/reimport/cancels-tickets", test_reimport_cancels_tickets);
  ADD ("/ow/catalog/reimport/retired-window", test_reimport_retired_window);
#undef ADD

  for (guint i = 0; i < G_N_ELEMENTS (rejections); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ow/catalog/reject/%s", rejections[i].name);

      g_test_add (path, Fixture, &rejections[i], fixture_set_up, test_reject, fixture_tear_down);
    }

  return g_test_run ();
}
