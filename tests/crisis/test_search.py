"""Search (issue 17, item 4): Chinese substrings across incidents, timelines, statements and
complaints, only what the searcher may see, never by a customer's personal data; bad queries
get a clear error and change nothing."""

from __future__ import annotations

import pytest

from incidents import services
from tests import factories
from tests.crisis import voice_helpers
from tests.incidents.complaint_helpers import body, handler_user, no_rules

pytestmark = pytest.mark.django_db


def found(client, q: str) -> str:
    answer = client.get("/search/", {"q": q})
    assert answer.status_code == 200
    return answer.content.decode()


def test_chinese_substrings_are_found_everywhere_one_may_look(client, commander, pr):
    incident = voice_helpers.incident_with_playbook(commander, title="3号楼脚手架局部坍塌")
    services.add_note(incident.pk, by=commander, text="塔吊司机已接受问询。")
    voice_helpers.drafted(incident, pr, title="关于脚手架事故的说明", body="两名工人受伤。")
    client.force_login(commander)
    page = found(client, "脚手架")
    assert "3号楼脚手架局部坍塌" in page and "关于脚手架事故的说明" in page
    assert "塔吊司机已接受问询" in found(client, "塔吊")


def test_restricted_incidents_stay_hidden(client, commander, pr):
    secret = factories.declare(commander, commander=commander, title="董事长涉嫌违规", restricted=True)
    services.add_note(secret.pk, by=commander, text="董事长的律师已到场")
    client.force_login(pr)
    page = found(client, "董事长")
    assert "董事长涉嫌违规" not in page and "律师" not in page


def test_complaints_are_found_by_what_was_said_never_by_the_customer(client):
    from incidents.complaints import services as complaints

    no_rules()
    desk = handler_user(username="desk")
    complaints.intake(
        by=desk, data=body(description="卫生间渗水严重", customer_name="王秀英", customer_phone="13800138000")
    )
    client.force_login(handler_user(username="h2"))
    assert "卫生间渗水严重" in found(client, "渗水")
    assert "卫生间渗水严重" not in found(client, "王秀英")
    assert "卫生间渗水严重" not in found(client, "13800138000")


def test_bad_queries_are_refused_clearly(client, commander):
    client.force_login(commander)
    assert client.get("/search/", {"q": "x" * 101}).status_code == 400
    assert client.get("/search/", {"q": "%%"}).status_code == 400
    assert client.get("/search/", {"q": "a\x00b"}).status_code == 400
    assert "Nothing you may see" in found(client, "无此内容")
