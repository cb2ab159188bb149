/*  rewards_describe: a reward policy in words, as it will be applied.
 *
 *  `kcctl rewards check` prints this for the officials who approve a
 *  policy file: every amount and every option, one Chinese sentence a
 *  line, each naming the key that sets it, so what the file means can be
 *  read without reading rewards.c. The sentences follow the enums of
 *  rewards.h one for one: a new option value needs its sentence here.
 */
#include <stdio.h>

#include "scoring/periods.h"
#include "scoring/rewards.h"

static void s_amounts(const sc_reward_policy_t *p, FILE *out)
{
    fprintf(out,
            "  [baseline_year, amount_baseline_a] %d年度监测评价进入A类的县，一次性奖励%d万元；"
            "该年度只发此项，跃升和排名奖励自%d年度起计。\n",
            p->baseline_year, p->amount_baseline_a, p->baseline_year + 1);
    fprintf(out, "  [amount_top3_a, top_n] 自%d年度起，进入A类前%d名的县奖励%d万元。\n",
            p->baseline_year + 1, p->top_n, p->amount_top3_a);
    fprintf(out, "  [amount_b_to_a] 由B类跃升到A类的县奖励%d万元。\n", p->amount_b_to_a);
    fprintf(out, "  [amount_c_to_b] 由C类跃升到B类的县奖励%d万元。\n", p->amount_c_to_b);
    fprintf(out,
            "  [amount_rank_10, rank_big_step, amount_rank_5, rank_small_step] 排名提高%d位（含）"
            "以上奖励%d万元，提高%d至%d位奖励%d万元；排名一律为该县在全省评价中的名次，"
            "与本次评价范围（全省、某市或全国）无关。\n",
            p->rank_big_step, p->amount_rank_10, p->rank_small_step, p->rank_big_step - 1,
            p->amount_rank_5);
    fprintf(out, "  [cap] 同一县同一年度获得多项奖励的，合计不超过%d万元。\n", p->cap);
}

static void s_top_and_c_to_a(const sc_reward_policy_t *p, FILE *out)
{
    if (p->top_ties_share)
        fprintf(out,
                "  [top_ties_share = true] 总分并列的县名次相同；名次在前%d名以内的并列各县均予"
                "奖励（获奖县可能多于%d个）。\n",
                p->top_n, p->top_n);
    else
        fprintf(out,
                "  [top_ties_share = false] 并列各县须整体在前%d名以内才予奖励，否则并列各县均"
                "不奖励。\n",
                p->top_n);
    switch (p->c_to_a) {
    case SC_C_TO_A_LEAP_TO_A:
        fprintf(out,
                "  [c_to_a = leap_to_a] 一年内由C类跃升到A类的县，按跃升至A类计，奖励%d万元。\n",
                p->amount_b_to_a);
        break;
    case SC_C_TO_A_BOTH:
        fprintf(out,
                "  [c_to_a = both] 一年内由C类跃升到A类的县，按C类跃升B类、B类跃升A类两项计，"
                "奖励%d+%d万元（受上限约束）。\n",
                p->amount_c_to_b, p->amount_b_to_a);
        break;
    case SC_C_TO_A_NONE:
        fputs("  [c_to_a = none] 一年内由C类跃升到A类的县，文件未作规定，不予跃升奖励，"
              "记录不予奖励的理由。\n",
              out);
        break;
    }
}

static void s_rank_when(const sc_reward_policy_t *p, FILE *out)
{
    switch (p->rank_when) {
    case SC_RANK_WHEN_CLASS_UNCHANGED:
        fputs("  [rank_when = class_unchanged] 排名奖励仅授予类别未变的县；类别跃升或下降的县"
              "不发排名奖励。\n",
              out);
        break;
    case SC_RANK_WHEN_NO_LEAP:
        fputs("  [rank_when = no_leap] 排名奖励授予类别未跃升的县（类别未变或下降）；类别跃升的县"
              "不发排名奖励。\n",
              out);
        break;
    case SC_RANK_ALWAYS:
        fputs("  [rank_when = always] 排名奖励授予所有排名提升的县，类别跃升的县在跃升奖励之外"
              "另发排名奖励。\n",
              out);
        break;
    }
}

static void s_releap(const sc_reward_policy_t *p, FILE *out)
{
    static const char *const readings[] = {
        [SC_RELEAP_EVER_HELD] = "[releap = ever_held] 跃升至该县以往任一年度曾属的类别（含基准"
                                "年度），为再跃升，不予跃升奖励。",
        [SC_RELEAP_LEAPT_BEFORE] = "[releap = leapt_before] 仅当该县以往曾跃升进入该类别、"
                                   "后又降级再跃升时，为再跃升，不予跃升奖励。",
        [SC_RELEAP_HELD_OR_HIGHER] = "[releap = held_or_higher] 跃升至该县以往曾属的类别或低于"
                                     "曾属的类别（如A→C→B），为再跃升，不予跃升奖励。",
    };
    fprintf(out, "  %s依据：“类别跃升后降级又跃升至同等类别的，不给予奖励”。\n",
            readings[p->releap]);
    if (p->releap_rank == SC_RELEAP_RANK_WITHHELD)
        fputs("  [releap_rank = withheld] 再跃升当年，排名奖励同样不予发放（仅在 rank_when = "
              "always 时会出现）；A类前3名奖励不受影响。\n",
              out);
    else
        fputs("  [releap_rank = paid] 再跃升当年只扣除跃升奖励，排名奖励按 rank_when 照常发放。\n",
              out);
    const char *applies =
        p->c_to_a == SC_C_TO_A_BOTH ? "" : "（本政策 c_to_a 不为 both，此项不起作用）";
    if (p->releap_c_to_a == SC_RELEAP_C_TO_A_WHOLE)
        fprintf(out,
                "  [releap_c_to_a = whole] 一年内由C类跃升A类按一次跃升判断：若A类为曾属类别"
                "（如A→C→A），C→B、B→A两部分均不予奖励%s。\n",
                applies);
    else
        fprintf(out,
                "  [releap_c_to_a = parts] 一年内由C类跃升A类的两部分分别判断：C→B部分仅当B类"
                "为曾属类别时不予奖励，A→C→A 的C→B部分照常奖励%s。\n",
                applies);
}

void rewards_describe(const sc_reward_policy_t *policy, FILE *out)
{
    char years[16];
    periods_format(policy->first_year, policy->last_year, years, sizeof years);
    fprintf(out,
            "奖励政策 %s（%s），适用年度 %s（“-”后无年份：直至被更新版本取代），"
            "将按以下规则执行，金额单位为万元：\n",
            policy->code, policy->title_zh[0] ? policy->title_zh : "未命名", years);
    s_amounts(policy, out);
    s_top_and_c_to_a(policy, out);
    s_rank_when(policy, out);
    s_releap(policy, out);
    if (policy->new_county_compared)
        fputs("  [new_county_compared = true] 上年度未参评的县，与其最近一次参评年度比较，"
              "计算跃升和排名奖励。\n",
              out);
    else
        fputs("  [new_county_compared = false] 上年度未参评的县（新列入或重新列入），无从比较，"
              "不计跃升和排名奖励。\n",
              out);
    fputs("  每个县的奖励逐项列出发放或不予发放的规则及理由。\n", out);
}
