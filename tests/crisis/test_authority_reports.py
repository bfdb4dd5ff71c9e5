"""Reports to authorities (issue 19): an art. 12 report with a missing field is refused naming it;
submitting it meets the one-hour reporting duty with the authority, the officer and the minute as
evidence; follow-ups are versions with their changes; the files carry the report."""

from __future__ import annotations

import io
from datetime import timedelta

import docx
import pytest
from django.utils import timezone

from crisis.authority import services
from crisis.authority.models import AuthorityReport
from incidents.models import Deadline, DeadlineState, TimelineEntry
from playbooks.defaults import load_default_playbooks
from tests import factories

pytestmark = pytest.mark.django_db

COMPLETE = {
    "company_name": "示例置业有限公司", "company_address": "示例市示例路1号", "ownership": "有限责任公司",
    "business": "房地产开发", "company_head": "张总", "place": "阳光花园3号楼", "scene": "外脚手架局部坍塌",
    "sequence": "10时许，3号楼外脚手架局部坍塌。", "dead": 0, "injured": 2, "missing": 0,
    "possible_casualties": "无进一步伤亡预计", "direct_loss": "50000.00", "measures": "已疏散人员、封闭现场",
    "reporter": "张伟", "reporter_phone": "138 0000 0000",
}  # fmt: skip


@pytest.fixture
def accident(commander):
    load_default_playbooks()
    return factories.declare(commander, commander=commander, kind="site_safety", title="3号楼脚手架局部坍塌")


def reporting_duty(incident) -> Deadline:
    return (
        Deadline.objects.filter(incident=incident, audience="regulator", nature="duty").order_by("due_at", "pk").first()
    )


def test_a_report_with_a_missing_field_is_refused_naming_it(api, commander, accident):
    client = api.as_user(commander)
    made = client.post(f"/api/incidents/{accident.pk}/authority-reports/", {"injured": 2}, format="json")
    assert made.status_code == 201
    report = made.json()
    assert report["kind"] == "flash" and report["number"] == 1
    assert report["occurred_at"] is not None  # pre-filled from the incident's detection
    assert "possible_casualties" in report["missing_fields"] and "measures" in report["missing_fields"]
    refused = client.post(
        f"/api/authority-reports/{report['id']}/submit/",
        {"authority": "示例区应急管理局", "channel": "phone", "received_by": "李科长"},
        format="json",
    )
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert "possible_casualties" in errors and "possible further casualties" in errors["possible_casualties"][0]
    assert AuthorityReport.objects.get(pk=report["id"]).state == "draft"
    assert reporting_duty(accident).state == DeadlineState.PENDING


def test_submitting_meets_the_one_hour_duty_with_the_officer_and_the_minute(api, commander, accident):
    client = api.as_user(commander)
    report = client.post(f"/api/incidents/{accident.pk}/authority-reports/", COMPLETE, format="json").json()
    assert report["missing_fields"] == []
    at = (timezone.now() - timedelta(minutes=3)).replace(second=0, microsecond=0)
    phone_without_officer = client.post(
        f"/api/authority-reports/{report['id']}/submit/",
        {"authority": "示例区应急管理局", "channel": "phone"},
        format="json",
    )
    assert phone_without_officer.status_code == 400 and "received_by" in phone_without_officer.json()["errors"]
    done = client.post(
        f"/api/authority-reports/{report['id']}/submit/",
        {"authority": "示例区应急管理局", "channel": "phone", "received_by": "李科长", "at": at.isoformat()},
        format="json",
    )
    assert done.status_code == 200 and done.json()["state"] == "submitted" and done.json()["late"] is False
    assert (done.json()["missing"], done.json()["injured"]) == (0, 2)  # the missing persons, a count
    duty = reporting_duty(accident)
    duty.refresh_from_db()
    assert duty.state == DeadlineState.MET and duty.met_at == at
    assert (duty.met_authority, duty.met_received_by, duty.met_channel) == ("示例区应急管理局", "李科长", "phone")
    assert duty.evidence_ref == f"authority-report:{report['id']}"
    entry = TimelineEntry.objects.filter(incident=accident, kind="authority_report").last()
    assert entry.data["action"] == "submitted" and entry.data["received_by"] == "李科长"
    again = client.post(
        f"/api/authority-reports/{report['id']}/submit/",
        {"authority": "x", "channel": "online"},
        format="json",
    )
    assert again.status_code == 409
    assert client.patch(f"/api/authority-reports/{report['id']}/", {"injured": 3}, format="json").status_code == 409


def test_a_follow_up_starts_from_the_last_version_and_shows_what_changed(api, commander, accident):
    client = api.as_user(commander)
    first = client.post(f"/api/incidents/{accident.pk}/authority-reports/", COMPLETE, format="json").json()
    client.post(
        f"/api/authority-reports/{first['id']}/submit/",
        {"authority": "示例区应急管理局", "channel": "online"},
        format="json",
    )
    follow_up = client.post(f"/api/incidents/{accident.pk}/authority-reports/", {"injured": 3}, format="json").json()
    assert (follow_up["kind"], follow_up["number"], follow_up["company_name"]) == ("follow_up", 2, "示例置业有限公司")
    changed = client.get(f"/api/authority-reports/{follow_up['id']}/changes/").json()
    assert [(c["field"], c["before"], c["after"]) for c in changed] == [("injured", 2, 3)]
    listed = client.get(f"/api/incidents/{accident.pk}/authority-reports/").json()
    assert [r["number"] for r in listed] == [1, 2]


def test_bad_input_and_strangers_change_nothing(api, commander, responder, accident):
    client = api.as_user(commander)
    for body in ({"dead": -1}, {"direct_loss": "lots"}, {"kind": "gossip"}, {"occurred_at": "0001-01-01T00:00"},
                 {"occurred_at": (timezone.now() + timedelta(days=2)).isoformat()}, {"scene": "a\x00b"}):  # fmt: skip
        answer = client.post(f"/api/incidents/{accident.pk}/authority-reports/", body, format="json")
        assert answer.status_code == 400, body
    assert not AuthorityReport.objects.exists()
    outsider = api.as_user(responder)
    assert outsider.post(f"/api/incidents/{accident.pk}/authority-reports/", {}, format="json").status_code == 403
    secret = factories.declare(commander, commander=commander, restricted=True)
    assert outsider.get(f"/api/incidents/{secret.pk}/authority-reports/").status_code == 404


def test_the_word_file_is_the_report(client, commander, accident):
    report = services.create_report(accident.pk, by=commander, **{**COMPLETE, "direct_loss": 50000})
    client.force_login(commander)
    answer = client.get(f"/incidents/{accident.pk}/authority-reports/{report.pk}.docx", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 200
    word = docx.Document(io.BytesIO(answer.content))
    cells = [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    assert "可能造成的伤亡" in "".join(cells) or "可能进一步造成的伤亡" in "".join(cells)
    assert "无进一步伤亡预计" in cells and "阳光花园3号楼" in cells
    assert client.get(f"/incidents/{accident.pk}/authority-reports/999999.docx").status_code == 404


def test_the_page_writes_and_submits_the_report(client, commander, accident):
    client.force_login(commander)
    war_room = client.get(f"/incidents/{accident.pk}/").content.decode()
    assert f"/incidents/{accident.pk}/authority-reports/" in war_room
    base = f"/incidents/{accident.pk}/authority-reports/"
    assert "Write the flash report" in client.get(base).content.decode()
    client.post(f"{base}write/", {"injured": "2", "place": "阳光花园3号楼"})
    report = AuthorityReport.objects.get()
    page = client.get(base).content.decode()
    assert "Still missing" in page and "possible further casualties" in page
    refused = client.post(
        f"{base}{report.pk}/submit/", {"authority": "应急管理局", "channel": "online"}, follow=True
    ).content.decode()
    assert "is required in a report to an authority" in refused
    assert AuthorityReport.objects.get().state == "draft"
    occurred = timezone.localtime(accident.detected_at).strftime("%Y-%m-%dT%H:%M")
    client.post(f"{base}write/", {**COMPLETE, "occurred_at": occurred})  # the draft is edited, not copied
    assert AuthorityReport.objects.count() == 1
    client.post(f"{base}{report.pk}/submit/", {"authority": "应急管理局", "channel": "online"})
    assert AuthorityReport.objects.get().state == "submitted"
    assert "Write a follow-up" in client.get(base).content.decode()
