"""Bus events: where each names its session, and a failing subscriber breaks nothing."""

from __future__ import annotations

from opencode_lsp.core import events


def test_events_name_their_session():
    assert events.session_updated({"id": "ses_1"}).session_id == "ses_1"
    assert events.message_updated({"id": "msg_1", "sessionID": "ses_2"}).session_id == "ses_2"
    assert events.part_updated({"id": "prt_1", "sessionID": "ses_3"}, "x").session_id == "ses_3"
    assert events.todo_updated("ses_4", []).session_id == "ses_4"
    assert events.permission_asked({"id": "per_1", "sessionID": "ses_5"}).session_id == "ses_5"


def test_a_failing_subscriber_does_not_stop_the_others():
    bus = events.Bus()
    seen: list[str] = []

    def broken(event: events.Event) -> None:
        raise RuntimeError("subscriber bug")

    bus.subscribe(broken)
    unsubscribe = bus.subscribe(lambda event: seen.append(event.type))
    bus.publish(events.session_deleted({"id": "ses_1"}))
    unsubscribe()
    bus.publish(events.session_deleted({"id": "ses_2"}))
    assert seen == ["session.deleted"]
