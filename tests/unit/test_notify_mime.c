/*  Unit tests of notify_mime: a 60-character Chinese subject as RFC 2047
 *  encoded words of at most 75 characters that decode back to it (decoded
 *  here with OpenSSL's own base64, independently of the encoder's
 *  splitting), and identities that carry the node's division. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "notify/notify_mime.h"

/* Decode every "=?UTF-8?B?...?=" word of `words` in order, checking each
 * one's length, into `out`. */
static void s_decode(const char *words, char *out, size_t size)
{
    size_t used = 0;
    const char *at = words;
    while ((at = strstr(at, "=?UTF-8?B?")) != NULL) {
        const char *end = strstr(at + 10, "?=");
        cr_assert_not_null(end);
        size_t word = (size_t)(end + 2 - at);
        cr_assert_leq(word, NOTIFY_MIME_WORD_MAX, "a word of %zu characters", word);
        size_t n = (size_t)(end - (at + 10));
        unsigned char decoded[128];
        int got = EVP_DecodeBlock(decoded, (const unsigned char *)at + 10, (int)n);
        cr_assert_geq(got, 0);
        /* EVP_DecodeBlock counts the padding's zero bytes too */
        while (n > 0 && at[10 + n - 1] == '=') {
            got--;
            n--;
        }
        cr_assert_lt(used + (size_t)got, size);
        memcpy(out + used, decoded, (size_t)got);
        used += (size_t)got;
        at = end + 2;
    }
    out[used] = '\0';
}

Test(notify_mime, a_sixty_character_chinese_subject_folds_into_short_words_that_decode_back)
{
    const char *subject =
        "【公示】河北省山区“一县一业一基地一团队”科技示范工程——平山县食用菌产业科技示范"
        "基地申报已进入公示阶段请各位专家及社会公众予以监督";
    char *words = notify_mime_header_words(subject);
    char decoded[1024];
    s_decode(words, decoded, sizeof decoded);
    cr_assert_str_eq(decoded, subject);
    /* several words, each on a line of its own after the first */
    cr_assert_not_null(strstr(words, "?=\r\n =?UTF-8?B?"), "%s", words);
    free(words);
    /* a short ASCII subject is one word */
    words = notify_mime_header_words("kechuang");
    cr_assert_str_eq(words, "=?UTF-8?B?a2VjaHVhbmc=?=");
    free(words);
}

Test(notify_mime, identities_carry_the_node)
{
    char county[NOTIFY_MIME_ID_MAX], city[NOTIFY_MIME_ID_MAX];
    notify_mime_identity(false, "130131", 2, county);
    notify_mime_identity(false, "130100", 2, city);
    cr_assert_str_eq(county, "notification-130131-2");
    cr_assert_str_neq(county, city, "notification 2 of two nodes is two identities");
    notify_mime_identity(true, "130131", 7, county);
    cr_assert_str_eq(county, "digest-130131-7");
}
