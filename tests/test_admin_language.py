"""Every name the admin shows is in Chinese on a Chinese page (issue 17): model and field names,
choices and help texts of our apps, and the admin pages themselves, walked in Chinese."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils.translation import override

from incidents.clock import registry as clock_registry

OURS = ("playbooks", "clock", "notify", "oncall", "incidents", "complaints", "voice", "crisis")
# Words that are the same in both languages: names of formats, protocols and products.
SAME_IN_BOTH = {
    "YAML",
    "SEC",  # DingTalk's signing secrets begin so
    "Excel",
    "Word",  # Microsoft Word, a product name (the review's download)
    "JSON",
    "Atom",  # the feed format (the public page's subscription link)
    "API",
    "URL",
    "SMS",
    "ID",
    "Webhook",
    "webhook",
    "HTTP",
    "HTTPS",
    "HMAC",
    "Django",
    "WeCom",
    "DingTalk",
    "Feishu",
    "Celery",
    "Redis",
    "PDF",
    "CSV",
    "UTC",
    "IP",
    "Token",
    "token",
    "SSO",
    "OIDC",
    "PR",
    "Q&A",
    "QA",
    "ICP",
    "v",
}
# Help texts that quote what the admin types, which is a code in either language.
HELP_QUOTES_CODES = {"DeadlineRule.escalate_to", "ChatRobot.secret", "Deadline.evidence_ref"}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]{2,}")


def english_words(text: str) -> list[str]:
    return [w for w in LATIN_WORD.findall(str(text)) if w not in SAME_IN_BOTH]


def our_models():
    return [m for m in apps.get_models() if m._meta.app_label in OURS]


def test_every_model_field_and_choice_has_a_chinese_name():
    untranslated = []
    with override("zh-hans"):
        for model in our_models():
            for text in (model._meta.verbose_name, model._meta.verbose_name_plural):
                if english_words(text):
                    untranslated.append(f"{model.__name__}: {text}")
            for field in model._meta.get_fields():
                if not hasattr(field, "verbose_name") or field.auto_created:
                    continue
                if english_words(field.verbose_name):
                    untranslated.append(f"{model.__name__}.{field.name}: {field.verbose_name}")
                quotes_codes = f"{model.__name__}.{field.name}" in HELP_QUOTES_CODES
                if getattr(field, "help_text", "") and english_words(field.help_text) and not quotes_codes:
                    untranslated.append(f"{model.__name__}.{field.name} help: {field.help_text}")
                for _value, label in getattr(field, "flatchoices", None) or []:
                    if english_words(label):
                        untranslated.append(f"{model.__name__}.{field.name} choice: {label}")
    assert untranslated == []


class ChromeText(HTMLParser):
    """The admin's own words on a page: labels, headings, buttons, help, filters, messages — not
    the data in it (cells, row headers, read-only values, inputs, object names, code), which is
    whatever was typed, in whatever language."""

    DATA = {"td", "textarea", "select", "pre", "code", "kbd", "script", "style", "svg", "title"}
    DATA_CLASSES = {
        "readonly",
        "inline_label",
        "breadcrumbs",
        "timezonewarning",
        "datetimeshortcuts",
        "user-tools",
        "pb-items",
    }  # the editor's contents list each part by its title
    VOID = {"input", "img", "br", "hr", "meta", "link", "col", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str, bool]] = []  # (tag, id, hides its text)
        self.words: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        parent = self.stack[-1] if self.stack else ("", "", False)
        hidden = (
            parent[2]
            or tag in self.DATA
            or bool(classes & self.DATA_CLASSES)
            or (tag == "th" and any(t == "tbody" for t, _, _ in self.stack))  # a row's name
            or (tag == "h2" and parent[1] == "content")  # the object's name under the page title
        )
        if tag == "input" and attrs.get("type") in ("submit", "button") and not hidden:
            self.words.extend(english_words(attrs.get("value") or ""))
        if tag in self.VOID:
            return
        self.stack.append((tag, attrs.get("id") or "", hidden))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not (self.stack and self.stack[-1][2]):
            self.words.extend(english_words(data))


def english_on(html: str) -> list[str]:
    from playbooks.models import EscalationTarget, Role

    # Help texts quote the codes an admin types into a field (escalate_to: "commander, admins").
    codes = {value for value, _label in [*EscalationTarget.choices, *Role.choices]}
    parser = ChromeText()
    parser.feed(html)
    return [word for word in parser.words if word not in codes]


@pytest.mark.django_db
def test_the_admin_speaks_chinese_on_every_page(client, monkeypatch):
    from playbooks.defaults import load_default_playbooks
    from playbooks.models import PlaybookVersion
    from playbooks.services import clone_to_draft
    from tests import factories

    # Owner types that tests register for the clock have no name for people; they are not the admin's.
    for name in [n for n in clock_registry._owner_types if "probe" in n]:
        monkeypatch.delitem(clock_registry._owner_types, name)
    load_default_playbooks()
    boss = factories.admin_user(username="guanli", first_name="管理员")
    factories.declare(boss, commander=boss, title="3号楼脚手架局部坍塌", severity=2)
    client.force_login(boss)
    client.cookies["django_language"] = "zh-hans"
    draft = clone_to_draft(PlaybookVersion.objects.first(), by=boss)
    found = {}
    # The preview page shows statement templates rendered in both languages: data, not the admin's words.
    urls = [
        "/admin/",
        "/admin/playbooks/playbook/import/",
        f"/admin/playbooks/playbookversion/{draft.pk}/publish/",
        f"/admin/playbooks/playbookversion/{draft.pk}/change/",
        "/admin/clock/alarm/?owner_type=incidents.deadline",  # the filters by registered names
        "/admin/incidents/timelineentry/?kind=declared",
    ]
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OURS:
            continue
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        if model_admin.has_add_permission(type("Request", (), {"user": boss})()):
            urls.append(reverse(f"{name}_add"))
        first = model.objects.first()
        if first is not None:
            urls.append(reverse(f"{name}_change", args=[first.pk]))
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        words = english_on(response.content.decode())
        if words:
            found[url] = sorted(set(words))
    assert found == {}
