/*  The public notice file: written whole, its text escaped for HTML and
 *  never cut inside a Chinese character. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify/notify_public.h"

Test(notify_public, text_is_escaped_for_html)
{
    char out[128];
    notify_public_escape("平山县<基地>&\"公示\"", out, sizeof out);
    cr_expect_str_eq(out, "平山县&lt;基地&gt;&amp;&quot;公示&quot;");
}

Test(notify_public, a_long_text_is_cut_on_a_character_boundary)
{
    char out[8];
    notify_public_escape("平山县公示", out, sizeof out);
    cr_expect_str_eq(out, "平山", "two characters of three bytes and the end fit in 8");
}

Test(notify_public, the_notice_is_written_as_one_file_named_by_its_event)
{
    char dir[] = "/tmp/kc-public-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    kc_error_t error;
    cr_assert_eq(notify_public_write(dir, "42", "公示：平山县基地", "现予公示<b>",
                                     "2025-03-03 09:00", &error),
                 0);
    char path[64];
    snprintf(path, sizeof path, "%s/notice-42.html", dir);
    FILE *file = fopen(path, "r");
    cr_assert_not_null(file);
    char text[1024];
    size_t n = fread(text, 1, sizeof text - 1, file);
    text[n] = '\0';
    fclose(file);
    cr_expect(strstr(text, "<h1>公示：平山县基地</h1>"));
    cr_expect(strstr(text, "现予公示&lt;b&gt;"));
    cr_expect(strstr(text, "发布时间：2025-03-03 09:00"));
    snprintf(path, sizeof path, "%s/notice-42.html.part", dir);
    cr_expect_neq(access(path, F_OK), 0, "no temporary file is left");
    snprintf(path, sizeof path, "%s/notice-42.html", dir);
    unlink(path);
    rmdir(dir);
    cr_expect_neq(notify_public_write("/nonexistent/kc", "1", "s", "b", "t", &error), 0);
}
