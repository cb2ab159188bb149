/*  rewards: one county's leap rewards for one year, from its class history.
 *
 *  Seed 002 §七(三) pays a county for being in class A in the baseline
 *  evaluation (2017), for being in the top 3 of class A from the year
 *  after, for leaping B -> A or C -> B, and for climbing 5-9 or 10+ places
 *  "类别未跃升" (without a class leap); "类别跃升后降级又跃升至同等类别的，
 *  不给予奖励" (a leap back into a class after having fallen from it earns
 *  nothing); awards in one year stack up to a cap of 500 万元. The policy
 *  (rewards_policy.c) carries the amounts and the readings of what the seed
 *  leaves open; this file applies them, one rule per function, in the
 *  order the seed lists them.
 *
 *  Year t is compared with the county's record of year t-1. A county that
 *  was not scored in t-1 has nothing to compare with and earns no leap or
 *  rank reward, unless the policy's new_county_compared lets it be
 *  compared with its latest earlier record instead. The baseline year pays
 *  only its one-off class-A award: leaps and climbs count from the year
 *  after, the first one the plan can compare with its own baseline.
 *
 *  A re-leap withholds the leap reward and, by default (releap_rank =
 *  withheld), that year's rank reward too, which only rank_when = always
 *  could pay beside a leap: the seed's 「不给予奖励」 names no exception.
 *  Top-3 and baseline awards reward a standing, not the move, and stay.
 *
 *  Every award, including those that apply but pay nothing (a re-leap, a
 *  C -> A leap the policy does not pay, a tie beyond the top places, a
 *  climb with a class change, the cap), carries its rule and one Chinese
 *  sentence with the classes, years and ranks behind it, because a county
 *  that is refused money is owed the reason as much as one that is paid.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scoring/rewards.h"

#define S_SEED_RELEAP "类别跃升后降级又跃升至同等类别的，不给予奖励"

typedef struct {
    const sc_reward_policy_t *policy;
    const sc_class_record_t *history;
    size_t n_history;
    const sc_class_record_t *current;  /* the record of the year evaluated */
    const sc_class_record_t *compared; /* the record it is compared with, NULL if none */
    const sc_class_record_t *releap;   /* set by a leap withheld as a re-leap: the earlier
                                          record that made it one (read by the rank rule) */
    sc_county_awards_t *out;
} s_evaluation_t;

/* Classes as levels, so "higher" is a comparison: C 1, B 2, A 3, unscored 0. */
static int s_level(char klass)
{
    switch (klass) {
    case 'A':
        return 3;
    case 'B':
        return 2;
    case 'C':
        return 1;
    default:
        return 0;
    }
}

static char s_class_of(int level)
{
    return level == 3 ? 'A' : level == 2 ? 'B' : 'C';
}

static void s_award(sc_county_awards_t *out, const char *rule, int amount, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void s_award(sc_county_awards_t *out, const char *rule, int amount, const char *fmt, ...)
{
    /* At most five entries can arise in one year (top 3 or baseline, two
     * leaps, a climb, the cap), so the eight slots never run out. */
    assert(out->n_awards < sizeof out->awards / sizeof out->awards[0]);
    sc_award_t *award = &out->awards[out->n_awards++];
    snprintf(award->rule, sizeof award->rule, "%s", rule);
    award->amount = amount;
    va_list args;
    va_start(args, fmt);
    vsnprintf(award->reason, sizeof award->reason, fmt, args);
    va_end(args);
}

/* The scored record of `year`, NULL if the county was not scored then. */
static const sc_class_record_t *s_scored(const sc_class_record_t *history, size_t n, int year)
{
    for (size_t i = 0; i < n; i++)
        if (history[i].year == year && s_level(history[i].klass) > 0)
            return &history[i];
    return NULL;
}

/* What `year` is compared with: year - 1 if scored; otherwise, when the
 * policy compares counties new to the list (or back on it), the latest
 * earlier scored record; else nothing. */
static const sc_class_record_t *s_compared_with(const sc_reward_policy_t *policy,
                                                const sc_class_record_t *history, size_t n,
                                                int year)
{
    const sc_class_record_t *previous = s_scored(history, n, year - 1);
    if (previous || !policy->new_county_compared)
        return previous;
    for (size_t i = 0; i < n; i++)
        if (history[i].year < year && s_level(history[i].klass) > 0 &&
            (!previous || history[i].year > previous->year))
            previous = &history[i];
    return previous;
}

static void s_baseline(s_evaluation_t *e)
{
    const sc_class_record_t *r = e->current;
    if (r->year != e->policy->baseline_year || r->klass != 'A')
        return;
    s_award(e->out, "baseline_a", e->policy->amount_baseline_a,
            "%d年度监测评价进入A类（第%d名），一次性奖励%d万元", r->year, r->rank,
            e->policy->amount_baseline_a);
}

/* Top places of class A. With ties shared, every county whose rank is
 * within top_n is paid; otherwise a tie group must fit inside the top_n
 * places as a whole (rank + tied - 1 <= top_n), or none of it is paid. */
static void s_top(s_evaluation_t *e)
{
    const sc_reward_policy_t *p = e->policy;
    const sc_class_record_t *r = e->current;
    if (r->year <= p->baseline_year || r->klass != 'A' || r->rank < 1 || r->rank > p->top_n)
        return;
    int tied = r->tied > 1 ? r->tied : 1;
    char place[64];
    if (tied > 1)
        snprintf(place, sizeof place, "并列第%d名（%d县并列）", r->rank, tied);
    else
        snprintf(place, sizeof place, "第%d名", r->rank);
    if (p->top_ties_share || r->rank + tied - 1 <= p->top_n)
        s_award(e->out, "top3_a", p->amount_top3_a, "%d年度A类%s，进入A类前%d名，奖励%d万元",
                r->year, place, p->top_n, p->amount_top3_a);
    else
        s_award(e->out, "top3_a", 0,
                "%d年度A类%s，并列各县占至第%d位，超出前%d名，按本政策并列不分享，不予奖励",
                r->year, place, r->rank + tied - 1, p->top_n);
}

/* The earlier record that makes a leap into `into` a re-leap under the
 * policy, NULL if there is none; the latest such record when several. */
static const sc_class_record_t *s_releap_record(const s_evaluation_t *e, int into)
{
    const sc_class_record_t *found = NULL;
    for (size_t i = 0; i < e->n_history; i++) {
        const sc_class_record_t *h = &e->history[i];
        int level = s_level(h->klass);
        if (h->year >= e->current->year || level == 0)
            continue;
        bool matches = false;
        if (e->policy->releap == SC_RELEAP_EVER_HELD) {
            matches = level == into;
        } else if (e->policy->releap == SC_RELEAP_HELD_OR_HIGHER) {
            matches = level >= into;
        } else if (level == into) {
            const sc_class_record_t *before =
                s_compared_with(e->policy, e->history, e->n_history, h->year);
            matches = before && s_level(before->klass) < into;
        }
        if (matches && (!found || h->year > found->year))
            found = h;
    }
    return found;
}

/* One leap: paid `amount`, or, when `held` (the earlier record that makes
 * it a re-leap) is set, recorded as a re-leap paying nothing. `note` tells
 * how a C -> A leap is counted ("" otherwise). */
static void s_leap(s_evaluation_t *e, const char *rule, const sc_class_record_t *held, int amount,
                   const char *note)
{
    const sc_class_record_t *from = e->compared, *to = e->current;
    char moved[160];
    snprintf(moved, sizeof moved, "由%c类跃升至%c类（%d年%c类，%d年%c类）%s", from->klass,
             to->klass, from->year, from->klass, to->year, to->klass, note);
    if (!held) {
        s_award(e->out, rule, amount, "%s，奖励%d万元", moved, amount);
        return;
    }
    e->releap = held;
    const char *verb = e->policy->releap == SC_RELEAP_LEAPT_BEFORE ? "曾跃升至" : "曾为";
    s_award(e->out, "releap_none", 0, "%s；该县%d年%s%c类，按“" S_SEED_RELEAP "”，不予奖励", moved,
            held->year, verb, held->klass);
}

/* C -> A paid as both leaps. Judged whole (the default), the leap is one
 * leap into A: a re-leap into A withholds both parts, so A -> C -> A pays
 * no C -> B either. Judged in parts, each part by its own class. */
static void s_leap_c_to_a_both(s_evaluation_t *e)
{
    const sc_reward_policy_t *p = e->policy;
    const sc_class_record_t *into_a = s_releap_record(e, 3);
    const sc_class_record_t *into_b =
        p->releap_c_to_a == SC_RELEAP_C_TO_A_WHOLE ? into_a : s_releap_record(e, 2);
    s_leap(e, "leap_c_to_b", into_b, p->amount_c_to_b, "，计C类跃升B类一项");
    s_leap(e, "leap_b_to_a", into_a, p->amount_b_to_a, "，计B类跃升A类一项");
}

static void s_leaps(s_evaluation_t *e)
{
    const sc_reward_policy_t *p = e->policy;
    if (e->current->year <= p->baseline_year || !e->compared)
        return;
    int from = s_level(e->compared->klass), to = s_level(e->current->klass);
    if (from == 2 && to == 3)
        s_leap(e, "leap_b_to_a", s_releap_record(e, 3), p->amount_b_to_a, "");
    else if (from == 1 && to == 2)
        s_leap(e, "leap_c_to_b", s_releap_record(e, 2), p->amount_c_to_b, "");
    else if (from == 1 && to == 3 && p->c_to_a == SC_C_TO_A_LEAP_TO_A)
        s_leap(e, "leap_c_to_a", s_releap_record(e, 3), p->amount_b_to_a, "，按跃升至A类计");
    else if (from == 1 && to == 3 && p->c_to_a == SC_C_TO_A_BOTH)
        s_leap_c_to_a_both(e);
    else if (from == 1 && to == 3)
        s_award(e->out, "leap_c_to_a", 0,
                "由C类跃升至A类（%d年C类，%d年A类），文件未规定一年内由C类跃升A类的奖励，"
                "按本政策不予奖励",
                e->compared->year, e->current->year);
}

/* The class part of a climb's reason. */
static void s_class_change(const s_evaluation_t *e, char *out, size_t size)
{
    const sc_class_record_t *a = e->compared, *b = e->current;
    int from = s_level(a->klass), to = s_level(b->klass);
    if (from == to)
        snprintf(out, size, "类别未变（%d年、%d年均为%c类）", a->year, b->year, b->klass);
    else
        snprintf(out, size, "类别由%c类%s%c类（%d年、%d年）", s_class_of(from),
                 to > from ? "跃升至" : "降至", s_class_of(to), a->year, b->year);
}

/* Climbing places: rank_big_step or more, or rank_small_step up to it,
 * when the policy's reading of "类别未跃升" allows it, and not in a year
 * whose leap was withheld as a re-leap unless releap_rank = paid. */
static void s_rank(s_evaluation_t *e)
{
    const sc_reward_policy_t *p = e->policy;
    const sc_class_record_t *a = e->compared, *b = e->current;
    if (b->year <= p->baseline_year || !a || a->rank < 1 || b->rank < 1)
        return;
    int up = a->rank - b->rank;
    bool big = up >= p->rank_big_step;
    if (!big && up < p->rank_small_step)
        return;
    const char *rule = big ? "rank_up_10" : "rank_up_5";
    int amount = big ? p->amount_rank_10 : p->amount_rank_5;
    int from = s_level(a->klass), to = s_level(b->klass);
    bool allowed = p->rank_when == SC_RANK_ALWAYS ||
                   (p->rank_when == SC_RANK_WHEN_NO_LEAP && to <= from) || to == from;
    char classes[96];
    s_class_change(e, classes, sizeof classes);
    if (allowed && e->releap && p->releap_rank == SC_RELEAP_RANK_WITHHELD)
        s_award(e->out, rule, 0,
                "%s，排名由第%d名升至第%d名，提高%d位；本年度系降级后又跃升（%d年曾为%c类），"
                "依规定不给予奖励，排名奖励亦不予奖励",
                classes, a->rank, b->rank, up, e->releap->year, e->releap->klass);
    else if (allowed)
        s_award(e->out, rule, amount, "%s，排名由第%d名升至第%d名，提高%d位，奖励%d万元", classes,
                a->rank, b->rank, up, amount);
    else
        s_award(e->out, rule, 0,
                "%s，排名由第%d名升至第%d名，提高%d位；排名奖励限于类别%s的县，不予奖励", classes,
                a->rank, b->rank, up,
                p->rank_when == SC_RANK_WHEN_CLASS_UNCHANGED ? "未变" : "未跃升");
}

static void s_cap(s_evaluation_t *e)
{
    sc_county_awards_t *out = e->out;
    int sum = 0;
    for (size_t i = 0; i < out->n_awards; i++)
        sum += out->awards[i].amount;
    out->uncapped = sum;
    out->total = sum > e->policy->cap ? e->policy->cap : sum;
    if (sum > e->policy->cap)
        s_award(out, "cap", 0, "同年多项奖励合计%d万元，按最高%d万元计", sum, e->policy->cap);
}

void rewards_evaluate(const sc_reward_policy_t *policy, int year, const sc_class_record_t *history,
                      size_t n_history, sc_county_awards_t *out)
{
    memset(out, 0, sizeof *out);
    const sc_class_record_t *current = s_scored(history, n_history, year);
    /* Before the baseline the plan pays nothing; unscored, nothing to pay for. */
    if (!current || year < policy->baseline_year)
        return;
    s_evaluation_t e = {
        .policy = policy,
        .history = history,
        .n_history = n_history,
        .current = current,
        .compared = s_compared_with(policy, history, n_history, year),
        .out = out,
    };
    s_baseline(&e);
    s_top(&e);
    s_leaps(&e);
    s_rank(&e);
    s_cap(&e);
}
