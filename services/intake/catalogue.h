/*  catalogue: what kc-intake validates against, held in memory.
 *
 *  The county-level divisions with their validity periods, the indicator
 *  catalogue of every framework year and the data providers, read from the
 *  node's database at start (and on SIGHUP). Lookups are binary searches
 *  over sorted arrays: a national batch of 50,000 values checks in
 *  milliseconds without a query per value.
 */
#ifndef INTAKE_CATALOGUE_H
#define INTAKE_CATALOGUE_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "kc/kc_error.h"

typedef struct catalogue_t catalogue_t;

typedef enum {
    CATALOGUE_COUNTY_VALID,       /* county level and valid during the year */
    CATALOGUE_COUNTY_UNKNOWN,     /* no division has this code */
    CATALOGUE_COUNTY_NOT_IN_YEAR, /* a county-level code, but not valid that year */
    CATALOGUE_COUNTY_WRONG_LEVEL, /* a province, city or town code */
} catalogue_county_status_t;

typedef struct {
    char framework[32]; /* e.g. "hebei-2019" */
    char code[16];      /* e.g. "I07" */
    char name_zh[128];  /* name as published */
    char unit[32];
    char provider[16]; /* the one provider that supplies it */
    double min_value;  /* inclusive sane range */
    double max_value;
    int first_year; /* stated years of its framework, inclusive */
    int last_year;  /* 9999: until a framework from a later year replaces it */
} catalogue_indicator_t;

/* Read divisions, indicators and providers; NULL with `error` filled. */
catalogue_t *catalogue_load(PGconn *conn, kc_error_t *error);

/* An empty catalogue to fill by hand (tests, fuzzing) and then seal. */
catalogue_t *catalogue_new(void);

/* Add a division valid from `from_year` to `to_year` inclusive (0 and 9999
 * for open ends); codes that are not six digits are ignored. */
void catalogue_add_division(catalogue_t *self, const char *code, int from_year, int to_year,
                            int level, const char *name);
void catalogue_add_succession(catalogue_t *self, const char *predecessor, const char *successor);
void catalogue_add_indicator(catalogue_t *self, const catalogue_indicator_t *indicator);
void catalogue_add_provider(catalogue_t *self, const char *code);

/* Sort what was added so lookups can search it; call once after adding. */
void catalogue_seal(catalogue_t *self);

void catalogue_destroy(catalogue_t **self);

/* Whether `code` names a county-level division valid at some time in `year`. */
catalogue_county_status_t catalogue_county(const catalogue_t *self, const char *code, int year);

/* Name of a division valid in `year` (or its latest name), "" if unknown. */
const char *catalogue_division_name(const catalogue_t *self, const char *code, int year);

/* Code that succeeded `code`, "" if none is recorded. */
const char *catalogue_successor(const catalogue_t *self, const char *code);

/* The indicator `code` of the framework in force in `year`, or NULL (also
 * when an earlier framework had it and the one in force has not). */
const catalogue_indicator_t *catalogue_indicator(const catalogue_t *self, const char *code,
                                                 int year);

/* True if a framework is in force in `year` (of those whose stated years
 * contain it, the one that starts latest); the first stated year of any
 * framework goes to first, the last (9999: no end) to last. */
bool catalogue_year_known(const catalogue_t *self, int year, int *first, int *last);

bool catalogue_provider_known(const catalogue_t *self, const char *code);

/* Counts, for the start-up log line. */
int catalogue_county_count(const catalogue_t *self);
int catalogue_indicator_count(const catalogue_t *self);

#endif
