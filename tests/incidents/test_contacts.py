"""Emergency contacts (issue 19): admins keep the directory (row by row or as CSV, all or nothing);
everyone signed in reads it through the API; the war room shows whom to call for its project."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.contacts.exchange import ContactFileError, export_csv, import_csv
from incidents.contacts.models import Contact
from tests import factories

pytestmark = pytest.mark.django_db

GOOD = (
    "kind,organisation,person,phone,project,jurisdiction\n"
    "emergency_management,示例区应急管理局,值班室,0571-8888 0000,,示例区\n"
    "hospital,示例市第一人民医院,急诊科,120,阳光花园,\n"
    "general_contractor,某建工集团,王经理,138 0000 0000,阳光花园,\n"
    "supervisor,某监理公司,李工,139 0000 0000,蓝湾,\n"
)


def test_a_good_file_imports_and_exports_back(admin):
    assert import_csv(GOOD.encode("utf-8")) == 4
    assert import_csv(GOOD.encode("gb18030"), replace=True) == 4  # Excel in China saves GBK
    assert Contact.objects.count() == 4
    exported = export_csv()
    assert exported.startswith("\ufeffkind,organisation") and "示例区应急管理局" in exported
    assert import_csv(exported.encode("utf-8"), replace=True) == 4
    assert sorted(Contact.objects.values_list("organisation", flat=True)) == sorted(
        ["示例区应急管理局", "示例市第一人民医院", "某建工集团", "某监理公司"]
    )


def test_one_bad_row_refuses_the_whole_file_naming_each_problem():
    bad = GOOD + "police,派出所,,call me,,\n" + "ghosts,捉鬼队,,110,,\n"
    with pytest.raises(ContactFileError) as refused:
        import_csv(bad.encode())
    problems = refused.value.problems
    assert any(p.startswith("line 6: phone:") for p in problems), problems
    assert any(p.startswith("line 7: kind:") for p in problems), problems
    assert not Contact.objects.exists()
    for raw, expected in (
        (b"organisation,phone\nx,110\n", "Columns missing: kind"),
        (b"kind,organisation,phone,colour\nfire,x,119,red\n", "Unknown columns: colour"),
        ("kind,organisation,phone\nfire,消防\x00队,119\n".encode(), "NUL"),
        (b"\xff\xfe\xfa", "neither UTF-8 nor GBK"),
        (b"kind,organisation,phone\n", "no contacts"),
    ):
        with pytest.raises(ContactFileError) as refused:
            import_csv(raw)
        assert expected in str(refused.value), (raw, refused.value.problems)
    assert not Contact.objects.exists()


def test_the_admin_imports_and_tells_what_is_wrong(client, admin):
    client.force_login(admin)
    page = client.get("/admin/contacts/contact/")
    assert "/admin/contacts/contact/import/" in page.content.decode()
    bad = SimpleUploadedFile(
        "c.csv", "kind,organisation,phone\nfire,消防队,not-a-phone\n".encode(), content_type="text/csv"
    )
    answer = client.post("/admin/contacts/contact/import/", {"file": bad})
    assert answer.status_code == 400 and "line 2: phone:" in answer.content.decode()
    good = SimpleUploadedFile("c.csv", GOOD.encode(), content_type="text/csv")
    assert client.post("/admin/contacts/contact/import/", {"file": good}).status_code == 302
    assert Contact.objects.count() == 4
    download = client.get("/admin/contacts/contact/export/")
    assert download["Content-Type"].startswith("text/csv") and "某建工集团" in download.content.decode()


def test_only_admins_keep_the_directory(client, commander):
    client.force_login(commander)
    assert client.get("/admin/contacts/contact/import/").status_code in (302, 403)
    assert client.get("/admin/contacts/contact/export/").status_code in (302, 403)


def test_everyone_signed_in_reads_it_the_projects_own_first(api, responder):
    import_csv(GOOD.encode())
    Contact.objects.create(kind="lawyer", organisation="停用的律所", phone="123", active=False)
    assert api.get("/api/contacts/").status_code in (401, 403)
    client = api.as_user(responder)
    everyone = client.get("/api/contacts/").json()["results"]
    assert len(everyone) == 4 and "停用的律所" not in str(everyone)
    sunrise = client.get("/api/contacts/", {"project": "阳光花园"}).json()["results"]
    assert [c["organisation"] for c in sunrise] == ["示例区应急管理局", "示例市第一人民医院", "某建工集团"]
    hospitals = client.get("/api/contacts/", {"kind": "hospital"}).json()["results"]
    assert [c["kind_label"] for c in hospitals] == ["Hospital"]
    unknown = client.get("/api/contacts/", {"kind": "ghosts"})
    assert unknown.status_code == 400 and "kind" in unknown.json()["errors"]


def test_the_war_room_shows_whom_to_call_for_its_project(client, commander):
    import_csv(GOOD.encode())
    incident = factories.declare(commander, commander=commander, location="阳光花园")
    client.force_login(commander)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    panel = page.split('id="panel-contacts"')[1].split("</section>")[0]
    assert "某建工集团" in panel and 'href="tel:13800000000"' in panel
    assert "某监理公司" not in panel  # another project's
