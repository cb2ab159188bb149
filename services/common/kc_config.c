/*  kc_config: defaults, then the INI file, then the environment. */
#include "kc/kc_config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_check.h"
#include "kc/kc_log.h"

typedef struct {
    kc_config_t *config;
    kc_error_t *error;
} s_parse_t;

void kc_config_init(kc_config_t *self)
{
    memset(self, 0, sizeof *self);
    snprintf(self->node_id, sizeof self->node_id, "local");
    snprintf(self->node_level, sizeof self->node_level, "province");
    snprintf(self->intake_endpoint, sizeof self->intake_endpoint, "tcp://127.0.0.1:7101");
    snprintf(self->events_endpoint, sizeof self->events_endpoint, "tcp://127.0.0.1:7102");
    snprintf(self->scoring_endpoint, sizeof self->scoring_endpoint, "tcp://127.0.0.1:7111");
    snprintf(self->workflow_endpoint, sizeof self->workflow_endpoint, "tcp://127.0.0.1:7121");
    snprintf(self->notify_endpoint, sizeof self->notify_endpoint, "tcp://127.0.0.1:7131");
    snprintf(self->smtp_from, sizeof self->smtp_from, "kechuang@localhost");
    self->notify_attempts = 6;
    self->notify_backoff_ms = 2000;
    self->notify_timeout_ms = 5000;
    self->scoring_auto_coverage = 95;
    snprintf(self->log_level, sizeof self->log_level, "info");
    self->max_message_bytes = 16u << 20;
    self->group_max = 256;
}

static int s_copy(char *out, size_t size, const char *value, const char *key, kc_error_t *error)
{
    if (strlen(value) >= size)
        return kc_error_set(error, KC_ERR_CONFIG, key, "value of '%s' is too long", key);
    snprintf(out, size, "%s", value);
    return 0;
}

static int s_number(long long *out, const char *value, long long low, long long high,
                    const char *key, kc_error_t *error)
{
    char *end = NULL;
    errno = 0;
    long long number = strtoll(value, &end, 10);
    if (errno || end == value || *end != '\0' || number < low || number > high) {
        kc_error_set(error, KC_ERR_CONFIG, key, "value of '%s' is not a number in range", key);
        kc_error_detail(error, "found '%s', expected %lld to %lld", value, low, high);
        return -1;
    }
    *out = number;
    return 0;
}

/* Six digits: the node's identity across the federation rests on it. */
static int s_division(kc_config_t *self, const char *value, kc_error_t *error)
{
    bool digits = strlen(value) == 6;
    for (size_t i = 0; digits && i < 6; i++)
        digits = value[i] >= '0' && value[i] <= '9';
    if (!digits) {
        kc_error_set(error, KC_ERR_CONFIG, "node.division",
                     "node.division 的值 '%s' 不是六位行政区划代码", value);
        kc_error_hint(error, "give the code of the division the node serves, e.g. 130131");
        return -1;
    }
    snprintf(self->node_division, sizeof self->node_division, "%s", value);
    return 0;
}

/* Apply one key; `key` is "section.name". */
static int s_apply(kc_config_t *self, const char *key, const char *value, kc_error_t *error)
{
    long long number = 0;
    if (strcmp(key, "node.id") == 0)
        return s_copy(self->node_id, sizeof self->node_id, value, key, error);
    if (strcmp(key, "node.level") == 0)
        return s_copy(self->node_level, sizeof self->node_level, value, key, error);
    if (strcmp(key, "node.division") == 0)
        return s_division(self, value, error);
    if (strcmp(key, "database.conninfo") == 0)
        return s_copy(self->conninfo, sizeof self->conninfo, value, key, error);
    if (strcmp(key, "intake.endpoint") == 0)
        return s_copy(self->intake_endpoint, sizeof self->intake_endpoint, value, key, error);
    if (strcmp(key, "intake.events") == 0)
        return s_copy(self->events_endpoint, sizeof self->events_endpoint, value, key, error);
    if (strcmp(key, "scoring.endpoint") == 0)
        return s_copy(self->scoring_endpoint, sizeof self->scoring_endpoint, value, key, error);
    if (strcmp(key, "workflow.endpoint") == 0)
        return s_copy(self->workflow_endpoint, sizeof self->workflow_endpoint, value, key, error);
    if (strcmp(key, "notify.endpoint") == 0)
        return s_copy(self->notify_endpoint, sizeof self->notify_endpoint, value, key, error);
    if (strcmp(key, "link.endpoint") == 0)
        return s_copy(self->link_endpoint, sizeof self->link_endpoint, value, key, error);
    if (strcmp(key, "link.parent") == 0)
        return s_copy(self->link_parent, sizeof self->link_parent, value, key, error);
    if (strcmp(key, "link.parent_key") == 0)
        return s_copy(self->link_parent_key, sizeof self->link_parent_key, value, key, error);
    if (strcmp(key, "link.keys") == 0)
        return s_copy(self->link_keys, sizeof self->link_keys, value, key, error);
    if (strcmp(key, "link.peers") == 0)
        return s_copy(self->link_peers, sizeof self->link_peers, value, key, error);
    if (strcmp(key, "notify.smtp_url") == 0)
        return s_copy(self->smtp_url, sizeof self->smtp_url, value, key, error);
    if (strcmp(key, "notify.smtp_from") == 0)
        return s_copy(self->smtp_from, sizeof self->smtp_from, value, key, error);
    if (strcmp(key, "notify.mail_domain") == 0)
        return s_copy(self->mail_domain, sizeof self->mail_domain, value, key, error);
    if (strcmp(key, "notify.smtp_user") == 0)
        return s_copy(self->smtp_user, sizeof self->smtp_user, value, key, error);
    if (strcmp(key, "notify.smtp_password") == 0)
        return s_copy(self->smtp_password, sizeof self->smtp_password, value, key, error);
    if (strcmp(key, "notify.webhook_secret") == 0)
        return s_copy(self->webhook_secret, sizeof self->webhook_secret, value, key, error);
    if (strcmp(key, "notify.sms_gateway") == 0)
        return s_copy(self->sms_gateway, sizeof self->sms_gateway, value, key, error);
    if (strcmp(key, "notify.public_dir") == 0)
        return s_copy(self->public_dir, sizeof self->public_dir, value, key, error);
    if (strcmp(key, "notify.attempts") == 0) {
        if (s_number(&number, value, 1, 100, key, error))
            return -1;
        self->notify_attempts = (int)number;
        return 0;
    }
    if (strcmp(key, "notify.backoff_ms") == 0) {
        if (s_number(&number, value, 1, 3600000, key, error))
            return -1;
        self->notify_backoff_ms = (int)number;
        return 0;
    }
    if (strcmp(key, "notify.timeout_ms") == 0) {
        if (s_number(&number, value, 100, 600000, key, error))
            return -1;
        self->notify_timeout_ms = (int)number;
        return 0;
    }
    if (strcmp(key, "scoring.auto_coverage") == 0) {
        if (s_number(&number, value, 0, 100, key, error))
            return -1;
        self->scoring_auto_coverage = (int)number;
        return 0;
    }
    if (strcmp(key, "intake.max_message_bytes") == 0) {
        if (s_number(&number, value, 1024, 1LL << 30, key, error))
            return -1;
        self->max_message_bytes = (size_t)number;
        return 0;
    }
    if (strcmp(key, "intake.group_max") == 0) {
        if (s_number(&number, value, 1, 4096, key, error))
            return -1;
        self->group_max = (int)number;
        return 0;
    }
    if (strcmp(key, "log.level") == 0)
        return s_copy(self->log_level, sizeof self->log_level, value, key, error);
    return kc_error_set(error, KC_ERR_CONFIG, key, "unknown setting '%s'", key);
}

static int s_on_entry(void *user, const char *section, const char *name, const char *value)
{
    s_parse_t *parse = user;
    char key[128];
    snprintf(key, sizeof key, "%s.%s", section, name);
    return s_apply(parse->config, key, value, parse->error) == 0;
}

static const struct {
    const char *variable;
    const char *key;
} s_environment[] = {
    {"KC_NODE_ID", "node.id"},
    {"KC_NODE_LEVEL", "node.level"},
    {"KC_NODE_DIVISION", "node.division"},
    {"KC_DATABASE_URL", "database.conninfo"},
    {"KC_INTAKE_ENDPOINT", "intake.endpoint"},
    {"KC_EVENTS_ENDPOINT", "intake.events"},
    {"KC_SCORING_ENDPOINT", "scoring.endpoint"},
    {"KC_SCORING_AUTO_COVERAGE", "scoring.auto_coverage"},
    {"KC_WORKFLOW_ENDPOINT", "workflow.endpoint"},
    {"KC_NOTIFY_ENDPOINT", "notify.endpoint"},
    {"KC_LINK_ENDPOINT", "link.endpoint"},
    {"KC_LINK_PARENT", "link.parent"},
    {"KC_LINK_PARENT_KEY", "link.parent_key"},
    {"KC_LINK_KEYS", "link.keys"},
    {"KC_LINK_PEERS", "link.peers"},
    {"KC_SMTP_URL", "notify.smtp_url"},
    {"KC_SMTP_FROM", "notify.smtp_from"},
    {"KC_MAIL_DOMAIN", "notify.mail_domain"},
    {"KC_SMTP_USER", "notify.smtp_user"},
    {"KC_SMTP_PASSWORD", "notify.smtp_password"},
    {"KC_WEBHOOK_SECRET", "notify.webhook_secret"},
    {"KC_SMS_GATEWAY", "notify.sms_gateway"},
    {"KC_PUBLIC_DIR", "notify.public_dir"},
    {"KC_NOTIFY_ATTEMPTS", "notify.attempts"},
    {"KC_NOTIFY_BACKOFF_MS", "notify.backoff_ms"},
    {"KC_NOTIFY_TIMEOUT_MS", "notify.timeout_ms"},
    {"KC_LOG_LEVEL", "log.level"},
    {"KC_MAX_MESSAGE_BYTES", "intake.max_message_bytes"},
    {"KC_GROUP_MAX", "intake.group_max"},
};

/* The domain of every Message-ID this node writes: notify.mail_domain, or
 * else the sender's own domain; checked once here rather than found wrong
 * in every message. */
static int s_mail_domain(kc_config_t *self, kc_error_t *error)
{
    bool given = *self->mail_domain != '\0';
    if (!given) {
        const char *at = strrchr(self->smtp_from, '@');
        snprintf(self->mail_domain, sizeof self->mail_domain, "%s", at ? at + 1 : "");
    }
    if (kc_check_mail_domain(self->mail_domain))
        return 0;
    if (given) {
        kc_error_set(error, KC_ERR_CONFIG, "notify.mail_domain",
                     "notify.mail_domain 的值 '%s' 不是域名", self->mail_domain);
        kc_error_detail(error, "a Message-ID's right side is a domain name (RFC 5322)");
        kc_error_hint(error, "give a name such as kjt.hebei.gov.cn (labels of letters, digits"
                             " and hyphens separated by dots)");
    } else {
        kc_error_set(error, KC_ERR_CONFIG, "notify.mail_domain",
                     "发件地址 notify.smtp_from '%s' 没有可用作 Message-ID 的域名",
                     self->smtp_from);
        kc_error_detail(error, "notify.mail_domain is not set, and the sender's address has no"
                               " domain after its '@'");
        kc_error_hint(error, "set notify.mail_domain (KC_MAIL_DOMAIN) or give notify.smtp_from"
                             " as name@domain");
    }
    return -1;
}

int kc_config_load(kc_config_t *self, const char *path, kc_error_t *error)
{
    if (path && *path) {
        s_parse_t parse = {self, error};
        kc_error_clear(error);
        int line = ini_parse(path, s_on_entry, &parse);
        if (line < 0)
            return kc_error_set(error, KC_ERR_CONFIG, NULL, "cannot read configuration '%s'", path);
        if (line > 0) {
            if (error->code == KC_ERR_NONE)
                kc_error_set(error, KC_ERR_CONFIG, NULL, "syntax error in '%s'", path);
            kc_error_detail(error, "%s, line %d", path, line);
            return -1;
        }
    }
    for (size_t i = 0; i < sizeof s_environment / sizeof s_environment[0]; i++) {
        const char *value = getenv(s_environment[i].variable);
        if (value && *value && s_apply(self, s_environment[i].key, value, error))
            return -1;
    }
    if (s_mail_domain(self, error))
        return -1;
    if (kc_log_level_parse(self->log_level) < 0)
        return kc_error_set(error, KC_ERR_CONFIG, "log.level", "unknown log level '%s'",
                            self->log_level);
    if (!*self->conninfo)
        return kc_error_set(error, KC_ERR_CONFIG, "database.conninfo",
                            "no database given: set database.conninfo or KC_DATABASE_URL");
    return 0;
}

const char *kc_config_division(const kc_config_t *self)
{
    return *self->node_division ? self->node_division : "000000";
}

void kc_config_describe(const kc_config_t *self, char *out, size_t out_size)
{
    /* The connection string is left out altogether: parsing it to drop the
     * password alone would be one more parser to get wrong. */
    snprintf(out, out_size, "node=%s level=%s division=%s intake=%s events=%s", self->node_id,
             self->node_level, *self->node_division ? self->node_division : "-",
             self->intake_endpoint, self->events_endpoint);
}
