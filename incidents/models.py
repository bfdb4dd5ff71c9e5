"""What is happening: incidents, who holds which role, and the append-only timeline."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from config.model_fields import moment, optional, person
from playbooks.models import (
    Audience,
    AutoComplete,
    CrisisKind,
    DeadlineNature,
    Phase,
    PlaybookVersion,
    Role,
    bilingual,
)

from . import permissions


class Severity(models.IntegerChoices):
    # The four levels of China's emergency classification (特别重大 / 重大 / 较大 / 一般).
    CRITICAL = 1, _("I · Critical")
    MAJOR = 2, _("II · Major")
    SERIOUS = 3, _("III · Serious")
    MINOR = 4, _("IV · Minor")


class Status(models.TextChoices):
    # Opened by an escalation rule (or by hand) on a signal that something *may* have happened: the
    # commander confirms it (then the playbook's clocks start) or stands it down.
    TRIAGE = "triage", _("In triage")
    REPORTED = "reported", _("Reported")
    ACTIVE = "active", _("Active")
    CONTAINED = "contained", _("Contained")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    STOOD_DOWN = "stood_down", _("Stood down")


OPEN_STATUSES = (Status.TRIAGE, Status.REPORTED, Status.ACTIVE, Status.CONTAINED, Status.RESOLVED)


def _has_commander(incident: Incident) -> bool:
    return incident.commander_id is not None


def _directs(incident: Incident, user) -> bool:
    return permissions.directs(user, incident)


def _directs_or_may_lead(incident: Incident, user) -> bool:
    # Before anyone commands, anyone who may command may call off a false alarm, and is told
    # (409, not 403) that activating needs a commander first.
    if incident.commander_id is None:
        return permissions.may_command(user)
    return permissions.directs(user, incident)


class IncidentQuerySet(models.QuerySet):
    def open(self) -> IncidentQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def visible_to(self, user) -> IncidentQuerySet:
        if permissions.sees_restricted(user):
            return self
        return self.filter(
            Q(restricted=False) | Q(reported_by=user) | Q(assignments__user=user, assignments__ended_at__isnull=True)
        ).distinct()


class Incident(FSMModelMixin, models.Model):
    kind = models.CharField(_("kind"), max_length=40, choices=CrisisKind.choices)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    location = models.CharField(_("location or project"), max_length=200, blank=True)
    restricted = models.BooleanField(
        _("restricted"),
        default=False,
        help_text=_("Visible only to its participants, admins and executives."),
    )
    # A drill (演练): marked as one everywhere, nothing about it leaves the console (no e-mail, SMS,
    # webhook, chat robot or public page), and it counts in no statistics.
    exercise = models.BooleanField(
        _("exercise (drill)"), default=False, help_text=_("A drill: nothing about it leaves the console.")
    )
    drill_script = models.ForeignKey(
        "playbooks.DrillScript",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("drill script"),
        help_text=_("The script an exercise runs: its injects reach the war room on time."),
    )
    status = FSMField(_("status"), default=Status.REPORTED, choices=Status.choices, protected=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    detected_at = models.DateTimeField(_("detected at"))
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)
    closed_at = moment(_("closed at"))
    # Denormalised from the active RoleAssignment rows, written in the same transaction by the
    # services. The database constraint that guarantees "one commander" lives on RoleAssignment.
    commander = person(_("commander"))
    spokesperson = person(_("spokesperson"))
    # The playbook version this incident runs on, pinned at declaration: published versions are
    # immutable, so later edits to the playbook never change a running incident.
    playbook_version = optional(PlaybookVersion, _("playbook version"))
    # The sequence number of the newest timeline entry. Bumped under the incident's row lock in
    # the same transaction as the entry, so sequence numbers are gapless.
    last_seq = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("last seq"))

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-declared_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["status", "kind"])]
        permissions = [
            ("declare_incident", _("May declare incidents")),
            ("command_incident", _("May command incidents")),
            ("administer_incident", _("May direct any incident (admin)")),
            ("view_restricted_incident", _("May see restricted incidents")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=4), name="incident_severity_1_to_4"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @staticmethod
    def is_an_exercise(incident_id: int) -> bool:
        return Incident.objects.filter(pk=incident_id, exercise=True).exists()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    # The lifecycle. These methods only move the state; incidents.services.transition_incident
    # locks the row, checks, records the timeline and announces the change.
    @transition(
        field=status,
        source=Status.TRIAGE,
        target=Status.REPORTED,
        permission=_directs_or_may_lead,
        custom={"label": _("Confirm: it happened")},
    )
    def confirm(self) -> None:
        """What the transition means is done by incidents.services.confirm_incident: the moment the
        company learned of it becomes the detection time, and the playbook's clocks start."""

    @transition(
        field=status,
        source=Status.REPORTED,
        target=Status.ACTIVE,
        conditions=[_has_commander],
        permission=_directs_or_may_lead,
        custom={"label": _("Activate"), "needs": _("a commander")},
    )
    def activate(self) -> None:
        pass

    @transition(
        field=status,
        source=Status.ACTIVE,
        target=Status.CONTAINED,
        permission=_directs,
        custom={"label": _("Mark contained")},
    )
    def contain(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.ACTIVE, Status.CONTAINED],
        target=Status.RESOLVED,
        permission=_directs,
        custom={"label": _("Mark resolved")},
    )
    def resolve(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.CONTAINED, Status.RESOLVED],
        target=Status.ACTIVE,
        permission=_directs,
        custom={"label": _("Reopen")},
    )
    def reopen(self) -> None:
        pass

    @transition(
        field=status,
        source=Status.RESOLVED,
        target=Status.CLOSED,
        permission=_directs,
        custom={"label": _("Close")},
    )
    def close(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        field=status,
        source=[Status.TRIAGE, Status.REPORTED, Status.ACTIVE],
        target=Status.STOOD_DOWN,
        permission=_directs_or_may_lead,
        custom={"label": _("Stand down (false alarm)")},
    )
    def stand_down(self) -> None:
        self.closed_at = timezone.now()


TRANSITION_NAMES = ("confirm", "activate", "contain", "resolve", "reopen", "close", "stand_down")


SINGLE_HOLDER_ROLES = (Role.COMMANDER, Role.SPOKESPERSON)


class RoleAssignment(models.Model):
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("incident")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = moment(_("ended at"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("assigned by")
    )
    ended_by = person(verbose_name=_("ended by"))
    briefing = models.TextField(_("briefing"), blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            # 一个指挥: at most one active commander per incident, whatever path writes the row.
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(role="commander", ended_at__isnull=True),
                name="one_active_commander_per_incident",
            ),
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(role="spokesperson", ended_at__isnull=True),
                name="one_active_spokesperson_per_incident",
            ),
            models.UniqueConstraint(
                fields=["incident", "user", "role"],
                condition=Q(ended_at__isnull=True),
                name="one_active_assignment_per_user_and_role",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="assignment_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.user}"

    @property
    def active(self) -> bool:
        return self.ended_at is None


class EntryKind(models.TextChoices):
    """The timeline kinds of the incident core. Other domains register theirs (incidents.timeline)."""

    DECLARED = "declared", _("Declared")
    TRANSITION = "transition", _("Status change")
    NOTE = "note", _("Note")
    ROLE_ASSIGNED = "role_assigned", _("Role assigned")
    ROLE_ENDED = "role_ended", _("Role ended")
    COMMAND_HANDOVER = "command_handover", _("Command handed over")
    TASK = "task", _("Task")
    DEADLINE = "deadline", _("Deadline")
    REMINDER = "reminder", _("Reminder")
    BREACH = "breach", _("Deadline missed")
    FIRST_HOUR = "first_hour", _("First-hour report")
    PINNED = "pinned", _("Pinned")
    PAGED = "paged", _("Paged")
    PAGE_ACKNOWLEDGED = "page_acknowledged", _("Page acknowledged")
    DRILL_INJECT = "drill_inject", _("Drill inject")


class AppendOnlyQuerySet(models.QuerySet):
    """Timeline entries are written once and never changed: no bulk update or delete either."""

    def update(self, **kwargs):
        raise TypeError("Timeline entries are append-only; they cannot be updated.")

    def delete(self):
        raise TypeError("Timeline entries are append-only; they cannot be deleted.")


class TimelineEntry(models.Model):
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="timeline", verbose_name=_("incident")
    )
    seq = models.PositiveIntegerField(_("sequence"))
    # One of the kinds registered with incidents.timeline (the core's EntryKind and the others').
    kind = models.CharField(_("kind"), max_length=30)
    actor = person(_("actor"))
    # Free text a person wrote (a note, a briefing, a reason); system entries leave it empty and
    # are described from `kind` and `data` in the reader's language (see incidents.timeline).
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["incident", "seq"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        constraints = [
            models.UniqueConstraint(fields=["incident", "seq"], name="timeline_seq_unique_per_incident"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="timeline_seq_starts_at_1"),
        ]

    def __str__(self) -> str:
        return f"#{self.incident_id}/{self.seq} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Timeline entries are append-only; they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Timeline entries are append-only; they cannot be deleted.")


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


class Task(models.Model):
    """A step of the pinned playbook (or one the commander adds), with its due time."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("incident"))
    step = optional("playbooks.Step", verbose_name=_("step"))
    order = models.PositiveIntegerField(default=0, verbose_name=_("order"))
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    instructions_zh = models.TextField(_("instructions (Chinese)"), blank=True)
    instructions_en = models.TextField(_("instructions (English)"), blank=True)
    owner_role = models.CharField(_("owning role"), max_length=20, choices=Role.choices)
    required = models.BooleanField(_("required"), default=True)
    completes_when = models.CharField(
        max_length=30, choices=AutoComplete.choices, blank=True, verbose_name=_("completes when")
    )
    due_at = moment(_("due at"))
    state = models.CharField(_("state"), max_length=10, choices=TaskState.choices, default=TaskState.OPEN)
    assignee = person(_("assignee"))  # fmt: skip
    completed_by = person(verbose_name=_("completed by"))
    completed_at = moment(verbose_name=_("completed at"))
    note = models.TextField(_("note or reason"), blank=True)

    class Meta:
        ordering = ["incident", "order", "pk"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [models.Index(fields=["state", "due_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="open", completed_at__isnull=True)
                | (~Q(state="open") & Q(completed_at__isnull=False)),
                name="task_completion_time_matches_state",
            )
        ]

    def __str__(self) -> str:
        return self.title

    title = bilingual("title")

    instructions = bilingual("instructions")

    @property
    def in_time(self) -> bool | None:
        if self.due_at is None or self.completed_at is None:
            return None
        return self.completed_at <= self.due_at


class DeadlineState(models.TextChoices):
    PENDING = "pending", _("Pending")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    WAIVED = "waived", _("Waived")


class ReportChannel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    IN_PERSON = "in_person", _("In person")
    WRITTEN = "written", _("Written report (letter, fax)")
    ONLINE = "online", _("Online reporting system")
    STATEMENT = "statement", _("Published statement")


class Deadline(models.Model):
    """Something owed to someone by a time: a disclosure, a holding statement, a report."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="deadlines", verbose_name=_("incident")
    )
    rule = optional("playbooks.DeadlineRule", verbose_name=_("rule"))
    code = models.CharField(_("code"), max_length=60, blank=True)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    title_zh = models.CharField(_("what is owed (Chinese)"), max_length=200)
    title_en = models.CharField(_("what is owed (English)"), max_length=200)
    source = models.TextField(_("legal or policy source"), blank=True)
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(_("state"), max_length=10, choices=DeadlineState.choices, default=DeadlineState.PENDING)
    remind_before_minutes = models.CharField(max_length=100, blank=True, verbose_name=_("remind before minutes"))
    escalate_to = models.CharField(max_length=100, blank=True, verbose_name=_("escalate to"))
    # Whose clock (playbooks.DeadlineNature): only our own duties breach and escalate.
    nature = models.CharField(
        _("whose clock"), max_length=10, choices=DeadlineNature.choices, default=DeadlineNature.DUTY
    )
    met_by_statement = models.BooleanField(default=False, verbose_name=_("met by statement"))
    met_at = moment(_("met at"))
    met_by = person(verbose_name=_("met by"))
    # A report to an authority is met by reporting — usually a call: how, to whom, who took it.
    met_channel = models.CharField(_("reported by"), max_length=20, choices=ReportChannel.choices, blank=True)
    met_authority = models.CharField(_("authority reported to"), max_length=200, blank=True)
    met_received_by = models.CharField(_("officer who took the report"), max_length=200, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    evidence_ref = models.CharField(
        max_length=100, blank=True, help_text=_("e.g. statement:12"), verbose_name=_("evidence ref")
    )
    waived_reason = models.TextField(_("reason for waiving"), blank=True)
    breached_at = moment(verbose_name=_("breached at"))

    class Meta:
        ordering = ["incident", "due_at", "pk"]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        indexes = [models.Index(fields=["state", "due_at"])]

    def __str__(self) -> str:
        return self.title

    title = bilingual("title")

    @property
    def reminder_leads(self) -> list[int]:
        return [int(x) for x in self.remind_before_minutes.split(",") if x.strip().isdigit()]

    @property
    def escalation_targets(self) -> list[str]:
        return [t.strip() for t in self.escalate_to.split(",") if t.strip()]


# --- Paging: a call for a commander that escalates until someone answers -----------------------------


class PageStep(models.IntegerChoices):
    ON_DUTY = 0, _("Commander on duty")
    BACKUP = 1, _("Backup commander")
    EVERYONE = 2, _("Admins and executives")


class PageState(models.TextChoices):
    OPEN = "open", _("Waiting for acknowledgement")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CALLED_OFF = "called_off", _("Called off")


class EscalationPolicy(models.Model):
    """How long a page for an incident of one severity waits for an acknowledgement before the
    next rung is paged. Admins edit it; without a row, settings.CRISIS_PAGE_ACK_MINUTES holds."""

    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices, unique=True)
    ack_within = models.DurationField(
        _("acknowledge within"),
        help_text=_("e.g. 0:05:00 for five minutes. Unacknowledged by then, the next rung is paged."),
    )

    class Meta:
        ordering = ["severity"]
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(ack_within__gte=timedelta(seconds=1), ack_within__lte=timedelta(days=1)),
                name="escalation_ack_within_1s_to_1d",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.ack_within}"


class Page(models.Model):
    """An incident's call for a commander: whom it paged, how far it climbed, who answered.

    Opened when an incident is declared without a commander; acknowledged from a notification or
    by taking command; called off when the incident ends. Its escalation is an alarm on the clock
    (owner type incidents.page), so each rung is paged exactly once."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="pages", verbose_name=_("incident"))
    step = models.PositiveSmallIntegerField(_("rung"), choices=PageStep.choices, default=PageStep.ON_DUTY)
    state = models.CharField(_("state"), max_length=20, choices=PageState.choices, default=PageState.OPEN)
    paged_users = models.JSONField(_("paged"), default=list, blank=True)  # user ids, every rung so far
    created_at = models.DateTimeField(_("paged at"), default=timezone.now)
    escalated_at = moment(_("escalated at"))
    acknowledged_at = moment(_("acknowledged at"))
    acknowledged_by = person(_("acknowledged by"))
    acknowledged_via = models.CharField(_("acknowledged by way of"), max_length=20, blank=True)
    called_off_at = moment(_("called off at"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("page")
        verbose_name_plural = _("pages")
        constraints = [
            models.UniqueConstraint(fields=["incident"], condition=Q(state="open"), name="one_open_page_per_incident"),
            models.CheckConstraint(condition=Q(step__gte=0, step__lte=2), name="page_step_0_to_2"),
            models.CheckConstraint(
                condition=~Q(state="acknowledged") | Q(acknowledged_at__isnull=False), name="page_acknowledged_when"
            ),
        ]

    def __str__(self) -> str:
        return f"page #{self.pk} for incident #{self.incident_id}"


class Inject(models.Model):
    """One inject of a running drill: copied from its script when the exercise is declared (editing
    the script later changes no drill under way) and delivered once, on the clock, into the war room."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="injects", verbose_name=_("incident"))
    title = models.CharField(_("what happens"), max_length=200)
    text = models.TextField(_("details"), blank=True)
    due_at = models.DateTimeField(_("due at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inject")
        verbose_name_plural = _("injects")
        ordering = ["due_at", "pk"]

    def __str__(self) -> str:
        return self.title
