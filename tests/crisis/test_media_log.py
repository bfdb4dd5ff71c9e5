"""The media and online-opinion log (issue 19): posts and articles with their reach, rumours tied to
the Q&A line and statement of the same incident, journalists' enquiries whose promised call-back is
a deadline; bad input changes nothing; the page charts the reach."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crisis.media.models import MediaItem
from crisis.voice import services as voice
from incidents.models import Deadline, TimelineEntry
from tests import factories
from tests.crisis.voice_helpers import incident_with_playbook, published

pytestmark = pytest.mark.django_db


def test_posts_rumours_and_an_enquiry_with_its_call_back(api, commander, pr):
    incident = incident_with_playbook(commander)
    statement = published(incident, pr, commander, title="关于网传视频的说明")
    line = voice.create_line(incident.pk, by=pr, question="是否有人死亡？", answer="无人员死亡。")
    client = api.as_user(commander)
    base = f"/api/incidents/{incident.pk}/media/"
    seen = timezone.now() - timedelta(hours=2)
    post = {"kind": "video", "platform": "douyin", "summary": "现场视频", "reach": 12000, "sentiment": "negative",
            "url": "https://www.douyin.com/video/1", "seen_at": seen.isoformat()}  # fmt: skip
    assert client.post(base, post, format="json").status_code == 201
    rumour = {"kind": "post", "platform": "weibo", "summary": "网传三人死亡", "reach": 50000, "rumour": True,
              "answered_by": line.pk, "rebutted_by": statement.pk}  # fmt: skip
    assert client.post(base, rumour, format="json").status_code == 201
    callback_by = timezone.now() + timedelta(minutes=30)
    enquiry = {"kind": "enquiry", "platform": "phone", "summary": "询问伤亡人数", "author": "王记者",
               "outlet": "都市报", "callback_by": callback_by.isoformat()}  # fmt: skip
    made = client.post(base, enquiry, format="json")
    assert made.status_code == 201
    deadline = Deadline.objects.get(pk=made.json()["callback"])
    assert (deadline.audience, deadline.code, deadline.state) == ("media", "promise", "pending")
    assert "王记者" in deadline.title_zh
    listed = client.get(base).json()
    assert [m["kind"] for m in listed] == ["enquiry", "post", "video"]
    kinds = list(TimelineEntry.objects.filter(incident=incident, kind="media").values_list("data__kind", flat=True))
    assert kinds == ["video", "post", "enquiry"]


def test_bad_input_and_strangers_change_nothing(api, commander, pr, responder):
    incident = incident_with_playbook(commander)
    other = incident_with_playbook(commander, title="another")
    foreign = published(other, pr, commander)
    client = api.as_user(commander)
    base = f"/api/incidents/{incident.pk}/media/"
    good = {"kind": "post", "platform": "weibo", "summary": "x"}
    for bad in (
        {**good, "url": "javascript:alert(1)"}, {**good, "reach": -5}, {**good, "platform": "myspace"},
        {**good, "summary": ""}, {**good, "rebutted_by": foreign.pk},
        {**good, "callback_by": timezone.now().isoformat()},
        {**good, "kind": "enquiry"}, {**good, "seen_at": (timezone.now() + timedelta(days=1)).isoformat()},
        {**good, "summary": "a\x00b"},
    ):  # fmt: skip
        assert client.post(base, bad, format="json").status_code == 400, bad
    assert not MediaItem.objects.exists()
    secret = factories.declare(commander, commander=commander, restricted=True)
    assert api.as_user(responder).post(f"/api/incidents/{secret.pk}/media/", good, format="json").status_code == 404


def test_the_page_logs_and_charts_the_reach(client, commander):
    incident = incident_with_playbook(commander)
    client.force_login(commander)
    base = f"/incidents/{incident.pk}/media/"
    for reach in ("1000", "5000"):
        client.post(f"{base}log/", {"kind": "post", "platform": "weibo", "summary": "讨论", "reach": reach,
                                    "sentiment": "negative"})  # fmt: skip
    page = client.get(base).content.decode()
    assert MediaItem.objects.count() == 2
    assert 'src="data:image/svg+xml;base64,' in page and "<td>6000</td>" in page
    assert f"/incidents/{incident.pk}/media/" in client.get(f"/incidents/{incident.pk}/").content.decode()
