/*  report_city: the annual evaluation report of one city (设区的市),
 *  seed 002 §七(二): "对设区的市县域科技创新总体情况 ... 进行分析".
 *
 *  The same sections as the province report, limited to the city's
 *  counties (report_province.h), with the table of its counties in score
 *  order: rank in the city and in the province, total, the primary
 *  subtotals, class and the change since last year.
 */
#include <stdlib.h>
#include <string.h>

#include "scoring/report.h"
#include "scoring/report_figures.h"
#include "scoring/report_html.h"
#include "scoring/report_province.h"

static void s_write_county_row(const sc_run_t *run, size_t i, FILE *out)
{
    char number[REPORT_NUMBER_MAX];
    const sc_county_result_t *county = &run->result->counties[i];
    fprintf(out, "<tr><td class=\"n\">%d</td><td>", county->rank_in_city);
    report_html_county_link(out, &run->input->counties[i]);
    fprintf(out, "</td><td class=\"n\">%d</td><td class=\"n\">%s</td>", county->rank_in_province,
            report_html_centi(county->total, number));
    for (size_t p = 0; p < run->m->n_primaries; p++) {
        fprintf(out, "<td class=\"n\">%s</td>", report_html_centi(county->subtotal[p], number));
    }
    fprintf(out, "<td class=\"%c\">%s</td>", county->klass, report_html_class_name(county->klass));
    if (run->changes != NULL && run->changes[i].has_previous) {
        fprintf(out, "<td class=\"n\">%s</td><td class=\"n\">%+d</td></tr>\n",
                report_html_delta(run->changes[i].total_delta, number),
                run->changes[i].rank_change);
    } else {
        fputs("<td class=\"n\">—</td><td class=\"n\">—</td></tr>\n", out);
    }
}

static void s_write_county_table(const sc_run_t *run, const char *city_code, FILE *out)
{
    size_t *order = calloc(run->input->n_counties + 1, sizeof *order);
    if (order == NULL) {
        abort(); /* out of memory: the project's allocation policy */
    }
    size_t n = report_figures_order(run->input, run->result, city_code, order);
    fputs("<h2>各县得分情况</h2>\n<div "
          "class=\"t\"><table>\n<tr><th>市内排名</th><th>县（市、区）</th>"
          "<th>全省排名</th><th>总分</th>",
          out);
    for (size_t p = 0; p < run->m->n_primaries; p++) {
        fputs("<th>", out);
        report_html_text(out, run->m->primaries[p].name_zh);
        fputs("</th>", out);
    }
    fputs("<th>类别</th><th>总分较上年</th><th>名次变化</th></tr>\n", out);
    for (size_t j = 0; j < n; j++) {
        s_write_county_row(run, order[j], out);
    }
    fputs("</table></div>\n", out);
    report_html_write_tail_note(out, run->m);
    free(order);
}

int report_city_html(const sc_run_t *run, const char *city_code, FILE *out)
{
    const sc_county_t *city = NULL;
    for (size_t i = 0; i < run->input->n_counties && city == NULL; i++) {
        if (strcmp(run->input->counties[i].city_code, city_code) == 0) {
            city = &run->input->counties[i];
        }
    }
    if (city == NULL) {
        return -1; /* no county of that city was scored: nothing to report */
    }
    char title[256];
    char subtitle[256];
    snprintf(title, sizeof title, "《%s县域科技创新年度评估报告》", city->city_name);
    snprintf(subtitle, sizeof subtitle, "%s · %d年度", run->snapshot->scope_name, run->input->year);
    report_html_begin(out, title, subtitle);
    report_html_nav(out, run);
    report_province_overview(run, city_code, city->city_name, out);
    s_write_county_table(run, city_code, out);
    report_province_charts(run, city_code, out);
    report_province_movers(run, city_code, out);
    report_province_robustness(run, city_code, out);
    report_province_advice(run, city_code, out);
    report_html_end(out, run);
    return ferror(out) ? -1 : 0;
}
