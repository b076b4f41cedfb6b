# man/xenmig.1 cannot drift from the CLI: every command that
# 'xenmig --help' lists has a subsection with the synopsis that
# 'xenmig CMD --help' prints, every option that help prints is in the
# subsection, every --option the subsection names exists (for that command
# or globally), the global options and the examples are real, and groff
# has nothing to warn about.
. "$(dirname "$0")/lib.sh"

MAN="$TOP/man/xenmig.1"
[ -r "$MAN" ] || fail "no $MAN"
command -v groff > /dev/null || fail "groff is missing (scripts/install-deps.sh installs groff-base)"

note "groff warnings"
groff -man -ww -z "$MAN" > "$WORK/groff.err" 2>&1 || fail "groff failed: $(cat "$WORK/groff.err")"
[ ! -s "$WORK/groff.err" ] || fail "groff warns: $(cat "$WORK/groff.err")"

# The roff source with font escapes dropped and \- written as -, so that
# options read as they are typed.
sed -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\-/-/g' "$MAN" > "$WORK/src"

# The page as text on very long lines (no wrapping, no hyphenation), for
# the synopses.
groff -man -Tascii -rLL=1000n "$MAN" 2> /dev/null | col -b \
    | sed -e 's/^ *//' -e 's/  */ /g' > "$WORK/text"

# section FILE HEADING: the lines of the .SS (or .SH) named HEADING, up to
# the next heading
section()
{
    awk -v want="$2" '
        /^\.S[SH] / {
            h = $0; sub(/^\.S[SH] +/, "", h); gsub(/"/, "", h)
            on = (h == want); next
        }
        on' "$1"
}

# options: the -x and --long-name words of stdin, one a line
options()
{
    grep -oE '(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9-]*' \
        | sed 's/^[^-]*//' | grep -E '^(-[A-Za-z]|--[A-Za-z][A-Za-z0-9-]*)$' \
        | sort -u
}

# mentions FILE OPT: FILE has OPT as a word of its own
mentions()
{
    grep -qE -- "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|\$)" "$1"
}

note "global options"
"$XENMIG" --help > "$WORK/help" || fail "xenmig --help failed"
section "$WORK/src" "GLOBAL OPTIONS" > "$WORK/global"
[ -s "$WORK/global" ] || fail "no GLOBAL OPTIONS section"
head -n 1 "$WORK/help" | options > "$WORK/global-help"
for o in $(cat "$WORK/global-help"); do
    mentions "$WORK/global" "$o" || fail "GLOBAL OPTIONS lacks $o (xenmig --help has it)"
done
# Each global option the page documents must be one xenmig accepts
# (without or with an argument); an unknown one exits 2 either way.
options < "$WORK/global" > "$WORK/global-man"
for o in $(cat "$WORK/global-man"); do
    "$XENMIG" "$o" help > /dev/null 2>&1 || "$XENMIG" "$o" x help > /dev/null 2>&1 \
        || fail "GLOBAL OPTIONS documents $o, which xenmig does not accept"
done
sort -u "$WORK/global-help" "$WORK/global-man" > "$WORK/global-all"

note "commands"
cmds=$(awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' "$WORK/help")
[ -n "$cmds" ] || fail "cannot read the command list from xenmig --help"
section "$WORK/src" COMMANDS | sed '/^\.SS /,$d' > "$WORK/preamble"
for o in -h --help; do
    mentions "$WORK/preamble" "$o" || fail "COMMANDS does not say that commands take $o"
done
for c in $cmds; do
    "$XENMIG" "$c" --help > "$WORK/$c.help" 2>&1 || fail "xenmig $c --help failed"
    section "$WORK/src" "$c" > "$WORK/$c.man"
    [ -s "$WORK/$c.man" ] || fail "no subsection for command $c"
    usage=$(sed -n 's/^Usage: //p' "$WORK/$c.help" | sed 's/  */ /g')
    grep -qxF -- "$usage" "$WORK/text" \
        || fail "the synopsis of $c is not \"$usage\" as in xenmig $c --help"
    options < "$WORK/$c.help" | grep -vxE -- '-h|--help' > "$WORK/$c.opts"
    for o in $(cat "$WORK/$c.opts"); do
        mentions "$WORK/$c.man" "$o" || fail "the $c subsection lacks $o (xenmig $c --help has it)"
    done
    # An option in help's option column must head an item (.TP) of its
    # own, short and long name alike: a synopsis is not a description.
    awk 'p { print; p = 0 } /^\.TP/ { p = 1 }' "$WORK/$c.man" > "$WORK/$c.items"
    for o in $(grep -E '^ +-' "$WORK/$c.help" | sed -e 's/^ *//' -e 's/  .*//' \
               | options | grep -vxE -- '-h|--help'); do
        mentions "$WORK/$c.items" "$o" || fail "no item of the $c subsection describes $o"
    done
    for o in $(options < "$WORK/$c.man" | grep -- '^--'); do
        grep -qxF -- "$o" "$WORK/$c.opts" || grep -qxF -- "$o" "$WORK/global-all" \
            || fail "the $c subsection names $o, which is not an option of xenmig $c nor a global one"
    done
done

note "examples"
section "$WORK/src" EXAMPLES | grep '^xenmig ' > "$WORK/examples"
[ -s "$WORK/examples" ] || fail "no xenmig command in EXAMPLES"
while read -r line; do
    set -- $line
    shift
    while [ $# -gt 0 ]; do
        case $1 in
        --backend|--sim-socket) shift 2 ;;
        -*) shift ;;
        *) break ;;
        esac
    done
    [ $# -gt 0 ] || fail "example \"$line\" has no command"
    c=$1
    shift
    [ -s "$WORK/$c.help" ] || fail "example \"$line\" uses unknown command $c"
    for w in "$@"; do
        case $w in
        '>'|'&'|'|') break ;;
        -*) grep -qxF -- "$w" "$WORK/$c.opts" \
                || fail "example \"$line\" uses $w, not an option of xenmig $c" ;;
        esac
    done
done < "$WORK/examples"
echo "ok"
