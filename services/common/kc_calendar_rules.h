/*  kc_calendar_rules: the statutory holidays of a year, for the calendar's
 *  completeness check and its provisional years (kc_calendar.h).
 */
#ifndef KC_CALENDAR_RULES_H
#define KC_CALENDAR_RULES_H

#include <stddef.h>

#define KC_FESTIVALS          7
#define KC_STATUTORY_DAYS_MAX 16 /* 13 from 2025: 1 + 4 + 1 + 2 + 1 + 1 + 3 */

typedef struct {
    int festival; /* index into kc_festival_names */
    int date;     /* yyyymmdd */
} kc_statutory_day_t;

/* 元旦 春节 清明节 劳动节 端午节 中秋节 国庆节, and the part of each name a
 * row's name must contain to belong to it (元旦 春节 清明 劳动 端午 中秋 国庆). */
extern const char *const kc_festival_names[KC_FESTIVALS];
extern const char *const kc_festival_keys[KC_FESTIVALS];

/* The statutory days of `year` in date order within each holiday; the
 * count, 0 outside KC_CALENDAR_FIRST_YEAR..KC_CALENDAR_LAST_YEAR. */
size_t kc_calendar_statutory(int year, kc_statutory_day_t out[KC_STATUTORY_DAYS_MAX]);

/* Which holidays a row's name names, as a bit mask over the festivals. */
unsigned kc_calendar_festivals_named(const char *name);

#endif
