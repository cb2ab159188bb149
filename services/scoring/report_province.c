/*  report_province: the annual evaluation report of the scope (seed 002
 *  §七(二), 《河北省县域科技创新年度评估报告》), and the sections it
 *  shares with each city's report (report_province.h).
 *
 *  The report reads the run only: the overview against last year, the
 *  class distribution over every year of the run, the histogram of this
 *  year's scores with the class thresholds, the cities' averages, the
 *  biggest movers with the indicator that moved them that way (or, when a
 *  county moved against its own total, the fact that others did), the counties
 *  whose class depends on the weights (when the Monte Carlo ran), and a
 *  few sentences of analysis generated from those figures, so every
 *  statement in the text can be traced to a number in a table.
 */
#include <stdlib.h>
#include <string.h>

#include "scoring/report.h"
#include "scoring/report_figures.h"
#include "scoring/report_html.h"
#include "scoring/report_province.h"
#include "scoring/report_svg.h"

#define S_BINS       20  /* histogram: 5-point bins over 0..100 */
#define S_MOVERS     5   /* gains and losses listed */
#define S_NEAR_CENTI 500 /* "close to the next class": within 5 points */

static const char s_classes[] = "ABC";

static size_t *s_alloc_indices(size_t n)
{
    size_t *indices = calloc(n + 1, sizeof *indices);
    if (indices == NULL) {
        abort(); /* out of memory: the project's allocation policy */
    }
    return indices;
}

/* "A类县较上年增加1个，B类县较上年减少1个，C类县与上年持平。" */
static void s_write_class_sentence(const int now[3], const int before[3], FILE *out)
{
    if (now[0] == before[0] && now[1] == before[1] && now[2] == before[2]) {
        fputs("各类别县数与上年持平。", out);
        return;
    }
    for (int k = 0; k < 3; k++) {
        int delta = now[k] - before[k];
        const char *end = k == 2 ? "。" : "，";
        if (delta > 0) {
            report_html_printf(out, "%c类县较上年增加%d个%s", s_classes[k], delta, end);
        } else if (delta < 0) {
            report_html_printf(out, "%c类县较上年减少%d个%s", s_classes[k], -delta, end);
        } else {
            report_html_printf(out, "%c类县与上年持平%s", s_classes[k], end);
        }
    }
}

static void s_write_class_table(const report_scope_figures_t *now,
                                const report_scope_figures_t *before, bool has_before, FILE *out)
{
    fputs(
        "<div "
        "class=\"t\"><table>\n<tr><th>类别</th><th>本年度</th><th>上年度</th><th>增减</th></tr>\n",
        out);
    for (int k = 0; k < 3; k++) {
        fprintf(out, "<tr><td class=\"%c\">%s（%s）</td><td class=\"n\">%d</td>", s_classes[k],
                report_html_class_name(s_classes[k]), report_html_tier_name(s_classes[k]),
                now->classes[k]);
        if (has_before) {
            int delta = now->classes[k] - before->classes[k];
            /* a sign on changes only: "+1", "-1", but "0" */
            fprintf(out, "<td class=\"n\">%d</td><td class=\"n\">%s%d</td></tr>\n",
                    before->classes[k], delta > 0 ? "+" : "", delta);
        } else {
            fputs("<td class=\"n\">—</td><td class=\"n\">—</td></tr>\n", out);
        }
    }
    fputs("</table></div>\n", out);
}

static void s_write_extremes(const sc_run_t *run, const char *city_code, FILE *out)
{
    char high[REPORT_NUMBER_MAX];
    char low[REPORT_NUMBER_MAX];
    size_t *order = s_alloc_indices(run->input->n_counties);
    size_t n = report_figures_order(run->input, run->result, city_code, order);
    if (n > 0) {
        const size_t top = order[0];
        const size_t bottom = order[n - 1];
        report_html_printf(out, "得分最高的是%s（%s分），最低的是%s（%s分）。",
                           run->input->counties[top].name,
                           report_html_centi(run->result->counties[top].total, high),
                           run->input->counties[bottom].name,
                           report_html_centi(run->result->counties[bottom].total, low));
    }
    free(order);
}

void report_province_overview(const sc_run_t *run, const char *city_code, const char *area_name,
                              FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    report_scope_figures_t now;
    report_scope_figures_t before;
    bool has_before = run->prev_input != NULL && run->prev_result != NULL;
    report_figures_scope(run->m, run->input, run->result, city_code, &now);
    memset(&before, 0, sizeof before);
    if (has_before) {
        report_figures_scope(run->m, run->prev_input, run->prev_result, city_code, &before);
        has_before = before.n_counties > 0;
    }
    fputs("<h2>总体情况</h2>\n<p>", out);
    report_html_printf(out, "%d年度，%s共有%zu个县（市、区）参加监测评价，平均得分%s分",
                       run->input->year, area_name, now.n_counties,
                       report_html_centi(now.total, number));
    if (has_before) {
        report_html_printf(out, "，上年%s分", report_html_centi(before.total, number));
        report_html_printf(out, "，%s%s分。", now.total >= before.total ? "提高" : "降低",
                           report_html_centi(abs(now.total - before.total), number));
    } else {
        fputs("。", out);
    }
    report_html_printf(out, "其中A类县%d个、B类县%d个、C类县%d个。", now.classes[0], now.classes[1],
                       now.classes[2]);
    if (has_before) {
        s_write_class_sentence(now.classes, before.classes, out);
    }
    s_write_extremes(run, city_code, out);
    fputs("</p>\n", out);
    s_write_class_table(&now, &before, has_before, out);
}

static void s_draw_classes(const sc_run_t *run, const char *city_code, FILE *out)
{
    size_t n_years = run->n_years;
    double *values = calloc(n_years * 3 + 1, sizeof *values);
    char(*labels)[16] = calloc(n_years + 1, sizeof *labels);
    const char **groups = calloc(n_years + 1, sizeof *groups);
    if (values == NULL || labels == NULL || groups == NULL) {
        abort(); /* out of memory: the project's allocation policy */
    }
    for (size_t y = 0; y < n_years; y++) {
        report_scope_figures_t figures;
        report_figures_scope(run->m, &run->years[y], &run->results[y], city_code, &figures);
        for (int k = 0; k < 3; k++) {
            values[y * 3 + (size_t)k] = figures.classes[k];
        }
        snprintf(labels[y], sizeof labels[y], "%d年", run->results[y].year);
        groups[y] = labels[y];
    }
    static const char *const series[] = {"A类", "B类", "C类"};
    report_chart_t chart = {
        "各年度A、B、C类县数量", n_years, groups, 3, series, NULL, values, 0, "个"};
    fputs("<h2>类别分布</h2>\n", out);
    report_svg_stacked_bars(out, &chart);
    free(values);
    free(labels);
    free(groups);
}

static void s_draw_histogram(const sc_run_t *run, const char *city_code, FILE *out)
{
    double counts[S_BINS] = {0};
    char labels[S_BINS][32];
    const char *groups[S_BINS];
    for (size_t i = 0; i < run->input->n_counties; i++) {
        if (!report_figures_in_city(&run->input->counties[i], city_code)) {
            continue;
        }
        int bin = run->result->counties[i].total / 500;
        /* 100.00 belongs to the last bin, 95..100 */
        counts[bin < 0 ? 0 : bin >= S_BINS ? S_BINS - 1 : bin] += 1;
    }
    for (int b = 0; b < S_BINS; b++) {
        snprintf(labels[b], sizeof labels[b], "%d～%d分", b * 5, b * 5 + 5);
        groups[b] = labels[b];
    }
    char b_label[64];
    char a_label[64];
    char number[REPORT_NUMBER_MAX];
    snprintf(b_label, sizeof b_label, "B类线%s", report_html_centi(run->m->class_b_centi, number));
    snprintf(a_label, sizeof a_label, "A类线%s", report_html_centi(run->m->class_a_centi, number));
    const double marks[] = {run->m->class_b_centi / 100.0, run->m->class_a_centi / 100.0};
    const char *const mark_labels[] = {b_label, a_label};
    report_chart_t chart = {
        "本年度得分分布（每5分一组）", S_BINS, groups, 1, NULL, NULL, counts, 0, "个县"};
    fputs("<h2>得分分布</h2>\n", out);
    report_svg_histogram(out, &chart, 0, 100, marks, mark_labels, 2);
}

void report_province_charts(const sc_run_t *run, const char *city_code, FILE *out)
{
    s_draw_classes(run, city_code, out);
    s_draw_histogram(run, city_code, out);
}

static void s_write_primary_headers(const sc_methodology_t *m, FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    for (size_t p = 0; p < m->n_primaries; p++) {
        fputs("<th>", out);
        report_html_text(out, m->primaries[p].name_zh);
        report_html_printf(out, "（%s分）",
                           report_html_centi(m->primaries[p].points_centi, number));
        fputs("</th>", out);
    }
}

static void s_write_city_row(const sc_run_t *run, const sc_county_t *city, FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    report_scope_figures_t figures;
    report_figures_scope(run->m, run->input, run->result, city->city_code, &figures);
    fputs("<tr><td>", out);
    report_html_city_link(out, city);
    fprintf(out, "</td><td class=\"n\">%zu</td><td class=\"n\">%s</td>", figures.n_counties,
            report_html_centi(figures.total, number));
    for (size_t p = 0; p < run->m->n_primaries; p++) {
        fprintf(out, "<td class=\"n\">%s</td>", report_html_centi(figures.subtotal[p], number));
    }
    fprintf(out, "<td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"n\">%d</td></tr>\n",
            figures.classes[0], figures.classes[1], figures.classes[2]);
}

static void s_write_city_table(const sc_run_t *run, FILE *out)
{
    size_t *first = s_alloc_indices(run->input->n_counties);
    size_t n = report_figures_cities(run->input, first);
    fputs("<h2>各市县域科技创新情况</h2>\n<p class=\"note\">平均总分及各一级指标平均得分（分），"
          "按所辖参评县计算。</p>\n<div class=\"t\"><table>\n<tr><th>市</th><th>县数</th>"
          "<th>平均总分</th>",
          out);
    s_write_primary_headers(run->m, out);
    fputs("<th>A类</th><th>B类</th><th>C类</th></tr>\n", out);
    for (size_t c = 0; c < n; c++) {
        s_write_city_row(run, &run->input->counties[first[c]], out);
    }
    fputs("</table></div>\n", out);
    report_html_write_tail_note(out, run->m); /* average subtotals beside average totals */
    free(first);
}

typedef struct {
    int rank_change; /* sort key */
    const char *code;
    size_t index;
} s_mover_t;

static int s_compare_movers(const void *a, const void *b)
{
    const s_mover_t *left = a;
    const s_mover_t *right = b;
    if (left->rank_change != right->rank_change) {
        return left->rank_change > right->rank_change ? -1 : 1;
    }
    return strcmp(left->code, right->code);
}

/* The indicator that moved the county the way it moved: for a gain the
 * largest positive delta, for a fall the most negative one; equal deltas
 * go to the earlier indicator of the methodology. -1 when none. */
static int s_find_cause(const sc_methodology_t *m, const sc_change_t *change, bool gains)
{
    int cause = -1;
    for (size_t k = 0; k < m->n_indicators; k++) {
        int32_t delta = gains ? change->indicator_delta[k] : -change->indicator_delta[k];
        if (delta > 0 && (cause < 0 || delta > (gains ? change->indicator_delta[cause]
                                                      : -change->indicator_delta[cause]))) {
            cause = (int)k;
        }
    }
    return cause;
}

/* The cause of a rank change. A county can fall while its own total rose
 * (others rose more) and rise while it fell (others fell more): then no
 * indicator of its own explains the move, and the cell says so. */
static void s_write_mover_cause(const sc_run_t *run, const sc_change_t *change, bool gains,
                                FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    int32_t delta = change->total_delta;
    if (gains ? delta < 0 : delta > 0) {
        report_html_printf(
            out, gains ? "总分下降%s分，但其他县降幅更大" : "总分上升%s分，但被其他县超过",
            report_html_centi(delta < 0 ? -delta : delta, number));
        return;
    }
    if (delta == 0) {
        fputs(gains ? "总分与上年持平，名次变化源于其他县" : "总分与上年持平，但被其他县超过", out);
        return;
    }
    int cause = s_find_cause(run->m, change, gains);
    if (cause < 0) {
        fputs("—", out);
        return;
    }
    report_html_text(out, run->m->indicators[cause].name_zh);
    report_html_printf(out, "（%s分）", report_html_delta(change->indicator_delta[cause], number));
}

static void s_write_mover_row(const sc_run_t *run, size_t i, bool gains, FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    const sc_change_t *change = &run->changes[i];
    fputs("<tr><td>", out);
    report_html_county_link(out, &run->input->counties[i]);
    fprintf(out, "</td><td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"n\">%+d</td>",
            change->previous_rank, run->result->counties[i].rank, change->rank_change);
    fprintf(out, "<td class=\"n\">%s</td><td>", report_html_delta(change->total_delta, number));
    s_write_mover_cause(run, change, gains, out);
    fputs("</td></tr>\n", out);
}

static void s_write_mover_table(const sc_run_t *run, const s_mover_t *movers, size_t n, bool gains,
                                FILE *out)
{
    size_t shown = 0;
    fputs(gains ? "<h3>排名提升较多的县</h3>\n" : "<h3>排名下降较多的县</h3>\n", out);
    for (size_t j = 0; j < n && shown < S_MOVERS; j++) {
        const s_mover_t *mover = gains ? &movers[j] : &movers[n - 1 - j];
        if (gains ? mover->rank_change <= 0 : mover->rank_change >= 0) {
            break;
        }
        if (shown++ == 0) {
            fputs("<div class=\"t\"><table>\n<tr><th>县（市、区）</th><th>上年排名</th>"
                  "<th>本年排名</th><th>名次变化</th><th>总分变化</th><th>主要影响指标</th></tr>\n",
                  out);
        }
        s_write_mover_row(run, mover->index, gains, out);
    }
    fputs(shown > 0 ? "</table></div>\n" : "<p>无。</p>\n", out);
}

void report_province_movers(const sc_run_t *run, const char *city_code, FILE *out)
{
    fputs("<h2>排名变化</h2>\n", out);
    if (run->changes == NULL || run->prev_input == NULL) {
        fputs("<p>没有上年度结果，无法比较排名变化。</p>\n", out);
        return;
    }
    s_mover_t *movers = calloc(run->input->n_counties + 1, sizeof *movers);
    if (movers == NULL) {
        abort(); /* out of memory: the project's allocation policy */
    }
    size_t n = 0;
    for (size_t i = 0; i < run->input->n_counties; i++) {
        if (report_figures_in_city(&run->input->counties[i], city_code) &&
            run->changes[i].has_previous) {
            movers[n++] = (s_mover_t){run->changes[i].rank_change, run->input->counties[i].code, i};
        }
    }
    qsort(movers, n, sizeof *movers, s_compare_movers);
    const char *scope = report_html_scope_word(run->snapshot->scope_code);
    fprintf(out,
            "<p class=\"note\">名次变化为上年%s排名减本年%s排名，正数表示前移。主要影响指标："
            "排名提升的县为得分增加最多的二级指标，排名下降的县为得分减少最多的二级指标；"
            "总分变化与名次变化方向不一致时，名次变化源于其他县，不列指标。</p>\n",
            scope, scope);
    s_write_mover_table(run, movers, n, true, out);
    s_write_mover_table(run, movers, n, false, out);
    free(movers);
}

static void s_write_robustness_row(const sc_run_t *run, size_t i, FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    const sc_mc_county_t *mc = &run->robustness[i];
    fputs("<tr><td>", out);
    report_html_county_link(out, &run->input->counties[i]);
    fprintf(out, "</td><td class=\"%c\">%s</td>", run->result->counties[i].klass,
            report_html_class_name(run->result->counties[i].klass));
    int32_t tenths[3];
    report_html_shares(mc->p_class, 3, tenths); /* the row adds up to 100.0 % */
    for (int k = 0; k < 3; k++) {
        fprintf(out, "<td class=\"n\">%s</td>", report_html_percent(tenths[k], 1000, number));
    }
    fprintf(out, "<td class=\"n\">%d–%d</td></tr>\n", mc->rank_p5, mc->rank_p95);
}

void report_province_robustness(const sc_run_t *run, const char *city_code, FILE *out)
{
    if (run->robustness == NULL) {
        return;
    }
    size_t *order = s_alloc_indices(run->input->n_counties);
    size_t n = report_figures_order(run->input, run->result, city_code, order);
    size_t shown = 0;
    fputs("<h2>稳健性分析</h2>\n<p>", out);
    report_html_printf(out,
                       "在保持各县标准化指标值不变的前提下，按狄利克雷分布随机扰动指标权重%zu次，"
                       "统计各县类别与排名的变化。",
                       run->mc.draws);
    fputs("下表列出本类别概率低于90%、类别对权重较为敏感的县。</p>\n", out);
    for (size_t j = 0; j < n; j++) {
        int own = report_figures_class_index(run->result->counties[order[j]].klass);
        if (own < 0 || run->robustness[order[j]].p_class[own] >= 0.9) {
            continue;
        }
        if (shown++ == 0) {
            fputs("<div "
                  "class=\"t\"><table>\n<tr><th>县（市、区）</th><th>本年类别</th><th>A类概率</th>"
                  "<th>B类概率</th><th>C类概率</th><th>排名区间（5%–95%）</th></tr>\n",
                  out);
        }
        s_write_robustness_row(run, order[j], out);
    }
    fputs(shown > 0 ? "</table></div>\n" : "<p>各县类别在权重扰动下均保持稳定。</p>\n", out);
    free(order);
}

/* The primaries with the lowest and the highest mean score rate. */
static void s_advise_primaries(const sc_run_t *run, const char *city_code, FILE *out)
{
    char rate[REPORT_NUMBER_MAX];
    report_scope_figures_t figures;
    report_figures_scope(run->m, run->input, run->result, city_code, &figures);
    size_t low = 0;
    size_t high = 0;
    for (size_t p = 1; p < run->m->n_primaries; p++) {
        /* compare a/b < c/d as a*d < c*b: exact in integers */
        int64_t rate_p = (int64_t)figures.subtotal[p];
        int64_t points_p = run->m->primaries[p].points_centi;
        if (rate_p * run->m->primaries[low].points_centi < figures.subtotal[low] * points_p) {
            low = p;
        }
        if (rate_p * run->m->primaries[high].points_centi > figures.subtotal[high] * points_p) {
            high = p;
        }
    }
    if (figures.n_counties == 0 || run->m->n_primaries == 0) {
        return;
    }
    const sc_primary_t *weak = &run->m->primaries[low];
    const sc_primary_t *strong = &run->m->primaries[high];
    fputs("<li>", out);
    if ((int64_t)figures.subtotal[low] * strong->points_centi ==
        (int64_t)figures.subtotal[high] * weak->points_centi) {
        report_html_printf(out, "从一级指标看，各项平均得分率相同（%s），发展较为均衡。",
                           report_html_percent(figures.subtotal[low], weak->points_centi, rate));
    } else {
        report_html_printf(out, "从一级指标看，“%s”平均得分率最低（%s），", weak->name_zh,
                           report_html_percent(figures.subtotal[low], weak->points_centi, rate));
        report_html_printf(out, "“%s”最高（%s）。", strong->name_zh,
                           report_html_percent(figures.subtotal[high], strong->points_centi, rate));
        report_html_printf(out, "建议把补齐“%s”短板作为下一年度工作重点。", weak->name_zh);
    }
    fputs("</li>\n", out);
}

static void s_advise_near(const sc_run_t *run, const char *city_code, FILE *out)
{
    size_t near = 0;
    for (size_t i = 0; run->gaps != NULL && i < run->input->n_counties; i++) {
        if (report_figures_in_city(&run->input->counties[i], city_code) &&
            run->gaps[i].next_class != 0 && run->gaps[i].points_needed <= S_NEAR_CENTI) {
            fputs(near++ == 0 ? "<li>距上一类别不足5分、有望实现跃升的县：" : "、", out);
            report_html_county_link(out, &run->input->counties[i]);
        }
    }
    if (near > 0) {
        fprintf(out, "，共%zu个，建议重点指导、精准发力。</li>\n", near);
    }
}

/* Values without this year's figure are two different shortfalls: a data
 * provider that did not report (quantitative) and too few experts rating a
 * qualitative item; each gets its own sentence and its own remedy. */
static void s_advise_flags(const sc_run_t *run, const char *city_code, FILE *out)
{
    size_t late = 0;
    size_t unrated = 0;
    size_t jumps = 0;
    for (size_t i = 0; i < run->input->n_counties; i++) {
        if (!report_figures_in_city(&run->input->counties[i], city_code)) {
            continue;
        }
        for (size_t k = 0; k < run->m->n_indicators; k++) {
            uint8_t flags = run->result->counties[i].flags[k];
            bool absent = (flags & (SC_FLAG_IMPUTED | SC_FLAG_MISSING)) != 0;
            late += absent && !run->m->indicators[k].qualitative;
            unrated += absent && run->m->indicators[k].qualitative;
            jumps += (flags & SC_FLAG_JUMP) != 0;
        }
    }
    if (late > 0) {
        fprintf(out,
                "<li>本年度有%zu项数据未按期报送（结转上年数据或缺报），"
                "相关县应及时、完整报送统计数据。</li>\n",
                late);
    }
    if (unrated > 0) {
        fprintf(
            out,
            "<li>有%zu项定性指标专家评分不足（参评专家少于规定人数，按规则结转上年评分或不得分），"
            "应组织足够的专家按期完成评分。</li>\n",
            unrated);
    }
    if (jumps > 0) {
        fprintf(out, "<li>有%zu项数据同比变化异常，已标记待复核。</li>\n", jumps);
    }
}

void report_province_advice(const sc_run_t *run, const char *city_code, FILE *out)
{
    fputs("<h2>分析与建议</h2>\n<ul>\n", out);
    s_advise_primaries(run, city_code, out);
    s_advise_near(run, city_code, out);
    s_advise_flags(run, city_code, out);
    fputs("<li>各县应对照本县评估报告中的指标得分与差距分析，结合本县所属类别的个性任务，"
          "因地制宜、精准发力，推动科技创新能力持续跃升。</li>\n</ul>\n",
          out);
}

int report_province_html(const sc_run_t *run, FILE *out)
{
    char title[256];
    char subtitle[128];
    snprintf(title, sizeof title, "《%s县域科技创新年度评估报告》", run->snapshot->scope_name);
    snprintf(subtitle, sizeof subtitle, "%d年度", run->input->year);
    report_html_begin(out, title, subtitle);
    report_html_nav(out, run);
    report_province_overview(run, NULL, run->snapshot->scope_name, out);
    report_province_charts(run, NULL, out);
    s_write_city_table(run, out);
    report_province_movers(run, NULL, out);
    report_province_robustness(run, NULL, out);
    report_province_advice(run, NULL, out);
    report_html_end(out, run);
    return ferror(out) ? -1 : 0;
}
