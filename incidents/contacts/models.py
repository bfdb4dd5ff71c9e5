"""Who to call (应急通讯录): one row per organisation and person, for a project or for every one."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from config.text import normalise_text_fields


class ContactKind(models.TextChoices):
    EMERGENCY_MANAGEMENT = "emergency_management", _("Emergency management bureau (应急管理)")
    HOUSING_CONSTRUCTION = "housing_construction", _("Housing and construction bureau (住建)")
    MARKET_REGULATION = "market_regulation", _("Market regulation bureau (市场监管)")
    CYBERSPACE = "cyberspace", _("Cyberspace administration (网信)")
    POLICE = "police", _("Police (110)")
    FIRE = "fire", _("Fire and rescue (119)")
    AMBULANCE = "ambulance", _("Emergency medical service (120)")
    HOSPITAL = "hospital", _("Hospital")
    GENERAL_CONTRACTOR = "general_contractor", _("General contractor")
    SUPERVISOR = "supervisor", _("Construction supervisor (监理)")
    LAWYER = "lawyer", _("Lawyer")
    INSURER = "insurer", _("Insurer")
    MEDIA = "media", _("Media")
    OTHER = "other", _("Other")


PHONE_CHECK = RegexValidator(r"^[0-9+()\- ]{3,30}$", _("A phone number: digits, spaces and + - ( ) only."))


class ContactQuerySet(models.QuerySet):
    def for_project(self, project: str) -> QuerySet[Contact]:
        """The contacts of `project` and those that serve every project, the project's own first."""
        return (
            self.filter(Q(project="") | Q(project=project))
            .annotate(own=models.Case(models.When(project="", then=1), default=0, output_field=models.IntegerField()))
            .in_kind_order("own")
        )

    def in_kind_order(self, *then: str) -> QuerySet[Contact]:
        """In the list's order (authorities, then emergency services, then the others), not by code."""
        position = models.Case(
            *[models.When(kind=kind, then=i) for i, kind in enumerate(ContactKind.values)],
            default=len(ContactKind.values),
            output_field=models.IntegerField(),
        )
        return self.annotate(kind_position=position).order_by("kind_position", *then, "organisation", "pk")


class Contact(models.Model):
    kind = models.CharField(_("kind"), max_length=30, choices=ContactKind.choices)
    organisation = models.CharField(_("organisation"), max_length=200)
    person = models.CharField(_("contact person"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, validators=[PHONE_CHECK])
    alt_phone = models.CharField(_("other phone"), max_length=30, blank=True, validators=[PHONE_CHECK])
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=100, blank=True, help_text=_("For an authority: the city or district it covers.")
    )
    project = models.CharField(
        _("project or site"), max_length=200, blank=True, help_text=_("Empty: serves every project.")
    )
    notes = models.TextField(_("notes"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["kind", "organisation", "pk"]
        indexes = [models.Index(fields=["project", "kind"])]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.person}" if self.person else self.organisation

    def save(self, *args, **kwargs) -> None:
        normalise_text_fields(self)
        super().save(*args, **kwargs)
