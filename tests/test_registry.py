"""One command registry (bot/registry.py): /help, Telegram's menus and handlers, Slack's subcommands and the admin
rule all come from it, so a command registered once exists everywhere and nowhere is a second list to forget."""
from __future__ import annotations

import pytest

from adapters import slack_render
from bot import registry
from bot.core import Core
from bot.models import Message, Reply


@pytest.fixture
def extra_command():
    """A command registered the way a new feature would register one, removed afterwards."""

    @registry.command("wave", "NAME", "say hello to NAME", aliases=("hi",), admin=True, target=True, menu="Wave")
    def wave(cmds, msg, chat, args):
        return Reply(text=f"Hello {args} from {chat.chat_id}")

    yield wave
    spec = registry._commands.pop("wave")
    for word in (spec.name, *spec.aliases):
        registry._words.pop(word)


async def no() -> bool:
    return False


async def test_a_registered_command_is_everywhere_at_once(store, clock, extra_command):
    core = Core(store, clock=clock)
    say = lambda text, **kw: core.handle(Message("test", "c1", "u1", text=text, **kw))  # noqa: E731
    assert (await say("/wave Ada")).text == "Hello Ada from c1"
    assert (await say("/hi Ada")).text == "Hello Ada from c1"  # the alias
    assert "/wave NAME - say hello to NAME (also /hi)" in (await say("/help")).text
    # admin-only in groups, like every settings command
    r = await say("/wave Ada", chat_kind="group", is_admin=no)
    assert r.error and "admin" in r.text
    # Telegram: menus and the CommandHandler's names; Slack: `/papers wave Ada`
    assert ("wave", "Wave") in registry.menu("private") and ("wave", "Wave") in registry.menu("admins")
    assert "wave" not in dict(registry.menu("group"))
    assert {"wave", "hi"} <= set(registry.words())
    assert slack_render.to_core_text("wave Ada") == "/wave Ada"
    assert slack_render.to_core_text("hi there") == "/search hi there"  # aliases are not Slack subcommands
    assert slack_render.slack_commands("try /wave Ada") == "try /papers wave Ada"


def test_names_and_aliases_are_unique():
    with pytest.raises(ValueError, match="already registered"):
        registry.command("find", "", "clashes with an alias of /search")(lambda *a: None)
    with pytest.raises(ValueError, match="already registered"):
        registry.command("search", "", "a second /search")(lambda *a: None)
    with pytest.raises(ValueError, match="lowercase"):
        registry.command("Bad-Name", "", "Telegram refuses this name")(lambda *a: None)
    with pytest.raises(ValueError, match="already registered"):
        registry.action("fol")(lambda *a: None)


def test_the_builtin_rules_come_from_the_registry():
    admin = {c.name for c in registry.commands() if c.admin}
    assert admin == {"follow", "unfollow", "time", "timezone", "frequency", "pause", "resume", "quiet", "channel", "links", "import"}
    assert registry.lookup("tz").name == "timezone" and registry.lookup("subscribe").name == "follow"
    # the bare settings commands only show the current value: open to everyone
    assert not registry.lookup("channel").needs_admin("") and registry.lookup("channel").needs_admin("off")
    assert not registry.lookup("time").needs_admin("") and registry.lookup("follow").needs_admin("")
    assert {a for a in ("fol", "unf", "tz", "more", "abs", "share", "dsec")
            if registry.find_action(a).admin} == {"fol", "unf", "tz"}
    for name, description in registry.menu("private"):
        assert 1 <= len(description) <= 256 and len(name) <= 32
    assert "start" not in dict(registry.menu("group")) and "start" not in dict(registry.menu("admins"))
    assert slack_render.subcommands() == {c.name for c in registry.commands()}


async def test_slack_help_lists_every_command_as_a_papers_subcommand(store, clock):
    """`/papers help` is the registry's help in Slack's words: every command as `/papers NAME`, no aliases (Slack
    only knows the names)."""
    core = Core(store, clock=clock)
    reply = await core.handle(Message("slack", "T1/U1", "U1", text=slack_render.to_core_text("help")))
    text = "\n".join(b["text"]["text"] for m in slack_render.reply_messages(reply) for b in m.get("blocks", [])
                     if b["type"] == "section")
    for c in registry.commands():
        if c.in_help:
            assert f"/papers {c.name}" in text, c.name
    assert "(also /" not in text


def test_a_new_module_with_commands_is_found_without_listing_it(tmp_path):
    (tmp_path / "wave_commands.py").write_text('from bot.registry import command\n\n\n@command("wave", "", "hi")\n'
                                               'def wave(cmds, msg, chat, args):\n    return None\n')
    (tmp_path / "helpers.py").write_text("def command(x):\n    return x\n")
    assert registry.discover(tmp_path, "pkg") == ["pkg.wave_commands"]
    found = registry.discover()
    assert set(registry.MODULES) <= set(found) | {"bot.registry"}
