/*  report_county: the annual evaluation report of one county (seed 002
 *  §七(二) "各县科技创新基本情况", with the class-specific tasks of §六).
 *
 *  What a county's science and technology bureau needs to act on: its
 *  total, class and ranks; its five subtotals against its city's and the
 *  province's averages and its rank over the years (charts); every
 *  indicator with value, normalised value, points, flags and change; the
 *  change since last year split into indicators; how far it is from the
 *  next class and which single indicator could get it there; how robust
 *  its class is to the weights; its rewards; and the four tasks §六 sets
 *  for its class, quoted from the published plan.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scoring/report.h"
#include "scoring/report_figures.h"
#include "scoring/report_html.h"
#include "scoring/report_svg.h"

/* Seed 002 §六: the focus of each class and the titles and first sentences
 * of its four numbered tasks (public policy text, quoted verbatim). */
typedef struct {
    char klass;
    const char *focus;
    struct {
        const char *title;
        const char *first;
    } tasks[4];
} s_class_tasks_t;

static const s_class_tasks_t s_class_tasks[3] = {
    {
        'A',
        "位于全省县域创新驱动发展“第一梯队”，产业基础好、科技资源丰富、创新体系基本形成，重点是强化"
        "优势，培育标杆，实现引领示范和高质量发展。",
        {
            {"做大做强主导优势产业", "大力研发、引进和应用先进技术，推进主导产业向高端发展。"},
            {"打造创新型领军企业",
             "结合区域产业优势，遴选一批创新能力强、引领作用大的骨干高新技术企业，在重大技术攻关项"
             "目、重大科技创新平台建设、创新政策落实等方面集中资源重点支持，打造一批全球知名、全国"
             "有影响力的创新型领军企业。"},
            {"推进科技开放合作",
             "推动与“一带一路”国家和中东欧国家科技交流与合作，打造国际合作产业基地。"},
            {"构建完整的创新生态系统",
             "引导企业与高校、科研机构开展联合创新，构建产学研深度融合的技术创新体系。"},
        },
    },
    {
        'B',
        "位于全省县域创新驱动发展“第二梯队”，主导产业具有一定优势、科技型企业具备一定规模、科技创新"
        "体系初具雏形，重点是加强创新资源聚集，引进和应用先进技术成果，推动主导产业创新升级，加快实"
        "现向A类县跃升。",
        {
            {"改造提升传统产业",
             "大力开展产业共性技术研发、成果引进和推广应用，推动主导产业技术水平提升。"},
            {"大力发展科技型企业",
             "实施高新技术企业后备培育工程和科技型中小企业成长计划，开展政策宣讲、企业诊断、人才对"
             "接等针对性帮扶活动，加快培育高新技术企业和科技型中小企业。"},
            {"建设公共技术服务平台",
             "以行业龙头企业为依托，吸引科技型中小企业、高校、科研机构广泛参与，加快产业技术研究院"
             "、产业技术创新战略联盟等建设，推进主导产业关键共性技术创新。"},
            {"优化科技发展环境",
             "积极推进高新技术企业税收优惠、企业研发费用加计扣除等重大科技政策落实。"},
        },
    },
    {
        'C',
        "位于全省县域创新驱动发展“第三梯队”，科技型企业较少、科技人才缺乏、科技创新体系不完善，科技"
        "创新能力总体较弱，重点是强化创新发展理念，引进科技创新资源，推广应用先进适用技术，培育区域"
        "优势产业，加快实现向B类县跃升。",
        {
            {"加快培育区域特色产业", "结合自然、生态、资源等基础，重点在种养殖、农产品深加工、矿产"
                                     "品深加工等方面实现高效益发展，加快培育优势主导产业。"},
            {"加快先进适用技术推广应用", "引导企业加强与高校、科研机构合作，引进和应用先进适用技术"
                                         "，推进生产工艺改进和产品档次提升。"},
            {"推进科技创新平台建设",
             "引导有条件的企业建设研发机构，支持具有一定创新优势的企业建设市级以上科技创新平台。"},
            {"大力增加科技投入",
             "合理统筹政府财力，设立财政科技专项资金，保持财政科技支出持续稳定增长。"},
        },
    },
};

/* One county's context: where it is in its year's arrays, and its city. */
typedef struct {
    const sc_run_t *run;
    size_t index;
    const sc_county_t *county;
    const sc_county_result_t *result;
    const sc_change_t *change; /* NULL without a previous year */
} s_page_t;

/* "；较上年提高1.49分，类别由B类升为A类，全省排名由第5位上升至第4位"
 * (全市 in a city's run, 全国 in the country's: the rank in the scope) */
static void s_write_change_words(const s_page_t *page, FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    const sc_change_t *change = page->change;
    int32_t delta = change->total_delta;
    if (delta == 0) {
        fputs("；总分与上年持平，", out);
    } else {
        report_html_printf(out, "；较上年%s%s分，", delta > 0 ? "提高" : "下降",
                           report_html_centi(delta > 0 ? delta : -delta, number));
    }
    if (change->previous_class == page->result->klass) {
        report_html_printf(out, "类别保持%s，", report_html_class_name(page->result->klass));
    } else {
        report_html_printf(out, "类别由%s%s为%s，", report_html_class_name(change->previous_class),
                           change->previous_class > page->result->klass ? "升" : "降",
                           report_html_class_name(page->result->klass));
    }
    const char *scope = report_html_scope_word(page->run->snapshot->scope_code);
    if (change->rank_change == 0) {
        report_html_printf(out, "%s排名保持第%d位", scope, page->result->rank);
    } else {
        report_html_printf(out, "%s排名由第%d位%s至第%d位", scope, change->previous_rank,
                           change->rank_change > 0 ? "上升" : "下降", page->result->rank);
    }
}

static void s_write_summary(const s_page_t *page, FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    report_scope_figures_t province;
    report_scope_figures_t city;
    report_figures_scope(page->run->m, page->run->input, page->run->result, NULL, &province);
    report_figures_scope(page->run->m, page->run->input, page->run->result, page->county->city_code,
                         &city);
    fputs("<h2>总体情况</h2>\n<div class=\"t\"><table>\n", out);
    fprintf(out, "<tr><th>总分</th><td class=\"n\">%s</td></tr>\n",
            report_html_centi(page->result->total, number));
    fprintf(out, "<tr><th>类别</th><td class=\"%c\">%s（%s）</td></tr>\n", page->result->klass,
            report_html_class_name(page->result->klass),
            report_html_tier_name(page->result->klass));
    /* Rewards read the rank in the province's whole evaluation: shown
     * first, whatever the scope of the run; a city's run adds its own. */
    fprintf(out, "<tr><th>全省排名</th><td class=\"n\">%d / %zu</td></tr>\n",
            page->result->rank_in_province, run_province_size(page->run, page->county->code));
    if (strcmp(report_html_scope_word(page->run->snapshot->scope_code), "全国") == 0)
        fprintf(out, "<tr><th>全国排名</th><td class=\"n\">%d / %zu</td></tr>\n",
                page->result->rank, province.n_counties);
    fprintf(out, "<tr><th>市内排名</th><td class=\"n\">%d / %zu</td></tr>\n",
            page->result->rank_in_city, city.n_counties);
    fputs("</table></div>\n", out);
    char rule[512];
    if (*report_html_class_rule_note(page->run->m, page->result, rule, sizeof rule)) {
        fputs("<p class=\"note\">", out);
        report_html_text(out, rule);
        fputs("</p>\n", out);
    }
    fputs("<p>", out);
    report_html_printf(out, "%d年度，%s总分%s分，", page->run->input->year, page->county->name,
                       report_html_centi(page->result->total, number));
    report_html_printf(out, "全省平均%s分，", report_html_centi(province.total, number));
    report_html_printf(out, "%s平均%s分", page->county->city_name,
                       report_html_centi(city.total, number));
    if (page->change != NULL && page->change->has_previous) {
        s_write_change_words(page, out);
    }
    fputs("。</p>\n", out);
}

/* Subtotal as a percentage of the primary's points. */
static double s_percent_of(int32_t subtotal, int32_t points)
{
    return points > 0 ? (double)subtotal * 100.0 / (double)points : 0;
}

static void s_write_subtotal_table(const s_page_t *page, const report_scope_figures_t *city,
                                   const report_scope_figures_t *province, FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    const sc_methodology_t *m = page->run->m;
    fputs("<div class=\"t\"><table>\n<tr><th>一级指标</th><th>满分</th><th>本县</th>"
          "<th>市平均</th><th>全省平均</th></tr>\n",
          out);
    for (size_t p = 0; p < m->n_primaries; p++) {
        fputs("<tr><td>", out);
        report_html_text(out, m->primaries[p].name_zh);
        fprintf(out, "</td><td class=\"n\">%s</td>",
                report_html_centi(m->primaries[p].points_centi, number));
        fprintf(out, "<td class=\"n\">%s</td>",
                report_html_centi(page->result->subtotal[p], number));
        fprintf(out, "<td class=\"n\">%s</td>", report_html_centi(city->subtotal[p], number));
        fprintf(out, "<td class=\"n\">%s</td></tr>\n",
                report_html_centi(province->subtotal[p], number));
    }
    fputs("</table></div>\n", out);
}

static void s_draw_subtotals(const s_page_t *page, FILE *out)
{
    const sc_methodology_t *m = page->run->m;
    report_scope_figures_t province;
    report_scope_figures_t city;
    double values[SC_MAX_PRIMARIES * 3];
    const char *groups[SC_MAX_PRIMARIES];
    char city_label[SC_NAME_MAX + 16];
    char province_label[SC_NAME_MAX + 16];
    report_figures_scope(m, page->run->input, page->run->result, NULL, &province);
    report_figures_scope(m, page->run->input, page->run->result, page->county->city_code, &city);
    for (size_t p = 0; p < m->n_primaries; p++) {
        groups[p] = m->primaries[p].name_zh;
        values[p * 3] = s_percent_of(page->result->subtotal[p], m->primaries[p].points_centi);
        values[p * 3 + 1] = s_percent_of(city.subtotal[p], m->primaries[p].points_centi);
        values[p * 3 + 2] = s_percent_of(province.subtotal[p], m->primaries[p].points_centi);
    }
    snprintf(city_label, sizeof city_label, "%s平均", page->county->city_name);
    snprintf(province_label, sizeof province_label, "%s平均", page->run->snapshot->scope_name);
    const char *const series[] = {page->county->name, city_label, province_label};
    static const char *const colours[] = {"#1565c0", "#90a4ae", "#ffb74d"};
    report_chart_t chart = {"一级指标得分率（占该项满分的百分比）与市、全省平均比较",
                            m->n_primaries,
                            groups,
                            3,
                            series,
                            colours,
                            values,
                            1,
                            "%"};
    fputs("<h2>一级指标得分</h2>\n", out);
    report_svg_grouped_bars(out, &chart, 100);
    s_write_subtotal_table(page, &city, &province, out);
    report_html_write_tail_note(out, page->run->m);
}

static void s_draw_rank_trend(const s_page_t *page, FILE *out)
{
    const sc_run_t *run = page->run;
    double *ranks = calloc(run->n_years + 1, sizeof *ranks);
    char(*labels)[16] = calloc(run->n_years + 1, sizeof *labels);
    const char **groups = calloc(run->n_years + 1, sizeof *groups);
    if (ranks == NULL || labels == NULL || groups == NULL) {
        abort(); /* out of memory: the project's allocation policy */
    }
    size_t most = 1;
    for (size_t y = 0; y < run->n_years; y++) {
        int at = report_figures_find(&run->years[y], page->county->code);
        ranks[y] = at >= 0 ? run->results[y].counties[at].rank_in_province : 0; /* 全省 */
        most = run->results[y].n_counties > most ? run->results[y].n_counties : most;
        most = ranks[y] > (double)most ? (size_t)ranks[y] : most;
        snprintf(labels[y], sizeof labels[y], "%d年", run->results[y].year);
        groups[y] = labels[y];
    }
    report_chart_t chart = {
        "全省排名变化（第1名在最上方）", run->n_years, groups, 1, NULL, NULL, ranks, 0, "名"};
    fputs("<h2>排名走势</h2>\n", out);
    report_svg_line(out, &chart, (double)most, true);
    free(ranks);
    free(labels);
    free(groups);
}

static void s_write_indicator_row(const s_page_t *page, size_t k, FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    char words[128];
    const sc_indicator_t *indicator = &page->run->m->indicators[k];
    fputs("<tr><td>", out);
    report_html_text(out, indicator->name_zh);
    fputs("</td><td class=\"n\">", out);
    if ((page->result->flags[k] & SC_FLAG_MISSING) != 0) {
        fputs("—", out);
    } else {
        report_html_text(out, report_html_value(page->result->value[k], indicator->unit, number));
        report_html_text(out, indicator->unit);
    }
    fprintf(out, "</td><td class=\"n\">%s</td>",
            report_html_fixed(page->result->normalised[k], 4, number));
    fprintf(out, "<td class=\"n\">%s / ", report_html_centi(page->result->points[k], number));
    fprintf(out, "%s</td><td class=\"flag\">", report_html_centi(indicator->points_centi, number));
    report_html_text(
        out, report_html_flag_words(indicator, page->result->flags[k], words, sizeof words));
    fputs("</td><td class=\"n\">", out);
    if (page->change != NULL && page->change->has_previous) {
        report_html_text(out, report_html_delta(page->change->indicator_delta[k], number));
    } else {
        fputs("—", out);
    }
    fputs("</td></tr>\n", out);
}

static void s_write_indicators(const s_page_t *page, FILE *out)
{
    const sc_methodology_t *m = page->run->m;
    fputs("<h2>各项指标</h2>\n<div class=\"t\"><table>\n<tr><th>指标</th><th>数值</th>"
          "<th>标准化值</th><th>得分 / 满分</th><th>标记</th><th>得分较上年</th></tr>\n",
          out);
    for (size_t p = 0; p < m->n_primaries; p++) {
        fputs("<tr><th colspan=\"6\">", out);
        report_html_text(out, m->primaries[p].name_zh);
        fputs("</th></tr>\n", out);
        for (size_t k = 0; k < m->n_indicators; k++) {
            if (m->indicators[k].primary == (int)p) {
                s_write_indicator_row(page, k, out);
            }
        }
    }
    fputs("</table></div>\n", out);
    report_html_write_tail_note(out, m);
}

/* Indicators with a change, largest |delta| first, methodology order on ties. */
static size_t s_sort_changes(const sc_methodology_t *m, const sc_change_t *change,
                             size_t order[SC_MAX_INDICATORS])
{
    size_t n = 0;
    for (size_t k = 0; k < m->n_indicators; k++) {
        if (change->indicator_delta[k] == 0) {
            continue;
        }
        size_t at = n++;
        /* insertion sort: at most SC_MAX_INDICATORS entries */
        while (at > 0 &&
               abs(change->indicator_delta[order[at - 1]]) < abs(change->indicator_delta[k])) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = k;
    }
    return n;
}

static void s_write_change_split(const s_page_t *page, FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    size_t order[SC_MAX_INDICATORS];
    fputs("<h2>得分变化分解</h2>\n", out);
    if (page->change == NULL || !page->change->has_previous) {
        fputs("<p>本县无上年度评价结果，无法比较。</p>\n", out);
        return;
    }
    size_t n = s_sort_changes(page->run->m, page->change, order);
    fputs("<p>", out);
    int32_t delta = page->change->total_delta;
    if (delta == 0) {
        fputs("总分与上年持平", out);
    } else {
        report_html_printf(out, "总分较上年%s%s分", delta > 0 ? "提高" : "下降",
                           report_html_centi(delta > 0 ? delta : -delta, number));
    }
    if (n > 0) {
        report_html_printf(out, "，影响最大的指标是“%s”（%s分）",
                           page->run->m->indicators[order[0]].name_zh,
                           report_html_delta(page->change->indicator_delta[order[0]], number));
    }
    fputs(page->run->m->total_from == SC_TOTAL_EXACT
              ? "。各指标得分变化之和与总分变化可能存在尾差。</p>\n"
              : "。各指标得分变化之和等于总分变化。</p>\n",
          out);
    if (n == 0) {
        return;
    }
    fputs("<div class=\"t\"><table>\n<tr><th>指标</th><th>得分变化</th></tr>\n", out);
    for (size_t j = 0; j < n; j++) {
        fputs("<tr><td>", out);
        report_html_text(out, page->run->m->indicators[order[j]].name_zh);
        fprintf(out, "</td><td class=\"n\">%s</td></tr>\n",
                report_html_delta(page->change->indicator_delta[order[j]], number));
    }
    fputs("</table></div>\n", out);
}

static void s_write_gap_indicator(const s_page_t *page, const sc_gap_t *gap, FILE *out)
{
    char from[REPORT_NUMBER_MAX];
    char to[REPORT_NUMBER_MAX];
    char change[REPORT_NUMBER_MAX];
    const sc_indicator_t *indicator = &page->run->m->indicators[gap->indicator];
    report_html_printf(out, "在其他指标不变的情况下，单项提升所需幅度最小的指标是“%s”：",
                       indicator->name_zh);
    report_html_printf(
        out, "需由%s%s",
        report_html_value(page->result->value[gap->indicator], indicator->unit, from),
        indicator->unit);
    report_html_printf(out, "达到%s%s", report_html_value(gap->value_needed, indicator->unit, to),
                       indicator->unit);
    if (isinf(gap->relative_increase)) {
        fputs("（目前为零，需从无到有）", out);
    } else {
        report_html_printf(out, "（%s%s%%）", gap->relative_increase >= 0 ? "提高" : "降低",
                           report_html_fixed(fabs(gap->relative_increase) * 100, 1, change));
    }
    fputs("。", out);
}

static void s_write_gap(const s_page_t *page, FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    fputs("<h2>距上一类别的差距</h2>\n<p>", out);
    const sc_gap_t *gap = page->run->gaps != NULL ? &page->run->gaps[page->index] : NULL;
    if (gap == NULL) {
        fputs("本次评价未计算差距。</p>\n", out);
        return;
    }
    if (gap->next_class == 0) {
        fputs("本县已位于A类（第一梯队），应保持优势、争先进位。</p>\n", out);
        return;
    }
    report_html_printf(out, "距%s还差%s分。", report_html_class_name(gap->next_class),
                       report_html_centi(gap->points_needed, number));
    if (gap->indicator >= 0 && (size_t)gap->indicator < page->run->m->n_indicators) {
        s_write_gap_indicator(page, gap, out);
    } else {
        fputs("没有单项指标能够独立补足差距，需要多项指标共同提升。", out);
    }
    fputs("</p>\n", out);
}

static void s_write_robustness(const s_page_t *page, FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    if (page->run->robustness == NULL) {
        return;
    }
    const sc_mc_county_t *mc = &page->run->robustness[page->index];
    fputs("<h2>稳健性</h2>\n<p>", out);
    report_html_printf(out,
                       "指标权重随机扰动%zu次（各县标准化值不变）：%s排名在第%d至第%d位之间"
                       "（5%%–95%%分位，中位数第%d位）；",
                       page->run->mc.draws, report_html_scope_word(page->run->snapshot->scope_code),
                       mc->rank_p5, mc->rank_p95, mc->rank_p50);
    /* largest remainder, so that the three add up to 100.0 % as printed */
    int32_t tenths[3];
    report_html_shares(mc->p_class, 3, tenths);
    report_html_printf(out, "属于A类的概率%s，", report_html_percent(tenths[0], 1000, number));
    report_html_printf(out, "B类%s，", report_html_percent(tenths[1], 1000, number));
    report_html_printf(out, "C类%s。", report_html_percent(tenths[2], 1000, number));
    fputs("</p>\n", out);
}

static void s_write_rewards(const s_page_t *page, FILE *out)
{
    fputs("<h2>跃升奖励</h2>\n", out);
    const sc_county_awards_t *awards =
        page->run->awards != NULL ? &page->run->awards[page->index] : NULL;
    if (awards == NULL || awards->n_awards == 0) {
        fputs("<p>本年度无。</p>\n", out);
        return;
    }
    fputs("<ul>\n", out);
    for (size_t a = 0; a < awards->n_awards; a++) {
        fputs("<li>", out);
        report_html_printf(out, "%s（%d万元）：%s", report_html_rule_name(awards->awards[a].rule),
                           awards->awards[a].amount, awards->awards[a].reason);
        fputs("</li>\n", out);
    }
    fputs("</ul>\n<p>", out);
    report_html_printf(out, "合计%d万元", awards->total);
    if (awards->uncapped > awards->total) {
        report_html_printf(out, "（各项合计%d万元，按每县每年最高%d万元计奖）", awards->uncapped,
                           page->run->policy != NULL ? page->run->policy->cap : awards->total);
    }
    fputs("。</p>\n", out);
}

static void s_write_tasks(const s_page_t *page, FILE *out)
{
    int klass = report_figures_class_index(page->result->klass);
    if (klass < 0) {
        return;
    }
    const s_class_tasks_t *tasks = &s_class_tasks[klass];
    fprintf(
        out,
        "<h2>%s县个性任务</h2>\n<p "
        "class=\"note\">摘自《河北省县域科技创新跃升计划（2019-2025年）》六、个性任务。</p>\n<p>",
        report_html_class_name(tasks->klass));
    report_html_text(out, tasks->focus);
    fputs("</p>\n<div class=\"t\"><table>\n<tr><th>序号</th><th>任务</th><th>要点</th></tr>\n",
          out);
    for (int t = 0; t < 4; t++) {
        fprintf(out, "<tr><td class=\"n\">%d</td><td>", t + 1);
        report_html_text(out, tasks->tasks[t].title);
        fputs("</td><td>", out);
        report_html_text(out, tasks->tasks[t].first);
        fputs("</td></tr>\n", out);
    }
    fputs("</table></div>\n", out);
}

int report_county_html(const sc_run_t *run, size_t county, FILE *out)
{
    if (county >= run->input->n_counties) {
        return -1;
    }
    s_page_t page = {run, county, &run->input->counties[county], &run->result->counties[county],
                     run->changes != NULL ? &run->changes[county] : NULL};
    char title[256];
    char subtitle[256];
    snprintf(title, sizeof title, "%s%d年度科技创新能力评估报告", page.county->name,
             run->input->year);
    snprintf(subtitle, sizeof subtitle, "%s · %s · 县（市、区）代码 %s", run->snapshot->scope_name,
             page.county->city_name, page.county->code);
    report_html_begin(out, title, subtitle);
    report_html_nav(out, run);
    s_write_summary(&page, out);
    s_draw_subtotals(&page, out);
    s_draw_rank_trend(&page, out);
    s_write_indicators(&page, out);
    s_write_change_split(&page, out);
    s_write_gap(&page, out);
    s_write_robustness(&page, out);
    s_write_rewards(&page, out);
    s_write_tasks(&page, out);
    report_html_end(out, run);
    return ferror(out) ? -1 : 0;
}
