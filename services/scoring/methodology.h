/*  methodology: how a year's indicator values become points, as data.
 *
 *  A methodology is one version of the Programme 1 scoring rules (seed 002
 *  §三, §七): the five primary indicators and their points, every secondary
 *  indicator with its unit, direction, points, normalisation method and
 *  parameters, missing-data rule, provider and kind, the class thresholds
 *  and the tie rule. It lives in a readable INI file (deploy/scoring/<code>.ini,
 *  see deploy/scoring/README.md), is checked by `kcctl methodology check`,
 *  stored in the database by `kcctl methodology load` with the SHA-256 of
 *  its text, and parsed again from that text by every scoring run, so the
 *  daemon and kcctl share one parser and one set of rules.
 *
 *  Points are kept in hundredths of a point ("centipoints", int32_t). By
 *  default (total_from = exact, Chinese statistical practice) the total is
 *  the exact sum of the indicators' unrounded points, rounded once, half
 *  up, to 0.01, and the class is decided on it; each indicator's points are
 *  shown rounded, so the parts may differ from the total by a rounding
 *  tail (尾差), which the reports say. total_from = rounded_parts keeps the
 *  earlier rule: each indicator rounded first, the total their sum.
 */
#ifndef SCORING_METHODOLOGY_H
#define SCORING_METHODOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kc/kc_error.h"

#define SC_CODE_MAX        16 /* "I01", "B02", "input" + NUL, with room */
#define SC_MAX_PRIMARIES   8
#define SC_MAX_INDICATORS  32
#define SC_MAX_INPUTS      48 /* submitted items a methodology reads */
#define SC_FORMULA_MAX_OPS 32
#define SC_CENTI           100 /* centipoints per point */

typedef enum {
    SC_NORM_BENCHMARK = 0, /* min(x / benchmark, 1); negative direction: min(benchmark / x, 1) */
    SC_NORM_EFFICACY,      /* clamp(0.6 + 0.4 (x - x_s) / (x_h - x_s), 0, 1)  (功效系数法) */
    SC_NORM_MINMAX,        /* (x - min) / (max - min) over the scored counties; 1 when all equal */
    SC_NORM_ZSCORE,        /* clamp((z + z_cap) / (2 z_cap), 0, 1); 0.5 when all equal */
    SC_NORM_RUBRIC,        /* qualitative: median of the raters' scores / rubric_max, capped at 1 */
    SC_NORM_COUNT_
} sc_norm_method_t;

typedef enum {
    SC_MISSING_CARRY_FORWARD =
        0,           /* last year's value, flagged imputed; if that is missing too: 0 */
    SC_MISSING_ZERO, /* no value, no points */
} sc_missing_rule_t;

typedef enum {
    SC_TIE_COMPETITION = 0, /* equal totals share a rank, the next rank skips: 1224 (default) */
    SC_TIE_DENSE,           /* equal totals share a rank, no skip: 1223 */
    SC_TIE_MODIFIED,        /* equal totals share the lower rank: 1334 */
} sc_tie_rule_t;

typedef enum {
    SC_TOTAL_EXACT = 0,     /* default: exact sum of unrounded points, rounded once */
    SC_TOTAL_ROUNDED_PARTS, /* sum of the indicators' points each rounded to 0.01 first */
} sc_total_rule_t;

typedef enum {
    SC_OP_CONST = 0, /* push `constant` */
    SC_OP_INPUT,     /* push the value of methodology input `input` */
    SC_OP_ADD,
    SC_OP_SUB,
    SC_OP_MUL,
    SC_OP_DIV, /* a zero divisor makes the whole formula "no value" */
    SC_OP_NEG,
} sc_op_kind_t;

typedef struct {
    sc_op_kind_t kind; /* what this step does */
    double constant;   /* SC_OP_CONST */
    int input;         /* SC_OP_INPUT: index into sc_methodology_t.inputs */
} sc_op_t;

/* A derived indicator's formula, compiled to reverse Polish notation over
 * the methodology's inputs ("100 * I01 / B01"). n_ops == 0: no formula. */
typedef struct {
    size_t n_ops;                    /* steps, 0 when the value is submitted */
    sc_op_t ops[SC_FORMULA_MAX_OPS]; /* the steps in evaluation order */
    char text[256];                  /* the formula as written in the file */
} sc_formula_t;

typedef struct {
    char code[SC_CODE_MAX]; /* "input", "entities", "conditions", "output", "management" */
    char name_zh[64];       /* 创新投入 ... */
    int32_t points_centi;   /* sum of its indicators' points */
} sc_primary_t;

typedef struct {
    char code[SC_CODE_MAX];    /* catalogue code: I01..I17 */
    int primary;               /* index into sc_methodology_t.primaries */
    char name_zh[128];         /* as in the catalogue */
    char unit[32];             /* 万元, %, 家, 件/万人, 分 */
    bool qualitative;          /* rated on a rubric (创新管理) rather than measured */
    bool positive;             /* true: more is better */
    int32_t points_centi;      /* weight: 7 points = 700 */
    sc_norm_method_t method;   /* how a value becomes a share of the points */
    double benchmark;          /* SC_NORM_BENCHMARK: value that earns every point (> 0) */
    double x_s;                /* SC_NORM_EFFICACY: 不允许值, the value worth 60 % */
    double x_h;                /* SC_NORM_EFFICACY: 满意值, the value worth 100 % */
    double z_cap;              /* SC_NORM_ZSCORE: |z| that reaches 0 or 1 (default 3) */
    double rubric_max;         /* SC_NORM_RUBRIC: the top score of the rubric (default 100) */
    int min_raters;            /* SC_NORM_RUBRIC: fewer ratings count as no value (default 3) */
    sc_missing_rule_t missing; /* what a county that did not report gets */
    double jump_factor; /* year-on-year ratio beyond which a value is flagged; 0: methodology's */
    char provider[16];  /* catalogue provider code: stats, sti, finance, ndrc, samr, county */
    bool published;     /* named in public sources; false: the project's own completion */
    char source_note[256]; /* where it comes from, for the reports */
    sc_formula_t formula;  /* derived indicators; else the value is submitted under `code` */
    int input;             /* no formula: index of `code` in inputs; else -1 */
} sc_indicator_t;

typedef struct {
    char code[48];      /* "hebei-2019-v1": unique, the key in the database */
    char framework[32]; /* catalogue framework it scores: "hebei-2019" */
    char title_zh[128]; /* 河北省县域科技创新能力监测评价方法 (2019 版) */
    int first_year;     /* evaluation years it may score, both included */
    int last_year;
    int32_t class_a_centi;      /* A: total >= this (8000) */
    int32_t class_b_centi;      /* B: total >= this (6000); C below */
    sc_tie_rule_t tie_rule;     /* how equal totals rank */
    double jump_factor;         /* default year-on-year flag ratio (e.g. 3: x3 or /3) */
    bool exclude_zones;         /* leave development zones (codes ..7x) out of the list */
    sc_total_rule_t total_from; /* how the total is made from the points (default exact) */
    double min_coverage;        /* share of the scope's counties with data below which a run is
                                   refused unless forced (default 0.9; 0: never refused) */
    size_t n_primaries;
    sc_primary_t primaries[SC_MAX_PRIMARIES];
    size_t n_indicators;
    sc_indicator_t indicators[SC_MAX_INDICATORS]; /* in file order, which is report order */
    size_t n_inputs; /* submitted item codes the methodology reads, sorted */
    char inputs[SC_MAX_INPUTS][SC_CODE_MAX];
    bool input_qualitative[SC_MAX_INPUTS]; /* input is a rated item: its value is a median of
                                              ratings */
    int input_min_raters[SC_MAX_INPUTS];   /* for rated inputs: ratings needed */
} sc_methodology_t;

/* Parse and validate methodology text (the INI file's bytes). Every problem
 * found is added to `errors` (code validation.* or input.invalid, field
 * "indicator.I04.points", message saying what is wrong) and -1 returned;
 * on success `out` is complete and every invariant below holds:
 * points of the indicators add up to exactly 100 and to each primary's
 * points; every method is known and has its parameters; every formula
 * parses and names only known inputs; codes are unique. */
int methodology_parse(const char *text, size_t size, sc_methodology_t *out, kc_errors_t *errors);

/* Index of an indicator or input by code, -1 if absent. */
int methodology_indicator_index(const sc_methodology_t *self, const char *code);
int methodology_input_index(const sc_methodology_t *self, const char *code);

/* Stable names used in files, JSON and reports: "benchmark", "carry_forward", "competition". */
const char *methodology_method_name(sc_norm_method_t method);
const char *methodology_missing_name(sc_missing_rule_t rule);
const char *methodology_tie_name(sc_tie_rule_t rule);
const char *methodology_total_name(sc_total_rule_t rule);

/* Every rule of a parsed methodology as it will be applied, one Chinese
 * sentence a line naming its key, then its indicators (for `kcctl
 * methodology check`). */
void methodology_describe(const sc_methodology_t *self, FILE *out);

/* Evaluate a compiled formula on one county's inputs (values[i], present[i]
 * for each methodology input). 1 with *out set; 0 when an operand is
 * missing or a divisor is zero (the indicator then has no value). */
int methodology_formula_eval(const sc_formula_t *formula, const double *values,
                             const uint8_t *present, double *out);

#endif
