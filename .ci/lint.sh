#!/usr/bin/env bash
# .ci/lint.sh: the checks a compiler does not make (`make lint`; `make test`).
#
#   1. no unsafe C library calls: sprintf, vsprintf, strcpy, strcat, atoi, gets
#      (snprintf, strtol and friends report truncation and bad input instead);
#   2. no SQL built by string formatting: a snprintf/asprintf family call whose
#      format string holds SELECT, INSERT, UPDATE or DELETE. Queries are
#      constant text with $1, $2... parameters (PQexecParams);
#   3. clang-format --dry-run -Werror against the checked-in .clang-format.
#
# Over the C sources under services/ include/ tests/ bench/. Every offence is
# printed as file:line, then the script exits 1. The first two are textual
# heuristics: a banned call inside a comment or string is reported as well;
# write the name without its parenthesis there.
set -euo pipefail
cd "$(dirname "$0")/.."

sources=()
while IFS= read -r -d '' file; do
    sources+=("$file")
done < <(find services include tests bench -type f \( -name '*.c' -o -name '*.h' \) \
    -print0 2>/dev/null | sort -z)

if ((${#sources[@]} == 0)); then
    echo "lint: no C sources found"
    exit 0
fi

offences=0

# 1. Banned calls, by whole word followed by an opening parenthesis.
while IFS= read -r hit; do
    echo "$hit"
    offences=$((offences + 1))
done < <(perl -ne '
    print "$ARGV:$.: banned call $1() (use snprintf, strtol or a kc_ helper)\n"
        while /\b(v?sprintf|strcpy|strcat|atoi|gets)\s*\(/g;
    close ARGV if eof' "${sources[@]}")

# 2. SQL in a format string. The call may span lines: take it up to the
# first ';' and look at its string literals only.
while IFS= read -r hit; do
    echo "$hit: SQL built with a format string (use a constant query and \$n parameters)"
    offences=$((offences + 1))
done < <(perl -0777 -ne '
    while (/\b(?:v?snprintf|v?asprintf)\s*\(([^;]*)/g) {
        my ($arguments, $start) = ($1, $-[0]);
        my $literals = join "", ($arguments =~ /"((?:[^"\\]|\\.)*)"/g);
        next unless $literals =~ /\b(?:SELECT|INSERT|UPDATE|DELETE)\b/;
        my $line = 1 + (substr($_, 0, $start) =~ tr/\n//);
        print "$ARGV:$line\n";
    }' "${sources[@]}")

# 3. A daemon never includes another daemon's headers: daemons talk only
# through messages, and rules two of them share live in a library of their
# own (services/common, services/process). kcctl, the operator's tool,
# may call into any of them.
while IFS= read -r hit; do
    echo "$hit"
    offences=$((offences + 1))
done < <(perl -ne '
    if ($ARGV =~ m{^services/(intake|scoring|workflow|notify|link)/}) {
        my $own = $1;
        print "$ARGV:$.: includes another daemon\x27s header \"$1/...\" (share it through a library)\n"
            if /^\s*#\s*include\s+"(intake|scoring|workflow|notify|link)\// && $1 ne $own;
    }
    close ARGV if eof' "${sources[@]}")

# 4. Formatting. clang-format reports file:line:column per difference; one
# line per file:line is enough to find them.
if ! command -v clang-format >/dev/null 2>&1; then
    echo "lint: clang-format not found: run deploy/local/install-deps.sh" >&2
    exit 1
fi
if ! format_report="$(clang-format --dry-run -Werror "${sources[@]}" 2>&1)"; then
    unformatted=0
    while IFS= read -r hit; do
        echo "$hit: not clang-formatted"
        unformatted=$((unformatted + 1))
    done < <(sed -nE 's/^([^[:space:]:]+:[0-9]+):[0-9]+: (error|warning): .*/\1/p' \
        <<<"$format_report" | uniq)
    if ((unformatted == 0)); then
        echo "$format_report" # not a formatting report: show clang-format's own words
        unformatted=1
    fi
    offences=$((offences + unformatted))
    echo "lint: 'make format' rewrites the files in place"
fi

if ((offences > 0)); then
    echo "lint: $offences offence(s) in ${#sources[@]} files" >&2
    exit 1
fi
echo "lint: ${#sources[@]} files clean"
