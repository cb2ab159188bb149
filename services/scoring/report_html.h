/*  report_html: the page skeleton and the small text helpers every report
 *  page shares (private to services/scoring/report_*.c).
 *
 *  Pages are self-contained: one inline style sheet (readable on a phone,
 *  printable), no scripts, no external fonts. Every piece of text that comes
 *  from data goes through report_html_text, which escapes the five HTML
 *  special characters. Numbers are formatted without printf's %f so that no
 *  locale can change a decimal point: points are centipoints printed with
 *  exactly two decimals by integer arithmetic, other values are rounded to a
 *  fixed number of decimals with llround and printed as integers. An
 *  indicator's value is written as its unit asks (report_html_value: "244家",
 *  not "244.00家"), and shares shown side by side add up to 100.0 %
 *  (report_html_shares).
 */
#ifndef SCORING_REPORT_HTML_H
#define SCORING_REPORT_HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scoring/run.h"

#define REPORT_NUMBER_MAX 48 /* room for any formatted number below */

/* <!DOCTYPE html> ... <body><main><h1>title</h1>, with an optional subtitle line. */
void report_html_begin(FILE *out, const char *title, const char *subtitle);

/* Links to the published result, the province report and every city's report. */
void report_html_nav(FILE *out, const sc_run_t *run);

/* <a href="county-130102.html">长安区</a> and <a href="city-130100.html">石家庄市</a>. */
void report_html_county_link(FILE *out, const sc_county_t *county);
void report_html_city_link(FILE *out, const sc_county_t *county);

/* The footer (methodology, input and output hashes) and the closing tags. */
void report_html_end(FILE *out, const sc_run_t *run);

/* The same, leaving out the methodology when the page already names it
 * (index.html shows it under the title, and once is enough). */
void report_html_end_page(FILE *out, const sc_run_t *run, bool with_methodology);

/* Text with &, <, >, " and ' escaped; NULL writes nothing. */
void report_html_text(FILE *out, const char *text);

/* printf into a buffer (truncated at 1 KiB), then escaped as text. */
void report_html_printf(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Centipoints with exactly two decimals: 8000 -> "80.00", 5 -> "0.05", -5 -> "-0.05". */
const char *report_html_centi(int32_t centi, char buf[REPORT_NUMBER_MAX]);

/* The same with a sign for changes: "+1.49", "-0.05", "0.00". */
const char *report_html_delta(int32_t centi, char buf[REPORT_NUMBER_MAX]);

/* A double rounded half away from zero to `decimals` (0..6) decimals; "—"
 * when not finite or too large to round exactly. */
const char *report_html_fixed(double value, int decimals, char buf[REPORT_NUMBER_MAX]);

/* part / whole as a percentage with one decimal, rounded half up: "85.5%". */
const char *report_html_percent(int64_t part, int64_t whole, char buf[REPORT_NUMBER_MAX]);

/* An indicator's value as a reader expects it in `unit` (the unit is not
 * written): counts (家, 个, 件, 项, 人, 名) and amounts (元, 万元, 亿元,
 * 万人, 分) with up to two decimals and the trailing zeros dropped, so
 * 244 -> "244", 599.75 -> "599.75", 12.5 -> "12.5"; every other unit (%,
 * 件/万人, ...) with exactly two decimals. Rounded half away from zero to
 * hundredths first, trimmed by integer arithmetic. */
const char *report_html_value(double value, const char *unit, char buf[REPORT_NUMBER_MAX]);

/* Fractions (such as class probabilities) as tenths of a percent that add
 * up to exactly 1000, by largest remainder (Hamilton): each fraction is
 * first rounded to millionths, then its quota 1000 * m_i / sum(m) is cut
 * to its integer part, and the tenths still missing go one each to the
 * largest remainders; equal remainders go to the earlier entry. Not finite
 * or negative fractions count as 0; all zero gives all zero. n <= 16. */
void report_html_shares(const double *fractions, size_t n, int32_t *tenths);

/* "A类", "B类", "C类"; "—" for anything else. */
const char *report_html_class_name(char klass);

/* "第一梯队", "第二梯队", "第三梯队"; "" for anything else. */
const char *report_html_tier_name(char klass);

/* The flags of one value of `indicator` in words joined by "、"; "" when
 * none. A quantitative value without this year's figure was not reported
 * (上年数据结转, 未报送); a qualitative one had too few expert ratings
 * (专家评分不足，结转上年评分 / 专家评分不足), which is not late data.
 * 同比异常待复核 for a jump either way. */
const char *report_html_flag_words(const sc_indicator_t *indicator, uint8_t flags, char *buf,
                                   size_t size);

/* The note printed wherever rounded parts are listed beside a total made
 * from exact values (total_from = exact); "" under rounded_parts. */
const char *report_html_tail_note(const sc_methodology_t *m);

/* That note as a <p class="note"> paragraph; nothing under rounded_parts. */
void report_html_write_tail_note(FILE *out, const sc_methodology_t *m);

/* "全省", "全市" or "全国": the scope the run's `rank` is counted in. */
const char *report_html_scope_word(const char *scope_code);

/* One sentence on a county whose class the other total_from rule would
 * change (class_other != klass), into buf; "" when it would not. */
const char *report_html_class_rule_note(const sc_methodology_t *m, const sc_county_result_t *result,
                                        char *buf, size_t size);

/* The Chinese name of an award rule ("leap_b_to_a" -> "由B类跃升到A类"). */
const char *report_html_rule_name(const char *rule);

#endif
