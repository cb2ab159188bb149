/*  catalogue_fixture: the test catalogue described in its header. */
#include "catalogue_fixture.h"

#include <stdio.h>
#include <string.h>

static void s_indicator(catalogue_t *catalogue, const char *code, const char *provider, double low,
                        double high)
{
    catalogue_indicator_t indicator;
    memset(&indicator, 0, sizeof indicator);
    snprintf(indicator.framework, sizeof indicator.framework, "hebei-2019");
    snprintf(indicator.code, sizeof indicator.code, "%s", code);
    snprintf(indicator.name_zh, sizeof indicator.name_zh, "指标 %s", code);
    snprintf(indicator.provider, sizeof indicator.provider, "%s", provider);
    snprintf(indicator.unit, sizeof indicator.unit, "%%");
    indicator.min_value = low;
    indicator.max_value = high;
    indicator.first_year = 2017;
    indicator.last_year = 9999; /* until replaced */
    catalogue_add_indicator(catalogue, &indicator);
}

catalogue_t *catalogue_fixture_new(void)
{
    catalogue_t *catalogue = catalogue_new();
    catalogue_add_division(catalogue, "130000", 0, 9999, 1, "河北省");
    catalogue_add_division(catalogue, "130100", 0, 9999, 2, "石家庄市");
    catalogue_add_division(catalogue, "130123", 0, 9999, 3, "正定县");
    catalogue_add_division(catalogue, "130131", 0, 9999, 3, "平山县");
    catalogue_add_division(catalogue, "130199", 0, 2019, 3, "旧县");
    catalogue_add_succession(catalogue, "130199", "130123");
    s_indicator(catalogue, "I01", "stats", 0, 1e6);
    s_indicator(catalogue, "I03", "stats", 0, 100);
    s_indicator(catalogue, "I05", "sti", 0, 100000);
    s_indicator(catalogue, "I07", "county", -100, 100);
    s_indicator(catalogue, "I15", "county", 0, 100);
    s_indicator(catalogue, "I17", "sti", 0, 1e9);
    catalogue_add_provider(catalogue, "stats");
    catalogue_add_provider(catalogue, "sti");
    catalogue_add_provider(catalogue, "county");
    catalogue_seal(catalogue);
    return catalogue;
}
