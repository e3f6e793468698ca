"""The one list of chat commands and button actions. /help, Telegram's command menus (setMyCommands, per scope),
Telegram's CommandHandler names, Slack's `/papers WORD` subcommands, the admin rule and the `@channel` rule all
derive from it: adding a command is one decorated function, nothing else to edit.

    from bot.registry import command

    @command("paper", "ID", "one paper by arXiv id or link", aliases=("p",), menu="One paper by arXiv id")
    def paper(cmds, msg, chat, args) -> Reply: ...

A handler is `handler(cmds, msg, chat, args) -> Reply` (or an awaitable of one); methods of `bot.commands.Commands`
fit as they are. `admin=True`: changes the chat's settings, so in groups/channels only admins may run it (with
`open_without_args=True` the bare command only shows the current value and is open to all). `target=True`: from a
private chat `/cmd @channel ...` acts on that channel. Any module of bot/ using the decorators is found and imported
(MODULES only fixes the order of the known ones, which is the /help order).

Button actions (`prefix:rest`, <= 64 bytes) register the same way with `@action("fol", admin=True)`; the handler is
`handler(cmds, msg, chat, rest) -> Reply`.
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path
from dataclasses import dataclass, field
from typing import Callable, Optional

# modules that register commands or actions, imported on first use of the registry in this order (the /help order);
# any other module of the bot/ package that uses `@command(` or `@action(` is found and imported after them
MODULES = ("bot.commands", "bot.commands_settings", "bot.actions", "bot.source_commands", "bot.commands_learn")
_DECORATOR = re.compile(r"^\s*@(?:registry\.)?(?:command|action)\(", re.M)
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # Telegram's rule for bot commands (lowercase, <= 32)


@dataclass(frozen=True)
class Command:
    name: str
    args: str  # argument synopsis for /help, e.g. "TOPIC" or "[N]"
    help: str  # the /help line after "/name ARGS - "
    handler: Callable = field(compare=False, repr=False)
    aliases: tuple[str, ...] = ()
    admin: bool = False  # changes chat settings: admins only in groups and channels
    open_without_args: bool = False  # with admin: the bare command only shows the current value
    target: bool = False  # `/cmd @channel ...` from a private chat acts on that channel
    menu: str = ""  # Telegram menu description (short); default: the help line
    in_menu: bool = True  # listed in Telegram's command menu
    in_help: bool = True  # listed in /help
    group_menu: bool = True  # also in the menu shown to every member of a group (admin commands never are)
    takes: Optional[str] = None  # a regex its arguments start with; None: any text (only bare when `args` is "")

    def accepts(self, rest: str) -> bool:
        """Whether `WORD rest` reads as this command, not as a search for those words (Slack's `/papers time
        series` is a search; `/papers time 08:30` sets the time)."""
        rest = rest.strip()
        if not rest:
            return True
        if self.takes is not None:
            return re.match(self.takes, rest, re.I) is not None
        return bool(self.args)

    def needs_admin(self, args: str) -> bool:
        return self.admin and not (self.open_without_args and not args.strip())

    @property
    def synopsis(self) -> str:
        return f"/{self.name}" + (f" {self.args}" if self.args else "")

    @property
    def menu_text(self) -> str:
        text = self.menu or self.help
        return text if len(text) <= 256 else text[:255] + "…"  # BotCommand: 1-256 characters


@dataclass(frozen=True)
class Action:
    prefix: str
    handler: Callable = field(compare=False, repr=False)
    admin: bool = False  # presses change chat settings: admins only in groups and channels


_commands: dict[str, Command] = {}
_words: dict[str, str] = {}  # name or alias -> name
_actions: dict[str, Action] = {}
_loaded = False


def _same(old: Callable, new: Callable) -> bool:  # a module imported twice (reload) re-registers the same function
    return (getattr(old, "__module__", None), getattr(old, "__qualname__", None)) == \
        (getattr(new, "__module__", None), getattr(new, "__qualname__", None))


def command(name: str, args: str = "", help: str = "", *, aliases: tuple[str, ...] = (), admin: bool = False,
            open_without_args: bool = False, target: bool = False, menu: str = "", in_menu: bool = True,
            in_help: bool = True, group_menu: bool = True, takes: Optional[str] = None):
    """Register a chat command (decorator). Names and aliases are unique across the registry."""

    def register(fn: Callable) -> Callable:
        spec = Command(name, args, help, fn, tuple(aliases), admin, open_without_args, target, menu, in_menu, in_help,
                       group_menu, takes)
        for word in (name, *aliases):
            if not _NAME.match(word):
                raise ValueError(f"command word {word!r}: lowercase letters, digits and _ only, at most 32")
            owner = _words.get(word)
            if owner is not None and not (owner == name and _same(_commands[owner].handler, fn)):
                raise ValueError(f"/{word} is already registered (by /{owner})")
        old = _commands.pop(name, None)
        if old is not None:
            for word in (old.name, *old.aliases):
                _words.pop(word, None)
        _commands[name] = spec
        for word in (name, *aliases):
            _words[word] = name
        return fn

    return register


def action(prefix: str, *, admin: bool = False):
    """Register a button action `prefix:...` (decorator)."""

    def register(fn: Callable) -> Callable:
        old = _actions.get(prefix)
        if old is not None and not _same(old.handler, fn):
            raise ValueError(f"button action {prefix!r} is already registered")
        if ":" in prefix or not prefix:
            raise ValueError(f"bad action prefix {prefix!r}")
        _actions[prefix] = Action(prefix, fn, admin)
        return fn

    return register


def discover(folder: Optional[Path] = None, package: str = "bot") -> list[str]:
    """Modules of `package` (a folder of .py files) whose source registers a command or an action."""
    folder = folder or Path(__file__).resolve().parent
    found = []
    for path in sorted(folder.glob("*.py")):
        if path.name != "registry.py" and _DECORATOR.search(path.read_text(encoding="utf-8", errors="replace")):
            found.append(f"{package}.{path.stem}")
    return found


def load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in dict.fromkeys([*MODULES, *discover()]):
            importlib.import_module(module)


def commands() -> list[Command]:
    """Every command, in registration order."""
    load()
    return list(_commands.values())


def lookup(word: str) -> Optional[Command]:
    """A command by name or alias (lowercase, without the slash)."""
    load()
    name = _words.get(word)
    return _commands[name] if name else None


def find_action(prefix: str) -> Optional[Action]:
    load()
    return _actions.get(prefix)


def words() -> list[str]:
    """Every name and alias (what Telegram's CommandHandler listens for)."""
    load()
    return list(_words)


def help_lines(aliases: bool = True) -> list[str]:
    """One line per command for /help. Slack's `/papers WORD` knows command names only, so it asks without aliases."""
    out = []
    for c in commands():
        if not c.in_help:
            continue
        also = f" (also /{', /'.join(c.aliases)})" if aliases and c.aliases else ""
        out.append(f"{c.synopsis} - {c.help}{also}")
    return out


def menu(scope: str) -> list[tuple[str, str]]:
    """Telegram command menu for a scope: "private" (everything), "admins" (group admins: everything but private-only
    ones), "group" (every member of a group: the commands anyone may run)."""
    out = []
    for c in commands():
        if not c.in_menu:
            continue
        if scope != "private" and not c.group_menu:
            continue
        if scope == "group" and c.admin:
            continue
        out.append((c.name, c.menu_text))
    return out
