"""Which echo a recipe line runs, against GNU make 4.3 on Debian (/bin/sh is dash).

job.c construct_command_argv_internal runs a simple line itself, without a shell: no
character of ``#;"*?[]&|<>(){}$`^~!`` outside single quotes, no leading ``NAME=`` word and
no shell builtin such as ``cd`` or ``test`` first. ``echo`` is then GNU coreutils'
/bin/echo (escapes only under -e; options -n, -e, -E); otherwise it is dash's builtin,
which always interprets backslash escapes. kbsim always used dash's (found while
comparing MAKEFLAGS output with backslashes).
"""

from __future__ import annotations

import pytest

from oracle import Case, needs_make

LINES = {
    "single-quoted": "@echo 'a\\\\b [x]'",
    "unquoted-backslashes": "@echo a\\\\b\\tc",
    "dash-e": "@echo -e 'x\\ty'",
    "combined-options": "@echo -ne 'p\\tq\\n'",
    "dash-n-literal": "@echo -n 'no newline\\n'",
    "dash-E": "@echo -E 'e\\tE'",
    "double-quotes-use-the-shell": '@echo "dq\\tz"',
    "semicolon-uses-the-shell": "@echo 'semi\\t'; echo 'z\\tz'",
    "equals-after-first-word": "@echo a=b 'c\\td'",
    "unknown-option": "@echo -x 'f\\tg'",
    "lone-dash": "@echo - 'h\\ti'",
    "quoted-option": "@echo '-n' 'j\\tk'",
}


@needs_make
@pytest.mark.parametrize("name", sorted(LINES))
def test_echo_with_or_without_shell(name, tmp_path):
    c = Case(str(tmp_path))
    c.mk("all:", "\t" + LINES[name], "\t@echo end")
    c.run()
    bad = c.mismatches()
    assert not bad, "\n".join(bad)
