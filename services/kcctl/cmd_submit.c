/*  cmd_submit: kcctl's submit-values, submit-application, submit-objection.
 *
 *  Input files are read and checked locally first (CSV shape, JSON fields),
 *  so a person sees "line 14, column I07" rather than a wire path; every
 *  rule of substance is then the daemon's, and its refusals are located
 *  back in the file the same way.
 */
#include <stdio.h>
#include <string.h>

#include "kc/kc_json.h"
#include "kcctl/kcctl.h"
#include "kcctl/values_sheet.h"

static void s_print_local_errors(const char *path, const kc_errors_t *errors)
{
    char intro[600];
    snprintf(intro, sizeof intro, "cannot use '%s'", path);
    kcctl_print_file_errors(intro, "sent", errors);
}

static void s_print_accepted(const kcctl_t *self, const Kc__V1__Accepted *accepted)
{
    if (accepted->dry_run) {
        printf("dry run: %d %s checked, all valid; nothing was stored\n", accepted->received,
               accepted->received == 1 ? "entry" : "entries");
        return;
    }
    printf("accepted%s: submission %lld (%s), idempotency key %s\n",
           accepted->replayed ? " earlier (this was a retry)" : "",
           (long long)accepted->submission_id, accepted->kind, self->key);
    if (strcmp(accepted->kind, "reports") == 0)
        printf("  %d value%s received: %d new revision%s, %d unchanged\n", accepted->received,
               accepted->received == 1 ? "" : "s", accepted->stored,
               accepted->stored == 1 ? "" : "s", accepted->unchanged);
    if (*accepted->application_id)
        printf("  application %s\n", accepted->application_id);
    if (accepted->objection_id)
        printf("  objection %lld\n", (long long)accepted->objection_id);
    printf("  event %lld\n", (long long)accepted->event_seq);
}

static int s_locate_cell(const void *context, const char *field, char *out, size_t size)
{
    return values_sheet_locate(context, field, out, size);
}

static int s_finish(kcctl_t *self, kc_envelope_t *request, kcctl_locate_fn locate,
                    const void *context)
{
    kc_envelope_t *reply = NULL;
    self->writing = true;
    if (kcctl_call(self, request, KC__V1__ENVELOPE__BODY_ACCEPTED, &reply, locate, context))
        return -1;
    s_print_accepted(self, reply->accepted);
    kc_bus_free(&reply);
    return 0;
}

int kcctl_submit_values(kcctl_t *self)
{
    if (self->positional_count != 1 || !*self->provider || !self->year) {
        fprintf(stderr, "usage: kcctl submit-values FILE.csv --provider CODE --year YEAR "
                        "[--dry-run]\n");
        return -1;
    }
    const char *path = self->positional[0];
    values_sheet_t sheet;
    kc_errors_t errors;
    kc_errors_init(&errors);
    if (values_sheet_read(path, self->provider, self->year, &sheet, &errors)) {
        s_print_local_errors(path, &errors);
        kc_errors_release(&errors);
        return -1;
    }
    kc_errors_release(&errors);
    if (!*self->organisation)
        snprintf(self->organisation, sizeof self->organisation, "%s", self->provider);
    sheet.request->dry_run = self->dry_run;
    printf("%s: %zu values for %d (%zu empty cells skipped)\n", path, sheet.request->n_reports,
           self->year, sheet.empty_cells);
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS;
    request.submit_reports = sheet.request;
    int rc = s_finish(self, &request, s_locate_cell, &sheet);
    values_sheet_release(&sheet);
    return rc;
}

/* Read a JSON file into a message of `descriptor`, printing problems. */
static ProtobufCMessage *s_read_json(const char *path, const ProtobufCMessageDescriptor *descriptor)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    ProtobufCMessage *message = kc_json_file_to_message(path, descriptor, &errors);
    if (!message)
        s_print_local_errors(path, &errors);
    kc_errors_release(&errors);
    return message;
}

int kcctl_submit_application(kcctl_t *self)
{
    if (self->positional_count != 1) {
        fprintf(stderr, "usage: kcctl submit-application FILE.json [--dry-run]\n");
        return -1;
    }
    Kc__V1__SubmitApplication *application = (Kc__V1__SubmitApplication *)s_read_json(
        self->positional[0], &kc__v1__submit_application__descriptor);
    if (!application)
        return -1;
    application->dry_run = application->dry_run || self->dry_run;
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION;
    request.submit_application = application;
    int rc = s_finish(self, &request, NULL, NULL);
    protobuf_c_message_free_unpacked(&application->base, NULL);
    return rc;
}

int kcctl_submit_objection(kcctl_t *self)
{
    if (self->positional_count != 1) {
        fprintf(stderr, "usage: kcctl submit-objection FILE.json [--dry-run]\n");
        return -1;
    }
    Kc__V1__SubmitObjection *objection = (Kc__V1__SubmitObjection *)s_read_json(
        self->positional[0], &kc__v1__submit_objection__descriptor);
    if (!objection)
        return -1;
    objection->dry_run = objection->dry_run || self->dry_run;
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_OBJECTION;
    request.submit_objection = objection;
    int rc = s_finish(self, &request, NULL, NULL);
    protobuf_c_message_free_unpacked(&objection->base, NULL);
    return rc;
}
