/*  report_group: the parameters of one intake_store_report_group call.
 *
 *  Every SubmitReports write of a group commit goes to the database in one
 *  statement (deploy/sql/0003_intake.sql): one array element per write for
 *  the header fields, and the values of all writes as flat arrays tagged
 *  with the ordinal of their write. This file turns writes into those
 *  array literals.
 */
#ifndef INTAKE_REPORT_GROUP_H
#define INTAKE_REPORT_GROUP_H

#include <stddef.h>

#include "intake/store.h"

#define REPORT_GROUP_PARAMS 17

typedef struct {
    char *arrays[REPORT_GROUP_PARAMS - 1];   /* array literals, owned */
    const char *values[REPORT_GROUP_PARAMS]; /* what PQsendQueryPrepared takes */
} report_group_t;

/* The statement the parameters are for. */
extern const char *const report_group_sql;

/* Build the parameters for `count` report writes (ordinals 1..count in
 * this order) stored by node `node`. */
void report_group_build(report_group_t *self, store_write_t *const *writes, size_t count,
                        const char *node);

void report_group_release(report_group_t *self);

#endif
