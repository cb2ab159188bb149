/*  cmd_keys: a node's CURVE identity for the links between nodes.
 *
 *    kcctl keys generate DIR   node.key (secret, mode 0600) and node.pub
 *    kcctl keys show DIR       the line the node's parent and children add
 *                              to their peers file (public key, division,
 *                              level, name: from the node's configuration)
 *
 *  The secret key never leaves DIR; only the public line is exchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kc/kc_zap.h"
#include "kcctl/kcctl.h"

static int s_read_public(const char *dir, char public_key[KC_KEY_Z85])
{
    char path[600];
    snprintf(path, sizeof path, "%s/node.pub", dir);
    FILE *file = fopen(path, "r");
    if (!file || fscanf(file, "%40s", public_key) != 1) {
        fprintf(stderr, "kcctl: cannot read %s (kcctl keys generate %s)\n", path, dir);
        if (file)
            fclose(file);
        return -1;
    }
    fclose(file);
    return 0;
}

static int s_show(kcctl_t *self, const char *dir)
{
    char public_key[KC_KEY_Z85];
    if (s_read_public(dir, public_key))
        return -1;
    printf("%s,%s,%s,%s\n", public_key,
           *self->config.node_division ? self->config.node_division : "000000",
           *self->config.node_level ? self->config.node_level : "province", self->config.node_id);
    return 0;
}

static int s_generate(kcctl_t *self, const char *dir)
{
    char public_key[KC_KEY_Z85], secret_key[KC_KEY_Z85], path[600];
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "kcctl: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/node.key", dir);
    if (access(path, F_OK) == 0) {
        fprintf(stderr,
                "kcctl: %s exists: a node keeps its key (remove it to replace it, and"
                " give the peers the new public line)\n",
                path);
        return -1;
    }
    if (kc_curve_keypair(public_key, secret_key)) {
        fprintf(stderr, "kcctl: this libzmq has no CURVE\n");
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    FILE *file = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!file || fprintf(file, "public = %s\nsecret = %s\n", public_key, secret_key) < 0 ||
        fclose(file) != 0) {
        fprintf(stderr, "kcctl: cannot write %s\n", path);
        return -1;
    }
    snprintf(path, sizeof path, "%s/node.pub", dir);
    file = fopen(path, "w");
    if (!file || fprintf(file, "%s\n", public_key) < 0 || fclose(file) != 0) {
        fprintf(stderr, "kcctl: cannot write %s\n", path);
        return -1;
    }
    printf("key pair written to %s (node.key, mode 0600; node.pub). Give the parent and the\n"
           "children this line for their peers file:\n",
           dir);
    return s_show(self, dir);
}

int kcctl_keys(kcctl_t *self)
{
    if (self->positional_count == 2 && strcmp(self->positional[0], "generate") == 0)
        return s_generate(self, self->positional[1]);
    if (self->positional_count == 2 && strcmp(self->positional[0], "show") == 0)
        return s_show(self, self->positional[1]);
    fprintf(stderr, "usage: kcctl keys generate|show DIR\n");
    return -1;
}
