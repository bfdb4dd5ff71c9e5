"""Nothing unfinished is published: a 【…】 gap or an unfilled placeholder stops a statement (or a
Q&A line) at submission, at each approval and at publication, with every gap named; the company's
name, hotline and address come from the company profile, and where it is silent they are gaps."""

from __future__ import annotations

import pytest

from config.errors import RuleBroken
from crisis.voice import services
from crisis.voice.models import CompanyProfile, StatementState

from .voice_helpers import drafted, incident_with_playbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(commander):
    return incident_with_playbook(commander)


def test_a_statement_with_a_gap_is_not_submitted_and_the_gaps_are_named(incident, pr):
    statement = drafted(incident, pr, title="关于【项目名称】的情况通报", body="截至【时间】，{{ company }}已……")
    with pytest.raises(RuleBroken) as refused:
        services.submit_statement(statement.pk, by=pr)
    assert refused.value.details["gaps"] == ["【项目名称】", "【时间】", "{{ company }}"]
    statement.refresh_from_db()
    assert statement.state == StatementState.DRAFT


def test_a_gap_slipped_in_during_review_stops_the_approval_and_the_publication(incident, pr, commander):
    statement = drafted(incident, pr)
    services.submit_statement(statement.pk, by=pr)
    services.edit_statement(statement.pk, by=pr, title=statement.title, body="伤亡情况：【待核实】")
    with pytest.raises(RuleBroken, match="【待核实】"):
        services.approve_statement(statement.pk, by=commander)
    services.edit_statement(statement.pk, by=pr, title=statement.title, body="两名工人受伤，已送医。")
    services.approve_statement(statement.pk, by=commander)
    assert services.publish_statement(statement.pk, by=commander).state == StatementState.PUBLISHED


def test_the_api_answers_409_with_the_gaps(api, incident, pr):
    statement = drafted(incident, pr, body="热线：【服务热线】")
    response = api.as_user(pr).post(f"/api/statements/{statement.pk}/submit/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["gaps"] == ["【服务热线】"]


def test_the_company_profile_fills_the_company_and_without_it_they_are_gaps(incident, settings):
    settings.CRISIS_COMPANY_NAME = ""
    settings.CRISIS_HOTLINE = ""
    values = services.placeholder_values(incident, "zh")
    assert (values["company"], values["hotline"], values["address"]) == ("【公司名称】", "【服务热线】", "【公司地址】")
    CompanyProfile.objects.create(name_zh="阳光置业", name_en="Sunrise Properties", hotline="400-800-1234",
                                  address_zh="示例路1号", address_en="1 Example Road")  # fmt: skip
    zh, en = services.placeholder_values(incident, "zh"), services.placeholder_values(incident, "en")
    assert (zh["company"], zh["hotline"], zh["address"]) == ("阳光置业", "400-800-1234", "示例路1号")
    assert (en["company"], en["address"]) == ("Sunrise Properties", "1 Example Road")


def test_a_statement_signed_by_an_unset_company_cannot_go_out(incident, pr, settings):
    settings.CRISIS_COMPANY_NAME = ""
    signature = services.placeholder_values(incident, "zh")["company"]
    statement = drafted(incident, pr, title="情况通报", body=f"特此通报。\n{signature}")
    with pytest.raises(RuleBroken, match="【公司名称】"):
        services.submit_statement(statement.pk, by=pr)


def test_a_q_and_a_line_with_a_gap_is_not_submitted(incident, pr):
    line = services.create_line(incident.pk, by=pr, question="有人受伤吗？", answer="目前【X】人受伤。")
    with pytest.raises(RuleBroken, match="【X】"):
        services.submit_line(line.pk, by=pr)
