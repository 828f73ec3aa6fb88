"""MAKEFLAGS, MFLAGS and MAKEOVERRIDES as GNU make 4.3 writes and reads them.

main.c define_makeflags writes the switches in the order of its switch table: the single
letters without an argument first, as one word (``ks``), then the switches with an
argument or only a long name, each as `` -Iarg`` or `` --name=arg``; with ALL (from the
moment the makefiles are read) the ones with arguments too and `` -- $(MAKEOVERRIDES)``
when there are command-line variables. While the makefiles are being remade
(MAKEFILE), -n, -q and -t are left out (their ``no_makefile`` flag). -C, -f, -o and -W
are never passed down (their ``toenv`` is 0).

main.c decode_env_switches reads MAKEFLAGS back after the makefiles are read, so
``MAKEFLAGS += -s`` in a makefile turns -s on: the value is split at unescaped blanks, a
first word without a dash gets one, and only the switches a makefile may set are taken
(others, such as -o or a letter make does not know, are ignored without a message, as
make 4.3 does).
"""

from __future__ import annotations

from dataclasses import fields

from .options import MakeOptions, parse_make_args

# main.c switches[]: the single-letter flags make passes down, in table order, with
# the MakeOptions field each stands for and whether it is left out while remaking
# makefiles (no_makefile). -d, -p and -v are not modelled.
LETTERS = (("B", "always_make", False), ("d", "debug_all", False),
           ("e", "environment_overrides", False),
           ("i", "ignore_errors", False), ("k", "keep_going", False),
           ("L", "check_symlink", False), ("n", "just_print", True),
           ("p", "print_data_base", False), ("q", "question", True),
           ("r", "no_builtin_rules", False), ("R", "no_builtin_variables", False),
           ("s", "silent", False), ("t", "touch", True), ("v", "print_version", False))
JOBSERVER_AUTH = "3,4"  # the pipe's descriptors as make 4.3 usually numbers them


def quote_for_env(text: str) -> str:
    """main.c quote_for_env: '$' doubled, blanks and backslashes escaped."""
    out = []
    for ch in text:
        if ch == "$":
            out.append("$$")
        elif ch in " \t\\":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def command_variables(opts: MakeOptions) -> str:
    """The value of ``-*-command-variables-*-`` (what $(MAKEOVERRIDES) expands to): each
    command-line definition quoted, the last one given first (main.c prepends each to
    command_variables)."""
    # (one entry per variable, main.c handle_non_switch_argument: a variable defined
    # twice keeps its first place, with what its last definition gave)
    last: dict[str, tuple[str, str]] = {}
    for name, op, value in opts.variables:
        last[name] = (op, value)
    return " ".join(quote_for_env(f"{name}{op}{value}")
                    for name, (op, value) in reversed(list(last.items())))


def define_makeflags(opts: MakeOptions, print_directory: bool, all_: bool,
                     makefile: bool, jobserver: bool) -> tuple[str, str]:
    """main.c define_makeflags: (MAKEFLAGS, MFLAGS)."""
    letters = "".join(c for c, attr, no_mk in LETTERS
                      if getattr(opts, attr) and not (makefile and no_mk))
    if print_directory:
        letters += "w"
    words = []
    if all_:
        words += ["-I" + quote_for_env(d) for d in opts.include_dirs]
        if opts.jobs is None:
            words.append("-j")
        elif opts.jobs != 1:
            words.append(f"-j{opts.jobs}")
        if opts.load_average:
            try:  # printed with %g
                words.append(f"-l{float(opts.load_average):g}")
            except ValueError:
                words.append("-l" + opts.load_average)
        if jobserver:
            words.append("--jobserver-auth=" + JOBSERVER_AUTH)
    if all_ and opts.output_sync:
        words.append("-O" + quote_for_env(opts.output_sync))
    if all_ and opts.debug:
        words += ["--debug=" + quote_for_env(d) for d in opts.debug]
    if opts.trace:
        words.append("--trace")
    if opts.print_directory is False:
        words.append("--no-print-directory")
    if opts.warn_undefined:
        words.append("--warn-undefined-variables")
    flags = ("-" + letters if letters else "") + "".join(" " + w for w in words)
    # MFLAGS drops a leading blank (no letters); MAKEFLAGS drops the letters' dash
    mflags = flags.removeprefix(" ")
    makeflags = flags.removeprefix("-")
    if opts.eval_strings:
        makeflags += " $(-*-eval-flags-*-)"
    if all_ and opts.variables:
        makeflags += " -- $(MAKEOVERRIDES)"
    return makeflags, mflags


def split_env_words(value: str) -> list[str]:
    """decode_env_switches: words split at blanks, a backslash keeping the next
    character."""
    words: list[str] = []
    cur: list[str] = []
    i = 0
    n = len(value)
    while i < n:
        ch = value[i]
        if ch == "\\" and i + 1 < n:
            cur.append(value[i + 1])
            i += 2
            continue
        if ch in " \t":
            if cur:
                words.append("".join(cur))
                cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    if cur:
        words.append("".join(cur))
    return words


def decode_makeflags(value: str, opts: MakeOptions) -> None:
    """main.c decode_env_switches (MAKEFLAGS) after reading the makefiles: set in OPTS
    the switches the value names (parse_make_args in its MAKEFLAGS mode)."""
    words = split_env_words(value)
    if not words:
        return
    if not words[0].startswith("-") and "=" not in words[0]:
        words[0] = "-" + words[0]
    new = parse_make_args(words, opts, env=True)
    for f in fields(MakeOptions):
        setattr(opts, f.name, getattr(new, f.name))


def options_from_environment(argv: list[str], env: dict[str, str]) -> tuple[MakeOptions, int]:
    """main.c for a make started from a shell: the switches of GNUMAKEFLAGS, then of
    MAKEFLAGS, from the environment (decode_env_switches: silently, the variable
    definitions there too), then the command line ARGV over them; and the level the
    environment's MAKELEVEL gives."""
    base = MakeOptions()
    for var in ("GNUMAKEFLAGS", "MAKEFLAGS"):
        if env.get(var):
            decode_makeflags(env[var], base)
    opts = parse_make_args(argv, base)
    lv = env.get("MAKELEVEL", "")
    level = int(lv) if lv.isdigit() else 0
    return opts, level
