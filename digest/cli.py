"""Command line: build, import and friends; errors become one message and exit status 1."""
from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from digest import __version__

if TYPE_CHECKING:
    from digest.models import Problem

log = logging.getLogger("digest")

EXAMPLES = {
    "build": "examples:\n  digest build            build ./site from ./content\n"
             "  digest build --strict   fail on any warning or skipped file\n"
             "  digest build --drafts   include articles with status: draft\n"
             "  digest build --wait 60  fail if another build still runs after a minute",
    "serve": "examples:\n  digest serve                 http://127.0.0.1:8000/\n"
             "  digest serve --port 9000 --drafts\n"
             "  digest serve --host 0.0.0.0  reachable from other machines (take care)",
    "new": "examples:\n  digest new my-digest && cd my-digest && digest build",
    "check": "examples:\n  digest build && digest check     exits 1 when anything is broken",
    "deploy": "examples:\n  digest build && digest deploy\n"
              "  digest deploy --remote upstream --branch gh-pages",
    "import": "examples:\n  digest import ../shared/seeds/*.txt\n"
              "  digest import page.html feed.xml articles.jsonl\n"
              "  curl -s URL | digest import -",
}


class CommandError(Exception):
    """A failure to report as one line, without a traceback."""


def _seconds(text: str) -> float:
    """argparse type: a number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds (0 or more), got {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    _logging(args)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if args.debug or not isinstance(exc, _reported()):
            raise
        _print_error(str(exc))
        return 1


def _reported() -> tuple[type[Exception], ...]:
    """Return the errors reported in one line, without a traceback. The modules that define
    them are imported by the commands, not here: `digest build` first starts reading its
    cache (cmd_build), then imports them (yaml, jinja2: 30 ms)."""
    from digest.config import ConfigError
    from digest.search import SearchError
    from digest.theme import ThemeError
    return CommandError, ConfigError, ThemeError, SearchError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="digest", description="Build a static news digest with "
                                "provenance from the site folder in the current directory.")
    p.add_argument("--version", action="version", version=f"digest {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="only print errors")
    common.add_argument("-v", "--verbose", action="store_true", help="print progress details")
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    common.add_argument("-C", "--site", type=Path, default=Path("."),
                        help="site folder (default: current directory)")
    sub = p.add_subparsers(title="commands", metavar="COMMAND")
    b = _command(sub, "build", common, cmd_build, "write the site to ./site")
    b.add_argument("--strict", action="store_true", help="treat warnings and skipped files as errors")
    b.add_argument("--drafts", action="store_true", help="include drafts")
    b.add_argument("-o", "--output", type=Path, help="output folder (default: site/)")
    b.add_argument("--clean", action="store_true", help="ignore the build cache in .digest/")
    b.add_argument("--wait", type=_seconds, metavar="SECONDS",
                   help="while another build of the site runs, wait at most this long for it "
                        "to end (default: as long as it takes)")
    s = _command(sub, "serve", common, cmd_serve, "build, serve and rebuild on change with live reload")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    s.add_argument("--drafts", action="store_true", help="include drafts")
    n = _command(sub, "new", common, cmd_new, "create a site folder ready to build and publish")
    n.add_argument("directory", type=Path, help="folder to create")
    _command(sub, "check", common, cmd_check, "validate content and config, then every internal "
             "link and anchor of the built site")
    d = _command(sub, "deploy", common, cmd_deploy, "push site/ to the gh-pages branch")
    d.add_argument("--remote", help="git remote (default: config deploy.remote or origin)")
    d.add_argument("--branch", help="branch (default: config deploy.branch or gh-pages)")
    d.add_argument("--no-push", action="store_true", help="commit the branch locally only")
    i = _command(sub, "import", common, cmd_import, "turn raw text, HTML, feeds or JSON Lines "
                 "into content files")
    i.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for stdin")
    return p


def _command(sub: argparse._SubParsersAction, name: str, common: argparse.ArgumentParser,
             func: Callable[[argparse.Namespace], int], helptext: str) -> argparse.ArgumentParser:
    cmd = sub.add_parser(name, parents=[common], help=helptext, description=helptext,
                         epilog=EXAMPLES.get(name), formatter_class=argparse.RawDescriptionHelpFormatter)
    cmd.set_defaults(func=func)
    return cmd


def _logging(args: argparse.Namespace) -> None:
    level = logging.ERROR if getattr(args, "quiet", False) else \
        logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s", stream=sys.stderr)


def cmd_build(args: argparse.Namespace) -> int:
    """digest build."""
    from digest import cache
    # read while the rest is imported; a build with --clean reads no cache
    ahead = None if args.clean else cache.Prefetch(args.site.resolve(),
                                                   (cache.ARTICLE_STORE, cache.STORY_STORE))
    from digest import catchup
    from digest.config import load_config
    from digest.fsutil import Busy
    from digest.pipeline import build
    from digest.stages.trees import CATCH_UP_MIN
    from digest.stages.write import STATE_DIR

    config, warnings = load_config(args.site.resolve())
    if _ENDS_AFTER:  # the build pauses the cyclic garbage collector (pipeline.build): were
        gc.disable()  # it resumed, it would first walk everything the build made, for
                      # nothing (0.06 s at 10,000 articles), as the process ends next
    try:
        with _progress(args.quiet) as step:
            report = build(config, out=args.output, drafts=args.drafts, strict=args.strict,
                           config_problems=tuple(warnings), clean_cache=args.clean,
                           progress=step, lock_timeout=args.wait, detach=True,
                           ahead=ahead)
    except Busy as exc:
        raise CommandError(f"another build of this site is still running (process "
                           f"{exc.holder}, holding {exc.path}) after {exc.waited:g} s of "
                           f"--wait; the site was not changed") from None
    _print_problems(report.problems)
    if not report.written:
        raise CommandError(f"--strict: {len(report.problems)} problem(s); site/ was not changed")
    # the next build need not link them all
    behind = report.idle_behind >= CATCH_UP_MIN and catchup.start(report.output,
                                                                   config.root / STATE_DIR)
    if not args.quiet:
        print(f"built {report.articles} articles in {report.stories} stories -> "
              f"{report.output} ({report.files} files, {report.rewritten} rewritten, "
              f"{report.seconds:.2f}s)"
              + (f"; {len({p.file for p in report.errors})} file(s) skipped" if report.errors else "")
              + (f"; the idle tree links them in the background (.digest/{catchup.LOG_FILE})"
                 if behind else ""))
    return 1 if report.errors else 0


def cmd_serve(args: argparse.Namespace) -> int:
    """digest serve."""
    from digest.config import load_config
    from digest.serve import serve

    root = args.site.resolve()
    load_config(root)  # a missing or broken config is reported before anything starts
    try:
        serve(root, host=args.host, port=args.port, drafts=args.drafts)
    except OSError as exc:
        raise CommandError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    """digest new DIR."""
    from digest.scaffold import new_site

    try:
        written = new_site(args.directory)
    except FileExistsError as exc:
        raise CommandError(str(exc)) from None
    if not args.quiet:
        print(f"created {args.directory} ({len(written)} files). Next:\n"
              f"  cd {args.directory} && digest serve")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """digest check."""
    from digest.check import check_content, check_links
    from digest.config import load_config
    from digest.models import Problem

    config, warnings = load_config(args.site.resolve())
    problems = list(warnings) + check_content(config)
    site = config.root / "site"
    if (site / "index.html").is_file():
        problems += check_links(site, config.base_path)
    else:
        problems.append(Problem("error", "site/", "not built yet: run `digest build` first"))
    _print_problems(problems)
    errors = sum(p.level == "error" for p in problems)
    if not args.quiet:
        print(f"check: {errors} error(s), {len(problems) - errors} warning(s)")
    return 1 if errors else 0


def cmd_deploy(args: argparse.Namespace) -> int:
    """digest deploy."""
    from digest.config import load_config
    from digest.deploy import DeployError, deploy

    config, _ = load_config(args.site.resolve())
    try:
        done = deploy(config.root / "site", args.remote or config.deploy_remote,
                      args.branch or config.deploy_branch, push=not args.no_push)
    except DeployError as exc:
        raise CommandError(str(exc)) from None
    if not args.quiet:
        state = "pushed" if done.pushed else "committed" if done.changed else "unchanged"
        print(f"{done.branch} {state} at {done.commit[:12]}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """digest import."""
    from digest.config import ConfigError, load_config
    from digest.ingest import import_paths

    root = args.site.resolve()
    try:
        config, _ = load_config(root)
        outlets = [{"name": o.name, "domains": list(o.domains), "homepage": o.homepage,
                    "description": o.description} for o in config.outlets]
    except ConfigError:
        outlets = []
    stdin = sys.stdin.buffer.read() if "-" in args.paths else None
    report = import_paths(args.paths, root / "content", outlets, stdin=stdin)
    for entry in report.skipped:
        _print_error(f"skipped {entry}")
    for entry in report.conflicts:
        _print_error(f"conflict {entry}")
    if not args.quiet:
        print(f"imported: {len(report.written)} written, {len(report.unchanged)} unchanged, "
              f"{len(report.conflicts)} conflicts, {len(report.skipped)} skipped")
    return 1 if report.skipped or report.conflicts else 0


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str], None]]:
    """Yield a stage callback that drives a rich progress bar on a terminal, else does nothing."""
    from digest.pipeline import STAGES

    if quiet or not sys.stderr.isatty():
        yield lambda stage: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:<9}"), BarColumn(), TimeElapsedColumn(),
                  console=_console(), transient=True) as bar:
        task = bar.add_task("build", total=len(STAGES))

        def step(stage: str) -> None:
            bar.update(task, description=stage, completed=STAGES.index(stage))
        yield step


def _console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _print_problems(problems: Sequence[Problem]) -> None:
    if not problems:  # rich takes 20 ms to import
        return
    console = _console()
    for p in problems:
        style = "bold red" if p.level == "error" else "yellow"
        console.print(str(p), style=style, markup=False, soft_wrap=True)


def _print_error(message: str) -> None:
    _console().print(f"error: {message}", style="bold red", markup=False, soft_wrap=True)


_ENDS_AFTER = False  # set by run(): the process ends as soon as main() returns


def run() -> None:
    """The `digest` command: main(), then exit without freeing every object one by one (a
    build of 10,000 articles holds millions; tearing them down took 0.2 s). Files are
    closed by then, and output streams and logs are flushed here first."""
    global _ENDS_AFTER
    _ENDS_AFTER = True
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
