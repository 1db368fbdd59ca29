/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "ow-hall.h"

G_BEGIN_DECLS

/* The follow-up of bad ratings (好差评, DOMAIN.md "Ratings"; db/005-followups.sql). */

#define OW_FOLLOWUP_DAYS_DEFAULT 3     /* working days from the rating */
#define OW_FOLLOWUP_NOTE_MAX 500       /* characters */

gboolean    ow_followup_is_state  (const char     *state);
const char *ow_followup_state_label (const char   *state);

/* The working days a hall gives itself (catalogue rules.followup_days). */
int         ow_followup_days      (OwDb           *db);

/* Bad ratings and where their follow-up stands, the earliest due first: those not yet fixed
 * or explained, or with @all every one, of the ratings given from @from_day to @to_day (NULL:
 * no bound).  Each is {"id", "ticket", "day", "service", "level", "comment", "staff",
 * "window", "state", "due", "overdue", "updated_at", "notes": [{"at", "actor", "state",
 * "note"}]}. */
JsonArray  *ow_followup_list      (OwHall         *hall,
                                   gboolean        all,
                                   const char     *from_day,
                                   const char     *to_day,
                                   GError        **error);

/* Moves the follow-up of rating @id to @state with a note saying what was done.  Open,
 * verified and contacted may move on to any later state; appealed to anything but open;
 * fixed and explained end it.  With @owner, only that staff member's own rating may be
 * appealed, and nothing else is allowed (counter staff appeal; supervisors do the rest).
 * Returns the rating as ow_followup_list () lists it. */
JsonObject *ow_followup_move      (OwHall         *hall,
                                   const OwActor  *actor,
                                   gint64          id,
                                   const char     *state,
                                   const char     *note,
                                   const char     *owner,
                                   GError        **error);

G_END_DECLS
