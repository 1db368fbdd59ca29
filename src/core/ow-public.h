/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "ow-hall.h"

G_BEGIN_DECLS

/* 好差评 (GB/T 39734-2020): five levels, 5 = 非常满意 ... 1 = 非常不满意.  Levels 1 and 2 are
 * the bad ratings that are followed up. */
#define OW_RATING_MIN 1
#define OW_RATING_MAX 5
#define OW_RATING_BAD_MAX 2
#define OW_RATING_COMMENT_MAX 500   /* characters */

/* Seconds a waiting ticket may still wait: the people ahead times the step's mean service
 * time today (its time limit before three services are recorded), shared by the unpaused
 * windows serving the step.  0 for a ticket that is not waiting. */
gint64      ow_public_estimate_wait (OwHall         *hall,
                                     JsonObject     *ticket);

/* Document ids (a JsonArray of strings, or NULL) with their catalogue names:
 * [{"id", "name"}], "name" null for an id the catalogue does not know. */
JsonArray  *ow_public_document_names (OwDb          *db,
                                      JsonArray     *ids);

/* The status a citizen sees through the ticket's token: the TICKET object without personal
 * or internal data (no green category, no history), with "estimated_wait_s",
 * "missing_documents" ([{"id", "name"}]), "hall_name", "rating" (null or {"level", "at"})
 * and "can_rate".  Only a full token finds a ticket: numbers are guessable. */
JsonObject *ow_public_ticket        (OwHall         *hall,
                                     const char     *token,
                                     GError        **error);

/* Records the rating of a ticket whose service is over: completed, or returned for missing
 * documents (the citizen was served and may judge it).  Once per ticket.  The comment stays
 * in the ratings table; the audit log records only that there was one, since free text may
 * hold personal data and the log can never be edited.  Returns {"ticket", "level", "at"}. */
JsonObject *ow_public_rate          (OwHall         *hall,
                                     const OwActor  *actor,
                                     const char     *token,
                                     int             level,
                                     const char     *comment,
                                     GError        **error);

/* Ratings from @from_day to @to_day inclusive: counts by level, satisfaction rate (levels
 * 3 to 5 among all), and by window and by staff. */
JsonObject *ow_public_rating_stats  (OwHall         *hall,
                                     const char     *from_day,
                                     const char     *to_day,
                                     GError        **error);

gboolean    ow_public_valid_token   (const char     *token);

G_END_DECLS
