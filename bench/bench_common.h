/*  bench_common: what the benchmarks share: dying with a message, one-shot
 *  SQL, sorting latencies, a daemon's memory from /proc. */
#ifndef BENCH_BENCH_COMMON_H
#define BENCH_BENCH_COMMON_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Print "<program>: <what>" and exit 1. */
static inline void bench_die(const char *program, const char *what)
{
    fprintf(stderr, "%s: %s\n", program, what);
    exit(1);
}

/* Run a statement without parameters; die when it fails. */
static inline void bench_exec(const char *program, PGconn *conn, const char *sql)
{
    PGresult *result = PQexec(conn, sql);
    if (PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_TUPLES_OK) {
        fprintf(stderr, "%s\n", sql);
        bench_die(program, PQerrorMessage(conn));
    }
    PQclear(result);
}

/* The one number a query without parameters answers; die when it fails. */
static inline long long bench_count(const char *program, PGconn *conn, const char *sql)
{
    PGresult *result = PQexec(conn, sql);
    if (PQresultStatus(result) != PGRES_TUPLES_OK || PQntuples(result) != 1)
        bench_die(program, PQerrorMessage(conn));
    long long value = strtoll(PQgetvalue(result, 0, 0), NULL, 10);
    PQclear(result);
    return value;
}

/* A parameterised query (text parameters, or binary where `lengths` and
 * `formats` say) that must return rows; die when it fails. PQclear it. */
static inline PGresult *bench_query(const char *program, PGconn *conn, const char *sql, int count,
                                    const char *const *params, const int *lengths,
                                    const int *formats)
{
    PGresult *result = PQexecParams(conn, sql, count, NULL, params, lengths, formats, 0);
    if (PQresultStatus(result) != PGRES_TUPLES_OK)
        bench_die(program, PQerrorMessage(conn));
    return result;
}

/* qsort order of doubles. */
static inline int bench_compare_doubles(const void *left, const void *right)
{
    double a = *(const double *)left, b = *(const double *)right;
    return (a > b) - (a < b);
}

/* A "Name:   1234 kB" line of /proc/PID/status, in kB; -1 if absent. */
static inline long bench_status_kb(long pid, const char *name)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    long value = -1;
    size_t length = strlen(name);
    while (fgets(line, sizeof line, file))
        if (strncmp(line, name, length) == 0 && line[length] == ':')
            value = strtol(line + length + 1, NULL, 10);
    fclose(file);
    return value;
}

#endif
