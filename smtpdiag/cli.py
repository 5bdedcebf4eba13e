"""The command line (docs/contract.md section 1).  Never imports Qt for ``check`` or ``demo --text``.

Exit status: 0 overall green, 1 amber, 2 red, 64 bad input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from . import __version__
from .config import DEFAULT_CONTROLS, DEFAULT_PORTS, DEFAULT_TIMEOUT
from .i18n import _, set_language
from .options import CheckOptions, UsageError, build_config
from .textsafe import file_name, one_line

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import NoReturn

EXIT_BY_LIGHT = {"green": 0, "amber": 1, "red": 2, "grey": 2}
EXIT_USAGE = 64
EXIT_INTERRUPTED = 130


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, measuring the terminal as shutil.get_terminal_size() does
    but without importing shutil (with bz2 and lzma: 3 ms of every check's start-up;
    argparse makes a formatter for every option it is given)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        if width is None:
            try:
                columns = int(os.environ.get("COLUMNS", "0"))
            except ValueError:
                columns = 0
            if columns <= 0:
                try:
                    columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
                except (AttributeError, ValueError, OSError):
                    columns = 0
            width = (columns or 80) - 2
        super().__init__(prog, indent_increment, max_help_position, width)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _check_parser(prog: str = "smtpdiag check") -> _Parser:
    p = _Parser(prog=prog, description=_("Test whether this computer can send mail through a mail server."))
    p.add_argument("target", metavar="TARGET", help=_("mail server name, IP address or e-mail address"))
    add_check_options(p)
    return p


def add_check_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", action="append", metavar="PORT[:MODE]",
                   help=_("port to test, MODE starttls or implicit (repeatable; default: %s)") % " ".join(DEFAULT_PORTS))
    p.add_argument("--vpn", metavar="HOST[:PROTOCOL[:PORT]]", action="append",
                   help=_("also test VPN protocols toward HOST"))
    p.add_argument("--control", action="append", metavar="HOST",
                   help=_("reference mail server (repeatable; default: %s)") % ", ".join(DEFAULT_CONTROLS))
    p.add_argument("--no-control", action="store_true", help=_("test no reference servers"))
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=_("limit for each network step (default: 10)"))
    p.add_argument("--ca-file", metavar="PEM", help=_("extra trusted root certificates"))
    p.add_argument("--user", metavar="NAME", help=_("try to log in as NAME (password from the terminal "
                                                      "or SMTPDIAG_PASSWORD)"))
    p.add_argument("--format", choices=("text", "json", "html"), default="text")
    p.add_argument("--output", default="-", metavar="FILE", help=_("where the report goes (- = standard output)"))
    p.add_argument("--lang", metavar="LANG", help=_("language of the report's words"))


def check_options(args: argparse.Namespace) -> CheckOptions:
    """What ``smtpdiag check`` was told, for :func:`smtpdiag.options.build_config`."""
    return CheckOptions(port=args.port, vpn=args.vpn, control=args.control, no_control=args.no_control,
                        timeout=args.timeout, ca_file=args.ca_file, user=args.user)


def read_password(user: str | None) -> str | None:
    """The login password: SMTPDIAG_PASSWORD, or asked on the terminal without echo."""
    if not user:
        return None
    env = os.environ.get("SMTPDIAG_PASSWORD")
    if env is not None:
        return env
    if sys.stdin is not None and sys.stdin.isatty():
        try:
            return getpass.getpass(_("Password for {user}: ").format(user=user))
        except UnicodeDecodeError:
            # Typed in another encoding (e.g. Latin-1 on a UTF-8 terminal): never echo it.
            from .target import PASSWORD_NOT_TEXT

            print(file=sys.stderr)  # getpass ends the prompt's line only when it succeeds

            raise UsageError(_(PASSWORD_NOT_TEXT)) from None
    raise UsageError(_("--user needs a password: type it at the terminal or set SMTPDIAG_PASSWORD."))


def render(report: object, fmt: str) -> str:
    from .report import model as reportmod

    assert isinstance(report, reportmod.Report)
    if fmt == "json":
        return report.dumps()
    if fmt == "html":
        from .report.html import render_html

        return render_html(report)
    return reportmod.render_text(report)


def prepare_output(output: str) -> object:
    """Where the report goes, checked before the run (a bad --output is exit 64 at once)."""
    from .report.files import OutputError, check_output

    try:
        return check_output(output)
    except OutputError as exc:
        raise UsageError(str(exc)) from None


def write_output(text: str, target: object) -> None:
    """The report, as UTF-8 whatever the console's encoding.  Raises OutputError."""
    from .report.files import OutputTarget
    from .report.files import write_output as write

    assert isinstance(target, OutputTarget)
    write(target, text.encode("utf-8"))


def emit(text: str) -> None:
    """Text on standard output as UTF-8 (``demo --text``)."""
    from .report.files import OutputTarget
    from .report.files import write_output as write

    write(OutputTarget("-", "stdout", "-"), text.encode("utf-8"))


def say(line: str) -> None:
    """One line on standard error, if there is one (``2>&-`` closes it)."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(line + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def _progress_printer(enabled: bool):  # type: ignore[no-untyped-def]
    from .engine import CheckFinished

    def on_event(event: object) -> None:
        if enabled and isinstance(event, CheckFinished):
            c = event.check
            say(one_line(f"  {c.host} {c.port}: {c.light} ({c.cause})"))

    return on_event


def connect_budget_note(timeout: float, platform: str = sys.platform) -> str | None:
    """One line for standard error when *timeout* is too short for a refusal to
    arrive on this system (Windows: about 2 s), else None."""
    from .net import connect_budget

    budget = connect_budget(timeout, platform)
    if budget <= timeout:
        return None
    # TRANSLATORS: {budget} and {timeout} are seconds, e.g. "2.5" and "1".
    return _("Note: Windows reports a refused connection only after about 2 seconds, so each "
             "connection attempt waits {budget} s (--timeout {timeout} is shorter).").format(
        budget=f"{budget:g}", timeout=f"{timeout:g}")


def _say_connect_budget(timeout: float) -> None:
    note = connect_budget_note(timeout)
    if note:
        say(note)


def cmd_check(argv: Sequence[str]) -> int:
    args = _check_parser().parse_args(argv)
    if args.lang:
        set_language(args.lang)
    output = prepare_output(args.output)
    password = read_password(args.user)
    config = build_config(check_options(args), args.target, password)
    _say_connect_budget(config.timeout)
    from .accounts.run import look, with_accounts
    from .engine import Diagnosis
    from .report.logs import setup_logging

    setup_logging()  # from now on an internal error's traceback goes straight to the log file
    # The mail programs on this computer: their exact settings for this server are tested too.
    mail = look()
    config = with_accounts(config, mail.accounts)
    diagnosis = Diagnosis(config, on_event=_progress_printer(sys.stderr is not None and sys.stderr.isatty()))
    from .interrupts import ctrl_c_sets

    try:
        # During the run Ctrl+C only sets a flag that this loop reads: a KeyboardInterrupt
        # raised inside a callback (an import lock's, a weakref's) would be swallowed.
        with ctrl_c_sets() as interrupted:
            diagnosis.start()
            result = None
            while result is None:
                if interrupted.is_set():
                    raise KeyboardInterrupt
                result = diagnosis.wait(0.2)
    except KeyboardInterrupt:
        diagnosis.cancel()
        say(_("Interrupted."))
        return EXIT_INTERRUPTED
    from .report.model import report_of

    report = report_of(result)
    from .report.mail_programs import attach

    attach(report, mail.accounts)
    _log(report)
    from .report.files import OutputError

    try:
        write_output(render(report, args.format), output)
    except OutputError as exc:
        say(f"smtpdiag: {one_line(exc)}")
        return EXIT_USAGE
    return EXIT_BY_LIGHT[report.overall["light"]]


def _log(report: object) -> None:
    """Add the run to the user's log folder (codes and facts only, never a password)."""
    from .report.logs import log_report, setup_logging

    setup_logging()
    log_report(report)  # type: ignore[arg-type]


def cmd_demo_text(argv: Sequence[str]) -> int:
    p = _Parser(prog="smtpdiag demo", usage="smtpdiag demo [--text] [--list] [SCENARIO] [options]",
                description=_("The built-in simulated scenarios (no internet needed): in the window, "
                              "or printed with --text."))
    p.add_argument("--text", action="store_true", help=_("print the report(s) instead of opening the window"))
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help=_("one scenario (see --list); default: all"))
    p.add_argument("--format", choices=("text", "json", "html"), default="text",
                   help=_("report format with --text (default: text)"))
    p.add_argument("--timeout", type=float, default=2.0, metavar="SECONDS",
                   help=_("limit for each network step (default: 2)"))
    p.add_argument("--lang", metavar="LANG", help=_("language of the report's words"))
    p.add_argument("--list", action="store_true", help=_("list the scenarios"))
    args = p.parse_args(argv)
    if args.lang:
        set_language(args.lang)
    from .demo import scenarios, start_scenario

    SCENARIOS = scenarios()

    if args.list:
        emit("".join(f"{name:<22} {_(sc.title)}\n" for name, sc in SCENARIOS.items()))
        return 0
    if sys.stdout is None:
        raise UsageError(_("standard output is closed"))
    names = [args.scenario] if args.scenario else list(SCENARIOS)
    for name in names:
        if name not in SCENARIOS:
            raise UsageError(_("There is no scenario '{name}'. Scenarios: {names}").format(
                name=name, names=", ".join(SCENARIOS)))
    if args.format == "html" and len(names) > 1:
        raise UsageError(_("--format html makes one page: name one SCENARIO (see --list)"))
    if any(a == "--timeout" or a.startswith("--timeout=") for a in argv):
        _say_connect_budget(args.timeout)  # the demo's own default needs no note
    from .engine import Diagnosis
    from .interrupts import ctrl_c_sets
    from .report.model import report_of

    as_list = args.format == "json" and len(names) > 1
    if as_list:
        emit("[\n")  # several reports: one JSON array, written as they finish
    # Ctrl+C only sets a flag for the whole demo (see cmd_check): a KeyboardInterrupt raised
    # while a simulated server's event loop is being made would leave a half-built loop.
    with ctrl_c_sets() as interrupted:
        for index, name in enumerate(names):
            sc = SCENARIOS[name]
            with start_scenario(name) as sim:
                config = sim.demo_config(timeout=args.timeout)
                diagnosis = Diagnosis(config, network=sim.network)
                # Waiting in slices, not in one blocking wait: a Windows console
                # delivers Ctrl+C only when the main thread runs Python code.
                diagnosis.start()
                result = None
                while result is None and not interrupted.is_set():
                    result = diagnosis.wait(0.2)
                if result is None:
                    diagnosis.cancel()
                    say(_("Interrupted."))
                    return EXIT_INTERRUPTED
                report = report_of(result)
                if sim.mail_accounts():
                    from .report.mail_programs import attach

                    attach(report, sim.mail_accounts())
            _log(report)
            if args.format == "text":
                # TRANSLATORS: heading of a practice scenario: "=== Scenario: name - title ===".
                label, title, description = _("Scenario"), _(sc.title), _(sc.description)
                header = f"=== {label}: {name} - {title} ===\n{description}\n\n"
                out = header + render(report, "text") + "\n"
            elif as_list:
                out = ("," if index else "") + render(report, "json")
            else:
                out = render(report, args.format)
            emit(out)
            if interrupted.is_set():
                say(_("Interrupted."))
                return EXIT_INTERRUPTED
    if as_list:
        emit("]\n")
    return 0


def cmd_accounts(argv: Sequence[str]) -> int:
    """``smtpdiag accounts``: the outgoing servers of this user's mail programs (read only)."""
    p = _Parser(prog="smtpdiag accounts",
                description=_("List the outgoing servers configured in the mail programs on this computer. "
                              "Nothing is changed and nothing is sent."))
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--lang", metavar="LANG", help=_("language of the report's words"))
    args = p.parse_args(argv)
    if args.lang:
        set_language(args.lang)
    from .accounts import find_accounts
    from .accounts.text import note_sentence, render_json, render_text

    found = find_accounts()
    if args.format == "json":
        for note in found.notes:  # standard output carries only the list
            say(note_sentence(note))
        emit(render_json(found))
    else:
        emit(render_text(found))
    sys.stdout.flush()
    return 0


def utf8_streams() -> None:
    """Standard output and error speak UTF-8 whatever the console or locale (a Windows
    redirect is cp1252 and strict: a U+FFFD in a banner would be a traceback)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        try:
            reconfigure(encoding="utf-8", errors="backslashreplace")
        except (OSError, ValueError):
            pass


def _quiet_stdout() -> None:
    """After the reader of standard output went away: no error when Python flushes it at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """The program: a clean exit code and at most one line on standard error for anything
    (bad input 64, Ctrl+C 130 at any moment, a closed pipe or a closed standard output)."""
    import signal

    from . import interrupts

    try:
        if interrupts.installed():
            signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl+C is KeyboardInterrupt from here on
        utf8_streams()
        code = _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        say(_("Interrupted."))
        code = EXIT_INTERRUPTED
    except BrokenPipeError:  # "smtpdiag demo --text | head": the reader has all it wanted
        _quiet_stdout()
        code = 0
    finally:
        interrupts.reinstall()  # interpreter shutdown is interruptible too: exit 130, no traceback
    if code == EXIT_INTERRUPTED:
        interrupts.leave(code)  # at once: waiting for probe threads and shutdown would race the signal
    return code


def _main(argv: list[str]) -> int:
    try:
        lang = _lang_from(argv)
        set_language(lang, () if lang else _system_ui_languages())
        if argv[:1] == ["--version"] or argv[:1] == ["-V"]:
            emit(f"smtpdiag {__version__}\n")
            return 0
        if argv[:1] in (["-h"], ["--help"]):
            emit(usage() + "\n")
            return 0
        if argv[:1] == ["check"]:
            return cmd_check(argv[1:])
        if argv[:1] == ["accounts"]:
            return cmd_accounts(argv[1:])
        if argv[:1] == ["demo"] and any(a in ("--text", "--list", "-h", "--help") for a in argv):
            return cmd_demo_text(argv[1:])
        if argv[:1] == ["view"] and any(a in ("-h", "--help") for a in argv[1:]):
            emit(_("usage: smtpdiag view REPORT.json") + "\n")
            return 0
        return window_main(argv)
    except UsageError as exc:
        say(f"smtpdiag: {one_line(exc)}")
        return EXIT_USAGE


def _system_ui_languages() -> list[str]:
    """The system's UI languages (Windows' display languages, macOS' AppleLanguages even
    when started from Finder without LANG; LANGUAGE/LC_*/LANG where set)."""
    from .host.system import ui_languages

    return ui_languages()


def _lang_from(argv: list[str]) -> str | None:
    for i, a in enumerate(argv):
        if a == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--lang="):
            return a.split("=", 1)[1]
    return None


def usage() -> str:
    return _("""usage:
  smtpdiag                         open the window
  smtpdiag TARGET                  open the window with TARGET filled in and start the check
  smtpdiag check TARGET [options]  run the diagnosis without a window, print a report
  smtpdiag view REPORT.json        open a saved report in the window
  smtpdiag demo [SCENARIO]         the window, on built-in simulated servers (no internet needed)
  smtpdiag demo --text [SCENARIO]  the same without a window: print the report(s)
  smtpdiag demo --list             the demo scenarios
  smtpdiag accounts                the outgoing servers of the mail programs on this computer
  smtpdiag --version

Run 'smtpdiag check --help' for the options of check.""")


def _without_lang(argv: list[str]) -> list[str]:
    """*argv* without ``--lang X`` / ``--lang=X`` (main() has applied it already)."""
    out: list[str] = []
    skip = False
    for i, a in enumerate(argv):
        if skip:
            skip = False
            continue
        if a == "--lang":
            if i + 1 >= len(argv):
                raise UsageError(_("--lang needs a language, e.g. --lang de"))
            skip = True
            continue
        if a.startswith("--lang="):
            continue
        out.append(a)
    return out


def print_saved_report(path: str) -> int:
    """``smtpdiag view`` without a screen (support staff over SSH): the report as text."""
    from .report.loader import load_report
    from .report.model import ReportError, render_text

    try:
        loaded = load_report(path)
    except ReportError as exc:
        raise UsageError(str(exc)) from None
    note = loaded.partial_note()
    if note:
        say(f"smtpdiag: {note}")
    emit((note + "\n\n" if note else "") + render_text(loaded.report))
    return 0


# The story smtpdiag was built for: what 'smtpdiag demo' shows when there is no screen.
STORY_SCENARIO = "mobile-2012"


def demo_without_screen(scenario: str | None) -> int:
    """``smtpdiag demo`` without a screen: one report (the 2012 story by default), then
    one line on how to see the others and how to get the window."""
    status = cmd_demo_text(["--text", scenario or STORY_SCENARIO])
    sys.stdout.flush()
    say(no_screen_demo_hint())
    return status


def no_screen_demo_hint() -> str:
    return _("smtpdiag: no screen here, so this is the demo as text. All scenarios: "
             "'smtpdiag demo --text'; their names: 'smtpdiag demo --list'. The window "
             "needs a desktop session (or 'xvfb-run smtpdiag demo').")


def _no_screen() -> bool:
    """Linux/BSD without X11 or Wayland (an SSH session, a server): Qt would abort."""
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def window_main(argv: list[str]) -> int:
    """Everything that opens the window: parse, then import Qt."""
    argv = _without_lang(argv)
    mode, value = "main", None
    if argv[:1] == ["view"]:
        if len(argv) != 2:
            raise UsageError(_("usage: smtpdiag view REPORT.json"))
        mode, value = "view", argv[1]
        if not os.path.lexists(value):
            raise UsageError(_("There is no file '{path}'.").format(path=file_name(value)))
    elif argv[:1] == ["demo"]:
        if len(argv) > 2:
            raise UsageError(_("usage: smtpdiag demo [SCENARIO]"))
        mode, value = "demo", argv[1] if len(argv) == 2 else None
        from .demo import scenarios

        SCENARIOS = scenarios()

        if value is not None and value not in SCENARIOS:
            raise UsageError(_("There is no scenario '{name}'. Scenarios: {names}").format(
                name=value, names=", ".join(SCENARIOS)))
    elif argv:
        if argv[0].startswith("-"):
            raise UsageError(_("unknown option {option}; see 'smtpdiag --help'").format(option=argv[0]))
        if len(argv) > 1:
            raise UsageError(_("too many arguments; see 'smtpdiag --help'"))
        from .target import BadInput, parse_target

        try:
            parse_target(argv[0])
        except BadInput as exc:
            raise UsageError(str(exc)) from None
        mode, value = "check", argv[0]
    if _no_screen():
        if mode == "demo":
            return demo_without_screen(value)
        if mode == "view" and value:
            return print_saved_report(value)
        raise UsageError(_("no screen to show the window on; use 'smtpdiag check TARGET' or "
                           "'smtpdiag demo --text' here"))
    try:
        from .gui.app import run_app
    except ImportError as exc:
        raise UsageError(_("the window needs PySide6 ({reason}); 'smtpdiag check' works without it").format(
            reason=exc)) from None
    return run_app(mode, value)


if __name__ == "__main__":
    raise SystemExit(main())
