"""Sessions in a real VS Code (code-server 4.100.3), walked like a person: open a session from the
tree, rename it, fork it, archive it and find it again under "Archived", unarchive it, delete it;
undo and redo in the chat (the undone prompt back in the input, redo one turn at a time). The window and the model are shared with the other e2e modules
(conftest.py)."""

from __future__ import annotations

import pytest

from tests.support.code_server import wait_until

pytestmark = [pytest.mark.timeout(600), pytest.mark.usefixtures("vscode_test")]


def new_session_with(vscode, model, prompt: str, answer: str) -> None:
    """A new chat (the chat's "+"), one exchange in it, and its generated title."""
    vscode.command("opencode: New Session")
    wait_until(lambda: vscode.chat.locator(".message").count() == 0, 30, "an empty chat")
    model.set_script([[answer]])
    vscode.send(prompt)
    vscode.chat.locator(".text-part", has_text=answer).wait_for(timeout=90000)
    vscode.idle()
    wait_until(lambda: vscode.chat.locator("#session-title").inner_text() == "Greeting helper", 60, "the generated title")


def rename_current(vscode, title: str) -> None:
    """Rename the chat's session with its row's inline pencil (other sessions may share its title)."""
    row = vscode.current_session_row("Greeting helper").first
    row.wait_for(timeout=30000)
    row.hover()
    row.locator('.action-label[aria-label="Rename Session"]').click()
    vscode.quick_input(title)
    wait_until(lambda: vscode.session_row(title).count() == 1, 30, f"{title!r} in the Sessions tree")


def test_sessions_tree_open_rename_fork_archive_delete(vscode, model):
    chat = vscode.chat
    new_session_with(vscode, model, "first topic please", "answer about the first topic")
    # Rename from the tree (the row's inline pencil): tree and chat header follow.
    rename_current(vscode, "Topic one")
    wait_until(lambda: chat.locator("#session-title").inner_text() == "Topic one", 30, "the chat header to follow")

    new_session_with(vscode, model, "second topic please", "answer about the second topic")
    rename_current(vscode, "Topic two")
    assert chat.locator(".message-user", has_text="first topic").count() == 0

    # Open: clicking a row shows that session's transcript.
    vscode.session_row("Topic one").first.click()
    chat.locator(".message-user", has_text="first topic please").wait_for(timeout=30000)
    assert chat.locator(".message-user", has_text="second topic").count() == 0
    wait_until(lambda: chat.locator("#session-title").inner_text() == "Topic one", 30, "Topic one in the chat")

    # Fork: a copy with the same transcript opens in the chat and is listed.
    vscode.context_menu(vscode.session_row("Topic one").first, "Fork Session")
    wait_until(lambda: chat.locator("#session-title").inner_text() == "Topic one (fork #1)", 30, "the fork in the chat")
    assert chat.locator(".message-user", has_text="first topic please").count() == 1
    wait_until(lambda: vscode.session_row("Topic one (fork #1)").count() == 1, 30, "the fork in the tree")
    vscode.shot("06-sessions-tree")

    # Archive: gone from the list, reachable under "Archived"; unarchive brings it back.
    vscode.context_menu(vscode.session_row("Topic two").first, "Archive Session")
    wait_until(lambda: vscode.session_row("Topic two").count() == 0, 30, "Topic two to leave the list")
    archived = vscode.session_row("Archived").first
    archived.wait_for(timeout=30000)
    archived.click()  # expand the group
    vscode.session_row("Topic two").first.wait_for(timeout=30000)
    vscode.shot("07-sessions-archived")
    vscode.session_row("Topic two").first.click()  # an archived session still opens
    chat.locator(".message-user", has_text="second topic please").wait_for(timeout=30000)
    vscode.context_menu(vscode.session_row("Topic two").first, "Unarchive Session")
    wait_until(lambda: vscode.session_row("Archived").count() == 0, 30, "the Archived group to go (nothing archived)")
    vscode.session_row("Topic two").first.wait_for(timeout=30000)

    # Delete the session the chat shows: asked first, then gone from the tree and the chat.
    vscode.context_menu(vscode.session_row("Topic two").first, "Delete Session")
    dialog = vscode.page.locator(".monaco-dialog-box")
    dialog.wait_for(timeout=20000)
    assert "Topic two" in dialog.inner_text()
    assert "child" not in dialog.inner_text()  # it has none: the question does not mention them
    dialog.locator(".monaco-button", has_text="Delete").click()
    wait_until(lambda: vscode.session_row("Topic two").count() == 0, 30, "Topic two to be deleted")
    wait_until(lambda: chat.locator(".message").count() == 0, 30, "the chat to empty")
    assert vscode.session_row("Topic one").count() == 1 and vscode.session_row("Topic one (fork #1)").count() == 1


def test_undo_hides_the_todos_it_wrote_and_redo_brings_them_back(vscode, model):
    chat = vscode.chat
    todo = {"content": "Rename greet to welcome", "status": "pending", "priority": "high"}
    vscode.command("opencode: New Session")
    wait_until(lambda: chat.locator(".message").count() == 0, 30, "an empty chat")
    model.set_script([[{"tool_call": {"name": "todowrite", "arguments": {"todos": [todo]}, "id": "td1"}}], ["planned"]])
    vscode.send("plan the rename")
    chat.locator(".text-part", has_text="planned").wait_for(timeout=90000)
    vscode.idle()
    todos = chat.locator("#todos")
    wait_until(lambda: todos.is_visible(), 30, "the todo list")
    assert "Rename greet to welcome" in todos.inner_text()
    vscode.send("/undo")
    chat.locator(".revert-marker").wait_for(timeout=30000)
    # The exchange that wrote the list is hidden, and so is its list.
    wait_until(lambda: not todos.is_visible(), 30, "the reverted todo list to go")
    assert chat.locator(".message-user", has_text="plan the rename").count() == 0
    vscode.send("/redo")
    chat.locator(".message-user", has_text="plan the rename").wait_for(timeout=30000)
    wait_until(lambda: todos.is_visible(), 30, "the todo list back after redo")


def test_undo_puts_the_prompt_back_and_redo_brings_back_one_turn(vscode, model):
    chat = vscode.chat
    box = chat.locator("#input")
    vscode.command("opencode: New Session")
    wait_until(lambda: chat.locator(".message").count() == 0, 30, "an empty chat")
    for prompt, answer in (("first turn please", "first answer"), ("second turn please", "second answer")):
        model.set_script([[answer]])
        vscode.send(prompt)
        chat.locator(".text-part", has_text=answer).wait_for(timeout=90000)
        vscode.idle()
    # Undo: the last turn goes, and its prompt is back in the input to edit and send again.
    vscode.send("/undo ")
    chat.locator(".revert-marker").wait_for(timeout=30000)
    wait_until(lambda: box.input_value() == "second turn please", 30, "the undone prompt in the input")
    assert chat.locator(".message-user", has_text="second turn").count() == 0
    # Undo again: the turn before goes, and its prompt takes the place of the one undo put there.
    vscode.send("/undo ")
    wait_until(lambda: box.input_value() == "first turn please", 30, "the first prompt in the input")
    assert chat.locator(".message-user").count() == 0
    assert "one turn at a time" in chat.locator(".revert-marker").inner_text()
    vscode.shot("30-undo-prompt-back")
    # Redo while the input still holds the undone prompt: one turn comes back and the input empties.
    chat.locator(".revert-marker .redo").click()
    chat.locator(".message-user", has_text="first turn please").wait_for(timeout=30000)
    wait_until(lambda: box.input_value() == "", 30, "the input to empty")
    assert chat.locator(".message-user", has_text="second turn").count() == 0
    assert chat.locator(".revert-marker").is_visible()
    # Redo again: the last hidden turn comes back and nothing is reverted any more.
    chat.locator(".revert-marker .redo").click()
    chat.locator(".message-user", has_text="second turn please").wait_for(timeout=30000)
    wait_until(lambda: chat.locator(".revert-marker").count() == 0, 30, "the revert marker to go")
    vscode.shot("31-redo-one-turn-at-a-time")


def test_delete_asks_about_child_sessions_only_when_there_are_some(vscode, model):
    chat = vscode.chat
    vscode.command("opencode: New Session")
    wait_until(lambda: chat.locator(".message").count() == 0, 30, "an empty chat")
    task = {"description": "Find python files", "prompt": "List the python files", "subagent_type": "general"}
    model.set_script([[{"tool_call": {"name": "task", "arguments": task, "id": "t1"}}], ["There is hello.py."], ["The subagent found hello.py."]])
    vscode.send("look for python files")
    chat.locator(".text-part", has_text="The subagent found hello.py.").wait_for(timeout=90000)
    vscode.idle()
    wait_until(lambda: chat.locator("#session-title").inner_text() == "Greeting helper", 60, "the generated title")
    rename_current(vscode, "Parent with a subtask")
    vscode.context_menu(vscode.session_row("Parent with a subtask").first, "Delete Session")
    dialog = vscode.page.locator(".monaco-dialog-box")
    dialog.wait_for(timeout=20000)
    assert 'Delete "Parent with a subtask" and its child session?' in dialog.inner_text()
    vscode.shot("32-delete-with-child-session")
    dialog.locator(".monaco-button", has_text="Delete").click()
    wait_until(lambda: vscode.session_row("Parent with a subtask").count() == 0, 30, "the session to be deleted")
