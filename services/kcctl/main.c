/*  kcctl: command line of a kechuang node.
 *
 *  kcctl [options] COMMAND [ARGS]
 *    migrate                         apply the database migrations
 *    submit-values FILE.csv          indicator values, one row per county
 *    submit-application FILE.json    a programme application
 *    submit-objection FILE.json      an objection to a public notice
 *    status SUBMISSION_ID            a submission's answer and value history
 *    divisions [CODE]                the divisions under CODE (provinces if none)
 *    division-change KIND CODE DATE [SUCCESSORS]  record a reorganisation of the map
 *    events                          the event log (--after N, --follow)
 *    ping [DAEMON ...]               whether the daemons answer (intake, scoring, workflow,
 *                                    notify or all; kc-intake when none is named)
 *    methodology check|load FILE     a scoring methodology (an .ini file of deploy/scoring)
 *    rewards check|load FILE         a reward policy
 *    submit-ratings FILE.csv         expert ratings of the qualitative indicators (--year)
 *    score                           score a year (--year, --scope, --draws, --force, --out DIR)
 *    report                          write a run's result and reports (--run or --year, --out)
 *    publish                         make a run the published record (--run, --flags-reviewed)
 *    process check|load FILE         an application procedure (an .ini file of deploy/workflow)
 *    act REF TRANSITION              take a step of an application's procedure as the actor
 *    inbox                           what waits for the actor (--programme)
 *    history REF                     an application's procedure and every step so far
 *    audit verify|list               check the audit log's hash chain, or list entries (--after N)
 *    calendar check|load|show        the working-day calendar (a year's holiday notice)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_id.h"
#include "kcctl/kcctl.h"

static const struct {
    const char *name;
    int (*run)(kcctl_t *self);
} s_commands[] = {
    {"migrate", kcctl_migrate},
    {"division-change", kcctl_division_change},
    {"submit-values", kcctl_submit_values},
    {"submit-application", kcctl_submit_application},
    {"submit-objection", kcctl_submit_objection},
    {"status", kcctl_status},
    {"divisions", kcctl_divisions},
    {"events", kcctl_events},
    {"ping", kcctl_ping},
    {"methodology", kcctl_methodology},
    {"rewards", kcctl_rewards},
    {"submit-ratings", kcctl_submit_ratings},
    {"score", kcctl_score},
    {"report", kcctl_report},
    {"publish", kcctl_publish},
    {"process", kcctl_process},
    {"act", kcctl_act},
    {"inbox", kcctl_inbox},
    {"history", kcctl_history},
    {"audit", kcctl_audit},
    {"experts", kcctl_experts},
    {"panel", kcctl_panel},
    {"resolve-objection", kcctl_resolve_objection},
    {"progress", kcctl_progress},
    {"notify", kcctl_notify},
    {"recipients", kcctl_recipients},
    {"notifications", kcctl_notifications},
    {"keys", kcctl_keys},
    {"link", kcctl_link},
    {"classes", kcctl_classes},
    {"calendar", kcctl_calendar},
};

static void s_usage(void)
{
    fputs("usage: kcctl [options] COMMAND [ARGS]\n"
          "commands: migrate, submit-values FILE.csv, submit-application FILE.json,\n"
          "          submit-objection FILE.json, status ID, divisions [CODE], events,\n"
          "          ping [intake|scoring|workflow|notify|all ...],\n"
          "          division-change rename|recode|merge|split|abolish CODE YYYY-MM-DD\n"
          "                          [SUCCESSOR,...] [--name NAME] [--note TEXT]\n"
          "          methodology check|load FILE.ini, rewards check|load FILE.ini,\n"
          "          submit-ratings FILE.csv --year YEAR,\n"
          "          score --year YEAR [--scope CODE] [--draws N --seed S] [--force] [--out DIR],\n"
          "          report (--run ID | --year YEAR [--scope CODE]) --out DIR,\n"
          "          publish --run ID [--flags-reviewed], classes [--year YEAR],\n"
          "          process check|load FILE.ini, inbox [--programme CODE], history REF,\n"
          "          act REF TRANSITION [--reason TEXT] [--attest] [--return-to STATE],\n"
          "          resolve-objection ID upheld|dismissed --reason TEXT,\n"
          "          progress --programme CODE, experts load FILE.csv,\n"
          "          panel show|replay REF, panel declare REF none|conflict [--reason TEXT],\n"
          "          panel score REF CRITERION=POINTS ...,\n"
          "          notify check|load FILE.ini, recipients load FILE.csv,\n"
          "          notifications [--unread], notifications read ID ...,\n"
          "          keys generate|show DIR, link status,\n"
          "          calendar check FILE.csv, calendar show YEAR,\n"
          "          calendar load FILE.csv --notice TITLE --issued YYYY-MM-DD,\n"
          "          audit verify, audit list [--after ID]\n"
          "options:  --config FILE     node configuration (default: environment only)\n"
          "          --endpoint URL    kc-intake requests endpoint (ping: the daemon's)\n"
          "          --user NAME --role ROLE --division CODE --organisation ORG\n"
          "                            who is acting (defaults: $USER, operator, node division)\n"
          "          --provider CODE --year YEAR   for submit-values\n"
          "          --dry-run         validate and report, store nothing\n"
          "          --key KEY         idempotency key (default: a new one per run)\n"
          "          --timeout MS --attempts N     per-attempt wait and attempts (5000, 3;\n"
          "                            ping: 1000, 1)\n"
          "          --after SEQ --follow          for events\n"
          "          --methodology CODE --policy CODE  rules to score with (default: in force)\n"
          "          --wait SECONDS    how long score waits for its job (default 120)\n",
          stderr);
}

static int s_copy(char *out, size_t size, const char *value, const char *option)
{
    if (strlen(value) >= size) {
        fprintf(stderr, "kcctl: value of %s is too long\n", option);
        return -1;
    }
    snprintf(out, size, "%s", value);
    return 0;
}

static int s_number(const char *value, const char *option, int *out)
{
    char *end = NULL;
    long number = strtol(value, &end, 10);
    if (end == value || *end || number < 0 || number > 100000000) {
        fprintf(stderr, "kcctl: %s needs a number, not '%s'\n", option, value);
        return -1;
    }
    *out = (int)number;
    return 0;
}

/* One option with a value; returns 0, or -1 on a bad value or unknown option. */
static int s_option(kcctl_t *self, const char *option, const char *value)
{
    const struct {
        const char *name;
        char *out;
        size_t size;
    } texts[] = {
        {"--config", self->config_path, sizeof self->config_path},
        {"--endpoint", self->config.intake_endpoint, sizeof self->config.intake_endpoint},
        {"--user", self->user, sizeof self->user},
        {"--role", self->role, sizeof self->role},
        {"--division", self->division, sizeof self->division},
        {"--organisation", self->organisation, sizeof self->organisation},
        {"--provider", self->provider, sizeof self->provider},
        {"--key", self->key, sizeof self->key},
        {"--name", self->name, sizeof self->name},
        {"--note", self->note, sizeof self->note},
        {"--scope", self->scope, sizeof self->scope},
        {"--out", self->out, sizeof self->out},
        {"--methodology", self->methodology, sizeof self->methodology},
        {"--policy", self->policy, sizeof self->policy},
        {"--seed", self->seed, sizeof self->seed},
        {"--reason", self->reason, sizeof self->reason},
        {"--return-to", self->return_to, sizeof self->return_to},
        {"--programme", self->programme, sizeof self->programme},
        {"--notice", self->notice, sizeof self->notice},
        {"--issued", self->issued, sizeof self->issued},
    };
    if (strcmp(option, "--key") == 0)
        self->key_given = true;
    if (strcmp(option, "--endpoint") == 0)
        self->endpoint_given = true;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (strcmp(option, texts[i].name) == 0)
            return s_copy(texts[i].out, texts[i].size, value, option);
    if (strcmp(option, "--year") == 0)
        return s_number(value, option, &self->year);
    if (strcmp(option, "--timeout") == 0)
        return s_number(value, option, &self->timeout_ms);
    if (strcmp(option, "--attempts") == 0)
        return s_number(value, option, &self->attempts);
    if (strcmp(option, "--after") == 0)
        return s_number(value, option, &self->after);
    if (strcmp(option, "--draws") == 0)
        return s_number(value, option, &self->draws);
    if (strcmp(option, "--run") == 0)
        return s_number(value, option, &self->run);
    if (strcmp(option, "--wait") == 0)
        return s_number(value, option, &self->wait_s);
    fprintf(stderr, "kcctl: unknown option '%s'\n", option);
    return -1;
}

static int s_parse(kcctl_t *self, int argc, char **argv, const char **command)
{
    for (int i = 1; i < argc; i++) {
        const char *word = argv[i];
        if (strcmp(word, "--dry-run") == 0)
            self->dry_run = true;
        else if (strcmp(word, "--follow") == 0)
            self->follow = true;
        else if (strcmp(word, "--flags-reviewed") == 0)
            self->flags_reviewed = true;
        else if (strcmp(word, "--force") == 0)
            self->force = true;
        else if (strcmp(word, "--attest") == 0)
            self->attest = true;
        else if (strcmp(word, "--unread") == 0)
            self->unread = true;
        else if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0)
            return -1;
        else if (strncmp(word, "--", 2) == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "kcctl: %s needs a value\n", word);
                return -1;
            }
            if (s_option(self, word, argv[++i]))
                return -1;
        } else if (!*command)
            *command = word; /* the first bare word */
        else if (self->positional_count < KCCTL_POSITIONAL_MAX)
            self->positional[self->positional_count++] = word;
    }
    return *command ? 0 : -1; /* no command: show the usage */
}

/* Settings: defaults, then the file and environment, then the options. */
static int s_configure(kcctl_t *self)
{
    char endpoint[sizeof self->config.intake_endpoint];
    snprintf(endpoint, sizeof endpoint, "%s", self->config.intake_endpoint);
    kc_config_t config;
    kc_config_init(&config);
    kc_error_t error;
    kc_error_clear(&error);
    /* Most commands talk to kc-intake and need no database: a missing
     * connection string (checked last, after everything else was read) is
     * left to the commands that do. Any other bad setting is an error. */
    if (kc_config_load(&config, self->config_path, &error) &&
        !(error.code == KC_ERR_CONFIG && strcmp(error.field, "database.conninfo") == 0)) {
        kcctl_print_error(&error);
        return -1;
    }
    self->config = config;
    if (*endpoint)
        snprintf(self->config.intake_endpoint, sizeof self->config.intake_endpoint, "%s", endpoint);
    if (!*self->user)
        s_copy(self->user, sizeof self->user, getenv("USER") ? getenv("USER") : "operator",
               "--user");
    if (!*self->role)
        s_copy(self->role, sizeof self->role, "operator", "--role");
    if (!*self->division)
        s_copy(self->division, sizeof self->division,
               *config.node_division ? config.node_division : "000000", "--division");
    if (!*self->key)
        kc_id_new(self->key);
    kc__v1__actor__init(&self->actor);
    self->actor.user_id = self->user;
    self->actor.role = self->role;
    self->actor.division_code = self->division;
    self->actor.organisation = self->organisation;
    return 0;
}

int main(int argc, char **argv)
{
    kcctl_t self;
    memset(&self, 0, sizeof self);
    self.timeout_ms = -1; /* each command's own, unless given */
    self.attempts = -1;
    self.wait_s = 120;
    const char *command = NULL;
    if (s_parse(&self, argc, argv, &command) || s_configure(&self)) {
        s_usage();
        return 2;
    }
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
        if (strcmp(command, s_commands[i].name) == 0)
            return s_commands[i].run(&self) ? 1 : 0;
    fprintf(stderr, "kcctl: unknown command '%s'\n", command);
    s_usage();
    return 2;
}
