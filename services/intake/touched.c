/*  touched: a set of 64-bit hashes (FNV-1a) of cells and keys. */
#include "intake/touched.h"

#include <stdlib.h>
#include <string.h>

#define SHRINK_ABOVE 65536 /* slots kept after a clear; a national batch needs more */

static uint64_t s_mix(uint64_t hash, const void *bytes, size_t size)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < size; i++) {
        hash ^= p[i];
        hash *= 1099511628211ULL;
    }
    return hash;
}

static uint64_t s_nonzero(uint64_t hash)
{
    return hash ? hash : 1;
}

static uint64_t s_key_hash(const char *key)
{
    return s_nonzero(s_mix(s_mix(14695981039346656037ULL, "k", 1), key, strlen(key)));
}

static uint64_t s_cell_hash(const Kc__V1__IndicatorReport *report)
{
    uint64_t hash = s_mix(14695981039346656037ULL, "c", 1);
    hash = s_mix(hash, report->county_code, strlen(report->county_code) + 1);
    hash = s_mix(hash, &report->year, sizeof report->year);
    return s_nonzero(s_mix(hash, report->indicator_code, strlen(report->indicator_code)));
}

void touched_init(touched_t *self)
{
    memset(self, 0, sizeof *self);
}

void touched_release(touched_t *self)
{
    free(self->slots);
    memset(self, 0, sizeof *self);
}

void touched_clear(touched_t *self)
{
    if (self->capacity > SHRINK_ABOVE) {
        touched_release(self);
        return;
    }
    if (self->count)
        memset(self->slots, 0, self->capacity * sizeof *self->slots);
    self->count = 0;
}

static bool s_has(const touched_t *self, uint64_t hash)
{
    if (!self->capacity)
        return false;
    for (size_t i = hash & (self->capacity - 1);; i = (i + 1) & (self->capacity - 1)) {
        if (self->slots[i] == hash)
            return true;
        if (!self->slots[i])
            return false;
    }
}

static void s_insert(touched_t *self, uint64_t hash)
{
    size_t i = hash & (self->capacity - 1);
    while (self->slots[i] && self->slots[i] != hash)
        i = (i + 1) & (self->capacity - 1);
    if (!self->slots[i]) {
        self->slots[i] = hash;
        self->count++;
    }
}

static void s_add(touched_t *self, uint64_t hash)
{
    if (2 * (self->count + 1) > self->capacity) { /* keep the load under one half */
        touched_t bigger = {calloc(self->capacity ? 2 * self->capacity : 64, sizeof(uint64_t)),
                            self->capacity ? 2 * self->capacity : 64, 0};
        if (!bigger.slots)
            abort();
        for (size_t i = 0; i < self->capacity; i++)
            if (self->slots[i])
                s_insert(&bigger, self->slots[i]);
        free(self->slots);
        *self = bigger;
    }
    s_insert(self, hash);
}

bool touched_conflicts(const touched_t *self, const kc_envelope_t *request)
{
    if (!self->count)
        return false;
    if (s_has(self, s_key_hash(request->idempotency_key)))
        return true;
    if (request->body_case != KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS)
        return false;
    const Kc__V1__SubmitReports *reports = request->submit_reports;
    for (size_t i = 0; i < reports->n_reports; i++)
        if (s_has(self, s_cell_hash(reports->reports[i])))
            return true;
    return false;
}

void touched_add(touched_t *self, const kc_envelope_t *request)
{
    s_add(self, s_key_hash(request->idempotency_key));
    if (request->body_case != KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS)
        return;
    const Kc__V1__SubmitReports *reports = request->submit_reports;
    for (size_t i = 0; i < reports->n_reports; i++)
        s_add(self, s_cell_hash(reports->reports[i]));
}
