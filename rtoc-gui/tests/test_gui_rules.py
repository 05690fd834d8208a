"""Global events and actions edited in the GUI on a real in-process logger: add, edit,
switch on and off, delete, and code the logger refuses shown at its field with its line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PyQt5 import QtCore

from rtoc.logger import Logger
from rtoc_gui.global_rules import RuleEditor, RulesWidget
from rtoc_gui.link import Link
from rtoc_gui.marks import yes_button


@pytest.fixture
def rules(qtbot, logger: Logger) -> Iterator[RulesWidget]:
    widget = RulesWidget(Link(logger, "this computer", local=True))
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    widget.close()


def state(logger: Logger, kind: str, name: str):
    return next(
        (r for r in logger.automation_state().rules if (r.kind, r.name) == (kind, name)), None
    )


def fill(editor: RuleEditor, **values: str) -> None:
    for key, value in values.items():
        field = editor.inputs[key]
        if hasattr(field, "setPlainText"):
            field.setPlainText(value)
        elif hasattr(field, "setCurrentIndex"):
            field.setCurrentIndex(field.findData(value))
        else:
            field.setText(value)


def test_global_event_added_edited_switched_and_deleted(qtbot, rules: RulesWidget, logger):
    editor = rules.edit("event")
    fill(editor, name="hot", cond="Oven.T.latest > 80", text="Oven is hot", id="hot")
    editor.inputs["priority"].setCurrentIndex(1)
    assert editor.save()
    rule = state(logger, "event", "hot")
    assert rule.active and rule.error == ""
    assert (rule.fields["cond"], rule.fields["priority"], rule.fields["trigger"]) == (
        "Oven.T.latest > 80",
        1,
        "rising",
    )
    assert rules.names("event") == ["hot"]
    assert not editor.isVisible()

    editor = rules.edit("event", "hot")
    assert editor.value("cond") == "Oven.T.latest > 80"
    fill(editor, text="Oven is very hot", trigger="both")
    assert editor.save()
    assert state(logger, "event", "hot").fields["text"] == "Oven is very hot"
    assert state(logger, "event", "hot").fields["trigger"] == "both"

    # renamed: the old name goes
    editor = rules.edit("event", "hot")
    fill(editor, name="oven hot")
    assert editor.save()
    assert state(logger, "event", "hot") is None
    assert rules.names("event") == ["oven hot"]
    # no name, or a name taken by another entry: refused at the name
    editor = rules.edit("event")
    fill(editor, cond="Oven.T.latest < 5")
    assert not editor.save()
    assert editor.error("name") == "Give it a name."
    editor.close()
    editor = rules.edit("event")
    fill(editor, name="oven hot", cond="Oven.T.latest < 5")
    assert not editor.save()
    assert editor.error("name") == "'oven hot' exists already."
    assert state(logger, "event", "oven hot").fields["cond"] == "Oven.T.latest > 80"
    editor.close()

    # switched off in the list, and on again
    rules.tables["event"].item(0, 0).setCheckState(QtCore.Qt.Unchecked)
    assert not state(logger, "event", "oven hot").active
    rules.set_active("event", "oven hot", True)
    assert state(logger, "event", "oven hot").active
    assert rules.tables["event"].item(0, 0).checkState() == QtCore.Qt.Checked

    rules.tables["event"].selectRow(0)
    box = rules.ask_remove("event", rules._selected("event"))
    yes_button(box).click()
    assert state(logger, "event", "oven hot") is None
    assert rules.names("event") == []


def test_a_broken_condition_is_shown_at_its_field_with_its_line(rules: RulesWidget, logger):
    editor = rules.edit("event")
    fill(editor, name="broken", cond="(Oven.T.latest > 80\n and Oven.T.latest > )", id="x")
    assert not editor.save()
    assert "line 2" in editor.error("cond") and "cond does not compile" in editor.error("cond")
    assert "border" in editor.inputs["cond"].styleSheet()
    assert editor.isVisible()
    assert state(logger, "event", "broken") is None

    fill(editor, cond="")
    assert not editor.save()
    assert "cond is empty" in editor.error("cond")

    fill(editor, cond="Oven.T.latest > 80")
    assert editor.save()
    assert editor.error("cond") == "" and state(logger, "event", "broken").error == ""


def test_global_action_added_switched_deleted_and_a_broken_script(rules: RulesWidget, logger):
    editor = rules.edit("action")
    fill(editor, name="cool down", listenID="hot, door", script="x = 1\nif x >\n    pass")
    assert not editor.save()
    assert "line 2" in editor.error("script")
    fill(editor, listenID="")
    fill(editor, script="print('cooling')")
    assert not editor.save()
    assert "listenID is empty" in editor.error("listenID")
    fill(editor, listenID="hot, door")
    assert editor.save()
    rule = state(logger, "action", "cool down")
    assert rule.fields["listenID"] == ["hot", "door"] and rule.active

    rules.tables["action"].item(0, 0).setCheckState(QtCore.Qt.Unchecked)
    assert not state(logger, "action", "cool down").active
    rules.remove("action", "cool down")
    assert rules.names("action") == []


def test_switching_all_global_events_and_actions(rules: RulesWidget, logger):
    assert not rules.switches["event"].isChecked()
    rules.switches["event"].click()
    assert logger.automation_state().events_active
    rules.switches["action"].click()
    assert logger.automation_state().actions_active
    rules.switches["event"].click()
    assert not logger.automation_state().events_active


def test_a_refused_switch_says_why(rules: RulesWidget, logger):
    rules.set_active("event", "nothing here", True)
    assert "nothing here" in rules.message.text() and rules.message.isVisibleTo(rules)
