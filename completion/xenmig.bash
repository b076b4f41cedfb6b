# bash completion for xenmig(1)
#
# Everything is read from the xenmig being completed, at completion time,
# so this file cannot drift from the command table (toolstack/cmdtable.c):
#   commands          the "Commands:" list of 'xenmig --help'
#   global options    the brackets of the first line of 'xenmig --help'
#   command options   the option column of 'xenmig COMMAND --help'
#   arguments         the Usage line of 'xenmig COMMAND --help' names them;
#                     an option's argument is the word after it in the
#                     option column. By that name: DOMAIN completes the
#                     names 'xenmig list --json' prints (with the global
#                     options typed so far, e.g. --sim-socket), FILE and
#                     PATH file names, HOST host names, COMMAND and CMD
#                     commands, a|b the words a and b; others nothing.

# _xenmig_help BIN [COMMAND]: the help text
_xenmig_help()
{
    "$1" ${2:+"$2"} --help 2> /dev/null
}

# _xenmig_options HELP: "NAME ARG" a line for each option in HELP's option
# column (ARG "-" when it takes none)
_xenmig_options()
{
    awk '/^  -/ {
        sub(/^  /, ""); sub(/  .*/, "")
        arg = "-"; n = 0
        for (i = 1; i <= NF; i++) {
            w = $i; sub(/,$/, "", w)
            if (w ~ /^-/) names[++n] = w; else arg = w
        }
        for (i = 1; i <= n; i++) print names[i], arg
    }' <<< "$1"
}

# _xenmig_global_options HELP: the same for the global options, from
# "[-v|-q] [--backend sim|xen] [--sim-socket PATH]"
_xenmig_global_options()
{
    head -n 1 <<< "$1" | grep -oE '\[-[^]]*\]' | tr -d '[]' | awk '{
        arg = (NF > 1) ? $2 : "-"
        n = split($1, names, "|")
        for (i = 1; i <= n; i++) print names[i], arg
    }'
    echo "--help -"
    echo "--version -"
}

# _xenmig_positionals HELP: the names of the positional arguments in the
# Usage line, a line each ("[...]" groups, nested or not, are options)
_xenmig_positionals()
{
    awk '/^Usage: / {
        depth = 0
        for (i = 4; i <= NF; i++) {
            w = $i
            if (depth == 0 && substr(w, 1, 1) != "[") { print w; continue }
            o = gsub(/\[/, "[", w); c = gsub(/\]/, "]", w)
            depth += o - c
        }
        exit
    }' <<< "$1"
}

# _xenmig_complete_arg KIND CUR: fill COMPREPLY for an argument named KIND
_xenmig_complete_arg()
{
    local kind=${1//\[*\]/} cur=$2 name
    case $kind in
    DOMAIN)
        COMPREPLY=()
        while IFS= read -r name; do
            name=${name//\\\"/\"}
            [[ $name == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$name")")
        done < <("$_xenmig_bin" "${_xenmig_globals[@]}" list --json 2> /dev/null \
                 | sed -n 's/^ *"name": "\(.*\)",\{0,1\}$/\1/p')
        ;;
    FILE|PATH)
        if declare -F _filedir > /dev/null; then
            _filedir
        else
            compopt -o filenames 2> /dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        fi
        ;;
    HOST)
        if declare -F _known_hosts_real > /dev/null; then
            _known_hosts_real -- "$cur"
        else
            mapfile -t COMPREPLY < <(compgen -A hostname -- "$cur")
        fi
        ;;
    COMMAND|CMD)
        mapfile -t COMPREPLY < <(compgen -c -- "$cur")
        ;;
    *\|*)
        mapfile -t COMPREPLY < <(compgen -W "${kind//|/ }" -- "$cur")
        ;;
    *)
        COMPREPLY=()
        ;;
    esac
}

_xenmig()
{
    local cur prev words cword
    if declare -F _get_comp_words_by_ref > /dev/null; then
        # keep HOST:PORT and --opt=value whole
        _get_comp_words_by_ref -n := cur prev words cword
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${words[cword]}
        prev=${words[cword - 1]}
    fi
    COMPREPLY=()

    local _xenmig_bin=${words[0]} _xenmig_globals=()
    [[ $_xenmig_bin == "~/"* ]] && _xenmig_bin=$HOME/${_xenmig_bin#"~/"}
    type -P "$_xenmig_bin" > /dev/null || _xenmig_bin=xenmig

    local help gopts
    help=$(_xenmig_help "$_xenmig_bin") || return 0
    gopts=$(_xenmig_global_options "$help")

    # The global options up to the command, then the command.
    local i=1 w arg cmd=
    while (( i < cword )); do
        w=${words[i]}
        if [[ $w == -* ]]; then
            arg=$(awk -v o="$w" '$1 == o { print $2 }' <<< "$gopts")
            if [[ -n $arg && $arg != - ]]; then
                _xenmig_globals+=("$w" "${words[i + 1]}")
                (( i += 2 ))
                continue
            fi
            _xenmig_globals+=("$w")
            (( i++ ))
            continue
        fi
        cmd=$w
        (( i++ ))
        break
    done

    if [[ -z $cmd ]]; then
        arg=$(awk -v o="$prev" '$1 == o { print $2 }' <<< "$gopts")
        if (( cword > 1 )) && [[ -n $arg && $arg != - ]]; then
            _xenmig_complete_arg "$arg" "$cur"
        elif [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$(cut -d' ' -f1 <<< "$gopts")" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$(awk '/^Commands:/ { on = 1; next }
                on && /^  [a-z]/ { print $1 }' <<< "$help") help" -- "$cur")
        fi
        return 0
    fi

    if [[ $cmd == help ]]; then
        (( i == cword )) && mapfile -t COMPREPLY < <(compgen -W "$(awk '/^Commands:/ { on = 1; next }
            on && /^  [a-z]/ { print $1 }' <<< "$help")" -- "$cur")
        return 0
    fi

    local chelp copts
    chelp=$(_xenmig_help "$_xenmig_bin" "$cmd") || return 0
    copts=$(_xenmig_options "$chelp")

    # Count the positional arguments before the cursor, skipping options
    # and their arguments.
    local npos=0 want=
    while (( i < cword )); do
        w=${words[i]}
        if [[ $w == -?* ]]; then
            arg=$(awk -v o="$w" '$1 == o { print $2 }' <<< "$copts")
            if (( i + 1 == cword )) && [[ -n $arg && $arg != - ]]; then
                want=$arg
            fi
            [[ -n $arg && $arg != - ]] && (( i++ ))
        else
            (( npos++ ))
        fi
        (( i++ ))
    done

    if [[ -n $want ]]; then
        _xenmig_complete_arg "$want" "$cur"
    elif [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(cut -d' ' -f1 <<< "$copts")" -- "$cur")
    else
        local kind
        kind=$(_xenmig_positionals "$chelp" | sed -n "$(( npos + 1 ))p")
        [[ -n $kind ]] && _xenmig_complete_arg "$kind" "$cur"
    fi
    return 0
}

complete -F _xenmig xenmig
