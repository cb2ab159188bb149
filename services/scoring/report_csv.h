/*  report_csv: RFC 4180 writing helpers of the CSV exports (private to
 *  services/scoring/report_*.c).
 */
#ifndef SCORING_REPORT_CSV_H
#define SCORING_REPORT_CSV_H

#include <stdio.h>

/* One field: quoted ("..." with every " doubled) when it holds a comma, a
 * double quote, CR or LF; as is otherwise. NULL writes an empty field. */
void report_csv_field(FILE *out, const char *text);

/* A double with 17 significant digits ("%.17g", so it reads back to the
 * same bits), always with '.' as the decimal point; "inf", "-inf", "nan"
 * for the non-finite values. */
void report_csv_double(FILE *out, double value);

#endif
