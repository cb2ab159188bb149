/*  engine_fixture: hand-built methodologies and years for the engine tests.
 *
 *  A methodology of n submitted indicators I01..In, one input each, all in
 *  one primary (tests move some to a second), benchmark 100, positive, rule
 *  zero, no jump check, classes at 80 and 60, competition ties, and the
 *  points shared as evenly as centipoints allow (the last one takes the
 *  remainder: 3 indicators get 3333, 3333, 3334). A year of n counties
 *  130101.. in city 130100 with nothing submitted. Header-only: the unit
 *  test binary links every C file of tests/unit and nothing else here.
 */
#ifndef ENGINE_FIXTURE_H
#define ENGINE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scoring/engine.h"

typedef struct {
    sc_year_input_t input; /* what engine_score_year reads */
    size_t n_inputs;       /* row width of values and present */
} engine_year_t;

static inline void engine_fixture_methodology(sc_methodology_t *m, size_t n)
{
    memset(m, 0, sizeof *m);
    snprintf(m->code, sizeof m->code, "test-v1");
    m->class_a_centi = 8000;
    m->class_b_centi = 6000;
    m->tie_rule = SC_TIE_COMPETITION;
    m->n_primaries = 2;
    snprintf(m->primaries[0].code, SC_CODE_MAX, "input");
    snprintf(m->primaries[1].code, SC_CODE_MAX, "output");
    m->n_indicators = n;
    m->n_inputs = n;
    for (size_t j = 0; j < n; j++) {
        sc_indicator_t *indicator = &m->indicators[j];
        snprintf(indicator->code, SC_CODE_MAX, "I%02zu", j + 1);
        snprintf(m->inputs[j], SC_CODE_MAX, "I%02zu", j + 1);
        indicator->positive = true;
        indicator->method = SC_NORM_BENCHMARK;
        indicator->benchmark = 100.0;
        indicator->z_cap = 3.0;
        indicator->rubric_max = 100.0;
        indicator->missing = SC_MISSING_ZERO;
        indicator->input = (int)j;
        indicator->points_centi = (int32_t)(10000 / n);
    }
    m->indicators[n - 1].points_centi += (int32_t)(10000 % n);
}

static inline engine_year_t engine_fixture_year(int year, size_t n_counties, size_t n_inputs)
{
    engine_year_t self = {.n_inputs = n_inputs};
    self.input.year = year;
    self.input.n_counties = n_counties;
    self.input.counties = calloc(n_counties, sizeof *self.input.counties);
    self.input.values = calloc(n_counties * n_inputs, sizeof *self.input.values);
    self.input.present = calloc(n_counties * n_inputs, sizeof *self.input.present);
    for (size_t i = 0; i < n_counties; i++) {
        sc_county_t *county = &self.input.counties[i];
        snprintf(county->code, sizeof county->code, "%06d", 130101 + (int)i);
        snprintf(county->name, sizeof county->name, "县%zu", i);
        snprintf(county->city_code, sizeof county->city_code, "130100");
        snprintf(county->city_name, sizeof county->city_name, "石家庄市");
    }
    return self;
}

static inline void engine_fixture_set(engine_year_t *self, size_t county, size_t input,
                                      double value)
{
    self->input.values[county * self->n_inputs + input] = value;
    self->input.present[county * self->n_inputs + input] = 1;
}

static inline void engine_fixture_unset(engine_year_t *self, size_t county, size_t input)
{
    self->input.values[county * self->n_inputs + input] = 0.0;
    self->input.present[county * self->n_inputs + input] = 0;
}

static inline void engine_fixture_year_free(engine_year_t *self)
{
    free(self->input.counties);
    free(self->input.values);
    free(self->input.present);
    memset(self, 0, sizeof *self);
}

#endif
