/*  methodology_describe: a methodology in words, as it will be applied.
 *
 *  `kcctl methodology check` prints this for the officials who approve a
 *  methodology: the classes, how the total is made and rounded, ties, the
 *  year-on-year check, development zones, the coverage a run needs and
 *  what becomes of a county without data, one Chinese sentence a line
 *  naming its key; then one line per indicator. The sentences follow the
 *  enums of methodology.h one for one.
 */
#include <stdio.h>

#include "scoring/methodology.h"
#include "scoring/periods.h"

static void s_points(int32_t centi, char out[16])
{
    snprintf(out, 16, "%d.%02d", centi / SC_CENTI, centi % SC_CENTI);
}

static void s_classes_and_total(const sc_methodology_t *m, FILE *out)
{
    char a[16], b[16];
    s_points(m->class_a_centi, a);
    s_points(m->class_b_centi, b);
    fprintf(out,
            "  [class_a, class_b] 总分%s分（含）以上为A类，%s分（含）至%s分为B类，其余为C类。\n", a,
            b, a);
    if (m->total_from == SC_TOTAL_EXACT)
        fputs(
            "  [total_from = exact] 各指标按精确得分相加，总分一次四舍五入至0.01分，按此总分定类、"
            "排名；各指标得分四舍五入显示，分项之和与总分可能存在尾差，报告中注明。另一算法"
            "（各指标先四舍五入再相加）下类别不同的县，逐一标出。\n",
            out);
    else
        fputs("  [total_from = rounded_parts] 各指标得分先四舍五入至0.01分，总分为其和，按此总分"
              "定类、排名。另一算法（精确得分相加后一次四舍五入）下类别不同的县，逐一标出。\n",
              out);
    static const char *const ties[] = {
        [SC_TIE_COMPETITION] = "总分相同者名次相同，其后名次顺延（1、2、2、4）",
        [SC_TIE_DENSE] = "总分相同者名次相同，其后名次连续（1、2、2、3）",
        [SC_TIE_MODIFIED] = "总分相同者同取较后名次（1、3、3、4）",
    };
    fprintf(out,
            "  [tie_rule = %s] %s。奖励所用名次一律为全省评价中的名次；市级评价另列市内名次。\n",
            methodology_tie_name(m->tie_rule), ties[m->tie_rule]);
}

static void s_data(const sc_methodology_t *m, FILE *out)
{
    if (m->jump_factor > 0)
        fprintf(out,
                "  [jump_factor = %g] 某项数值较上年增长或减少超过%g倍的，标记为同比异常，"
                "发布前须复核。\n",
                m->jump_factor, m->jump_factor);
    else
        fputs("  [jump_factor = 0] 不检查同比异常。\n", out);
    fprintf(out, "  [exclude_zones = %s] %s\n", m->exclude_zones ? "true" : "false",
            m->exclude_zones ? "代码末两位为7x的开发区不参加评价。"
                             : "开发区与县（市、区）一同参加评价。");
    fprintf(out,
            "  [min_coverage = %g] 当年无任何数据的县为“未参评”，不分类、不排名，在报告中列出"
            "名单；评价范围内有数据的县不足%.0f%%时，拒绝评分，除非强制评分"
            "（kcctl score --force）。\n",
            m->min_coverage, 100.0 * m->min_coverage);
}

void methodology_describe(const sc_methodology_t *m, FILE *out)
{
    char years[16];
    periods_format(m->first_year, m->last_year, years, sizeof years);
    fprintf(out,
            "评价方法 %s（%s），指标框架 %s，适用年度 %s（“-”后无年份：直至被更新版本取代），"
            "%zu个一级指标、%zu个二级指标，满分100分，将按以下规则执行：\n",
            m->code, m->title_zh, m->framework, years, m->n_primaries, m->n_indicators);
    s_classes_and_total(m, out);
    s_data(m, out);
    fputs("  指标（代码、一级指标、分值、标准化方法、缺失处理、名称）：\n", out);
    for (size_t i = 0; i < m->n_indicators; i++) {
        const sc_indicator_t *indicator = &m->indicators[i];
        char points[16];
        s_points(indicator->points_centi, points);
        fprintf(out, "  %-4s %-10s %6s  %-9s %-4s %s%s%s\n", indicator->code,
                m->primaries[indicator->primary].code, points,
                methodology_method_name(indicator->method),
                indicator->missing == SC_MISSING_CARRY_FORWARD ? "沿用上年" : "计0分",
                indicator->name_zh, indicator->formula.n_ops ? " = " : "", indicator->formula.text);
    }
}
