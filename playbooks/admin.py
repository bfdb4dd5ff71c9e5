"""Editing playbooks (admins). Drafts are edited with inlines; published and retired versions are
shown read-only; clone, publish and retire are actions that call playbooks.services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import override as language

from config.errors import RuleBroken

from . import services, templating
from .diff import diff_versions
from .exchange import PlaybookFileError, export_version, import_text
from .models import (
    DeadlineRule,
    DrillInject,
    DrillScript,
    Playbook,
    PlaybookVersion,
    QALine,
    StatementTemplate,
    Step,
    VersionState,
)


class FrozenWhenPublishedInline:
    """Inlines are editable on drafts only; published and retired versions are frozen."""

    extra = 0

    def _editable(self, obj) -> bool:
        return obj is None or obj.state == VersionState.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


def _long_texts(title, *rows):
    """A fieldset of long bilingual texts, folded until the admin opens it: the editor lists each
    item in a few lines instead of a screen of text areas (the stock page was 30,000 px tall)."""
    return (title, {"classes": ["collapse"], "fields": list(rows)})


class StepInline(FrozenWhenPublishedInline, admin.StackedInline):
    model = Step
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("order", "phase", "owner_role", "due_offset_minutes", "required", "completes_when"),
                    ("title_zh", "title_en"),
                ]
            },
        ),
        _long_texts(gettext_lazy("Instructions"), ("instructions_zh", "instructions_en")),
    ]


class DeadlineRuleInline(FrozenWhenPublishedInline, admin.StackedInline):
    model = DeadlineRule
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("order", "code", "audience", "nature", "met_by_statement"),
                    ("title_zh", "title_en"),
                    ("due_in", "unit", "clock_starts_at"),
                    ("remind_before_minutes", "escalate_to"),
                ]
            },
        ),
        _long_texts(gettext_lazy("Legal or practice source"), "source"),
    ]


class StatementTemplateInline(FrozenWhenPublishedInline, admin.StackedInline):
    model = StatementTemplate
    fieldsets = [
        (None, {"fields": [("order", "audience", "purpose", "second_review"), ("title_zh", "title_en")]}),
        _long_texts(
            gettext_lazy("When to use it, and the text"), ("use_when_zh", "use_when_en"), ("body_zh", "body_en")
        ),
    ]


class QALineInline(FrozenWhenPublishedInline, admin.StackedInline):
    model = QALine
    fieldsets = [
        (None, {"fields": ["order", ("question_zh", "question_en")]}),
        _long_texts(gettext_lazy("Answer"), ("answer_zh", "answer_en")),
    ]


def _describe(exc: Exception) -> str:
    return exc.message if isinstance(exc, RuleBroken) else "; ".join(getattr(exc, "messages", [str(exc)]))


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Playbook file (YAML or JSON)"))
    publish = forms.BooleanField(label=gettext_lazy("Publish at once"), required=False)


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_zh", "name_en", "kind", "is_default", "published"]
    list_filter = ["kind", "is_default"]
    search_fields = ["slug", "name_zh", "name_en"]
    fields = ["slug", "kind", "is_default", ("name_zh", "name_en"), ("description_zh", "description_en")]
    change_list_template = "admin/playbooks/playbook/change_list.html"

    @admin.display(description=gettext_lazy("published version"))
    def published(self, playbook):
        version = playbook.published_version
        if version is None:
            return "—"
        url = reverse("admin:playbooks_playbookversion_change", args=[version.pk])
        return format_html('<a href="{}">v{}</a>', url, version.number)

    def has_delete_permission(self, request, obj=None):
        return False  # incidents pin their versions; playbooks are retired, not deleted

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="playbooks_playbook_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not services.may_edit(request.user):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = upload.read().decode("utf-8")
                version = import_text(text, by=request.user, publish=form.cleaned_data["publish"])
            except UnicodeDecodeError:
                problems = [_("The file is not UTF-8 text.")]
            except PlaybookFileError as exc:
                problems = [str(p) for p in exc.problems]
            except ValidationError as exc:
                problems = exc.messages
            else:
                self.message_user(request, _("Imported %(v)s.") % {"v": version}, messages.SUCCESS)
                return redirect("admin:playbooks_playbookversion_change", version.pk)
        return TemplateResponse(
            request,
            "admin/playbooks/import.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "problems": problems,
                "title": _("Import a playbook"),
                "opts": self.model._meta,
            },
            status=400 if problems or form.errors else 200,
        )


@admin.register(PlaybookVersion)
class PlaybookVersionAdmin(admin.ModelAdmin):
    list_display = ["playbook", "number", "state", "published_at", "tools"]
    list_filter = ["state", "playbook__kind"]
    list_select_related = ["playbook"]
    inlines = [StepInline, DeadlineRuleInline, StatementTemplateInline, QALineInline]
    actions = ["clone_to_draft", "publish", "retire"]

    class Media:
        css = {"all": ["playbooks/editor.css"]}
        js = ["playbooks/editor.js"]

    readonly_fields = ["playbook", "number", "state", "based_on", "published_at", "published_by", "tools"]
    fields = [
        "playbook",
        "number",
        "state",
        "based_on",
        "published_at",
        "published_by",
        ("notes_zh", "notes_en"),
        "update_every_minutes",
        "tools",
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["number", "state", "based_on", "published_at", "published_by", "tools"]
        if obj.state != VersionState.DRAFT:
            return [*self.readonly_fields, "notes_zh", "notes_en", "update_every_minutes"]
        return self.readonly_fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["playbook", ("notes_zh", "notes_en")]
        return self.fields

    def save_model(self, request, obj, form, change):
        if not change:
            draft = services.new_draft(obj.playbook, by=request.user)
            draft.notes_zh, draft.notes_en = obj.notes_zh, obj.notes_en
            draft.save()
            obj.pk, obj.number = draft.pk, draft.number
            obj._state.adding = False
            return
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return obj is not None and obj.state == VersionState.DRAFT and super().has_delete_permission(request, obj)

    @admin.display(description=gettext_lazy("tools"))
    def tools(self, version):
        if version.pk is None:
            return ""
        links = [
            (reverse("admin:playbooks_playbookversion_preview", args=[version.pk]), _("preview templates")),
            (reverse("admin:playbooks_playbookversion_export", args=[version.pk]), _("export YAML")),
        ]
        if version.state == VersionState.DRAFT:
            links.append((reverse("admin:playbooks_playbookversion_publish", args=[version.pk]), _("publish…")))
        if version.based_on_id:
            links.append(
                (
                    reverse("admin:playbooks_playbookversion_diff", args=[version.based_on_id, version.pk]),
                    _("changes since v%(n)s") % {"n": version.based_on.number},
                )
            )
        return format_html(" · ".join('<a href="{}">{}</a>' for link in links), *[x for pair in links for x in pair])

    def _run(self, request, queryset, action, done_message):
        for version in queryset:
            try:
                result = action(version, by=request.user)
            except (ValidationError, RuleBroken, PermissionDenied) as exc:
                self.message_user(request, f"{version}: {_describe(exc)}", messages.ERROR)
            else:
                self.message_user(request, done_message % {"v": result}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Clone to a new draft"))
    def clone_to_draft(self, request, queryset):
        self._run(request, queryset, services.clone_to_draft, _("Created %(v)s."))

    @admin.action(description=gettext_lazy("Publish… (shows the changes and asks first)"))
    def publish(self, request, queryset):
        # Publishing changes what every new incident of the kind runs on, so it is never one click
        # from a list: the action leads to the confirmation page, which shows what will change.
        versions = list(queryset[:2])
        if len(versions) != 1:
            self.message_user(request, _("Publish one version at a time, after reading its changes."), messages.ERROR)
            return None
        return redirect("admin:playbooks_playbookversion_publish", versions[0].pk)

    @admin.action(description=gettext_lazy("Retire"))
    def retire(self, request, queryset):
        self._run(request, queryset, services.retire, _("Retired %(v)s."))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/preview/", view(self.preview_view), name="playbooks_playbookversion_preview"),
            path("<int:pk>/export/", view(self.export_view), name="playbooks_playbookversion_export"),
            path("<int:old>/diff/<int:new>/", view(self.diff_view), name="playbooks_playbookversion_diff"),
            path("<int:pk>/publish/", view(self.publish_view), name="playbooks_playbookversion_publish"),
            *super().get_urls(),
        ]

    def _version(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(PlaybookVersion.objects.select_related("playbook"), pk=pk)

    def preview_view(self, request, pk):
        version = self._version(request, pk)
        previews = []
        for template in version.statement_templates.all():
            rendered = {}
            for lang, suffix in (("zh-hans", "zh"), ("en", "en")):
                values = templating.sample_values(lang)
                with language(lang):
                    rendered[suffix] = {
                        "title": templating.render(getattr(template, f"title_{suffix}"), values),
                        "body": templating.render(getattr(template, f"body_{suffix}"), values),
                        "problems": templating.problems(
                            getattr(template, f"title_{suffix}") + getattr(template, f"body_{suffix}")
                        ),
                    }
            previews.append({"template": template, **rendered})
        return TemplateResponse(
            request,
            "admin/playbooks/preview.html",
            {
                **self.admin_site.each_context(request),
                "version": version,
                "previews": previews,
                "title": _("Preview of %(v)s") % {"v": version},
                "opts": self.model._meta,
            },
        )

    def export_view(self, request, pk):
        version = self._version(request, pk)
        response = HttpResponse(export_version(version), content_type="application/x-yaml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{version.playbook.slug}-v{version.number}.yaml"'
        return response

    def diff_view(self, request, old, new):
        before, after = self._version(request, old), self._version(request, new)
        return TemplateResponse(
            request,
            "admin/playbooks/diff.html",
            {
                **self.admin_site.each_context(request),
                "before": before,
                "after": after,
                "lines": diff_versions(before, after),
                "title": _("Changes from %(a)s to %(b)s") % {"a": before, "b": after},
                "opts": self.model._meta,
            },
        )

    def publish_view(self, request, pk):
        """Publish one draft, after the admin has seen what changes against the version in force
        (or the version it was cloned from) and any problem that would stop it."""
        version = self._version(request, pk)
        if not services.may_edit(request.user):
            raise PermissionDenied
        change_url = reverse("admin:playbooks_playbookversion_change", args=[version.pk])
        if version.state != VersionState.DRAFT:
            self.message_user(
                request,
                _("Only a draft can be published; this version is %(s)s.") % {"s": version.get_state_display()},
                messages.ERROR,
            )
            return redirect(change_url)
        if request.method == "POST":
            try:
                services.publish(version, by=request.user)
            except (ValidationError, RuleBroken, PermissionDenied) as exc:
                self.message_user(request, f"{version}: {_describe(exc)}", messages.ERROR)
            else:
                self.message_user(request, _("Published %(v)s.") % {"v": version}, messages.SUCCESS)
                return redirect(change_url)
        in_force = version.playbook.published_version
        compare_with = in_force or version.based_on
        try:
            services.validate_version(version)
            problems = []
        except ValidationError as exc:
            problems = exc.messages
        return TemplateResponse(
            request,
            "admin/playbooks/publish.html",
            {
                **self.admin_site.each_context(request),
                "version": version,
                "in_force": in_force,
                "compare_with": compare_with,
                "lines": diff_versions(compare_with, version) if compare_with else None,
                "problems": problems,
                "change_url": change_url,
                "title": _("Publish %(v)s?") % {"v": version},
                "opts": self.model._meta,
            },
        )


class DrillInjectInline(admin.TabularInline):
    model = DrillInject
    fields = ["after_minutes", "title", "text"]
    extra = 1
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}}


@admin.register(DrillScript)
class DrillScriptAdmin(admin.ModelAdmin):
    """Drill scripts: a scenario, timed injects and the evaluation sheet; a running drill keeps the
    injects it copied when it was declared, so editing a script changes no drill under way."""

    list_display = ["name", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name"]
    inlines = [DrillInjectInline]
