/*  rewards: the leap rewards of seed 002 §七(三) as a versioned policy.
 *
 *  The policy file (deploy/scoring/rewards-*.ini) holds the amounts, in
 *  units of 10,000 yuan (万元), and every point the seed leaves open as an
 *  option with a documented default: a C -> A leap in one year, ties at
 *  the top-3 boundary, rank rewards for a county whose class changed,
 *  what a re-leap withholds, and counties new to the list. Evaluation reads a county's whole class
 *  history under one methodology version, so "a leap back into a class
 *  after having fallen from it earns nothing" can be decided, and every
 *  award carries the rule that gave it and a sentence saying why.
 */
#ifndef SCORING_REWARDS_H
#define SCORING_REWARDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kc/kc_error.h"

typedef enum {
    SC_C_TO_A_LEAP_TO_A = 0, /* default: paid as a leap into A (the B -> A amount) */
    SC_C_TO_A_BOTH,          /* paid as both leaps, C -> B and B -> A (cap applies) */
    SC_C_TO_A_NONE,          /* not a leap the seed names: nothing */
} sc_c_to_a_rule_t;

typedef enum {
    SC_RANK_WHEN_CLASS_UNCHANGED = 0, /* default: the seed's "类别未跃升" read as "same class" */
    SC_RANK_WHEN_NO_LEAP,             /* also a county that fell a class */
    SC_RANK_ALWAYS,                   /* also on top of a leap */
} sc_rank_reward_rule_t;

typedef enum {
    SC_RELEAP_EVER_HELD = 0,  /* default: no leap reward into a class the county held before */
    SC_RELEAP_LEAPT_BEFORE,   /* only when it had leapt into that class before (narrow reading) */
    SC_RELEAP_HELD_OR_HIGHER, /* also into a class below one it held (A -> C -> B: no C -> B) */
} sc_releap_rule_t;

typedef enum {
    SC_RELEAP_RANK_WITHHELD =
        0, /* default: 「不给予奖励」 — a re-leap year pays no rank reward either */
    SC_RELEAP_RANK_PAID, /* only the leap reward is withheld; a rank climb is paid as usual */
} sc_releap_rank_rule_t;

typedef enum {
    SC_RELEAP_C_TO_A_WHOLE = 0, /* default: a C -> A leap is one leap into A: a re-leap into A
                                   withholds both parts of c_to_a = both (A -> C -> A: no C -> B) */
    SC_RELEAP_C_TO_A_PARTS,     /* each part judged by its own class: C -> B withheld only if B
                                   itself makes it a re-leap */
} sc_releap_c_to_a_rule_t;

typedef struct {
    char code[48]; /* "hebei-leap-2019" */
    char title_zh[128];
    int first_year;        /* evaluation years it applies to ([policy] years): from first_year */
    int last_year;         /* to last_year, PERIODS_OPEN (9999) until replaced; without the
                              key: baseline_year until replaced */
    int baseline_year;     /* 2017: the one-off reward for class A */
    int amount_baseline_a; /* 300 */
    int amount_top3_a;     /* 300: from baseline_year + 1, top 3 of class A */
    int top_n;             /* 3 */
    bool top_ties_share;   /* default true: every county whose rank (tie rule) <= top_n;
                              false: a tie group must fit, rank + tied - 1 <= top_n */
    int amount_b_to_a;     /* 300 */
    int amount_c_to_b;     /* 200 */
    int amount_rank_10;    /* 200: rank up 10 places or more */
    int amount_rank_5;     /* 100: rank up 5-9 places */
    int rank_big_step;     /* 10 */
    int rank_small_step;   /* 5 */
    int cap;               /* 500 a county a year */
    sc_c_to_a_rule_t c_to_a;
    sc_rank_reward_rule_t rank_when;
    sc_releap_rule_t releap;
    sc_releap_rank_rule_t releap_rank; /* does a re-leap also withhold that year's rank reward */
    sc_releap_c_to_a_rule_t releap_c_to_a; /* is the C -> B part of A -> C -> A a re-leap */
    bool new_county_compared; /* default false: a county without last year's result gets
                                 no leap or rank reward (nothing to compare) */
} sc_reward_policy_t;

/* One year of a county's record. */
typedef struct {
    int year;
    char klass; /* 'A', 'B', 'C'; 0 when not scored that year */
    int rank;   /* in the scope, tie rule applied; 0 when not scored */
    int tied;   /* counties sharing this rank, itself included; 0 is read as 1 (alone).
                   Needed only by top_ties_share = false */
} sc_class_record_t;

typedef struct {
    char rule[24];    /* baseline_a, top3_a, leap_b_to_a, leap_c_to_b, leap_c_to_a, rank_up_10,
                         rank_up_5, releap_none, cap */
    int amount;       /* 万元; 0 for a rule that applied but pays nothing (releap_none) */
    char reason[256]; /* one sentence in Chinese: which rule and the facts */
} sc_award_t;

typedef struct {
    size_t n_awards;
    sc_award_t awards[8];
    int total;    /* after the cap */
    int uncapped; /* before the cap */
} sc_county_awards_t;

/* Every amount and option of a policy as it will be applied, one Chinese
 * sentence a line, each naming its key (for `kcctl rewards check`). */
void rewards_describe(const sc_reward_policy_t *policy, FILE *out);

/* Parse and validate a policy file. Problems go into `errors`, -1. */
int rewards_parse(const char *text, size_t size, sc_reward_policy_t *out, kc_errors_t *errors);

/* The awards of one county for `year`. `history` has one record per year
 * in ascending order, the last one for `year` (under one methodology), the
 * earlier ones as far back as scored; a year the county was not scored has
 * klass 0. Ranks are the county's ranks in its province's whole
 * evaluation (run.c), whatever the scope of the run. */
void rewards_evaluate(const sc_reward_policy_t *policy, int year, const sc_class_record_t *history,
                      size_t n_history, sc_county_awards_t *out);

#endif
