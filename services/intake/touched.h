/*  touched: the value cells and idempotency keys of the writes not yet
 *  settled on a lane.
 *
 *  Two groups in the database at once must not touch the same cell (county,
 *  year, indicator) or the same key: each compares with the revision last
 *  committed, so a correction and its undo in flight together could lose
 *  one, and two lanes inserting the same rows in different orders could
 *  deadlock. kc-intake asks here before queuing a write and, on a hit,
 *  settles everything first. The set holds 64-bit hashes: a collision costs
 *  a needless settle, never a wrong answer.
 */
#ifndef INTAKE_TOUCHED_H
#define INTAKE_TOUCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kc/kc_bus.h"

typedef struct {
    uint64_t *slots; /* open addressing; 0 marks an empty slot */
    size_t capacity; /* a power of two, or 0 */
    size_t count;
} touched_t;

void touched_init(touched_t *self);
void touched_release(touched_t *self);

/* Forget everything (the lane settled). */
void touched_clear(touched_t *self);

/* True if the write touches a cell or key already in the set. */
bool touched_conflicts(const touched_t *self, const kc_envelope_t *request);

/* Add the write's cells (for SubmitReports) and its key. */
void touched_add(touched_t *self, const kc_envelope_t *request);

#endif
