/*  catalogue_fixture: a small hand-made catalogue for tests and fuzzing
 *  that need validation without a database.
 *
 *  Hebei 130000 and its city 130100; the counties 正定县 130123 and
 *  平山县 130131 valid in every year; 旧县 130199, valid until 2019 and then
 *  merged into 130123. Indicators of framework hebei-2019 (from 2017, no end):
 *  I01 (stats, 0-1e6), I03 (stats, 0-100 %), I05 (sti, 0-100000),
 *  I07 (county, -100-100), I15 (county, 0-100), I17 (sti, 0-1e9).
 *  Providers stats, sti, county. No Criterion: the fuzz targets use it too.
 */
#ifndef TESTS_CATALOGUE_FIXTURE_H
#define TESTS_CATALOGUE_FIXTURE_H

#include "intake/catalogue.h"

/* A new sealed catalogue (free with catalogue_destroy). */
catalogue_t *catalogue_fixture_new(void);

#endif
