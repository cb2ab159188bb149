/*  kc_instant: the instants a process records, never earlier than the one
 *  before.
 *
 *  A write that records when it happened (a step, its event, its audit
 *  entry) takes one instant here and gives it to every row it writes. The
 *  instant is the wall clock (kc_clock_now_ms), except that it never goes
 *  back: after the last instant it runs on at the real pace of the steady
 *  clock (kc_clock_steady_ms), so it is
 *
 *      instant = greatest(wall, last + steady time since last)
 *
 *  When the host's wall clock steps back an hour, the instants go on from
 *  where they were at the real pace, an hour ahead of the wall, and a
 *  timer due in ten minutes by them still falls due ten real minutes
 *  later. A wall clock that steps forward is taken as it is: the instants
 *  follow it. The jump is told once (kc_instant_take logs it), not at
 *  every instant after it. A steady clock that goes back is a host started
 *  afresh (within a process only a test's rewound clock file does that):
 *  the instants begin again from the wall, as in a new process.
 *
 *  An embedded struct with nothing to release: kc_instant_init, then
 *  kc_instant_take. kc_instant_next and kc_instant_floor are the same
 *  rule on clocks the caller read, for tests. What survives the process (a
 *  restart, the node's other writers) is the caller's to feed in with
 *  kc_instant_floor: kc-workflow reads the latest step it recorded.
 */
#ifndef KC_INSTANT_H
#define KC_INSTANT_H

#include <stdbool.h>
#include <stdint.h>

/* A wall clock more than this behind the instants is a jump worth telling. */
#define KC_INSTANT_JUMP_MS 1000

typedef struct {
    int64_t last_ms;     /* the last instant given (Unix ms), 0 before the first */
    int64_t last_steady; /* the steady clock when it was given */
    int64_t ahead_ms;    /* how far it ran ahead of the wall clock */
    int64_t jumped_ms;   /* how far the wall clock fell behind at the last call, 0: not */
    bool caught_up;      /* the last call found the wall clock back with the instants */
} kc_instant_t;

void kc_instant_init(kc_instant_t *self);

/* The next instant, with the wall and steady clocks at `wall_ms` and
 * `steady_ms`: never before the last one. Sets jumped_ms when the wall
 * clock fell more than KC_INSTANT_JUMP_MS further behind since the last
 * call, and caught_up when it is back with the instants. */
int64_t kc_instant_next(kc_instant_t *self, int64_t wall_ms, int64_t steady_ms);

/* No instant from now on before `floor_ms` (an instant recorded elsewhere
 * on the node, or before a restart), the steady clock being at `steady_ms`. */
void kc_instant_floor(kc_instant_t *self, int64_t floor_ms, int64_t steady_ms);

/* kc_instant_next on the clocks now; a jump is logged (warn) once when it
 * is found, and the wall clock catching up again once (notice). */
int64_t kc_instant_take(kc_instant_t *self);

#endif
