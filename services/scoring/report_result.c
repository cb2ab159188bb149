/*  report_result: the published result of a year (seed 002 §七(一)),
 *  index.html of a run's output.
 *
 *  What the province publishes in the name of its leading group: the A, B
 *  and C lists in score order, how many counties each holds, every value
 *  that was carried forward, missing or flagged for review (so nobody reads
 *  a figure without knowing it was imputed), and the leap rewards of the
 *  year (§七(三)) with the rule and the facts behind each award. The
 *  methodology code and the SHA-256 of input and output make the page
 *  checkable against the stored run.
 */
#include <stdlib.h>
#include <string.h>

#include "scoring/report.h"
#include "scoring/report_figures.h"
#include "scoring/report_html.h"

static size_t *s_sort_counties(const sc_run_t *run, size_t *n)
{
    size_t *order = calloc(run->input->n_counties + 1, sizeof *order);
    if (order == NULL) {
        abort(); /* out of memory: the project's allocation policy */
    }
    *n = report_figures_order(run->input, run->result, NULL, order);
    return order;
}

static void s_write_summary(const sc_run_t *run, const report_scope_figures_t *figures, FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    fputs("<h2>评价概况</h2>\n<p>", out);
    report_html_printf(out, "本次监测评价共有%zu个县（市、区）参评，平均得分%s分。",
                       figures->n_counties, report_html_centi(figures->total, number));
    if (run->n_not_evaluated > 0)
        report_html_printf(out,
                           "另有%zu个县（市、区）当年无任何监测数据，未参评（不分类、不排名），"
                           "名单见文末。",
                           run->n_not_evaluated);
    report_html_printf(out, "按照总分划分：%s分（含）以上为A类，",
                       report_html_centi(run->m->class_a_centi, number));
    report_html_printf(out, "%s分（含）至", report_html_centi(run->m->class_b_centi, number));
    report_html_printf(out, "%s分之间为B类，其余为C类。",
                       report_html_centi(run->m->class_a_centi, number));
    fputs("</p>\n<div class=\"t\"><table>\n<tr><th>类别</th><th>梯队</th><th>县数</th></tr>\n",
          out);
    static const char classes[] = "ABC";
    for (int k = 0; k < 3; k++) {
        fprintf(out, "<tr><td class=\"%c\">%s</td><td>%s</td><td class=\"n\">%d</td></tr>\n",
                classes[k], report_html_class_name(classes[k]), report_html_tier_name(classes[k]),
                figures->classes[k]);
    }
    fputs("</table></div>\n", out);
}

static void s_write_class_list(const sc_run_t *run, const size_t *order, size_t n, char klass,
                               int count, FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    fprintf(out, "<h2 id=\"class-%c\">%s（%s）%d个</h2>\n", klass, report_html_class_name(klass),
            report_html_tier_name(klass), count);
    if (count == 0) {
        fputs("<p>本年度无。</p>\n", out);
        return;
    }
    const char *scope = report_html_scope_word(run->snapshot->scope_code);
    bool province = strcmp(scope, "全省") == 0;
    fputs("<div class=\"t\"><table>\n<tr><th>全省排名</th>", out);
    if (!province)
        fprintf(out, "<th>%s排名</th>", scope);
    fputs("<th>县（市、区）</th><th>所属市</th><th>总分</th></tr>\n", out);
    for (size_t i = 0; i < n; i++) {
        const sc_county_result_t *county = &run->result->counties[order[i]];
        if (county->klass != klass) {
            continue;
        }
        fprintf(out, "<tr><td class=\"n\">%d</td>", county->rank_in_province);
        if (!province)
            fprintf(out, "<td class=\"n\">%d</td>", county->rank);
        fputs("<td>", out);
        report_html_county_link(out, &run->input->counties[order[i]]);
        fputs("</td><td>", out);
        report_html_city_link(out, &run->input->counties[order[i]]);
        fprintf(out, "</td><td class=\"n\">%s</td></tr>\n",
                report_html_centi(county->total, number));
    }
    fputs("</table></div>\n", out);
}

static void s_write_flag_row(const sc_run_t *run, size_t county, size_t indicator, FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    char words[128];
    const sc_indicator_t *definition = &run->m->indicators[indicator];
    const sc_county_result_t *result = &run->result->counties[county];
    fputs("<tr><td>", out);
    report_html_county_link(out, &run->input->counties[county]);
    fputs("</td><td>", out);
    report_html_text(out, definition->name_zh);
    fputs("</td><td class=\"n\">", out);
    if ((result->flags[indicator] & SC_FLAG_MISSING) != 0) {
        fputs("—", out);
    } else {
        report_html_text(out,
                         report_html_value(result->value[indicator], definition->unit, number));
        report_html_text(out, definition->unit);
    }
    fputs("</td><td class=\"flag\">", out);
    report_html_text(
        out, report_html_flag_words(definition, result->flags[indicator], words, sizeof words));
    fputs("</td></tr>\n", out);
}

static void s_write_flags(const sc_run_t *run, const size_t *order, size_t n, FILE *out)
{
    size_t count = 0;
    fputs("<h2>数据标记</h2>\n", out);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < run->m->n_indicators; k++) {
            if (run->result->counties[order[i]].flags[k] == 0) {
                continue;
            }
            if (count++ == 0) {
                fputs(
                    "<p "
                    "class=\"note\">上年数据结转：本年未报送，按规则沿用上年数值；未报送：无数值，"
                    "不得分；专家评分不足：定性指标的参评专家少于规定人数，按规则结转上年评分或不得"
                    "分"
                    "，不属于未按期报送；同比异常待复核：与上年相比变化超出设定倍数，发布前须复核。"
                    "</p>\n"
                    "<div class=\"t\"><table>\n<tr><th>县（市、区）</th><th>指标</th>"
                    "<th>数值</th><th>标记</th></tr>\n",
                    out);
            }
            s_write_flag_row(run, order[i], k, out);
        }
    }
    if (count == 0) {
        fputs("<p>本年度所有数据均按期报送，无结转、缺报或异常标记。</p>\n", out);
    } else {
        fprintf(out, "</table></div>\n<p>共%zu项数据存在标记。</p>\n", count);
    }
}

static void s_write_award_row(const sc_run_t *run, size_t county, FILE *out)
{
    const sc_county_awards_t *awards = &run->awards[county];
    fputs("<tr><td>", out);
    report_html_county_link(out, &run->input->counties[county]);
    fprintf(out, "</td><td class=\"%c\">%s</td><td>", run->result->counties[county].klass,
            report_html_class_name(run->result->counties[county].klass));
    for (size_t a = 0; a < awards->n_awards; a++) {
        const sc_award_t *award = &awards->awards[a];
        fputs(a > 0 ? "<br>" : "", out);
        report_html_printf(out, "%s（%d万元）：%s", report_html_rule_name(award->rule),
                           award->amount, award->reason);
    }
    fprintf(out, "</td><td class=\"n\">%d</td><td>", awards->total);
    if (awards->uncapped > awards->total) {
        report_html_printf(out, "多项奖励合计%d万元，按最高%d万元计奖", awards->uncapped,
                           run->policy != NULL ? run->policy->cap : awards->total);
    }
    fputs("</td></tr>\n", out);
}

static void s_write_rewards(const sc_run_t *run, const size_t *order, size_t n, FILE *out)
{
    size_t count = 0;
    long sum = 0;
    fputs("<h2>跃升奖励</h2>\n", out);
    for (size_t i = 0; run->awards != NULL && i < n; i++) {
        if (run->awards[order[i]].n_awards == 0) {
            continue;
        }
        if (count++ == 0) {
            fputs("<div class=\"t\"><table>\n<tr><th>县（市、区）</th><th>类别</th>"
                  "<th>奖励项目及理由</th><th>奖励（万元）</th><th>说明</th></tr>\n",
                  out);
        }
        s_write_award_row(run, order[i], out);
        sum += run->awards[order[i]].total;
    }
    if (count == 0) {
        fputs("<p>本年度无县获得跃升奖励。</p>\n", out);
        return;
    }
    fprintf(out, "</table></div>\n<p>共%zu个县获得奖励，合计%ld万元。", count, sum);
    fputs("奖励资金由县科技部门用于推进科技创新工作。</p>\n", out);
}

/* Counties whose class the other total_from rule would change. */
static void s_write_class_rule(const sc_run_t *run, const size_t *order, size_t n, FILE *out)
{
    char note[512];
    fprintf(out, "<h2 id=\"class-rule\">类别取决于总分算法的县 %zu个</h2>\n", run->n_class_flagged);
    if (run->n_class_flagged == 0) {
        fputs("<p>无。两种总分算法（精确值相加后一次四舍五入；各指标四舍五入后相加）下，"
              "各县类别相同。</p>\n",
              out);
        return;
    }
    fputs("<ul>\n", out);
    for (size_t i = 0; i < n; i++) {
        const sc_county_result_t *county = &run->result->counties[order[i]];
        if (!*report_html_class_rule_note(run->m, county, note, sizeof note))
            continue;
        fputs("<li>", out);
        report_html_county_link(out, &run->input->counties[order[i]]);
        fputs("：", out);
        report_html_text(out, note);
        fputs("</li>\n", out);
    }
    fputs("</ul>\n", out);
}

/* The scope's counties without any data this year (未参评). */
static void s_write_not_evaluated(const sc_run_t *run, FILE *out)
{
    if (run->n_not_evaluated == 0)
        return;
    fprintf(out, "<h2 id=\"not-evaluated\">未参评县（市、区）%zu个</h2>\n<p class=\"note\">",
            run->n_not_evaluated);
    report_html_printf(out,
                       "以下县（市、区）%d年度无任何监测数据，未参加评价，不分类、不排名；"
                       "本范围有数据的县占%.1f%%。",
                       run->input->year, 100.0 * run->coverage);
    fputs("</p>\n<div class=\"t\"><table>\n<tr><th>代码</th><th>县（市、区）</th>"
          "<th>所属市</th></tr>\n",
          out);
    for (size_t c = 0; c < run->n_not_evaluated; c++) {
        const sc_county_t *county = run->not_evaluated[c];
        fputs("<tr><td>", out);
        report_html_text(out, county->code);
        fputs("</td><td>", out);
        report_html_text(out, county->name);
        fputs("</td><td>", out);
        report_html_text(out, county->city_name);
        fputs("</td></tr>\n", out);
    }
    fputs("</table></div>\n", out);
}

int report_result_html(const sc_run_t *run, FILE *out)
{
    char title[256];
    char subtitle[256];
    report_scope_figures_t figures;
    size_t n = 0;
    snprintf(title, sizeof title, "%s%d年度县域科技创新能力监测评价结果", run->snapshot->scope_name,
             run->input->year);
    /* the methodology is named once, here, by title and code; the footer
     * below keeps the hashes that make the page checkable */
    snprintf(subtitle, sizeof subtitle, "评价方法：%s（%s）",
             run->m->title_zh[0] != '\0' ? run->m->title_zh : "—", run->m->code);
    report_figures_scope(run->m, run->input, run->result, NULL, &figures);
    size_t *order = s_sort_counties(run, &n);
    report_html_begin(out, title, subtitle);
    report_html_nav(out, run);
    s_write_summary(run, &figures, out);
    static const char classes[] = "ABC";
    for (int k = 0; k < 3; k++) {
        s_write_class_list(run, order, n, classes[k], figures.classes[k], out);
    }
    s_write_flags(run, order, n, out);
    s_write_class_rule(run, order, n, out);
    s_write_rewards(run, order, n, out);
    s_write_not_evaluated(run, out);
    report_html_end_page(out, run, false);
    free(order);
    return ferror(out) ? -1 : 0;
}
