/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-sim.h"

#include "ow-catalog.h"
#include "ow-clock.h"
#include "ow-db.h"
#include "ow-hall.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

/* A discrete-event simulation of the hall that drives the real engine (OwHall) on a virtual
 * clock: every arrival is a real ticket issue and every window a real sequence of call, start
 * and complete, so the figures it gives are those of the code that runs the hall.  The
 * simulator keeps its own bookkeeping of who waits where, only to know when a window has
 * something to call and to time the waits exactly (the engine's statistics round to whole
 * seconds). */

#define LOGNORMAL_SIGMA 0.5
/* Numbers restart and open tickets expire at midnight: arrivals must stop well before. */
#define MAX_END_HOUR 23.9
#define SINGLE_START_SECONDS 1          /* 00:00:01 */
#define CATALOG_START_SECONDS (8 * 3600) /* 08:00, when the demo hall's services open */
#define START_YEAR 2026
#define START_MONTH 3
#define START_DAY 2                     /* a Monday */

typedef struct
{
  char   *code;
  GArray *steps;       /* guint step indices, in flow order */
  GArray *hours;       /* int pairs: first minute, end minute (exclusive) */
} SimService;

typedef struct
{
  char       *id;
  GArray     *steps;   /* guint step indices the window serves */
  gboolean    busy;
  gint64      done_at;
  struct SimTicket *ticket;
} SimWindow;

typedef struct SimTicket
{
  char   *number;
  guint   service;
  guint   position;    /* index into the service's steps */
  gint64  queued_at;   /* entry into the current step's queue */
} SimTicket;

typedef struct
{
  GPtrArray  *services;   /* SimService */
  GPtrArray  *windows;    /* SimWindow */
  GHashTable *step_ids;   /* step id -> index + 1 */
  GArray     *waiting;    /* guint per step: tickets in that step's queue */
  GHashTable *tickets;    /* number -> SimTicket (owned) */
  GArray     *waits;      /* double seconds, one per call */
  gint64      waited;     /* calls that found the ticket waiting for more than an instant */
  GRand      *rand;
  OwHall     *hall;
  OwClock    *clock;
  const OwSimParams *params;
  guint       queue_len;
  guint       max_queue;
  gint64      busy_us;
  gint64      served;        /* tickets that finished their last step */
  gint64      steps_served;
  gint64      arrivals;
  gint64      turned_away;
} Sim;

static void
sim_service_free (gpointer data)
{
  SimService *service = data;

  g_free (service->code);
  g_array_unref (service->steps);
  g_array_unref (service->hours);
  g_free (service);
}

static void
sim_window_free (gpointer data)
{
  SimWindow *window = data;

  g_free (window->id);
  g_array_unref (window->steps);
  g_free (window);
}

static void
sim_ticket_free (gpointer data)
{
  SimTicket *ticket = data;

  g_free (ticket->number);
  g_free (ticket);
}

static void
sim_clear (Sim *sim)
{
  g_clear_pointer (&sim->services, g_ptr_array_unref);
  g_clear_pointer (&sim->windows, g_ptr_array_unref);
  g_clear_pointer (&sim->step_ids, g_hash_table_unref);
  g_clear_pointer (&sim->waiting, g_array_unref);
  g_clear_pointer (&sim->tickets, g_hash_table_unref);
  g_clear_pointer (&sim->waits, g_array_unref);
  g_clear_pointer (&sim->rand, g_rand_free);
  g_clear_object (&sim->hall);
  g_clear_object (&sim->clock);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Sim, sim_clear)

/* Erlang B by its recurrence B(k) = a B(k-1) / (k + a B(k-1)), which never overflows, then
 * C = c B / (c - a (1 - B)) and Wq = C / (c mu - lambda). */
double
ow_sim_erlang_c_wait (guint  servers,
                      double lambda,
                      double mu)
{
  double a, b = 1.0, c;

  g_return_val_if_fail (lambda >= 0 && mu > 0, NAN);

  if (lambda == 0)
    return 0;
  if (servers == 0 || lambda >= servers * mu)
    return INFINITY;

  a = lambda / mu;
  for (guint k = 1; k <= servers; k++)
    b = a * b / (k + a * b);
  c = servers * b / (servers - a * (1 - b));
  return c / (servers * mu - lambda);
}

static double
draw_exponential (GRand  *rand,
                  double  mean)
{
  /* 1 - U lies in (0, 1], so the logarithm is finite. */
  return -log (1.0 - g_rand_double (rand)) * mean;
}

static double
draw_normal (GRand *rand)
{
  /* Box-Muller; one of the pair is enough here. */
  double u = 1.0 - g_rand_double (rand);
  double v = g_rand_double (rand);

  return sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
}

static double
draw_service_seconds (Sim *sim)
{
  double mean = sim->params->service_minutes * 60.0;

  if (sim->params->dist == OW_SIM_DIST_LOGNORMAL)
    {
      /* E[exp(m + s Z)] = exp(m + s^2/2): choose m so the mean is the one asked for. */
      double m = log (mean) - LOGNORMAL_SIGMA * LOGNORMAL_SIGMA / 2.0;

      return exp (m + LOGNORMAL_SIGMA * draw_normal (sim->rand));
    }
  return draw_exponential (sim->rand, mean);
}

static gint64
seconds_to_us (double seconds)
{
  return (gint64) llround (seconds * G_USEC_PER_SEC);
}

/* The catalogue for one single-step service served by @windows identical windows. */
static char *
single_service_catalog (guint windows)
{
  g_autoptr(GString) json = g_string_new (NULL);

  g_string_append (json,
                   "{\"hall\": {\"name\": {\"zh_CN\": \"模拟大厅\", \"en\": \"Simulated hall\"}},"
                   " \"rules\": {\"no_show_limit\": 2},"
                   " \"departments\": [{\"id\": \"sim\","
                   " \"name\": {\"zh_CN\": \"模拟部门\", \"en\": \"Simulation\"}}],"
                   " \"documents\": [{\"id\": \"sim-id\","
                   " \"name\": {\"zh_CN\": \"身份证\", \"en\": \"ID card\"}}],"
                   " \"services\": [{\"code\": \"sim\", \"prefix\": \"S\", \"department\": \"sim\","
                   " \"name\": {\"zh_CN\": \"模拟事项\", \"en\": \"Simulated service\"},"
                   " \"daily_cap\": 9999, \"hours\": [\"00:00-24:00\"], \"green_channel\": false,"
                   " \"documents\": [\"sim-id\"],"
                   " \"steps\": [{\"id\": \"sim/serve\","
                   " \"name\": {\"zh_CN\": \"办理\", \"en\": \"Service\"}, \"limit_minutes\": 15}]}],"
                   " \"windows\": [");
  for (guint i = 1; i <= windows; i++)
    g_string_append_printf (json,
                            "%s{\"id\": \"w%u\", \"number\": %u,"
                            " \"name\": {\"zh_CN\": \"%u号窗口\", \"en\": \"Window %u\"},"
                            " \"steps\": [\"sim/serve\"]}",
                            i > 1 ? ", " : "", i, i, i, i);
  g_string_append (json, "]}");
  return g_string_free (g_steal_pointer (&json), FALSE);
}

static gboolean
parse_minute (const char *text,
              int        *minute)
{
  int h, m;

  if (strlen (text) != 5 || text[2] != ':' || !g_ascii_isdigit (text[0]) ||
      !g_ascii_isdigit (text[1]) || !g_ascii_isdigit (text[3]) || !g_ascii_isdigit (text[4]))
    return FALSE;
  h = (text[0] - '0') * 10 + (text[1] - '0');
  m = (text[3] - '0') * 10 + (text[4] - '0');
  if (m > 59 || h * 60 + m > 24 * 60)
    return FALSE;
  *minute = h * 60 + m;
  return TRUE;
}

static guint
step_index (Sim        *sim,
            const char *id)
{
  gpointer value;

  if (g_hash_table_lookup_extended (sim->step_ids, id, NULL, &value))
    return GPOINTER_TO_UINT (value) - 1;

  value = GUINT_TO_POINTER (g_hash_table_size (sim->step_ids) + 1);
  g_hash_table_insert (sim->step_ids, g_strdup (id), value);
  g_array_set_size (sim->waiting, GPOINTER_TO_UINT (value));
  return GPOINTER_TO_UINT (value) - 1;
}

/* The simulator's own model of the catalogue: flows, hours, and who serves what.  Read from
 * the very text the engine imported (and validated), so the two cannot disagree. */
static gboolean
sim_load_model (Sim         *sim,
                const char  *data,
                gsize        length,
                GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonArray *services;
  JsonArray *windows;

  if (!json_parser_load_from_data (parser, data, length, error))
    return FALSE;
  root = json_node_get_object (json_parser_get_root (parser));
  services = json_object_get_array_member (root, "services");
  windows = json_object_get_array_member (root, "windows");

  for (guint i = 0; i < json_array_get_length (services); i++)
    {
      JsonObject *object = json_array_get_object_element (services, i);
      JsonArray *steps = json_object_get_array_member (object, "steps");
      JsonArray *hours = json_object_get_array_member (object, "hours");
      SimService *service = g_new0 (SimService, 1);

      service->code = g_strdup (json_object_get_string_member (object, "code"));
      service->steps = g_array_new (FALSE, FALSE, sizeof (guint));
      service->hours = g_array_new (FALSE, FALSE, sizeof (int));
      g_ptr_array_add (sim->services, service);

      for (guint j = 0; j < json_array_get_length (steps); j++)
        {
          JsonObject *step = json_array_get_object_element (steps, j);
          guint index = step_index (sim, json_object_get_string_member (step, "id"));

          g_array_append_val (service->steps, index);
        }
      for (guint j = 0; j < json_array_get_length (hours); j++)
        {
          const char *range = json_array_get_string_element (hours, j);
          g_auto(GStrv) ends = g_strsplit (range, "-", 2);
          int first, end;

          if (g_strv_length (ends) != 2 || !parse_minute (ends[0], &first) ||
              !parse_minute (ends[1], &end))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           /* Translators: a service code and a time range such as "08:30-12:00". */
                           _("service %s: cannot read the hours '%s'"), service->code, range);
              return FALSE;
            }
          g_array_append_val (service->hours, first);
          g_array_append_val (service->hours, end);
        }
      if (service->steps->len == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("service %s has no steps"), service->code);
          return FALSE;
        }
    }

  for (guint i = 0; i < json_array_get_length (windows); i++)
    {
      JsonObject *object = json_array_get_object_element (windows, i);
      JsonArray *steps = json_object_get_array_member (object, "steps");
      SimWindow *window = g_new0 (SimWindow, 1);

      window->id = g_strdup (json_object_get_string_member (object, "id"));
      window->steps = g_array_new (FALSE, FALSE, sizeof (guint));
      g_ptr_array_add (sim->windows, window);
      for (guint j = 0; j < json_array_get_length (steps); j++)
        {
          guint index = step_index (sim, json_array_get_string_element (steps, j));

          g_array_append_val (window->steps, index);
        }
    }

  if (sim->windows->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("the catalogue has no windows"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
service_is_open (const SimService *service,
                 int               minute)
{
  for (guint i = 0; i + 1 < service->hours->len; i += 2)
    if (minute >= g_array_index (service->hours, int, i) &&
        minute < g_array_index (service->hours, int, i + 1))
      return TRUE;
  return FALSE;
}

static const char *
ticket_number (JsonObject  *ticket,
               GError     **error)
{
  const char *number = NULL;

  if (ticket != NULL && json_object_has_member (ticket, "number"))
    number = json_object_get_string_member (ticket, "number");
  if (number == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 _("the engine returned a ticket without a number"));
  return number;
}

static void
enqueue (Sim       *sim,
         SimTicket *ticket,
         gint64     now)
{
  const SimService *service = g_ptr_array_index (sim->services, ticket->service);
  guint step = g_array_index (service->steps, guint, ticket->position);

  ticket->queued_at = now;
  g_array_index (sim->waiting, guint, step)++;
  sim->queue_len++;
  sim->max_queue = MAX (sim->max_queue, sim->queue_len);
}

static gboolean
sim_arrival (Sim     *sim,
             gint64   now,
             GError **error)
{
  static const OwActor kiosk = { "device:sim-kiosk", "sim" };
  g_autoptr(GArray) open = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(JsonObject) issued = NULL;
  g_autoptr(GError) local_error = NULL;
  const SimService *service;
  SimTicket *ticket;
  const char *number;
  int minute;
  guint choice;

  sim->arrivals++;
  minute = ow_clock_minute_of_day (sim->clock, now);
  for (guint i = 0; i < sim->services->len; i++)
    if (service_is_open (g_ptr_array_index (sim->services, i), minute))
      g_array_append_val (open, i);
  if (open->len == 0)
    {
      sim->turned_away++;
      return TRUE;
    }

  choice = g_array_index (open, guint, g_rand_int_range (sim->rand, 0, open->len));
  service = g_ptr_array_index (sim->services, choice);
  issued = ow_hall_issue_ticket (sim->hall, &kiosk, service->code, FALSE, NULL, &local_error);
  if (issued == NULL)
    {
      /* A citizen who finds the service closed or its tickets gone goes home. */
      if (g_error_matches (local_error, OW_HALL_ERROR, OW_HALL_ERROR_CLOSED) ||
          g_error_matches (local_error, OW_HALL_ERROR, OW_HALL_ERROR_CAP_REACHED))
        {
          sim->turned_away++;
          return TRUE;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  number = ticket_number (issued, error);
  if (number == NULL)
    return FALSE;
  ticket = g_new0 (SimTicket, 1);
  ticket->number = g_strdup (number);
  ticket->service = choice;
  g_hash_table_replace (sim->tickets, ticket->number, ticket);
  enqueue (sim, ticket, now);
  return TRUE;
}

static gboolean
window_has_work (Sim             *sim,
                 const SimWindow *window)
{
  for (guint i = 0; i < window->steps->len; i++)
    if (g_array_index (sim->waiting, guint, g_array_index (window->steps, guint, i)) > 0)
      return TRUE;
  return FALSE;
}

static gboolean
window_serves (const SimWindow *window,
               guint            step)
{
  for (guint i = 0; i < window->steps->len; i++)
    if (g_array_index (window->steps, guint, i) == step)
      return TRUE;
  return FALSE;
}

/* An idle window with someone to serve calls, and the citizen starts at once. */
static gboolean
sim_call (Sim       *sim,
          SimWindow *window,
          gint64     now,
          GError   **error)
{
  static const OwActor counter = { "device:sim-counter", "sim" };
  g_autoptr(JsonObject) called = NULL;
  g_autoptr(JsonObject) started = NULL;
  const SimService *service;
  SimTicket *ticket;
  JsonObject *ticket_object = NULL;
  const char *number;
  double wait;
  guint step;

  called = ow_hall_window_act (sim->hall, &counter, window->id, OW_WINDOW_CALL, NULL, error);
  if (called == NULL)
    return FALSE;
  if (json_object_has_member (called, "ticket") &&
      !JSON_NODE_HOLDS_NULL (json_object_get_member (called, "ticket")))
    ticket_object = json_object_get_object_member (called, "ticket");
  if (ticket_object == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("window %s called nobody although a ticket waits for it"), window->id);
      return FALSE;
    }
  number = ticket_number (ticket_object, error);
  if (number == NULL)
    return FALSE;
  ticket = g_hash_table_lookup (sim->tickets, number);
  if (ticket == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("window %s called %s, which is not waiting"), window->id, number);
      return FALSE;
    }
  service = g_ptr_array_index (sim->services, ticket->service);
  step = g_array_index (service->steps, guint, ticket->position);
  if (!window_serves (window, step) || g_array_index (sim->waiting, guint, step) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("window %s called %s for a step it does not serve"), window->id, number);
      return FALSE;
    }

  g_array_index (sim->waiting, guint, step)--;
  sim->queue_len--;
  wait = (double) (now - ticket->queued_at) / G_USEC_PER_SEC;
  g_array_append_val (sim->waits, wait);
  if (now > ticket->queued_at)
    sim->waited++;

  started = ow_hall_window_act (sim->hall, &counter, window->id, OW_WINDOW_START, NULL, error);
  if (started == NULL)
    return FALSE;

  window->busy = TRUE;
  window->ticket = ticket;
  window->done_at = now + seconds_to_us (draw_service_seconds (sim));
  sim->busy_us += window->done_at - now;
  return TRUE;
}

static gboolean
sim_complete (Sim       *sim,
              SimWindow *window,
              gint64     now,
              GError   **error)
{
  static const OwActor counter = { "device:sim-counter", "sim" };
  g_autoptr(JsonObject) completed = NULL;
  SimTicket *ticket = window->ticket;
  const SimService *service = g_ptr_array_index (sim->services, ticket->service);

  completed = ow_hall_window_act (sim->hall, &counter, window->id, OW_WINDOW_COMPLETE, NULL,
                                  error);
  if (completed == NULL)
    return FALSE;

  window->busy = FALSE;
  window->ticket = NULL;
  sim->steps_served++;

  /* The engine has moved the ticket on to its next step's queue, or finished it. */
  ticket->position++;
  if (ticket->position < service->steps->len)
    enqueue (sim, ticket, now);
  else
    {
      sim->served++;
      g_hash_table_remove (sim->tickets, ticket->number);
    }
  return TRUE;
}

static gint64
start_time_us (double offset_seconds)
{
  g_autoptr(GDateTime) midnight = g_date_time_new_local (START_YEAR, START_MONTH, START_DAY, 0, 0, 0);

  return g_date_time_to_unix (midnight) * G_USEC_PER_SEC + seconds_to_us (offset_seconds);
}

static gint64
next_midnight_us (void)
{
  g_autoptr(GDateTime) midnight = g_date_time_new_local (START_YEAR, START_MONTH, START_DAY + 1,
                                                         0, 0, 0);

  return g_date_time_to_unix (midnight) * G_USEC_PER_SEC;
}

static int
compare_double_cb (gconstpointer a,
                   gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

static gboolean
check_params (const OwSimParams  *params,
              double              start_hour,
              GError            **error)
{
  if (params->catalog_path == NULL && (params->windows == 0 || params->windows > 999))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("windows must be between 1 and 999, not %u"), params->windows);
      return FALSE;
    }
  if (!(params->arrivals_per_hour > 0) || !isfinite (params->arrivals_per_hour))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("arrivals per hour must be a positive number, not %g"),
                   params->arrivals_per_hour);
      return FALSE;
    }
  if (!(params->service_minutes > 0) || !isfinite (params->service_minutes))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("the mean service time must be a positive number of minutes, not %g"),
                   params->service_minutes);
      return FALSE;
    }
  if (params->dist != OW_SIM_DIST_EXP && params->dist != OW_SIM_DIST_LOGNORMAL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("unknown service time distribution %d"), (int) params->dist);
      return FALSE;
    }
  /* A hall day ends at midnight, when numbers restart and open tickets expire; leave the
   * last minutes of the day for the queue to drain. */
  if (!(params->hours > 0) || start_hour + params->hours > MAX_END_HOUR)
    {
      /* Translators: the start time as hours and minutes, the most hours allowed, and the
       * number of hours asked for. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("a simulated day starting at %02d:%02d can last from more than 0 to %.1f hours"
                     " (a hall day ends at midnight), not %g"),
                   (int) start_hour, (int) round ((start_hour - (int) start_hour) * 60),
                   MAX_END_HOUR - start_hour, params->hours);
      return FALSE;
    }
  return TRUE;
}

JsonObject *
ow_sim_run (const OwSimParams  *params,
            GError            **error)
{
  static const OwActor admin = { "device:sim", "sim" };
  g_auto(Sim) sim = { 0 };
  g_autoptr(OwDb) db = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *data = NULL;
  g_autofree char *name = NULL;
  gsize length = 0;
  double start_offset;
  gint64 start, arrivals_end, midnight, now, next_arrival, last_completion;
  double lambda_per_us;
  double sum = 0;
  guint32 seed_words[2];

  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  start_offset = params->catalog_path != NULL ? CATALOG_START_SECONDS : SINGLE_START_SECONDS;
  /* Whole minutes: the second past midnight of a single-service day does not count. */
  if (!check_params (params, floor (start_offset / 60.0) / 60.0, error))
    return NULL;

  if (params->catalog_path != NULL)
    {
      if (!g_file_get_contents (params->catalog_path, &data, &length, error))
        return NULL;
      name = g_path_get_basename (params->catalog_path);
    }
  else
    {
      data = single_service_catalog (params->windows);
      length = strlen (data);
      name = g_strdup ("simulation");
    }

  /* A database left by an earlier run would mix its tickets into this one. */
  if (params->db_path != NULL && g_file_test (params->db_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("%s already exists: a simulation starts from an empty database"),
                   params->db_path);
      return NULL;
    }

  start = start_time_us (start_offset);
  midnight = next_midnight_us ();
  sim.params = params;
  sim.clock = ow_clock_new_virtual (start);
  db = ow_db_open (params->db_path != NULL ? params->db_path : ":memory:", error);
  if (db == NULL)
    return NULL;
  if (!ow_catalog_import_data (db, sim.clock, &admin, name, data, length, NULL, error))
    return NULL;
  sim.hall = ow_hall_new (db, sim.clock);

  sim.services = g_ptr_array_new_with_free_func (sim_service_free);
  sim.windows = g_ptr_array_new_with_free_func (sim_window_free);
  sim.step_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sim.waiting = g_array_new (FALSE, TRUE, sizeof (guint));
  sim.tickets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, sim_ticket_free);
  sim.waits = g_array_new (FALSE, FALSE, sizeof (double));
  if (!sim_load_model (&sim, data, length, error))
    return NULL;

  /* All 64 bits of the seed count: two runs with the same seed are the same run. */
  seed_words[0] = (guint32) (params->seed & 0xffffffffu);
  seed_words[1] = (guint32) (params->seed >> 32);
  sim.rand = g_rand_new_with_seed_array (seed_words, G_N_ELEMENTS (seed_words));

  lambda_per_us = params->arrivals_per_hour / (3600.0 * G_USEC_PER_SEC);
  arrivals_end = start + seconds_to_us (params->hours * 3600.0);
  next_arrival = start + (gint64) llround (draw_exponential (sim.rand, 1.0 / lambda_per_us));
  now = start;
  last_completion = start;

  for (;;)
    {
      SimWindow *next_window = NULL;
      gboolean arrival;

      /* Those still being served at midnight may finish (延时服务), but a call after it would
       * find the day's open tickets expired. */
      if (now >= midnight && sim.queue_len > 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       _("the queue had not drained by midnight (%u still waiting): the hall is"
                         " overloaded; simulate fewer arrivals or hours"), sim.queue_len);
          return NULL;
        }

      /* Every idle window with a queue for it calls, at the time of the last event. */
      for (guint i = 0; i < sim.windows->len; i++)
        {
          SimWindow *window = g_ptr_array_index (sim.windows, i);

          if (!window->busy && window_has_work (&sim, window) &&
              !sim_call (&sim, window, now, error))
            return NULL;
        }

      for (guint i = 0; i < sim.windows->len; i++)
        {
          SimWindow *window = g_ptr_array_index (sim.windows, i);

          if (window->busy && (next_window == NULL || window->done_at < next_window->done_at))
            next_window = window;
        }

      arrival = next_arrival < arrivals_end &&
                (next_window == NULL || next_arrival <= next_window->done_at);
      if (arrival)
        now = next_arrival;
      else if (next_window != NULL)
        now = next_window->done_at;
      else
        break;

      ow_clock_set (sim.clock, now);

      if (arrival)
        {
          if (!sim_arrival (&sim, now, error))
            return NULL;
          next_arrival = now + MAX (1, (gint64) llround (draw_exponential (sim.rand,
                                                                           1.0 / lambda_per_us)));
        }
      else
        {
          if (!sim_complete (&sim, next_window, now, error))
            return NULL;
          last_completion = now;
        }
    }

  result = json_object_new ();
  json_object_set_int_member (result, "served", sim.served);
  for (guint i = 0; i < sim.waits->len; i++)
    sum += g_array_index (sim.waits, double, i);
  g_array_sort (sim.waits, compare_double_cb);
  if (sim.waits->len > 0)
    {
      /* Nearest rank: the smallest wait with at least 90% of the waits at or below it. */
      guint rank = (guint) ceil (0.9 * sim.waits->len);

      json_object_set_double_member (result, "mean_wait_s", sum / sim.waits->len);
      json_object_set_double_member (result, "p90_wait_s",
                                     g_array_index (sim.waits, double, MAX (rank, 1) - 1));
      json_object_set_double_member (result, "p_wait", (double) sim.waited / sim.waits->len);
    }
  else
    {
      json_object_set_null_member (result, "mean_wait_s");
      json_object_set_null_member (result, "p90_wait_s");
      json_object_set_null_member (result, "p_wait");
    }
  if (last_completion > start)
    json_object_set_double_member (result, "utilisation",
                                   (double) sim.busy_us /
                                   ((double) sim.windows->len * (double) (last_completion - start)));
  else
    json_object_set_double_member (result, "utilisation", 0);
  json_object_set_int_member (result, "windows", sim.windows->len);
  json_object_set_double_member (result, "arrivals_per_hour", params->arrivals_per_hour);
  json_object_set_double_member (result, "service_minutes", params->service_minutes);
  json_object_set_double_member (result, "hours", params->hours);
  json_object_set_int_member (result, "seed", (gint64) params->seed);
  json_object_set_int_member (result, "max_queue", sim.max_queue);
  json_object_set_string_member (result, "distribution",
                                 params->dist == OW_SIM_DIST_LOGNORMAL ? "lognormal" : "exponential");
  json_object_set_int_member (result, "arrivals", sim.arrivals);
  json_object_set_int_member (result, "turned_away", sim.turned_away);
  json_object_set_int_member (result, "steps_served", sim.steps_served);
  json_object_set_double_member (result, "elapsed_s",
                                 (double) (last_completion - start) / G_USEC_PER_SEC);
  if (params->catalog_path != NULL)
    json_object_set_string_member (result, "catalog", params->catalog_path);
  else
    json_object_set_null_member (result, "catalog");

  return g_steal_pointer (&result);
}
