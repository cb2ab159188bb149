/*  snapshot: the exact input of one scoring run, as canonical text.
 *
 *  A run reads the values in force for every county it scores (its scope,
 *  or for a city the whole province: snapshot_evaluation_prefix) and every
 *  year from the start of the methodology's framework up to the year
 *  scored.
 *  That input is written once, in one canonical form (fixed order, every
 *  double printed with 17 significant digits so it reads back to the same
 *  bits), stored with the run and hashed (SHA-256): the hash names the
 *  input, and reading the text back reproduces the run byte for byte.
 *
 *      kechuang-scoring-input 1
 *      scope<TAB>130000<TAB>河北省
 *      year<TAB>2023
 *      methodology<TAB>hebei-2019-v1<TAB><sha256 of its text>
 *      policy<TAB>hebei-leap-2019<TAB><sha256 of its text>
 *      inputs<TAB>B01<TAB>B02<TAB>I01 ...
 *      Y<TAB>2022<TAB><number of counties>
 *      C<TAB>130102<TAB>长安区<TAB>130100<TAB>石家庄市<TAB>55166<TAB>-<TAB>... ("-": not submitted)
 */
#ifndef SCORING_SNAPSHOT_H
#define SCORING_SNAPSHOT_H

#include <stddef.h>

#include "kc/kc_error.h"
#include "scoring/engine.h"
#include "scoring/methodology.h"

typedef struct {
    char scope_code[SC_COUNTY_CODE_MAX]; /* 130000 province, 130100 city, 000000 the country */
    char scope_name[SC_NAME_MAX];
    int year; /* the evaluation year scored */
    char methodology_code[48];
    char methodology_sha256[65];
    char policy_code[48];
    char policy_sha256[65];
    size_t n_years; /* years with data, ascending; the last is `year` */
    sc_year_input_t *years;
} sc_snapshot_t;

/* Canonical text of a snapshot (malloc'd, NUL-terminated, *size bytes without the NUL). */
int snapshot_write(const sc_methodology_t *m, const sc_snapshot_t *self, char **text, size_t *size,
                   kc_error_t *error);

/* Read canonical text back; the inputs line must match the methodology. */
int snapshot_read(const sc_methodology_t *m, const char *text, size_t size, sc_snapshot_t *out,
                  kc_error_t *error);

/* Allocate one year's arrays for n counties (values zero, nothing present). */
void snapshot_year_init(sc_year_input_t *year, int evaluation_year, size_t n_counties,
                        size_t n_inputs);

void snapshot_release(sc_snapshot_t *self);

/* The digits every county code of a scope starts with: "" for the
 * country (000000), "13" for a province (130000), "1301" for a city. */
void snapshot_scope_prefix(const char *scope_code, char prefix[7]);

/* The digits of the counties a run of the scope scores: ranks that pay
 * rewards are ranks in the province's whole evaluation, so a city's run
 * scores its province ("13"); a province or the country scores itself. */
void snapshot_evaluation_prefix(const char *scope_code, char prefix[7]);

/* Lower-case hex SHA-256 of bytes (65 chars with the NUL). */
void snapshot_sha256(const void *bytes, size_t size, char hex[65]);

#endif
