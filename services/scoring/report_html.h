/*  report_html: the page skeleton and the small text helpers every report
 *  page shares (private to services/scoring/report_*.c).
 *
 *  Pages are self-contained: one inline style sheet (readable on a phone,
 *  printable), no scripts, no external fonts. Every piece of text that comes
 *  from data goes through report_html_text, which escapes the five HTML
 *  special characters. Numbers are formatted without printf's %f so that no
 *  locale can change a decimal point: points are centipoints printed with
 *  exactly two decimals by integer arithmetic, other values are rounded to a
 *  fixed number of decimals with llround and printed as integers.
 */
#ifndef SCORING_REPORT_HTML_H
#define SCORING_REPORT_HTML_H

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

/* "A类", "B类", "C类"; "—" for anything else. */
const char *report_html_class_name(char klass);

/* "第一梯队", "第二梯队", "第三梯队"; "" for anything else. */
const char *report_html_tier_name(char klass);

/* The flags of one value in words joined by "、" (上年数据结转、未报送、
 * 同比异常待复核); "" when none. */
const char *report_html_flag_words(uint8_t flags, char *buf, size_t size);

/* The Chinese name of an award rule ("leap_b_to_a" -> "由B类跃升到A类"). */
const char *report_html_rule_name(const char *rule);

#endif
