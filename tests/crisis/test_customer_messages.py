"""Customer messages (issue 19): a published statement for customers reaches a local SMS gateway test
server (which checks the signature as the real one does) once per customer of the incident, never an
opted-out one, never from an exercise; replies of 退订 opt a number out, signed by the gateway."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from django.test import override_settings

from crisis.voice import outreach
from crisis.voice.models import CustomerMessage, CustomerOptOut
from incidents.models import TimelineEntry
from tests.crisis.voice_helpers import incident_with_playbook, published
from tests.incidents.complaint_helpers import handler_user, log, no_rules

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_customers(commander):
    no_rules()
    incident = incident_with_playbook(commander)
    handler = handler_user(username="handler-msg")
    for phone in ("138 0013 8000", "+86 13800138000", "139-0013-9000", "137 0013 7000", ""):
        complaint = log(handler, customer_phone=phone)
        type(complaint).objects.filter(pk=complaint.pk).update(incident=incident)
    CustomerOptOut.objects.create(phone_key="13700137000", source="test")
    return incident


def test_each_customer_gets_the_statement_once(
    api, commander, pr, sms_gateway, with_customers, django_capture_on_commit_callbacks
):
    statement = published(with_customers, pr, commander, audience="customers", title="交付延期说明")
    client = api.as_user(commander)
    with django_capture_on_commit_callbacks(execute=False):
        answer = client.post(f"/api/statements/{statement.pk}/send-to-customers/")
    assert answer.status_code == 200
    assert answer.json() == {"queued": 2, "opted_out": 1, "customers": 3}  # 138… twice is one customer
    assert outreach.deliver(statement.pk) == 2
    sent_to = sorted("".join(c for c in body["phone"] if c.isdigit())[-11:] for body in sms_gateway.bodies())
    assert sent_to == ["13800138000", "13900139000"]  # the two customers, each once; not the opted-out 137…
    assert all(body["template_params"]["subject"] == "交付延期说明" for body in sms_gateway.bodies())
    # Asked again, and delivered again: nobody gets it twice.
    with django_capture_on_commit_callbacks(execute=False):
        again = client.post(f"/api/statements/{statement.pk}/send-to-customers/").json()
    assert again["queued"] == 0 and outreach.deliver(statement.pk) == 0 and len(sms_gateway.requests) == 2
    assert client.get(f"/api/statements/{statement.pk}/customer-messages/").json() == {
        "pending": 0, "sent": 2, "failed": 0
    }  # fmt: skip
    entry = TimelineEntry.objects.filter(incident=with_customers, kind="statement").last()
    assert entry.data["action"] == "sent_to_customers" and entry.data["recipients"] == 0


def test_a_refusing_gateway_leaves_the_reason_and_gives_up_after_three_tries(
    commander, pr, sms_gateway, with_customers
):
    statement = published(with_customers, pr, commander, audience="customers")
    with override_settings(CRISIS_SMS_GATEWAY_KEY="wrong-key"):
        outreach.send_to_customers(statement.pk, by=commander)
        for _ in range(3):
            CustomerMessage.objects.update(created_at=CustomerMessage.objects.first().created_at.replace(year=2020))
            outreach.deliver(statement.pk)
    rows = CustomerMessage.objects.filter(statement=statement)
    assert {r.state for r in rows} == {"failed"} and all(r.last_error for r in rows)
    assert all(r.attempts == 3 for r in rows)


def test_only_a_published_customers_statement_of_a_real_incident_goes(api, commander, pr, sms_gateway, with_customers):
    client = api.as_user(commander)
    public = published(with_customers, pr, commander, audience="public")
    assert client.post(f"/api/statements/{public.pk}/send-to-customers/").status_code == 409
    drill = incident_with_playbook(commander, exercise=True)
    drill_statement = published(drill, pr, commander, audience="customers")
    refused = client.post(f"/api/statements/{drill_statement.pk}/send-to-customers/")
    assert refused.status_code == 409 and "exercise" in refused.json()["detail"]
    statement = published(with_customers, pr, commander, audience="customers")
    assert api.as_user(pr).post(f"/api/statements/{statement.pk}/send-to-customers/").status_code == 403
    client = api.as_user(commander)  # the same client, signed in as the commander again
    with override_settings(CRISIS_SMS_GATEWAY_URL=""):
        assert client.post(f"/api/statements/{statement.pk}/send-to-customers/").status_code == 409
    assert not CustomerMessage.objects.exists() and sms_gateway.requests == []


def _signed(client, body: dict, key: str = "gateway-key"):
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    signature = hmac.new(key.encode(), f"{stamp}\n".encode() + raw, hashlib.sha256).hexdigest()
    return client.post(
        "/api/sms/replies/", raw, content_type="application/json",
        HTTP_X_CRISIS_TIMESTAMP=stamp, HTTP_X_CRISIS_SIGNATURE=signature,
    )  # fmt: skip


def test_a_reply_of_tuiding_opts_the_number_out_and_only_the_gateway_may_say_so(client, sms_gateway):
    assert _signed(client, {"phone": "13900139000", "text": "退订"}, key="forged").status_code == 403
    assert not CustomerOptOut.objects.exists()
    assert _signed(client, {"phone": "13900139000", "text": "谢谢"}).json() == {"opted_out": False}
    assert _signed(client, {"phone": "+86 139 0013 9000", "text": " T "}).json() == {"opted_out": True}
    assert CustomerOptOut.objects.filter(phone_key="13900139000").exists()
    assert _signed(client, {"phone": None, "text": "T"}).status_code == 409


def test_the_statement_page_sends_it(
    client, commander, pr, sms_gateway, with_customers, django_capture_on_commit_callbacks
):
    statement = published(with_customers, pr, commander, audience="customers", title="交付延期说明")
    client.force_login(commander)
    page = client.get(f"/incidents/{with_customers.pk}/statements/{statement.pk}/").content.decode()
    assert 'id="send-to-customers"' in page
    with django_capture_on_commit_callbacks(execute=False):
        done = client.post(f"/incidents/{with_customers.pk}/statements/{statement.pk}/send-to-customers/", follow=True)
    assert "Queued for 2 customers (1 opted out)" in done.content.decode()
    assert CustomerMessage.objects.filter(statement=statement).count() == 2
    client.force_login(pr)
    page = client.get(f"/incidents/{with_customers.pk}/statements/{statement.pk}/").content.decode()
    assert 'id="send-to-customers"' not in page and "2 pending" in page
