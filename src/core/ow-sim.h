/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  OW_SIM_DIST_EXP,
  OW_SIM_DIST_LOGNORMAL,
} OwSimDist;

typedef struct
{
  guint       windows;            /* identical windows serving one single-step service */
  double      arrivals_per_hour;  /* Poisson arrival rate */
  double      service_minutes;    /* mean service time */
  double      hours;              /* length of the simulated day */
  guint64     seed;
  OwSimDist   dist;
  const char *catalog_path;       /* optional: simulate a whole hall instead */
  const char *db_path;            /* optional: keep the database here instead of in memory */
} OwSimParams;

/* Runs the real engine on virtual time.  Returns {"served", "mean_wait_s", "p90_wait_s",
 * "utilisation", ...} or NULL with @error set. */
JsonObject *ow_sim_run            (const OwSimParams *params,
                                   GError           **error);

/* Erlang C: the mean wait in queue, in seconds, of an M/M/c queue with arrival rate
 * @lambda and service rate @mu per server (both per second). */
double      ow_sim_erlang_c_wait  (guint              servers,
                                   double             lambda,
                                   double             mu);

G_END_DECLS
