"""The user guide and the docs: short, their links resolving, figures dated, the licence present."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_the_readme_is_a_short_guide_opening_with_its_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 160
    commands = [l for l in lines if l.startswith("python3 -m venv .venv")]
    assert "dedup cluster seeds/" in commands[0] and "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")  # CI runs the README's test command


def test_every_relative_link_resolves():
    broken = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.name}: {target}")
    assert broken == []


def test_figures_are_dated_not_numbered_by_the_order_of_work():
    for page in PAGES:
        text = page.read_text(encoding="utf-8").lower()
        for phrase in ("session", "this week", "last run", "round 2", "round 3"):
            assert phrase not in text.replace("trading session", "").replace("negotiation session", ""), (page, phrase)


def test_the_licence_is_the_one_the_package_declares():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0" in text and text.count("\n") > 150
    assert 'license = { text = "Apache-2.0" }' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
