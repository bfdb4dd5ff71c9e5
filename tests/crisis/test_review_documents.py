"""The review as PDF and Word (issue 18): both files carry what the review page says, in the reader's
language, Chinese included; only those who may read the review may take it away."""

from __future__ import annotations

import io
from datetime import timedelta

import docx
import pytest
from django.utils import timezone
from pypdf import PdfReader

from config import system_packages
from crisis.reviews import services as reviews
from incidents import services
from playbooks.defaults import load_default_playbooks
from tests import factories

pytestmark = pytest.mark.django_db


def _close(incident, commander):
    services.transition_incident(incident.pk, by=commander, name="activate")
    services.transition_incident(incident.pk, by=commander, name="resolve", note="现场安全")
    services.transition_incident(incident.pk, by=commander, name="close", note="已处置完毕", open_items="finish")
    return incident


@pytest.fixture
def reviewed(commander, responder):
    load_default_playbooks()
    incident = _close(factories.declare(commander, commander=commander, title="3号楼脚手架局部坍塌"), commander)
    reviews.review_of(incident.pk, commander)
    reviews.edit_review(
        incident.pk, by=commander, happened="连墙件缺失 <b>未发现</b>", change="每日检查连墙件", rating=3
    )
    reviews.give_feedback(incident.pk, by=commander, rating=4, text="响应及时")
    reviews.add_action(
        incident.pk,
        by=commander,
        title="复查全部连墙件",
        owner_id=responder.pk,
        due_at=timezone.now() + timedelta(days=3),
    )
    return incident


def _docx_text(body: bytes) -> str:
    word = docx.Document(io.BytesIO(body))
    cells = [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in word.paragraphs] + cells)


def test_the_word_file_says_what_the_review_says_in_chinese(client, commander, reviewed):
    client.force_login(commander)
    response = client.get(f"/incidents/{reviewed.pk}/review.docx", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="review-{reviewed.pk}.docx"'
    text = _docx_text(response.content)
    for expected in (
        "复盘",
        "3号楼脚手架局部坍塌",
        "连墙件缺失 <b>未发现</b>",
        "每日检查连墙件",
        "响应及时",
        "复查全部连墙件",
        "按时完成",
    ):
        assert expected in text, expected
    assert "Key moments" not in text  # the reader's language, not English
    # Word takes the font for Chinese from w:eastAsia; without it Chinese falls back to whatever is there.
    normal = docx.Document(io.BytesIO(response.content)).styles["Normal"].element.rPr.rFonts
    assert normal.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "Noto Sans CJK SC"


@pytest.mark.skipif(
    not system_packages.documents_ready(), reason="needs Pango and the CJK fonts (make test installs them)"
)
def test_the_pdf_says_what_the_review_says_with_the_markup_shown_as_text(client, commander, reviewed):
    client.force_login(commander)
    response = client.get(f"/incidents/{reviewed.pk}/review.pdf", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    squeezed = "".join(text.split())  # line breaks fall anywhere in Chinese text
    for expected in ("复盘", "3号楼脚手架局部坍塌", "连墙件缺失<b>未发现</b>", "每日检查连墙件", "复查全部连墙件"):
        assert expected in squeezed, expected
    english = client.get(f"/incidents/{reviewed.pk}/review.pdf", HTTP_ACCEPT_LANGUAGE="en")
    assert "Keymoments" in "".join(
        "".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(english.content)).pages
    )


def test_only_those_who_may_read_the_review_take_it_away(client, commander, responder, executive):
    load_default_playbooks()
    secret = _close(factories.declare(commander, commander=commander, title="secret", restricted=True), commander)
    open_one = factories.declare(commander, commander=commander, title="still open")
    client.force_login(responder)
    assert client.get(f"/incidents/{secret.pk}/review.docx").status_code == 404
    client.force_login(executive)  # sees restricted incidents
    assert client.get(f"/incidents/{secret.pk}/review.docx").status_code == 200
    client.force_login(commander)
    assert client.get(f"/incidents/{open_one.pk}/review.docx").status_code == 302  # no review before closing
    client.logout()
    assert client.get(f"/incidents/{secret.pk}/review.pdf").status_code == 302  # to the sign-in page
