/*  Unit tests of kc_config's mail domain: the right side of every
 *  Message-ID kc-notify writes, given or taken from the sender's address,
 *  and refused with the key named when it is not a domain name. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_config.h"

static int s_load(kc_config_t *config, kc_error_t *error)
{
    setenv("KC_DATABASE_URL", "dbname=unused", 1);
    kc_config_init(config);
    kc_error_clear(error);
    return kc_config_load(config, NULL, error);
}

Test(kc_config, the_mail_domain_is_the_senders_unless_given)
{
    kc_config_t config;
    kc_error_t error;
    setenv("KC_SMTP_FROM", "noreply@kjt.hebei.gov.cn", 1);
    cr_assert_eq(s_load(&config, &error), 0, "%s", error.message);
    cr_assert_str_eq(config.mail_domain, "kjt.hebei.gov.cn");
    setenv("KC_MAIL_DOMAIN", "notify.sjz.gov.cn", 1);
    cr_assert_eq(s_load(&config, &error), 0, "%s", error.message);
    cr_assert_str_eq(config.mail_domain, "notify.sjz.gov.cn");
}

Test(kc_config, the_default_sender_gives_localhost)
{
    kc_config_t config;
    kc_error_t error;
    unsetenv("KC_SMTP_FROM");
    unsetenv("KC_MAIL_DOMAIN");
    cr_assert_eq(s_load(&config, &error), 0, "%s", error.message);
    cr_assert_str_eq(config.mail_domain, "localhost");
}

Test(kc_config, a_mail_domain_that_is_not_a_domain_name_is_refused)
{
    static const char *const wrong[] = {"kjt..hebei.gov.cn", "-kjt.gov.cn", "kjt.gov.cn.",
                                        "kjt gov cn",        "<a@b>",       "科技厅.cn"};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        kc_config_t config;
        kc_error_t error;
        setenv("KC_MAIL_DOMAIN", wrong[i], 1);
        cr_assert_eq(s_load(&config, &error), -1, "'%s' was taken", wrong[i]);
        cr_assert_eq(error.code, KC_ERR_CONFIG);
        cr_assert_str_eq(error.field, "notify.mail_domain");
        cr_assert_not_null(strstr(error.message, wrong[i]), "%s", error.message);
    }
}

Test(kc_config, a_sender_without_a_domain_needs_a_mail_domain)
{
    kc_config_t config;
    kc_error_t error;
    unsetenv("KC_MAIL_DOMAIN");
    setenv("KC_SMTP_FROM", "noreply", 1);
    cr_assert_eq(s_load(&config, &error), -1);
    cr_assert_str_eq(error.field, "notify.mail_domain");
    cr_assert_not_null(strstr(error.hint, "KC_MAIL_DOMAIN"), "%s", error.hint);
    setenv("KC_MAIL_DOMAIN", "kjt.hebei.gov.cn", 1);
    cr_assert_eq(s_load(&config, &error), 0, "%s", error.message);
}
