"""``pinpal shell-init``: prompt snippets that never start a process.

Each snippet reads the due-time file with the shell's own ``read`` and
compares it with a clock the shell provides itself, once per prompt:

* bash: ``$EPOCHSECONDS`` (bash 5) or ``printf -v now '%(%s)T' -1`` (bash 4.2+);
* zsh: ``$EPOCHSECONDS`` from the bundled ``zsh/datetime`` module;
* fish has no clock variable or date builtin. Its ``path mtime`` builtin
  (fish 3.5+) gives a file's modification time and, with ``--relative``, the
  seconds since then; their sum is the current time, without a process.

The directory is ``$SECRETS_HOME`` when set at prompt time (as a plain path:
the shell does not expand a ``~`` inside it), else the default baked in when
the snippet was printed.
"""

from __future__ import annotations

import shlex

from secrets_common.errors import UsageError

SHELLS = ("bash", "zsh", "fish")

_BASH = r"""# PINPal: {marker} in the prompt when practice is due; no process per prompt.
# Add to ~/.bashrc:  eval "$(pinpal shell-init bash)"
__pinpal_default_home={home}
__pinpal_prompt() {{
    local due="" now file="${{SECRETS_HOME:-$__pinpal_default_home}}/pinpal/due"
    __pinpal_marker=""
    # Put the marker back when a PS1 set after this snippet (or by a theme) lost it.
    [[ $PS1 == *__pinpal_marker* ]] || PS1='${{__pinpal_marker}}'"$PS1"
    [[ -r $file ]] || return 0
    IFS= read -r due < "$file"
    [[ $due =~ ^[0-9]+$ ]] || return 0
    if [[ -n ${{EPOCHSECONDS-}} ]]; then now=$EPOCHSECONDS; else printf -v now '%(%s)T' -1; fi
    if (( due <= now )); then __pinpal_marker="${{PINPAL_MARKER:-[pin]}} "; fi
    return 0
}}
if [[ ${{PROMPT_COMMAND-}} != *__pinpal_prompt* ]]; then
    PROMPT_COMMAND="__pinpal_prompt${{PROMPT_COMMAND:+; $PROMPT_COMMAND}}"
fi
"""

_ZSH = r"""# PINPal: {marker} in the prompt when practice is due; no process per prompt.
# Add to ~/.zshrc:  eval "$(pinpal shell-init zsh)"
zmodload zsh/datetime
typeset -g __pinpal_default_home={home} __pinpal_marker=""
__pinpal_prompt() {{
    local due="" file="${{SECRETS_HOME:-$__pinpal_default_home}}/pinpal/due"
    __pinpal_marker=""
    [[ -r $file ]] || return 0
    IFS= read -r due < "$file"
    [[ $due == <-> ]] || return 0
    if (( due <= EPOCHSECONDS )); then __pinpal_marker="${{PINPAL_MARKER:-[pin]}} "; fi
    return 0
}}
autoload -Uz add-zsh-hook
add-zsh-hook precmd __pinpal_prompt
setopt prompt_subst
[[ $PROMPT == *__pinpal_marker* ]] || PROMPT='${{__pinpal_marker}}'"$PROMPT"
"""

_FISH = r"""# PINPal: {marker} in the prompt when practice is due; no process per prompt.
# Add to ~/.config/fish/config.fish:  pinpal shell-init fish | source
# fish has no clock builtin: `path mtime` (fish 3.5+, a builtin) gives the due
# file's modification time and the seconds since then, whose sum is now.
set -g __pinpal_default_home {home}
function __pinpal_marker --description 'PINPal: print the marker when practice is due'
    set -l home $SECRETS_HOME
    test -n "$home"; or set home $__pinpal_default_home
    set -l file $home/pinpal/due
    test -r $file; or return 0
    read -l due < $file; or test -n "$due"; or return 0
    string match -qr '^[0-9]+$' -- $due; or return 0
    builtin -q path; or return 0  # fish before 3.5: no clock at all, no marker
    set -l modified (path mtime -- $file); or return 0
    set -l since (path mtime --relative -- $file); or return 0
    if test $due -le (math $modified + $since)
        set -q PINPAL_MARKER; and printf '%s ' $PINPAL_MARKER; or printf '[pin] '
    end
end
if not functions -q __pinpal_original_prompt; and functions -q fish_prompt
    functions -c fish_prompt __pinpal_original_prompt
    function fish_prompt
        __pinpal_marker
        __pinpal_original_prompt
    end
end
"""


def snippet(shell: str, default_home: str, marker: str = "[pin]") -> str:
    templates = {"bash": _BASH, "zsh": _ZSH, "fish": _FISH}
    if shell not in templates:
        raise UsageError(f"unknown shell {shell!r}; choose one of: {', '.join(SHELLS)}")
    home = _fish_quote(default_home) if shell == "fish" else shlex.quote(default_home)
    return templates[shell].format(home=home, marker=marker)


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
