"""What to do: the kinds of crisis, and the playbooks (应急预案) prepared for each.

A playbook has versions. A draft is edited; publishing freezes it (the model layer refuses any
change to a published or retired version and its parts); editing again means cloning it into a
new draft. Incidents pin the version they started with, so editing a playbook never changes a
running incident. Texts are bilingual: `*_zh` and `*_en`, shown in the reader's language.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from config.model_fields import optional, person
from config.text import normalise_text_fields

from . import templating


class CrisisKind(models.TextChoices):
    SITE_SAFETY = "site_safety", _("Site safety")
    MIS_SOLD_UNIT = "mis_sold_unit", _("Mis-sold unit")
    REGULATOR_INSPECTION = "regulator_inspection", _("Regulator inspection")
    ONLINE_OUTRAGE = "online_outrage", _("Online outrage")
    OWNER_PROTEST = "owner_protest", _("Owner protest")
    DATA_BREACH = "data_breach", _("Personal-data breach")
    CYBER_INCIDENT = "cyber_incident", _("Cyber-security incident")
    CUSTOMER_DISPUTE = "customer_dispute", _("Customer dispute with financial loss")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    """Roles in an incident's response. The incident holds who has them; playbooks say which
    role owns a step."""

    COMMANDER = "commander", _("Commander")
    SPOKESPERSON = "spokesperson", _("Spokesperson")
    SCRIBE = "scribe", _("Scribe")
    LIAISON = "liaison", _("Liaison")
    RESPONDER = "responder", _("Responder")


class Phase(models.TextChoices):
    FIRST_HOUR = "first_hour", _("First hour")
    STABILISE = "stabilise", _("Stabilise")
    RECOVER = "recover", _("Recover")
    REVIEW = "review", _("Review")


class Audience(models.TextChoices):
    PUBLIC = "public", _("Public")
    MEDIA = "media", _("Media")
    CUSTOMERS = "customers", _("Customers")
    REGULATOR = "regulator", _("Regulator")
    STAFF = "staff", _("Staff")
    INTERNAL = "internal", _("Internal")


class Unit(models.TextChoices):
    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")
    WORKING_DAYS = "working_days", _("working days")


class ClockStart(models.TextChoices):
    DETECTION = "detection", _("detection")
    DECLARATION = "declaration", _("declaration")


class DeadlineNature(models.TextChoices):
    """Whose clock a deadline is (DEADLINES.md): only the company's own duties breach and escalate."""

    DUTY = "duty", _("Our duty")  # owed by the company: reminders, then a breach that escalates
    EXPECT = "expect", _("Their clock")  # the authority's own limit: expect by, then chase or prepare
    WATCH = "watch", _("Watch window")  # a window in which each change is reported; it ends, it is not due
    GUIDE = "guide", _("Benchmark")  # practice or a benchmark for others (e.g. the government's 5 h): a suggestion


ONLY_DUTIES_ESCALATE = _("Only our own duties escalate; another's clock only reminds the commander.")


class EscalationTarget(models.TextChoices):
    COMMANDER = "commander", _("Commander")
    SPOKESPERSON = "spokesperson", _("Spokesperson")
    LIAISON = "liaison", _("Liaison")
    ADMINS = "admins", _("Admins")
    EXECUTIVES = "executives", _("Executives")


class AutoComplete(models.TextChoices):
    COMMANDER_NAMED = "commander_named", _("when a commander is named")
    SPOKESPERSON_NAMED = "spokesperson_named", _("when a spokesperson is named")


class StatementPurpose(models.TextChoices):
    HOLDING = "holding", _("Holding statement")
    UPDATE = "update", _("Update")
    FINAL = "final", _("Final statement")
    NOTIFICATION = "notification", _("Notification")


class VersionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


slug_validator = RegexValidator(r"^[a-z0-9]+(-[a-z0-9]+)*$", _("Lowercase letters, digits and hyphens only."))


def localized(obj, field: str) -> str:
    """The Chinese or English text of `field`, by the active language, falling back to the other."""
    zh, en = getattr(obj, f"{field}_zh", ""), getattr(obj, f"{field}_en", "")
    if (get_language() or "").startswith("zh"):
        return zh or en
    return en or zh


def bilingual(field: str, label: Any = None) -> property:
    """A read-only attribute giving `<field>_zh` or `<field>_en` by the active language; `label`
    names it where the admin lists it."""

    def text(obj) -> str:  # typed, so that the OpenAPI schema knows it is a string
        return localized(obj, field)

    if label is not None:
        text.short_description = label

    return property(text, doc=f"{field} in the reader's language")


class ImmutableVersion(ValidationError):
    """A published or retired playbook version, or a part of one, was about to change."""


FROZEN_MESSAGE = _("A published or retired version cannot be changed; clone it to a new draft.")
LIFECYCLE_FIELDS = frozenset({"state", "published_at", "published_by_id", "retired_at"})


class PlaybookVersionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if set(kwargs) - LIFECYCLE_FIELDS - {"published_by"} and self.exclude(state=VersionState.DRAFT).exists():
            raise ImmutableVersion(FROZEN_MESSAGE)
        return super().update(**kwargs)

    def delete(self):
        if self.exclude(state=VersionState.DRAFT).exists():
            raise ImmutableVersion(FROZEN_MESSAGE)
        return super().delete()


class Playbook(models.Model):
    slug = models.SlugField(_("identifier"), max_length=80, unique=True, validators=[slug_validator])
    kind = models.CharField(_("kind"), max_length=40, choices=CrisisKind.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    is_default = models.BooleanField(
        _("default for its kind"),
        default=False,
        help_text=_("Used when an incident of this kind is declared."),
    )

    class Meta:
        ordering = ["kind", "slug"]
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")
        constraints = [
            models.UniqueConstraint(fields=["kind"], condition=Q(is_default=True), name="one_default_playbook_per_kind")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        normalise_text_fields(self)
        super().save(*args, **kwargs)

    name = bilingual("name")

    description = bilingual("description")

    @property
    def published_version(self) -> PlaybookVersion | None:
        return self.versions.filter(state=VersionState.PUBLISHED).first()


DEFAULT_UPDATE_EVERY = {1: 60, 2: 120, 3: 240, 4: 480}  # minutes, by severity (1 most severe)


def validate_update_intervals(value) -> None:
    ok = isinstance(value, dict) and all(
        str(k) in {"1", "2", "3", "4"} and isinstance(v, int) and not isinstance(v, bool) and 5 <= v <= 7 * 24 * 60
        for k, v in value.items()
    )
    if not ok:
        raise ValidationError(
            _('A mapping of severity (1–4) to minutes between 5 and 10080, e.g. {"1": 60, "2": 120}.')
        )


class PlaybookVersion(FSMModelMixin, models.Model):
    playbook = models.ForeignKey(
        Playbook, on_delete=models.PROTECT, related_name="versions", verbose_name=_("playbook")
    )
    number = models.PositiveIntegerField(_("version"))
    state = FSMField(_("state"), default=VersionState.DRAFT, choices=VersionState.choices, protected=True)
    notes_zh = models.TextField(_("notes (Chinese)"), blank=True)
    notes_en = models.TextField(_("notes (English)"), blank=True)
    # How soon a statement that promises a next update (`{{ next_update }}`) must be followed by one,
    # by severity: publishing it creates that deadline, counted from publication.
    update_every_minutes = models.JSONField(
        _("next update due after (minutes, by severity)"),
        default=dict,
        blank=True,
        validators=[validate_update_intervals],
        help_text=_('By severity, e.g. {"1": 60, "2": 120, "3": 240, "4": 480}; empty: those figures.'),
    )
    based_on = optional("self", verbose_name=_("based on"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    created_by = person(verbose_name=_("created by"))
    published_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("published at"))
    published_by = person(editable=False, verbose_name=_("published by"))
    retired_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("retired at"))

    objects = PlaybookVersionQuerySet.as_manager()

    class Meta:
        ordering = ["playbook", "-number"]
        verbose_name = _("playbook version")
        verbose_name_plural = _("playbook versions")
        constraints = [
            models.UniqueConstraint(fields=["playbook", "number"], name="playbook_version_number_unique"),
            models.UniqueConstraint(
                fields=["playbook"], condition=Q(state="published"), name="one_published_version_per_playbook"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.playbook} v{self.number} ({self.get_state_display()})"

    def save(self, *args, **kwargs):
        normalise_text_fields(self)
        if self.pk is not None and not self._state.adding:
            attnames = [f.attname for f in self._meta.concrete_fields]
            stored = PlaybookVersion.objects.filter(pk=self.pk).values(*attnames).first()
            if stored and stored["state"] != VersionState.DRAFT:
                changed = {name for name in attnames if stored[name] != getattr(self, name)}
                if changed - LIFECYCLE_FIELDS:
                    raise ImmutableVersion(FROZEN_MESSAGE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.state != VersionState.DRAFT:
            raise ImmutableVersion(_("A published or retired version cannot be deleted."))
        return super().delete(*args, **kwargs)

    @property
    def editable(self) -> bool:
        return self.state == VersionState.DRAFT

    notes = bilingual("notes")

    def update_every(self, severity: int) -> int:
        """Minutes within which a promised next update is due, for an incident of `severity`."""
        stored = {int(k): v for k, v in (self.update_every_minutes or {}).items()}
        return stored.get(severity) or DEFAULT_UPDATE_EVERY.get(severity, 240)

    # Lifecycle. playbooks.services runs these with validation and locking.
    @transition(field=state, source=VersionState.DRAFT, target=VersionState.PUBLISHED)
    def publish(self) -> None:
        self.published_at = timezone.now()

    @transition(field=state, source=VersionState.PUBLISHED, target=VersionState.RETIRED)
    def retire(self) -> None:
        self.retired_at = timezone.now()


class VersionPartQuerySet(models.QuerySet):
    """Bulk writes to the parts of a version are refused when any of them is frozen."""

    def _refuse_frozen(self) -> None:
        if self.exclude(version__state=VersionState.DRAFT).exists():
            raise ImmutableVersion(FROZEN_MESSAGE)

    def update(self, **kwargs):
        self._refuse_frozen()
        return super().update(**kwargs)

    def delete(self):
        self._refuse_frozen()
        return super().delete()


class VersionPart(models.Model):
    """A part of a playbook version (step, rule, template, Q&A line): frozen with its version."""

    version = models.ForeignKey(PlaybookVersion, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveIntegerField(_("order"), default=0)

    objects = VersionPartQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["order", "pk"]

    def save(self, *args, **kwargs):
        if self._frozen():
            raise ImmutableVersion(FROZEN_MESSAGE)
        normalise_text_fields(self)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._frozen():
            raise ImmutableVersion(FROZEN_MESSAGE)
        return super().delete(*args, **kwargs)

    def _frozen(self) -> bool:
        version_ids = {self.version_id}
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("version_id", flat=True).first()
            if stored is not None:
                version_ids.add(stored)
        return PlaybookVersion.objects.filter(pk__in=version_ids).exclude(state=VersionState.DRAFT).exists()


class Step(VersionPart):
    version = models.ForeignKey(
        PlaybookVersion, on_delete=models.CASCADE, related_name="steps", verbose_name=_("version")
    )
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices, default=Phase.FIRST_HOUR)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    instructions_zh = models.TextField(_("instructions (Chinese)"), blank=True)
    instructions_en = models.TextField(_("instructions (English)"), blank=True)
    owner_role = models.CharField(_("owning role"), max_length=20, choices=Role.choices, default=Role.COMMANDER)
    due_offset_minutes = models.IntegerField(
        _("due (minutes after declaration)"), null=True, blank=True, help_text=_("Empty: no due time.")
    )
    required = models.BooleanField(_("required"), default=True)
    completes_when = models.CharField(_("ticks itself"), max_length=30, choices=AutoComplete.choices, blank=True)

    class Meta(VersionPart.Meta):
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        constraints = [
            models.CheckConstraint(
                condition=Q(due_offset_minutes__isnull=True) | Q(due_offset_minutes__gte=0),
                name="step_offset_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.title

    title = bilingual("title")

    instructions = bilingual("instructions")

    def clean(self) -> None:
        if self.due_offset_minutes is not None and self.due_offset_minutes < 1:
            # At minute 0 a step would be overdue, and escalated, the moment the incident is declared.
            raise ValidationError(
                {"due_offset_minutes": _("A step is due at least one minute after the incident is declared.")}
            )


def parse_minutes_list(value: str) -> list[int]:
    """'30, 10' → [30, 10]; raises ValidationError on anything that is not positive whole numbers."""
    items = [part.strip() for part in (value or "").split(",") if part.strip()]
    out = []
    for item in items:
        if not item.isdigit() or int(item) <= 0:
            raise ValidationError(
                _("Reminder lead times are whole numbers of minutes above zero, separated by commas.")
            )
        out.append(int(item))
    return sorted(set(out), reverse=True)


def validate_minutes_list(value: str) -> None:
    parse_minutes_list(value)


def validate_escalation_targets(value: str) -> None:
    unknown = [t for t in (value or "").split(",") if t.strip() and t.strip() not in EscalationTarget.values]
    if unknown:
        raise ValidationError(
            _("Unknown escalation target(s): %(t)s. Use: %(ok)s")
            % {"t": ", ".join(unknown), "ok": ", ".join(EscalationTarget.values)}
        )


UNIT_MINUTES = {Unit.MINUTES: 1, Unit.HOURS: 60, Unit.DAYS: 1440, Unit.WORKING_DAYS: 1440}


class DeadlineRule(VersionPart):
    version = models.ForeignKey(
        PlaybookVersion, on_delete=models.CASCADE, related_name="deadline_rules", verbose_name=_("version")
    )
    code = models.CharField(_("code"), max_length=60, validators=[slug_validator])
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    title_zh = models.CharField(_("what is owed (Chinese)"), max_length=200)
    title_en = models.CharField(_("what is owed (English)"), max_length=200)
    due_in = models.PositiveIntegerField(_("due in"))
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices, default=Unit.MINUTES)
    clock_starts_at = models.CharField(
        _("clock starts at"), max_length=20, choices=ClockStart.choices, default=ClockStart.DECLARATION
    )
    remind_before_minutes = models.CharField(
        _("remind before (minutes)"),
        max_length=100,
        blank=True,
        validators=[validate_minutes_list],
        help_text=_("Comma-separated, e.g. 30, 10"),
    )
    escalate_to = models.CharField(
        _("escalate to"),
        max_length=100,
        blank=True,
        default="commander",
        validators=[validate_escalation_targets],
        help_text=_("Comma-separated: commander, spokesperson, liaison, admins, executives"),
    )
    source = models.TextField(_("legal or policy source"), blank=True)
    nature = models.CharField(
        _("whose clock"),
        max_length=10,
        choices=DeadlineNature.choices,
        default=DeadlineNature.DUTY,
        help_text=_("Our duty breaches and escalates; their clock and a benchmark only remind; a watch window closes."),
    )
    met_by_statement = models.BooleanField(
        _("met by publishing a statement"),
        default=False,
        help_text=_("Publishing an approved statement to this audience meets the deadline."),
    )

    class Meta(VersionPart.Meta):
        verbose_name = _("deadline rule")
        verbose_name_plural = _("deadline rules")
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="deadline_rule_code_unique_in_version"),
            models.CheckConstraint(condition=Q(due_in__gt=0), name="deadline_rule_due_in_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    title = bilingual("title")

    @property
    def reminder_leads(self) -> list[int]:
        return parse_minutes_list(self.remind_before_minutes)

    @property
    def escalation_targets(self) -> list[str]:
        return [t.strip() for t in self.escalate_to.split(",") if t.strip()]

    @property
    def minimum_minutes(self) -> int:
        return self.due_in * UNIT_MINUTES[self.unit]

    def clean(self) -> None:
        errors = {}
        if not self.due_in or self.due_in <= 0:
            errors["due_in"] = _("A deadline is due some time after its clock starts: more than zero.")
        try:
            leads = parse_minutes_list(self.remind_before_minutes)
        except ValidationError as exc:
            errors["remind_before_minutes"] = exc.messages[0]
        else:
            if self.due_in and self.unit in UNIT_MINUTES and any(lead >= self.minimum_minutes for lead in leads):
                errors["remind_before_minutes"] = _(
                    "A reminder must come after the clock starts: shorter than the deadline."
                )
        if self.nature != DeadlineNature.DUTY and set(self.escalation_targets) - {EscalationTarget.COMMANDER}:
            errors["escalate_to"] = ONLY_DUTIES_ESCALATE
        if self.nature in (DeadlineNature.EXPECT, DeadlineNature.WATCH) and self.met_by_statement:
            errors["met_by_statement"] = _("A statement meets our duties, not another's clock or a watch window.")
        if errors:
            raise ValidationError(errors)


class StatementTemplate(VersionPart):
    version = models.ForeignKey(
        PlaybookVersion, on_delete=models.CASCADE, related_name="statement_templates", verbose_name=_("version")
    )
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=StatementPurpose.choices, default=StatementPurpose.HOLDING
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, validators=[templating.validate_template])
    title_en = models.CharField(_("title (English)"), max_length=200, validators=[templating.validate_template])
    body_zh = models.TextField(_("body (Chinese)"), validators=[templating.validate_template])
    body_en = models.TextField(_("body (English)"), validators=[templating.validate_template])
    second_review = models.BooleanField(
        _("needs a second reviewer"), default=False, help_text=_("E.g. legal, after the commander.")
    )
    # Variants of one audience and purpose (injuries / deaths; the company at fault or not) say when
    # each is the one to start from; the drafter sees it beside the title.
    use_when_zh = models.CharField(_("use when (Chinese)"), max_length=200, blank=True)
    use_when_en = models.CharField(_("use when (English)"), max_length=200, blank=True)

    class Meta(VersionPart.Meta):
        verbose_name = _("statement template")
        verbose_name_plural = _("statement templates")

    def __str__(self) -> str:
        return f"{self.get_audience_display()}: {self.title}"

    title = bilingual("title")

    body = bilingual("body")

    use_when = bilingual("use_when")


class QALine(VersionPart):
    version = models.ForeignKey(
        PlaybookVersion, on_delete=models.CASCADE, related_name="qa_lines", verbose_name=_("version")
    )
    question_zh = models.TextField(_("question (Chinese)"))
    question_en = models.TextField(_("question (English)"))
    answer_zh = models.TextField(_("approved answer (Chinese)"))
    answer_en = models.TextField(_("approved answer (English)"))

    class Meta(VersionPart.Meta):
        verbose_name = _("Q&A line")
        verbose_name_plural = _("Q&A lines")

    def __str__(self) -> str:
        return self.question[:80]

    question = bilingual("question")

    answer = bilingual("answer")


# --- Drill scripts (演练脚本) ----------------------------------------------------------------------

# The evaluation sheet a drill is judged by when its script gives none: the industry's rule for the
# first hour, and the seed's own 演练评估表 for handling a complaint (LASTR: 聆听 关心 使满意 感谢 报告).
DEFAULT_EVALUATION = "\n".join(
    [
        "第一时间：是否在预案目标时间内指定指挥官、发出首份声明？"
        " / First hour: a commander and a first statement within the playbook's targets?",
        "一个声音：对外口径是否先经批准、每个受众只有一个现行声明？"
        " / One voice: every outward text approved first, one current statement per audience?",
        "一个指挥：是否始终只有一位指挥官，交接有简报？ / One commander: always exactly one, every hand-over briefed?",
        "是否采用以下解决投诉的步骤和行动：聆听、关心、使满意、感谢、报告？"
        " / Were the steps of handling a complaint followed: listen, care, satisfy, thank, report?",
        "是否解决投诉，令顾客满意？ / Was the complaint resolved to the customer's satisfaction?",
        "是否以鼓励顾客再次光临的方式解决投诉？ / Was it resolved in a way that makes the customer want to come back?",
    ]
)
MAX_INJECT_MINUTES = 7 * 24 * 60  # a drill longer than a week is not a drill


class DrillScript(models.Model):
    """A drill an admin writes to rehearse a playbook: a scenario, the timed injects (events the
    organisers push into the war room as the drill runs) and the evaluation sheet it is judged by."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind of crisis"),
        max_length=40,
        choices=CrisisKind.choices,
        blank=True,
        help_text=_("Empty: a script for a drill of any kind."),
    )
    scenario = models.TextField(_("scenario"), blank=True, help_text=_("What the participants are told at the start."))
    evaluation = models.TextField(
        _("evaluation sheet (演练评估表)"),
        default=DEFAULT_EVALUATION,
        help_text=_("One question per line; each is answered yes or no, with a note, in the drill's review."),
    )
    active = models.BooleanField(_("offered when declaring"), default=True)

    class Meta:
        verbose_name = _("drill script")
        verbose_name_plural = _("drill scripts")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        normalise_text_fields(self)
        super().save(*args, **kwargs)

    def questions(self) -> list[str]:
        return [line.strip() for line in self.evaluation.splitlines() if line.strip()]


class DrillInject(models.Model):
    script = models.ForeignKey(
        DrillScript, on_delete=models.CASCADE, related_name="injects", verbose_name=_("drill script")
    )
    after_minutes = models.PositiveIntegerField(
        _("minutes after the start"),
        validators=[MaxValueValidator(MAX_INJECT_MINUTES)],
        help_text=_("When it reaches the war room, in minutes after the drill is declared."),
    )
    title = models.CharField(
        _("what happens"), max_length=200, help_text=_("For example: a journalist calls about casualties.")
    )
    text = models.TextField(_("details"), blank=True)

    class Meta:
        verbose_name = _("inject")
        verbose_name_plural = _("injects")
        ordering = ["after_minutes", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(after_minutes__lte=MAX_INJECT_MINUTES), name="inject_within_a_week"),
        ]

    def __str__(self) -> str:
        return f"+{self.after_minutes} min: {self.title}"

    def save(self, *args, **kwargs) -> None:
        normalise_text_fields(self)
        super().save(*args, **kwargs)
