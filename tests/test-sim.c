/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "ow-core.h"

static char *
to_text (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return json_to_string (node, FALSE);
}

static JsonObject *
run (const OwSimParams *params)
{
  g_autoptr(GError) error = NULL;
  JsonObject *result = ow_sim_run (params, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

/* Erlang C by hand for c = 2, lambda = 1/s, mu = 0.6/s: a = 5/3, rho = a/2 = 5/6.  For two
 * servers P(wait) = 2 rho^2 / (1 + rho) = (50/36) / (11/6) = 25/33, and
 * Wq = P(wait) / (c mu - lambda) = (25/33) / 0.2 = 125/33 = 3.7878... s.
 * For one server (M/M/1) Wq = rho / (mu - lambda): lambda = 0.5, mu = 1 gives 1 s. */
static void
test_erlang_textbook (void)
{
  g_assert_cmpfloat_with_epsilon (ow_sim_erlang_c_wait (2, 1.0, 0.6), 125.0 / 33.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (ow_sim_erlang_c_wait (1, 0.5, 1.0), 1.0, 1e-12);
  /* M/M/3 with a = 2 (lambda 2, mu 1): C = (8/6 * 3) / (1 + 2 + 2 + 4) = 4/9, Wq = (4/9) / 1. */
  g_assert_cmpfloat_with_epsilon (ow_sim_erlang_c_wait (3, 2.0, 1.0), 4.0 / 9.0, 1e-12);
  g_assert_cmpfloat (ow_sim_erlang_c_wait (4, 0.0, 1.0), ==, 0.0);
  g_assert_true (isinf (ow_sim_erlang_c_wait (2, 2.0, 1.0)));
  g_assert_true (isinf (ow_sim_erlang_c_wait (0, 1.0, 1.0)));
  /* Large halls stay finite and sensible: the recurrence never forms a^c or c!. */
  g_assert_true (isfinite (ow_sim_erlang_c_wait (500, 490.0, 1.0)));
  g_assert_cmpfloat (ow_sim_erlang_c_wait (500, 490.0, 1.0), >, 0.0);
}

static void
test_same_seed (void)
{
  OwSimParams params = {
    .windows = 3, .arrivals_per_hour = 40, .service_minutes = 4, .hours = 2, .seed = 7,
  };
  g_autoptr(JsonObject) first = run (&params);
  g_autoptr(JsonObject) second = run (&params);
  g_autoptr(JsonObject) other = NULL;
  g_autofree char *first_text = to_text (first);
  g_autofree char *second_text = to_text (second);
  g_autofree char *other_text = NULL;

  g_assert_cmpstr (first_text, ==, second_text);
  g_assert_cmpint (json_object_get_int_member (first, "seed"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (first, "windows"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (first, "served"), >, 40);

  /* The seed's high half counts too. */
  params.seed = 7 + (G_GUINT64_CONSTANT (1) << 32);
  other = run (&params);
  other_text = to_text (other);
  g_assert_cmpstr (first_text, !=, other_text);
}

/* M/M/c against Erlang C.
 *
 * The mean wait of one finite run is a noisy estimate: the waits of neighbouring customers
 * are strongly correlated, so with 3,000 customers at 70-75% load its relative standard
 * deviation is 19% (3 windows) to 34% (10 windows), measured over 300 independent
 * replications of an ideal FCFS M/M/c queue with the same design.  Pooling the five runs
 * below (15,000 customers, what the engine serves in a few seconds) brings the standard
 * deviation of the pooled relative error down to 12% for the mean wait and 4.6% for the
 * share of customers who had to wait, C(c, a).  A 15% tolerance on the mean wait would need
 * about 100,000 customers; the tolerances here are three standard deviations, which still
 * catch what this test exists for: a wrong queue discipline, idle windows while people wait,
 * or waits timed from the wrong moment.  The realised load varies by about sqrt(2/N) = 2.6%
 * per run, 1.2% pooled.  The seeds are fixed, so the outcome does not change between runs. */
static void
test_erlang_agreement (void)
{
  static const struct
  {
    guint  windows;
    double load;          /* lambda / (c mu) */
    double customers;
  } runs[] = {
    { 3, 0.70, 3000 },
    { 4, 0.70, 3000 },
    { 6, 0.75, 3000 },
    { 8, 0.75, 3000 },
    { 10, 0.75, 3000 },
  };
  double wait_error = 0, share_error = 0, utilisation = 0, load = 0;
  gint64 served = 0;

  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      /* One-minute services keep several thousand customers inside one hall day. */
      double mu = 1.0 / 60.0;
      double lambda = runs[i].load * runs[i].windows * mu;
      OwSimParams params = {
        .windows = runs[i].windows,
        .arrivals_per_hour = lambda * 3600,
        .service_minutes = 1,
        .hours = runs[i].customers / (lambda * 3600),
        .seed = 20260302 + i,
      };
      g_autoptr(JsonObject) result = run (&params);
      double expected = ow_sim_erlang_c_wait (runs[i].windows, lambda, mu);
      double expected_share = expected * (runs[i].windows * mu - lambda);
      double wait = json_object_get_double_member (result, "mean_wait_s");
      double share = json_object_get_double_member (result, "p_wait");
      double used = json_object_get_double_member (result, "utilisation");

      g_test_message ("c=%u load=%.2f: served %" G_GINT64_FORMAT ", wait %.1f s (Erlang C %.1f),"
                      " waited %.3f (C %.3f), utilisation %.3f",
                      runs[i].windows, runs[i].load, json_object_get_int_member (result, "served"),
                      wait, expected, share, expected_share, used);

      g_assert_cmpint (json_object_get_int_member (result, "served"), ==,
                       json_object_get_int_member (result, "arrivals"));
      g_assert_cmpint (json_object_get_int_member (result, "turned_away"), ==, 0);
      /* Single runs: four standard deviations of the realised load. */
      g_assert_cmpfloat (fabs (used / runs[i].load - 1), <, 0.105);

      served += json_object_get_int_member (result, "served");
      wait_error += (wait / expected - 1) / G_N_ELEMENTS (runs);
      share_error += (share / expected_share - 1) / G_N_ELEMENTS (runs);
      utilisation += used / G_N_ELEMENTS (runs);
      load += runs[i].load / G_N_ELEMENTS (runs);
    }

  g_test_message ("pooled: %" G_GINT64_FORMAT " customers, wait error %+.1f%%, waited share"
                  " error %+.1f%%, utilisation %.3f for load %.3f",
                  served, wait_error * 100, share_error * 100, utilisation, load);
  g_assert_cmpint (served, >, 14000);
  g_assert_cmpfloat (fabs (wait_error), <, 0.36);
  g_assert_cmpfloat (fabs (share_error), <, 0.14);
  g_assert_cmpfloat (fabs (utilisation / load - 1), <, 0.036);
}

/* Lognormal service times with the same mean: the load is the same, and the waits are
 * shorter than with exponential times (their squared coefficient of variation is
 * e^0.25 - 1 = 0.28 instead of 1; the Allen-Cunneen approximation puts the mean wait at
 * (1 + 0.28) / 2 = 64% of the M/M/c one). */
static void
test_lognormal (void)
{
  OwSimParams params = {
    .windows = 4, .arrivals_per_hour = 180, .service_minutes = 1, .hours = 8, .seed = 11,
    .dist = OW_SIM_DIST_LOGNORMAL,
  };
  g_autoptr(JsonObject) result = run (&params);
  double mm_c = ow_sim_erlang_c_wait (4, 180.0 / 3600, 1.0 / 60);
  double wait = json_object_get_double_member (result, "mean_wait_s");
  double p90 = json_object_get_double_member (result, "p90_wait_s");
  double used = json_object_get_double_member (result, "utilisation");

  g_test_message ("lognormal: served %" G_GINT64_FORMAT ", wait %.1f s (M/M/c %.1f s),"
                  " p90 %.1f s, utilisation %.3f",
                  json_object_get_int_member (result, "served"), wait, mm_c, p90, used);
  g_assert_cmpstr (json_object_get_string_member (result, "distribution"), ==, "lognormal");
  g_assert_cmpint (json_object_get_int_member (result, "served"), ==,
                   json_object_get_int_member (result, "arrivals"));
  g_assert_cmpint (json_object_get_int_member (result, "served"), >, 1200);
  /* About 1,440 customers: the load is known to 4% (1 sd), so 10% flags a wrong mean. */
  g_assert_cmpfloat (fabs (used / 0.75 - 1), <, 0.10);
  g_assert_cmpfloat (wait, >, 0.0);
  g_assert_cmpfloat (wait, <, 1.5 * mm_c);
  g_assert_cmpfloat (p90, >=, wait);
  g_assert_cmpint (json_object_get_int_member (result, "max_queue"), >, 0);
}

/* The demo hall: many services and multi-step flows; everyone who got a ticket is served. */
static void
test_catalog (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "db", "demo-catalog.json",
                                                 NULL);
  OwSimParams params = {
    .arrivals_per_hour = 30, .service_minutes = 2, .hours = 9, .seed = 3,
    .catalog_path = path,
  };
  g_autoptr(JsonObject) result = run (&params);
  gint64 arrivals = json_object_get_int_member (result, "arrivals");
  gint64 served = json_object_get_int_member (result, "served");
  gint64 turned_away = json_object_get_int_member (result, "turned_away");

  g_test_message ("demo hall: %" G_GINT64_FORMAT " arrivals, %" G_GINT64_FORMAT " served,"
                  " %" G_GINT64_FORMAT " turned away, %" G_GINT64_FORMAT " steps, wait %.1f s",
                  arrivals, served, turned_away,
                  json_object_get_int_member (result, "steps_served"),
                  json_object_get_double_member (result, "mean_wait_s"));
  g_assert_cmpint (json_object_get_int_member (result, "windows"), ==, 10);
  g_assert_cmpint (arrivals, >, 200);
  g_assert_cmpint (served, >, 150);
  g_assert_cmpint (served + turned_away, ==, arrivals);
  /* The lunch break (12:00-13:30 for most services) and the evening turn some away. */
  g_assert_cmpint (turned_away, >, 0);
  /* Most of the demo services have two or more steps. */
  g_assert_cmpint (json_object_get_int_member (result, "steps_served"), >, served * 3 / 2);
}

/* The simulator's own timing agrees with what the engine recorded in its statistics. */
static void
test_statistics (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ow-test-sim-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(OwDb) db = NULL;
  g_autoptr(OwClock) clock = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(JsonObject) stats = NULL;
  g_autoptr(GTimeZone) zone = g_time_zone_new_local ();
  g_autoptr(GDateTime) noon = g_date_time_new (zone, 2026, 3, 2, 12, 0, 0);
  OwSimParams params = {
    .windows = 3, .arrivals_per_hour = 120, .service_minutes = 1.2, .hours = 3, .seed = 5,
  };
  JsonObject *wait;
  JsonObject *step;

  g_assert_no_error (error);
  path = g_build_filename (dir, "sim.db", NULL);
  params.db_path = path;
  result = run (&params);

  /* A second run would mix its tickets with the first's. */
  {
    g_autoptr(GError) again_error = NULL;
    g_autoptr(JsonObject) again = ow_sim_run (&params, &again_error);

    g_assert_error (again_error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_assert_null (again);
  }

  db = ow_db_open (path, &error);
  g_assert_no_error (error);
  clock = ow_clock_new_virtual (g_date_time_to_unix (noon) * G_USEC_PER_SEC);
  stats = ow_stats_query (db, clock, NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpint (json_object_get_int_member (stats, "issued"), ==,
                   json_object_get_int_member (result, "arrivals"));
  g_assert_cmpint (json_object_get_int_member (stats, "served"), ==,
                   json_object_get_int_member (result, "served"));
  g_assert_cmpint (json_object_get_int_member (stats, "completed"), ==,
                   json_object_get_int_member (result, "served"));
  wait = json_object_get_object_member (stats, "wait");
  g_assert_cmpint (json_object_get_int_member (wait, "n"), ==,
                   json_object_get_int_member (result, "served"));
  /* The engine keeps whole seconds, cut down: its mean is up to a second lower. */
  g_assert_cmpfloat (json_object_get_double_member (wait, "mean_s"), <=,
                     json_object_get_double_member (result, "mean_wait_s"));
  g_assert_cmpfloat (json_object_get_double_member (wait, "mean_s"), >,
                     json_object_get_double_member (result, "mean_wait_s") - 1);
  step = json_array_get_object_element (json_object_get_array_member (stats, "steps"), 0);
  g_assert_cmpstr (json_object_get_string_member (step, "step"), ==, "sim/serve");
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (stats, "windows")), ==, 3);

  g_clear_object (&db);
  for (const char *suffix = ""; suffix != NULL;
       suffix = g_str_equal (suffix, "") ? "-wal" : g_str_equal (suffix, "-wal") ? "-shm" : NULL)
    {
      g_autofree char *file = g_strconcat (path, suffix, NULL);

      g_unlink (file);
    }
  g_rmdir (dir);
}

static void
test_bad_params (void)
{
  static const OwSimParams bad[] = {
    { .windows = 2, .arrivals_per_hour = 10, .service_minutes = 5, .hours = 24 },
    { .windows = 2, .arrivals_per_hour = 10, .service_minutes = 5, .hours = 0 },
    { .windows = 0, .arrivals_per_hour = 10, .service_minutes = 5, .hours = 1 },
    { .windows = 2, .arrivals_per_hour = -1, .service_minutes = 5, .hours = 1 },
    { .windows = 2, .arrivals_per_hour = 10, .service_minutes = 0, .hours = 1 },
    { .windows = 2, .arrivals_per_hour = NAN, .service_minutes = 5, .hours = 1 },
    /* The demo hall day starts at 08:00: 16 hours would run past midnight. */
    { .arrivals_per_hour = 10, .service_minutes = 5, .hours = 16, .catalog_path = "x.json" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) result = ow_sim_run (&bad[i], &error);

      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_null (result);
    }

  {
    g_autoptr(GError) error = NULL;
    OwSimParams missing = {
      .arrivals_per_hour = 10, .service_minutes = 5, .hours = 1,
      .catalog_path = "/nonexistent/catalog.json",
    };
    g_autoptr(JsonObject) result = ow_sim_run (&missing, &error);

    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_null (result);
  }
}

/* An overloaded hall cannot drain before midnight, when the day's tickets expire. */
static void
test_overload (void)
{
  g_autoptr(GError) error = NULL;
  OwSimParams params = {
    .windows = 1, .arrivals_per_hour = 40, .service_minutes = 3, .hours = 23.5, .seed = 1,
  };
  g_autoptr(JsonObject) result = ow_sim_run (&params, &error);

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "midnight"));
  g_assert_null (result);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ow/sim/erlang-c/textbook", test_erlang_textbook);
  g_test_add_func ("/ow/sim/same-seed", test_same_seed);
  g_test_add_func ("/ow/sim/erlang-c/agreement", test_erlang_agreement);
  g_test_add_func ("/ow/sim/lognormal", test_lognormal);
  g_test_add_func ("/ow/sim/catalog", test_catalog);
  g_test_add_func ("/ow/sim/statistics", test_statistics);
  g_test_add_func ("/ow/sim/bad-params", test_bad_params);
  g_test_add_func ("/ow/sim/overload", test_overload);

  return g_test_run ();
}
