/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-ticket-print.h"

#include "ow-printer.h"

JsonObject *
ow_ticket_print (OwDb           *db,
                 JsonObject     *ticket,
                 const char     *language,
                 OwTicketPaper   paper,
                 const char     *queue,
                 const char     *output,
                 GError        **error)
{
  g_autoptr(OwTicketRenderer) renderer = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GBytes) pdf = NULL;

  g_return_val_if_fail (OW_IS_DB (db), NULL);
  g_return_val_if_fail (ticket != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  renderer = ow_ticket_renderer_new_for_db (db);
  ow_ticket_renderer_set_language (renderer, language);
  ow_ticket_renderer_set_paper (renderer, paper);
  pdf = ow_ticket_renderer_render (renderer, ticket, error);
  if (pdf == NULL)
    return NULL;

  result = json_object_new ();
  json_object_set_object_member (result, "ticket", json_object_ref (ticket));
  if (output != NULL)
    {
      if (!g_file_set_contents (output, g_bytes_get_data (pdf, NULL), g_bytes_get_size (pdf), error))
        return NULL;
      json_object_set_string_member (result, "output", output);
    }
  else
    {
      g_autoptr(OwPrinter) printer = ow_printer_new (queue);
      g_autofree char *title = g_strdup_printf ("OneWindow %s", json_object_get_string_member (ticket, "number"));
      g_autofree char *used = NULL;
      int job;

      job = ow_printer_print (printer, pdf, title, &used, NULL, error);
      if (job == 0)
        return NULL;
      json_object_set_string_member (result, "printer", used);
      json_object_set_int_member (result, "job", job);
      json_object_set_string_member (result, "state", "completed");
    }
  return g_steal_pointer (&result);
}

const char *
ow_print_error_code (const GError *error)
{
  if (error == NULL)
    return NULL;
  if (error->domain == OW_PRINTER_ERROR)
    return ow_printer_error_to_string (error->code);
  if (error->domain == OW_TICKET_ERROR)
    return error->code == OW_TICKET_ERROR_INVALID ? "invalid_ticket" : "render_failed";
  return NULL;
}
