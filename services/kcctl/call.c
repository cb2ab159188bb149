/*  call: how kcctl reaches kc-intake and reports what came back. */
#include <stdio.h>
#include <string.h>

#include "kc/kc_client.h"
#include "kcctl/kcctl.h"

void kcctl_print_error(const kc_error_t *error)
{
    fprintf(stderr, "error: %s%s%s [%s]\n", error->field, *error->field ? ": " : "", error->message,
            kc_error_code_name(error->code));
    if (*error->detail)
        fprintf(stderr, "  detail: %s\n", error->detail);
    if (*error->hint)
        fprintf(stderr, "  hint: %s\n", error->hint);
}

void kcctl_print_file_errors(const char *intro, const char *done, const kc_errors_t *errors)
{
    fprintf(stderr, "%s: %zu problem%s, nothing was %s\n", intro, errors->total,
            errors->total == 1 ? "" : "s", done);
    for (size_t i = 0; i < errors->kept; i++) {
        const kc_error_t *error = &errors->items[i];
        fprintf(stderr, "  %s%s%s [%s]\n", error->field, *error->field ? ": " : "", error->message,
                kc_error_code_name(error->code));
        if (*error->detail)
            fprintf(stderr, "      %s\n", error->detail);
        if (*error->hint)
            fprintf(stderr, "      hint: %s\n", error->hint);
    }
}

void kcctl_print_rejected(const Kc__V1__Rejected *rejected, bool writing, kcctl_locate_fn locate,
                          const void *locate_context)
{
    fprintf(stderr, "refused%s: %d problem%s\n", writing ? ", nothing was stored" : "",
            rejected->error_count, rejected->error_count == 1 ? "" : "s");
    size_t repeats = 0;
    for (size_t i = 0; i < rejected->n_errors; i++) {
        const Kc__V1__Error *error = rejected->errors[i];
        /* One bad county code fails every value of its row with the same
         * words: say it once and count the rest. */
        const Kc__V1__Error *previous = i ? rejected->errors[i - 1] : NULL;
        if (previous && strcmp(previous->code, error->code) == 0 &&
            strcmp(previous->message, error->message) == 0) {
            repeats++;
            continue;
        }
        if (repeats)
            fprintf(stderr, "      (the same for %zu more value%s)\n", repeats,
                    repeats == 1 ? "" : "s");
        repeats = 0;
        char where[256] = "";
        if (!locate || locate(locate_context, error->field, where, sizeof where))
            snprintf(where, sizeof where, "%s", error->field);
        fprintf(stderr, "  %s%s%s [%s]\n", where, *where ? ": " : "", error->message, error->code);
        if (*error->detail)
            fprintf(stderr, "      %s\n", error->detail);
        if (*error->hint)
            fprintf(stderr, "      hint: %s\n", error->hint);
    }
    if (repeats)
        fprintf(stderr, "      (the same for %zu more value%s)\n", repeats,
                repeats == 1 ? "" : "s");
    if ((size_t)rejected->error_count > rejected->n_errors)
        fprintf(stderr, "  ... and %zu more\n", (size_t)rejected->error_count - rejected->n_errors);
}

int kcctl_call(kcctl_t *self, kc_envelope_t *request, Kc__V1__Envelope__BodyCase expected,
               kc_envelope_t **reply, kcctl_locate_fn locate, const void *locate_context)
{
    kc_error_t error;
    char id[KC_ID_SIZE];
    kc_bus_stamp(request, id, self->config.node_id, &self->actor);
    request->idempotency_key = self->key;
    kc_client_t *client =
        kc_client_new(self->call_endpoint ? self->call_endpoint : self->config.intake_endpoint,
                      self->timeout_ms >= 0 ? self->timeout_ms : KCCTL_TIMEOUT_MS,
                      self->attempts >= 0 ? self->attempts : KCCTL_ATTEMPTS, &error);
    if (!client) {
        kcctl_print_error(&error);
        return -1;
    }
    int rc = kc_client_call(client, request, reply, &error);
    if (rc == 0 && kc_client_attempts_used(client) > 1)
        fprintf(stderr, "note: answered on attempt %d with idempotency key %s\n",
                kc_client_attempts_used(client), self->key);
    kc_client_destroy(&client);
    if (rc) {
        kcctl_print_error(&error);
        return -1;
    }
    if ((*reply)->body_case == KC__V1__ENVELOPE__BODY_REJECTED) {
        kcctl_print_rejected((*reply)->rejected, self->writing, locate, locate_context);
        kc_bus_free(reply);
        return -1;
    }
    if ((*reply)->body_case != expected) {
        fprintf(stderr,
                "error: the daemon answered '%s' where '%s' was expected [bus.unknown_type]\n",
                kc_bus_body_name((*reply)->body_case), kc_bus_body_name(expected));
        kc_bus_free(reply);
        return -1;
    }
    return 0;
}
