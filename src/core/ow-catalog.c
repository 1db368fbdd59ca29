/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-catalog.h"

#include "ow-followup.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

/* A catalogue is validated completely into the structures below before the database is
 * touched, so that a bad file can never leave half a catalogue behind.  Strings borrowed
 * from the JSON tree stay valid while the parser that owns the tree lives in the Catalog. */

#define ID_MAX_LEN            64
#define DEFAULT_STATUS_URL    "http://127.0.0.1:8080"
#define DEFAULT_NO_SHOW_LIMIT 2
#define MAX_CATALOG_BYTES     (16 * 1024 * 1024)

/* What a value must be, for messages such as "must be %s, not %s". */
/* Translators: what a catalogue ID must look like; completes "must be …". */
#define ID_RULE   _("an id of 1 to 64 characters from a-z, 0-9, '.', '_', '/', '-'")
/* Translators: what a catalogue name must look like; keep "zh_CN" and "en" as they are. */
#define NAME_RULE _("an object with non-empty strings \"zh_CN\" and \"en\"")
/* Translators: what an issuing-hours range must look like; keep "HH:MM-HH:MM" as it is. */
#define HOURS_RULE _("\"HH:MM-HH:MM\" with times from 00:00 to 24:00")

/* The keys of a service entry that the schema models; any other key goes to services.extra. */
static const char * const service_keys[] = {
  "code", "prefix", "department", "name", "daily_cap", "hours", "green_channel", "documents",
  "steps", "alert_waiting",
};

typedef struct
{
  const char *id;
  char       *name;           /* compact JSON object */
} CatEntry;

typedef struct
{
  const char *id;
  char       *name;
  gint64      limit_minutes;
  guint       service;        /* index into Catalog.services */
  guint       position;
  gboolean    served;
} CatStep;

typedef struct
{
  const char *code;
  const char *prefix;
  const char *department;
  char       *name;
  gint64      daily_cap;
  gint64      alert_waiting;  /* 0: no alert */
  char       *hours;          /* compact JSON array */
  gboolean    green_channel;
  char       *documents;      /* compact JSON array */
  char       *extra;          /* compact JSON object, or NULL */
  guint       first_step;     /* index into Catalog.steps */
  guint       n_steps;
} CatService;

typedef struct
{
  const char *id;
  gint64      number;
  char       *name;
  GPtrArray  *steps;          /* borrowed step ids */
} CatWindow;

typedef struct
{
  const char  *source;
  JsonParser  *parser;
  char        *hall_name;
  const char  *status_base_url;
  gint64       no_show_limit;
  gint64       followup_days;
  gint64       promise_days;
  char        *holidays;      /* JSON arrays of days: days off on weekdays, */
  char        *workdays;      /* and weekend days worked (调休) */
  GArray      *departments;   /* CatEntry */
  GArray      *documents;     /* CatEntry */
  GArray      *services;      /* CatService */
  GArray      *steps;         /* CatStep, every service's flow in file order */
  GArray      *windows;       /* CatWindow */
  GHashTable  *department_ids;  /* id -> index + 1 */
  GHashTable  *document_ids;
  GHashTable  *service_codes;
  GHashTable  *step_ids;
  GHashTable  *window_ids;
  GHashTable  *window_numbers;  /* number -> index + 1 */
} Catalog;

/* An open ticket as it was before the import changed anything. */
typedef struct
{
  gint64  id;
  char   *number;
  char   *service;
  char   *state;
  char   *step;
  char   *window;
  char   *target_window;
  char   *day;
  gint64  position;          /* of its step in the old flow, or -1 */
  gint64  visit;             /* its latest visit (tickets.visit) */
} OpenTicket;

G_DEFINE_QUARK (ow-catalog-error-quark, ow_catalog_error)

static void
cat_entry_clear (gpointer data)
{
  CatEntry *entry = data;

  g_clear_pointer (&entry->name, g_free);
}

static void
cat_step_clear (gpointer data)
{
  CatStep *step = data;

  g_clear_pointer (&step->name, g_free);
}

static void
cat_service_clear (gpointer data)
{
  CatService *service = data;

  g_clear_pointer (&service->name, g_free);
  g_clear_pointer (&service->hours, g_free);
  g_clear_pointer (&service->documents, g_free);
  g_clear_pointer (&service->extra, g_free);
}

static void
cat_window_clear (gpointer data)
{
  CatWindow *window = data;

  g_clear_pointer (&window->name, g_free);
  g_clear_pointer (&window->steps, g_ptr_array_unref);
}

static GArray *
cat_array_new (gsize          element_size,
               GDestroyNotify clear_func)
{
  GArray *array = g_array_new (FALSE, TRUE, element_size);

  g_array_set_clear_func (array, clear_func);
  return array;
}

static Catalog *
catalog_new (const char *source)
{
  Catalog *cat = g_new0 (Catalog, 1);

  cat->source = source;
  cat->status_base_url = DEFAULT_STATUS_URL;
  cat->no_show_limit = DEFAULT_NO_SHOW_LIMIT;
  cat->followup_days = OW_FOLLOWUP_DAYS_DEFAULT;
  cat->promise_days = OW_PROMISE_DAYS_DEFAULT;
  cat->departments = cat_array_new (sizeof (CatEntry), cat_entry_clear);
  cat->documents = cat_array_new (sizeof (CatEntry), cat_entry_clear);
  cat->services = cat_array_new (sizeof (CatService), cat_service_clear);
  cat->steps = cat_array_new (sizeof (CatStep), cat_step_clear);
  cat->windows = cat_array_new (sizeof (CatWindow), cat_window_clear);
  cat->department_ids = g_hash_table_new (g_str_hash, g_str_equal);
  cat->document_ids = g_hash_table_new (g_str_hash, g_str_equal);
  cat->service_codes = g_hash_table_new (g_str_hash, g_str_equal);
  cat->step_ids = g_hash_table_new (g_str_hash, g_str_equal);
  cat->window_ids = g_hash_table_new (g_str_hash, g_str_equal);
  cat->window_numbers = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  return cat;
}

static void
catalog_free (Catalog *cat)
{
  /* The hash tables borrow strings from the tree, so they go before the parser. */
  g_clear_pointer (&cat->department_ids, g_hash_table_unref);
  g_clear_pointer (&cat->document_ids, g_hash_table_unref);
  g_clear_pointer (&cat->service_codes, g_hash_table_unref);
  g_clear_pointer (&cat->step_ids, g_hash_table_unref);
  g_clear_pointer (&cat->window_ids, g_hash_table_unref);
  g_clear_pointer (&cat->window_numbers, g_hash_table_unref);
  g_clear_pointer (&cat->departments, g_array_unref);
  g_clear_pointer (&cat->documents, g_array_unref);
  g_clear_pointer (&cat->services, g_array_unref);
  g_clear_pointer (&cat->steps, g_array_unref);
  g_clear_pointer (&cat->windows, g_array_unref);
  g_clear_pointer (&cat->hall_name, g_free);
  g_clear_pointer (&cat->holidays, g_free);
  g_clear_pointer (&cat->workdays, g_free);
  g_clear_object (&cat->parser);
  g_free (cat);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Catalog, catalog_free)

static void
open_ticket_free (gpointer data)
{
  OpenTicket *ticket = data;

  g_free (ticket->number);
  g_free (ticket->service);
  g_free (ticket->state);
  g_free (ticket->step);
  g_free (ticket->window);
  g_free (ticket->target_window);
  g_free (ticket->day);
  g_free (ticket);
}

/* Messages and paths */

static gboolean set_invalid (GError     **error,
                             const char  *source,
                             const char  *path,
                             const char  *format,
                             ...) G_GNUC_PRINTF (4, 5);

static gboolean
set_invalid (GError     **error,
             const char  *source,
             const char  *path,
             const char  *format,
             ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  /* Translators: the catalogue file's name, a JSON path such as "$.services[0].prefix" and
   * what is wrong there. */
  g_set_error (error, OW_CATALOG_ERROR, OW_CATALOG_ERROR_INVALID, _("%s: %s: %s"), source, path, what);
  return FALSE;
}

/* A string as it should appear in a message: quoted, escaped and cut short, so that a stray
 * control character or a pasted paragraph cannot garble the line. */
static char *
quote (const char *text)
{
  GString *out = g_string_new ("\"");
  guint n = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);

      if (n == 40)
        {
          g_string_append (out, "…");
          break;
        }
      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_unichar (out, c);
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

static gboolean
is_identifier (const char *key)
{
  if (!g_ascii_isalpha (key[0]) && key[0] != '_')
    return FALSE;
  for (const char *p = key; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

static char *
path_member (const char *parent,
             const char *key)
{
  g_autofree char *quoted = NULL;

  if (is_identifier (key))
    return g_strdup_printf ("%s.%s", parent, key);
  quoted = quote (key);
  return g_strdup_printf ("%s[%s]", parent, quoted);
}

static char *
path_index (const char *parent,
            guint       index)
{
  return g_strdup_printf ("%s[%u]", parent, index);
}

static const char *
describe_node (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      /* Translators: a kind of JSON value, as in "must be a string, not an object". */
      return C_("catalogue", "an object");
    case JSON_NODE_ARRAY:
      /* Translators: a kind of JSON value, as in "must be an object, not an array". */
      return C_("catalogue", "an array");
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
    default:
      break;
    }

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
    case G_TYPE_DOUBLE:
      /* Translators: a kind of JSON value, as in "must be a string, not a number". */
      return C_("catalogue", "a number");
    case G_TYPE_BOOLEAN:
      /* Translators: a kind of JSON value (a JSON boolean); keep true and false as they are. */
      return C_("catalogue", "true or false");
    case G_TYPE_STRING:
      /* Translators: a kind of JSON value, as in "must be an object, not a string". */
      return C_("catalogue", "a string");
    default:
      return _("an unknown kind of value");
    }
}

static char *
node_to_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

static char *
builder_to_json (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  return node_to_json (root);
}

/* Typed access to the tree; each sets a message naming @path on a mismatch */

static gboolean
is_value_of (JsonNode *node,
             GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
node_object (Catalog     *cat,
             JsonNode    *node,
             const char  *path,
             const char  *expect,
             JsonObject **out,
             GError     **error)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    /* Translators: what a catalogue value should be and what it is, e.g. "must be an object,
     * not an array"; the message is shown after the file name and the JSON path. */
    return set_invalid (error, cat->source, path, _("must be %s, not %s"),
                        expect, describe_node (node));
  *out = json_node_get_object (node);
  return TRUE;
}

static gboolean
node_array (Catalog     *cat,
            JsonNode    *node,
            const char  *path,
            const char  *expect,
            JsonArray  **out,
            GError     **error)
{
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return set_invalid (error, cat->source, path, _("must be %s, not %s"),
                        expect, describe_node (node));
  *out = json_node_get_array (node);
  return TRUE;
}

static gboolean
node_string (Catalog     *cat,
             JsonNode    *node,
             const char  *path,
             const char  *expect,
             const char **out,
             GError     **error)
{
  if (!is_value_of (node, G_TYPE_STRING))
    return set_invalid (error, cat->source, path, _("must be %s, not %s"),
                        expect, describe_node (node));
  *out = json_node_get_string (node);
  return TRUE;
}

static gboolean
node_boolean (Catalog     *cat,
              JsonNode    *node,
              const char  *path,
              gboolean    *out,
              GError     **error)
{
  if (!is_value_of (node, G_TYPE_BOOLEAN))
    return set_invalid (error, cat->source, path, _("must be true or false, not %s"),
                        describe_node (node));
  *out = json_node_get_boolean (node);
  return TRUE;
}

/* A whole number from @min to @max.  15.0 counts as whole, since JSON does not tell the two
 * apart and some tools write every number with a decimal point; 15.5 does not. */
static gboolean
node_whole (Catalog     *cat,
            JsonNode    *node,
            const char  *path,
            gint64       min,
            gint64       max,
            gint64      *out,
            GError     **error)
{
  gint64 value;

  if (is_value_of (node, G_TYPE_DOUBLE))
    {
      double d = json_node_get_double (node);
      char buf[G_ASCII_DTOSTR_BUF_SIZE];

      g_ascii_dtostr (buf, sizeof buf, d);
      if (!(d >= (double) min && d <= (double) max))
        return set_invalid (error, cat->source, path,
                            _("must be a whole number from %lld to %lld, not %s"),
                            (long long) min, (long long) max, buf);
      if (d != (double) (gint64) d)
        return set_invalid (error, cat->source, path,
                            _("must be a whole number from %lld to %lld, not the fraction %s"),
                            (long long) min, (long long) max, buf);
      value = (gint64) d;
    }
  else if (is_value_of (node, G_TYPE_INT64))
    {
      value = json_node_get_int (node);
    }
  else
    {
      return set_invalid (error, cat->source, path,
                          _("must be a whole number from %lld to %lld, not %s"),
                          (long long) min, (long long) max, describe_node (node));
    }

  if (value < min || value > max)
    return set_invalid (error, cat->source, path,
                        _("must be a whole number from %lld to %lld, not %lld"),
                        (long long) min, (long long) max, (long long) value);
  *out = value;
  return TRUE;
}

static gboolean
node_id (Catalog     *cat,
         JsonNode    *node,
         const char  *path,
         const char **out,
         GError     **error)
{
  const char *id = NULL;
  gsize len;

  if (!node_string (cat, node, path, ID_RULE, &id, error))
    return FALSE;

  len = strlen (id);
  if (len == 0)
    return set_invalid (error, cat->source, path, _("must be %s, not empty"), ID_RULE);
  if (len > ID_MAX_LEN)
    return set_invalid (error, cat->source, path, _("must be %s, not %llu bytes long"),
                        ID_RULE, (unsigned long long) len);
  for (const char *p = id; *p != '\0'; p++)
    {
      if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && strchr ("._/-", *p) == NULL)
        {
          g_autofree char *quoted = quote (id);

          return set_invalid (error, cat->source, path, _("must be %s, not %s"), ID_RULE, quoted);
        }
    }

  *out = id;
  return TRUE;
}

/* Looks up @key in @object.  A missing required member is an error; a missing optional one
 * returns TRUE with *out = NULL. */
static gboolean
member (Catalog     *cat,
        JsonObject  *object,
        const char  *parent,
        const char  *key,
        gboolean     required,
        const char  *expect,
        JsonNode   **out,
        char       **out_path,
        GError     **error)
{
  g_autofree char *path = path_member (parent, key);

  *out = json_object_get_member (object, key);
  if (*out == NULL && required)
    /* Translators: a required catalogue member is absent; %s says what it must be. */
    return set_invalid (error, cat->source, path, _("missing; must be %s"), expect);
  *out_path = g_steal_pointer (&path);
  return TRUE;
}

/* Names are stored as compact JSON: "zh_CN" and "en" first, then any other language given
 * as a string, so that a hall can add e.g. "bo" or "ug" without a schema change. */
static gboolean
node_name (Catalog     *cat,
           JsonNode    *node,
           const char  *path,
           char       **out_json,
           GError     **error)
{
  static const char * const required[] = { "zh_CN", "en" };
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GList) members = NULL;
  JsonObject *object = NULL;

  if (!node_object (cat, node, path, NAME_RULE, &object, error))
    return FALSE;

  json_builder_begin_object (builder);
  for (guint i = 0; i < G_N_ELEMENTS (required); i++)
    {
      g_autofree char *text_path = NULL;
      g_autofree char *stripped = NULL;
      JsonNode *text_node = NULL;
      const char *text = NULL;
      const char *expect = C_("catalogue", "a non-empty string");

      if (!member (cat, object, path, required[i], TRUE, expect, &text_node, &text_path, error) ||
          !node_string (cat, text_node, text_path, expect, &text, error))
        return FALSE;
      stripped = g_strstrip (g_strdup (text));
      if (*stripped == '\0')
        return set_invalid (error, cat->source, text_path, _("must be a non-empty string"));
      json_builder_set_member_name (builder, required[i]);
      json_builder_add_string_value (builder, text);
    }

  members = json_object_get_members (object);
  for (const GList *l = members; l != NULL; l = l->next)
    {
      const char *language = l->data;
      JsonNode *text_node = json_object_get_member (object, language);

      if (g_str_equal (language, "zh_CN") || g_str_equal (language, "en") ||
          !is_value_of (text_node, G_TYPE_STRING))
        continue;
      json_builder_set_member_name (builder, language);
      json_builder_add_string_value (builder, json_node_get_string (text_node));
    }
  json_builder_end_object (builder);

  *out_json = builder_to_json (builder);
  return TRUE;
}

/* Convenience wrappers: member + typed check */

static gboolean
member_object (Catalog     *cat,
               JsonObject  *object,
               const char  *parent,
               const char  *key,
               gboolean     required,
               const char  *expect,
               JsonObject **out,
               char       **out_path,
               GError     **error)
{
  JsonNode *node = NULL;

  *out = NULL;
  if (!member (cat, object, parent, key, required, expect, &node, out_path, error))
    return FALSE;
  return node == NULL || node_object (cat, node, *out_path, expect, out, error);
}

static gboolean
member_array (Catalog     *cat,
              JsonObject  *object,
              const char  *parent,
              const char  *key,
              const char  *expect,
              JsonArray  **out,
              char       **out_path,
              GError     **error)
{
  JsonNode *node = NULL;

  return member (cat, object, parent, key, TRUE, expect, &node, out_path, error) &&
         node_array (cat, node, *out_path, expect, out, error);
}

static gboolean
member_id (Catalog     *cat,
           JsonObject  *object,
           const char  *parent,
           const char  *key,
           const char **out,
           char       **out_path,
           GError     **error)
{
  JsonNode *node = NULL;

  return member (cat, object, parent, key, TRUE, ID_RULE, &node, out_path, error) &&
         node_id (cat, node, *out_path, out, error);
}

static gboolean
member_name (Catalog     *cat,
             JsonObject  *object,
             const char  *parent,
             char       **out_json,
             GError     **error)
{
  g_autofree char *path = NULL;
  JsonNode *node = NULL;

  return member (cat, object, parent, "name", TRUE, NAME_RULE, &node, &path, error) &&
         node_name (cat, node, path, out_json, error);
}

static gboolean
member_whole (Catalog     *cat,
              JsonObject  *object,
              const char  *parent,
              const char  *key,
              gint64       min,
              gint64       max,
              gint64      *out,
              GError     **error)
{
  g_autofree char *expect = NULL;
  g_autofree char *path = NULL;
  JsonNode *node = NULL;

  /* Translators: completes "must be …" or "missing; must be …". */
  expect = g_strdup_printf (_("a whole number from %lld to %lld"), (long long) min, (long long) max);
  return member (cat, object, parent, key, TRUE, expect, &node, &path, error) &&
         node_whole (cat, node, path, min, max, out, error);
}

/* Checks that @id is new in @index; the message names where it first appeared, which is
 * LIST_PATH[i].KEY, or LIST_PATH[i] when @key is NULL. */
static gboolean
check_unique (Catalog     *cat,
              GHashTable  *index,
              const char  *id,
              const char  *what,
              const char  *list_path,
              const char  *key,
              guint        position,
              const char  *path,
              GError     **error)
{
  gpointer earlier = g_hash_table_lookup (index, id);
  g_autofree char *quoted = NULL;
  g_autofree char *first = NULL;

  if (earlier == NULL)
    {
      g_hash_table_insert (index, (gpointer) id, GUINT_TO_POINTER (position + 1));
      return TRUE;
    }
  quoted = quote (id);
  first = g_strdup_printf ("%s[%u]%s%s", list_path, GPOINTER_TO_UINT (earlier) - 1,
                           key != NULL ? "." : "", key != NULL ? key : "");
  /* Translators: what is duplicated (e.g. "service code"), the value, and the JSON path where
   * it first appeared. */
  return set_invalid (error, cat->source, path, _("duplicate %s %s (first at %s)"),
                      what, quoted, first);
}

/* Parsing the parts of the catalogue */

/* rules.holidays and rules.workdays: optional lists of distinct days, 'YYYY-MM-DD'. */
static gboolean
parse_days (Catalog     *cat,
            JsonObject  *rules,
            const char  *parent,
            const char  *key,
            char       **out_json,
            GError     **error)
{
  g_autofree char *list_path = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *array = NULL;
  const char *expect = _("an array of days written YYYY-MM-DD");

  json_builder_begin_array (builder);
  if (rules != NULL && json_object_has_member (rules, key))
    {
      if (!member_array (cat, rules, parent, key, expect, &array, &list_path, error))
        return FALSE;
      if (json_array_get_length (array) > 1000)
        return set_invalid (error, cat->source, list_path, _("must list at most %d days"), 1000);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_autofree char *path = path_index (list_path, i);
          g_autofree char *quoted = NULL;
          const char *day = NULL;
          int y, m, d;
          char tail;

          if (!node_string (cat, json_array_get_element (array, i), path, expect, &day, error))
            return FALSE;
          quoted = quote (day);
          if (strlen (day) != 10 || sscanf (day, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
              day[4] != '-' || day[7] != '-' || !g_date_valid_dmy (d, m, y))
            return set_invalid (error, cat->source, path, _("must be a day written YYYY-MM-DD, not %s"), quoted);
          if (!g_hash_table_add (seen, (gpointer) day))
            /* Translators: a day such as "2026-10-01". */
            return set_invalid (error, cat->source, path, _("%s is listed twice"), quoted);
          json_builder_add_string_value (builder, day);
        }
    }
  json_builder_end_array (builder);
  *out_json = builder_to_json (builder);
  return TRUE;
}

static gboolean
parse_hall (Catalog     *cat,
            JsonObject  *root,
            GError     **error)
{
  g_autofree char *path = NULL;
  g_autofree char *url_path = NULL;
  g_autofree char *rules_path = NULL;
  JsonObject *hall = NULL;
  JsonObject *rules = NULL;
  JsonNode *node = NULL;

  if (!member_object (cat, root, "$", "hall", TRUE, C_("catalogue", "an object"), &hall, &path,
                      error) ||
      !member_name (cat, hall, path, &cat->hall_name, error))
    return FALSE;

  if (!member (cat, hall, path, "status_base_url", FALSE, NULL, &node, &url_path, error))
    return FALSE;
  if (node != NULL)
    {
      /* Translators: completes "must be …". */
      const char *expect = _("a URL starting with http:// or https://");
      const char *url = NULL;

      if (!node_string (cat, node, url_path, expect, &url, error))
        return FALSE;
      if ((!g_str_has_prefix (url, "http://") || url[7] == '\0') &&
          (!g_str_has_prefix (url, "https://") || url[8] == '\0'))
        {
          g_autofree char *quoted = quote (url);

          return set_invalid (error, cat->source, url_path, _("must be %s, not %s"), expect, quoted);
        }
      cat->status_base_url = url;
    }

  if (!member_object (cat, root, "$", "rules", FALSE, C_("catalogue", "an object"), &rules,
                      &rules_path, error))
    return FALSE;
  if (rules != NULL && json_object_has_member (rules, "no_show_limit") &&
      !member_whole (cat, rules, rules_path, "no_show_limit", 1, 9, &cat->no_show_limit, error))
    return FALSE;
  if (rules != NULL && json_object_has_member (rules, "followup_days") &&
      !member_whole (cat, rules, rules_path, "followup_days", 1, 60, &cat->followup_days, error))
    return FALSE;
  if (!parse_days (cat, rules, rules_path, "holidays", &cat->holidays, error) ||
      !parse_days (cat, rules, rules_path, "workdays", &cat->workdays, error))
    return FALSE;
  if (rules != NULL && json_object_has_member (rules, "promise_days") &&
      !member_whole (cat, rules, rules_path, "promise_days", 1, OW_PROMISE_DAYS_MAX, &cat->promise_days, error))
    return FALSE;

  return TRUE;
}

/* Departments and documents share one shape: {"id", "name"}. */
static gboolean
parse_entries (Catalog     *cat,
               JsonObject  *root,
               const char  *key,
               const char  *what,
               GArray      *entries,
               GHashTable  *index,
               GError     **error)
{
  g_autofree char *list_path = NULL;
  JsonArray *array = NULL;

  if (!member_array (cat, root, "$", key, C_("catalogue", "an array"), &array, &list_path, error))
    return FALSE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *path = path_index (list_path, i);
      g_autofree char *id_path = NULL;
      CatEntry entry = { 0 };
      JsonObject *object = NULL;

      if (!node_object (cat, json_array_get_element (array, i), path, C_("catalogue", "an object"),
                        &object, error) ||
          !member_id (cat, object, path, "id", &entry.id, &id_path, error) ||
          !check_unique (cat, index, entry.id, what, list_path, "id", i, id_path, error) ||
          !member_name (cat, object, path, &entry.name, error))
        return FALSE;
      g_array_append_val (entries, entry);
    }

  return TRUE;
}

static gboolean
parse_hour (const char *text,
            int        *out_minutes)
{
  int h, m;

  if (!g_ascii_isdigit (text[0]) || !g_ascii_isdigit (text[1]) || text[2] != ':' ||
      !g_ascii_isdigit (text[3]) || !g_ascii_isdigit (text[4]))
    return FALSE;
  h = (text[0] - '0') * 10 + (text[1] - '0');
  m = (text[3] - '0') * 10 + (text[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0))
    return FALSE;
  *out_minutes = h * 60 + m;
  return TRUE;
}

static gboolean
parse_hours (Catalog     *cat,
             JsonObject  *object,
             const char  *parent,
             char       **out_json,
             GError     **error)
{
  g_autofree char *list_path = NULL;
  g_autofree int *starts = NULL;
  g_autofree int *ends = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  JsonArray *array = NULL;
  guint n;

  /* Translators: keep "HH:MM-HH:MM" as it is. */
  if (!member_array (cat, object, parent, "hours",
                     _("a non-empty array of \"HH:MM-HH:MM\" with times from 00:00 to 24:00"),
                     &array, &list_path, error))
    return FALSE;
  n = json_array_get_length (array);
  if (n == 0)
    /* Translators: keep "HH:MM-HH:MM" as it is. */
    return set_invalid (error, cat->source, list_path,
                        _("must list at least one range \"HH:MM-HH:MM\" with times from 00:00 to 24:00"));

  starts = g_new (int, n);
  ends = g_new (int, n);
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = path_index (list_path, i);
      g_autofree char *quoted = NULL;
      const char *range = NULL;

      if (!node_string (cat, json_array_get_element (array, i), path, HOURS_RULE, &range, error))
        return FALSE;
      quoted = quote (range);
      if (strlen (range) != 11 || range[5] != '-' ||
          !parse_hour (range, &starts[i]) || !parse_hour (range + 6, &ends[i]))
        return set_invalid (error, cat->source, path, _("must be %s, not %s"), HOURS_RULE, quoted);
      if (starts[i] >= ends[i])
        /* Translators: %s is a time range such as "12:00-09:00". */
        return set_invalid (error, cat->source, path, _("%s must start before it ends"), quoted);
      for (guint j = 0; j < i; j++)
        {
          if (starts[i] < ends[j] && starts[j] < ends[i])
            {
              g_autofree char *other = quote (json_array_get_string_element (array, j));
              g_autofree char *other_path = path_index (list_path, j);

              /* Translators: a time range, then the JSON path and the text of an earlier range
               * it overlaps, e.g. "\"09:00-12:00\" overlaps $.services[0].hours[0] \"08:00-10:00\"". */
              return set_invalid (error, cat->source, path, _("%s overlaps %s %s"),
                                  quoted, other_path, other);
            }
        }
      json_builder_add_string_value (builder, range);
    }
  json_builder_end_array (builder);

  *out_json = builder_to_json (builder);
  return TRUE;
}

static gboolean
parse_service_documents (Catalog     *cat,
                         JsonObject  *object,
                         const char  *parent,
                         char       **out_json,
                         GError     **error)
{
  g_autofree char *list_path = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *array = NULL;

  if (!member_array (cat, object, parent, "documents", _("an array of document ids"), &array,
                     &list_path, error))
    return FALSE;

  json_builder_begin_array (builder);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *path = path_index (list_path, i);
      const char *id = NULL;

      if (!node_id (cat, json_array_get_element (array, i), path, &id, error))
        return FALSE;
      if (!g_hash_table_contains (cat->document_ids, id))
        {
          g_autofree char *quoted = quote (id);

          /* Translators: a document ID, then the JSON path of the list of documents. */
          return set_invalid (error, cat->source, path, _("unknown document %s (not in %s)"),
                              quoted, "$.documents");
        }
      if (!check_unique (cat, seen, id, C_("catalogue", "document"), list_path, NULL, i, path,
                         error))
        return FALSE;
      json_builder_add_string_value (builder, id);
    }
  json_builder_end_array (builder);

  *out_json = builder_to_json (builder);
  return TRUE;
}

static gboolean
parse_steps (Catalog     *cat,
             JsonObject  *object,
             const char  *parent,
             CatService  *service,
             guint        service_index,
             GError     **error)
{
  g_autofree char *list_path = NULL;
  JsonArray *array = NULL;
  guint n;

  if (!member_array (cat, object, parent, "steps", _("a non-empty array of steps"), &array,
                     &list_path, error))
    return FALSE;
  n = json_array_get_length (array);
  if (n == 0)
    return set_invalid (error, cat->source, list_path, _("must list at least one step"));

  service->first_step = cat->steps->len;
  service->n_steps = n;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = path_index (list_path, i);
      g_autofree char *id_path = NULL;
      CatStep step = { 0 };
      JsonObject *step_object = NULL;
      gpointer earlier;

      if (!node_object (cat, json_array_get_element (array, i), path, C_("catalogue", "an object"),
                        &step_object, error) ||
          !member_id (cat, step_object, path, "id", &step.id, &id_path, error))
        return FALSE;

      /* Step ids are global, so the first occurrence may be in another service. */
      earlier = g_hash_table_lookup (cat->step_ids, step.id);
      if (earlier != NULL)
        {
          const CatStep *first = &g_array_index (cat->steps, CatStep,
                                                 GPOINTER_TO_UINT (earlier) - 1);
          g_autofree char *quoted = quote (step.id);
          g_autofree char *first_path = g_strdup_printf ("$.services[%u].steps[%u].id",
                                                         first->service, first->position);

          return set_invalid (error, cat->source, id_path, _("duplicate %s %s (first at %s)"),
                              C_("catalogue", "step id"), quoted, first_path);
        }

      if (!member_name (cat, step_object, path, &step.name, error) ||
          !member_whole (cat, step_object, path, "limit_minutes", 1, 1440, &step.limit_minutes,
                         error))
        {
          g_free (step.name);
          return FALSE;
        }
      step.service = service_index;
      step.position = i;
      g_array_append_val (cat->steps, step);
      g_hash_table_insert (cat->step_ids, (gpointer) step.id, GUINT_TO_POINTER (cat->steps->len));
    }

  return TRUE;
}

static gboolean
parse_service (Catalog     *cat,
               JsonNode    *node,
               const char  *list_path,
               guint        index,
               CatService  *service,
               GError     **error)
{
  g_autofree char *path = path_index (list_path, index);
  g_autofree char *code_path = NULL;
  g_autofree char *prefix_path = NULL;
  g_autofree char *department_path = NULL;
  g_autofree char *green_path = NULL;
  g_autoptr(JsonObject) extra = json_object_new ();
  g_autoptr(GList) members = NULL;
  JsonObject *object = NULL;
  JsonNode *prefix_node = NULL;
  JsonNode *green_node = NULL;

  if (!node_object (cat, node, path, C_("catalogue", "an object"), &object, error) ||
      !member_id (cat, object, path, "code", &service->code, &code_path, error) ||
      !check_unique (cat, cat->service_codes, service->code, C_("catalogue", "service code"),
                     list_path, "code", index, code_path, error))
    return FALSE;

  if (!member (cat, object, path, "prefix", TRUE, _("one uppercase letter A to Z"), &prefix_node,
               &prefix_path, error) ||
      !node_string (cat, prefix_node, prefix_path, _("one uppercase letter A to Z"),
                    &service->prefix, error))
    return FALSE;
  if (strlen (service->prefix) != 1 || !g_ascii_isupper (service->prefix[0]))
    {
      g_autofree char *quoted = quote (service->prefix);

      return set_invalid (error, cat->source, prefix_path,
                          _("must be one uppercase letter A to Z, not %s"), quoted);
    }

  if (!member_id (cat, object, path, "department", &service->department, &department_path, error))
    return FALSE;
  if (!g_hash_table_contains (cat->department_ids, service->department))
    {
      g_autofree char *quoted = quote (service->department);

      return set_invalid (error, cat->source, department_path,
                          /* Translators: a department ID, then the JSON path of the list of
                           * departments. */
                          _("unknown department %s (not in %s)"), quoted, "$.departments");
    }

  if (!member_name (cat, object, path, &service->name, error) ||
      !member_whole (cat, object, path, "daily_cap", 1, 9999, &service->daily_cap, error) ||
      !parse_hours (cat, object, path, &service->hours, error))
    return FALSE;

  /* Optional: how many waiting tickets of this service raise an alert. */
  if (json_object_has_member (object, "alert_waiting") &&
      !member_whole (cat, object, path, "alert_waiting", 1, 9999, &service->alert_waiting, error))
    return FALSE;

  if (!member (cat, object, path, "green_channel", TRUE, C_("catalogue", "true or false"),
               &green_node, &green_path, error) ||
      !node_boolean (cat, green_node, green_path, &service->green_channel, error))
    return FALSE;

  if (!parse_service_documents (cat, object, path, &service->documents, error) ||
      !parse_steps (cat, object, path, service, index, error))
    return FALSE;

  /* Keys we do not model are kept, so a newer catalogue survives an older program. */
  members = json_object_get_members (object);
  for (const GList *l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      gboolean known = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (service_keys) && !known; i++)
        known = g_str_equal (key, service_keys[i]);
      if (!known)
        json_object_set_member (extra, key, json_node_copy (json_object_get_member (object, key)));
    }
  if (json_object_get_size (extra) > 0)
    {
      g_autoptr(JsonNode) extra_node = json_node_init_object (json_node_alloc (), extra);

      service->extra = node_to_json (extra_node);
    }

  return TRUE;
}

static gboolean
parse_services (Catalog     *cat,
                JsonObject  *root,
                GError     **error)
{
  g_autofree char *list_path = NULL;
  JsonArray *array = NULL;

  if (!member_array (cat, root, "$", "services", C_("catalogue", "an array"), &array, &list_path,
                     error))
    return FALSE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      CatService service = { 0 };

      if (!parse_service (cat, json_array_get_element (array, i), list_path, i, &service, error))
        {
          cat_service_clear (&service);
          return FALSE;
        }
      g_array_append_val (cat->services, service);
    }

  return TRUE;
}

static gboolean
parse_window (Catalog     *cat,
              JsonNode    *node,
              const char  *list_path,
              guint        index,
              CatWindow   *window,
              GError     **error)
{
  g_autofree char *path = path_index (list_path, index);
  g_autofree char *id_path = NULL;
  g_autofree char *number_path = NULL;
  g_autofree char *steps_path = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonObject *object = NULL;
  JsonArray *steps = NULL;
  gpointer earlier;

  if (!node_object (cat, node, path, C_("catalogue", "an object"), &object, error) ||
      !member_id (cat, object, path, "id", &window->id, &id_path, error) ||
      !check_unique (cat, cat->window_ids, window->id, C_("catalogue", "window id"), list_path,
                     "id", index, id_path, error) ||
      !member_whole (cat, object, path, "number", 1, 999, &window->number, error))
    return FALSE;

  earlier = g_hash_table_lookup (cat->window_numbers, &window->number);
  number_path = path_member (path, "number");
  if (earlier != NULL)
    {
      g_autofree char *first_path = g_strdup_printf ("%s[%u].number", list_path,
                                                     GPOINTER_TO_UINT (earlier) - 1);

      /* Translators: a window number, then the JSON path where it first appeared. */
      return set_invalid (error, cat->source, number_path,
                          _("duplicate window number %lld (first at %s)"),
                          (long long) window->number, first_path);
    }
  g_hash_table_insert (cat->window_numbers, g_memdup2 (&window->number, sizeof window->number),
                       GUINT_TO_POINTER (index + 1));

  if (!member_name (cat, object, path, &window->name, error) ||
      !member_array (cat, object, path, "steps", _("an array of step ids"), &steps, &steps_path,
                     error))
    return FALSE;

  window->steps = g_ptr_array_new ();
  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      g_autofree char *step_path = path_index (steps_path, i);
      const char *id = NULL;
      gpointer step_index;

      if (!node_id (cat, json_array_get_element (steps, i), step_path, &id, error))
        return FALSE;
      step_index = g_hash_table_lookup (cat->step_ids, id);
      if (step_index == NULL)
        {
          g_autofree char *quoted = quote (id);

          return set_invalid (error, cat->source, step_path,
                              _("unknown step %s (no service lists it)"), quoted);
        }
      if (!check_unique (cat, seen, id, C_("catalogue", "step"), steps_path, NULL, i, step_path,
                         error))
        return FALSE;
      g_array_index (cat->steps, CatStep, GPOINTER_TO_UINT (step_index) - 1).served = TRUE;
      g_ptr_array_add (window->steps, (gpointer) id);
    }

  return TRUE;
}

static gboolean
parse_windows (Catalog     *cat,
               JsonObject  *root,
               GError     **error)
{
  g_autofree char *list_path = NULL;
  JsonArray *array = NULL;

  if (!member_array (cat, root, "$", "windows", C_("catalogue", "an array"), &array, &list_path,
                     error))
    return FALSE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      CatWindow window = { 0 };

      if (!parse_window (cat, json_array_get_element (array, i), list_path, i, &window, error))
        {
          cat_window_clear (&window);
          return FALSE;
        }
      g_array_append_val (cat->windows, window);
    }

  /* A step no window serves would strand every ticket that reaches it. */
  for (guint i = 0; i < cat->steps->len; i++)
    {
      const CatStep *step = &g_array_index (cat->steps, CatStep, i);

      if (!step->served)
        {
          g_autofree char *path = g_strdup_printf ("$.services[%u].steps[%u]",
                                                   step->service, step->position);

          return set_invalid (error, cat->source, path, _("no window serves this step"));
        }
    }

  return TRUE;
}

/* JSON syntax, including members given twice */

typedef struct
{
  GHashTable *members;       /* JsonObject * -> members seen so far */
  JsonObject *dup_object;
  char       *dup_name;
  guint       dup_line;
} ParseState;

static void
object_member_cb (JsonParser *parser,
                  JsonObject *object,
                  const char *member_name,
                  gpointer    user_data)
{
  ParseState *state = user_data;
  guint seen = GPOINTER_TO_UINT (g_hash_table_lookup (state->members, object)) + 1;

  /* json-glib keeps the last of two equal member names without a word, so an object that did
   * not grow has just lost a member. */
  g_hash_table_insert (state->members, object, GUINT_TO_POINTER (seen));
  if (seen > json_object_get_size (object) && state->dup_object == NULL)
    {
      state->dup_object = json_object_ref (object);
      state->dup_name = g_strdup (member_name);
      state->dup_line = json_parser_get_current_line (parser);
    }
}

static char *
find_object_path (JsonNode   *node,
                  JsonObject *target,
                  const char *path)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      g_autoptr(GList) members = NULL;

      if (object == target)
        return g_strdup (path);
      members = json_object_get_members (object);
      for (const GList *l = members; l != NULL; l = l->next)
        {
          g_autofree char *child = path_member (path, l->data);
          char *found = find_object_path (json_object_get_member (object, l->data), target, child);

          if (found != NULL)
            return found;
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_autofree char *child = path_index (path, i);
          char *found = find_object_path (json_array_get_element (array, i), target, child);

          if (found != NULL)
            return found;
        }
    }
  return NULL;
}


/* json-glib says "<data>:LINE:COLUMN: Parse error: WHAT", translated as a whole (in zh_CN
 * "<data>:2:12：解析错误：WHAT"): the position, and what follows its label, or NULL. */
static const char *
json_error_position (const char *message,
                     guint      *line,
                     guint      *column)
{
  /* Its own translation of the message, to find the label between the position and WHAT. */
  const char *format = g_dgettext ("json-glib-1.0", "%s:%d:%d: Parse error: %s");
  const char *label = NULL, *label_end = NULL;
  int consumed = 0;
  guint conversions = 0;

  if (sscanf (message, "<data>:%u:%u%n", line, column, &consumed) != 2 || consumed == 0)
    return NULL;
  for (const char *p = format; *p != '\0'; p++)
    {
      if (*p != '%')
        continue;
      if (p[1] == '%')
        {
          p++;
          continue;
        }
      if (++conversions == 4)
        {
          label_end = p;
          break;
        }
      p += strcspn (p, "ds");   /* to the conversion's letter, past any "1$" */
      if (*p == '\0')
        return NULL;
      if (conversions == 3)
        label = p + 1;
    }
  message += consumed;
  if (label != NULL && label_end != NULL && strncmp (message, label, label_end - label) == 0)
    return message + (label_end - label);
  return NULL;
}

static gboolean
parse_json (Catalog     *cat,
            const char  *data,
            gsize        length,
            JsonObject **out_root,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  ParseState state = { 0 };
  JsonNode *root = NULL;
  gboolean ok;

  state.members = g_hash_table_new (NULL, NULL);
  cat->parser = json_parser_new ();
  g_signal_connect (cat->parser, "object-member", G_CALLBACK (object_member_cb), &state);
  ok = json_parser_load_from_data (cat->parser, data, length, &local_error);
  g_signal_handlers_disconnect_by_func (cat->parser, object_member_cb, &state);
  g_clear_pointer (&state.members, g_hash_table_unref);

  if (!ok)
    {
      const char *message = local_error->message;
      const char *what;
      guint line = 0, column = 0;

      g_clear_pointer (&state.dup_object, json_object_unref);
      g_clear_pointer (&state.dup_name, g_free);

      if ((what = json_error_position (message, &line, &column)) != NULL)
        /* Translators: the file name, a line and a column, and the JSON parser's message. */
        g_set_error (error, OW_CATALOG_ERROR, OW_CATALOG_ERROR_SYNTAX,
                     _("%s: line %u, column %u: not valid JSON: %s"),
                     cat->source, line, column, what);
      else
        g_set_error (error, OW_CATALOG_ERROR, OW_CATALOG_ERROR_SYNTAX, _("%s: not valid JSON: %s"),
                     cat->source, message);
      return FALSE;
    }

  root = json_parser_get_root (cat->parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_clear_pointer (&state.dup_object, json_object_unref);
      g_clear_pointer (&state.dup_name, g_free);
      /* Translators: the file name, the JSON path of the whole document ("$") and what the
       * document is instead, e.g. "an array" or "empty". */
      g_set_error (error, OW_CATALOG_ERROR, OW_CATALOG_ERROR_SYNTAX,
                   _("%s: %s: a catalogue must be a JSON object, not %s"),
                   cat->source, "$", root == NULL ? C_("catalogue", "empty") : describe_node (root));
      return FALSE;
    }

  if (state.dup_object != NULL)
    {
      g_autofree char *object_path = find_object_path (root, state.dup_object, "$");
      g_autofree char *path = path_member (object_path != NULL ? object_path : "$", state.dup_name);

      json_object_unref (state.dup_object);
      g_free (state.dup_name);
      /* Translators: a JSON object member appears twice; %u is a line number. */
      return set_invalid (error, cat->source, path, _("given twice in one object (line %u)"),
                          state.dup_line);
    }

  *out_root = json_node_get_object (root);
  return TRUE;
}

static Catalog *
catalog_parse (const char  *source,
               const char  *data,
               gsize        length,
               GError     **error)
{
  g_autoptr(Catalog) cat = catalog_new (source);
  JsonObject *root = NULL;

  if (!parse_json (cat, data, length, &root, error) ||
      !parse_hall (cat, root, error) ||
      !parse_entries (cat, root, "departments", C_("catalogue", "department id"), cat->departments,
                      cat->department_ids, error) ||
      !parse_entries (cat, root, "documents", C_("catalogue", "document id"), cat->documents,
                      cat->document_ids, error) ||
      !parse_services (cat, root, error) ||
      !parse_windows (cat, root, error))
    return NULL;

  return g_steal_pointer (&cat);
}

/* Writing */

/* Marks retired every active row of a table that the new catalogue does not list. */
static gboolean
retire_missing (OwDb        *db,
                const char  *select_sql,
                const char  *update_sql,
                GHashTable  *listed,
                guint       *retired,
                GError     **error)
{
  g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(sqlite3_stmt) select = ow_db_prepare (db, select_sql, error);
  int rc;

  if (select == NULL)
    return FALSE;
  while ((rc = ow_db_step_row (db, select, error)) == SQLITE_ROW)
    {
      const char *id = ow_db_column_text (select, 0);

      if (id != NULL && !g_hash_table_contains (listed, id))
        g_ptr_array_add (missing, g_strdup (id));
    }
  if (rc < 0)
    return FALSE;
  ow_db_release (g_steal_pointer (&select));

  for (guint i = 0; i < missing->len; i++)
    {
      g_autoptr(sqlite3_stmt) update = ow_db_prepare (db, update_sql, error);

      if (update == NULL)
        return FALSE;
      sqlite3_bind_text (update, 1, missing->pdata[i], -1, SQLITE_STATIC);
      if (!ow_db_step_done (db, update, error))
        return FALSE;
      (*retired)++;
    }

  return TRUE;
}

static gboolean
write_entries (OwDb        *db,
               GArray      *entries,
               const char  *sql,
               GError     **error)
{
  for (guint i = 0; i < entries->len; i++)
    {
      const CatEntry *entry = &g_array_index (entries, CatEntry, i);
      g_autoptr(sqlite3_stmt) stmt = ow_db_prepare (db, sql, error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, entry->id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, entry->name, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, i);
      if (!ow_db_step_done (db, stmt, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
write_services (OwDb     *db,
                Catalog  *cat,
                GError  **error)
{
  for (guint i = 0; i < cat->services->len; i++)
    {
      const CatService *service = &g_array_index (cat->services, CatService, i);
      g_autoptr(sqlite3_stmt) stmt = NULL;

      stmt = ow_db_prepare (db,
                            "INSERT INTO services (code, prefix, department, name, daily_cap,"
                            " hours, green_channel, documents, extra, ord, active, alert_waiting)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11)"
                            " ON CONFLICT (code) DO UPDATE SET prefix = excluded.prefix,"
                            " department = excluded.department, name = excluded.name,"
                            " daily_cap = excluded.daily_cap, hours = excluded.hours,"
                            " green_channel = excluded.green_channel,"
                            " documents = excluded.documents, extra = excluded.extra,"
                            " ord = excluded.ord, active = 1, alert_waiting = excluded.alert_waiting",
                            error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, service->code, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, service->prefix, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, service->department, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, service->name, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 5, service->daily_cap);
      sqlite3_bind_text (stmt, 6, service->hours, -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 7, service->green_channel ? 1 : 0);
      sqlite3_bind_text (stmt, 8, service->documents, -1, SQLITE_STATIC);
      if (service->extra != NULL)
        sqlite3_bind_text (stmt, 9, service->extra, -1, SQLITE_STATIC);
      else
        sqlite3_bind_null (stmt, 9);
      sqlite3_bind_int64 (stmt, 10, i);
      sqlite3_bind_int64 (stmt, 11, service->alert_waiting);
      if (!ow_db_step_done (db, stmt, error))
        return FALSE;
    }

  for (guint i = 0; i < cat->steps->len; i++)
    {
      const CatStep *step = &g_array_index (cat->steps, CatStep, i);
      const CatService *service = &g_array_index (cat->services, CatService, step->service);
      g_autoptr(sqlite3_stmt) stmt = NULL;

      stmt = ow_db_prepare (db,
                            "INSERT INTO steps (id, service, position, name, limit_minutes, active)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, 1)"
                            " ON CONFLICT (id) DO UPDATE SET service = excluded.service,"
                            " position = excluded.position, name = excluded.name,"
                            " limit_minutes = excluded.limit_minutes, active = 1",
                            error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, step->id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, service->code, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, step->position);
      sqlite3_bind_text (stmt, 4, step->name, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 5, step->limit_minutes);
      if (!ow_db_step_done (db, stmt, error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
write_windows (OwDb     *db,
               Catalog  *cat,
               GError  **error)
{
  g_autoptr(sqlite3_stmt) clear = NULL;

  /* paused, pause_reason, staff and ticket describe the hall right now, not the catalogue. */
  for (guint i = 0; i < cat->windows->len; i++)
    {
      const CatWindow *window = &g_array_index (cat->windows, CatWindow, i);
      g_autoptr(sqlite3_stmt) stmt = NULL;

      stmt = ow_db_prepare (db,
                            "INSERT INTO windows (id, number, name, ord, active)"
                            " VALUES (?1, ?2, ?3, ?4, 1)"
                            " ON CONFLICT (id) DO UPDATE SET number = excluded.number,"
                            " name = excluded.name, ord = excluded.ord, active = 1",
                            error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, window->id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, window->number);
      sqlite3_bind_text (stmt, 3, window->name, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 4, i);
      if (!ow_db_step_done (db, stmt, error))
        return FALSE;
    }

  clear = ow_db_prepare (db, "DELETE FROM window_steps", error);
  if (clear == NULL || !ow_db_step_done (db, clear, error))
    return FALSE;
  ow_db_release (g_steal_pointer (&clear));

  for (guint i = 0; i < cat->windows->len; i++)
    {
      const CatWindow *window = &g_array_index (cat->windows, CatWindow, i);

      for (guint j = 0; j < window->steps->len; j++)
        {
          g_autoptr(sqlite3_stmt) stmt = NULL;

          stmt = ow_db_prepare (db, "INSERT INTO window_steps (window, step) VALUES (?1, ?2)",
                                error);
          if (stmt == NULL)
            return FALSE;
          sqlite3_bind_text (stmt, 1, window->id, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 2, window->steps->pdata[j], -1, SQLITE_STATIC);
          if (!ow_db_step_done (db, stmt, error))
            return FALSE;
        }
    }

  return TRUE;
}

static GPtrArray *
collect_open_tickets (OwDb     *db,
                      GError  **error)
{
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (open_ticket_free);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = ow_db_prepare (db,
                        "SELECT t.id, t.number, t.service, t.state, t.step, t.window,"
                        " t.target_window, t.day, s.position, t.visit"
                        " FROM tickets t LEFT JOIN steps s ON s.id = t.step"
                        " WHERE t.state IN ('waiting', 'called', 'serving', 'returned')"
                        " ORDER BY t.id",
                        error);
  if (stmt == NULL)
    return NULL;

  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      OpenTicket *ticket = g_new0 (OpenTicket, 1);

      ticket->id = sqlite3_column_int64 (stmt, 0);
      ticket->number = g_strdup (ow_db_column_text (stmt, 1));
      ticket->service = g_strdup (ow_db_column_text (stmt, 2));
      ticket->state = g_strdup (ow_db_column_text (stmt, 3));
      ticket->step = g_strdup (ow_db_column_text (stmt, 4));
      ticket->window = g_strdup (ow_db_column_text (stmt, 5));
      ticket->target_window = g_strdup (ow_db_column_text (stmt, 6));
      ticket->day = g_strdup (ow_db_column_text (stmt, 7));
      ticket->position = sqlite3_column_type (stmt, 8) == SQLITE_NULL
                         ? -1 : sqlite3_column_int64 (stmt, 8);
      ticket->visit = sqlite3_column_int64 (stmt, 9);
      g_ptr_array_add (tickets, ticket);
    }
  if (rc < 0)
    return NULL;

  return g_steal_pointer (&tickets);
}

/* Takes the ticket out of any window's hands and ends its open visit with @outcome. */
static gboolean
end_visit (OwDb              *db,
           const OpenTicket  *ticket,
           const char        *outcome,
           gint64             now,
           GError           **error)
{
  g_autoptr(sqlite3_stmt) windows = NULL;
  g_autoptr(sqlite3_stmt) visits = NULL;

  windows = ow_db_prepare (db, "UPDATE windows SET ticket = NULL WHERE ticket = ?1", error);
  if (windows == NULL)
    return FALSE;
  sqlite3_bind_int64 (windows, 1, ticket->id);
  if (!ow_db_step_done (db, windows, error))
    return FALSE;

  visits = ow_db_prepare (db,
                          "UPDATE visits SET ended_at = ?2, outcome = ?3"
                          " WHERE id = ?1 AND ended_at IS NULL",
                          error);
  if (visits == NULL)
    return FALSE;
  sqlite3_bind_int64 (visits, 1, ticket->visit);
  sqlite3_bind_int64 (visits, 2, now);
  sqlite3_bind_text (visits, 3, outcome, -1, SQLITE_STATIC);
  return ow_db_step_done (db, visits, error);
}

/* Engines cache the catalogue (ow-catalog-cache.c) and reload it when this changes. */
static gboolean
bump_generation (OwDb    *db,
                 GError **error)
{
  return ow_db_exec (db,
                     "INSERT INTO settings (key, value) VALUES ('catalog_generation', '1')"
                     " ON CONFLICT (key) DO UPDATE SET value = CAST (value AS INTEGER) + 1",
                     error);
}

static gboolean
log_ticket_event (OwDb              *db,
                  const OwActor     *actor,
                  gint64             now,
                  const OpenTicket  *ticket,
                  const char        *action,
                  JsonBuilder       *details,
                  GError           **error)
{
  g_autofree char *text = builder_to_json (details);
  OwAuditEvent event = {
    .at = now,
    .actor = actor != NULL && actor->actor != NULL ? actor->actor : "system",
    .terminal = actor != NULL ? actor->terminal : NULL,
    .ticket = ticket->number,
    .ticket_id = ticket->id,
    .action = action,
    .details = text,
  };

  return ow_audit_append (db, &event, NULL, error);
}

/* Puts the ticket at the back of @to_step's queue as the engine does for a transfer: the
 * visit at the old step ends as 'transferred' and a new one begins. */
static gboolean
requeue_ticket (OwDb              *db,
                const OpenTicket  *ticket,
                const char        *to_step,
                gint64             now,
                GError           **error)
{
  g_autoptr(sqlite3_stmt) update = NULL;
  g_autoptr(sqlite3_stmt) visit = NULL;

  if (!end_visit (db, ticket, "transferred", now, error))
    return FALSE;

  visit = ow_db_prepare (db,
                         "INSERT INTO visits (ticket, step, day, queued_at)"
                         " VALUES (?1, ?2, ?3, ?4)",
                         error);
  if (visit == NULL)
    return FALSE;
  sqlite3_bind_int64 (visit, 1, ticket->id);
  sqlite3_bind_text (visit, 2, to_step, -1, SQLITE_STATIC);
  sqlite3_bind_text (visit, 3, ticket->day, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (visit, 4, now);
  if (!ow_db_step_done (db, visit, error))
    return FALSE;

  update = ow_db_prepare (db,
                          "UPDATE tickets SET step = ?2, state = 'waiting', window = NULL,"
                          " target_window = NULL, queued_at = ?3, called_at = NULL,"
                          " started_at = NULL, visit = last_insert_rowid () WHERE id = ?1",
                          error);
  if (update == NULL)
    return FALSE;
  sqlite3_bind_int64 (update, 1, ticket->id);
  sqlite3_bind_text (update, 2, to_step, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (update, 3, now);
  return ow_db_step_done (db, update, error);
}

/* Changes only the step and the target window: for a returned ticket, which has no open
 * visit and whose citizen is away fetching documents, and for a waiting ticket whose target
 * window went away. */
static gboolean
retarget_ticket (OwDb              *db,
                 const OpenTicket  *ticket,
                 const char        *to_step,
                 const char        *target_window,
                 GError           **error)
{
  g_autoptr(sqlite3_stmt) update = NULL;

  update = ow_db_prepare (db, "UPDATE tickets SET step = ?2, target_window = ?3 WHERE id = ?1",
                          error);
  if (update == NULL)
    return FALSE;
  sqlite3_bind_int64 (update, 1, ticket->id);
  sqlite3_bind_text (update, 2, to_step, -1, SQLITE_STATIC);
  if (target_window != NULL)
    sqlite3_bind_text (update, 3, target_window, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (update, 3);
  return ow_db_step_done (db, update, error);
}

static gboolean
cancel_ticket (OwDb              *db,
               const OwActor     *actor,
               gint64             now,
               const OpenTicket  *ticket,
               GError           **error)
{
  g_autoptr(sqlite3_stmt) update = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  if (!end_visit (db, ticket, "cancelled", now, error))
    return FALSE;

  update = ow_db_prepare (db,
                          "UPDATE tickets SET state = 'cancelled', window = NULL, ended_at = ?2"
                          " WHERE id = ?1",
                          error);
  if (update == NULL)
    return FALSE;
  sqlite3_bind_int64 (update, 1, ticket->id);
  sqlite3_bind_int64 (update, 2, now);
  if (!ow_db_step_done (db, update, error))
    return FALSE;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, "catalogue: service removed");
  json_builder_end_object (builder);
  return log_ticket_event (db, actor, now, ticket, "cancel", builder, error);
}

/* Nothing open may be left pointing at a retired row.  A ticket whose step was retired goes
 * to the step at the same place in its service's new flow (the last, if the flow got
 * shorter); a ticket whose whole service was retired is cancelled.  Following the same rule,
 * a ticket called or served at a retired window goes back to its step's queue, and a retired
 * target window is dropped (the ticket waits in its step's common queue instead). */
static gboolean
rehome_tickets (OwDb           *db,
                Catalog        *cat,
                const OwActor  *actor,
                gint64          now,
                GPtrArray      *tickets,
                guint          *moved,
                guint          *cancelled,
                GError        **error)
{
  for (guint i = 0; i < tickets->len; i++)
    {
      const OpenTicket *ticket = tickets->pdata[i];
      gpointer service_index = ticket->service != NULL
                               ? g_hash_table_lookup (cat->service_codes, ticket->service) : NULL;
      g_autoptr(JsonBuilder) builder = NULL;
      const CatService *service;
      const char *to_step = ticket->step;
      const char *reason = NULL;
      gpointer step_index;
      gboolean step_changed = FALSE;
      gboolean at_retired_window;
      gboolean bad_target;
      gboolean ok;

      if (service_index == NULL)
        {
          if (!cancel_ticket (db, actor, now, ticket, error))
            return FALSE;
          (*cancelled)++;
          continue;
        }

      /* A ticket between steps has nothing to move. */
      if (ticket->step == NULL)
        continue;

      service = &g_array_index (cat->services, CatService, GPOINTER_TO_UINT (service_index) - 1);
      step_index = g_hash_table_lookup (cat->step_ids, ticket->step);
      if (step_index == NULL ||
          g_array_index (cat->steps, CatStep, GPOINTER_TO_UINT (step_index) - 1).service !=
          GPOINTER_TO_UINT (service_index) - 1)
        {
          guint position = (guint) CLAMP (ticket->position, 0, (gint64) service->n_steps - 1);

          to_step = g_array_index (cat->steps, CatStep, service->first_step + position).id;
          step_changed = TRUE;
        }

      at_retired_window = (g_strcmp0 (ticket->state, "called") == 0 ||
                           g_strcmp0 (ticket->state, "serving") == 0) &&
                          ticket->window != NULL &&
                          !g_hash_table_contains (cat->window_ids, ticket->window);
      bad_target = ticket->target_window != NULL &&
                   !g_hash_table_contains (cat->window_ids, ticket->target_window);

      if (step_changed)
        reason = "catalogue: step removed";
      else if (at_retired_window)
        reason = "catalogue: window removed";
      else if (bad_target)
        reason = "catalogue: target window removed";
      else
        continue;

      /* A returned ticket stays returned: its citizen is away fetching documents, and calling
       * it now would only make a no-show.  It re-enters at the new step. */
      if (g_strcmp0 (ticket->state, "returned") == 0 || (!step_changed && !at_retired_window))
        ok = retarget_ticket (db, ticket, to_step,
                              bad_target ? NULL : ticket->target_window, error);
      else
        ok = requeue_ticket (db, ticket, to_step, now, error);
      if (!ok)
        return FALSE;

      builder = json_builder_new ();
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "from_step");
      json_builder_add_string_value (builder, ticket->step);
      json_builder_set_member_name (builder, "to_step");
      json_builder_add_string_value (builder, to_step);
      json_builder_set_member_name (builder, "reason");
      json_builder_add_string_value (builder, reason);
      json_builder_end_object (builder);
      if (!log_ticket_event (db, actor, now, ticket, "catalog_moved", builder, error))
        return FALSE;
      (*moved)++;
    }

  return TRUE;
}

static char *
sha256_hex (const char *data,
            gsize       length)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, length);
}

static gboolean
write_catalog (OwDb           *db,
               OwClock        *clock,
               const OwActor  *actor,
               Catalog        *cat,
               const char     *sha256,
               JsonObject    **out_summary,
               GError        **error)
{
  g_autoptr(GPtrArray) tickets = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) summary = NULL;
  g_autofree char *details = NULL;
  g_autofree char *no_show_limit = NULL;
  g_autofree char *followup_days = NULL;
  g_autofree char *promise_days = NULL;
  gint64 now = ow_clock_now (clock);
  guint retired = 0;
  guint moved = 0;
  guint cancelled = 0;
  OwAuditEvent event = { 0 };

  if (!ow_db_begin (db, TRUE, error))
    return FALSE;

  tickets = collect_open_tickets (db, error);
  if (tickets == NULL)
    goto fail;

  no_show_limit = g_strdup_printf ("%" G_GINT64_FORMAT, cat->no_show_limit);
  followup_days = g_strdup_printf ("%" G_GINT64_FORMAT, cat->followup_days);
  promise_days = g_strdup_printf ("%" G_GINT64_FORMAT, cat->promise_days);

  if (!retire_missing (db, "SELECT id FROM departments WHERE active = 1",
                       "UPDATE departments SET active = 0 WHERE id = ?1",
                       cat->department_ids, &retired, error) ||
      !retire_missing (db, "SELECT id FROM documents WHERE active = 1",
                       "UPDATE documents SET active = 0 WHERE id = ?1",
                       cat->document_ids, &retired, error) ||
      !retire_missing (db, "SELECT code FROM services WHERE active = 1",
                       "UPDATE services SET active = 0 WHERE code = ?1",
                       cat->service_codes, &retired, error) ||
      !retire_missing (db, "SELECT id FROM steps WHERE active = 1",
                       "UPDATE steps SET active = 0 WHERE id = ?1",
                       cat->step_ids, &retired, error) ||
      !retire_missing (db, "SELECT id FROM windows WHERE active = 1",
                       "UPDATE windows SET active = 0 WHERE id = ?1",
                       cat->window_ids, &retired, error) ||
      !write_entries (db, cat->departments,
                      "INSERT INTO departments (id, name, ord, active) VALUES (?1, ?2, ?3, 1)"
                      " ON CONFLICT (id) DO UPDATE SET name = excluded.name, ord = excluded.ord,"
                      " active = 1",
                      error) ||
      !write_entries (db, cat->documents,
                      "INSERT INTO documents (id, name, ord, active) VALUES (?1, ?2, ?3, 1)"
                      " ON CONFLICT (id) DO UPDATE SET name = excluded.name, ord = excluded.ord,"
                      " active = 1",
                      error) ||
      !write_services (db, cat, error) ||
      !write_windows (db, cat, error) ||
      !rehome_tickets (db, cat, actor, now, tickets, &moved, &cancelled, error) ||
      !ow_db_set_setting (db, "hall_name", cat->hall_name, error) ||
      !ow_db_set_setting (db, "status_base_url", cat->status_base_url, error) ||
      !ow_db_set_setting (db, "no_show_limit", no_show_limit, error) ||
      !ow_db_set_setting (db, "followup_days", followup_days, error) ||
      !ow_db_set_setting (db, "promise_days", promise_days, error) ||
      !ow_db_set_setting (db, "holidays", cat->holidays, error) ||
      !ow_db_set_setting (db, "workdays", cat->workdays, error) ||
      !bump_generation (db, error))
    goto fail;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "source");
  json_builder_add_string_value (builder, cat->source);
  json_builder_set_member_name (builder, "sha256");
  json_builder_add_string_value (builder, sha256);
  json_builder_set_member_name (builder, "departments");
  json_builder_add_int_value (builder, cat->departments->len);
  json_builder_set_member_name (builder, "documents");
  json_builder_add_int_value (builder, cat->documents->len);
  json_builder_set_member_name (builder, "services");
  json_builder_add_int_value (builder, cat->services->len);
  json_builder_set_member_name (builder, "steps");
  json_builder_add_int_value (builder, cat->steps->len);
  json_builder_set_member_name (builder, "windows");
  json_builder_add_int_value (builder, cat->windows->len);
  json_builder_set_member_name (builder, "retired");
  json_builder_add_int_value (builder, retired);
  json_builder_set_member_name (builder, "moved");
  json_builder_add_int_value (builder, moved);
  json_builder_set_member_name (builder, "cancelled");
  json_builder_add_int_value (builder, cancelled);
  json_builder_end_object (builder);
  summary = json_builder_get_root (builder);
  details = node_to_json (summary);

  event.at = now;
  event.actor = actor != NULL && actor->actor != NULL ? actor->actor : "system";
  event.terminal = actor != NULL ? actor->terminal : NULL;
  event.action = "catalog_import";
  event.details = details;
  if (!ow_audit_append (db, &event, NULL, error))
    goto fail;
  /* A failed commit has rolled back already; rolling back again would undo an outer
   * transaction's work when this import runs inside one. */
  if (!ow_db_commit (db, error))
    return FALSE;

  if (out_summary != NULL)
    *out_summary = json_object_ref (json_node_get_object (summary));
  return TRUE;

fail:
  ow_db_rollback (db);
  return FALSE;
}

gboolean
ow_catalog_import_data (OwDb           *db,
                        OwClock        *clock,
                        const OwActor  *actor,
                        const char     *name,
                        const char     *data,
                        gssize          length,
                        JsonObject    **out_summary,
                        GError        **error)
{
  g_autoptr(Catalog) cat = NULL;
  g_autofree char *sha256 = NULL;

  g_return_val_if_fail (OW_IS_DB (db), FALSE);
  g_return_val_if_fail (OW_IS_CLOCK (clock), FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (name == NULL)
    name = "<data>";
  if (data == NULL)
    data = "";
  if (length < 0)
    length = strlen (data);

  if (out_summary != NULL)
    *out_summary = NULL;

  cat = catalog_parse (name, data, length, error);
  if (cat == NULL)
    return FALSE;

  sha256 = sha256_hex (data, length);
  return write_catalog (db, clock, actor, cat, sha256, out_summary, error);
}

/* Reads the whole file, refusing anything implausibly large for a catalogue (say, a device
 * node given by mistake) instead of reading until memory runs out. */
static char *
read_catalog_file (const char  *path,
                   gsize       *out_length,
                   GError     **error)
{
  g_autoptr(GString) contents = g_string_new (NULL);
  char buf[8192];
  FILE *file;
  gsize n;
  int saved_errno = 0;

  file = g_fopen (path, "rb");
  if (file == NULL)
    {
      saved_errno = errno;
      /* Translators: the file name and the system's reason. */
      g_set_error (error, OW_CATALOG_ERROR, OW_CATALOG_ERROR_READ, _("%s: cannot open: %s"),
                   path, g_strerror (saved_errno));
      return NULL;
    }

  while ((n = fread (buf, 1, sizeof buf, file)) > 0)
    {
      g_string_append_len (contents, buf, n);
      if (contents->len > MAX_CATALOG_BYTES)
        {
          fclose (file);
          g_set_error (error, OW_CATALOG_ERROR, OW_CATALOG_ERROR_READ,
                       _("%s: larger than %d MiB; not a catalogue"), path,
                       MAX_CATALOG_BYTES / (1024 * 1024));
          return NULL;
        }
    }
  if (ferror (file))
    saved_errno = errno != 0 ? errno : EIO;
  fclose (file);

  if (saved_errno != 0)
    {
      /* Translators: the file name and the system's reason. */
      g_set_error (error, OW_CATALOG_ERROR, OW_CATALOG_ERROR_READ, _("%s: cannot read: %s"),
                   path, g_strerror (saved_errno));
      return NULL;
    }

  *out_length = contents->len;
  return g_string_free (g_steal_pointer (&contents), FALSE);
}

gboolean
ow_catalog_import_file (OwDb           *db,
                        OwClock        *clock,
                        const OwActor  *actor,
                        const char     *path,
                        JsonObject    **out_summary,
                        GError        **error)
{
  g_autofree char *data = NULL;
  gsize length = 0;

  g_return_val_if_fail (OW_IS_DB (db), FALSE);
  g_return_val_if_fail (OW_IS_CLOCK (clock), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (out_summary != NULL)
    *out_summary = NULL;

  data = read_catalog_file (path, &length, error);
  if (data == NULL)
    return FALSE;

  return ow_catalog_import_data (db, clock, actor, path, data, length, out_summary, error);
}

/* Export */

static gboolean
add_json_member (JsonBuilder  *builder,
                 const char   *key,
                 const char   *text,
                 GError      **error)
{
  JsonNode *node = json_from_string (text != NULL ? text : "null", error);

  if (node == NULL)
    return FALSE;
  json_builder_set_member_name (builder, key);
  json_builder_add_value (builder, node);
  return TRUE;
}

static gboolean
export_entries (OwDb         *db,
                JsonBuilder  *builder,
                const char   *key,
                const char   *sql,
                GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = ow_db_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  json_builder_set_member_name (builder, key);
  json_builder_begin_array (builder);
  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, ow_db_column_text (stmt, 0));
      if (!add_json_member (builder, "name", ow_db_column_text (stmt, 1), error))
        return FALSE;
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return rc == SQLITE_DONE;
}

static gboolean
export_steps (OwDb         *db,
              JsonBuilder  *builder,
              const char   *service,
              GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = ow_db_prepare (db,
                        "SELECT id, name, limit_minutes FROM steps"
                        " WHERE service = ?1 AND active = 1 ORDER BY position",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, service, -1, SQLITE_TRANSIENT);

  json_builder_set_member_name (builder, "steps");
  json_builder_begin_array (builder);
  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, ow_db_column_text (stmt, 0));
      if (!add_json_member (builder, "name", ow_db_column_text (stmt, 1), error))
        return FALSE;
      json_builder_set_member_name (builder, "limit_minutes");
      json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 2));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return rc == SQLITE_DONE;
}

static gboolean
export_services (OwDb         *db,
                 JsonBuilder  *builder,
                 GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = ow_db_prepare (db,
                        "SELECT code, prefix, department, name, daily_cap, hours, green_channel,"
                        " documents, extra, alert_waiting FROM services WHERE active = 1 ORDER BY ord",
                        error);
  if (stmt == NULL)
    return FALSE;

  json_builder_set_member_name (builder, "services");
  json_builder_begin_array (builder);
  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      const char *code = ow_db_column_text (stmt, 0);
      const char *extra_text = ow_db_column_text (stmt, 8);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "code");
      json_builder_add_string_value (builder, code);
      json_builder_set_member_name (builder, "prefix");
      json_builder_add_string_value (builder, ow_db_column_text (stmt, 1));
      json_builder_set_member_name (builder, "department");
      json_builder_add_string_value (builder, ow_db_column_text (stmt, 2));
      if (!add_json_member (builder, "name", ow_db_column_text (stmt, 3), error))
        return FALSE;
      json_builder_set_member_name (builder, "daily_cap");
      json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 4));
      if (!add_json_member (builder, "hours", ow_db_column_text (stmt, 5), error))
        return FALSE;
      json_builder_set_member_name (builder, "green_channel");
      json_builder_add_boolean_value (builder, sqlite3_column_int (stmt, 6) != 0);
      if (sqlite3_column_int64 (stmt, 9) > 0)
        {
          json_builder_set_member_name (builder, "alert_waiting");
          json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 9));
        }
      if (!add_json_member (builder, "documents", ow_db_column_text (stmt, 7), error) ||
          !export_steps (db, builder, code, error))
        return FALSE;

      /* Keys we do not model go back where they came from. */
      if (extra_text != NULL)
        {
          g_autoptr(JsonNode) extra_node = json_from_string (extra_text, error);
          g_autoptr(GList) members = NULL;
          JsonObject *extra = NULL;

          if (extra_node == NULL)
            return FALSE;
          if (JSON_NODE_HOLDS_OBJECT (extra_node))
            {
              extra = json_node_get_object (extra_node);
              members = json_object_get_members (extra);
              for (const GList *l = members; l != NULL; l = l->next)
                {
                  json_builder_set_member_name (builder, l->data);
                  json_builder_add_value (builder,
                                          json_node_copy (json_object_get_member (extra, l->data)));
                }
            }
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return rc == SQLITE_DONE;
}

static gboolean
export_windows (OwDb         *db,
                JsonBuilder  *builder,
                GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = ow_db_prepare (db, "SELECT id, number, name FROM windows WHERE active = 1 ORDER BY ord",
                        error);
  if (stmt == NULL)
    return FALSE;

  json_builder_set_member_name (builder, "windows");
  json_builder_begin_array (builder);
  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      g_autoptr(sqlite3_stmt) steps = NULL;
      int steps_rc;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, ow_db_column_text (stmt, 0));
      json_builder_set_member_name (builder, "number");
      json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 1));
      if (!add_json_member (builder, "name", ow_db_column_text (stmt, 2), error))
        return FALSE;

      /* window_steps keeps no order of its own; list them in the order of the flows. */
      steps = ow_db_prepare (db,
                             "SELECT ws.step FROM window_steps ws"
                             " JOIN steps s ON s.id = ws.step"
                             " JOIN services sv ON sv.code = s.service"
                             " WHERE ws.window = ?1 AND s.active = 1"
                             " ORDER BY sv.ord, s.position",
                             error);
      if (steps == NULL)
        return FALSE;
      sqlite3_bind_text (steps, 1, ow_db_column_text (stmt, 0), -1, SQLITE_TRANSIENT);
      json_builder_set_member_name (builder, "steps");
      json_builder_begin_array (builder);
      while ((steps_rc = ow_db_step_row (db, steps, error)) == SQLITE_ROW)
        json_builder_add_string_value (builder, ow_db_column_text (steps, 0));
      json_builder_end_array (builder);
      if (steps_rc != SQLITE_DONE)
        return FALSE;
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return rc == SQLITE_DONE;
}

static gboolean
export_catalog (OwDb         *db,
                JsonBuilder  *builder,
                GError      **error)
{
  g_autofree char *hall_name = ow_db_get_setting (db, "hall_name");
  g_autofree char *status_base_url = ow_db_get_setting (db, "status_base_url");
  g_autofree char *holidays = ow_db_get_setting (db, "holidays");
  g_autofree char *workdays = ow_db_get_setting (db, "workdays");
  guint64 limit = ow_db_get_setting_number (db, "no_show_limit", 1, 9, DEFAULT_NO_SHOW_LIMIT);
  guint64 promise_days = ow_db_get_setting_number (db, "promise_days", 1, OW_PROMISE_DAYS_MAX,
                                                   OW_PROMISE_DAYS_DEFAULT);

  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "hall");
  json_builder_begin_object (builder);
  if (hall_name != NULL && !add_json_member (builder, "name", hall_name, error))
    return FALSE;
  json_builder_set_member_name (builder, "status_base_url");
  json_builder_add_string_value (builder,
                                 status_base_url != NULL ? status_base_url : DEFAULT_STATUS_URL);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "rules");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "no_show_limit");
  json_builder_add_int_value (builder, (gint64) limit);
  json_builder_set_member_name (builder, "followup_days");
  json_builder_add_int_value (builder, ow_followup_days (db));
  json_builder_set_member_name (builder, "promise_days");
  json_builder_add_int_value (builder, (gint64) promise_days);
  /* Only when given, so that a catalogue without them reads back as it was written. */
  if ((holidays != NULL && g_strcmp0 (holidays, "[]") != 0 &&
       !add_json_member (builder, "holidays", holidays, error)) ||
      (workdays != NULL && g_strcmp0 (workdays, "[]") != 0 &&
       !add_json_member (builder, "workdays", workdays, error)))
    return FALSE;
  json_builder_end_object (builder);

  if (!export_entries (db, builder, "departments",
                       "SELECT id, name FROM departments WHERE active = 1 ORDER BY ord", error) ||
      !export_entries (db, builder, "documents",
                       "SELECT id, name FROM documents WHERE active = 1 ORDER BY ord", error) ||
      !export_services (db, builder, error) ||
      !export_windows (db, builder, error))
    return FALSE;

  json_builder_end_object (builder);
  return TRUE;
}

JsonObject *
ow_catalog_export (OwDb    *db,
                   GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  gboolean ok;

  g_return_val_if_fail (OW_IS_DB (db), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* One read transaction, so a concurrent import cannot hand us half of each catalogue. */
  if (!ow_db_begin (db, FALSE, error))
    return NULL;
  ok = export_catalog (db, builder, error);
  ow_db_rollback (db);
  if (!ok)
    return NULL;

  root = json_builder_get_root (builder);
  return json_object_ref (json_node_get_object (root));
}

/* The hall's calendar from the catalogue: days off on weekdays and weekend days worked, each
 * a NULL-terminated list of 'YYYY-MM-DD' (empty when the catalogue gives none). */
void
ow_catalog_calendar (OwDb    *db,
                     GStrv   *out_holidays,
                     GStrv   *out_workdays)
{
  const char *keys[] = { "holidays", "workdays" };
  GStrv *outs[] = { out_holidays, out_workdays };

  for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
    {
      g_autofree char *text = ow_db_get_setting (db, keys[k]);
      g_autoptr(JsonNode) node = text != NULL ? json_from_string (text, NULL) : NULL;
      g_autoptr(GStrvBuilder) days = g_strv_builder_new ();
      JsonArray *array = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

      for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
        if (json_array_get_string_element (array, i) != NULL)
          g_strv_builder_add (days, json_array_get_string_element (array, i));
      *outs[k] = g_strv_builder_end (days);
    }
}
