/*  kc_config: what a node is and where its parts listen.
 *
 *  Read from an INI file (libinih) and then from the environment, which
 *  wins, so one image serves every site: KC_NODE_ID, KC_NODE_LEVEL,
 *  KC_NODE_DIVISION, KC_DATABASE_URL, KC_INTAKE_ENDPOINT,
 *  KC_EVENTS_ENDPOINT, KC_SCORING_ENDPOINT, KC_LOG_LEVEL, KC_MAX_MESSAGE_BYTES, KC_GROUP_MAX,
 *  KC_SCORING_AUTO_COVERAGE, KC_WORKFLOW_ENDPOINT, KC_MAIL_DOMAIN (and the
 *  other KC_* of s_environment in kc_config.c). The database connection
 * string may carry a password: it is never logged (see kc_config_describe).
 */
#ifndef KC_CONFIG_H
#define KC_CONFIG_H

#include <stddef.h>

#include "kc/kc_error.h"

typedef struct {
    char node_id[64];            /* name of this node, e.g. "hebei" or "130123" */
    char node_level[16];         /* "province", "city" or "county" */
    char node_division[8];       /* six-digit code the node serves; "" for none */
    char conninfo[1024];         /* libpq connection string or URI */
    char intake_endpoint[256];   /* ROUTER for requests, e.g. tcp://127.0.0.1:7101 */
    char events_endpoint[256];   /* PUB for events, e.g. tcp://127.0.0.1:7102 */
    char scoring_endpoint[256];  /* ROUTER of kc-scoring, e.g. tcp://127.0.0.1:7111 */
    char workflow_endpoint[256]; /* ROUTER of kc-workflow, e.g. tcp://127.0.0.1:7121 */
    char notify_endpoint[256];   /* ROUTER of kc-notify, e.g. tcp://127.0.0.1:7131 */
    char smtp_url[256];          /* smtp://host:port for e-mail; "" turns e-mail off */
    char smtp_from[256];         /* the sender address */
    char mail_domain[256];       /* right side of every Message-ID; by default smtp_from's */
    char smtp_user[128];         /* secrets: from the file or the environment, never logged */
    char smtp_password[256];
    char webhook_secret[256];  /* HMAC-SHA256 key signing webhooks and SMS requests */
    char sms_gateway[256];     /* URL the SMS requests are POSTed to; "" turns SMS off */
    char public_dir[256];      /* where public notices are written for the site; "" for none */
    int notify_attempts;       /* attempts before a notification is dead */
    int notify_backoff_ms;     /* first retry delay; doubles each attempt, with jitter */
    int notify_timeout_ms;     /* one delivery at most */
    char link_endpoint[256];   /* kc-link's ROUTER for the children's links; "" for none */
    char link_parent[256];     /* the parent node's link endpoint; "" at the top */
    char link_parent_key[64];  /* the parent's public CURVE key (Z85) */
    char link_keys[512];       /* directory of this node's node.key (kcctl keys generate) */
    char link_peers[512];      /* peers file: the children's keys (deploy/federation/) */
    int scoring_auto_coverage; /* % of counties with a value of every input that makes a year
                                  "complete" and starts scoring by itself; 0 turns it off */
    size_t max_message_bytes;  /* larger frames are refused before decoding */
    int group_max;             /* most writes committed in one transaction */
    char log_level[16];        /* error, warn, notice, info, debug */
} kc_config_t;

/* Defaults: a node called "local" with loopback endpoints 7101/7102,
 * 16 MiB messages (a national year of one provider is about 1.5 MiB),
 * groups of 256. */
void kc_config_init(kc_config_t *self);

/* Read `path` (NULL or "" to skip the file), then the environment.
 * Unknown keys and bad numbers are errors naming the key and the line. */
int kc_config_load(kc_config_t *self, const char *path, kc_error_t *error);

/* The node's name in what others may see of it — its events' `node`, its
 * notifications' identities: its division code, of which a federation has
 * one node each; "000000" for a node configured without one (kc-link then
 * refuses to start: such a node is alone). */
const char *kc_config_division(const kc_config_t *self);

/* One line for the log with the connection string's password removed. */
void kc_config_describe(const kc_config_t *self, char *out, size_t out_size);

#endif
