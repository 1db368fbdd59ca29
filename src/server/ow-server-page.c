/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-server-private.h"

#include <glib/gi18n.h>
#include <string.h>

/* The page a citizen's phone opens from the ticket's QR code.  Plain HTML with inline style:
 * no scripts, no fonts or images from elsewhere, a few kilobytes, readable on a cheap phone.
 * It refreshes itself while something can change and the rating form is not on screen. */

#define REFRESH_S 15

/* GNU gettext caches translations; bumping this counter after changing LANGUAGE makes it
 * look again (documented in the gettext manual, "Being a gettext grok"). */
extern int _nl_msg_cat_cntr;

struct _OwPageLanguage
{
  int unused;
};

static GMutex page_language_lock;
static char *server_language;     /* LANGUAGE at start-up, "" when it was not set */
static OwPageLanguage page_language_token;

static void
use_language (const char *lang)
{
  if (g_strcmp0 (g_getenv ("LANGUAGE"), lang) == 0)
    return;
  g_setenv ("LANGUAGE", lang, TRUE);
  ++_nl_msg_cat_cntr;
}

void
ow_server_init_language (void)
{
  const char *language = g_getenv ("LANGUAGE");

  g_return_if_fail (server_language == NULL);

  server_language = g_strdup (language != NULL ? language : "");
  /* Created now, while there is one thread: adding a variable later could move the
   * environment under another thread's getenv (). */
  if (language == NULL)
    g_setenv ("LANGUAGE", "", TRUE);
}

OwPageLanguage *
ow_server_page_language_begin (const char *lang)
{
  g_mutex_lock (&page_language_lock);
  use_language (lang);
  return &page_language_token;
}

void
ow_server_page_language_end (OwPageLanguage *guard)
{
  g_return_if_fail (guard == &page_language_token);

  /* Back to the server's own language: error messages of the API must not depend on which
   * language the last citizen's phone asked for.  (An empty LANGUAGE counts as unset.) */
  use_language (server_language != NULL ? server_language : "");
  g_mutex_unlock (&page_language_lock);
}

const char *
ow_server_pick_language (const char *accept_language)
{
  g_auto(GStrv) parts = NULL;
  double best_q = -1;
  const char *best = "zh_CN";

  /* The hall serves Chinese citizens first: no header, or nothing we speak, means zh_CN. */
  if (accept_language == NULL)
    return best;
  parts = g_strsplit (accept_language, ",", 32);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autofree char *tag = g_strstrip (g_strdup (parts[i]));
      char *semicolon = strchr (tag, ';');
      double q = 1.0;
      const char *lang = NULL;

      if (semicolon != NULL)
        {
          const char *qs = strstr (semicolon, "q=");

          *semicolon = '\0';
          if (qs != NULL)
            q = g_ascii_strtod (qs + 2, NULL);
        }
      g_strstrip (tag);
      if (g_ascii_strncasecmp (tag, "zh", 2) == 0)
        lang = "zh_CN";
      else if (g_ascii_strncasecmp (tag, "en", 2) == 0)
        lang = "en";
      if (lang != NULL && q > best_q)
        {
          best_q = q;
          best = lang;
        }
    }
  return best;
}

/* A catalogue name ({"zh_CN": ..., "en": ...}) in @lang, falling back to the other. */
static const char *
localized (JsonNode   *name,
           const char *lang)
{
  JsonObject *object;

  if (name == NULL)
    return "";
  if (JSON_NODE_HOLDS_VALUE (name) && json_node_get_value_type (name) == G_TYPE_STRING)
    return json_node_get_string (name);
  if (!JSON_NODE_HOLDS_OBJECT (name))
    return "";
  object = json_node_get_object (name);
  if (json_object_has_member (object, lang))
    return json_object_get_string_member (object, lang);
  if (json_object_has_member (object, "zh_CN"))
    return json_object_get_string_member (object, "zh_CN");
  return json_object_get_string_member_with_default (object, "en", "");
}

static void
append_escaped (GString    *out,
                const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text != NULL ? text : "", -1);

  g_string_append (out, escaped);
}

static void G_GNUC_PRINTF (2, 3)
append_escaped_printf (GString    *out,
                       const char *format,
                       ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  append_escaped (out, text);
}

static const char *
state_label (const char *state)
{
  if (g_strcmp0 (state, "waiting") == 0)
    return _("Waiting");
  if (g_strcmp0 (state, "called") == 0)
    return _("Called: please go to the window");
  if (g_strcmp0 (state, "serving") == 0)
    return _("Being served");
  if (g_strcmp0 (state, "completed") == 0)
    return _("Completed");
  if (g_strcmp0 (state, "no_show") == 0)
    return _("Missed: the number was called but nobody came");
  if (g_strcmp0 (state, "returned") == 0)
    return _("Returned: documents are missing");
  if (g_strcmp0 (state, "cancelled") == 0)
    return _("Cancelled");
  if (g_strcmp0 (state, "expired") == 0)
    return _("Expired at the end of the day");
  return state;
}

static const char *
level_label (gint64 level)
{
  /* 好差评 levels, GB/T 39734-2020. */
  switch (level)
    {
    case 5:
      return _("Very satisfied");
    case 4:
      return _("Satisfied");
    case 3:
      return _("Fairly satisfied");
    case 2:
      return _("Dissatisfied");
    case 1:
      return _("Very dissatisfied");
    default:
      return "";
    }
}

static void
page_head (GString    *out,
           const char *lang,
           const char *title,
           gboolean    refresh)
{
  g_string_append_printf (out,
                          "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
                          g_str_equal (lang, "zh_CN") ? "zh-CN" : "en");
  if (refresh)
    g_string_append_printf (out, "<meta http-equiv=\"refresh\" content=\"%d\">\n", REFRESH_S);
  g_string_append (out, "<title>");
  append_escaped (out, title);
  g_string_append (out,
                   "</title>\n<style>\n"
                   "body{font-family:sans-serif;margin:0 auto;max-width:32em;padding:1em;color:#111;background:#fff}\n"
                   "h1{font-size:1.1em;margin:0 0 .5em}\n"
                   ".number{font-size:3.5em;font-weight:bold;margin:.1em 0;letter-spacing:.05em}\n"
                   ".state{font-size:1.3em;font-weight:bold}\n"
                   ".call{font-size:1.6em;font-weight:bold;background:#ffe680;padding:.4em}\n"
                   "ol li{margin:.3em 0}\n"
                   "li.current{font-weight:bold}\n"
                   "li.done{color:#666}\n"
                   ".missing{border:2px solid #c00;padding:.5em}\n"
                   "fieldset{border:1px solid #999}\n"
                   "label{display:block;padding:.4em 0;font-size:1.1em}\n"
                   "textarea{width:100%;box-sizing:border-box}\n"
                   "button{font-size:1.2em;padding:.5em 1.5em;margin-top:.5em}\n"
                   "footer{margin-top:2em;color:#666;font-size:.9em}\n"
                   "</style>\n</head>\n<body>\n");
}

char *
ow_server_page_message (const char *lang,
                        const char *title,
                        const char *text,
                        const char *back)
{
  GString *out = g_string_new (NULL);

  page_head (out, lang, title, FALSE);
  g_string_append (out, "<h1>");
  append_escaped (out, title);
  g_string_append (out, "</h1>\n<p>");
  append_escaped (out, text);
  g_string_append (out, "</p>\n");
  if (back != NULL)
    {
      g_string_append (out, "<p><a href=\"");
      append_escaped (out, back);
      g_string_append (out, "\">");
      append_escaped (out, _("Back to your ticket"));
      g_string_append (out, "</a></p>\n");
    }
  g_string_append (out, "</body>\n</html>\n");
  return g_string_free (out, FALSE);
}

/* Opens a box with @title and the documents' names; the caller adds its words and closes it. */
static void
append_documents (GString    *out,
                  const char *title,
                  JsonArray  *documents,
                  const char *lang)
{
  g_string_append (out, "<div class=\"missing\"><h2>");
  append_escaped (out, title);
  g_string_append (out, "</h2>\n<ul>\n");
  for (guint i = 0; documents != NULL && i < json_array_get_length (documents); i++)
    {
      JsonObject *document = json_array_get_object_element (documents, i);
      JsonNode *name = json_object_get_member (document, "name");

      g_string_append (out, "<li>");
      if (name != NULL && !JSON_NODE_HOLDS_NULL (name))
        append_escaped (out, localized (name, lang));
      else
        append_escaped (out, json_object_get_string_member_with_default (document, "id", ""));
      g_string_append (out, "</li>\n");
    }
  g_string_append (out, "</ul>\n");
}

char *
ow_server_page_ticket (JsonObject *ticket,
                       const char *token,
                       const char *lang)
{
  GString *out = g_string_new (NULL);
  const char *state = json_object_get_string_member_with_default (ticket, "state", "");
  const char *number = json_object_get_string_member_with_default (ticket, "number", "");
  JsonArray *steps = json_object_get_array_member (ticket, "steps");
  JsonArray *missing = json_object_get_array_member (ticket, "missing_documents");
  JsonNode *rating = json_object_get_member (ticket, "rating");
  JsonNode *promise = json_object_get_member (ticket, "promise");
  gboolean can_rate = json_object_get_boolean_member_with_default (ticket, "can_rate", FALSE);
  gboolean open = g_str_equal (state, "waiting") || g_str_equal (state, "called") ||
                  g_str_equal (state, "serving");
  gint64 step_index = json_object_get_int_member_with_default (ticket, "step_index", 0);
  g_autoptr(GDateTime) now = g_date_time_new_now (ow_clock_local_zone ());
  g_autofree char *updated = g_date_time_format (now, "%H:%M:%S");
  g_autofree char *title = NULL;

  title = g_strdup_printf ("%s · %s", number, localized (json_object_get_member (ticket, "hall_name"), lang));
  page_head (out, lang, title, open && !can_rate);

  g_string_append (out, "<h1>");
  append_escaped (out, localized (json_object_get_member (ticket, "hall_name"), lang));
  g_string_append (out, "</h1>\n<p class=\"number\">");
  append_escaped (out, number);
  g_string_append (out, "</p>\n<p class=\"service\">");
  append_escaped (out, localized (json_object_get_member (ticket, "service_name"), lang));
  g_string_append (out, "</p>\n<p class=\"state\">");
  append_escaped (out, state_label (state));
  g_string_append (out, "</p>\n");

  if ((g_str_equal (state, "called") || g_str_equal (state, "serving")) &&
      json_object_has_member (ticket, "window_number") &&
      !json_object_get_null_member (ticket, "window_number"))
    {
      g_string_append (out, "<p class=\"call\">");
      append_escaped_printf (out, _("Please go to window %d"),
                             (int) json_object_get_int_member (ticket, "window_number"));
      g_string_append (out, "</p>\n");
    }

  if (g_str_equal (state, "waiting"))
    {
      gint64 wait_s = json_object_get_int_member_with_default (ticket, "estimated_wait_s", 0);

      g_string_append (out, "<p class=\"ahead\">");
      append_escaped_printf (out, _("People ahead of you: %d"),
                             (int) json_object_get_int_member_with_default (ticket, "ahead", 0));
      g_string_append (out, "</p>\n<p class=\"wait\">");
      if (wait_s > 0)
        {
          int minutes = (int) ((wait_s + 59) / 60);

          append_escaped_printf (out, g_dngettext (GETTEXT_PACKAGE, "Estimated wait: about %d minute",
                                                   "Estimated wait: about %d minutes", minutes), minutes);
        }
      else
        append_escaped (out, _("You are next."));
      g_string_append (out, "</p>\n");
    }

  if (steps != NULL && json_array_get_length (steps) > 0)
    {
      g_string_append (out, "<h2>");
      append_escaped (out, _("Steps"));
      g_string_append (out, "</h2>\n<ol class=\"steps\">\n");
      for (guint i = 0; i < json_array_get_length (steps); i++)
        {
          JsonObject *step = json_array_get_object_element (steps, i);
          gint64 position = i + 1;
          gboolean finished = g_str_equal (state, "completed") || position < step_index;
          gboolean current = !finished && position == step_index;

          g_string_append_printf (out, "<li class=\"%s\"%s>", finished ? "done" : current ? "current" : "todo",
                                  current ? " aria-current=\"step\"" : "");
          append_escaped (out, localized (json_object_get_member (step, "name"), lang));
          if (current)
            {
              g_string_append (out, " ◀ ");
              append_escaped (out, _("now"));
            }
          else if (finished)
            {
              g_string_append (out, " ✓");
            }
          g_string_append (out, "</li>\n");
        }
      g_string_append (out, "</ol>\n");
    }

  if (g_str_equal (state, "returned") && missing != NULL && json_array_get_length (missing) > 0)
    {
      append_documents (out, _("Missing documents"), missing, lang);
      g_string_append (out, "<p>");
      append_escaped (out, _("Bring these documents and show this ticket at the service desk to continue."));
      g_string_append (out, "</p></div>\n");
    }

  /* 容缺受理: the case went ahead on the citizen's promise to bring these by a day. */
  if (promise != NULL && JSON_NODE_HOLDS_OBJECT (promise))
    {
      JsonObject *owed = json_node_get_object (promise);

      append_documents (out, _("Documents you promised to bring"),
                        json_object_get_array_member (owed, "named_documents"), lang);
      g_string_append (out, "<p>");
      if (json_object_get_boolean_member_with_default (owed, "overdue", FALSE))
        append_escaped_printf (out, _("The deadline, %s, has passed: please bring them as soon as possible."),
                               json_object_get_string_member (owed, "deadline"));
      else
        append_escaped_printf (out, _("Your case went ahead on your promise: please bring them by %s."),
                               json_object_get_string_member (owed, "deadline"));
      g_string_append (out, "</p></div>\n");
    }

  if (rating != NULL && JSON_NODE_HOLDS_OBJECT (rating))
    {
      JsonObject *rated = json_node_get_object (rating);
      const char *followup = json_object_get_string_member_with_default (rated, "followup", NULL);

      g_string_append (out, "<p class=\"rated\">");
      append_escaped_printf (out, _("Thank you for your rating: %s"),
                             level_label (json_object_get_int_member (rated, "level")));
      g_string_append (out, "</p>\n");
      if (followup != NULL && (g_str_equal (followup, "fixed") || g_str_equal (followup, "explained")))
        {
          g_string_append (out, "<p>");
          append_escaped (out, _("The hall has followed up your rating."));
          g_string_append (out, "</p>\n");
        }
      else if (followup != NULL)
        {
          g_string_append (out, "<p>");
          append_escaped_printf (out, _("We are sorry. The hall will look into it and follow it up by %s."),
                                 json_object_get_string_member_with_default (rated, "followup_due", ""));
          g_string_append (out, "</p>\n");
        }
    }
  else if (can_rate)
    {
      g_string_append_printf (out, "<form method=\"post\" action=\"/t/%s/rating\">\n<fieldset>\n<legend>", token);
      append_escaped (out, _("How was our service? (optional)"));
      g_string_append (out, "</legend>\n");
      /* No level is preselected: a default rating would not be the citizen's. */
      for (int level = 5; level >= 1; level--)
        {
          g_string_append_printf (out, "<label><input type=\"radio\" name=\"level\" value=\"%d\" required> ", level);
          append_escaped (out, level_label (level));
          g_string_append (out, "</label>\n");
        }
      g_string_append (out, "<label>");
      append_escaped (out, _("Comment"));
      g_string_append (out, "<br><textarea name=\"comment\" rows=\"3\" maxlength=\"500\"></textarea></label>\n"
                            "<button type=\"submit\">");
      append_escaped (out, _("Send"));
      g_string_append (out, "</button>\n</fieldset>\n</form>\n");
    }

  g_string_append (out, "<footer>");
  if (open && !can_rate)
    /* Translators: the time of day; two sentences, spaced as the language spaces them. */
    append_escaped_printf (out, _("Updated at %s. This page refreshes itself."), updated);
  else
    append_escaped_printf (out, _("Updated at %s."), updated);
  g_string_append (out, "</footer>\n</body>\n</html>\n");
  return g_string_free (out, FALSE);
}
