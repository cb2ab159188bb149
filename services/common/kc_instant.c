/*  kc_instant: one instant per write, never earlier than the one before
 *  (see include/kc/kc_instant.h). */
#include "kc/kc_instant.h"

#include <string.h>

#include "kc/kc_clock.h"
#include "kc/kc_log.h"

void kc_instant_init(kc_instant_t *self)
{
    memset(self, 0, sizeof *self);
}

int64_t kc_instant_next(kc_instant_t *self, int64_t wall_ms, int64_t steady_ms)
{
    if (steady_ms < self->last_steady) {
        /* a steady clock goes back only when the host started afresh (or a
         * test rewound its clock file): begin again from the wall, as a new
         * process would */
        self->last_ms = 0;
        self->ahead_ms = 0;
    }
    int64_t carried = self->last_ms ? self->last_ms + (steady_ms - self->last_steady) : 0;
    int64_t instant = wall_ms > carried ? wall_ms : carried;
    int64_t ahead = instant - wall_ms;
    self->jumped_ms = ahead - self->ahead_ms > KC_INSTANT_JUMP_MS ? ahead : 0;
    self->caught_up = self->ahead_ms > KC_INSTANT_JUMP_MS && ahead == 0;
    self->ahead_ms = ahead;
    self->last_ms = instant;
    self->last_steady = steady_ms;
    return instant;
}

void kc_instant_floor(kc_instant_t *self, int64_t floor_ms, int64_t steady_ms)
{
    int64_t elapsed = steady_ms > self->last_steady ? steady_ms - self->last_steady : 0;
    if (self->last_ms && self->last_ms + elapsed >= floor_ms)
        return;
    self->last_ms = floor_ms;
    self->last_steady = steady_ms;
}

int64_t kc_instant_take(kc_instant_t *self)
{
    int64_t wall = 0, steady = 0;
    kc_clock_read(&wall, &steady);
    int64_t instant = kc_instant_next(self, wall, steady);
    if (!self->jumped_ms && !self->caught_up)
        return instant;
    char at[32];
    kc_clock_format(instant, at, sizeof at);
    if (self->jumped_ms)
        kc_log_warn("the wall clock is %.1f s behind this node's instants (it stepped back, or"
                    " runs behind the last one recorded): they go on from %s at the real pace",
                    (double)self->jumped_ms / 1000.0, at);
    else
        kc_log_notice("the wall clock has caught up with this node's instants (%s)", at);
    return instant;
}
