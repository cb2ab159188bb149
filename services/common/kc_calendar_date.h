/*  kc_calendar_date: civil-date arithmetic shared by the calendar's files.
 *
 *  Dates are counted as days since 1970-01-01 with Howard Hinnant's
 *  days_from_civil / civil_from_days (proleptic Gregorian, exact for any
 *  year), which also gives the weekday: 1970-01-01 was a Thursday.
 */
#ifndef KC_CALENDAR_DATE_H
#define KC_CALENDAR_DATE_H

#include <stdbool.h>
#include <stdint.h>

int64_t kc_calendar_days_of(int yyyymmdd); /* days since 1970-01-01 */
int kc_calendar_date_of(int64_t days);     /* yyyymmdd, -1 outside years 1..9999 */
int kc_calendar_weekday(int64_t days);     /* 0 Sunday .. 6 Saturday */
bool kc_calendar_is_weekend(int yyyymmdd); /* Saturday or Sunday */
bool kc_calendar_date_valid(int yyyymmdd); /* a real date in years 1..9999 */
int kc_calendar_add_days(int yyyymmdd, int days);

#endif
